//! The daily break allowance of a project: time an agent spends in statuses of
//! the Break category is added up and deducted from it. The engine reports
//! what remains whenever a break ends ([`Notice::BreakEnded`]), answers
//! [`Engine::break_remaining`] at any time, and reports once a day, at the
//! moment it happens, that an agent has gone past the allowance
//! ([`Notice::BreakAllowanceExceeded`]). [`Event::DayStarted`](super::Event)
//! starts the count again for the agents of its project; after a restart the
//! shell gives back what was used earlier that day
//! ([`Event::BreakUsedToday`](super::Event)).

use std::time::Duration;

use super::engine::Engine;
use super::event::{AcdError, Notice};
use super::ids::{AgentId, Millis, ProjectId};
use super::timers::Timer;

impl Engine {
    fn allowance(&self, agent: AgentId) -> Duration {
        self.agents[&agent]
            .project
            .and_then(|p| self.projects.get(&p))
            .map_or(Duration::ZERO, |p| p.break_allowance)
    }

    pub(crate) fn start_break(&mut self, now: Millis, agent: AgentId) {
        let allowance = self.allowance(agent);
        let a = self.agents.get_mut(&agent).expect("caller checked");
        a.break_since = Some(now);
        a.break_gen += 1;
        if !a.break_exceeded {
            let left = allowance.saturating_sub(a.break_used);
            let gen = a.break_gen;
            // Exceeded means past the allowance, so the timer fires one
            // millisecond after the last allowed instant.
            self.timers.set(
                now + left + Duration::from_millis(1),
                Timer::Break { agent, gen },
            );
        }
    }

    /// Sets the allowance timer again for an agent on a break, after the
    /// allowance changed.
    pub(crate) fn rearm_break(&mut self, now: Millis, agent: AgentId) {
        let allowance = self.allowance(agent);
        let a = self.agents.get_mut(&agent).expect("caller checked");
        let Some(since) = a.break_since else {
            return;
        };
        a.break_gen += 1;
        if !a.break_exceeded {
            let used = a.break_used + (now - since);
            let left = allowance.saturating_sub(used);
            let gen = a.break_gen;
            self.timers.set(
                now + left + Duration::from_millis(1),
                Timer::Break { agent, gen },
            );
        }
    }

    pub(crate) fn end_break(&mut self, now: Millis, agent: AgentId) {
        let allowance = self.allowance(agent);
        let a = self.agents.get_mut(&agent).expect("caller checked");
        if let Some(since) = a.break_since.take() {
            a.break_used += now - since;
            a.break_gen += 1;
            self.notices.push_back(Notice::BreakEnded {
                agent,
                used_today: a.break_used,
                remaining: allowance.saturating_sub(a.break_used),
            });
        }
    }

    pub(crate) fn break_exceeded(&mut self, agent: AgentId) {
        let a = self.agents.get_mut(&agent).expect("timer checked");
        if a.break_exceeded {
            return;
        }
        a.break_exceeded = true;
        if let Some(project) = a.project {
            self.notices
                .push_back(Notice::BreakAllowanceExceeded { agent, project });
        }
    }

    /// Break time `agent` has used today, counting a break in progress.
    pub fn break_used(&self, agent: AgentId, now: Millis) -> Option<Duration> {
        let a = self.agents.get(&agent)?;
        let running = a.break_since.map_or(Duration::ZERO, |s| now - s);
        Some(a.break_used + running)
    }

    /// What is left of `agent`'s break allowance today (zero once exceeded).
    pub fn break_remaining(&self, agent: AgentId, now: Millis) -> Option<Duration> {
        let used = self.break_used(agent, now)?;
        Some(self.allowance(agent).saturating_sub(used))
    }

    /// A new day in `project`: break time and calls today of the agents whose
    /// day follows it, and its queues' counters, start from zero; a break in
    /// progress counts from now.
    pub(crate) fn start_day(&mut self, now: Millis, project: ProjectId) {
        let ids: Vec<AgentId> = self
            .agents
            .iter()
            .filter(|(_, a)| a.day_project == Some(project))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let a = self.agents.get_mut(&id).expect("listed");
            a.break_used = Duration::ZERO;
            a.break_exceeded = false;
            a.calls_today = 0;
            if a.break_since.is_some() {
                self.start_break(now, id);
            }
            self.refresh(id);
        }
        for queue in &mut self.queues {
            if queue.cfg.project == project {
                queue.counters = Default::default();
            }
        }
        self.notices.push_back(Notice::DayStarted { project });
    }

    /// Takes back the break time `agent` used earlier today (see
    /// [`Event::BreakUsedToday`](super::Event::BreakUsedToday)).
    pub(crate) fn restore_break_used(
        &mut self,
        now: Millis,
        agent: AgentId,
        used: Duration,
    ) -> Result<(), AcdError> {
        let a = self
            .agents
            .get(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        if !a.logged_in() {
            return Err(AcdError::NotLoggedIn(agent));
        }
        let allowance = self.allowance(agent);
        let a = self.agents.get_mut(&agent).expect("checked above");
        if used <= a.break_used {
            return Ok(());
        }
        a.break_used = used;
        // Reported before the restart, if it was passed then.
        if used > allowance {
            a.break_exceeded = true;
        }
        self.rearm_break(now, agent);
        Ok(())
    }
}
