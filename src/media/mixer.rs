//! The mixer of a monitored call: a supervisor listening to, whispering to or
//! barging into a bridged caller and agent (the issue's "listen, whisper and
//! barge"). Pure: no clock and no I/O; the worker feeds it the audio each leg
//! receives and asks it for one frame per leg and pacing period.
//!
//! Only a monitored call is mixed: every other bridge stays a packet relay
//! ([`super::bridge`]) that never decodes. Here each party's G.711 payloads
//! (PCMU or PCMA, each leg its own law) are decoded into a queue of samples;
//! once per period (20 ms) [`Mixer::next_period`] takes up to a frame of each
//! queue, the rest silence, and [`Mixer::output`] sums what one party hears
//! (with saturation: a sum past the 16-bit range is clipped, never wrapped)
//! and encodes it in that party's law. Jitter is absorbed as the recorder's
//! [`super::recorder::Assembler`] absorbs it: a queue holds at most
//! [`MAX_QUEUED`] samples, a late packet leaves one frame of silence and
//! that party then runs a frame behind.
//!
//! Who hears whom ([`MonitorMode::hears`]):
//!
//! | mode    | caller hears    | agent hears          | supervisor hears |
//! |---------|-----------------|----------------------|------------------|
//! | listen  | agent           | caller               | caller, agent    |
//! | whisper | agent           | caller, supervisor   | caller, agent    |
//! | barge   | agent, supervisor | caller, supervisor | caller, agent    |

use std::collections::VecDeque;

use super::g711::Law;
use super::source::FRAME_SAMPLES;

/// The most samples one party may hold waiting for its frame (three frames).
pub const MAX_QUEUED: usize = 3 * FRAME_SAMPLES;

/// How the supervisor joins a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorMode {
    /// The supervisor hears both sides; nobody hears the supervisor.
    Listen,
    /// The agent hears the supervisor too; the caller does not.
    Whisper,
    /// Everybody hears the other two.
    Barge,
}

impl MonitorMode {
    /// The name used by the API (`listen`, `whisper`, `barge`).
    pub const fn name(self) -> &'static str {
        match self {
            MonitorMode::Listen => "listen",
            MonitorMode::Whisper => "whisper",
            MonitorMode::Barge => "barge",
        }
    }

    pub fn parse(name: &str) -> Option<MonitorMode> {
        match name {
            "listen" => Some(MonitorMode::Listen),
            "whisper" => Some(MonitorMode::Whisper),
            "barge" => Some(MonitorMode::Barge),
            _ => None,
        }
    }

    /// Whether `listener` hears `speaker` in this mode (nobody hears
    /// themselves).
    pub const fn hears(self, listener: Party, speaker: Party) -> bool {
        use Party::*;
        match (listener, speaker) {
            (Caller, Agent) | (Agent, Caller) => true,
            (Supervisor, Caller) | (Supervisor, Agent) => true,
            (Agent, Supervisor) => !matches!(self, MonitorMode::Listen),
            (Caller, Supervisor) => matches!(self, MonitorMode::Barge),
            _ => false,
        }
    }
}

/// One of the three legs of a monitored call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    Caller = 0,
    Agent = 1,
    Supervisor = 2,
}

impl Party {
    pub const ALL: [Party; 3] = [Party::Caller, Party::Agent, Party::Supervisor];
}

/// Adds `input` to `acc` sample by sample (the sums kept wide, so the order
/// of the inputs does not matter).
#[inline]
pub fn accumulate(acc: &mut [i32; FRAME_SAMPLES], input: &[i16; FRAME_SAMPLES]) {
    for (a, &s) in acc.iter_mut().zip(input) {
        *a += s as i32;
    }
}

/// Clips a wide sum to 16 bits (saturation, never wrap-around).
#[inline]
pub fn saturate(sum: i32) -> i16 {
    sum.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

/// The mix of one monitored call.
#[derive(Debug)]
pub struct Mixer {
    pub mode: MonitorMode,
    queues: [VecDeque<i16>; 3],
    /// This period's frame of each party.
    frames: [[i16; FRAME_SAMPLES]; 3],
    /// Samples dropped because a party ran too far ahead.
    pub overrun: u64,
}

impl Mixer {
    pub fn new(mode: MonitorMode) -> Self {
        Mixer {
            mode,
            queues: std::array::from_fn(|_| VecDeque::with_capacity(MAX_QUEUED + FRAME_SAMPLES)),
            frames: [[0; FRAME_SAMPLES]; 3],
            overrun: 0,
        }
    }

    /// Queues the audio `party` sent: one G.711 payload in `law`.
    pub fn push(&mut self, party: Party, law: Law, payload: &[u8]) {
        let q = &mut self.queues[party as usize];
        q.extend(payload.iter().map(|&b| law.decode(b)));
        if q.len() > MAX_QUEUED {
            let extra = q.len() - MAX_QUEUED;
            q.drain(..extra);
            self.overrun += extra as u64;
        }
    }

    /// Starts a period: takes up to a frame of each party's queue, the rest
    /// silence.
    pub fn next_period(&mut self) {
        for (q, frame) in self.queues.iter_mut().zip(self.frames.iter_mut()) {
            let n = q.len().min(FRAME_SAMPLES);
            for (o, s) in frame.iter_mut().zip(q.drain(..n)) {
                *o = s;
            }
            frame[n..].fill(0);
        }
    }

    /// What `listener` hears this period, encoded in `law` into `out`.
    pub fn output(&self, listener: Party, law: Law, out: &mut [u8; FRAME_SAMPLES]) {
        let mut acc = [0i32; FRAME_SAMPLES];
        for speaker in Party::ALL {
            if self.mode.hears(listener, speaker) {
                accumulate(&mut acc, &self.frames[speaker as usize]);
            }
        }
        for (o, &s) in out.iter_mut().zip(&acc) {
            *o = law.encode(saturate(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Party::*;

    fn payload(law: Law, sample: i16) -> Vec<u8> {
        vec![law.encode(sample); FRAME_SAMPLES]
    }

    fn heard(m: &Mixer, listener: Party, law: Law) -> Vec<i16> {
        let mut out = [0u8; FRAME_SAMPLES];
        m.output(listener, law, &mut out);
        out.iter().map(|&b| law.decode(b)).collect()
    }

    #[test]
    fn who_hears_whom_in_each_mode() {
        use MonitorMode::*;
        // (mode, listener, speakers heard)
        let table: &[(MonitorMode, Party, &[Party])] = &[
            (Listen, Caller, &[Agent]),
            (Listen, Agent, &[Caller]),
            (Listen, Supervisor, &[Caller, Agent]),
            (Whisper, Caller, &[Agent]),
            (Whisper, Agent, &[Caller, Supervisor]),
            (Whisper, Supervisor, &[Caller, Agent]),
            (Barge, Caller, &[Agent, Supervisor]),
            (Barge, Agent, &[Caller, Supervisor]),
            (Barge, Supervisor, &[Caller, Agent]),
        ];
        for &(mode, listener, speakers) in table {
            for speaker in Party::ALL {
                assert_eq!(
                    mode.hears(listener, speaker),
                    speakers.contains(&speaker),
                    "{mode:?}: does {listener:?} hear {speaker:?}"
                );
            }
        }
        for m in [Listen, Whisper, Barge] {
            assert_eq!(MonitorMode::parse(m.name()), Some(m));
        }
        assert_eq!(MonitorMode::parse("shout"), None);
    }

    #[test]
    fn sums_what_each_party_hears() {
        // Values exact in both laws' quantisation, so the sums are exact.
        let mut m = Mixer::new(MonitorMode::Barge);
        m.push(Caller, Law::Mu, &payload(Law::Mu, 1000));
        m.push(Agent, Law::Mu, &payload(Law::Mu, -300));
        m.push(Supervisor, Law::Mu, &payload(Law::Mu, 200));
        m.next_period();
        let c = Law::Mu.decode(Law::Mu.encode(1000)) as i32;
        let a = Law::Mu.decode(Law::Mu.encode(-300)) as i32;
        let s = Law::Mu.decode(Law::Mu.encode(200)) as i32;
        let expect = |sum: i32| Law::Mu.decode(Law::Mu.encode(sum as i16));
        assert!(heard(&m, Caller, Law::Mu)
            .iter()
            .all(|&x| x == expect(a + s)));
        assert!(heard(&m, Agent, Law::Mu)
            .iter()
            .all(|&x| x == expect(c + s)));
        assert!(heard(&m, Supervisor, Law::Mu)
            .iter()
            .all(|&x| x == expect(c + a)));
        m.mode = MonitorMode::Listen;
        assert!(heard(&m, Agent, Law::Mu).iter().all(|&x| x == expect(c)));
        assert!(heard(&m, Caller, Law::Mu).iter().all(|&x| x == expect(a)));
    }

    #[test]
    fn loud_sums_saturate_instead_of_wrapping() {
        assert_eq!(saturate(40_000), i16::MAX);
        assert_eq!(saturate(-40_000), i16::MIN);
        assert_eq!(saturate(-5), -5);
        let mut m = Mixer::new(MonitorMode::Listen);
        m.push(Caller, Law::Mu, &payload(Law::Mu, 30_000));
        m.push(Agent, Law::Mu, &payload(Law::Mu, 30_000));
        m.next_period();
        // Wrapped, 60 000 would come out negative.
        let loudest = Law::Mu.decode(Law::Mu.encode(i16::MAX));
        assert!(heard(&m, Supervisor, Law::Mu).iter().all(|&x| x == loudest));
        let mut m = Mixer::new(MonitorMode::Listen);
        m.push(Caller, Law::A, &payload(Law::A, -30_000));
        m.push(Agent, Law::A, &payload(Law::A, -30_000));
        m.next_period();
        let quietest = Law::A.decode(Law::A.encode(i16::MIN));
        assert!(heard(&m, Supervisor, Law::A).iter().all(|&x| x == quietest));
    }

    #[test]
    fn each_leg_keeps_its_own_law() {
        // The caller speaks PCMA, the agent PCMU, the supervisor hears PCMA.
        let mut m = Mixer::new(MonitorMode::Whisper);
        let ramp: Vec<i16> = (0..FRAME_SAMPLES as i16).map(|i| i * 100 - 8000).collect();
        let a_bytes: Vec<u8> = ramp.iter().map(|&s| Law::A.encode(s)).collect();
        m.push(Caller, Law::A, &a_bytes);
        m.push(Supervisor, Law::Mu, &payload(Law::Mu, 0));
        m.next_period();
        let agent_hears = heard(&m, Agent, Law::Mu);
        for (i, &s) in ramp.iter().enumerate() {
            let via_a = Law::A.decode(Law::A.encode(s));
            assert_eq!(agent_hears[i], Law::Mu.decode(Law::Mu.encode(via_a)));
        }
        let sup = heard(&m, Supervisor, Law::A);
        for (i, &s) in ramp.iter().enumerate() {
            assert_eq!(sup[i], Law::A.decode(Law::A.encode(s)));
        }
    }

    #[test]
    fn a_silent_party_is_silence_and_a_burst_is_bounded() {
        let mut m = Mixer::new(MonitorMode::Barge);
        // Half a frame from the caller: the rest of the frame is silence.
        m.push(Caller, Law::Mu, &[Law::Mu.encode(1000); 80]);
        m.next_period();
        let agent = heard(&m, Agent, Law::Mu);
        assert!(agent[..80].iter().all(|&x| x > 900));
        assert!(agent[80..].iter().all(|&x| x == 0));
        for _ in 0..10 {
            m.push(Agent, Law::Mu, &payload(Law::Mu, 500));
        }
        assert_eq!(m.overrun, 7 * FRAME_SAMPLES as u64);
        for _ in 0..3 {
            m.next_period();
            assert!(heard(&m, Caller, Law::Mu).iter().all(|&x| x > 400));
        }
        m.next_period();
        assert!(heard(&m, Caller, Law::Mu).iter().all(|&x| x == 0));
    }
}
