//! The working day of each project, for the dispatch task: when each
//! project's local midnight comes (its time zone, [`crate::cdr::day::Zone`]),
//! so the task can feed the dispatch core `Event::DayStarted { project }`;
//! and the break time used today, which must survive a restart.
//!
//! Sans-IO like the core: it takes the time as an input and says when it
//! must be woken ([`DayTurn::poll_timeout`]); the dispatch task owns the
//! timer. A changed time zone takes effect at once: the current day is
//! looked up again in the new zone, and the next turn is its next midnight
//! (the counts are not reset by the change itself).
//!
//! Break time is written (through a channel, by a small task beside the
//! store) whenever one of an agent's breaks ends; the rows of the last days
//! are read at start-up, and an agent who logs in again on the same local
//! day of that project gets their figure back ([`DayTurn::restore`]).

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::acd::{AgentId, Millis, ProjectConfig, ProjectId};
use crate::cdr::day::{Day, Zone};
use crate::store::break_days::{self, BreakDay};
use crate::store::Store;

/// How many break figures may wait for the writer.
const WRITES: usize = 4096;

/// See the module documentation.
#[derive(Default)]
pub struct DayTurn {
    /// Each project's zone and the local day it is in now.
    days: HashMap<ProjectId, (Zone, Day)>,
    /// Break time stored before the start, by agent: (project, date, used).
    stored: HashMap<AgentId, (ProjectId, String, Duration)>,
    writer: Option<mpsc::Sender<BreakDay>>,
}

impl DayTurn {
    /// Takes the projects' time zones (a new project or zone applies at
    /// once; an unknown zone name counts as UTC, the store refuses those).
    pub fn configure(&mut self, projects: &[ProjectConfig], now: Millis) {
        let at = ms(now);
        for p in projects {
            if self
                .days
                .get(&p.id)
                .is_some_and(|(zone, _)| zone.name() == p.time_zone)
            {
                continue;
            }
            let zone = Zone::named(&p.time_zone).unwrap_or_else(|e| {
                tracing::warn!(project = %p.id, error = %e, "project day follows UTC");
                Zone::utc()
            });
            let day = zone.day_at(at);
            self.days.insert(p.id, (zone, day));
        }
    }

    /// When the next project's day turns.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.days
            .values()
            .map(|(_, day)| Millis(u64::try_from(day.end).unwrap_or(0)))
            .min()
    }

    /// The projects whose new day began at or before `now`, each once.
    pub fn due(&mut self, now: Millis) -> Vec<ProjectId> {
        let at = ms(now);
        let mut turned = Vec::new();
        for (project, (zone, day)) in &mut self.days {
            if day.end <= at {
                *day = zone.day_at(at);
                turned.push(*project);
            }
        }
        turned.sort();
        turned
    }

    /// The local date it is in `project` now, as last looked up.
    pub fn today(&self, project: ProjectId) -> Option<&str> {
        self.days.get(&project).map(|(_, day)| day.date.as_str())
    }

    /// Break time stored before the start, and where to write new figures.
    pub fn keep_breaks(&mut self, stored: Vec<BreakDay>, writer: mpsc::Sender<BreakDay>) {
        for row in stored {
            let (Ok(agent), Ok(project)) =
                (u64::try_from(row.user_id), u64::try_from(row.project_id))
            else {
                continue;
            };
            let agent = AgentId(agent);
            // Of two days (a zone moved), the later one counts.
            if self
                .stored
                .get(&agent)
                .is_some_and(|(_, day, _)| *day > row.day)
            {
                continue;
            }
            self.stored
                .insert(agent, (ProjectId(project), row.day, row.used));
        }
        self.writer = Some(writer);
    }

    /// The break time `agent`, who just logged in to `project`, used earlier
    /// today before a restart: given once, and only on the same local day.
    pub fn restore(&mut self, agent: AgentId, project: ProjectId) -> Option<Duration> {
        let (p, day, used) = self.stored.remove(&agent)?;
        (p == project && self.today(project) == Some(day.as_str())).then_some(used)
    }

    /// One of `agent`'s breaks ended; they have used `used` today in
    /// `project`. The figure goes to the store.
    pub fn break_ended(&mut self, agent: AgentId, project: ProjectId, used: Duration) {
        self.stored.remove(&agent);
        let (Some(writer), Some(day)) = (&self.writer, self.today(project)) else {
            return;
        };
        let row = BreakDay {
            user_id: i64::try_from(agent.0).unwrap_or(0),
            day: day.to_owned(),
            project_id: i64::try_from(project.0).unwrap_or(0),
            used,
        };
        if writer.try_send(row).is_err() {
            tracing::warn!(%agent, "break time not saved: the writer is behind");
        }
    }
}

fn ms(t: Millis) -> i64 {
    i64::try_from(t.0).unwrap_or(i64::MAX)
}

/// Reads the break time of the last days and starts the task that saves new
/// figures; the dispatch task takes both ([`DayTurn::keep_breaks`]).
pub async fn break_store(
    store: &Store,
) -> Result<(Vec<BreakDay>, mpsc::Sender<BreakDay>), crate::store::StoreError> {
    let stored = break_days::recent(store, ms(super::now())).await?;
    let (tx, mut rx) = mpsc::channel::<BreakDay>(WRITES);
    let store = store.clone();
    tokio::spawn(async move {
        while let Some(row) = rx.recv().await {
            if let Err(e) = break_days::save(&store, &row, ms(super::now())).await {
                tracing::error!(agent = row.user_id, error = %e, "saving break time failed");
            }
        }
    });
    Ok((stored, tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ProjectId = ProjectId(1);
    const BERLIN: ProjectId = ProjectId(2);
    const A1: AgentId = AgentId(7);

    fn at(text: &str) -> Millis {
        Millis(text.parse::<jiff::Timestamp>().unwrap().as_millisecond() as u64)
    }

    fn project(id: ProjectId, zone: &str) -> ProjectConfig {
        ProjectConfig {
            time_zone: zone.into(),
            ..ProjectConfig::new(id)
        }
    }

    #[test]
    fn each_project_turns_at_its_own_midnight() {
        let mut days = DayTurn::default();
        let start = at("2026-06-10T12:00:00Z");
        days.configure(
            &[project(P, "UTC"), project(BERLIN, "Europe/Berlin")],
            start,
        );
        assert_eq!(days.poll_timeout(), Some(at("2026-06-10T22:00:00Z")));
        assert_eq!(days.due(at("2026-06-10T21:59:59Z")), vec![]);
        assert_eq!(days.due(at("2026-06-10T22:00:00Z")), vec![BERLIN]);
        assert_eq!(days.today(BERLIN), Some("2026-06-11"));
        assert_eq!(days.poll_timeout(), Some(at("2026-06-11T00:00:00Z")));
        // Woken late: each turns once.
        assert_eq!(days.due(at("2026-06-11T00:30:00Z")), vec![P]);
        assert_eq!(days.due(at("2026-06-11T00:30:00Z")), vec![]);
        assert_eq!(days.today(P), Some("2026-06-11"));
    }

    #[test]
    fn a_new_zone_takes_effect_at_once_without_turning_the_day() {
        let mut days = DayTurn::default();
        let start = at("2026-06-10T12:00:00Z");
        days.configure(&[project(P, "UTC")], start);
        days.configure(&[project(P, "America/New_York")], start);
        assert_eq!(days.due(start), vec![]);
        assert_eq!(days.poll_timeout(), Some(at("2026-06-11T04:00:00Z")));
    }

    #[test]
    fn stored_break_time_comes_back_on_the_same_local_day_only() {
        let mut days = DayTurn::default();
        days.configure(&[project(P, "UTC")], at("2026-06-10T12:00:00Z"));
        let (tx, mut rx) = mpsc::channel(8);
        let row = |day: &str| BreakDay {
            user_id: 7,
            day: day.into(),
            project_id: 1,
            used: Duration::from_secs(600),
        };
        days.keep_breaks(vec![row("2026-06-10")], tx.clone());
        assert_eq!(days.restore(A1, BERLIN), None, "another project");
        days.keep_breaks(vec![row("2026-06-10")], tx.clone());
        assert_eq!(days.restore(A1, P), Some(Duration::from_secs(600)));
        assert_eq!(days.restore(A1, P), None, "given once");
        days.keep_breaks(vec![row("2026-06-09")], tx);
        assert_eq!(days.restore(A1, P), None, "yesterday's");

        days.break_ended(A1, P, Duration::from_secs(90));
        assert_eq!(rx.try_recv().unwrap(), {
            let mut r = row("2026-06-10");
            r.used = Duration::from_secs(90);
            r
        });
    }
}
