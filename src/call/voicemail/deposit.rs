//! Leaving a message, as a sans-IO core: the greeting, the tone, then the
//! caller's message until they hang up, press `#`, or reach the box's longest
//! message. No clock, no socket: the shell ([`super::Leaving`]) feeds it what
//! happened and when, and performs its [`Action`]s.
//!
//! Rules it keeps:
//! - `#` during the greeting skips to the tone; other keys are ignored.
//! - A prompt whose end is never reported is taken as ended after
//!   [`PROMPT_LIMIT`], so a lost media event cannot hold the caller.
//! - Recording starts when the tone has played, and stops at `#`, at the
//!   longest message, or when the caller hangs up (their leg's end completes
//!   the file).
//! - After `#` or the longest message the caller hears that the message was
//!   saved, or the goodbye prompt when it is too short to keep.
//! - A message shorter than [`MIN_MESSAGE`] is not kept ([`keep`]).

use std::time::Duration;

use crate::acd::Millis;

/// Messages shorter than this are discarded.
pub const MIN_MESSAGE: Duration = Duration::from_secs(1);
/// The longest the greeting or the tone may take before it counts as ended.
pub const PROMPT_LIMIT: Duration = Duration::from_secs(60);

/// What happened to the caller's leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The greeting ended (or could not play).
    GreetingDone,
    /// The tone ended (or could not play).
    ToneDone,
    /// The caller pressed a key.
    Digit(char),
    /// The caller hung up (or the call ended otherwise).
    CallerGone,
}

/// What the shell must do, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PlayGreeting,
    PlayTone,
    /// Start recording the caller's leg.
    StartRecording,
    /// Stop the recording: the file is completed.
    StopRecording,
    /// The caller's part is over; they are to hear `ending` and be hung up.
    Over(Ending),
}

/// How the caller is sent off once the message is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// "Your message has been saved. Goodbye."
    Saved,
    /// Too short to keep: the plain goodbye.
    TooShort,
}

/// Why the recording stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Key,
    MaxLength,
    HungUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Tone,
    Recording { since: Millis },
    Done,
}

/// One caller leaving one message.
#[derive(Debug)]
pub struct Deposit {
    phase: Phase,
    max_message: Duration,
    deadline: Option<Millis>,
    stopped: Option<Stop>,
    actions: std::collections::VecDeque<Action>,
}

/// Whether a message `length` long is kept.
pub fn keep(length: Duration) -> bool {
    length >= MIN_MESSAGE
}

impl Deposit {
    /// A caller, answered, who is to leave a message of at most
    /// `max_message`; the first action plays the greeting.
    pub fn new(now: Millis, max_message: Duration) -> Deposit {
        let mut d = Deposit {
            phase: Phase::Greeting,
            max_message,
            deadline: Some(now + PROMPT_LIMIT),
            stopped: None,
            actions: Default::default(),
        };
        d.actions.push_back(Action::PlayGreeting);
        d
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        self.deadline
    }

    /// Why the recording stopped, once it has.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Whether the caller's part is over.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.deadline.is_none_or(|d| d > now) {
            return;
        }
        self.deadline = None;
        match self.phase {
            Phase::Greeting => self.tone(now),
            Phase::Tone => self.record(now),
            Phase::Recording { since } => self.stop(now, since, Stop::MaxLength),
            Phase::Done => {}
        }
    }

    pub fn handle(&mut self, now: Millis, input: Input) {
        match (self.phase, input) {
            (Phase::Greeting, Input::GreetingDone | Input::Digit('#')) => self.tone(now),
            (Phase::Tone, Input::ToneDone) => self.record(now),
            (Phase::Recording { since }, Input::Digit('#')) => self.stop(now, since, Stop::Key),
            (Phase::Recording { since }, Input::CallerGone) => self.stop(now, since, Stop::HungUp),
            (Phase::Greeting | Phase::Tone, Input::CallerGone) => {
                self.phase = Phase::Done;
                self.deadline = None;
            }
            _ => {}
        }
    }

    fn tone(&mut self, now: Millis) {
        self.phase = Phase::Tone;
        self.deadline = Some(now + PROMPT_LIMIT);
        self.actions.push_back(Action::PlayTone);
    }

    fn record(&mut self, now: Millis) {
        self.phase = Phase::Recording { since: now };
        self.deadline = Some(now + self.max_message);
        self.actions.push_back(Action::StartRecording);
    }

    fn stop(&mut self, now: Millis, since: Millis, why: Stop) {
        self.phase = Phase::Done;
        self.deadline = None;
        self.stopped = Some(why);
        self.actions.push_back(Action::StopRecording);
        if why != Stop::HungUp {
            let ending = if keep(now.since(since)) {
                Ending::Saved
            } else {
                Ending::TooShort
            };
            self.actions.push_back(Action::Over(ending));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Millis {
        Millis(ms)
    }

    fn drain(d: &mut Deposit) -> Vec<Action> {
        std::iter::from_fn(|| d.poll_action()).collect()
    }

    /// A deposit past the greeting and the tone, recording since 3 s.
    fn recording(max: Duration) -> Deposit {
        let mut d = Deposit::new(at(0), max);
        assert_eq!(drain(&mut d), [Action::PlayGreeting]);
        d.handle(at(2_000), Input::GreetingDone);
        assert_eq!(drain(&mut d), [Action::PlayTone]);
        d.handle(at(3_000), Input::ToneDone);
        assert_eq!(drain(&mut d), [Action::StartRecording]);
        d
    }

    #[test]
    fn greeting_then_tone_then_recording_until_hang_up() {
        let mut d = recording(Duration::from_secs(120));
        assert_eq!(d.poll_timeout(), Some(at(123_000)));
        d.handle(at(3_100), Input::Digit('5'));
        assert!(drain(&mut d).is_empty(), "other keys are ignored");
        d.handle(at(9_000), Input::CallerGone);
        assert_eq!(drain(&mut d), [Action::StopRecording]);
        assert_eq!(d.stopped(), Some(Stop::HungUp));
        assert!(d.is_done());
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn pound_ends_the_message_and_the_caller_hears_it_was_saved() {
        let mut d = recording(Duration::from_secs(120));
        d.handle(at(8_000), Input::Digit('#'));
        assert_eq!(
            drain(&mut d),
            [Action::StopRecording, Action::Over(Ending::Saved)]
        );
        assert_eq!(d.stopped(), Some(Stop::Key));
        d.handle(at(8_500), Input::CallerGone);
        assert!(drain(&mut d).is_empty(), "stopped once");
    }

    #[test]
    fn pound_straight_after_the_tone_is_too_short() {
        let mut d = recording(Duration::from_secs(120));
        d.handle(at(3_400), Input::Digit('#'));
        assert_eq!(
            drain(&mut d),
            [Action::StopRecording, Action::Over(Ending::TooShort)]
        );
    }

    #[test]
    fn the_longest_message_stops_the_recording() {
        let mut d = recording(Duration::from_secs(30));
        d.handle_timeout(at(32_999));
        assert!(drain(&mut d).is_empty(), "not due yet");
        d.handle_timeout(at(33_000));
        assert_eq!(
            drain(&mut d),
            [Action::StopRecording, Action::Over(Ending::Saved)]
        );
        assert_eq!(d.stopped(), Some(Stop::MaxLength));
    }

    #[test]
    fn pound_skips_the_greeting() {
        let mut d = Deposit::new(at(0), Duration::from_secs(60));
        drain(&mut d);
        d.handle(at(500), Input::Digit('#'));
        assert_eq!(drain(&mut d), [Action::PlayTone]);
        d.handle(at(600), Input::GreetingDone);
        assert!(
            drain(&mut d).is_empty(),
            "a late greeting end changes nothing"
        );
    }

    #[test]
    fn a_lost_prompt_end_does_not_hold_the_caller() {
        let mut d = Deposit::new(at(0), Duration::from_secs(60));
        drain(&mut d);
        d.handle_timeout(at(60_000));
        assert_eq!(drain(&mut d), [Action::PlayTone]);
        d.handle_timeout(at(120_000));
        assert_eq!(drain(&mut d), [Action::StartRecording]);
    }

    #[test]
    fn hanging_up_before_the_tone_records_nothing() {
        let mut d = Deposit::new(at(0), Duration::from_secs(60));
        drain(&mut d);
        d.handle(at(1_000), Input::CallerGone);
        assert!(drain(&mut d).is_empty());
        assert!(d.is_done());
        assert_eq!(d.stopped(), None);
    }

    #[test]
    fn messages_under_a_second_are_not_kept() {
        assert!(!keep(Duration::from_millis(999)));
        assert!(keep(Duration::from_millis(1_000)));
    }
}
