//! One attempt at a callback as a sans-IO core: the dispatch core offers a
//! waiting callback to an agent, and call control rings the agent first,
//! then dials the customer from the agent's leg and bridges the two.
//!
//! [`AttemptFlow`] takes the time with every input and holds no socket or
//! clock; the attempt's task ([`super::callback_call`]) turns SIP events into
//! [`AttemptInput`]s and performs the [`AttemptAction`]s. Rules:
//! - The agent's phone rings like a queue offer; a rejection or a miss is
//!   reported to dispatch as for a call (`OfferRejected`, `OfferFailed`),
//!   and an offer dispatch withdraws (the agent timeout) is hung up.
//! - Once the agent answers, dispatch is told (`OfferAccepted`: the agent is
//!   In Call and the callback is dialling) and the customer is dialled
//!   through the project's outbound route, with the queue's caller ID.
//! - The customer answers: dispatch hears `CallbackConnected`, the legs are
//!   bridged, and it goes on as a connected call (hang-up, after-call work,
//!   result). The customer cannot be reached (busy, no answer within
//!   [`RING_LIMIT`], refused, no route): `CallbackUnreachable`, with a retry
//!   unless the number itself is wrong (not found, declined), and the agent
//!   is hung up. An agent who hangs up before the customer answers cancels
//!   the callback (dispatch ends it as cancelled).
//! - Each dial leaves an outbound record on the queue's behalf: the agent,
//!   the customer's number, DialingLength, who hung up, and the after-call
//!   work's result, completed when dispatch reports the after-call work over
//!   (or its grace has passed).

use std::collections::VecDeque;
use std::time::Duration;

use crate::acd::{self, AgentId, CallId, Millis};
use crate::cdr::{self, CallEvent, InteractionRecord, RecordBuilder};
use crate::store::admin::queues::RecordingMode;

use super::dial::RING_LIMIT;
use super::flow::{RecordWrite, ACW_GRACE};

/// What the attempt's task tells the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptInput {
    /// The agent's phone answered (and was acknowledged).
    AgentAnswered,
    /// The agent's phone did not answer: refused, or failed.
    AgentMissed {
        rejected: bool,
    },
    /// Dispatch withdrew the offer (the agent timeout passed).
    OfferCancelled,
    /// The customer's phone rings.
    CustomerRinging,
    /// The customer answered.
    CustomerAnswered,
    /// The customer's leg ended without an answer, with this final status
    /// (0: no response, or it could not be sent).
    CustomerMissed {
        status: u16,
    },
    /// No outbound route or trunk takes the customer's number.
    Unroutable,
    CustomerHungUp,
    AgentHungUp,
    /// A record event from dispatch (after-call work over, the result).
    Record(CallEvent),
    /// The bridge is being recorded into `file`.
    Recording {
        file: String,
    },
    /// The SIP core is gone.
    SipGone,
}

/// What the task must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptAction {
    /// Open the agent's leg and ring their registered phones; report
    /// [`AttemptInput::AgentAnswered`] or [`AttemptInput::AgentMissed`].
    RingAgent,
    /// CANCEL or BYE the agent's leg, as it stands, and free it.
    HangUpAgent,
    /// Free the agent's leg, whose dialog is over.
    CloseAgent,
    /// Open the customer's leg and send its INVITE through the route's
    /// trunk; report the customer's progress.
    DialCustomer,
    /// CANCEL or BYE the customer's leg, as it stands, and free it.
    HangUpCustomer,
    /// Free the customer's leg, whose dialog is over.
    CloseCustomer,
    /// Bridge the agent's media with the customer's.
    Bridge,
    /// Record the bridge for the record `interaction`; answer with
    /// [`AttemptInput::Recording`].
    StartRecording {
        interaction: u64,
    },
    Dispatch(acd::Event),
    Record(RecordWrite, Box<InteractionRecord>),
    /// The callback was connected (for its stored request).
    Connected,
    /// The offer went nowhere: the callback waits in its queue again (for
    /// its stored request).
    BackInQueue,
    /// The attempt is over and its record written.
    Finished,
}

/// What the attempt knows of its callback and queue.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The callback's id in the dispatch core.
    pub callback: CallId,
    pub agent: AgentId,
    pub queue: acd::QueueId,
    pub project: acd::ProjectId,
    /// The queue's after-call work, for how long the record waits for it.
    pub after_call_work: Duration,
    pub recording: RecordingMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    RingingAgent,
    Dialling,
    Connected,
    /// Both legs are over; the record waits for the after-call work.
    Ended,
    Finished,
}

/// One attempt at a callback.
#[derive(Debug)]
pub struct AttemptFlow {
    attempt: Attempt,
    phase: Phase,
    /// The record opened when the customer is dialled.
    arrival: cdr::Arrival,
    config: cdr::RecordConfig,
    record: Option<RecordBuilder>,
    ring_deadline: Option<Millis>,
    acw_deadline: Option<Millis>,
    actions: VecDeque<AttemptAction>,
}

impl AttemptFlow {
    /// Dispatch offered the callback to the agent at `now`; `arrival` is the
    /// record a dial would open (outbound, the customer's number).
    pub fn new(attempt: Attempt, arrival: cdr::Arrival, config: cdr::RecordConfig) -> AttemptFlow {
        let mut flow = AttemptFlow {
            attempt,
            phase: Phase::RingingAgent,
            arrival,
            config,
            record: None,
            ring_deadline: None,
            acw_deadline: None,
            actions: VecDeque::new(),
        };
        flow.push(AttemptAction::RingAgent);
        flow
    }

    /// The record as it stands, once the customer is dialled.
    pub fn record(&self) -> Option<&InteractionRecord> {
        self.record.as_ref().map(RecordBuilder::record)
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    pub fn poll_action(&mut self) -> Option<AttemptAction> {
        self.actions.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        [self.ring_deadline, self.acw_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.ring_deadline.is_some_and(|d| d <= now) {
            self.ring_deadline = None;
            if self.phase == Phase::Dialling {
                tracing::info!("the customer did not answer in time");
                self.push(AttemptAction::HangUpCustomer);
                self.unreachable(now, true);
            }
        }
        if self.acw_deadline.is_some_and(|d| d <= now) && self.phase == Phase::Ended {
            tracing::warn!("after-call work never reported over: record written as it stands");
            self.finish();
        }
    }

    pub fn handle(&mut self, now: Millis, input: AttemptInput) {
        let call = self.attempt.callback;
        let agent = self.attempt.agent;
        match (self.phase, input) {
            (Phase::RingingAgent, AttemptInput::AgentAnswered) => {
                self.phase = Phase::Dialling;
                self.ring_deadline = Some(now + RING_LIMIT);
                self.dispatch(acd::Event::OfferAccepted { call, agent });
                let record = RecordBuilder::new(now, self.arrival.clone(), self.config)
                    .on_behalf_of(self.attempt.queue, self.attempt.project);
                self.record = Some(record);
                self.note(now, CallEvent::Dialling { agent });
                self.write(RecordWrite::Open);
                self.push(AttemptAction::DialCustomer);
            }
            (Phase::RingingAgent, AttemptInput::AgentMissed { rejected }) => {
                self.push(AttemptAction::CloseAgent);
                self.dispatch(if rejected {
                    acd::Event::OfferRejected { call, agent }
                } else {
                    acd::Event::OfferFailed { call, agent }
                });
                self.push(AttemptAction::BackInQueue);
                self.finish();
            }
            (Phase::RingingAgent, AttemptInput::OfferCancelled | AttemptInput::SipGone) => {
                self.push(AttemptAction::HangUpAgent);
                self.dispatch(acd::Event::OfferFailed { call, agent });
                self.push(AttemptAction::BackInQueue);
                self.finish();
            }
            (Phase::Dialling, AttemptInput::CustomerAnswered) => {
                self.phase = Phase::Connected;
                self.ring_deadline = None;
                self.dispatch(acd::Event::CallbackConnected { call });
                self.push(AttemptAction::Connected);
                self.note(now, CallEvent::RemoteAnswered);
                self.write(RecordWrite::Checkpoint);
                self.push(AttemptAction::Bridge);
                if self.attempt.recording == RecordingMode::Always {
                    let interaction = self.arrival.id.0;
                    self.push(AttemptAction::StartRecording { interaction });
                }
            }
            (Phase::Dialling, AttemptInput::CustomerMissed { status }) => {
                self.push(AttemptAction::CloseCustomer);
                self.unreachable(now, worth_retrying(status));
            }
            (Phase::Dialling, AttemptInput::Unroutable) => self.unreachable(now, false),
            (Phase::Dialling, AttemptInput::AgentHungUp | AttemptInput::SipGone) => {
                self.push(AttemptAction::HangUpCustomer);
                self.push(AttemptAction::CloseAgent);
                self.dispatch(acd::Event::Hangup { call });
                self.end(now, CallEvent::AgentHungUp, Duration::ZERO);
            }
            (Phase::Connected, AttemptInput::AgentHungUp) => {
                self.push(AttemptAction::HangUpCustomer);
                self.push(AttemptAction::CloseAgent);
                self.hung_up(now, CallEvent::AgentHungUp);
            }
            (Phase::Connected, AttemptInput::CustomerHungUp) => {
                self.push(AttemptAction::CloseCustomer);
                self.push(AttemptAction::HangUpAgent);
                self.hung_up(now, CallEvent::CallerHungUp);
            }
            (Phase::Connected, AttemptInput::SipGone) => {
                self.push(AttemptAction::HangUpCustomer);
                self.push(AttemptAction::HangUpAgent);
                self.hung_up(now, CallEvent::SystemEnded);
            }
            (Phase::Connected, AttemptInput::Recording { file }) => {
                self.note(now, CallEvent::Recorded { file });
            }
            (Phase::Connected | Phase::Ended, AttemptInput::Record(event)) => {
                let acw_over = event == CallEvent::AcwEnded;
                self.note(now, event);
                if acw_over && self.phase == Phase::Ended {
                    self.finish();
                }
            }
            _ => {}
        }
    }

    /// The customer could not be reached: the agent is hung up and free at
    /// once; dispatch retries the callback later when `retry`.
    fn unreachable(&mut self, now: Millis, retry: bool) {
        let call = self.attempt.callback;
        self.push(AttemptAction::HangUpAgent);
        self.dispatch(acd::Event::CallbackUnreachable { call, retry });
        self.end(now, CallEvent::Failed, Duration::ZERO);
    }

    /// A connected callback ended: dispatch starts the agent's after-call
    /// work, which the record waits for.
    fn hung_up(&mut self, now: Millis, why: CallEvent) {
        let call = self.attempt.callback;
        self.dispatch(acd::Event::Hangup { call });
        self.end(now, why, self.attempt.after_call_work + ACW_GRACE);
    }

    fn end(&mut self, now: Millis, why: CallEvent, acw_wait: Duration) {
        self.ring_deadline = None;
        self.note(now, why);
        if acw_wait.is_zero() {
            // No after-call work follows an attempt that connected nobody.
            self.note(now, CallEvent::AcwEnded);
            self.finish();
        } else {
            self.phase = Phase::Ended;
            self.acw_deadline = Some(now + acw_wait);
            self.write(RecordWrite::Checkpoint);
        }
    }

    fn finish(&mut self) {
        self.phase = Phase::Finished;
        self.acw_deadline = None;
        if self.record.is_some() {
            self.write(RecordWrite::Complete);
        }
        self.push(AttemptAction::Finished);
    }

    fn note(&mut self, now: Millis, event: CallEvent) {
        if let Some(record) = self.record.as_mut() {
            record.note(now, event);
        }
    }

    fn write(&mut self, how: RecordWrite) {
        if let Some(record) = &self.record {
            self.push(AttemptAction::Record(how, record.snapshot()));
        }
    }

    fn dispatch(&mut self, event: acd::Event) {
        self.push(AttemptAction::Dispatch(event));
    }

    fn push(&mut self, action: AttemptAction) {
        self.actions.push_back(action);
    }
}

/// Whether a customer whose leg ended with `status` is worth calling again:
/// busy, no answer and failures are; a number that does not exist, or a
/// customer who declines, is not.
pub fn worth_retrying(status: u16) -> bool {
    !matches!(status, 404 | 484 | 603 | 604)
}

#[cfg(test)]
mod tests;
