//! Click-to-dial as a sans-IO core: an agent who works on a desk phone asks
//! the panel to call a number; Switchboard rings the agent's phone first
//! and, once the agent answers, dials the number through the outbound route
//! their Dial Plan permission allows, then bridges the two.
//!
//! [`ClickDialFlow`] takes the time with every input and holds no socket or
//! clock; the task ([`super::click_dial_call`]) turns SIP events into
//! [`ClickInput`]s and performs the [`ClickAction`]s. The route, the
//! rewritten number and the caller ID were chosen before the flow starts,
//! by the same rules as a call the phone itself places
//! ([`super::admission`]). Rules:
//! - The agent is held from queue offers while the call lasts (the dispatch
//!   core holds them as on a transfer, when they were free to take one), and
//!   is In Call; at the end they are free again (outbound calls have no
//!   after-call work).
//! - The agent's phone is rung with the number being dialled as the caller
//!   (and the auto-answer headers, for phones that act on them). A phone
//!   that declines (486, 600, 603), cannot be reached, or does not answer
//!   within [`PHONE_RING_LIMIT`] ends the attempt: nothing is dialled and
//!   nothing recorded; the panel hears why.
//! - Once the agent answers, the number is dialled and the outbound record
//!   opened (Direction outbound, the agent, DialingLength from here). The
//!   remote party's early media (a 18x with SDP: ringback, announcements)
//!   is bridged to the agent at once; its answer bridges them if early media
//!   did not. A carrier's digest challenge is answered as for the phone's
//!   own calls ([`super::dial::MAX_CHALLENGES`], once per nonce).
//! - The remote party refuses, cannot be reached, or does not answer within
//!   [`RING_LIMIT`]: the agent's phone is hung up and the panel hears the
//!   status (as [`refusal_for`] reads it: busy stays busy). The agent
//!   hanging up while it rings cancels the remote leg (CANCEL).
//! - Either side's hang-up ends both legs, with the record's TerminateSide.

use std::collections::VecDeque;
use std::time::Duration;

use crate::acd::{self, AgentId, CallId, Millis};
use crate::cdr::{self, CallEvent, InteractionRecord, RecordBuilder};

use super::dial::{refusal_for, MAX_CHALLENGES, RING_LIMIT};
use super::flow::RecordWrite;

/// How long the agent's own phone may ring before the attempt is given up.
pub const PHONE_RING_LIMIT: Duration = Duration::from_secs(30);

/// What the task tells the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickInput {
    /// The agent's phone answered (and was acknowledged).
    AgentAnswered,
    /// The agent's phone did not answer: its final status (486, 603: it
    /// declined; 0: no phone could be rung or none responded).
    AgentMissed {
        status: u16,
    },
    /// The remote party is ringing (a 18x).
    RemoteRinging,
    /// The remote party sends early media: its 18x's SDP was accepted.
    RemoteEarlyMedia,
    /// The remote party answered; its media is known.
    RemoteAnswered,
    /// The remote leg ended without an answer, with this final status (0:
    /// no response, or it could not be sent).
    RemoteMissed {
        status: u16,
    },
    /// The remote leg was challenged (401 or 407: `status`); `nonce` is the
    /// challenge's when it can be answered.
    RemoteChallenged {
        status: u16,
        nonce: Option<String>,
    },
    RemoteHungUp,
    AgentHungUp,
    /// The SIP core is gone.
    SipGone,
}

/// Where a click-to-dial stands, as the agent's panel shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialProgress {
    /// The agent's own phone rings.
    CallingPhone,
    /// The agent answered; the number is being dialled.
    Dialling,
    /// The remote party rings (or plays its early media).
    Ringing,
    /// The remote party answered: the two talk.
    Connected,
    /// It ended before anyone talked ([`DialFailure`] says why).
    Failed(DialFailure),
    /// A connected call ended.
    Ended,
}

/// Why a click-to-dial ended before anyone talked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialFailure {
    /// The agent's phone declined the call (its status).
    PhoneDeclined(u16),
    /// The agent's phone did not answer in time.
    PhoneNoAnswer,
    /// No phone of the agent could be rung, or none responded.
    PhoneUnreachable,
    /// The remote party did not take the call: the status the agent's phone
    /// would get for it ([`refusal_for`]: 486 busy, 404 no such number, 480
    /// no answer, 603 declined, 503 anything else).
    Remote(u16),
    /// The agent hung up before the remote party answered.
    Cancelled,
}

impl DialFailure {
    /// The status that goes with the failure, for the panel.
    pub fn status(self) -> u16 {
        match self {
            DialFailure::PhoneDeclined(s) | DialFailure::Remote(s) => s,
            DialFailure::PhoneNoAnswer => 408,
            DialFailure::PhoneUnreachable => 480,
            DialFailure::Cancelled => 487,
        }
    }

    /// What the panel says.
    pub fn reason(self) -> &'static str {
        match self {
            DialFailure::PhoneDeclined(_) => "your phone declined the call",
            DialFailure::PhoneNoAnswer => "your phone did not answer",
            DialFailure::PhoneUnreachable => "your phone could not be reached",
            DialFailure::Remote(486) => "the number is busy",
            DialFailure::Remote(404) => "the number does not exist",
            DialFailure::Remote(480) => "the number did not answer",
            DialFailure::Remote(603) => "the call was declined",
            DialFailure::Remote(_) => "the number could not be reached",
            DialFailure::Cancelled => "you hung up before the answer",
        }
    }
}

/// What the task must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ClickAction {
    /// Ring the agent's phone; report [`ClickInput::AgentAnswered`] or
    /// [`ClickInput::AgentMissed`].
    RingAgent,
    /// Open the remote leg next to the agent's and send its INVITE through
    /// the route's trunk; report its progress.
    DialRemote,
    /// Send the remote leg's INVITE again, answering the challenge just
    /// received; report a failure to send as [`ClickInput::RemoteMissed`].
    AuthorizeRemote,
    /// Bridge the agent's media with the remote party's.
    Bridge,
    /// CANCEL or BYE the agent's leg, as it stands, and free it.
    HangUpAgent,
    /// Free the agent's leg, whose dialog is over.
    CloseAgent,
    /// CANCEL or BYE the remote leg, as it stands, and free it.
    HangUpRemote,
    /// Free the remote leg, whose dialog is over.
    CloseRemote,
    Dispatch(acd::Event),
    Record(RecordWrite, Box<InteractionRecord>),
    /// Tell the agent's panel.
    Panel(DialProgress),
    /// The attempt is over and its record, if any, written.
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    CallingPhone,
    Dialling { rung: bool, bridged: bool },
    Connected,
    Finished,
}

/// One click-to-dial.
#[derive(Debug)]
pub struct ClickDialFlow {
    id: CallId,
    agent: AgentId,
    phase: Phase,
    /// The record a dial opens (its id is the call's, its direction
    /// outbound).
    arrival: cdr::Arrival,
    config: cdr::RecordConfig,
    record: Option<RecordBuilder>,
    answered_nonces: Vec<String>,
    deadline: Option<Millis>,
    actions: VecDeque<ClickAction>,
}

impl ClickDialFlow {
    /// `agent` asks at `now` to call the number of `arrival` (whose id is
    /// the call's).
    pub fn new(
        now: Millis,
        agent: AgentId,
        arrival: cdr::Arrival,
        config: cdr::RecordConfig,
    ) -> ClickDialFlow {
        let id = CallId(arrival.id.0);
        let mut flow = ClickDialFlow {
            id,
            agent,
            phase: Phase::CallingPhone,
            arrival,
            config,
            record: None,
            answered_nonces: Vec::new(),
            deadline: Some(now + PHONE_RING_LIMIT),
            actions: VecDeque::new(),
        };
        flow.push(ClickAction::Dispatch(acd::Event::TransferStarted {
            call: id,
            agent,
        }));
        flow.push(ClickAction::Panel(DialProgress::CallingPhone));
        flow.push(ClickAction::RingAgent);
        flow
    }

    /// The outbound record as it stands, once the number is dialled.
    pub fn record(&self) -> Option<&InteractionRecord> {
        self.record.as_ref().map(RecordBuilder::record)
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    pub fn poll_action(&mut self) -> Option<ClickAction> {
        self.actions.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        self.deadline
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.deadline.is_none_or(|d| d > now) {
            return;
        }
        self.deadline = None;
        match self.phase {
            Phase::CallingPhone => {
                tracing::info!("the agent's phone did not answer in time");
                self.push(ClickAction::HangUpAgent);
                self.fail(now, DialFailure::PhoneNoAnswer);
            }
            Phase::Dialling { .. } => {
                tracing::info!("the remote party did not answer in time");
                self.push(ClickAction::HangUpRemote);
                self.push(ClickAction::HangUpAgent);
                self.fail(now, DialFailure::Remote(480));
            }
            Phase::Connected | Phase::Finished => {}
        }
    }

    pub fn handle(&mut self, now: Millis, input: ClickInput) {
        match (self.phase, input) {
            (Phase::CallingPhone, ClickInput::AgentAnswered) => {
                self.phase = Phase::Dialling {
                    rung: false,
                    bridged: false,
                };
                self.deadline = Some(now + RING_LIMIT);
                let record = RecordBuilder::new(now, self.arrival.clone(), self.config);
                self.record = Some(record);
                self.note(now, CallEvent::Dialling { agent: self.agent });
                self.write(RecordWrite::Open);
                self.push(ClickAction::Panel(DialProgress::Dialling));
                self.push(ClickAction::DialRemote);
            }
            (Phase::CallingPhone, ClickInput::AgentMissed { status }) => {
                self.push(ClickAction::CloseAgent);
                let why = match status {
                    486 | 600 | 603 => DialFailure::PhoneDeclined(status),
                    408 => DialFailure::PhoneNoAnswer,
                    _ => DialFailure::PhoneUnreachable,
                };
                self.fail(now, why);
            }
            (Phase::CallingPhone, ClickInput::AgentHungUp | ClickInput::SipGone) => {
                self.push(ClickAction::HangUpAgent);
                self.fail(now, DialFailure::Cancelled);
            }
            (
                Phase::Dialling {
                    rung: false,
                    bridged,
                },
                ClickInput::RemoteRinging,
            ) => {
                self.phase = Phase::Dialling {
                    rung: true,
                    bridged,
                };
                self.push(ClickAction::Panel(DialProgress::Ringing));
            }
            (
                Phase::Dialling {
                    rung,
                    bridged: false,
                },
                ClickInput::RemoteEarlyMedia,
            ) => {
                self.phase = Phase::Dialling {
                    rung: true,
                    bridged: true,
                };
                self.push(ClickAction::Bridge);
                if !rung {
                    self.push(ClickAction::Panel(DialProgress::Ringing));
                }
            }
            (Phase::Dialling { bridged, .. }, ClickInput::RemoteAnswered) => {
                self.phase = Phase::Connected;
                self.deadline = None;
                self.note(now, CallEvent::RemoteAnswered);
                self.write(RecordWrite::Checkpoint);
                if !bridged {
                    self.push(ClickAction::Bridge);
                }
                self.push(ClickAction::Panel(DialProgress::Connected));
            }
            (Phase::Dialling { .. }, ClickInput::RemoteMissed { status }) => {
                self.push(ClickAction::CloseRemote);
                self.push(ClickAction::HangUpAgent);
                self.fail(now, DialFailure::Remote(refusal_for(status)));
            }
            (Phase::Dialling { .. }, ClickInput::RemoteChallenged { status, nonce }) => {
                match nonce.filter(|n| self.may_answer(n)) {
                    Some(nonce) => {
                        self.answered_nonces.push(nonce);
                        self.push(ClickAction::AuthorizeRemote);
                    }
                    None => {
                        self.push(ClickAction::CloseRemote);
                        self.push(ClickAction::HangUpAgent);
                        self.fail(now, DialFailure::Remote(refusal_for(status)));
                    }
                }
            }
            (Phase::Dialling { .. }, ClickInput::AgentHungUp) => {
                self.push(ClickAction::HangUpRemote);
                self.push(ClickAction::CloseAgent);
                self.fail(now, DialFailure::Cancelled);
            }
            (Phase::Dialling { .. }, ClickInput::SipGone) => {
                self.push(ClickAction::HangUpRemote);
                self.push(ClickAction::HangUpAgent);
                self.end(now, CallEvent::SystemEnded, DialProgress::Ended);
            }
            (Phase::Connected, ClickInput::AgentHungUp) => {
                self.push(ClickAction::HangUpRemote);
                self.push(ClickAction::CloseAgent);
                self.end(now, CallEvent::AgentHungUp, DialProgress::Ended);
            }
            (Phase::Connected, ClickInput::RemoteHungUp) => {
                self.push(ClickAction::CloseRemote);
                self.push(ClickAction::HangUpAgent);
                self.end(now, CallEvent::CallerHungUp, DialProgress::Ended);
            }
            (Phase::Connected, ClickInput::SipGone) => {
                self.push(ClickAction::HangUpRemote);
                self.push(ClickAction::HangUpAgent);
                self.end(now, CallEvent::SystemEnded, DialProgress::Ended);
            }
            _ => {}
        }
    }

    /// Whether a challenge with `nonce` is answered: a nonce not answered
    /// before (else the credentials were refused), within the limit.
    fn may_answer(&self, nonce: &str) -> bool {
        !self.answered_nonces.iter().any(|n| n == nonce)
            && self.answered_nonces.len() < MAX_CHALLENGES
    }

    /// It ended before anyone talked. A record opened by the dial says the
    /// agent gave up (abandoned) or the dial failed.
    fn fail(&mut self, now: Millis, why: DialFailure) {
        let event = match why {
            DialFailure::Cancelled => CallEvent::AgentHungUp,
            _ => CallEvent::Failed,
        };
        self.end(now, event, DialProgress::Failed(why));
    }

    fn end(&mut self, now: Millis, why: CallEvent, progress: DialProgress) {
        self.phase = Phase::Finished;
        self.deadline = None;
        self.note(now, why);
        self.note(now, CallEvent::AcwEnded);
        self.push(ClickAction::Dispatch(acd::Event::Hangup { call: self.id }));
        if self.record.is_some() {
            self.write(RecordWrite::Complete);
        }
        self.push(ClickAction::Panel(progress));
        self.push(ClickAction::Finished);
    }

    fn note(&mut self, now: Millis, event: CallEvent) {
        if let Some(record) = self.record.as_mut() {
            record.note(now, event);
        }
    }

    fn write(&mut self, how: RecordWrite) {
        if let Some(record) = &self.record {
            self.push(ClickAction::Record(how, record.snapshot()));
        }
    }

    fn push(&mut self, action: ClickAction) {
        self.actions.push_back(action);
    }
}

#[cfg(test)]
mod tests;
