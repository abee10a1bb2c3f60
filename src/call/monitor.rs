//! A supervisor monitoring a queue call, as a sans-IO core: listen, whisper
//! and barge (issue 13). [`MonitorFlow`] takes the time with every input and
//! holds no socket or clock; the queue call's task
//! ([`super::queue_call`]) turns API requests and the supervisor phone's
//! SIP events into [`MonitorInput`]s and performs the [`MonitorAction`]s.
//!
//! Rules:
//! - Only a call bridged to an agent can be monitored, only by a supervisor
//!   who may see its queue and has a registered phone, and by one
//!   supervisor at a time (refused in that order).
//! - The supervisor's own phone is rung; when it answers, its leg is mixed
//!   with the call in the mode asked for ([`crate::media::mixer`] says who
//!   hears whom). A phone that refuses (486, 603...) or cannot be reached
//!   (480, 408, ...) or does not answer within [`RING_LIMIT`] fails the
//!   monitor, with the status for the API.
//! - The mode may change at any time, ringing or joined, without ringing
//!   again.
//! - The supervisor hanging up ends the monitor only; the call goes on.
//! - The call leaving its agent (either side hangs up, a transfer) ends the
//!   monitor and hangs up the supervisor's phone.

use std::collections::VecDeque;
use std::time::Duration;

use crate::acd::{AgentId, CallId, Millis, QueueId};
use crate::media::mixer::MonitorMode;

/// How long the supervisor's phone may ring.
pub const RING_LIMIT: Duration = Duration::from_secs(30);

/// A monitor's id, unique in this process's calls (random, like call ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct MonitorId(pub u64);

/// Who asks to monitor which call, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorRequest {
    pub id: MonitorId,
    /// The call id the supervisor named.
    pub call: CallId,
    /// The supervisor (a user, as dispatch numbers agents).
    pub supervisor: AgentId,
    /// The supervisor's address-of-record, whose phones are rung; none
    /// when no phone of theirs is registered.
    pub aor: Option<String>,
    pub mode: MonitorMode,
}

/// Where a monitor stands, as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorState {
    /// The supervisor's phone rings.
    Ringing,
    /// The supervisor is mixed into the call.
    Active,
    /// The phone refused or could not be reached: its final status (408:
    /// no answer in time).
    Failed { status: u16 },
    /// Stopped, hung up, or the call left its agent.
    Ended,
}

/// A monitor and its state, for the board the API reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorStatus {
    pub id: MonitorId,
    pub call: CallId,
    pub supervisor: AgentId,
    pub mode: MonitorMode,
    pub state: MonitorState,
}

impl MonitorStatus {
    /// Ringing or active.
    pub fn is_live(&self) -> bool {
        matches!(self.state, MonitorState::Ringing | MonitorState::Active)
    }
}

/// The queues a supervisor may see (`queue.all`, or `queue.<id>` each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueScope {
    All,
    Only(Vec<QueueId>),
}

impl QueueScope {
    pub fn sees(&self, queue: QueueId) -> bool {
        match self {
            QueueScope::All => true,
            QueueScope::Only(queues) => queues.contains(&queue),
        }
    }
}

/// What the task tells the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorInput {
    /// A supervisor asks to monitor the call, now bridged to `connected`
    /// (none: not connected); `in_scope` when they may see its queue.
    Ask {
        request: MonitorRequest,
        connected: Option<AgentId>,
        in_scope: bool,
    },
    /// The supervisor's phone answered.
    PhoneAnswered,
    /// The supervisor's phone refused or failed, with its final status.
    PhoneFailed { status: u16 },
    /// The supervisor hung up (BYE from the phone).
    PhoneHungUp,
    /// The supervisor changes the mode.
    ChangeMode { mode: MonitorMode },
    /// The supervisor stops monitoring.
    Stop,
    /// The agent the call is bridged to now (none: no longer connected).
    Connected(Option<AgentId>),
}

/// The answer to the supervisor's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorVerdict {
    /// The phone rings; the monitor has this id.
    Ringing(MonitorId),
    /// The call is not bridged to an agent.
    NotConnected,
    /// The call's queue is outside the supervisor's queues.
    OutOfScope,
    /// The call is monitored already.
    Busy,
    /// The supervisor has no registered phone.
    NoPhone,
    /// The mode was changed.
    Changed,
    /// The monitor was stopped.
    Stopped,
    /// There is no monitor to change or stop.
    NotMonitored,
}

/// Counted in the call metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorCount {
    Started,
    Failed,
}

/// What the task must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorAction {
    /// Answer the request being handled.
    Answer(MonitorVerdict),
    /// Open a leg on the caller's worker and ring the supervisor's phones at
    /// `aor`; report [`MonitorInput::PhoneAnswered`] or `PhoneFailed`.
    Ring {
        supervisor: AgentId,
        aor: String,
    },
    /// Mix the supervisor's leg with the caller and `agent`.
    Join {
        agent: AgentId,
        mode: MonitorMode,
    },
    /// Change the mix's mode.
    SetMode(MonitorMode),
    /// End the mix (the caller and agent are relayed again).
    Leave,
    /// CANCEL or BYE the supervisor's leg, as it stands, and free it.
    HangUp,
    /// Free the supervisor's leg, whose dialog is over.
    Close,
    /// The monitor's new status, for the board.
    Publish(MonitorStatus),
    Count(MonitorCount),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Idle,
    Ringing {
        request: MonitorRequest,
        agent: AgentId,
        until: Millis,
    },
    Joined {
        request: MonitorRequest,
        agent: AgentId,
    },
}

/// The monitor of one call (one supervisor at a time).
#[derive(Debug)]
pub struct MonitorFlow {
    state: State,
    actions: VecDeque<MonitorAction>,
}

impl Default for MonitorFlow {
    fn default() -> Self {
        MonitorFlow::new()
    }
}

impl MonitorFlow {
    pub fn new() -> Self {
        MonitorFlow {
            state: State::Idle,
            actions: VecDeque::new(),
        }
    }

    /// The next thing to do.
    pub fn poll_action(&mut self) -> Option<MonitorAction> {
        self.actions.pop_front()
    }

    /// When [`MonitorFlow::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match &self.state {
            State::Ringing { until, .. } => Some(*until),
            _ => None,
        }
    }

    /// Whether a monitor is ringing or joined.
    pub fn is_active(&self) -> bool {
        self.state != State::Idle
    }

    /// The agent whose bridge is monitored (ringing or joined).
    pub fn agent(&self) -> Option<AgentId> {
        match &self.state {
            State::Idle => None,
            State::Ringing { agent, .. } | State::Joined { agent, .. } => Some(*agent),
        }
    }

    pub fn handle(&mut self, now: Millis, input: MonitorInput) {
        let state = std::mem::replace(&mut self.state, State::Idle);
        self.state = match (state, input) {
            (
                State::Idle,
                MonitorInput::Ask {
                    request,
                    connected,
                    in_scope,
                },
            ) => {
                let refusal = match (connected, &request.aor) {
                    _ if !in_scope => Some(MonitorVerdict::OutOfScope),
                    (None, _) => Some(MonitorVerdict::NotConnected),
                    (_, None) => Some(MonitorVerdict::NoPhone),
                    _ => None,
                };
                match (refusal, connected, request.aor.clone()) {
                    (None, Some(agent), Some(aor)) => {
                        self.push(MonitorAction::Ring {
                            supervisor: request.supervisor,
                            aor,
                        });
                        self.push(MonitorAction::Answer(MonitorVerdict::Ringing(request.id)));
                        self.publish(&request, MonitorState::Ringing);
                        State::Ringing {
                            until: now + RING_LIMIT,
                            request,
                            agent,
                        }
                    }
                    (refusal, _, _) => {
                        let verdict = refusal.unwrap_or(MonitorVerdict::NotConnected);
                        self.push(MonitorAction::Answer(verdict));
                        State::Idle
                    }
                }
            }
            (state, MonitorInput::Ask { .. }) => {
                self.push(MonitorAction::Answer(MonitorVerdict::Busy));
                state
            }
            (State::Ringing { request, agent, .. }, MonitorInput::PhoneAnswered) => {
                self.push(MonitorAction::Join {
                    agent,
                    mode: request.mode,
                });
                self.push(MonitorAction::Count(MonitorCount::Started));
                self.publish(&request, MonitorState::Active);
                State::Joined { request, agent }
            }
            (State::Ringing { request, .. }, MonitorInput::PhoneFailed { status }) => {
                self.push(MonitorAction::Close);
                self.fail(&request, status);
                State::Idle
            }
            (State::Joined { request, .. }, MonitorInput::PhoneHungUp) => {
                self.push(MonitorAction::Leave);
                self.push(MonitorAction::Close);
                self.publish(&request, MonitorState::Ended);
                State::Idle
            }
            (
                State::Ringing {
                    mut request,
                    agent,
                    until,
                },
                MonitorInput::ChangeMode { mode },
            ) => {
                request.mode = mode;
                self.push(MonitorAction::Answer(MonitorVerdict::Changed));
                self.publish(&request, MonitorState::Ringing);
                State::Ringing {
                    request,
                    agent,
                    until,
                }
            }
            (State::Joined { mut request, agent }, MonitorInput::ChangeMode { mode }) => {
                if request.mode != mode {
                    request.mode = mode;
                    self.push(MonitorAction::SetMode(mode));
                }
                self.push(MonitorAction::Answer(MonitorVerdict::Changed));
                self.publish(&request, MonitorState::Active);
                State::Joined { request, agent }
            }
            (State::Idle, MonitorInput::ChangeMode { .. } | MonitorInput::Stop) => {
                self.push(MonitorAction::Answer(MonitorVerdict::NotMonitored));
                State::Idle
            }
            (state @ (State::Ringing { .. } | State::Joined { .. }), MonitorInput::Stop) => {
                self.end(state);
                self.push(MonitorAction::Answer(MonitorVerdict::Stopped));
                State::Idle
            }
            (state, MonitorInput::Connected(now_with)) => match &state {
                State::Ringing { agent, .. } | State::Joined { agent, .. }
                    if now_with != Some(*agent) =>
                {
                    self.end(state);
                    State::Idle
                }
                _ => state,
            },
            // A phone's late answer or failure after the monitor ended.
            (state, _) => state,
        };
    }

    /// The ring limit passed: the phone is hung up and the monitor fails.
    pub fn handle_timeout(&mut self, now: Millis) {
        if let State::Ringing { until, .. } = &self.state {
            if now >= *until {
                let State::Ringing { request, .. } =
                    std::mem::replace(&mut self.state, State::Idle)
                else {
                    return;
                };
                self.push(MonitorAction::HangUp);
                self.fail(&request, 408);
            }
        }
    }

    /// Ends a ringing or joined monitor: the phone is hung up.
    fn end(&mut self, state: State) {
        match state {
            State::Ringing { request, .. } => {
                self.push(MonitorAction::HangUp);
                self.publish(&request, MonitorState::Ended);
            }
            State::Joined { request, .. } => {
                self.push(MonitorAction::Leave);
                self.push(MonitorAction::HangUp);
                self.publish(&request, MonitorState::Ended);
            }
            State::Idle => {}
        }
    }

    fn fail(&mut self, request: &MonitorRequest, status: u16) {
        self.push(MonitorAction::Count(MonitorCount::Failed));
        self.publish(request, MonitorState::Failed { status });
    }

    fn publish(&mut self, request: &MonitorRequest, state: MonitorState) {
        self.push(MonitorAction::Publish(MonitorStatus {
            id: request.id,
            call: request.call,
            supervisor: request.supervisor,
            mode: request.mode,
            state,
        }));
    }

    fn push(&mut self, action: MonitorAction) {
        self.actions.push_back(action);
    }
}

#[cfg(test)]
mod tests;
