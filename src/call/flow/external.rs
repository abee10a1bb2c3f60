//! A blind transfer to an external number: the connected agent's REFER (or
//! panel transfer) names a number that no queue or extension takes but an
//! outbound route of the project does, and the agent's Dial Plan permission
//! lets them use it. The shell resolved the route; this part of the core
//! decides the rest:
//! - The request is taken at once (a REFER's 202 and a NOTIFY of 100
//!   Trying, [`Action::TransferPending`]) and the number is dialled
//!   ([`Action::RingExternal`]); the caller stays bridged with the agent
//!   meanwhile.
//! - On the answer, the caller is bridged with the external party, the
//!   transfer succeeds (the final NOTIFY of 200), the agent's leg is hung up
//!   and their after-call work starts. The record notes TransferType blind
//!   and TransferTarget `external-<number>`; it is the call's last: no queue
//!   or agent of ours serves the rest of it.
//! - On a failure (busy, no answer, a refusal, [`RING_LIMIT`] without an
//!   answer) the transfer fails with that status and the caller stays with
//!   the agent, as before the request.
//! - A call that ends while the number rings hangs up the external leg; one
//!   that ends while the caller talks to the external party hangs it up too.

use super::{Action, CallEvent, CallFlow, Count, Millis, Phase, TransferType, TransferVerdict};
use crate::acd::{self, AgentId};
use crate::call::dial::RING_LIMIT;
use crate::media::prompts::Prompt;

/// The transfer under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct External {
    /// The agent who asked for it.
    agent: AgentId,
    /// The number as the agent gave it.
    number: String,
    /// While it rings: when it is given up.
    deadline: Option<Millis>,
}

impl CallFlow {
    /// `agent` sends the caller to `number` (the checks are done).
    pub(super) fn start_external(&mut self, now: Millis, agent: AgentId, number: String) {
        self.push(Action::TransferPending);
        self.push(Action::RingExternal {
            number: number.clone(),
        });
        self.external = Some(External {
            agent,
            number,
            deadline: Some(now + RING_LIMIT),
        });
    }

    /// Whether `agent`'s transfer to a number is ringing.
    pub(super) fn external_ringing_for(&self, agent: AgentId) -> bool {
        self.external
            .as_ref()
            .is_some_and(|e| e.agent == agent && e.deadline.is_some())
    }

    /// The agent hung up while the number rings: the transfer stands.
    pub(super) fn agent_left_external(&mut self, now: Millis) {
        self.agent_part_ends(now);
        if let Some(answered) = self.agent.take() {
            // Their BYE ended the dialog already.
            self.push(Action::Unbridge);
            self.push(Action::CloseAgent {
                agent: answered.agent,
            });
        }
        self.drop_agents();
        self.dispatch(acd::Event::Hangup { call: self.id });
        self.write(super::RecordWrite::Checkpoint);
        self.phase = Phase::External;
        self.push(Action::PlayHoldMusic {
            queue: self.queue.clone(),
        });
    }

    /// The record's transfer and the end of the agent's part.
    fn agent_part_ends(&mut self, now: Millis) {
        let Some(ext) = self.external.as_ref() else {
            return;
        };
        let target = format!("external-{}", ext.number);
        let direct = self.agent.is_some_and(|a| a.direct);
        self.note(
            now,
            CallEvent::Transferred {
                target,
                kind: TransferType::Blind,
            },
        );
        self.note(now, CallEvent::AgentHungUp);
        if direct {
            self.note(now, CallEvent::AcwEnded);
        }
    }

    /// The external party answered: the caller is theirs.
    pub(super) fn external_answered(&mut self, now: Millis) {
        let ringing = self.external.as_ref().is_some_and(|e| e.deadline.is_some());
        let Some(ext) = self.external.as_mut().filter(|_| ringing) else {
            return;
        };
        ext.deadline = None;
        let agent = ext.agent;
        if self.phase == Phase::External {
            // The agent left while it rang: the caller on hold takes it.
            self.count(Count::Transfers);
            self.push(Action::TransferVerdict(TransferVerdict::Accepted));
            self.push(Action::BridgeExternal);
            return;
        }
        if self.connected_agent() != Some(agent) {
            // The agent's part ended meanwhile; the call is ending.
            self.drop_external();
            return;
        }
        self.count(Count::Transfers);
        self.push(Action::TransferVerdict(TransferVerdict::Accepted));
        self.agent_part_ends(now);
        self.drop_agents();
        self.dispatch(acd::Event::Hangup { call: self.id });
        self.write(super::RecordWrite::Checkpoint);
        self.phase = Phase::External;
        self.push(Action::BridgeExternal);
    }

    /// The number did not answer: the caller stays with the agent, or,
    /// when the agent has left, hears the goodbye prompt.
    pub(super) fn external_missed(&mut self, now: Millis, status: u16) {
        if self.external.as_ref().is_none_or(|e| e.deadline.is_none()) {
            return;
        }
        self.external = None;
        self.push(Action::CloseExternal);
        let status = if status == 0 { 408 } else { status };
        self.transfer_failed(now, status);
    }

    fn transfer_failed(&mut self, now: Millis, status: u16) {
        self.count(Count::TransfersRefused);
        self.push(Action::TransferVerdict(TransferVerdict::Failed { status }));
        if self.phase == Phase::External {
            self.goodbye(now, Prompt::Goodbye);
        }
    }

    /// The external party hung up after answering: the call is over.
    pub(super) fn external_hung_up(&mut self, now: Millis) {
        if self.phase != Phase::External {
            return;
        }
        self.external = None;
        self.push(Action::CloseExternal);
        self.end(now, CallEvent::SystemEnded);
    }

    /// When the ringing number is given up.
    pub(super) fn external_deadline(&self) -> Option<Millis> {
        self.external.as_ref().and_then(|e| e.deadline)
    }

    pub(super) fn external_timeout(&mut self, now: Millis) {
        if self.external_deadline().is_some_and(|d| d <= now) {
            self.external = None;
            self.push(Action::HangUpExternal);
            self.transfer_failed(now, 480);
        }
    }

    /// The call ends: the external leg goes with it; a transfer still
    /// ringing has failed.
    pub(super) fn drop_external(&mut self) {
        let Some(ext) = self.external.take() else {
            return;
        };
        self.push(Action::HangUpExternal);
        if ext.deadline.is_some() {
            self.push(Action::TransferVerdict(TransferVerdict::Failed {
                status: 487,
            }));
        }
    }
}
