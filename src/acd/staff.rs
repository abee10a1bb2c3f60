//! Agents coming and going: login to one project at a time, the queues they
//! serve (mandatory queues are joined at login), the statuses they choose,
//! and their dispatch priority.

use super::agent::{Agent, Phase};
use super::config::Category;
use super::engine::Engine;
use super::event::{AcdError, Notice};
use super::ids::{AgentId, Millis, ProjectId, QueueId, StatusId};

impl Engine {
    pub(crate) fn login(
        &mut self,
        now: Millis,
        agent: AgentId,
        project: ProjectId,
        status: StatusId,
        queues: &[QueueId],
    ) -> Result<(), AcdError> {
        if !self.projects.contains_key(&project) {
            return Err(AcdError::UnknownProject(project));
        }
        if !self.statuses.contains_key(&status) {
            return Err(AcdError::UnknownStatus(status));
        }
        for &queue in queues {
            let q = self.queue_index(queue)?;
            if self.queues[q].cfg.project != project {
                return Err(AcdError::WrongProject { agent, queue });
            }
        }
        if self.agents.get(&agent).is_some_and(Agent::logged_in) {
            self.logout(now, agent)?;
        }
        let a = self
            .agents
            .entry(agent)
            .or_insert_with(|| Agent::new(status, now));
        a.project = Some(project);
        a.day_project = Some(project);
        a.priority = self.priorities.get(&agent).copied().unwrap_or(0);
        a.last_activity = now;
        self.notices
            .push_back(Notice::AgentLoggedIn { agent, project });
        let mandatory: Vec<QueueId> = self
            .mandatory
            .get(&agent)
            .into_iter()
            .flatten()
            .map(|&q| &self.queues[q].cfg)
            .filter(|cfg| cfg.project == project)
            .map(|cfg| cfg.id)
            .collect();
        for queue in mandatory.iter().chain(queues) {
            self.add_member(agent, *queue);
        }
        self.set_status(now, agent, status);
        Ok(())
    }

    /// Records the agent's priority and re-sorts them in the strategies of
    /// their queues. Being first in line frees nobody, so nothing is offered.
    pub(crate) fn set_priority(&mut self, agent: AgentId, priority: u8) {
        if priority == 0 {
            self.priorities.remove(&agent);
        } else {
            self.priorities.insert(agent, priority);
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            if a.priority != priority {
                a.priority = priority;
                self.refresh(agent);
            }
        }
    }

    pub(crate) fn logout(&mut self, now: Millis, agent: AgentId) -> Result<(), AcdError> {
        let a = self
            .agents
            .get(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        if !a.logged_in() {
            return Ok(());
        }
        let ringing: Vec<_> = a
            .sessions
            .iter()
            .filter(|s| s.phase == Phase::Ringing)
            .map(|s| s.call)
            .collect();
        if a.break_since.is_some() {
            self.end_break(now, agent);
        }
        // Out of every queue first, so withdrawing an offer below cannot
        // hand the agent another one.
        let a = self.agents.get_mut(&agent).expect("checked above");
        let queues = std::mem::take(&mut a.queues);
        a.project = None;
        a.last_activity = now;
        for q in queues {
            let queue = &mut self.queues[q];
            queue.strategy.remove(agent);
            queue.members.remove(&agent);
            self.notices.push_back(Notice::AgentLeftQueue {
                agent,
                queue: queue.cfg.id,
            });
        }
        for call in ringing {
            self.withdraw_offer(now, call, agent, None, true);
        }
        self.notices.push_back(Notice::AgentLoggedOut { agent });
        self.refresh(agent);
        Ok(())
    }

    pub(crate) fn join_queue(
        &mut self,
        now: Millis,
        agent: AgentId,
        queue: QueueId,
    ) -> Result<(), AcdError> {
        let q = self.queue_index(queue)?;
        let a = self
            .agents
            .get(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        if a.project != Some(self.queues[q].cfg.project) {
            return Err(match a.project {
                None => AcdError::NotLoggedIn(agent),
                Some(_) => AcdError::WrongProject { agent, queue },
            });
        }
        self.add_member(agent, queue);
        self.refresh(agent);
        self.dispatch_agent(now, agent);
        Ok(())
    }

    fn add_member(&mut self, agent: AgentId, queue: QueueId) {
        let q = self.queue_at[&queue];
        let a = self.agents.get_mut(&agent).expect("caller checked");
        if !a.queues.contains(&q) {
            a.queues.push(q);
            self.queues[q].members.insert(agent);
            self.notices
                .push_back(Notice::AgentJoinedQueue { agent, queue });
        }
    }

    pub(crate) fn leave_queue(&mut self, agent: AgentId, queue: QueueId) -> Result<(), AcdError> {
        let q = self.queue_index(queue)?;
        // An agent the engine has never seen is in no queue.
        let Some(a) = self.agents.get_mut(&agent) else {
            return Ok(());
        };
        if let Some(i) = a.queues.iter().position(|&x| x == q) {
            a.queues.swap_remove(i);
            self.queues[q].strategy.remove(agent);
            self.queues[q].members.remove(&agent);
            self.notices
                .push_back(Notice::AgentLeftQueue { agent, queue });
        }
        Ok(())
    }

    pub(crate) fn choose_status(
        &mut self,
        now: Millis,
        agent: AgentId,
        status: StatusId,
    ) -> Result<(), AcdError> {
        if !self.statuses.contains_key(&status) {
            return Err(AcdError::UnknownStatus(status));
        }
        let a = self
            .agents
            .get(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        if !a.logged_in() {
            return Err(AcdError::NotLoggedIn(agent));
        }
        self.set_status(now, agent, status);
        Ok(())
    }

    /// Sets a known status on a logged-in agent: break accounting, the
    /// strategy indexes, and an offer if the agent is now free for a call.
    pub(crate) fn set_status(&mut self, now: Millis, agent: AgentId, status: StatusId) {
        let cfg = &self.statuses[&status];
        let (category, transferable) = (cfg.category, cfg.transferable);
        let a = self.agents.get_mut(&agent).expect("caller checked");
        let was_break = a.break_since.is_some();
        a.status = status;
        a.category = category;
        a.transferable = transferable;
        a.last_activity = now;
        match (was_break, category == Category::Break) {
            (true, false) => self.end_break(now, agent),
            (false, true) => self.start_break(now, agent),
            _ => {}
        }
        self.refresh(agent);
        self.dispatch_agent(now, agent);
    }
}
