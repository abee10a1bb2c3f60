//! What a wallboard tile shows, from the live metrics, the day's figures and
//! the names of the stored configuration; no I/O but [`Names::load`].
//!
//! A queue's tile: in queue now (waiting, being offered, callbacks waiting
//! to retry), since when the longest waiter waits, its member agents by what
//! they are doing (Available, Ringing, In Call, After-call work, Break,
//! Offline), its logged-in members by each status flagged "Show on
//! Dashboard" (the other statuses under "Other"), and the day's figures with
//! the result codes flagged "Show on Dashboard". A queue group's tile adds
//! up its queues (an agent in two of them counts in both, as in the
//! dispatch core's group metrics; the longest wait is the longest of all).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Serialize;

use crate::acd::{
    Millis, Presence, ProjectId, QueueGroupId, QueueId, QueueMetrics, ResultCodeId, StatusId,
};
use crate::cdr::day::Zone;
use crate::store::admin::{projects, queue_groups, queues, result_codes, statuses, AdminError};
use crate::store::Store;

use super::today::{DayFigures, Today};

/// One queue's live figures, as the dispatch core has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Live {
    /// Not yet with an agent: waiting, being offered, or a callback waiting
    /// to retry.
    pub in_queue: usize,
    pub callbacks: usize,
    /// When the longest waiter entered the queue.
    pub oldest: Option<Millis>,
    pub agents: BTreeMap<Presence, usize>,
    pub statuses: BTreeMap<StatusId, usize>,
}

impl Live {
    /// The figures of `m`, taken at `now`.
    pub fn of(m: &QueueMetrics, now: Millis) -> Live {
        let waits = m.waiting > 0 || !m.longest_wait.is_zero();
        Live {
            in_queue: m.in_queue,
            callbacks: m.callbacks,
            oldest: waits.then(|| Millis(now.0.saturating_sub(m.longest_wait.as_millis() as u64))),
            agents: m.agents.clone(),
            statuses: m.statuses.clone(),
        }
    }

    fn merge(&mut self, other: &Live) {
        self.in_queue += other.in_queue;
        self.callbacks += other.callbacks;
        self.oldest = match (self.oldest, other.oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (p, n) in &other.agents {
            *self.agents.entry(*p).or_default() += n;
        }
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
    }
}

/// A queue as the wallboard names it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueName {
    pub id: QueueId,
    pub name: String,
    pub project: ProjectId,
    /// Answered within this counts towards the service level.
    pub service_level: Duration,
    /// The share answered in time it aims at, from 0 to 1.
    pub target: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupName {
    pub id: QueueGroupId,
    pub name: String,
    pub queues: Vec<QueueId>,
}

/// The names of the stored configuration a tile shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    pub queues: Vec<QueueName>,
    pub groups: Vec<GroupName>,
    /// The statuses flagged "Show on Dashboard", in id order.
    pub statuses: Vec<(StatusId, String)>,
    /// The result codes flagged "Show on Dashboard", in id order.
    pub result_codes: Vec<(ResultCodeId, String)>,
}

impl Names {
    /// Reads them from the store.
    pub async fn load(store: &Store) -> Result<Names, AdminError> {
        let queues = queues::list(store).await?;
        let groups = queue_groups::list(store).await?;
        let statuses = statuses::list(store).await?;
        let codes = result_codes::list(store).await?;
        let mut names = Names {
            queues: queues
                .into_iter()
                .filter_map(|q| {
                    Some(QueueName {
                        id: QueueId::from_key(q.id)?,
                        name: q.name,
                        project: ProjectId::from_key(q.project_id)?,
                        service_level: Duration::from_secs(q.service_level_secs.max(0) as u64),
                        target: q.service_level_target.clamp(0, 100) as f64 / 100.0,
                    })
                })
                .collect(),
            groups: groups
                .into_iter()
                .filter_map(|g| {
                    Some(GroupName {
                        id: QueueGroupId::from_key(g.id)?,
                        name: g.name,
                        queues: g.queues.into_iter().filter_map(QueueId::from_key).collect(),
                    })
                })
                .collect(),
            statuses: statuses
                .into_iter()
                .filter(|s| s.show_on_dashboard)
                .filter_map(|s| Some((StatusId::from_key(s.id)?, s.name)))
                .collect(),
            result_codes: codes
                .into_iter()
                .filter(|c| c.flags.show_on_dashboard)
                .filter_map(|c| Some((ResultCodeId::from_key(c.id)?, c.display_name)))
                .collect(),
        };
        names.queues.sort_by_key(|q| q.id);
        names.groups.sort_by_key(|g| g.id);
        names.statuses.sort_by_key(|s| s.0);
        names.result_codes.sort_by_key(|c| c.0);
        Ok(names)
    }

    /// Each project's time zone, from the store (UTC for a name the
    /// time-zone database does not know).
    pub async fn zones(store: &Store) -> Result<Vec<(ProjectId, Zone)>, AdminError> {
        let projects = projects::list(store).await?;
        Ok(projects
            .into_iter()
            .filter_map(|p| {
                let zone = Zone::named(&p.time_zone).unwrap_or_else(|_| Zone::utc());
                Some((ProjectId::from_key(p.id)?, zone))
            })
            .collect())
    }
}

/// One tile of the wallboard: a queue or a queue group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tile {
    /// `queue-<id>` or `group-<id>`: stable, for updates.
    pub key: String,
    /// `queue` or `group`.
    pub kind: &'static str,
    pub id: u64,
    pub name: String,
    /// The local day the day's figures are of (`YYYY-MM-DD`).
    pub date: String,
    /// The queues a group adds up (empty for a queue).
    pub queues: Vec<u64>,
    pub waiting: usize,
    pub callbacks: usize,
    /// When the longest waiter entered (ms since the Unix epoch); null when
    /// nobody waits.
    pub longest_wait_since: Option<u64>,
    pub agents: Agents,
    /// Logged-in agents by each status flagged "Show on Dashboard".
    pub statuses: Vec<Counted>,
    /// Logged-in agents in any other status.
    pub other_statuses: usize,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandons: u64,
    pub abandoned_by_queue_exit: u64,
    pub redirected_by_queue_timeout: u64,
    /// From 0 to 1, short abandons counted; null before the first call.
    pub service_level: Option<f64>,
    pub service_level_without_short_abandons: Option<f64>,
    /// The queue's service-level target, from 0 to 1 (the highest of a
    /// group's queues').
    pub service_level_target: f64,
    /// The queue's service-level time, in seconds (the longest of a group's).
    pub service_level_seconds: u64,
    /// Average speed of answer and average handle time, in seconds.
    pub asa: Option<f64>,
    pub aht: Option<f64>,
    /// The day's count of each result code flagged "Show on Dashboard".
    pub result_codes: Vec<Counted>,
}

/// Agents by what they are doing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Agents {
    pub available: usize,
    pub ringing: usize,
    pub in_call: usize,
    pub after_call_work: usize,
    #[serde(rename = "break")]
    pub on_break: usize,
    pub offline: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counted {
    pub id: u64,
    pub name: String,
    pub count: u64,
}

fn seconds(d: Duration) -> f64 {
    (d.as_millis() as f64 / 1000.0 * 10.0).round() / 10.0
}

fn tile(
    (key, kind, id, name): (String, &'static str, u64, &str),
    names: &Names,
    live: &Live,
    day: &DayFigures,
    date: String,
    (service_level, target): (Duration, f64),
) -> Tile {
    let count = |p| live.agents.get(&p).copied().unwrap_or(0);
    let shown: Vec<Counted> = names
        .statuses
        .iter()
        .map(|(s, name)| Counted {
            id: s.0,
            name: name.clone(),
            count: live.statuses.get(s).copied().unwrap_or(0) as u64,
        })
        .collect();
    let logged_in: usize = live.statuses.values().sum();
    let shown_total: u64 = shown.iter().map(|c| c.count).sum();
    Tile {
        key,
        kind,
        id,
        name: name.to_owned(),
        date,
        queues: Vec::new(),
        waiting: live.in_queue,
        callbacks: live.callbacks,
        longest_wait_since: live.oldest.map(|m| m.0),
        agents: Agents {
            available: count(Presence::Available),
            ringing: count(Presence::Ringing),
            in_call: count(Presence::InCall),
            after_call_work: count(Presence::AfterCallWork),
            on_break: count(Presence::Break),
            offline: count(Presence::Offline),
        },
        statuses: shown,
        other_statuses: logged_in.saturating_sub(shown_total as usize),
        answered: day.answered,
        abandoned: day.abandoned,
        short_abandons: day.short_abandons,
        abandoned_by_queue_exit: day.abandoned_by_queue_exit,
        redirected_by_queue_timeout: day.redirected_by_queue_timeout,
        service_level: day.service_level.ratio(),
        service_level_without_short_abandons: day.service_level_without_short_abandons.ratio(),
        service_level_target: target,
        service_level_seconds: service_level.as_secs(),
        asa: day.asa().map(seconds),
        aht: day.aht().map(seconds),
        result_codes: names
            .result_codes
            .iter()
            .map(|(c, name)| Counted {
                id: c.0,
                name: name.clone(),
                count: day.result_codes.get(c).copied().unwrap_or(0),
            })
            .collect(),
    }
}

/// The tiles of every queue `shown` says yes to, then of every group all of
/// whose queues it says yes to.
pub fn tiles(
    names: &Names,
    live: &HashMap<QueueId, Live>,
    today: &Today,
    now: Millis,
    shown: impl Fn(QueueId) -> bool,
) -> Vec<Tile> {
    let none = Live::default();
    let mut out = Vec::new();
    let mut queues = HashMap::new();
    for q in names.queues.iter().filter(|q| shown(q.id)) {
        let l = live.get(&q.id).unwrap_or(&none);
        let day = today.of(q.id, q.project, now);
        let date = today.date(q.project, now);
        let head = (
            format!("queue-{}", q.id.0),
            "queue",
            q.id.0,
            q.name.as_str(),
        );
        out.push(tile(
            head,
            names,
            l,
            &day,
            date,
            (q.service_level, q.target),
        ));
        queues.insert(q.id, (q, l, day));
    }
    for g in &names.groups {
        if g.queues.is_empty() || !g.queues.iter().all(|q| shown(*q)) {
            continue;
        }
        let mut l = Live::default();
        let mut day = DayFigures::default();
        let (mut service_level, mut target) = (Duration::ZERO, 0.0_f64);
        let mut project = None;
        for (q, ql, qd) in g.queues.iter().filter_map(|q| queues.get(q)) {
            l.merge(ql);
            day.merge(qd);
            service_level = service_level.max(q.service_level);
            target = target.max(q.target);
            project = project.or(Some(q.project));
        }
        let date = project.map_or_else(String::new, |p| today.date(p, now));
        let head = (
            format!("group-{}", g.id.0),
            "group",
            g.id.0,
            g.name.as_str(),
        );
        let mut t = tile(head, names, &l, &day, date, (service_level, target));
        t.queues = g.queues.iter().map(|q| q.0).collect();
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests;
