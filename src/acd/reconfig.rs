//! Configuration changes while the engine runs, removals included.
//!
//! [`changes`] compares two configurations (the engine's own, from
//! [`Engine::config`], and the store's after an edit) and lists the typed
//! events that turn one into the other, in an order where each is valid when
//! it is applied: statuses and projects first (a project's missed-offer rule
//! may name a new status), agents taken off queues, queues, queue groups and
//! result codes added or changed, then the removals (groups before queues,
//! statuses after the projects that stopped naming them).
//!
//! The removal rules, for what is live when something goes (documented on
//! each event too):
//! - a queue deleted ([`Event::QueueRemoved`]) takes nothing new and offers
//!   nothing more; what is in it runs to its end, and its waiting callers keep
//!   their queue timeout (so they still reach the exit target) and may hang
//!   up or leave by key. A contact center never drops a caller because an
//!   operator tidied the configuration; and since the store refuses to delete
//!   a queue that still has agents assigned, by then nobody serves it anyway.
//! - an agent taken off a queue ([`Event::AgentLeaveQueue`]) is offered
//!   nothing more from it; an offer ringing them now may be answered.
//! - a status deleted ([`Event::StatusRemoved`]) can no longer be chosen; who
//!   is in it stays in it until they choose another, as a person on a break
//!   finishes it.
//!
//! A deleted project is not removed from the engine: the store deletes only
//! a project without queues, so nothing can happen in it.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Config, QueueConfig, QueueGroupConfig, ResultCodeConfig};
use super::engine::{CallState, Engine};
use super::event::{AcdError, CallbackEnd, Event, Notice};
use super::ids::{AgentId, Millis, QueueGroupId, QueueId, ResultCodeId, StatusId};
use super::queue::QIdx;

/// The events that take an engine configured with `old` to `new`, in the
/// order to apply them. Equal configurations give none; the seeds are not
/// compared.
pub fn changes(old: &Config, new: &Config) -> Vec<Event> {
    let mut events = Vec::new();
    let old_statuses = index(&old.statuses, |s| s.id.0);
    for s in &new.statuses {
        if old_statuses.get(&s.id.0).map(|&i| &old.statuses[i]) != Some(s) {
            events.push(Event::StatusConfigured(s.clone()));
        }
    }
    let old_projects = index(&old.projects, |p| p.id.0);
    for p in &new.projects {
        if old_projects.get(&p.id.0).map(|&i| &old.projects[i]) != Some(p) {
            events.push(Event::ProjectConfigured(p.clone()));
        }
    }
    let old_queues = index(&old.queues, |q| q.id.0);
    for q in &new.queues {
        if let Some(&i) = old_queues.get(&q.id.0) {
            let kept: BTreeSet<AgentId> = q.assigned_agents.iter().copied().collect();
            let mut gone: Vec<AgentId> = old.queues[i]
                .assigned_agents
                .iter()
                .filter(|a| !kept.contains(a))
                .copied()
                .collect();
            gone.sort();
            gone.dedup();
            for agent in gone {
                events.push(Event::AgentLeaveQueue { agent, queue: q.id });
            }
        }
    }
    for q in &new.queues {
        if old_queues.get(&q.id.0).map(|&i| &old.queues[i]) != Some(q) {
            events.push(Event::QueueConfigured(Box::new(q.clone())));
        }
    }
    let old_groups = index(&old.queue_groups, |g| g.id.0);
    for g in &new.queue_groups {
        if old_groups.get(&g.id.0).map(|&i| &old.queue_groups[i]) != Some(g) {
            events.push(Event::QueueGroupConfigured(g.clone()));
        }
    }
    let old_priorities: BTreeMap<AgentId, u8> = old.agent_priorities.iter().copied().collect();
    let new_priorities: BTreeMap<AgentId, u8> = new.agent_priorities.iter().copied().collect();
    for (&agent, &priority) in &new_priorities {
        if old_priorities.get(&agent).copied().unwrap_or(0) != priority {
            events.push(Event::AgentPriority { agent, priority });
        }
    }
    for &agent in old_priorities.keys() {
        if !new_priorities.contains_key(&agent) {
            events.push(Event::AgentPriority { agent, priority: 0 });
        }
    }
    let old_codes = index(&old.result_codes, |r| r.id.0);
    for r in &new.result_codes {
        if old_codes.get(&r.id.0).map(|&i| &old.result_codes[i]) != Some(r) {
            events.push(Event::ResultCodeConfigured(r.clone()));
        }
    }
    let gone = |old: BTreeMap<u64, usize>, new: BTreeMap<u64, usize>| -> Vec<u64> {
        old.keys()
            .filter(|k| !new.contains_key(k))
            .copied()
            .collect()
    };
    for id in gone(old_groups, index(&new.queue_groups, |g| g.id.0)) {
        events.push(Event::QueueGroupRemoved(QueueGroupId(id)));
    }
    for id in gone(old_queues, index(&new.queues, |q| q.id.0)) {
        events.push(Event::QueueRemoved(QueueId(id)));
    }
    for id in gone(old_codes, index(&new.result_codes, |r| r.id.0)) {
        events.push(Event::ResultCodeRemoved(ResultCodeId(id)));
    }
    for id in gone(old_statuses, index(&new.statuses, |s| s.id.0)) {
        events.push(Event::StatusRemoved(StatusId(id)));
    }
    events
}

/// Position of each item by id, in id order.
fn index<T>(items: &[T], id: impl Fn(&T) -> u64) -> BTreeMap<u64, usize> {
    items.iter().enumerate().map(|(i, x)| (id(x), i)).collect()
}

impl Engine {
    /// The configuration the engine runs with now, in id order: what
    /// [`changes`] compares the store's with.
    pub fn config(&self) -> Config {
        let mut projects: Vec<_> = self.projects.values().cloned().collect();
        projects.sort_by_key(|p| p.id);
        let mut statuses: Vec<_> = self.statuses.values().cloned().collect();
        statuses.sort_by_key(|s| s.id);
        let mut queues: Vec<QueueConfig> = self
            .queue_at
            .values()
            .map(|&q| self.queues[q].cfg.clone())
            .collect();
        queues.sort_by_key(|q| q.id);
        let mut queue_groups: Vec<QueueGroupConfig> = self
            .groups
            .iter()
            .map(|(id, members)| QueueGroupConfig {
                id: *id,
                queues: members.iter().map(|&q| self.queues[q].cfg.id).collect(),
            })
            .collect();
        queue_groups.sort_by_key(|g| g.id);
        let mut result_codes: Vec<_> = self
            .result_codes
            .iter()
            .map(|(id, extra)| ResultCodeConfig {
                id: *id,
                extra_time: *extra,
            })
            .collect();
        result_codes.sort_by_key(|r| r.id);
        let mut agent_priorities: Vec<(AgentId, u8)> =
            self.priorities.iter().map(|(a, p)| (*a, *p)).collect();
        agent_priorities.sort();
        Config {
            projects,
            statuses,
            queues,
            queue_groups,
            result_codes,
            agent_priorities,
            seed: self.seed,
        }
    }

    /// Whether the queue at `q` was deleted ([`Event::QueueRemoved`]).
    pub(crate) fn retired(&self, q: QIdx) -> bool {
        self.queue_at.get(&self.queues[q].cfg.id) != Some(&q)
    }

    /// See [`Event::QueueRemoved`].
    pub(crate) fn remove_queue(&mut self, now: Millis, queue: QueueId) -> Result<(), AcdError> {
        let q = self.queue_index(queue)?;
        self.queue_at.remove(&queue);
        for list in self.mandatory.values_mut() {
            list.retain(|&x| x != q);
        }
        for members in self.groups.values_mut() {
            members.retain(|&x| x != q);
        }
        let members: Vec<AgentId> = self.queues[q].members.iter().copied().collect();
        for agent in members {
            if let Some(a) = self.agents.get_mut(&agent) {
                a.queues.retain(|&x| x != q);
            }
            self.queues[q].strategy.remove(agent);
            self.queues[q].members.remove(&agent);
            self.notices
                .push_back(Notice::AgentLeftQueue { agent, queue });
        }
        let mut callbacks: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.queue == q
                    && matches!(c.state, CallState::Waiting | CallState::Retrying)
                    && c.callback.is_some_and(|cb| !cb.reached)
            })
            .map(|(id, c)| (c.seq, *id))
            .collect();
        callbacks.sort();
        for (_, call) in callbacks {
            self.end_callback(now, call, CallbackEnd::Cancelled);
        }
        Ok(())
    }

    /// See [`Event::QueueGroupConfigured`].
    pub(crate) fn configure_group(&mut self, group: QueueGroupConfig) -> Result<(), AcdError> {
        let members = group
            .queues
            .iter()
            .map(|q| self.queue_index(*q))
            .collect::<Result<Vec<_>, _>>()?;
        self.groups.insert(group.id, members);
        Ok(())
    }

    /// See [`Event::StatusRemoved`].
    pub(crate) fn remove_status(&mut self, status: StatusId) -> Result<(), AcdError> {
        if !self.statuses.contains_key(&status) {
            return Err(AcdError::UnknownStatus(status));
        }
        if let Some(p) = self
            .projects
            .values()
            .find(|p| p.missed_offers.is_some_and(|r| r.status == status))
        {
            return Err(AcdError::Config(format!(
                "{status} is where {}'s missed-offer rule moves agents",
                p.id
            )));
        }
        self.statuses.remove(&status);
        Ok(())
    }
}
