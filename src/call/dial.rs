//! An agent's call as a sans-IO core: the agent's phone calls a number, an
//! outbound route sends it through a trunk, and the two legs are bridged when
//! the remote party answers. The same core runs an internal call, where the
//! callee is another agent rung at their registered contacts ([`Callee`]):
//! the consultation of an attended transfer (RFC 5589 section 7).
//!
//! [`DialFlow`] takes the time with every input and holds no socket or
//! clock; the call task ([`super::outbound_call`]) turns SIP events into
//! [`DialInput`]s and performs the [`DialAction`]s. Rules:
//! - The agent's INVITE is answered only when the remote party answers
//!   (180 while it rings, so the phone plays ringback); a refusal is passed
//!   back as the phone's final response (busy stays busy, an unknown number
//!   stays not found; anything the phone cannot act on is 503).
//! - Nobody answers within [`RING_LIMIT`]: the remote leg is cancelled and
//!   the phone gets 480.
//! - A carrier's 401 or 407 to our INVITE is answered with digest
//!   credentials (the trunk's carrier account) once per nonce, at most
//!   [`MAX_CHALLENGES`] times: the INVITE is sent again in the same dialog
//!   (the transaction layer ACKed the challenge). A challenge repeated for a
//!   nonce already answered means the credentials are wrong; one without
//!   credentials to answer it with is a failure like any other (503).
//! - While the call lasts the agent is kept from queue offers (the dispatch
//!   core holds them as on a transfer), when they were free to take one.
//! - The record is outbound: the agent, the number dialled, DialingLength,
//!   and who hung up; an agent who gives up before the answer leaves an
//!   abandoned record.
//! - An internal call rings an agent only when dispatch reserved them (logged
//!   in, free, and Available or in a Transferable status, as for a transfer);
//!   otherwise the phone gets 486. The reservation keeps queue offers from the
//!   called agent while the call lasts and is freed at its end. It leaves no
//!   record: it is no customer's interaction.
//! - An answered internal call may be handed over: the agent's queue call
//!   takes the called agent's leg (and their reservation, under which it
//!   records them), and the consulting agent's leg is hung up.

use std::collections::VecDeque;
use std::time::Duration;

use crate::acd::{self, AgentId, CallId, Millis};
use crate::cdr::{self, CallEvent, InteractionRecord, RecordBuilder};

use super::flow::RecordWrite;

/// How long the remote party may ring before the attempt is given up.
pub const RING_LIMIT: Duration = Duration::from_secs(60);

/// How many challenges of the remote leg are answered at most.
pub const MAX_CHALLENGES: usize = 3;

/// What the call task tells the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialInput {
    /// The remote party is ringing (a 18x).
    RemoteRinging,
    /// The remote party answered; its media is known.
    RemoteAnswered,
    /// The remote leg ended without an answer, with this final status (0:
    /// no response or no way to send).
    RemoteMissed { status: u16 },
    /// The remote leg was challenged (401 or 407: `status`); `nonce` is
    /// the challenge's when it can be answered (a digest challenge we
    /// understand, and credentials to answer it with).
    RemoteChallenged { status: u16, nonce: Option<String> },
    /// The remote party hung up.
    RemoteHungUp,
    /// The agent's phone cancelled its INVITE (the layer answered 487).
    AgentCancelled,
    /// The agent's phone ACKed our 200.
    AgentAcked,
    /// Our 200 was never ACKed.
    AgentNeverAcked,
    /// The agent hung up.
    AgentHungUp,
    /// The media has been silent for the RTP timeout.
    MediaSilent,
    /// The SIP core is gone.
    SipGone,
    /// The calling agent's queue call asks for the callee's leg (an attended
    /// transfer whose Replaces names this call).
    HandOver,
}

/// Who the agent calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// A number through a trunk; `arrival` starts the outbound record (its
    /// id is the call's).
    Number(cdr::Arrival),
    /// Another agent. Dispatch was asked to reserve them under
    /// `reservation`; `accepted` is its answer.
    Agent {
        agent: AgentId,
        reservation: CallId,
        accepted: bool,
    },
}

/// What the call task must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum DialAction {
    /// Send the INVITE to the trunk; report the outcome.
    RingRemote,
    /// Send the remote leg's INVITE again, answering the challenge just
    /// received; report a failure to send as [`DialInput::RemoteMissed`].
    AuthorizeRemote,
    /// 180 to the agent's phone.
    Ringing,
    /// 200 with our SDP to the agent's phone.
    Answer,
    /// A final error to the agent's phone.
    Refuse {
        status: u16,
    },
    /// Bridge the agent's media with the remote party's.
    Bridge,
    /// CANCEL or BYE the remote leg, as it stands, and free it.
    HangUpRemote,
    /// Free the remote leg, whose dialog is over.
    CloseRemote,
    /// BYE to the agent's phone.
    ByeAgent,
    /// Give the answered remote leg to the queue call that asked for it
    /// ([`DialInput::HandOver`]); it is this call's no more.
    GiveRemote,
    /// Free the agent leg's media and dialog.
    CloseAgent,
    Dispatch(acd::Event),
    Record(RecordWrite, Box<InteractionRecord>),
    /// The call is over and its record written.
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Dialling { rung: bool },
    Connected,
    Ended,
}

/// The agent an internal call rings, and dispatch's reservation of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reserved {
    agent: AgentId,
    reservation: CallId,
}

/// One outbound or internal call.
#[derive(Debug)]
pub struct DialFlow {
    id: CallId,
    phase: Phase,
    /// The outbound record; an internal call has none.
    record: Option<RecordBuilder>,
    /// The called agent of an internal call, while the reservation is ours.
    reserved: Option<Reserved>,
    acked: bool,
    /// The nonces of the remote leg's challenges answered so far.
    answered_nonces: Vec<String>,
    ring_deadline: Option<Millis>,
    ack_deadline: Option<Millis>,
    ack_wait: Duration,
    actions: VecDeque<DialAction>,
}

impl DialFlow {
    /// `agent` dials out at `now`; `arrival` is the record's start (its id
    /// is the call's, its direction outbound).
    pub fn new(
        now: Millis,
        agent: AgentId,
        arrival: cdr::Arrival,
        config: cdr::RecordConfig,
        ack_wait: Duration,
    ) -> DialFlow {
        let id = CallId(arrival.id.0);
        DialFlow::calling(now, id, agent, Callee::Number(arrival), config, ack_wait)
    }

    /// `agent` calls `callee` at `now` under the call id `id`.
    pub fn calling(
        now: Millis,
        id: CallId,
        agent: AgentId,
        callee: Callee,
        config: cdr::RecordConfig,
        ack_wait: Duration,
    ) -> DialFlow {
        let mut flow = DialFlow {
            id,
            phase: Phase::Dialling { rung: false },
            record: None,
            reserved: None,
            acked: false,
            answered_nonces: Vec::new(),
            ring_deadline: Some(now + RING_LIMIT),
            ack_deadline: None,
            ack_wait,
            actions: VecDeque::new(),
        };
        match callee {
            Callee::Number(arrival) => {
                flow.record = Some(RecordBuilder::new(now, arrival, config));
                flow.note(now, CallEvent::Dialling { agent });
                flow.write(RecordWrite::Open);
            }
            Callee::Agent {
                accepted: false, ..
            } => {
                // Busy, away, or not working: dispatch keeps them free of
                // calls they did not choose.
                flow.push(DialAction::Refuse { status: 486 });
                flow.end(now, CallEvent::Failed);
                return flow;
            }
            Callee::Agent {
                agent: callee,
                reservation,
                accepted: true,
            } => {
                flow.reserved = Some(Reserved {
                    agent: callee,
                    reservation,
                });
            }
        }
        flow.push(DialAction::Dispatch(acd::Event::TransferStarted {
            call: id,
            agent,
        }));
        flow.push(DialAction::RingRemote);
        flow
    }

    /// The outbound record as it stands; an internal call has none.
    pub fn record(&self) -> Option<&InteractionRecord> {
        self.record.as_ref().map(RecordBuilder::record)
    }

    /// The agent an internal call rings, while the call holds them.
    pub fn callee_agent(&self) -> Option<AgentId> {
        self.reserved.map(|r| r.agent)
    }

    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    pub fn poll_action(&mut self) -> Option<DialAction> {
        self.actions.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        [self.ring_deadline, self.ack_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.ring_deadline.is_some_and(|d| d <= now) {
            self.ring_deadline = None;
            if matches!(self.phase, Phase::Dialling { .. }) {
                tracing::info!("the remote party did not answer in time");
                self.push(DialAction::HangUpRemote);
                self.push(DialAction::Refuse { status: 480 });
                self.end(now, CallEvent::Failed);
            }
        }
        if self.ack_deadline.is_some_and(|d| d <= now) {
            self.ack_deadline = None;
            if !self.acked && self.phase == Phase::Connected {
                tracing::info!("the agent's phone never acknowledged the answer");
                self.push(DialAction::ByeAgent);
                self.push(DialAction::HangUpRemote);
                self.end(now, CallEvent::SystemEnded);
            }
        }
    }

    pub fn handle(&mut self, now: Millis, input: DialInput) {
        match (self.phase, input) {
            (Phase::Dialling { rung: false }, DialInput::RemoteRinging) => {
                self.phase = Phase::Dialling { rung: true };
                self.push(DialAction::Ringing);
            }
            (Phase::Dialling { .. }, DialInput::RemoteAnswered) => {
                self.phase = Phase::Connected;
                self.ring_deadline = None;
                self.ack_deadline = Some(now + self.ack_wait);
                self.note(now, CallEvent::RemoteAnswered);
                self.write(RecordWrite::Checkpoint);
                self.push(DialAction::Answer);
                self.push(DialAction::Bridge);
            }
            (Phase::Dialling { .. }, DialInput::RemoteMissed { status }) => {
                self.missed(now, status)
            }
            (Phase::Dialling { .. }, DialInput::RemoteChallenged { status, nonce }) => {
                match nonce.filter(|n| self.may_answer(n)) {
                    Some(nonce) => {
                        self.answered_nonces.push(nonce);
                        self.push(DialAction::AuthorizeRemote);
                    }
                    None => self.missed(now, status),
                }
            }
            (Phase::Dialling { .. }, DialInput::AgentCancelled) => {
                self.push(DialAction::HangUpRemote);
                self.end(now, CallEvent::AgentHungUp);
            }
            (Phase::Connected, DialInput::AgentAcked) => {
                self.acked = true;
                self.ack_deadline = None;
            }
            (Phase::Connected, DialInput::AgentHungUp) => {
                self.push(DialAction::HangUpRemote);
                self.end(now, CallEvent::AgentHungUp);
            }
            (Phase::Connected, DialInput::RemoteHungUp) => {
                self.push(DialAction::CloseRemote);
                self.push(DialAction::ByeAgent);
                self.end(now, CallEvent::CallerHungUp);
            }
            (Phase::Connected, DialInput::AgentNeverAcked | DialInput::MediaSilent) => {
                self.push(DialAction::ByeAgent);
                self.push(DialAction::HangUpRemote);
                self.end(now, CallEvent::SystemEnded);
            }
            (Phase::Dialling { .. }, DialInput::SipGone) => {
                self.push(DialAction::HangUpRemote);
                self.end(now, CallEvent::SystemEnded);
            }
            (Phase::Connected, DialInput::SipGone) => {
                self.push(DialAction::HangUpRemote);
                self.end(now, CallEvent::SystemEnded);
            }
            (Phase::Connected, DialInput::HandOver) if self.reserved.is_some() => {
                // The queue call takes the callee and their reservation; the
                // consulting agent's part is over (RFC 5589 section 7.1: the
                // replaced dialog ends).
                self.reserved = None;
                self.push(DialAction::GiveRemote);
                self.push(DialAction::ByeAgent);
                self.end(now, CallEvent::SystemEnded);
            }
            _ => {}
        }
    }

    /// The remote leg ended without an answer.
    fn missed(&mut self, now: Millis, status: u16) {
        self.push(DialAction::CloseRemote);
        self.push(DialAction::Refuse {
            status: refusal_for(status),
        });
        self.end(now, CallEvent::Failed);
    }

    /// Whether a challenge with `nonce` is answered: a nonce not answered
    /// before (else the credentials were refused), within the limit.
    fn may_answer(&self, nonce: &str) -> bool {
        !self.answered_nonces.iter().any(|n| n == nonce)
            && self.answered_nonces.len() < MAX_CHALLENGES
    }

    fn end(&mut self, now: Millis, why: CallEvent) {
        self.phase = Phase::Ended;
        self.ring_deadline = None;
        self.ack_deadline = None;
        self.note(now, why);
        // Outbound calls have no after-call work yet.
        self.note(now, CallEvent::AcwEnded);
        self.push(DialAction::CloseAgent);
        self.push(DialAction::Dispatch(acd::Event::Hangup { call: self.id }));
        if let Some(r) = self.reserved.take() {
            self.push(DialAction::Dispatch(acd::Event::Hangup {
                call: r.reservation,
            }));
        }
        if self.record.is_some() {
            self.write(RecordWrite::Complete);
        }
        self.push(DialAction::Finished);
    }

    fn note(&mut self, now: Millis, event: CallEvent) {
        if let Some(record) = self.record.as_mut() {
            record.note(now, event);
        }
    }

    fn write(&mut self, how: RecordWrite) {
        if let Some(record) = &self.record {
            self.push(DialAction::Record(how, record.snapshot()));
        }
    }

    fn push(&mut self, action: DialAction) {
        self.actions.push_back(action);
    }
}

/// The final response the agent's phone gets for the remote leg's `status`.
pub fn refusal_for(status: u16) -> u16 {
    match status {
        486 | 600 => 486,
        603 => 603,
        404 | 484 | 604 => 404,
        408 | 480 | 487 => 480,
        // Credentials the trunk asks for, redirects, or no response at all:
        // nothing the phone can act on.
        0 | 300..=399 | 401 | 407 => 503,
        400..=699 => status,
        _ => 503,
    }
}

#[cfg(test)]
mod tests;
