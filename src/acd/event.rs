//! What goes into the engine ([`Event`]) and what comes out: [`Action`]s that
//! call control must perform, and [`Notice`]s that report every state change
//! for monitoring and the history log (written elsewhere, by `cdr`/`store`).

use std::time::Duration;

use super::config::{
    ExitTarget, ProjectConfig, QueueConfig, QueueGroupConfig, ResultCodeConfig, StatusConfig,
};
use super::ids::{
    AgentId, CallId, Millis, ProjectId, QueueGroupId, QueueId, ResultCodeId, StatusId,
};

/// An input from call control or from an agent's client.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The agent starts work in `project` with `status`; they join the
    /// project's queues that list them as mandatory, plus `queues`. Logging in
    /// to another project first logs them out of the one they were in.
    AgentLogin {
        agent: AgentId,
        project: ProjectId,
        status: StatusId,
        queues: Vec<QueueId>,
    },
    /// The agent stops work: ringing offers are withdrawn, calls in progress
    /// run to their end.
    AgentLogout {
        agent: AgentId,
    },
    AgentJoinQueue {
        agent: AgentId,
        queue: QueueId,
    },
    /// The agent stops serving the queue (they left it, or were taken off
    /// it): nothing more of it is offered to them. An offer of it ringing
    /// them now may still be answered, and calls in progress run to their
    /// end. Leaving a queue one is not in changes nothing.
    AgentLeaveQueue {
        agent: AgentId,
        queue: QueueId,
    },
    /// `by` picks up the offer of `call` that is ringing `agent` (pickup
    /// groups): every phone it rings is cancelled, nobody is counted a miss,
    /// and the interaction is `by`'s, answered. `by` must be logged in to the
    /// call's project and free as for a transfer; refused otherwise, and for
    /// a callback offer.
    OfferPickedUp {
        call: CallId,
        agent: AgentId,
        by: AgentId,
    },
    /// The agent's dispatch priority, 0 (lowest, every agent's until told)
    /// to 100: within each queue's strategy, a free agent of higher priority
    /// is offered a call before any of lower priority. Kept across logins;
    /// may be sent before the agent first logs in.
    AgentPriority {
        agent: AgentId,
        priority: u8,
    },
    /// The agent chose a status. While in a call or after-call work it takes
    /// effect when they finish.
    AgentStatus {
        agent: AgentId,
        status: StatusId,
    },
    /// An interaction entered a queue. Call ids are never reused for another
    /// interaction; the same call may arrive again once it has left a queue
    /// (sent on by a queue timeout, say), and then queues anew.
    CallArrived {
        call: CallId,
        queue: QueueId,
    },
    /// A waiting interaction given back to a rebuilt engine (the dispatch
    /// task restarted after a failure): it queues like [`Event::CallArrived`],
    /// but its wait counts from `arrived` (when it entered the queue), so its
    /// QueueWaitLength, service level and queue timeout are unchanged. Fed
    /// oldest first, calls keep their order. Not counted as offered again.
    CallResumed {
        call: CallId,
        queue: QueueId,
        arrived: Millis,
    },
    /// The agent answered an offer.
    OfferAccepted {
        call: CallId,
        agent: AgentId,
    },
    /// The agent declined an offer.
    OfferRejected {
        call: CallId,
        agent: AgentId,
    },
    /// The offer could not be delivered (unregistered phone, 480, ...).
    OfferFailed {
        call: CallId,
        agent: AgentId,
    },
    /// The interaction ended: the caller hung up, or either side ended a
    /// connected call or internal transfer. Unknown calls are ignored, so a
    /// late hang-up is harmless.
    Hangup {
        call: CallId,
    },
    /// Call control is putting `call` through to `agent` as an internal
    /// transfer. Refused unless the agent takes transfers
    /// ([`Engine::takes_transfer`](super::Engine::takes_transfer)); while it
    /// lasts (until `Hangup`) the agent is offered nothing else.
    TransferStarted {
        call: CallId,
        agent: AgentId,
    },
    /// The waiting caller asked to leave the queue (DTMF).
    QueueExit {
        call: CallId,
    },
    /// The waiting (or ringing) caller asked to be called back: `call` leaves
    /// the queue ([`Outcome::CallbackRequested`]) and the callback `callback`
    /// takes its place, with its arrival time. Refused for a call that is not
    /// waiting or ringing, or is itself a callback.
    CallbackRequested {
        call: CallId,
        callback: CallId,
    },
    /// A callback joins the queue at the back: one asked for through the API,
    /// or one re-entered at start-up (oldest first, so they keep their order).
    /// `requested` is when it was asked for (its QueueWaitLength and expiry
    /// count from there; a later time than now is taken as now); `attempts`
    /// the attempts already made, which count against the queue's retries.
    CallbackArrived {
        call: CallId,
        queue: QueueId,
        requested: Millis,
        attempts: u32,
    },
    /// The customer answered the callback the agent is dialling: the callback
    /// leaves the queue answered, and goes on like a connected call.
    CallbackConnected {
        call: CallId,
    },
    /// The callback's customer could not be reached (busy, no answer,
    /// failure). With `retry` and retries left it goes back to its place
    /// after the queue's retry delay; otherwise it ends. The agent is free at
    /// once (no after-call work for an attempt).
    CallbackUnreachable {
        call: CallId,
        retry: bool,
    },
    /// The callback is withdrawn (API): it ends unless already connected.
    CallbackCancelled {
        call: CallId,
    },
    /// The agent chose a result code for `call` (during the call or its
    /// after-call work); its extra time extends the after-call work.
    ResultCode {
        agent: AgentId,
        call: CallId,
        code: ResultCodeId,
    },
    /// The agent closed their after-call work for `call` early.
    WrapupDone {
        agent: AgentId,
        call: CallId,
    },
    /// A new working day in `project` (its local midnight): the break
    /// allowance and calls-today of the agents who last logged in to it, and
    /// the day's counters of its queues, start again.
    DayStarted {
        project: ProjectId,
    },
    /// The break time `agent` had already used today, kept by the shell across
    /// a restart, given back after they log in again the same day. It only
    /// ever raises the count (time counted since is kept), and past the
    /// allowance marks it exceeded without reporting it again. Refused unless
    /// the agent is logged in.
    BreakUsedToday {
        agent: AgentId,
        used: Duration,
    },
    /// A queue was added or its settings changed. Calls already waiting keep
    /// the announcement and queue-timeout schedule they arrived with.
    QueueConfigured(Box<QueueConfig>),
    /// A project was added or its settings changed (break allowance,
    /// missed-offer rule, re-offer delay).
    ProjectConfigured(ProjectConfig),
    /// A status was added or changed; agents in it take its new category now.
    StatusConfigured(StatusConfig),
    /// A result code was added or its extra time changed (for after-call
    /// work that starts from now on).
    ResultCodeConfigured(ResultCodeConfig),
    /// A queue was deleted. It takes no new interaction and no agent joins
    /// it; its members leave it at once ([`Notice::AgentLeftQueue`]), so
    /// nothing in it is offered again, and it leaves its queue groups and
    /// the metrics. What is in it runs to its end: an offer ringing now may
    /// be answered; connected calls and after-call work go on; callers
    /// waiting stay, with their announcements and queue timeout (which still
    /// sends them to the exit target), until they hang up, leave by key or
    /// time out (a callback is no longer asked for there). A waiting
    /// callback ends as cancelled, and one being dialled is not retried.
    /// Unknown queues are refused.
    QueueRemoved(QueueId),
    /// A queue group was added or its queues changed.
    QueueGroupConfigured(QueueGroupConfig),
    /// A queue group was deleted (its queues are untouched).
    QueueGroupRemoved(QueueGroupId),
    /// A status was deleted: nobody can choose it, log in with it or be
    /// moved to it any more. Agents in it keep it, with its category, until
    /// they choose another. Refused while a project's missed-offer rule
    /// moves agents to it.
    StatusRemoved(StatusId),
    /// A result code was deleted: it can no longer be chosen; after-call
    /// work it already extended keeps its time.
    ResultCodeRemoved(ResultCodeId),
}

/// Something call control must do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Ring `agent` with `call` for `ring_for`.
    Offer {
        call: CallId,
        agent: AgentId,
        ring_for: Duration,
        auto_answer: bool,
    },
    /// Ring `agent` for `ring_for` with the callback `call`, attempt number
    /// `attempt` (1 is the first). When the agent answers
    /// ([`Event::OfferAccepted`]), call control dials the callback's number
    /// and reports [`Event::CallbackConnected`] or
    /// [`Event::CallbackUnreachable`]; a rejection or a miss is reported as
    /// for a call.
    OfferCallback {
        call: CallId,
        agent: AgentId,
        ring_for: Duration,
        auto_answer: bool,
        attempt: u32,
    },
    /// Stop ringing `agent` (the offer timed out, another agent answered, or
    /// the caller left). If the agent had already answered, release that leg.
    CancelOffer { call: CallId, agent: AgentId },
    /// Play the announcement to a waiting caller.
    Announce {
        call: CallId,
        /// Set when the queue announces positions (1 is next).
        position: Option<u32>,
        /// Set with the position when an estimate exists.
        estimated_wait: Option<Duration>,
        /// Tell the caller they may leave the queue by pressing a key.
        queue_exit: bool,
    },
    /// The queue timeout passed: send the call to the exit target.
    Redirect { call: CallId, target: ExitTarget },
}

/// Why a call left its queue without being answered there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbandonReason {
    /// The caller hung up.
    Hangup,
    /// The caller left by DTMF (the queue-exit tag).
    QueueExit,
}

/// How an interaction left its queue; each has exactly one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Answered {
        agent: AgentId,
    },
    Abandoned(AbandonReason),
    /// Sent to the exit target by the queue timeout.
    Redirected(ExitTarget),
    /// The caller asked to be called back; the callback `callback` keeps
    /// their place in the queue.
    CallbackRequested {
        callback: CallId,
    },
    /// A callback ended without reaching its customer.
    CallbackEnded(CallbackEnd),
}

/// Why a callback ended unconnected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackEnd {
    /// Its attempts ran out, or call control gave up on the number.
    Unreachable,
    /// The queue's callback expiry passed first.
    Expired,
    /// Withdrawn (or ended by a hang-up) before it connected.
    Cancelled,
}

/// Why an offer ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    Timeout,
    Rejected,
    Failed,
}

/// What an agent is doing, as monitoring shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Presence {
    Offline,
    Available,
    Break,
    /// Being offered an interaction.
    Ringing,
    InCall,
    AfterCallWork,
}

/// A state change, for monitoring and the history log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    AgentLoggedIn {
        agent: AgentId,
        project: ProjectId,
    },
    AgentLoggedOut {
        agent: AgentId,
    },
    AgentJoinedQueue {
        agent: AgentId,
        queue: QueueId,
    },
    AgentLeftQueue {
        agent: AgentId,
        queue: QueueId,
    },
    /// The agent's chosen status or what they are doing changed.
    AgentPresence {
        agent: AgentId,
        status: StatusId,
        presence: Presence,
    },
    Queued {
        call: CallId,
        queue: QueueId,
        position: u32,
    },
    Offered {
        call: CallId,
        agent: AgentId,
    },
    OfferMissed {
        call: CallId,
        agent: AgentId,
        miss: Miss,
    },
    /// The agent answered the callback's offer: call control dials it now
    /// (attempt number `attempt`).
    CallbackDialling {
        call: CallId,
        agent: AgentId,
        attempt: u32,
    },
    /// An attempt did not reach the callback's customer. It goes back to its
    /// place in the queue at `retry_at`; with `None` it ends (a
    /// [`Notice::LeftQueue`] follows).
    CallbackAttemptFailed {
        call: CallId,
        agent: AgentId,
        attempt: u32,
        retry_at: Option<Millis>,
    },
    /// The agent missed the project's limit of offers in a row and was moved.
    MovedForMissedOffers {
        agent: AgentId,
        status: StatusId,
    },
    /// The interaction left its queue: exactly once per interaction.
    LeftQueue {
        call: CallId,
        queue: QueueId,
        outcome: Outcome,
        /// QueueWaitLength: from arrival until answer or departure.
        waited: Duration,
    },
    /// An agent took a call from a queue of higher priority while `queue`, which
    /// they also serve and had room for, had calls waiting.
    Bypassed {
        queue: QueueId,
        agent: AgentId,
    },
    /// A connected interaction ended; after-call work starts (until `until`).
    WrapupStarted {
        agent: AgentId,
        call: CallId,
        talked: Duration,
        until: Millis,
    },
    WrapupEnded {
        agent: AgentId,
        call: CallId,
    },
    /// The agent chose a result code; during after-call work, `until` is when
    /// it now ends.
    ResultCodeChosen {
        agent: AgentId,
        call: CallId,
        code: ResultCodeId,
        until: Option<Millis>,
    },
    /// The agent left a Break-category status.
    BreakEnded {
        agent: AgentId,
        used_today: Duration,
        remaining: Duration,
    },
    /// The agent's break time today passed the project's allowance (once a day).
    BreakAllowanceExceeded {
        agent: AgentId,
        project: ProjectId,
    },
    /// A new working day began in `project`: its agents' break allowance and
    /// calls-today, and its queues' day counters, start from zero.
    DayStarted {
        project: ProjectId,
    },
}

/// An input the engine could not apply. The engine's state is unchanged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AcdError {
    #[error("unknown {0}")]
    UnknownAgent(AgentId),
    #[error("unknown {0}")]
    UnknownQueue(QueueId),
    #[error("unknown {0}")]
    UnknownProject(ProjectId),
    #[error("unknown {0}")]
    UnknownStatus(StatusId),
    #[error("unknown {0}")]
    UnknownResultCode(ResultCodeId),
    #[error("{0} is not logged in")]
    NotLoggedIn(AgentId),
    #[error("{queue} belongs to another project than {agent}'s")]
    WrongProject { agent: AgentId, queue: QueueId },
    #[error("{0} is already in a queue")]
    DuplicateCall(CallId),
    #[error("{0} takes no transfer now")]
    NoTransfer(AgentId),
    #[error("{call} is not being offered to {agent}")]
    NoSuchOffer { call: CallId, agent: AgentId },
    #[error("{agent} has no interaction {call}")]
    NoSuchSession { agent: AgentId, call: CallId },
    #[error("{0} is no callback in that state")]
    NoSuchCallback(CallId),
    #[error("{0} is neither waiting nor ringing")]
    NotWaiting(CallId),
    #[error("configuration: {0}")]
    Config(String),
}
