//! Who takes what.
//!
//! Two moments decide: an interaction joins a queue (or goes back to it), and
//! an agent becomes free. In the first, the queue's strategy picks among the
//! queue's eligible agents, those of the highest agent priority first. In the
//! second, the agent takes from the queue of highest priority among those
//! they serve and are eligible for; between queues of equal priority, the
//! interaction that arrived first. Within one queue, interactions are taken
//! in arrival order (FIFO). An agent who missed an interaction is passed over
//! for it until the project's re-offer delay has passed.
//!
//! Because every change that can free an agent ends in [`Engine::dispatch_agent`]
//! and every arrival in [`Engine::dispatch_queue`], no interaction waits while
//! an agent who could take it sits Available (other than one passed over).

use super::agent::{Phase, Session};
use super::engine::{CallState, Engine};
use super::event::{Action, Notice};
use super::ids::{AgentId, CallId, Millis};
use super::queue::{QIdx, Queue};
use super::timers::Timer;

impl Engine {
    /// Offers waiting interactions of queue `q` to its eligible agents until
    /// one of the two runs out.
    pub(crate) fn dispatch_queue(&mut self, now: Millis, q: QIdx) {
        loop {
            let queue = &self.queues[q];
            if queue.strategy.is_empty() || queue.waiting.is_empty() {
                return;
            }
            if queue.strategy.rings_all() {
                let head = queue
                    .waiting
                    .iter()
                    .map(|&(_, id)| (id, self.ring_all_agents(q, id, now, None)))
                    .find(|(_, agents)| !agents.is_empty());
                match head {
                    Some((call, agents)) => self.offer(now, call, &agents),
                    None => return,
                }
                continue;
            }
            let Queue {
                waiting, strategy, ..
            } = &mut self.queues[q];
            let mut chosen = None;
            for &(_, id) in waiting.iter() {
                let call = self.passed_over.contains(&id).then(|| &self.calls[&id]);
                if let Some(a) = strategy.pick(&mut |a| call.is_some_and(|c| c.excludes(a, now))) {
                    chosen = Some((id, a));
                    break;
                }
            }
            match chosen {
                // A pass-over can end for several calls at one instant; the
                // agent then takes whichever of them is best for them.
                Some((call, agent)) if self.best_call_for(agent, now) != Some(call) => {
                    self.dispatch_agent(now, agent)
                }
                Some((call, agent)) => self.offer(now, call, &[agent]),
                None => return,
            }
        }
    }

    /// The agents a Ring-All offer of `id` rings: the free agents of the
    /// queue's highest priority among those not passed over for it and for
    /// whom it is the best call (an agent with a call of higher priority
    /// waiting elsewhere takes that one). `also` is an agent just freed, who
    /// may not be in the queue's index yet.
    fn ring_all_agents(
        &self,
        q: QIdx,
        id: CallId,
        now: Millis,
        also: Option<AgentId>,
    ) -> Vec<AgentId> {
        let call = &self.calls[&id];
        let mut agents = Vec::new();
        let mut top = 0;
        let mut consider = |a: AgentId| {
            let p = self.agents[&a].priority;
            if agents.is_empty() || p > top {
                agents.clear();
                top = p;
                agents.push(a);
            } else if p == top && !agents.contains(&a) {
                agents.push(a);
            }
        };
        self.queues[q].strategy.for_each(&mut |a| {
            if !call.excludes(a, now) && self.best_call_for(a, now) == Some(id) {
                consider(a);
            }
        });
        if let Some(a) = also {
            consider(a);
        }
        agents
    }

    /// The waiting call `agent` should take now: highest priority among the
    /// queues they serve and have room for, then oldest, not passed over.
    fn best_call_for(&self, agent: AgentId, now: Millis) -> Option<CallId> {
        let a = self.agents.get(&agent)?;
        let mut best: Option<(u32, u64, CallId)> = None;
        for &q in &a.queues {
            let queue = &self.queues[q];
            let prio = queue.cfg.priority;
            if queue.waiting.is_empty()
                || !a.eligible_for(queue)
                || best.is_some_and(|b| b.0 > prio)
            {
                continue;
            }
            let head = queue
                .waiting
                .iter()
                .find(|(_, c)| !self.is_passed_over(*c, agent, now));
            if let Some(&(seq, call)) = head {
                if best.is_none_or(|b| prio > b.0 || (prio == b.0 && seq < b.1)) {
                    best = Some((prio, seq, call));
                }
            }
        }
        best.map(|b| b.2)
    }

    /// Offers the agent the best waiting interaction they are eligible for,
    /// again while they have room (text sessions).
    pub(crate) fn dispatch_agent(&mut self, now: Millis, agent: AgentId) {
        let mut open = std::mem::take(&mut self.scratch);
        while let Some(a) = self.agents.get(&agent) {
            // (priority, arrival sequence, call) of the best head so far, and
            // every queue with calls the agent could take, for the bypass count.
            let mut best: Option<(u32, u64, CallId)> = None;
            open.clear();
            for &q in &a.queues {
                let queue = &self.queues[q];
                if queue.waiting.is_empty() || !a.eligible_for(queue) {
                    continue;
                }
                let prio = queue.cfg.priority;
                open.push((prio, q));
                if best.is_some_and(|b| b.0 > prio) {
                    continue;
                }
                let head = queue
                    .waiting
                    .iter()
                    .find(|(_, c)| !self.is_passed_over(*c, agent, now));
                if let Some(&(seq, call)) = head {
                    if best.is_none_or(|b| prio > b.0 || (prio == b.0 && seq < b.1)) {
                        best = Some((prio, seq, call));
                    }
                }
            }
            #[cfg(test)]
            self.check_best_for(agent, now, best.map(|b| b.2));
            let Some((prio, _, call)) = best else {
                break;
            };
            for &(p, q) in &open {
                if p < prio {
                    let queue = &mut self.queues[q];
                    queue.counters.bypassed += 1;
                    self.notices.push_back(Notice::Bypassed {
                        queue: queue.cfg.id,
                        agent,
                    });
                }
            }
            let q = self.calls[&call].queue;
            if self.queues[q].strategy.rings_all() {
                // The agent may not be indexed yet (just out of after-call work).
                let agents = self.ring_all_agents(q, call, now, Some(agent));
                self.offer(now, call, &agents);
            } else {
                self.offer(now, call, &[agent]);
            }
        }
        self.scratch = open;
    }

    /// Test oracle: whatever path leads to an offer, the call must be the
    /// best for the agent found by scanning every call (and when an agent is
    /// left without an offer, there must be none).
    #[cfg(test)]
    fn check_best_for(&self, agent: AgentId, now: Millis, chosen: Option<CallId>) {
        if self.calls.len() > 64 {
            return; // the simulator's long runs; the scenario worlds are small
        }
        let a = &self.agents[&agent];
        let best = self
            .calls
            .iter()
            .filter(|(_, c)| c.state == CallState::Waiting)
            .filter(|(_, c)| a.queues.contains(&c.queue))
            .filter(|(_, c)| a.eligible_for(&self.queues[c.queue]))
            .filter(|(_, c)| !c.excludes(agent, now))
            .map(|(id, c)| {
                (
                    std::cmp::Reverse(self.queues[c.queue].cfg.priority),
                    c.seq,
                    *id,
                )
            })
            .min()
            .map(|b| b.2);
        if best != chosen {
            let show = |c: Option<CallId>| {
                c.map(|c| {
                    let call = &self.calls[&c];
                    format!(
                        "{c} in {} prio {} seq {} state {:?} excluded {:?}",
                        self.queues[call.queue].cfg.id,
                        self.queues[call.queue].cfg.priority,
                        call.seq,
                        call.state,
                        call.excluded
                    )
                })
            };
            panic!(
                "at {} {agent} should take {:?}, not {:?}",
                self.now,
                show(best),
                show(chosen)
            );
        }
    }

    /// Whether `agent` missed `call` within the re-offer delay.
    fn is_passed_over(&self, call: CallId, agent: AgentId, now: Millis) -> bool {
        self.passed_over.contains(&call) && self.calls[&call].excludes(agent, now)
    }

    /// Rings `agents` with a waiting interaction for the queue's agent timeout.
    pub(crate) fn offer(&mut self, now: Millis, id: CallId, agents: &[AgentId]) {
        #[cfg(test)]
        for &agent in agents {
            self.check_best_for(agent, now, Some(id));
        }
        self.next_offer += 1;
        let call = self.calls.get_mut(&id).expect("offered call exists");
        let q = call.queue;
        let queue = &mut self.queues[q];
        queue.waiting.remove(&(call.seq, id));
        call.state = CallState::Offered;
        call.offer = self.next_offer;
        call.ringing.clear();
        call.ringing.extend_from_slice(agents);
        let callback = call.callback;
        let ring_for = queue.cfg.agent_timeout;
        let auto_answer = queue.cfg.auto_answer;
        let weight = queue.weight();
        let voice = queue.cfg.channel == super::config::Channel::Voice;
        self.timers.set(
            now + ring_for,
            Timer::Offer {
                call: id,
                offer: self.next_offer,
            },
        );
        for &agent in agents {
            let a = self.agents.get_mut(&agent).expect("eligible agent exists");
            debug_assert!(a.eligible_for(&self.queues[q]), "{agent} offered {id}");
            a.sessions.push(Session {
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
            a.used += weight;
            self.actions.push_back(match callback {
                Some(cb) => Action::OfferCallback {
                    call: id,
                    agent,
                    ring_for,
                    auto_answer,
                    attempt: cb.attempts + 1,
                },
                None => Action::Offer {
                    call: id,
                    agent,
                    ring_for,
                    auto_answer,
                },
            });
            self.notices.push_back(Notice::Offered { call: id, agent });
            self.refresh(agent);
        }
    }
}
