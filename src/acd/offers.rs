//! An interaction's life in the queue: arrival, offers and their answer or
//! miss, and leaving the queue.
//!
//! Leaving the queue happens exactly once per interaction and is reported by
//! one [`Notice::LeftQueue`]: answered, abandoned (hang-up or queue exit) or
//! redirected (queue timeout). A missed offer (timeout, rejection, failure)
//! puts the interaction back in its old place and passes over the agent who
//! missed it until the project's re-offer delay has passed; the project's
//! missed-offer rule may then move that agent to another status. Callback
//! entries go through the same offers; what differs is in `callbacks.rs`.

use super::agent::Phase;
use super::engine::{Call, CallState, Engine};
use super::event::{AbandonReason, AcdError, Action, Miss, Notice, Outcome};
use super::ids::{AgentId, CallId, Millis, QueueId};
use super::timers::Timer;

impl Engine {
    pub(crate) fn arrive(
        &mut self,
        now: Millis,
        call: CallId,
        queue: QueueId,
        resumed: Option<Millis>,
    ) -> Result<(), AcdError> {
        let q = self.queue_index(queue)?;
        if self.calls.contains_key(&call) || self.transfers.contains_key(&call) {
            return Err(AcdError::DuplicateCall(call));
        }
        let seq = match self.carried.remove(&call) {
            Some(seq) => seq,
            None => self.next_seq(),
        };
        let cfg = &self.queues[q].cfg;
        let mut next_announce = None;
        if cfg.announcements != super::config::AnnouncementMode::None
            && !cfg.announce_every.is_zero()
        {
            let at = now + cfg.announce_every;
            next_announce = Some(at);
            self.timers.set(at, Timer::Announce { call });
        }
        let entered = resumed.unwrap_or(now);
        if let Some((after, _)) = &cfg.queue_timeout {
            self.timers
                .set(entered + *after, Timer::QueueTimeout { call });
        }
        self.calls.insert(
            call,
            Call {
                queue: q,
                seq,
                entered,
                state: CallState::Waiting,
                ringing: Vec::new(),
                offer: 0,
                excluded: Vec::new(),
                next_announce,
                callback: None,
            },
        );
        let queue = &mut self.queues[q];
        queue.waiting.insert((seq, call));
        if resumed.is_none() {
            queue.counters.offered += 1;
        }
        self.notices.push_back(Notice::Queued {
            call,
            queue: queue.cfg.id,
            position: queue.waiting.len() as u32,
        });
        self.dispatch_queue(now, q);
        Ok(())
    }

    pub(crate) fn accept(
        &mut self,
        now: Millis,
        id: CallId,
        agent: AgentId,
    ) -> Result<(), AcdError> {
        let ringing = self
            .calls
            .get(&id)
            .is_some_and(|c| c.state == CallState::Offered && c.ringing.contains(&agent));
        if !ringing {
            if self
                .calls
                .get(&id)
                .is_some_and(|c| c.state == CallState::Connected(agent))
            {
                return Ok(());
            }
            // Answered too late: the engine has moved on, so the leg must go.
            self.actions
                .push_back(Action::CancelOffer { call: id, agent });
            return Ok(());
        }
        let call = self.calls.get_mut(&id).expect("checked above");
        call.state = CallState::Connected(agent);
        self.passed_over.remove(&id);
        let losers: Vec<AgentId> = call.ringing.drain(..).filter(|&a| a != agent).collect();
        let (q, waited) = (call.queue, now - call.entered);
        for &other in &losers {
            self.drop_ringing(other, id);
            self.actions.push_back(Action::CancelOffer {
                call: id,
                agent: other,
            });
            self.refresh(other);
        }
        let a = self.agents.get_mut(&agent).expect("ringing agent exists");
        if let Some(i) = a.session(id) {
            a.sessions[i].phase = Phase::Connected;
            a.sessions[i].answered_at = now;
        }
        a.calls_today += 1;
        a.last_activity = now;
        a.missed_in_row = 0;
        self.refresh(agent);
        let call = self.calls.get_mut(&id).expect("checked above");
        if let Some(cb) = call.callback.as_mut() {
            // A callback leaves its queue when the customer answers, or when
            // it ends unreached: until then it may come back, and then as a
            // new attempt that every agent may be offered.
            cb.attempts += 1;
            call.excluded.clear();
            self.notices.push_back(Notice::CallbackDialling {
                call: id,
                agent,
                attempt: cb.attempts,
            });
            for other in losers {
                self.dispatch_agent(now, other);
            }
            return Ok(());
        }
        let queue = &mut self.queues[q];
        queue.counters.answered += 1;
        if waited <= queue.cfg.service_level {
            queue.counters.answered_in_time += 1;
        }
        self.notices.push_back(Notice::LeftQueue {
            call: id,
            queue: queue.cfg.id,
            outcome: Outcome::Answered { agent },
            waited,
        });
        for other in losers {
            self.dispatch_agent(now, other);
        }
        Ok(())
    }

    pub(crate) fn miss(
        &mut self,
        now: Millis,
        call: CallId,
        agent: AgentId,
        miss: Miss,
    ) -> Result<(), AcdError> {
        let ringing = self
            .calls
            .get(&call)
            .is_some_and(|c| c.state == CallState::Offered && c.ringing.contains(&agent));
        if !ringing {
            return Err(AcdError::NoSuchOffer { call, agent });
        }
        self.withdraw_offer(now, call, agent, Some(miss), false);
        Ok(())
    }

    pub(crate) fn offer_timed_out(&mut self, now: Millis, call: CallId) {
        let ringing = self.calls[&call].ringing.clone();
        for agent in ringing {
            self.withdraw_offer(now, call, agent, Some(Miss::Timeout), true);
        }
    }

    /// Stops ringing `agent` with `id` (telling call control to when `cancel`:
    /// the shell reported rejections and failures itself). A miss counts against the agent and
    /// passes them over for this interaction; when nobody rings any more, the
    /// interaction goes back to its place in the queue.
    pub(crate) fn withdraw_offer(
        &mut self,
        now: Millis,
        id: CallId,
        agent: AgentId,
        miss: Option<Miss>,
        cancel: bool,
    ) {
        let call = self.calls.get_mut(&id).expect("ringing call exists");
        let q = call.queue;
        let project = self.queues[q].cfg.project;
        let delay = self.projects[&project].reoffer_delay;
        call.ringing.retain(|&a| a != agent);
        call.excluded.retain(|&(_, until)| until > now);
        call.excluded.push((agent, now + delay));
        self.passed_over.insert(id);
        // Every pass-over ends with a dispatch, or an agent who missed while
        // others still rang could sit free beside the waiting call.
        self.timers.set(now + delay, Timer::Reoffer { call: id });
        let requeue = call.ringing.is_empty();
        if requeue {
            call.state = CallState::Waiting;
            self.queues[q].waiting.insert((call.seq, id));
        }
        self.drop_ringing(agent, id);
        if cancel {
            self.actions
                .push_back(Action::CancelOffer { call: id, agent });
        }
        if let Some(miss) = miss {
            self.notices.push_back(Notice::OfferMissed {
                call: id,
                agent,
                miss,
            });
            let a = self.agents.get_mut(&agent).expect("ringing agent exists");
            a.missed_in_row += 1;
            if let Some(rule) = self.projects[&project].missed_offers {
                if a.missed_in_row >= rule.limit && a.logged_in() {
                    a.missed_in_row = 0;
                    self.notices.push_back(Notice::MovedForMissedOffers {
                        agent,
                        status: rule.status,
                    });
                    self.set_status(now, agent, rule.status);
                }
            }
        }
        // The agent first: they take their best call, which may be in a
        // queue of higher priority, before this queue's strategy sees them.
        self.dispatch_agent(now, agent);
        self.refresh(agent);
        if requeue {
            self.dispatch_queue(now, q);
        }
    }

    /// Removes the ringing session of `call` from `agent`, freeing its weight.
    pub(crate) fn drop_ringing(&mut self, agent: AgentId, call: CallId) {
        if let Some(a) = self.agents.get_mut(&agent) {
            if let Some(i) = a
                .sessions
                .iter()
                .position(|s| s.call == call && s.phase == Phase::Ringing)
            {
                let s = a.sessions.swap_remove(i);
                a.used -= s.weight;
            }
        }
    }

    pub(crate) fn hangup(&mut self, now: Millis, call: CallId) {
        if let Some(agent) = self.transfers.remove(&call) {
            return self.end_transfer(now, agent);
        }
        self.carried.remove(&call);
        if self
            .calls
            .get(&call)
            .is_some_and(|c| c.callback.is_some_and(|cb| !cb.reached))
        {
            return self.end_callback(now, call, super::event::CallbackEnd::Cancelled);
        }
        match self.calls.get(&call).map(|c| c.state) {
            None => {}
            Some(CallState::Connected(agent)) => {
                self.calls.remove(&call);
                self.start_wrapup(now, agent, call);
            }
            Some(_) => self.leave_unanswered(now, call, Outcome::Abandoned(AbandonReason::Hangup)),
        }
    }

    pub(crate) fn start_transfer(
        &mut self,
        now: Millis,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), AcdError> {
        let a = self
            .agents
            .get_mut(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        if !a.takes_transfer() {
            return Err(AcdError::NoTransfer(agent));
        }
        if self.calls.contains_key(&call) || self.transfers.contains_key(&call) {
            return Err(AcdError::DuplicateCall(call));
        }
        a.transfer = Some(call);
        a.last_activity = now;
        self.transfers.insert(call, agent);
        self.refresh(agent);
        Ok(())
    }

    fn end_transfer(&mut self, now: Millis, agent: AgentId) {
        let a = self.agents.get_mut(&agent).expect("transfer agent exists");
        a.transfer = None;
        a.last_activity = now;
        a.last_call_end = now;
        self.dispatch_agent(now, agent);
        self.refresh(agent);
    }

    pub(crate) fn queue_exit(&mut self, now: Millis, call: CallId) {
        if self
            .calls
            .get(&call)
            .is_some_and(|c| !matches!(c.state, CallState::Connected(_)) && c.callback.is_none())
        {
            self.leave_unanswered(now, call, Outcome::Abandoned(AbandonReason::QueueExit));
        }
    }

    /// The interaction leaves its queue unanswered: ringing agents are
    /// released and may take other work.
    pub(crate) fn leave_unanswered(&mut self, now: Millis, id: CallId, outcome: Outcome) {
        let call = self.calls.remove(&id).expect("caller checked");
        self.passed_over.remove(&id);
        let queue = &mut self.queues[call.queue];
        queue.waiting.remove(&(call.seq, id));
        match &outcome {
            Outcome::Answered { .. } => unreachable!("answers leave through accept"),
            Outcome::Abandoned(reason) => {
                queue.counters.abandoned += 1;
                if *reason == AbandonReason::QueueExit {
                    queue.counters.queue_exits += 1;
                }
            }
            Outcome::Redirected(_) => queue.counters.redirected += 1,
            Outcome::CallbackRequested { .. } => queue.counters.callbacks_requested += 1,
            Outcome::CallbackEnded(_) => queue.counters.callbacks_failed += 1,
        }
        if call.callback.is_some() {
            queue.callbacks -= 1;
        }
        if call.state == CallState::Retrying {
            queue.retrying -= 1;
        }
        self.notices.push_back(Notice::LeftQueue {
            call: id,
            queue: queue.cfg.id,
            outcome,
            waited: now - call.entered,
        });
        for &agent in &call.ringing {
            self.drop_ringing(agent, id);
            self.actions
                .push_back(Action::CancelOffer { call: id, agent });
            self.refresh(agent);
        }
        for &agent in &call.ringing {
            self.dispatch_agent(now, agent);
        }
    }
}
