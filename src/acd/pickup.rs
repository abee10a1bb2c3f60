//! Pickup: a colleague takes a queue offer that is ringing another agent's
//! phone (the pickup groups of the product: who may pick up whom is call
//! control's business, from the stored groups).
//!
//! The picker must be logged in to the call's project and free as for an
//! internal transfer (Available or in a Transferable status, holding
//! nothing). The call is then theirs as if they had been offered it and
//! answered: every phone it was ringing is cancelled ([`Action::CancelOffer`]),
//! without counting a miss against anyone, and the interaction leaves its
//! queue answered by the picker. A callback being offered is not picked up:
//! its agent dials the customer.

use super::agent::{Phase, Session};
use super::config::Channel;
use super::engine::{CallState, Engine};
use super::event::{AcdError, Notice};
use super::ids::{AgentId, CallId, Millis};

#[cfg(doc)]
use super::event::Action;

impl Engine {
    /// See [`Event::OfferPickedUp`](super::Event::OfferPickedUp).
    pub(crate) fn pick_up(
        &mut self,
        now: Millis,
        id: CallId,
        agent: AgentId,
        by: AgentId,
    ) -> Result<(), AcdError> {
        let ringing = self.calls.get(&id).is_some_and(|c| {
            c.state == CallState::Offered && c.ringing.contains(&agent) && c.callback.is_none()
        });
        if !ringing {
            return Err(AcdError::NoSuchOffer { call: id, agent });
        }
        if self.calls[&id].ringing.contains(&by) {
            // Ringing the picker too (Ring-All): their answer, as a pickup.
            return self.accept(now, id, by);
        }
        let q = self.calls[&id].queue;
        let queue = &self.queues[q];
        let (project, queue_id, weight) = (queue.cfg.project, queue.cfg.id, queue.weight());
        let voice = queue.cfg.channel == Channel::Voice;
        let picker = self.agents.get(&by).ok_or(AcdError::NotLoggedIn(by))?;
        match picker.project {
            None => return Err(AcdError::NotLoggedIn(by)),
            Some(p) if p != project => {
                return Err(AcdError::WrongProject {
                    agent: by,
                    queue: queue_id,
                })
            }
            Some(_) => {}
        }
        if !picker.takes_transfer() {
            return Err(AcdError::NoTransfer(by));
        }
        let picker = self.agents.get_mut(&by).expect("checked above");
        picker.sessions.push(Session {
            call: id,
            queue: q,
            weight,
            voice,
            phase: Phase::Ringing,
            answered_at: now,
            ended_at: now,
            result_code: None,
            until: now,
        });
        picker.used += weight;
        self.calls
            .get_mut(&id)
            .expect("checked above")
            .ringing
            .push(by);
        self.notices.push_back(Notice::Offered {
            call: id,
            agent: by,
        });
        self.accept(now, id, by)
    }

    /// The offer a group pickup by one of `agents`' colleagues takes: of
    /// the queue interactions ringing any of `agents` now, the one whose
    /// caller has waited longest (entered its queue first), with the agent
    /// it rings (the first of `agents` it rings). Callbacks are left out, as
    /// in [`Engine::ringing_offer`].
    pub fn oldest_ringing(&self, agents: &[AgentId]) -> Option<(CallId, AgentId)> {
        agents
            .iter()
            .filter_map(|&a| Some((self.ringing_offer(a)?, a)))
            .min_by_key(|(c, _)| {
                let call = &self.calls[c];
                (call.entered, call.seq)
            })
    }

    /// The queue interaction ringing `agent`'s phones now, if any (a
    /// callback offer is not one: it cannot be picked up).
    pub fn ringing_offer(&self, agent: AgentId) -> Option<CallId> {
        let a = self.agents.get(&agent)?;
        a.sessions
            .iter()
            .filter(|s| s.phase == Phase::Ringing)
            .map(|s| s.call)
            .find(|c| self.calls.get(c).is_some_and(|c| c.callback.is_none()))
    }
}
