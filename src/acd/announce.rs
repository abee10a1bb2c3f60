//! Waiting callers: periodic announcements (position and estimated wait, the
//! queue-exit option, or both, at the queue's frequency, the first one
//! frequency after entry) and the queue timeout, which sends the caller to the
//! queue's exit target and records the interaction as redirected. A call sent
//! to another queue keeps its arrival order there: among queues of equal
//! priority it has still waited longest overall.
//!
//! An interaction being offered is not announced to (the announcement would
//! talk over the ringing); its turn comes again at the next interval.

use super::config::ExitTarget;
use super::engine::{CallState, Engine};
use super::event::{Action, Outcome};
use super::ids::{CallId, Millis};
use super::timers::Timer;

impl Engine {
    pub(crate) fn announce(&mut self, now: Millis, at: Millis, id: CallId) {
        let call = self.calls.get_mut(&id).expect("timer checked");
        let cfg = &self.queues[call.queue].cfg;
        let next = at + cfg.announce_every;
        call.next_announce = Some(next);
        self.timers.set(next, Timer::Announce { call: id });
        if call.state != CallState::Waiting {
            return;
        }
        let (mode, q) = (cfg.announcements, call.queue);
        let mut position = None;
        let mut estimated_wait = None;
        if mode.position() {
            let p = self.position(id).unwrap_or(1);
            position = Some(p);
            estimated_wait = self.estimate_at(q, p, now);
        }
        self.actions.push_back(Action::Announce {
            call: id,
            position,
            estimated_wait,
            queue_exit: mode.queue_exit(),
        });
    }

    pub(crate) fn queue_timeout(&mut self, now: Millis, id: CallId) {
        let q = self.calls[&id].queue;
        let Some((_, target)) = self.queues[q].cfg.queue_timeout.clone() else {
            return;
        };
        if matches!(target, ExitTarget::Queue(_)) {
            self.carried.insert(id, self.calls[&id].seq);
        }
        self.actions.push_back(Action::Redirect {
            call: id,
            target: target.clone(),
        });
        self.leave_unanswered(now, id, Outcome::Redirected(target));
    }

    /// The waiting interaction's place in its queue (1 is next), counting only
    /// interactions waiting, not those ringing an agent.
    pub fn position(&self, call: CallId) -> Option<u32> {
        let c = self.calls.get(&call)?;
        if c.state != CallState::Waiting {
            return None;
        }
        let ahead = self.queues[c.queue].waiting.range(..(c.seq, call)).count();
        Some(ahead as u32 + 1)
    }
}
