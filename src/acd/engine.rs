//! The dispatch engine: one data structure holding every queue, agent and
//! waiting interaction of the projects this node owns, changed only by
//! [`Engine::handle`] and [`Engine::handle_timeout`].
//!
//! The engine never reads a clock and never performs I/O. Each input carries
//! the current time; the engine answers with [`Action`]s for call control
//! ([`Engine::poll_action`]), [`Notice`]s for monitoring and the history log
//! ([`Engine::poll_notice`]) and the next instant it needs to be woken at
//! ([`Engine::poll_timeout`]). Time passed in never goes backwards: an earlier
//! `now` than the last one is taken as the last one.
//!
//! The rules themselves live beside this file: `staff` (login, queues,
//! statuses), `dispatch` (who takes what), `offers` (ringing, answer, miss,
//! leaving the queue), `wrapup`, `breaks`, `announce` (announcements and queue
//! timeout), `estimate`, `metrics` and `reconfig` (configuration changes,
//! removals included).

use std::collections::VecDeque;
use std::time::Duration;

use super::agent::Agent;
use super::config::{Config, ProjectConfig, StatusConfig};
use super::event::{AcdError, Action, Event, Notice};
use super::ids::{
    AgentId, CallId, IdMap, IdSet, Millis, ProjectId, QueueGroupId, QueueId, ResultCodeId, StatusId,
};
use super::queue::{QIdx, Queue};
use super::timers::{Timer, Timers};

/// Where an interaction the engine knows stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallState {
    Waiting,
    Offered,
    Connected(AgentId),
    /// A callback waiting out its retry delay, out of the waiting set.
    Retrying,
}

/// What a callback entry carries beyond a call's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Callback {
    /// Attempts made: offers answered by an agent, who then dialled.
    pub attempts: u32,
    /// The customer answered: from here on it is a connected call.
    pub reached: bool,
    pub expires: Option<Millis>,
}

pub(crate) struct Call {
    pub queue: QIdx,
    pub seq: u64,
    pub entered: Millis,
    pub state: CallState,
    /// Agents the current offer rings.
    pub ringing: Vec<AgentId>,
    /// Number of the current offer, so a stale offer timer is recognised.
    pub offer: u64,
    /// Agents who missed this call, and until when they are passed over.
    pub excluded: Vec<(AgentId, Millis)>,
    pub next_announce: Option<Millis>,
    /// Set for a callback entry.
    pub callback: Option<Callback>,
}

impl Call {
    pub fn excludes(&self, agent: AgentId, now: Millis) -> bool {
        self.excluded
            .iter()
            .any(|&(a, until)| a == agent && until > now)
    }
}

/// The dispatch core. See the module documentation.
pub struct Engine {
    pub(crate) projects: IdMap<ProjectId, ProjectConfig>,
    pub(crate) statuses: IdMap<StatusId, StatusConfig>,
    pub(crate) result_codes: IdMap<ResultCodeId, Duration>,
    pub(crate) queues: Vec<Queue>,
    pub(crate) queue_at: IdMap<QueueId, QIdx>,
    pub(crate) groups: IdMap<QueueGroupId, Vec<QIdx>>,
    /// Agent -> the queues that list them as mandatory.
    pub(crate) mandatory: IdMap<AgentId, Vec<QIdx>>,
    pub(crate) agents: IdMap<AgentId, Agent>,
    /// Agent -> dispatch priority, for those told one other than 0.
    pub(crate) priorities: IdMap<AgentId, u8>,
    pub(crate) calls: IdMap<CallId, Call>,
    /// Calls sent to another queue by a queue timeout, with their arrival
    /// sequence, so they keep their overall place when they arrive there.
    pub(crate) carried: IdMap<CallId, u64>,
    /// Internal transfers in progress, by call.
    pub(crate) transfers: IdMap<CallId, AgentId>,
    /// Calls that some agent missed: only these need their exclusions
    /// checked, which keeps dispatch from touching every waiting call.
    pub(crate) passed_over: IdSet<CallId>,
    /// Reused by dispatch to list an agent's queues with calls waiting.
    pub(crate) scratch: Vec<(u32, super::queue::QIdx)>,
    pub(crate) timers: Timers,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) notices: VecDeque<Notice>,
    pub(crate) next_seq: u64,
    pub(crate) next_offer: u64,
    pub(crate) now: Millis,
    pub(crate) seed: u64,
}

impl Engine {
    /// An engine for `config`.
    ///
    /// # Panics
    /// If the configuration refers to a project, queue or status it does not
    /// define; [`Engine::try_new`] reports that instead.
    pub fn new(config: Config) -> Self {
        match Self::try_new(config) {
            Ok(engine) => engine,
            Err(e) => panic!("invalid dispatch configuration: {e}"),
        }
    }

    /// An engine for `config`, or what is wrong with it.
    pub fn try_new(config: Config) -> Result<Self, AcdError> {
        let mut engine = Engine {
            projects: config.projects.into_iter().map(|p| (p.id, p)).collect(),
            statuses: config.statuses.into_iter().map(|s| (s.id, s)).collect(),
            result_codes: config
                .result_codes
                .into_iter()
                .map(|r| (r.id, r.extra_time))
                .collect(),
            queues: Vec::new(),
            queue_at: IdMap::default(),
            groups: IdMap::default(),
            mandatory: IdMap::default(),
            agents: IdMap::default(),
            priorities: IdMap::default(),
            calls: IdMap::default(),
            carried: IdMap::default(),
            transfers: IdMap::default(),
            passed_over: IdSet::default(),
            scratch: Vec::new(),
            timers: Timers::default(),
            actions: VecDeque::new(),
            notices: VecDeque::new(),
            next_seq: 0,
            next_offer: 0,
            now: Millis::ZERO,
            seed: config.seed,
        };
        for project in engine.projects.values() {
            if let Some(rule) = project.missed_offers {
                if !engine.statuses.contains_key(&rule.status) {
                    return Err(AcdError::UnknownStatus(rule.status));
                }
            }
        }
        for queue in config.queues {
            engine.configure_queue(queue)?;
        }
        for group in config.queue_groups {
            engine.configure_group(group)?;
        }
        for (agent, priority) in config.agent_priorities {
            engine.set_priority(agent, priority);
        }
        Ok(engine)
    }

    /// Applies one input at `now`. Timers due at or before `now` run first,
    /// so what happens never depends on how promptly the shell woke up for
    /// [`Engine::poll_timeout`]. On error the input itself changed nothing
    /// (the due timers have still run).
    pub fn handle(&mut self, now: Millis, event: Event) -> Result<(), AcdError> {
        self.handle_timeout(now);
        let now = self.now;
        match event {
            Event::AgentLogin {
                agent,
                project,
                status,
                queues,
            } => self.login(now, agent, project, status, &queues),
            Event::AgentLogout { agent } => self.logout(now, agent),
            Event::AgentJoinQueue { agent, queue } => self.join_queue(now, agent, queue),
            Event::AgentLeaveQueue { agent, queue } => self.leave_queue(agent, queue),
            Event::AgentStatus { agent, status } => self.choose_status(now, agent, status),
            Event::OfferPickedUp { call, agent, by } => self.pick_up(now, call, agent, by),
            Event::AgentPriority { agent, priority } => {
                self.set_priority(agent, priority);
                Ok(())
            }
            Event::CallArrived { call, queue } => self.arrive(now, call, queue, None),
            Event::CallResumed {
                call,
                queue,
                arrived,
            } => self.arrive(now, call, queue, Some(arrived.min(now))),
            Event::OfferAccepted { call, agent } => self.accept(now, call, agent),
            Event::OfferRejected { call, agent } => {
                self.miss(now, call, agent, super::event::Miss::Rejected)
            }
            Event::OfferFailed { call, agent } => {
                self.miss(now, call, agent, super::event::Miss::Failed)
            }
            Event::Hangup { call } => {
                self.hangup(now, call);
                Ok(())
            }
            Event::TransferStarted { call, agent } => self.start_transfer(now, call, agent),
            Event::QueueExit { call } => {
                self.queue_exit(now, call);
                Ok(())
            }
            Event::CallbackRequested { call, callback } => {
                self.request_callback(now, call, callback)
            }
            Event::CallbackArrived {
                call,
                queue,
                requested,
                attempts,
            } => self.callback_arrived(now, call, queue, requested, attempts),
            Event::CallbackConnected { call } => self.callback_connected(now, call),
            Event::CallbackUnreachable { call, retry } => {
                self.callback_unreachable(now, call, retry)
            }
            Event::CallbackCancelled { call } => self.cancel_callback(now, call),
            Event::ResultCode { agent, call, code } => self.result_code(now, agent, call, code),
            Event::WrapupDone { agent, call } => self.wrapup_done(now, agent, call),
            Event::DayStarted { project } => {
                self.start_day(now, project);
                Ok(())
            }
            Event::BreakUsedToday { agent, used } => self.restore_break_used(now, agent, used),
            Event::QueueConfigured(cfg) => self.configure_queue(*cfg),
            Event::ProjectConfigured(cfg) => {
                if let Some(rule) = cfg.missed_offers {
                    if !self.statuses.contains_key(&rule.status) {
                        return Err(AcdError::UnknownStatus(rule.status));
                    }
                }
                let id = cfg.id;
                self.projects.insert(id, cfg);
                let on_break: Vec<AgentId> = self
                    .agents
                    .iter()
                    .filter(|(_, a)| a.project == Some(id) && a.break_since.is_some())
                    .map(|(id, _)| *id)
                    .collect();
                for agent in on_break {
                    self.rearm_break(now, agent);
                }
                Ok(())
            }
            Event::StatusConfigured(cfg) => {
                let id = cfg.id;
                self.statuses.insert(id, cfg);
                let holders: Vec<AgentId> = self
                    .agents
                    .iter()
                    .filter(|(_, a)| a.logged_in() && a.status == id)
                    .map(|(id, _)| *id)
                    .collect();
                for agent in holders {
                    self.set_status(now, agent, id);
                }
                Ok(())
            }
            Event::ResultCodeConfigured(cfg) => {
                self.result_codes.insert(cfg.id, cfg.extra_time);
                Ok(())
            }
            Event::QueueRemoved(queue) => self.remove_queue(now, queue),
            Event::QueueGroupConfigured(cfg) => self.configure_group(cfg),
            Event::QueueGroupRemoved(group) => {
                self.groups.remove(&group);
                Ok(())
            }
            Event::StatusRemoved(status) => self.remove_status(status),
            Event::ResultCodeRemoved(code) => {
                self.result_codes.remove(&code);
                Ok(())
            }
        }
    }

    /// The next thing call control must do, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next state change to report, in order.
    pub fn poll_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    /// When [`Engine::handle_timeout`] must next be called, if ever.
    pub fn poll_timeout(&mut self) -> Option<Millis> {
        while let Some((at, timer)) = self.timers.peek() {
            if self.timer_live(at, timer) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    /// Runs every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        let now = self.advance(now);
        while let Some((at, timer)) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            if self.timer_live(at, timer) {
                self.fire(now, at, timer);
            }
        }
    }

    fn advance(&mut self, now: Millis) -> Millis {
        self.now = self.now.max(now);
        self.now
    }

    fn timer_live(&self, at: Millis, timer: Timer) -> bool {
        match timer {
            Timer::Offer { call, offer } => self
                .calls
                .get(&call)
                .is_some_and(|c| c.state == CallState::Offered && c.offer == offer),
            Timer::QueueTimeout { call } => self
                .calls
                .get(&call)
                .is_some_and(|c| !matches!(c.state, CallState::Connected(_))),
            Timer::Announce { call } => self
                .calls
                .get(&call)
                .is_some_and(|c| c.next_announce == Some(at)),
            // Still ringing someone now does not make it stale: by its
            // deadline the call may be back in the queue.
            Timer::Reoffer { call } => self
                .calls
                .get(&call)
                .is_some_and(|c| !matches!(c.state, CallState::Connected(_))),
            Timer::Wrapup { agent, call } => self.agents.get(&agent).is_some_and(|a| {
                a.sessions.iter().any(|s| {
                    s.call == call && s.phase == super::agent::Phase::Wrapup && s.until == at
                })
            }),
            Timer::Break { agent, gen } => self
                .agents
                .get(&agent)
                .is_some_and(|a| a.break_gen == gen && a.break_since.is_some()),
            Timer::CallbackRetry { call } => self
                .calls
                .get(&call)
                .is_some_and(|c| c.state == CallState::Retrying),
            // Live while being dialled too: the attempt may fail and send
            // the callback back to the queue.
            Timer::CallbackExpiry { call } => self
                .calls
                .get(&call)
                .and_then(|c| c.callback)
                .is_some_and(|cb| !cb.reached && cb.expires == Some(at)),
        }
    }

    fn fire(&mut self, now: Millis, at: Millis, timer: Timer) {
        match timer {
            Timer::Offer { call, .. } => self.offer_timed_out(now, call),
            Timer::QueueTimeout { call } => self.queue_timeout(now, call),
            Timer::Announce { call } => self.announce(now, at, call),
            Timer::Reoffer { call: id } => {
                // Agents whose pass-over ended choose first: this call may not
                // be the best one for them.
                let call = self.calls.get_mut(&id).expect("timer checked");
                let ended: Vec<AgentId> = call
                    .excluded
                    .iter()
                    .filter(|&&(_, until)| until <= now)
                    .map(|&(a, _)| a)
                    .collect();
                call.excluded.retain(|&(_, until)| until > now);
                for agent in ended {
                    self.dispatch_agent(now, agent);
                }
                if let Some(call) = self.calls.get(&id) {
                    if call.state == CallState::Waiting {
                        let q = call.queue;
                        self.dispatch_queue(now, q);
                    }
                }
            }
            Timer::Wrapup { agent, call } => self.end_wrapup(now, agent, call),
            Timer::Break { agent, .. } => self.break_exceeded(agent),
            Timer::CallbackRetry { call } => self.retry_callback(now, call),
            Timer::CallbackExpiry { call } => self.expire_callback(now, call),
        }
    }

    pub(crate) fn queue_index(&self, queue: QueueId) -> Result<QIdx, AcdError> {
        self.queue_at
            .get(&queue)
            .copied()
            .ok_or(AcdError::UnknownQueue(queue))
    }

    /// Adds a queue, or changes one in place: waiting calls keep their places
    /// and members stay; a new strategy re-indexes the eligible agents. A
    /// queue stays in the project it was created in. Calls already waiting
    /// keep the announcement and queue-timeout schedule they arrived with.
    fn configure_queue(&mut self, cfg: super::config::QueueConfig) -> Result<(), AcdError> {
        if !self.projects.contains_key(&cfg.project) {
            return Err(AcdError::UnknownProject(cfg.project));
        }
        let q = match self.queue_at.get(&cfg.id) {
            Some(&q) => q,
            None => self.queues.len(),
        };
        if q < self.queues.len() {
            for agent in &self.queues[q].cfg.mandatory_agents {
                if let Some(list) = self.mandatory.get_mut(agent) {
                    list.retain(|&x| x != q);
                }
            }
        }
        for agent in &cfg.mandatory_agents {
            self.mandatory.entry(*agent).or_default().push(q);
        }
        if q < self.queues.len() {
            let queue = &mut self.queues[q];
            if queue.cfg.strategy != cfg.strategy {
                queue.strategy = super::strategy::build(cfg.strategy, self.seed ^ cfg.id.0);
            }
            queue.cfg = cfg;
            let members: Vec<AgentId> = queue.members.iter().copied().collect();
            let now = self.now;
            for agent in members {
                self.refresh(agent);
                self.dispatch_agent(now, agent);
            }
            self.dispatch_queue(now, q);
        } else {
            self.queue_at.insert(cfg.id, self.queues.len());
            self.queues.push(Queue::new(cfg, self.seed));
        }
        Ok(())
    }

    /// Puts the agent into, or takes them out of, each of their queues'
    /// strategy index, and reports a change of presence.
    pub(crate) fn refresh(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get_mut(&id) else {
            return;
        };
        let facts = agent.facts();
        for &q in &agent.queues {
            let queue = &mut self.queues[q];
            if agent.eligible_for(queue) {
                queue.strategy.insert(id, &facts);
            } else {
                queue.strategy.remove(id);
            }
        }
        let now = (agent.status, agent.presence());
        if agent.reported != Some(now) {
            agent.reported = Some(now);
            self.notices.push_back(Notice::AgentPresence {
                agent: id,
                status: now.0,
                presence: now.1,
            });
        }
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

#[cfg(test)]
impl Engine {
    /// Panics if the engine's structures disagree with each other: capacity,
    /// offers and their sessions, waiting sets and the strategy indexes.
    pub(crate) fn check_invariants(&self) {
        use super::agent::Phase;
        for (id, a) in &self.agents {
            let used: u16 = a.sessions.iter().map(|s| s.weight).sum();
            assert_eq!(used, a.used, "{id} capacity bookkeeping");
            assert!(a.used <= super::config::CAPACITY, "{id} over capacity");
            if a.sessions.iter().any(|s| s.voice) {
                assert_eq!(a.sessions.len(), 1, "{id} holds voice and more");
            }
            for s in &a.sessions {
                if s.phase == Phase::Ringing {
                    let c = &self.calls[&s.call];
                    assert_eq!(c.state, CallState::Offered);
                    assert!(c.ringing.contains(id));
                }
            }
            for &q in &a.queues {
                let mut listed = false;
                self.queues[q]
                    .strategy
                    .for_each(&mut |x| listed |= x == *id);
                assert_eq!(listed, a.eligible_for(&self.queues[q]), "{id} index");
            }
        }
        for queue in &self.queues {
            let mut n = 0;
            queue.strategy.for_each(&mut |_| n += 1);
            assert_eq!(n, queue.strategy.len());
            for (_, call) in &queue.waiting {
                let c = &self.calls[call];
                assert_eq!(c.state, CallState::Waiting);
                // Nobody who could take a waiting call sits free beside it.
                queue.strategy.for_each(&mut |a| {
                    assert!(
                        c.excludes(a, self.now),
                        "{call} waits in {} while {a} is free",
                        queue.cfg.id
                    )
                });
            }
        }
        for (id, c) in &self.calls {
            match c.state {
                CallState::Waiting => {
                    assert!(self.queues[c.queue].waiting.contains(&(c.seq, *id)))
                }
                CallState::Offered => {
                    assert!(!c.ringing.is_empty());
                    for a in &c.ringing {
                        assert!(self.agents[a]
                            .sessions
                            .iter()
                            .any(|s| s.call == *id && s.phase == Phase::Ringing));
                    }
                }
                CallState::Connected(a) => {
                    assert!(self.agents[&a].sessions.iter().any(|s| s.call == *id));
                }
                CallState::Retrying => {
                    assert!(c.callback.is_some(), "{id} retrying but no callback");
                    assert!(!self.queues[c.queue].waiting.contains(&(c.seq, *id)));
                }
            }
            if c.callback.is_some_and(|cb| cb.reached) {
                assert!(matches!(c.state, CallState::Connected(_)));
            }
        }
        for (q, queue) in self.queues.iter().enumerate() {
            let mine = || self.calls.values().filter(move |c| c.queue == q);
            let callbacks = mine()
                .filter(|c| c.callback.is_some_and(|cb| !cb.reached))
                .count();
            let retrying = mine().filter(|c| c.state == CallState::Retrying).count();
            assert_eq!(queue.callbacks, callbacks, "{} callbacks", queue.cfg.id);
            assert_eq!(queue.retrying, retrying, "{} retrying", queue.cfg.id);
        }
    }
}
