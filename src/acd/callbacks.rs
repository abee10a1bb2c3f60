//! Callbacks: a caller who asks to be called back keeps their place.
//!
//! When a waiting caller takes the queue's callback exit
//! ([`Event::CallbackRequested`](super::Event::CallbackRequested)), their call
//! leaves the queue ([`Outcome::CallbackRequested`]) and a callback entry
//! takes its place: the same arrival number, so the same order against every
//! other interaction of the queue and, between queues of equal priority,
//! against theirs; and the same arrival time, so its QueueWaitLength and the
//! queue's longest wait count from when the caller first called. A callback
//! asked for through the API, or re-entered at start-up
//! ([`Event::CallbackArrived`](super::Event::CallbackArrived)), joins at the
//! back.
//!
//! A callback entry waits like a call, without announcements (nobody is on
//! the line) and without the queue timeout (its exit target is meant for a
//! caller on the line); instead the queue's `callback_expiry`, counted from
//! the request, ends it as expired if it is still unconnected then. Callers
//! behind a callback are behind it: it counts in their announced position and
//! estimated wait, as it will take an agent's time before theirs.
//!
//! At the head of the queue it is offered to an agent as a callback
//! ([`Action::OfferCallback`]); rejections and misses go to the next agent
//! exactly as for a call. Once an agent answers, call control dials the
//! customer while the agent is held (In Call): the customer answers
//! ([`Event::CallbackConnected`](super::Event::CallbackConnected)), and the
//! callback leaves its queue answered and goes on as a connected call
//! (hang-up, after-call work, result code); or cannot be reached
//! ([`Event::CallbackUnreachable`](super::Event::CallbackUnreachable)), and the
//! agent is free at once. An unreachable callback with retries left
//! (`callback_retries`) waits out `callback_retry_delay` out of the queue, so
//! the customer is not rung again at once, then goes back to its original
//! place, ahead of those who called after it; without retries it ends. A
//! callback counts once in the queue's figures, by how it ends: answered
//! (within the service level or not, from the caller's first arrival), or
//! failed (unreachable, expired or cancelled). A hang-up (or a cancellation)
//! before the customer answers ends it as cancelled.

use super::engine::{Call, CallState, Callback, Engine};
use super::event::{AcdError, CallbackEnd, Notice, Outcome};
use super::ids::{AgentId, CallId, Millis, QueueId};
use super::queue::QIdx;
use super::timers::Timer;

impl Engine {
    pub(crate) fn request_callback(
        &mut self,
        now: Millis,
        call: CallId,
        callback: CallId,
    ) -> Result<(), AcdError> {
        let c = self.calls.get(&call).ok_or(AcdError::NotWaiting(call))?;
        if matches!(c.state, CallState::Connected(_)) || c.callback.is_some() {
            return Err(AcdError::NotWaiting(call));
        }
        if self.is_known(callback) || callback == call {
            return Err(AcdError::DuplicateCall(callback));
        }
        let (q, seq, entered) = (c.queue, c.seq, c.entered);
        if self.retired(q) {
            return Err(AcdError::UnknownQueue(self.queues[q].cfg.id));
        }
        self.insert_callback(callback, q, seq, entered, now, 0);
        self.leave_unanswered(now, call, Outcome::CallbackRequested { callback });
        self.dispatch_queue(now, q);
        Ok(())
    }

    pub(crate) fn callback_arrived(
        &mut self,
        now: Millis,
        call: CallId,
        queue: QueueId,
        requested: Millis,
        attempts: u32,
    ) -> Result<(), AcdError> {
        let q = self.queue_index(queue)?;
        if self.is_known(call) {
            return Err(AcdError::DuplicateCall(call));
        }
        let seq = self.next_seq();
        let requested = requested.min(now);
        self.queues[q].counters.offered += 1;
        self.insert_callback(call, q, seq, requested, requested, attempts);
        let expires = self.calls[&call].callback.and_then(|cb| cb.expires);
        if expires.is_some_and(|at| at <= now) {
            self.end_callback(now, call, CallbackEnd::Expired);
        } else {
            self.dispatch_queue(now, q);
        }
        Ok(())
    }

    fn is_known(&self, call: CallId) -> bool {
        self.calls.contains_key(&call)
            || self.transfers.contains_key(&call)
            || self.carried.contains_key(&call)
    }

    /// Puts a callback entry into queue `q` at arrival number `seq`.
    fn insert_callback(
        &mut self,
        call: CallId,
        q: QIdx,
        seq: u64,
        entered: Millis,
        requested: Millis,
        attempts: u32,
    ) {
        let expires = self.queues[q].cfg.callback_expiry.map(|d| requested + d);
        if let Some(at) = expires {
            self.timers.set(at, Timer::CallbackExpiry { call });
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
                next_announce: None,
                callback: Some(Callback {
                    attempts,
                    reached: false,
                    expires,
                }),
            },
        );
        let queue = &mut self.queues[q];
        queue.waiting.insert((seq, call));
        queue.callbacks += 1;
        let id = queue.cfg.id;
        let position = self.position(call).unwrap_or(1);
        self.notices.push_back(Notice::Queued {
            call,
            queue: id,
            position,
        });
    }

    /// The agent dialling `call`, if it is a callback being dialled.
    fn dialling(&self, call: CallId) -> Option<AgentId> {
        let c = self.calls.get(&call)?;
        match (c.state, c.callback) {
            (CallState::Connected(agent), Some(cb)) if !cb.reached => Some(agent),
            _ => None,
        }
    }

    pub(crate) fn callback_connected(&mut self, now: Millis, id: CallId) -> Result<(), AcdError> {
        let agent = self.dialling(id).ok_or(AcdError::NoSuchCallback(id))?;
        let call = self.calls.get_mut(&id).expect("checked above");
        if let Some(cb) = call.callback.as_mut() {
            cb.reached = true;
        }
        let (q, waited) = (call.queue, now - call.entered);
        let a = self.agents.get_mut(&agent).expect("dialling agent exists");
        if let Some(i) = a.session(id) {
            // Talk time is the conversation, not the dialling.
            a.sessions[i].answered_at = now;
        }
        let queue = &mut self.queues[q];
        queue.callbacks -= 1;
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
        Ok(())
    }

    pub(crate) fn callback_unreachable(
        &mut self,
        now: Millis,
        id: CallId,
        retry: bool,
    ) -> Result<(), AcdError> {
        let agent = self.dialling(id).ok_or(AcdError::NoSuchCallback(id))?;
        let call = &self.calls[&id];
        let cb = call.callback.expect("dialling a callback");
        let cfg = &self.queues[call.queue].cfg;
        let expired = cb.expires.is_some_and(|at| at <= now);
        // A deleted queue offers nothing more: a retry could never be dialled.
        let again =
            retry && cb.attempts <= cfg.callback_retries && !expired && !self.retired(call.queue);
        let retry_at = again.then(|| now + cfg.callback_retry_delay);
        self.notices.push_back(Notice::CallbackAttemptFailed {
            call: id,
            agent,
            attempt: cb.attempts,
            retry_at,
        });
        let Some(at) = retry_at else {
            let end = if expired {
                CallbackEnd::Expired
            } else {
                CallbackEnd::Unreachable
            };
            self.end_callback(now, id, end);
            return Ok(());
        };
        self.drop_session(agent, id);
        let call = self.calls.get_mut(&id).expect("checked above");
        call.state = CallState::Retrying;
        let q = call.queue;
        self.queues[q].retrying += 1;
        if at <= now {
            self.retry_callback(now, id);
        } else {
            self.timers.set(at, Timer::CallbackRetry { call: id });
        }
        self.free_agent(now, agent);
        Ok(())
    }

    /// The retry delay passed: the callback takes its old place again.
    pub(crate) fn retry_callback(&mut self, now: Millis, id: CallId) {
        let call = self.calls.get_mut(&id).expect("timer checked");
        call.state = CallState::Waiting;
        let q = call.queue;
        let queue = &mut self.queues[q];
        queue.retrying -= 1;
        queue.waiting.insert((call.seq, id));
        self.dispatch_queue(now, q);
    }

    pub(crate) fn expire_callback(&mut self, now: Millis, id: CallId) {
        // Being dialled, the attempt decides: if it fails, it ends expired.
        if self.dialling(id).is_none() {
            self.end_callback(now, id, CallbackEnd::Expired);
        }
    }

    pub(crate) fn cancel_callback(&mut self, now: Millis, id: CallId) -> Result<(), AcdError> {
        let unreached = self
            .calls
            .get(&id)
            .and_then(|c| c.callback)
            .is_some_and(|cb| !cb.reached);
        if !unreached {
            return Err(AcdError::NoSuchCallback(id));
        }
        self.end_callback(now, id, CallbackEnd::Cancelled);
        Ok(())
    }

    /// Ends an unreached callback: ringing agents are released, the agent
    /// dialling it (if any) is free.
    pub(crate) fn end_callback(&mut self, now: Millis, id: CallId, end: CallbackEnd) {
        let dialling = self.dialling(id);
        if let Some(agent) = dialling {
            self.drop_session(agent, id);
        }
        self.leave_unanswered(now, id, Outcome::CallbackEnded(end));
        if let Some(agent) = dialling {
            self.free_agent(now, agent);
        }
    }

    /// Removes the agent's session of `call`, whatever its phase.
    fn drop_session(&mut self, agent: AgentId, call: CallId) {
        if let Some(a) = self.agents.get_mut(&agent) {
            if let Some(i) = a.session(call) {
                let s = a.sessions.swap_remove(i);
                a.used -= s.weight;
            }
        }
    }

    /// The agent's attempt is over: they take their next interaction.
    fn free_agent(&mut self, now: Millis, agent: AgentId) {
        if let Some(a) = self.agents.get_mut(&agent) {
            a.last_activity = now;
            a.last_call_end = now;
        }
        self.refresh(agent);
        self.dispatch_agent(now, agent);
    }
}
