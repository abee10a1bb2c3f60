//! Builds one interaction record from the call's timestamped events.
//!
//! A sans-IO core like the dispatch core: call control creates a
//! [`RecordBuilder`] when the call arrives (and stores [`RecordBuilder::record`]
//! at once, so nothing acknowledged is lost), feeds it [`CallEvent`]s with the
//! current [`Millis`] as they happen, and stores the record again when
//! [`RecordBuilder::is_complete`] turns true: the call has ended and, if an
//! agent talked, their after-call work is over.
//!
//! Product rules kept here:
//! - Each record gets exactly one outcome ([`Disposition`]): the first of
//!   answer, queue exit, queue timeout, failure, or the end of the call before
//!   any of these (abandoned when the caller hung up, failed otherwise). An
//!   event that contradicts what is already recorded is ignored, and
//!   [`RecordBuilder::handle`] reports it as [`Ignored`]; the record is unchanged.
//! - Lengths never go negative: an event stamped before the previous one is
//!   taken as happening at the previous one's moment.
//! - The [`Classification`] is decided with the outcome: answered within the
//!   queue's service level or not (QueueWaitLength up to and including the
//!   service level the queue had when the call entered it), a short abandon
//!   when the caller left the queue unanswered in less than
//!   [`RecordConfig::short_abandon`], redirected, or not
//!   counted when the call never waited in a queue or failed.
//! - A record covers one queue. When the queue timeout or the queue exit sends
//!   the caller to another queue, the outcome of the first stays (redirected,
//!   abandoned by queue exit, with TransferTarget naming the target) and call
//!   control starts a new record for the second; an `EnteredQueue` fed to the
//!   first record is ignored.

use std::time::Duration;

use crate::acd::{AgentId, Millis, ProjectId, QueueId, ResultCodeId};

use super::record::{
    Arrival, Classification, Direction, Disposition, InteractionId, InteractionRecord, Tag,
    TerminateSide, TransferType,
};

/// Settings that apply to every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordConfig {
    /// A caller who leaves the queue unanswered within this is a short abandon.
    pub short_abandon: Duration,
}

impl Default for RecordConfig {
    /// Five seconds, the usual contact-center figure.
    fn default() -> Self {
        RecordConfig {
            short_abandon: Duration::from_secs(5),
        }
    }
}

/// Something that happened to the call, as call control saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallEvent {
    /// The caller is in the IVR (menus, prompts) before reaching a queue.
    EnteredIvr,
    /// The call joined `queue`; `service_level` is that queue's service level.
    EnteredQueue {
        queue: QueueId,
        project: ProjectId,
        service_level: Duration,
    },
    /// An agent's phone started ringing with the call. Several agents may
    /// ring at once (the Ring All strategy); the first to answer takes it.
    Offered {
        agent: AgentId,
    },
    /// The offer ended unanswered (no answer in time, busy, refused,
    /// unreachable); the call waits on in the queue.
    OfferMissed {
        agent: AgentId,
    },
    /// The agent answered and the two are connected.
    AgentAnswered {
        agent: AgentId,
    },
    HoldStarted,
    HoldEnded,
    /// The waiting caller pressed the queue-exit key; `target` is where the
    /// queue's exit sends them, if anywhere.
    QueueExit {
        target: Option<String>,
    },
    /// The queue timeout sent the caller to the exit target.
    QueueTimeout {
        target: String,
    },
    /// The agent sent the connected caller to `target`; the agent's part of
    /// the call ends here and their after-call work starts.
    Transferred {
        target: String,
        kind: TransferType,
    },
    CallerHungUp,
    AgentHungUp,
    /// The server ended the call (a prompt and hang-up, lost media, shutdown).
    SystemEnded,
    /// The call could not be handled. Before an outcome it is the outcome
    /// (failed); after one it only ends the call, on the system's side.
    Failed,
    /// The agent's after-call work for this call is over.
    AcwEnded,
    /// The agent submitted the result of the call (during the call or its
    /// after-call work): the result code, a note, the action date and their
    /// tags. A later submission replaces an earlier one; none is taken once
    /// the after-call work is over.
    Result(CallResult),
    /// The call is being recorded into `file` (RecordingFile).
    Recorded {
        file: String,
    },
    /// An outbound call: `agent` dials out; the remote party is being rung.
    Dialling {
        agent: AgentId,
    },
    /// An outbound call: the remote party answered (the end of DialingLength).
    RemoteAnswered,
}

/// What an agent submits to close an interaction (see [`CallEvent::Result`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    pub code: ResultCodeId,
    pub note: Option<String>,
    /// `YYYY-MM-DDTHH:MM`, as the agent entered it.
    pub action_date: Option<String>,
    /// Administered tag ids.
    pub tags: Vec<u64>,
}

/// Why an event was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreReason {
    #[error("the call has already ended")]
    Ended,
    #[error("the outcome is already {0:?}")]
    OutcomeApplied(Disposition),
    #[error("the call is not waiting in a queue")]
    NotInQueue,
    #[error("the call is already in a queue")]
    AlreadyQueued,
    #[error("that agent's phone is already ringing")]
    AlreadyRinging,
    #[error("that agent is not being offered the call")]
    NotRinging,
    #[error("no agent is connected")]
    NotConnected,
    #[error("the call is already on hold")]
    AlreadyOnHold,
    #[error("the call is not on hold")]
    NotOnHold,
    #[error("there is no after-call work in progress")]
    NoAfterCallWork,
}

/// An event the builder did not apply; the record is as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{interaction}: {event:?} ignored: {reason}")]
pub struct Ignored {
    pub interaction: InteractionId,
    pub event: CallEvent,
    pub reason: IgnoreReason,
}

/// Where the call is with respect to its queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QueueStay {
    NotYet,
    Waiting,
    /// Answered, or left unanswered; a record covers one queue.
    Left,
}

/// The agent's part of a connected call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AgentLeg {
    /// Never connected.
    None,
    Connected {
        since: Millis,
    },
    /// The agent's part ended (hang-up or transfer); after-call work runs.
    AfterCallWork {
        since: Millis,
    },
    Done,
}

/// Turns a call's events into its [`InteractionRecord`].
#[derive(Clone, Debug)]
pub struct RecordBuilder {
    record: InteractionRecord,
    config: RecordConfig,
    /// The last moment applied; earlier stamps are raised to it.
    last: Millis,
    ivr_since: Option<Millis>,
    queue: QueueStay,
    /// The service level of the queue the call entered.
    service_level: Duration,
    /// The agents ringing now, and since when at least one has been.
    ringing: Vec<AgentId>,
    alert_since: Option<Millis>,
    hold_since: Option<Millis>,
    leg: AgentLeg,
}

impl RecordBuilder {
    /// Starts the record of an interaction that arrived at `now`.
    pub fn new(now: Millis, arrival: Arrival, config: RecordConfig) -> Self {
        RecordBuilder {
            record: InteractionRecord::new(arrival, now),
            config,
            last: now,
            ivr_since: None,
            queue: QueueStay::NotYet,
            service_level: Duration::ZERO,
            ringing: Vec::new(),
            alert_since: None,
            hold_since: None,
            leg: AgentLeg::None,
        }
    }

    /// An outbound record made on `queue`'s behalf (a callback): its queue
    /// and project are noted; it does not wait in the queue.
    pub fn on_behalf_of(mut self, queue: QueueId, project: ProjectId) -> Self {
        self.record.queue = Some(queue);
        self.record.project = Some(project);
        self
    }

    /// Applies `event`; one that does not apply (late, out of order) is
    /// left out with a debug line, as call control wants it.
    pub fn note(&mut self, now: Millis, event: CallEvent) {
        if let Err(ignored) = self.handle(now, event) {
            tracing::debug!(%ignored, "record event not applied");
        }
    }

    /// A copy of the record as it stands, for a write.
    pub fn snapshot(&self) -> Box<InteractionRecord> {
        Box::new(self.record.clone())
    }

    /// The record as it stands: at arrival, this is the row to write at once.
    pub fn record(&self) -> &InteractionRecord {
        &self.record
    }

    /// The path the caller took through IVR menus (IvrEvent).
    pub fn set_ivr_event(&mut self, path: String) {
        self.record.ivr_event = Some(path);
    }

    /// The finished record once [`Self::is_complete`]: the row to complete.
    pub fn completed(&self) -> Option<&InteractionRecord> {
        self.is_complete().then_some(&self.record)
    }

    /// The record as it stands, complete or not.
    pub fn into_record(self) -> InteractionRecord {
        self.record
    }

    /// Whether the call has ended and any after-call work with it.
    pub fn is_complete(&self) -> bool {
        self.record.terminate_moment.is_some()
            && !matches!(
                self.leg,
                AgentLeg::Connected { .. } | AgentLeg::AfterCallWork { .. }
            )
    }

    /// Applies one event that happened at `now`. An event that does not fit
    /// what is already recorded is not applied and comes back as [`Ignored`].
    pub fn handle(&mut self, now: Millis, event: CallEvent) -> Result<(), Ignored> {
        let now = now.max(self.last);
        match self.apply(now, &event) {
            Ok(()) => {
                self.last = now;
                Ok(())
            }
            Err(reason) => Err(Ignored {
                interaction: self.record.interaction_id,
                event,
                reason,
            }),
        }
    }

    fn apply(&mut self, now: Millis, event: &CallEvent) -> Result<(), IgnoreReason> {
        let after_end = matches!(event, CallEvent::AcwEnded | CallEvent::Result(_));
        if self.record.terminate_moment.is_some() && !after_end {
            return Err(IgnoreReason::Ended);
        }
        match event {
            CallEvent::EnteredIvr => {
                self.no_outcome_yet()?;
                if self.queue != QueueStay::NotYet {
                    return Err(IgnoreReason::AlreadyQueued);
                }
                self.ivr_since.get_or_insert(now);
            }
            CallEvent::EnteredQueue {
                queue,
                project,
                service_level,
            } => {
                self.no_outcome_yet()?;
                if self.queue != QueueStay::NotYet {
                    return Err(IgnoreReason::AlreadyQueued);
                }
                self.end_ivr(now);
                self.queue = QueueStay::Waiting;
                self.service_level = *service_level;
                self.record.queue = Some(*queue);
                self.record.project = Some(*project);
                self.record.queue_wait_start = Some(now);
            }
            CallEvent::Offered { agent } => {
                self.waiting()?;
                if self.ringing.contains(agent) {
                    return Err(IgnoreReason::AlreadyRinging);
                }
                self.ringing.push(*agent);
                self.alert_since.get_or_insert(now);
            }
            CallEvent::OfferMissed { agent } => {
                self.waiting()?;
                if !self.ringing.contains(agent) {
                    return Err(IgnoreReason::NotRinging);
                }
                self.ringing.retain(|ringing| ringing != agent);
                if self.ringing.is_empty() {
                    self.end_ringing(now);
                }
            }
            CallEvent::AgentAnswered { agent } => {
                self.waiting()?;
                // An answer with no offer recorded is an auto-answer or an
                // offer whose notice was lost: it still decides the outcome.
                if !self.ringing.is_empty() && !self.ringing.contains(agent) {
                    return Err(IgnoreReason::NotRinging);
                }
                self.end_ringing(now);
                self.leave_queue(now);
                self.record.agent = Some(*agent);
                self.record.connection_moment = Some(now);
                self.leg = AgentLeg::Connected { since: now };
                self.decide(Disposition::Answered);
            }
            CallEvent::HoldStarted => {
                self.connected()?;
                if self.hold_since.is_some() {
                    return Err(IgnoreReason::AlreadyOnHold);
                }
                self.hold_since = Some(now);
            }
            CallEvent::HoldEnded => {
                self.connected()?;
                if self.hold_since.is_none() {
                    return Err(IgnoreReason::NotOnHold);
                }
                self.end_hold(now);
            }
            CallEvent::QueueExit { target } => {
                self.waiting()?;
                self.end_ringing(now);
                self.leave_queue(now);
                self.record.tags.push(Tag::QueueExit);
                if let Some(target) = target {
                    self.record.transfer_target = Some(target.clone());
                    self.record.transfer_type = Some(TransferType::QueueExit);
                }
                self.decide(Disposition::AbandonedByQueueExit);
            }
            CallEvent::QueueTimeout { target } => {
                self.waiting()?;
                self.end_ringing(now);
                self.leave_queue(now);
                self.record.transfer_target = Some(target.clone());
                self.record.transfer_type = Some(TransferType::QueueTimeout);
                self.decide(Disposition::RedirectedByQueueTimeout);
            }
            CallEvent::Transferred { target, kind } => {
                self.connected()?;
                self.end_agent_part(now);
                self.record.transfer_target = Some(target.clone());
                self.record.transfer_type = Some(*kind);
            }
            CallEvent::CallerHungUp => self.end_call(now, TerminateSide::Caller)?,
            CallEvent::AgentHungUp => {
                if self.record.agent.is_none() {
                    return Err(IgnoreReason::NotConnected);
                }
                self.end_call(now, TerminateSide::Agent)?;
            }
            CallEvent::SystemEnded | CallEvent::Failed => {
                if self.record.disposition.is_none() && *event == CallEvent::Failed {
                    self.end_ivr(now);
                    self.end_ringing(now);
                    self.leave_queue(now);
                    self.decide(Disposition::Failed);
                }
                self.end_call(now, TerminateSide::System)?;
            }
            CallEvent::AcwEnded => match self.leg {
                AgentLeg::AfterCallWork { since } => {
                    self.record.acw_length = now - since;
                    self.leg = AgentLeg::Done;
                }
                _ => return Err(IgnoreReason::NoAfterCallWork),
            },
            CallEvent::Recorded { file } => {
                self.record.recording_file = Some(file.clone());
            }
            CallEvent::Dialling { agent } => {
                self.no_outcome_yet()?;
                if self.queue != QueueStay::NotYet || self.record.agent.is_some() {
                    return Err(IgnoreReason::AlreadyQueued);
                }
                self.record.agent = Some(*agent);
                self.alert_since.get_or_insert(now);
            }
            CallEvent::RemoteAnswered => {
                self.no_outcome_yet()?;
                if self.record.agent.is_none() || self.queue != QueueStay::NotYet {
                    return Err(IgnoreReason::NotConnected);
                }
                self.end_dialling(now);
                self.record.connection_moment = Some(now);
                self.leg = AgentLeg::Connected { since: now };
                self.decide(Disposition::Answered);
            }
            CallEvent::Result(result) => match self.leg {
                AgentLeg::Connected { .. } | AgentLeg::AfterCallWork { .. } => {
                    let mut tags = result.tags.clone();
                    tags.sort_unstable();
                    tags.dedup();
                    self.record.verdict = Some(result.code);
                    self.record.note = result.note.clone();
                    self.record.action_date = result.action_date.clone();
                    self.record.user_tags = tags;
                }
                AgentLeg::None => return Err(IgnoreReason::NotConnected),
                AgentLeg::Done => return Err(IgnoreReason::NoAfterCallWork),
            },
        }
        Ok(())
    }

    fn no_outcome_yet(&self) -> Result<(), IgnoreReason> {
        match self.record.disposition {
            Some(decided) => Err(IgnoreReason::OutcomeApplied(decided)),
            None => Ok(()),
        }
    }

    fn waiting(&self) -> Result<(), IgnoreReason> {
        self.no_outcome_yet()?;
        match self.queue {
            QueueStay::Waiting => Ok(()),
            QueueStay::NotYet | QueueStay::Left => Err(IgnoreReason::NotInQueue),
        }
    }

    fn connected(&self) -> Result<(), IgnoreReason> {
        match self.leg {
            AgentLeg::Connected { .. } => Ok(()),
            _ => Err(IgnoreReason::NotConnected),
        }
    }

    fn end_ivr(&mut self, now: Millis) {
        if let Some(since) = self.ivr_since.take() {
            self.record.ivr_wait_length += now - since;
        }
    }

    fn end_ringing(&mut self, now: Millis) {
        self.ringing.clear();
        if let Some(since) = self.alert_since.take() {
            self.record.alert_length += now - since;
        }
    }

    fn end_hold(&mut self, now: Millis) {
        if let Some(since) = self.hold_since.take() {
            self.record.hold_length += now - since;
        }
    }

    fn leave_queue(&mut self, now: Millis) {
        if self.queue == QueueStay::Waiting {
            self.queue = QueueStay::Left;
            if let Some(start) = self.record.queue_wait_start {
                self.record.queue_wait_end = Some(now);
                self.record.queue_wait_length = now - start;
            }
        }
    }

    /// An outbound call's dialling is over: DialingLength (and the ringing
    /// it was) are known.
    fn end_dialling(&mut self, now: Millis) {
        let dialling = self.record.direction == Direction::Outbound
            && self.record.agent.is_some()
            && self.record.connection_moment.is_none()
            && self.record.terminate_moment.is_none();
        if dialling {
            self.record.dialing_length = now - self.record.init_moment;
            if let Some(since) = self.alert_since.take() {
                self.record.alert_length += now - since;
            }
        }
    }

    fn end_agent_part(&mut self, now: Millis) {
        if let AgentLeg::Connected { since } = self.leg {
            self.end_hold(now);
            self.record.connected_length = now - since;
            self.leg = AgentLeg::AfterCallWork { since: now };
        }
    }

    /// Ends the call; with no outcome yet, this decides it.
    fn end_call(&mut self, now: Millis, side: TerminateSide) -> Result<(), IgnoreReason> {
        self.end_ivr(now);
        self.end_dialling(now);
        self.end_ringing(now);
        self.leave_queue(now);
        self.end_agent_part(now);
        if self.record.disposition.is_none() {
            let outbound = self.record.direction == Direction::Outbound;
            self.decide(match side {
                TerminateSide::Caller => Disposition::Abandoned,
                // The agent gave up dialling before the answer.
                TerminateSide::Agent if outbound => Disposition::Abandoned,
                TerminateSide::Agent | TerminateSide::System => Disposition::Failed,
            });
        }
        self.record.terminate_moment = Some(now);
        self.record.terminate_side = Some(side);
        self.record.call_duration = now - self.record.init_moment;
        Ok(())
    }

    /// Applies the outcome and its classification; called once per record.
    fn decide(&mut self, disposition: Disposition) {
        debug_assert!(self.record.disposition.is_none());
        let queued = self.record.queue_wait_start.is_some();
        let waited = self.record.queue_wait_length;
        let classification = match disposition {
            Disposition::Answered if waited <= self.service_level => {
                Classification::AnsweredWithinServiceLevel
            }
            Disposition::Answered => Classification::AnsweredOutsideServiceLevel,
            Disposition::Abandoned | Disposition::AbandonedByQueueExit if !queued => {
                Classification::NotCounted
            }
            Disposition::Abandoned | Disposition::AbandonedByQueueExit
                if waited < self.config.short_abandon =>
            {
                Classification::ShortAbandon
            }
            Disposition::Abandoned | Disposition::AbandonedByQueueExit => Classification::Abandoned,
            Disposition::RedirectedByQueueTimeout => Classification::Redirected,
            Disposition::Failed | Disposition::Interrupted => Classification::NotCounted,
        };
        self.record.disposition = Some(disposition);
        self.record.classification = Some(classification);
    }
}
