//! The day's figures of each queue, from its completed interaction records.
//!
//! A record counts on the day its interaction arrived (`InitMoment`), in the
//! time zone of its project: the same rule as reports over the stored rows,
//! so the wallboard, the reports and the raw rows agree. A queue's figures
//! start again at its project's local midnight ([`crate::cdr::day`]).
//!
//! What each figure is, over the day's records of the queue:
//! - answered, abandoned (short abandons included, and also counted apart),
//!   abandoned by queue exit, redirected by queue timeout: by `Disposition`;
//!   answered also counts, until their record completes, the calls an agent
//!   has answered (their record's checkpoint at the answer), so the figure
//!   moves when the agent answers; once every call of the day has ended it is
//!   the records' count;
//! - service level: [`ServiceLevel`] with and without short abandons, from
//!   `Classification`;
//! - ASA: the mean `QueueWaitLength` of the answered ones;
//! - AHT: the mean `ConnectedLength` (hold included) plus `ACWLength` of the
//!   answered ones;
//! - result codes: how many records carry each `Verdict`.
//!
//! No I/O, no clock: the records writer feeds [`Today::add`], start-up seeds
//! it with today's stored rows, and readers ask [`Today::of`] with the time.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::acd::{Millis, ProjectId, QueueId, ResultCodeId};
use crate::cdr::day::{Day, Zone};
use crate::cdr::{Disposition, InteractionId, InteractionRecord, ServiceLevel, ShortAbandons};

/// One queue's (or group's) figures for one day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayFigures {
    /// Completed as answered, plus answered calls still in progress.
    pub answered: u64,
    /// Of `answered`, those whose record is complete: ASA and AHT are theirs.
    pub answered_complete: u64,
    pub abandoned: u64,
    /// Of `abandoned`, those within the short-abandon time.
    pub short_abandons: u64,
    pub abandoned_by_queue_exit: u64,
    pub redirected_by_queue_timeout: u64,
    /// Short abandons counted among the calls.
    pub service_level: ServiceLevel,
    /// Short abandons left out.
    pub service_level_without_short_abandons: ServiceLevel,
    /// Summed `QueueWaitLength` of the answered ones.
    pub answer_wait: Duration,
    /// Summed handle time (`ConnectedLength` + `ACWLength`) of the answered ones.
    pub handle_time: Duration,
    pub result_codes: BTreeMap<ResultCodeId, u64>,
}

impl DayFigures {
    /// Counts one completed record.
    pub fn add(&mut self, record: &InteractionRecord) {
        match record.disposition {
            Some(Disposition::Answered) => {
                self.answered += 1;
                self.answered_complete += 1;
                self.answer_wait += record.queue_wait_length;
                self.handle_time += record.connected_length + record.acw_length;
            }
            Some(Disposition::Abandoned) => {
                self.abandoned += 1;
                if record.short_abandon() {
                    self.short_abandons += 1;
                }
            }
            Some(Disposition::AbandonedByQueueExit) => self.abandoned_by_queue_exit += 1,
            Some(Disposition::RedirectedByQueueTimeout) => self.redirected_by_queue_timeout += 1,
            Some(Disposition::Failed | Disposition::Interrupted) | None => {}
        }
        if let Some(c) = record.classification {
            self.service_level.add(c, ShortAbandons::Included);
            self.service_level_without_short_abandons
                .add(c, ShortAbandons::Excluded);
        }
        if let Some(code) = record.verdict {
            *self.result_codes.entry(code).or_default() += 1;
        }
    }

    /// Adds another queue's figures (a queue group's are its queues' sum).
    pub fn merge(&mut self, other: &DayFigures) {
        self.answered += other.answered;
        self.answered_complete += other.answered_complete;
        self.abandoned += other.abandoned;
        self.short_abandons += other.short_abandons;
        self.abandoned_by_queue_exit += other.abandoned_by_queue_exit;
        self.redirected_by_queue_timeout += other.redirected_by_queue_timeout;
        for (mine, theirs) in [
            (&mut self.service_level, &other.service_level),
            (
                &mut self.service_level_without_short_abandons,
                &other.service_level_without_short_abandons,
            ),
        ] {
            mine.within += theirs.within;
            mine.counted += theirs.counted;
        }
        self.answer_wait += other.answer_wait;
        self.handle_time += other.handle_time;
        for (code, n) in &other.result_codes {
            *self.result_codes.entry(*code).or_default() += n;
        }
    }

    /// Average speed of answer; `None` before the first answer.
    pub fn asa(&self) -> Option<Duration> {
        let n = u32::try_from(self.answered_complete).unwrap_or(u32::MAX);
        (n > 0).then(|| self.answer_wait / n)
    }

    /// Average handle time; `None` before the first answer.
    pub fn aht(&self) -> Option<Duration> {
        let n = u32::try_from(self.answered_complete).unwrap_or(u32::MAX);
        (n > 0).then(|| self.handle_time / n)
    }
}

/// The day's figures of every queue.
#[derive(Debug, Default)]
pub struct Today {
    zones: HashMap<ProjectId, Zone>,
    queues: HashMap<QueueId, (Day, DayFigures)>,
    /// Calls answered whose record is not complete yet, by queue, with the
    /// start of the day they count on.
    answering: HashMap<QueueId, HashMap<InteractionId, i64>>,
}

impl Today {
    /// The time zone of `project`'s day (UTC until told).
    pub fn set_zone(&mut self, project: ProjectId, zone: Zone) {
        self.zones.insert(project, zone);
    }

    fn day(&self, project: Option<ProjectId>, at: Millis) -> Day {
        let at = i64::try_from(at.0).unwrap_or(i64::MAX);
        match project.and_then(|p| self.zones.get(&p)) {
            Some(zone) => zone.day_at(at),
            None => Zone::utc().day_at(at),
        }
    }

    /// Counts a completed record of a queue; records of no queue, still open
    /// or of a day before the one the queue counts are left out. A record of
    /// a later day starts that day for its queue.
    pub fn add(&mut self, record: &InteractionRecord) {
        let Some(queue) = record.queue else { return };
        if record.disposition.is_none() {
            return;
        }
        if let Some(calls) = self.answering.get_mut(&queue) {
            calls.remove(&record.interaction_id);
        }
        let day = self.day(record.project, record.init_moment);
        let entry = self
            .queues
            .entry(queue)
            .or_insert_with(|| (day.clone(), DayFigures::default()));
        if entry.0.start < day.start {
            *entry = (day, DayFigures::default());
        } else if entry.0.start > day.start {
            return;
        }
        entry.1.add(record);
    }

    /// A record of a call in progress: once an agent has answered it, it
    /// counts as answered until its completed record takes over.
    pub fn checkpoint(&mut self, record: &InteractionRecord) {
        let Some(queue) = record.queue else { return };
        if record.disposition.is_some() || record.connection_moment.is_none() {
            return;
        }
        let day = self.day(record.project, record.init_moment);
        let calls = self.answering.entry(queue).or_default();
        calls.insert(record.interaction_id, day.start);
        // Whatever is left from an earlier day went unfinished.
        calls.retain(|_, start| *start >= day.start);
    }

    /// The figures of `queue` (of `project`) on the day `now` falls in: none
    /// yet once its local midnight has passed.
    pub fn of(&self, queue: QueueId, project: ProjectId, now: Millis) -> DayFigures {
        let today = self.day(Some(project), now).start;
        let mut figures = match self.queues.get(&queue) {
            Some((day, figures)) if day.start == today => figures.clone(),
            _ => DayFigures::default(),
        };
        if let Some(calls) = self.answering.get(&queue) {
            figures.answered += calls.values().filter(|start| **start == today).count() as u64;
        }
        figures
    }

    /// The local date `now` falls in for `project`.
    pub fn date(&self, project: ProjectId, now: Millis) -> String {
        self.day(Some(project), now).date
    }

    /// The earliest start of the current day over every project known (and
    /// UTC): where start-up reads today's stored rows from.
    pub fn earliest_start(&self, now: Millis) -> Millis {
        let at = i64::try_from(now.0).unwrap_or(i64::MAX);
        let start = self
            .zones
            .values()
            .map(|z| z.day_at(at).start)
            .chain([Zone::utc().day_at(at).start])
            .min()
            .unwrap_or(0);
        Millis(u64::try_from(start).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests;
