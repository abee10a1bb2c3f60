//! Live metrics per queue and queue group: waiting, longest wait, agents by
//! presence, and the day's offered / answered / abandoned / redirected counts
//! with the service level. Starvation of low-priority queues is the
//! operator's choice; it shows here as a growing longest wait and the
//! `bypassed` counter, never hidden.
//!
//! Service level today = answered within the queue's threshold, divided by
//! every interaction that left the queue today (answered, abandoned,
//! redirected, or a callback that failed); `None` before the first. A caller
//! who asked for a callback is counted once, by how the callback ends, and
//! from the caller's arrival.

use std::collections::BTreeMap;
use std::time::Duration;

use super::agent::Phase;
use super::config::QueueConfig;
use super::engine::Engine;
use super::event::Presence;
use super::ids::{AgentId, Millis, QueueGroupId, QueueId, StatusId};
use super::queue::{QIdx, QueueCounters};

/// A snapshot of one queue or queue group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueMetrics {
    /// Waiting for an agent, callbacks included (a caller behind a callback
    /// is behind it).
    pub waiting: usize,
    /// Waiting plus being offered plus callbacks waiting out a retry delay:
    /// everyone not yet answered nor with an agent.
    pub in_queue: usize,
    /// Callbacks in the queue (of any of the above, or being dialled).
    pub callbacks: usize,
    pub longest_wait: Duration,
    /// Member agents by what they are doing (agents in several queues of a
    /// group count once per queue).
    pub agents: BTreeMap<Presence, usize>,
    /// Logged-in member agents by the status they chose.
    pub statuses: BTreeMap<StatusId, usize>,
    pub counters: QueueCounters,
    pub service_level: Option<f64>,
}

impl QueueMetrics {
    fn add(&mut self, other: QueueMetrics) {
        self.waiting += other.waiting;
        self.in_queue += other.in_queue;
        self.callbacks += other.callbacks;
        self.longest_wait = self.longest_wait.max(other.longest_wait);
        for (p, n) in other.agents {
            *self.agents.entry(p).or_default() += n;
        }
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        let (c, o) = (&mut self.counters, other.counters);
        c.offered += o.offered;
        c.answered += o.answered;
        c.answered_in_time += o.answered_in_time;
        c.abandoned += o.abandoned;
        c.queue_exits += o.queue_exits;
        c.redirected += o.redirected;
        c.callbacks_requested += o.callbacks_requested;
        c.callbacks_failed += o.callbacks_failed;
        c.bypassed += o.bypassed;
        self.service_level = service_level(c);
    }
}

fn service_level(c: &QueueCounters) -> Option<f64> {
    let left = c.answered + c.abandoned + c.redirected + c.callbacks_failed;
    (left > 0).then(|| c.answered_in_time as f64 / left as f64)
}

impl Engine {
    /// The live metrics of `queue` at `now`.
    pub fn queue_metrics(&self, queue: QueueId, now: Millis) -> Option<QueueMetrics> {
        let q = *self.queue_at.get(&queue)?;
        Some(self.metrics_of(q, now))
    }

    /// The ids of every queue the engine runs.
    pub fn queue_ids(&self) -> impl Iterator<Item = QueueId> + '_ {
        self.queue_at.keys().copied()
    }

    /// The live metrics of every queue of `group`, added up.
    pub fn group_metrics(&self, group: QueueGroupId, now: Millis) -> Option<QueueMetrics> {
        let mut total = QueueMetrics::default();
        for &q in self.groups.get(&group)? {
            total.add(self.metrics_of(q, now));
        }
        Some(total)
    }

    fn metrics_of(&self, q: QIdx, now: Millis) -> QueueMetrics {
        let queue = &self.queues[q];
        let mut agents = BTreeMap::new();
        let mut statuses = BTreeMap::new();
        // Calls being offered are out of the waiting set; they are found
        // through the members who ring with them.
        let mut ringing = Vec::new();
        for a in &queue.members {
            let agent = &self.agents[a];
            *agents.entry(agent.presence()).or_default() += 1;
            if agent.logged_in() {
                *statuses.entry(agent.status).or_default() += 1;
            }
            for s in &agent.sessions {
                if s.queue == q && s.phase == Phase::Ringing {
                    ringing.push(s.call);
                }
            }
        }
        ringing.sort_unstable();
        ringing.dedup();
        let oldest = queue
            .waiting
            .first()
            .map(|(_, c)| c)
            .into_iter()
            .chain(&ringing)
            .filter_map(|c| self.calls.get(c))
            .map(|c| c.entered)
            .min();
        QueueMetrics {
            waiting: queue.waiting.len(),
            in_queue: queue.waiting.len() + ringing.len() + queue.retrying,
            callbacks: queue.callbacks,
            longest_wait: oldest.map_or(Duration::ZERO, |at| now - at),
            agents,
            statuses,
            counters: queue.counters,
            service_level: service_level(&queue.counters),
        }
    }

    /// What `agent` is doing and the status they chose; `None` if the engine
    /// has never seen them.
    pub fn agent_presence(&self, agent: AgentId) -> Option<(StatusId, Presence)> {
        self.agents.get(&agent).map(|a| (a.status, a.presence()))
    }

    /// How many interactions `agent` answered today (since their project's
    /// last [`Event::DayStarted`](super::Event::DayStarted)); `None` if the
    /// engine has never seen them.
    pub fn calls_today(&self, agent: AgentId) -> Option<u32> {
        self.agents.get(&agent).map(|a| a.calls_today)
    }

    /// The queues `agent` is in now (empty when logged out or unknown).
    pub fn agent_queues(&self, agent: AgentId) -> Vec<QueueId> {
        self.agents.get(&agent).map_or_else(Vec::new, |a| {
            a.queues.iter().map(|&q| self.queues[q].cfg.id).collect()
        })
    }

    /// Whether `agent` may be offered an internal transfer now: logged in,
    /// holding nothing, and Available or in a Transferable status.
    pub fn takes_transfer(&self, agent: AgentId) -> bool {
        self.agents.get(&agent).is_some_and(|a| a.takes_transfer())
    }

    /// The settings `queue` runs with.
    pub fn queue_config(&self, queue: QueueId) -> Option<&QueueConfig> {
        self.queue_at.get(&queue).map(|&q| &self.queues[q].cfg)
    }

    /// How many interactions the engine holds (waiting, ringing or connected).
    pub fn interactions(&self) -> usize {
        self.calls.len()
    }
}
