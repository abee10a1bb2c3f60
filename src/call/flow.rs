//! The queue call's decisions as a sans-IO core: what happens to an inbound
//! call from its answer to its completed interaction record.
//!
//! [`CallFlow`] holds no socket, no channel and no clock. The call task (the
//! shell, [`super::queue_call`]) turns what it sees into [`Input`]s: SIP
//! events already matched to a leg (the caller's ACK, a BYE, an agent leg's
//! progress), the dispatch core's instructions (offer, cancel, announce,
//! redirect, record events), media events (a digit, a prompt that ended,
//! silence) and the answers to the lookups the core asked for. The core
//! answers with [`Action`]s the shell performs in order: ring or hang up an
//! agent leg, bridge, play, send the caller's BYE, tell dispatch, write the
//! record. Its timers (the ACK wait, the goodbye prompt's limit, the grace
//! for the after-call work) are deadlines given by
//! [`CallFlow::poll_timeout`].
//!
//! Rules it keeps:
//! - The record is opened when the call joins its first queue and completed
//!   once both legs are over and the agent's after-call work has been
//!   reported over (or its grace has passed).
//! - An offer is rung only while the caller waits; any answer after the
//!   first, or while the caller leaves, is hung up.
//! - Queue exit (key 1, where the queue offers it) is decided by dispatch; the
//!   call acts once dispatch has recorded it. Exit targets: another queue
//!   (the first record is closed and a new one opened), a callback request,
//!   a goodbye prompt; a target that cannot be reached falls back to the
//!   prompt and is counted.
//! - A connected agent may transfer the caller (RFC 3515 REFER, or the agent
//!   panel): to a queue (a new record with the transfer noted), or to another
//!   agent in a Transferable status. The agent's part then ends and their
//!   after-call work starts.
//! - A queue that records `always` records each bridge; one that records
//!   `on_demand` records from when the connected agent asks
//!   ([`Input::RecordNow`]) to the end of that agent's part, both sides; one
//!   that records `never` refuses the request.
//! - An attended transfer (RFC 5589 section 7) hands the caller to the agent
//!   the transferring agent consulted: the shell has taken that agent's
//!   answered leg from the consultation call, and the core bridges it at
//!   once under a new record that agent answered. A consultation that is not
//!   there (any more) leaves the call with the transferring agent.
//! - A pickup (pickup groups, [`pickup`]) hands the waiting caller to the
//!   colleague whose phone dialled the pickup code: the ringing legs are
//!   hung up and the picker's INVITE is answered, bridged.
//! - A blind transfer to an external number ([`external`]) dials it through
//!   an outbound route while the caller stays with the agent; only the
//!   answer hands the caller over.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::acd::{self, AgentId, CallId, ExitTarget, Millis};
use crate::cdr::{self, CallEvent, InteractionRecord, RecordBuilder, TransferType};
use crate::media::prompts::Prompt;

use super::routing::QueueInfo;
use crate::store::admin::queues::RecordingMode;

/// How long after its end a call waits for the agent's after-call work to be
/// reported over before it writes the record as it stands.
pub const ACW_GRACE: Duration = Duration::from_secs(30);
/// How long a goodbye prompt may take before the call hangs up anyway.
pub const PROMPT_LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// In a queue (ringing an agent or not).
    Waiting,
    /// Left the queue by DTMF; waiting for dispatch to record it.
    Exiting,
    /// Ringing the agent a transfer goes to (outside the queue's offers).
    Transferring(AgentId),
    /// Talking to an agent.
    Connected(AgentId),
    /// Waiting for the shell to find the queue or store the callback.
    Moving,
    /// Asked to be called back from the queue (DTMF): the request is being
    /// stored, then the dispatch core puts the callback in the call's place.
    AskingCallback(CallbackAsk),
    /// The caller talks to the external party of a transfer.
    External,
    /// Leaving a message in a voicemail box (the shell's
    /// [`super::voicemail::Leaving`] has the caller).
    Voicemail,
    /// Playing a last prompt before hanging up.
    Goodbye,
    /// Both legs are over; the records wait for after-call work.
    Ended,
}

/// Where a callback asked for by DTMF stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallbackAsk {
    /// The request is being stored.
    Storing,
    /// Stored as this callback: dispatch is to put it in the call's place.
    Requested(CallId),
    /// Not stored: the caller leaves the queue with the goodbye prompt.
    Failed,
}

/// The agent who answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Answered {
    agent: AgentId,
    /// The auto-answer beep plays on their leg; bridge when it ends.
    beeping: bool,
    /// Reached by a transfer, not a queue offer: dispatch gives them no
    /// after-call work, so the record closes with the call.
    direct: bool,
}

/// A ringing agent leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ringing {
    agent: AgentId,
    auto_answer: bool,
}

/// A record whose caller has moved on while its agent's after-call work
/// goes on.
#[derive(Debug)]
struct Earlier {
    call: CallId,
    record: RecordBuilder,
    /// Written as it stands after this.
    deadline: Millis,
}

/// One queue call's state.
#[derive(Debug)]
pub struct CallFlow {
    /// The current record's id, which is the call's id in the dispatch core.
    id: CallId,
    record: RecordBuilder,
    earlier: Vec<Earlier>,
    queue: Arc<QueueInfo>,
    /// When the call entered its current queue.
    queued_at: Millis,
    arrival: cdr::Arrival,
    record_config: cdr::RecordConfig,
    phase: Phase,
    ringing: Vec<Ringing>,
    agent: Option<Answered>,
    /// The connected agent asked to record the current record's call.
    record_asked: bool,
    acked: bool,
    ack_deadline: Option<Millis>,
    goodbye_deadline: Option<Millis>,
    /// The transfer's direct ring gives up then.
    ring_deadline: Option<Millis>,
    acw_deadline: Option<Millis>,
    /// A transfer to an external number, ringing or answered.
    external: Option<external::External>,
    finished: bool,
    actions: VecDeque<Action>,
}

impl CallFlow {
    /// A call answered at `now` (our 200 is on its way) that joins `queue`
    /// under record `arrival` (whose id is the call's). The first actions
    /// open the record, start the music and tell dispatch.
    pub fn new(
        now: Millis,
        queue: Arc<QueueInfo>,
        arrival: cdr::Arrival,
        record_config: cdr::RecordConfig,
        ack_wait: Duration,
    ) -> CallFlow {
        let record = RecordBuilder::new(now, arrival.clone(), record_config);
        CallFlow::start(
            now,
            queue,
            arrival,
            record,
            record_config,
            Some(now + ack_wait),
        )
    }

    /// A call answered at `ivr.entered` that walked IVR menus until `now`
    /// and joins `queue`: its record carries the time in the menus
    /// (IvrWaitLength) and the path (IvrEvent).
    pub fn after_ivr(
        now: Millis,
        queue: Arc<QueueInfo>,
        arrival: cdr::Arrival,
        record_config: cdr::RecordConfig,
        ack_wait: Duration,
        ivr: &super::ivr::Visit,
    ) -> CallFlow {
        let mut record = RecordBuilder::new(ivr.entered, arrival.clone(), record_config);
        let _ = record.handle(ivr.entered, CallEvent::EnteredIvr);
        record.set_ivr_event(ivr.path.clone());
        let ack_deadline = (!ivr.acked).then(|| now + ack_wait);
        let mut flow = CallFlow::start(now, queue, arrival, record, record_config, ack_deadline);
        flow.acked = ivr.acked;
        flow
    }

    fn start(
        now: Millis,
        queue: Arc<QueueInfo>,
        arrival: cdr::Arrival,
        record: RecordBuilder,
        record_config: cdr::RecordConfig,
        ack_deadline: Option<Millis>,
    ) -> CallFlow {
        let id = CallId(arrival.id.0);
        let mut flow = CallFlow {
            id,
            record,
            earlier: Vec::new(),
            queue: queue.clone(),
            queued_at: now,
            arrival,
            record_config,
            phase: Phase::Waiting,
            ringing: Vec::new(),
            agent: None,
            record_asked: false,
            acked: false,
            ack_deadline,
            goodbye_deadline: None,
            ring_deadline: None,
            acw_deadline: None,
            external: None,
            finished: false,
            actions: VecDeque::new(),
        };
        flow.enter_queue(now, queue, RecordWrite::Open);
        flow
    }

    /// The current record's id (the call's id in the dispatch core).
    pub fn id(&self) -> CallId {
        self.id
    }

    /// The current record as it stands.
    pub fn record(&self) -> &InteractionRecord {
        self.record.record()
    }

    /// The queue the call is in (or last was).
    pub fn queue(&self) -> &Arc<QueueInfo> {
        &self.queue
    }

    /// The agent the caller talks to, if any.
    pub fn connected_agent(&self) -> Option<AgentId> {
        match self.phase {
            Phase::Connected(agent) => Some(agent),
            _ => None,
        }
    }

    /// Whether the call is not over yet (media silence matters).
    pub fn is_live(&self) -> bool {
        self.phase != Phase::Ended
    }

    /// Whether the records are written and the task may end.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The earliest deadline, when [`CallFlow::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let earlier = self.earlier.iter().map(|e| e.deadline).min();
        [
            self.external_deadline(),
            self.ack_deadline,
            self.goodbye_deadline,
            self.ring_deadline,
            self.acw_deadline,
            earlier,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if take_due(&mut self.ack_deadline, now) && !self.acked && self.phase != Phase::Ended {
            self.count(Count::AckTimeouts);
            self.end(now, CallEvent::Failed);
        }
        if take_due(&mut self.goodbye_deadline, now) && self.phase == Phase::Goodbye {
            self.end(now, CallEvent::SystemEnded);
        }
        if take_due(&mut self.ring_deadline, now) {
            if let Phase::Transferring(agent) = self.phase {
                self.push(Action::HangUpAgent { agent });
                self.transfer_missed(now, agent);
            }
        }
        self.external_timeout(now);
        for i in (0..self.earlier.len()).rev() {
            if self.earlier[i].deadline <= now {
                let e = self.earlier.swap_remove(i);
                tracing::warn!(call = %e.call, "after-call work never reported over: record written as it stands");
                self.close_earlier(e);
            }
        }
        if take_due(&mut self.acw_deadline, now) && self.phase == Phase::Ended && !self.finished {
            tracing::warn!("after-call work never reported over: record written as it stands");
            self.finish();
        }
        self.finish_if_complete();
    }

    pub fn handle(&mut self, now: Millis, input: Input) {
        match input {
            Input::CallerAcked => {
                self.acked = true;
                self.ack_deadline = None;
            }
            Input::CallerHungUp => self.end(now, CallEvent::CallerHungUp),
            Input::CallerNeverAcked => {
                if !self.acked && self.phase != Phase::Ended {
                    self.count(Count::AckTimeouts);
                    tracing::info!("the caller never acknowledged the answer");
                    self.end(now, CallEvent::Failed);
                }
            }
            Input::AgentHungUp { agent } => {
                if self.connected_agent() != Some(agent) {
                } else if self.external_ringing_for(agent) {
                    self.agent_left_external(now);
                } else {
                    self.end(now, CallEvent::AgentHungUp);
                }
            }
            Input::AgentHold { on_hold } => {
                if self.connected_agent().is_some() {
                    let event = if on_hold {
                        CallEvent::HoldStarted
                    } else {
                        CallEvent::HoldEnded
                    };
                    self.note(now, event);
                }
            }
            Input::AgentAnswered { agent, browser } => self.answered(now, agent, browser),
            Input::AgentMissed { agent, rejected } => self.missed(now, agent, rejected),
            Input::Digit(key) => self.on_digit(now, key),
            Input::MediaSilent => {
                if self.phase != Phase::Ended {
                    self.count(Count::MediaTimeouts);
                    tracing::info!("no RTP for the configured time: call ended");
                    self.end(now, CallEvent::SystemEnded);
                }
            }
            Input::AgentMediaLost => {
                if self.connected_agent().is_some() {
                    tracing::info!("the agent's browser went away: call ended");
                    self.end(now, CallEvent::AgentHungUp);
                }
            }
            Input::PlaybackDone(Playback::Goodbye) => {
                if self.phase == Phase::Goodbye {
                    self.end(now, CallEvent::SystemEnded);
                }
            }
            Input::PlaybackDone(Playback::Beep) => {
                if let Some(answered) = self.agent.as_mut().filter(|a| a.beeping) {
                    answered.beeping = false;
                    let agent = answered.agent;
                    self.bridge(agent);
                }
            }
            Input::PlaybackDone(Playback::Announcement) => {}
            Input::SipGone => {
                tracing::warn!("SIP core gone");
                self.end(now, CallEvent::SystemEnded);
            }
            Input::Offer {
                call,
                agent,
                aor,
                auto_answer,
            } => self.offer(call, agent, aor, auto_answer),
            Input::CancelOffer { call, agent } => {
                if call == self.id {
                    self.cancel_offer(agent);
                }
            }
            Input::Announce {
                call,
                position,
                estimated_wait,
                queue_exit,
            } => {
                if call == self.id && self.phase == Phase::Waiting {
                    self.push(Action::Announce {
                        position,
                        estimated_wait,
                        queue_exit,
                    });
                }
            }
            Input::Redirect { call, .. } if call == self.id && self.asking_callback() => {
                self.redirected_while_asking(now);
            }
            Input::Redirect { call, target } => {
                if call == self.id && matches!(self.phase, Phase::Waiting | Phase::Exiting) {
                    self.count(Count::Redirects);
                    self.drop_agents();
                    self.go_to(now, target);
                }
            }
            Input::Record { call, event } => self.on_record(now, call, event),
            Input::QueueFound { queue, next } => {
                if self.phase != Phase::Moving {
                    return;
                }
                match queue.filter(|q| q.id != self.queue.id) {
                    Some(queue) => {
                        // The first queue's record is over: it keeps its outcome.
                        self.note(now, CallEvent::SystemEnded);
                        self.next_record(now, next, None);
                        self.enter_queue(now, queue, RecordWrite::Checkpoint);
                    }
                    None => {
                        self.count(Count::ExitFailures);
                        tracing::warn!("exit queue unknown: prompt and hang-up instead");
                        self.goodbye(now, Prompt::Goodbye);
                    }
                }
            }
            Input::CallbackStored { callback } => self.callback_stored(now, callback),
            Input::VoicemailOver { ending } => self.voicemail_over(now, ending),
            Input::Transfer { agent, to, next } => self.transfer(now, agent, to, next),
            Input::ExternalAnswered => self.external_answered(now),
            Input::ExternalMissed { status } => self.external_missed(now, status),
            Input::ExternalHungUp => self.external_hung_up(now),
            Input::PickedUp { call, agent } => self.picked_up(call, agent),
            Input::RecordNow { agent } => self.record_now(agent),
            Input::Recording { file } => {
                if self.connected_agent().is_some() {
                    self.note(now, CallEvent::Recorded { file });
                }
            }
        }
        self.finish_if_complete();
    }

    /// The dispatch core was rebuilt (its task restarted after a failure)
    /// and asks where the call stands. A waiting caller stops ringing any
    /// agent (the new core offers it afresh) and goes back in its place; one
    /// that had pressed the exit key asks again; a caller with an agent (or
    /// ringing a transfer's agent) keeps them. Anything else is in passing
    /// and left out.
    pub fn resume(&mut self) -> Option<Resumed> {
        let waiting = Resumed::Waiting {
            queue: self.queue.id,
            arrived: self.queued_at,
        };
        match self.phase {
            Phase::Waiting => {
                for ring in std::mem::take(&mut self.ringing) {
                    self.push(Action::HangUpAgent { agent: ring.agent });
                }
                Some(waiting)
            }
            Phase::Exiting => {
                self.dispatch(acd::Event::QueueExit { call: self.id });
                Some(waiting)
            }
            Phase::Connected(agent) | Phase::Transferring(agent) => {
                Some(Resumed::WithAgent { agent })
            }
            _ => None,
        }
    }

    /// Bridges the caller with `agent`, recording it when the queue
    /// records every call or the agent asked for it.
    fn bridge(&mut self, agent: AgentId) {
        self.push(Action::Bridge { agent });
        let recorded = self.record.record().recording_file.is_some();
        let wanted = self.queue.recording == RecordingMode::Always || self.record_asked;
        if wanted && !recorded {
            self.start_recording(agent);
        }
    }

    fn start_recording(&mut self, agent: AgentId) {
        self.push(Action::StartRecording {
            agent,
            interaction: self.id.0,
        });
    }

    /// The connected agent asks to record the call (on-demand recording).
    fn record_now(&mut self, agent: AgentId) {
        let recorded = self.record_asked || self.record.record().recording_file.is_some();
        let verdict = if self.connected_agent() != Some(agent) {
            RecordVerdict::NotConnected
        } else {
            match self.queue.recording {
                RecordingMode::Never => RecordVerdict::NotAllowed,
                RecordingMode::Always => RecordVerdict::AlreadyRecording,
                RecordingMode::OnDemand if recorded => RecordVerdict::AlreadyRecording,
                RecordingMode::OnDemand => {
                    self.record_asked = true;
                    // While the beep plays the bridge is not there yet: it
                    // starts the recording itself.
                    if !self.agent.is_some_and(|a| a.beeping) {
                        self.start_recording(agent);
                    }
                    RecordVerdict::Started
                }
            }
        };
        self.push(Action::RecordVerdict(verdict));
    }

    fn answered(&mut self, now: Millis, agent: AgentId, browser: bool) {
        let Some(i) = self.ringing.iter().position(|r| r.agent == agent) else {
            return;
        };
        let ring = self.ringing.swap_remove(i);
        let direct = self.phase == Phase::Transferring(agent);
        if self.phase != Phase::Waiting && !direct {
            // Another agent answered first, or the caller is leaving.
            self.push(Action::HangUpAgent { agent });
            return;
        }
        self.count(Count::AgentAnswers);
        self.phase = Phase::Connected(agent);
        // A browser plays the auto-answer beep itself.
        let beeping = ring.auto_answer && !browser;
        self.agent = Some(Answered {
            agent,
            beeping,
            direct,
        });
        if beeping {
            self.push(Action::Beep { agent });
        } else {
            self.bridge(agent);
        }
        if direct {
            self.ring_deadline = None;
            self.note(now, CallEvent::AgentAnswered { agent });
            self.write(RecordWrite::Checkpoint);
        } else {
            self.dispatch(acd::Event::OfferAccepted {
                call: self.id,
                agent,
            });
        }
    }

    fn missed(&mut self, now: Millis, agent: AgentId, rejected: bool) {
        let Some(i) = self.ringing.iter().position(|r| r.agent == agent) else {
            return;
        };
        self.ringing.swap_remove(i);
        self.push(Action::CloseAgent { agent });
        if self.phase == Phase::Transferring(agent) {
            self.transfer_missed(now, agent);
            return;
        }
        self.count(Count::AgentMisses);
        let call = self.id;
        self.dispatch(if rejected {
            acd::Event::OfferRejected { call, agent }
        } else {
            acd::Event::OfferFailed { call, agent }
        });
    }

    fn on_digit(&mut self, now: Millis, key: char) {
        if key != '1'
            || self.phase != Phase::Waiting
            || !self.queue.config.announcements.queue_exit()
        {
            return;
        }
        if self.queue.exit == Some(ExitTarget::Callback) {
            // The request is stored before the call leaves, so the callback
            // can take the call's place in the dispatch core.
            self.phase = Phase::AskingCallback(CallbackAsk::Storing);
            self.store_callback(now);
        } else {
            self.phase = Phase::Exiting;
            self.dispatch(acd::Event::QueueExit { call: self.id });
        }
    }

    fn offer(&mut self, call: CallId, agent: AgentId, aor: String, auto_answer: bool) {
        let stale = call != self.id
            || self.phase != Phase::Waiting
            || self.ringing.iter().any(|r| r.agent == agent);
        if stale {
            // Already answered, leaving, or ringing that agent.
            self.dispatch(acd::Event::OfferFailed { call, agent });
            return;
        }
        self.ringing.push(Ringing { agent, auto_answer });
        self.push(Action::Ring {
            agent,
            aor,
            auto_answer,
        });
    }

    fn cancel_offer(&mut self, agent: AgentId) {
        if let Some(i) = self.ringing.iter().position(|r| r.agent == agent) {
            // The agent timeout passed, another agent answered, or the
            // caller left.
            self.count(Count::AgentMisses);
            self.ringing.swap_remove(i);
            self.push(Action::HangUpAgent { agent });
        } else if self.connected_agent() == Some(agent) {
            // Dispatch withdrew an offer the phone had already answered: the
            // caller waits on.
            self.drop_agents();
            self.phase = Phase::Waiting;
            self.push(Action::PlayHoldMusic {
                queue: self.queue.clone(),
            });
        }
    }

    fn on_record(&mut self, now: Millis, call: CallId, event: CallEvent) {
        if call != self.id {
            if let Some(i) = self.earlier.iter().position(|e| e.call == call) {
                if let Err(ignored) = self.earlier[i].record.handle(now, event) {
                    tracing::debug!(%ignored, "record event not applied");
                }
                if self.earlier[i].record.is_complete() {
                    let e = self.earlier.swap_remove(i);
                    self.close_earlier(e);
                }
            }
            return;
        }
        let event = match event {
            CallEvent::QueueExit { target: None } => CallEvent::QueueExit {
                target: self.queue.exit.as_ref().map(cdr::exit_target),
            },
            other => other,
        };
        let exit = matches!(event, CallEvent::QueueExit { .. });
        let answered = matches!(event, CallEvent::AgentAnswered { .. });
        self.note(now, event);
        if answered {
            self.write(RecordWrite::Checkpoint);
        }
        if !exit {
            return;
        }
        match self.phase {
            Phase::Exiting => {
                self.count(Count::QueueExits);
                self.drop_agents();
                match self.queue.exit.clone() {
                    Some(target) => self.go_to(now, target),
                    None => self.goodbye(now, Prompt::Goodbye),
                }
            }
            Phase::AskingCallback(ask) if ask != CallbackAsk::Storing => {
                self.count(Count::QueueExits);
                self.drop_agents();
                let prompt = match ask {
                    CallbackAsk::Requested(_) => Prompt::CallbackRegistered,
                    _ => Prompt::Goodbye,
                };
                self.goodbye(now, prompt);
            }
            _ => {}
        }
    }

    /// Closes the current record and opens the next one, under `next`. A
    /// record whose agent's after-call work goes on is kept until dispatch
    /// reports it over.
    fn next_record(&mut self, now: Millis, next: CallId, acw: Option<Duration>) {
        let mut arrival = self.arrival.clone();
        arrival.id = cdr::InteractionId(next.0);
        let record = RecordBuilder::new(now, arrival.clone(), self.record_config);
        let done = std::mem::replace(&mut self.record, record);
        let call = std::mem::replace(&mut self.id, next);
        self.arrival = arrival;
        // An agent's request to record was for their part of the call.
        self.record_asked = false;
        self.push(Action::Listen(next));
        match acw {
            Some(acw) if !done.is_complete() => self.earlier.push(Earlier {
                call,
                record: done,
                deadline: now + acw + ACW_GRACE,
            }),
            _ => self.close_earlier(Earlier {
                call,
                record: done,
                deadline: now,
            }),
        }
        self.write(RecordWrite::Open);
    }

    fn close_earlier(&mut self, e: Earlier) {
        self.push(Action::Record(
            RecordWrite::Complete,
            Box::new(e.record.into_record()),
        ));
        self.push(Action::Forget(e.call));
    }

    /// Joins `queue`: records it, plays its music, tells dispatch.
    fn enter_queue(&mut self, now: Millis, queue: Arc<QueueInfo>, write: RecordWrite) {
        self.queue = queue.clone();
        self.queued_at = now;
        self.phase = Phase::Waiting;
        self.note(now, CallEvent::entered_queue(&queue.config));
        self.write(write);
        self.push(Action::PlayHoldMusic { queue });
        self.dispatch(acd::Event::CallArrived {
            call: self.id,
            queue: self.queue.id,
        });
    }

    /// Plays a last prompt, then hangs up (on the system's side).
    fn goodbye(&mut self, now: Millis, prompt: Prompt) {
        self.phase = Phase::Goodbye;
        self.goodbye_deadline = Some(now + PROMPT_LIMIT);
        self.push(Action::Goodbye(prompt));
    }

    /// Ends and frees every agent leg, ringing or answered.
    fn drop_agents(&mut self) {
        for ring in std::mem::take(&mut self.ringing) {
            self.push(Action::HangUpAgent { agent: ring.agent });
        }
        if let Some(answered) = self.agent.take() {
            self.push(Action::Unbridge);
            self.push(Action::HangUpAgent {
                agent: answered.agent,
            });
        }
    }

    /// Ends both legs. `why` says who ended it, for the record.
    fn end(&mut self, now: Millis, why: CallEvent) {
        self.end_with(now, why, None);
    }

    /// [`CallFlow::end`]; with `menu`, the caller is not hung up but handed
    /// to that IVR menu.
    fn end_with(&mut self, now: Millis, why: CallEvent, menu: Option<u64>) {
        if self.phase == Phase::Ended {
            return;
        }
        if let Phase::Transferring(agent) = self.phase {
            self.note(now, CallEvent::OfferMissed { agent });
        }
        self.drop_external();
        self.phase = Phase::Ended;
        self.goodbye_deadline = None;
        self.ack_deadline = None;
        self.ring_deadline = None;
        let caller_left = why == CallEvent::CallerHungUp;
        let agent_left = why == CallEvent::AgentHungUp;
        let direct = self.agent.is_some_and(|a| a.direct);
        self.note(now, why);
        if direct {
            // Dispatch gives the agent of a transfer no after-call work.
            self.note(now, CallEvent::AcwEnded);
        }
        if !caller_left && menu.is_none() {
            self.push(Action::ByeCaller);
        }
        if agent_left {
            if let Some(answered) = self.agent.take() {
                // The agent's BYE ended their dialog already.
                self.push(Action::CloseAgent {
                    agent: answered.agent,
                });
            }
        }
        self.drop_agents();
        match menu {
            Some(menu) => self.push(Action::EnterMenu { menu }),
            None => self.push(Action::CloseCaller),
        }
        self.dispatch(acd::Event::Hangup { call: self.id });
        let grace = self.queue.config.after_call_work + ACW_GRACE;
        self.acw_deadline = Some(now + grace);
    }

    fn finish_if_complete(&mut self) {
        let done = self.phase == Phase::Ended && self.record.is_complete();
        if done && self.earlier.is_empty() && !self.finished {
            self.finish();
        }
    }

    /// Writes every record as it stands and ends.
    fn finish(&mut self) {
        for e in std::mem::take(&mut self.earlier) {
            self.close_earlier(e);
        }
        self.write(RecordWrite::Complete);
        self.finished = true;
        self.acw_deadline = None;
        self.push(Action::Finished);
    }

    fn note(&mut self, now: Millis, event: CallEvent) {
        self.record.note(now, event);
    }

    fn write(&mut self, how: RecordWrite) {
        self.push(Action::Record(how, self.record.snapshot()));
    }

    fn dispatch(&mut self, event: acd::Event) {
        self.push(Action::Dispatch(event));
    }

    fn count(&mut self, count: Count) {
        self.push(Action::Count(count));
    }

    fn push(&mut self, action: Action) {
        self.actions.push_back(action);
    }
}

/// Whether `deadline` is due at `now`; a due deadline is cleared.
fn take_due(deadline: &mut Option<Millis>, now: Millis) -> bool {
    if deadline.is_some_and(|d| d <= now) {
        *deadline = None;
        true
    } else {
        false
    }
}

mod exit;
mod external;
mod io;
mod pickup;
mod transfer;

pub use io::*;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exit;
#[cfg(test)]
mod tests_external;
#[cfg(test)]
mod tests_pickup;
#[cfg(test)]
mod tests_resume;
#[cfg(test)]
mod tests_transfer;
