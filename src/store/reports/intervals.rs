//! The interval report: a range cut into 15-minute, hour or day buckets in
//! the project's time zone, with each bucket's queue figures, the agents'
//! presence over time, and the range's result codes and tags.
//!
//! The figures are sums over the stored records, bucketed by InitMoment,
//! with the same rules as [`crate::cdr::ServiceLevel`]: offered are the calls
//! that waited in a queue (classification other than "not counted");
//! abandoned leaves short abandons apart; the service level counts
//! answered, abandoned and redirected calls, with and without short
//! abandons. ASA is the mean QueueWaitLength of answered calls, AHT the
//! mean ConnectedLength plus ACWLength of answered calls.
//!
//! SQL sums per 15 minutes of UTC (every time zone in use is a whole number
//! of quarter hours off UTC), and the slots are gathered into the buckets
//! here, so an hour or a day across a DST change is cut where the local
//! clock says.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use sqlx::Row;

use super::super::{Store, StoreError};
use super::Visibility;
use crate::cdr::day::Zone;

/// One SQL slot: 15 minutes.
const SLOT_MS: i64 = 15 * 60 * 1000;

/// How long a bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Quarter,
    Hour,
    Day,
}

impl Step {
    pub fn parse(text: &str) -> Option<Step> {
        match text {
            "15m" | "15min" | "quarter" => Some(Step::Quarter),
            "1h" | "hour" => Some(Step::Hour),
            "1d" | "day" => Some(Step::Day),
            _ => None,
        }
    }
}

/// One bucket: `[start, end)` in milliseconds since the Unix epoch, and its
/// local start (`YYYY-MM-DD HH:MM+hh:mm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub start: i64,
    pub end: i64,
    pub local: String,
}

/// The buckets of `[from, to)` in `zone`; the first starts where the bucket
/// holding `from` starts.
pub fn buckets(zone: &Zone, from: i64, to: i64, step: Step) -> Vec<Bucket> {
    let tz = TimeZone::get(zone.name()).unwrap_or(TimeZone::UTC);
    let local = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M%:z")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut start = match step {
        Step::Quarter => from.div_euclid(SLOT_MS) * SLOT_MS,
        Step::Hour => Timestamp::from_millisecond(from)
            .ok()
            .and_then(|t| {
                t.to_zoned(tz.clone())
                    .with()
                    .minute(0)
                    .second(0)
                    .subsec_nanosecond(0)
                    .build()
                    .ok()
            })
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(from),
        Step::Day => zone.day_at(from).start,
    };
    while start < to {
        let end = match step {
            Step::Quarter => start + SLOT_MS,
            Step::Hour => Timestamp::from_millisecond(start)
                .ok()
                .and_then(|t| t.checked_add(1.hour()).ok())
                .map(|t| t.as_millisecond())
                .unwrap_or(start + 4 * SLOT_MS),
            Step::Day => zone.day_at(start).end,
        };
        out.push(Bucket {
            start,
            end,
            local: local(start),
        });
        start = end.max(start + SLOT_MS);
    }
    out
}

/// The queue figures of a bucket (or of the range), in sums that add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub offered: i64,
    pub answered: i64,
    /// Abandoned after the short-abandon time.
    pub abandoned: i64,
    pub short_abandoned: i64,
    pub queue_exits: i64,
    pub timeouts: i64,
    /// Answered within the service level.
    pub within_sl: i64,
    /// What the service level is taken over, short abandons left out.
    pub sl_counted: i64,
    /// Short abandons, which count in the service level "with short abandons".
    pub sl_short: i64,
    pub wait_answered_ms: i64,
    pub handle_ms: i64,
    pub longest_wait_ms: i64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.abandoned += o.abandoned;
        self.short_abandoned += o.short_abandoned;
        self.queue_exits += o.queue_exits;
        self.timeouts += o.timeouts;
        self.within_sl += o.within_sl;
        self.sl_counted += o.sl_counted;
        self.sl_short += o.sl_short;
        self.wait_answered_ms += o.wait_answered_ms;
        self.handle_ms += o.handle_ms;
        self.longest_wait_ms = self.longest_wait_ms.max(o.longest_wait_ms);
    }

    /// Answered within the service level over the calls counted, short
    /// abandons left out; `None` when none counts.
    pub fn service_level(&self) -> Option<f64> {
        (self.sl_counted > 0).then(|| self.within_sl as f64 / self.sl_counted as f64)
    }

    /// The same with short abandons counted.
    pub fn service_level_with_short(&self) -> Option<f64> {
        let counted = self.sl_counted + self.sl_short;
        (counted > 0).then(|| self.within_sl as f64 / counted as f64)
    }

    /// Average speed of answer, in milliseconds.
    pub fn asa_ms(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.wait_answered_ms as f64 / self.answered as f64)
    }

    /// Average handle time, in milliseconds.
    pub fn aht_ms(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.handle_ms as f64 / self.answered as f64)
    }
}

/// The presences an agent's time is shared among (offline is not shown).
pub const PRESENCES: [&str; 5] = [
    "available",
    "ringing",
    "in_call",
    "after_call_work",
    "break",
];

/// One agent's time over the range, in milliseconds per presence
/// ([`PRESENCES`] order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentTime {
    pub agent: i64,
    pub name: Option<String>,
    pub ms: [i64; 5],
}

impl AgentTime {
    /// In a call or its after-call work, over the time staffed (available,
    /// ringing, in a call or after-call work).
    pub fn occupancy(&self) -> Option<f64> {
        let busy = self.ms[2] + self.ms[3];
        let staffed = self.ms[0] + self.ms[1] + busy;
        (staffed > 0).then(|| busy as f64 / staffed as f64)
    }
}

/// How often a result code or a tag was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub id: i64,
    pub name: String,
    /// A result code's category, a tag's category.
    pub category: String,
    /// A result code's type (`call`, `written_channel`, `product`).
    pub kind: String,
    pub count: i64,
}

/// The interval report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalReport {
    pub buckets: Vec<(Bucket, Tally)>,
    pub total: Tally,
    /// Per bucket, the mean number of agents in each of [`PRESENCES`].
    pub presence: Vec<[f64; 5]>,
    pub agents: Vec<AgentTime>,
    pub result_codes: Vec<Count>,
    pub tags: Vec<Count>,
}

/// What an interval report covers.
#[derive(Debug, Clone)]
pub struct IntervalQuery {
    pub from: i64,
    pub to: i64,
    pub step: Step,
    pub visible: Visibility,
    /// Only these queues (empty: every visible one).
    pub queues: Vec<i64>,
    /// Only this project's records.
    pub project: Option<i64>,
    /// Whose agent time to show: `None` no one, `Some(None)` every agent,
    /// `Some(Some(id))` that agent only.
    pub agents: Option<Option<i64>>,
    /// Time after which presence is not counted (now).
    pub now: i64,
}

impl IntervalQuery {
    fn condition(&self) -> String {
        let mut c = format!(
            "i.init_moment >= ? AND i.init_moment < ? AND i.queue_id IS NOT NULL AND {}",
            self.visible.condition()
        );
        if !self.queues.is_empty() {
            c.push_str(&format!(
                " AND i.queue_id IN ({})",
                super::list(&self.queues)
            ));
        }
        if let Some(p) = self.project {
            c.push_str(&format!(" AND i.project_id = {p}"));
        }
        c
    }
}

const COUNTED: &str = "i.classification IS NOT NULL AND i.classification <> 'not counted'";

impl Store {
    /// The interval report of `q` in `zone`.
    pub async fn interval_report(
        &self,
        zone: &Zone,
        q: &IntervalQuery,
    ) -> Result<IntervalReport, StoreError> {
        let buckets = buckets(zone, q.from, q.to, q.step);
        let condition = q.condition();
        // PostgreSQL sums BIGINT lengths as NUMERIC: they are cast back.
        let sql = format!(
            "SELECT i.init_moment / {SLOT_MS}, \
             SUM(CASE WHEN {COUNTED} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.disposition = 'answered' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.disposition = 'abandoned' AND i.classification = 'abandoned' \
                 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.disposition = 'abandoned' AND i.classification = 'short abandon' \
                 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.disposition = 'abandoned by queue exit' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.disposition = 'redirected by queue timeout' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.classification = 'answered within service level' \
                 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.classification IN ('answered within service level', \
                 'answered outside service level', 'abandoned', 'redirected') \
                 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN i.classification = 'short abandon' THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN i.disposition = 'answered' THEN i.queue_wait_length_ms \
                 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN i.disposition = 'answered' \
                 THEN i.connected_length_ms + i.acw_length_ms ELSE 0 END) AS BIGINT), \
             MAX(CASE WHEN {COUNTED} THEN i.queue_wait_length_ms ELSE 0 END) \
             FROM interactions i WHERE {condition} GROUP BY 1"
        );
        let sql = crate::store::numbered(&sql);
        let rows = sqlx::query(&sql)
            .bind(q.from)
            .bind(q.to)
            .fetch_all(self.pool())
            .await?;
        let mut tallies = vec![Tally::default(); buckets.len()];
        for row in &rows {
            let slot: i64 = row.try_get(0)?;
            let at = (slot * SLOT_MS).max(q.from);
            let i = buckets.partition_point(|b| b.end <= at);
            let Some(t) = tallies.get_mut(i) else {
                continue;
            };
            let get = |k: usize| -> Result<i64, StoreError> {
                Ok(row.try_get::<Option<i64>, _>(k)?.unwrap_or(0))
            };
            t.add(&Tally {
                offered: get(1)?,
                answered: get(2)?,
                abandoned: get(3)?,
                short_abandoned: get(4)?,
                queue_exits: get(5)?,
                timeouts: get(6)?,
                within_sl: get(7)?,
                sl_counted: get(8)?,
                sl_short: get(9)?,
                wait_answered_ms: get(10)?,
                handle_ms: get(11)?,
                longest_wait_ms: get(12)?,
            });
        }
        let mut total = Tally::default();
        for t in &tallies {
            total.add(t);
        }
        let (presence, agents) = match q.agents {
            Some(agent) => self.presence(&buckets, q, agent).await?,
            None => (vec![[0.0; 5]; buckets.len()], Vec::new()),
        };
        Ok(IntervalReport {
            buckets: buckets.into_iter().zip(tallies).collect(),
            total,
            presence,
            agents,
            result_codes: self.result_code_counts(q).await?,
            tags: self.tag_counts(q).await?,
        })
    }

    async fn result_code_counts(&self, q: &IntervalQuery) -> Result<Vec<Count>, StoreError> {
        let sql = format!(
            "SELECT rc.id, rc.display_name, rc.category, rc.kind, COUNT(*) FROM interactions i \
             JOIN result_codes rc ON rc.id = i.verdict WHERE {} \
             GROUP BY rc.id, rc.display_name, rc.category, rc.kind ORDER BY rc.category, rc.kind, rc.display_name",
            q.condition()
        );
        let sql = crate::store::numbered(&sql);
        let rows = sqlx::query(&sql)
            .bind(q.from)
            .bind(q.to)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Count {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    category: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    count: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn tag_counts(&self, q: &IntervalQuery) -> Result<Vec<Count>, StoreError> {
        let sql = format!(
            "SELECT t.tag_id, tg.name, tg.category, COUNT(*) FROM interaction_tags t \
             JOIN interactions i ON i.interaction_id = t.interaction_id \
             LEFT JOIN tags tg ON tg.id = t.tag_id WHERE {} \
             GROUP BY t.tag_id, tg.name, tg.category ORDER BY t.tag_id",
            q.condition()
        );
        let sql = crate::store::numbered(&sql);
        let rows = sqlx::query(&sql)
            .bind(q.from)
            .bind(q.to)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                Ok(Count {
                    id,
                    name: r
                        .try_get::<Option<String>, _>(1)?
                        .unwrap_or_else(|| format!("#{id}")),
                    category: r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                    kind: String::new(),
                    count: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// The agents' presence over the buckets (mean agents in each) and each
    /// agent's time over the range, from the agents' history.
    async fn presence(
        &self,
        buckets: &[Bucket],
        q: &IntervalQuery,
        agent: Option<i64>,
    ) -> Result<(Vec<[f64; 5]>, Vec<AgentTime>), StoreError> {
        let end = q.to.min(q.now);
        let mut state: BTreeMap<i64, (i64, Option<usize>)> = BTreeMap::new();
        for (a, p) in self.presence_before(q.from, agent).await? {
            state.insert(a, (q.from, PRESENCES.iter().position(|x| *x == p)));
        }
        let mut per_bucket = vec![[0i64; 5]; buckets.len()];
        let mut per_agent: BTreeMap<i64, [i64; 5]> = BTreeMap::new();
        let mut spend = |agent: i64, from: i64, to: i64, p: Option<usize>| {
            let Some(p) = p else { return };
            let (from, to) = (from.max(q.from), to.min(end));
            if from >= to {
                return;
            }
            per_agent.entry(agent).or_default()[p] += to - from;
            let first = buckets.partition_point(|b| b.end <= from);
            for (i, b) in buckets.iter().enumerate().skip(first) {
                if b.start >= to {
                    break;
                }
                per_bucket[i][p] += to.min(b.end) - from.max(b.start);
            }
        };
        for e in self.agent_events_between(q.from, end, agent).await? {
            let next = match e.kind.as_str() {
                "presence" => PRESENCES
                    .iter()
                    .position(|x| Some(*x) == e.detail.as_deref()),
                "logout" => None,
                _ => continue,
            };
            let (since, p) = state.get(&e.agent).copied().unwrap_or((e.at, None));
            spend(e.agent, since, e.at, p);
            state.insert(e.agent, (e.at, next));
        }
        for (agent, (since, p)) in &state {
            spend(*agent, *since, end, *p);
        }
        let presence = buckets
            .iter()
            .zip(&per_bucket)
            .map(|(b, ms)| {
                let len = (b.end - b.start).max(1) as f64;
                ms.map(|m| m as f64 / len)
            })
            .collect();
        let names = self.agent_names(per_agent.keys().copied()).await?;
        let agents = per_agent
            .into_iter()
            .map(|(agent, ms)| AgentTime {
                agent,
                name: names.get(&agent).cloned(),
                ms,
            })
            .collect();
        Ok((presence, agents))
    }

    /// The usernames of `agents`.
    pub(crate) async fn agent_names(
        &self,
        agents: impl Iterator<Item = i64>,
    ) -> Result<BTreeMap<i64, String>, StoreError> {
        let ids: Vec<i64> = agents.collect();
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let sql = format!(
            "SELECT id, username FROM users WHERE id IN ({})",
            super::list(&ids)
        );
        let sql = crate::store::numbered(&sql);
        let rows: Vec<(i64, String)> = sqlx::query_as(&sql).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn hours_follow_the_local_clock_across_dst() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        // 2026-03-29: clocks go from 02:00 to 03:00, a 23-hour day.
        let day = berlin.day_of("2026-03-29").unwrap();
        let hours = buckets(&berlin, day.start, day.end, Step::Hour);
        assert_eq!(hours.len(), 23);
        assert_eq!(hours[2].local, "2026-03-29 03:00+02:00");
        let days = buckets(&berlin, day.start, day.end, Step::Day);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].end - days[0].start, 23 * 3_600_000);
        // 2026-10-25: 25 hours, 02:00 twice.
        let day = berlin.day_of("2026-10-25").unwrap();
        let hours = buckets(&berlin, day.start, day.end, Step::Hour);
        assert_eq!(hours.len(), 25);
        assert_eq!(hours[2].local, "2026-10-25 02:00+02:00");
        assert_eq!(hours[3].local, "2026-10-25 02:00+01:00");
        let quarters = buckets(&berlin, day.start, day.end, Step::Quarter);
        assert_eq!(quarters.len(), 100);
    }

    #[test]
    fn half_hour_zones_cut_hours_at_their_own_clock() {
        let india = Zone::named("Asia/Kolkata").unwrap();
        let from = ms("2026-12-06T00:00:00Z");
        let hours = buckets(&india, from, from + 3 * 3_600_000, Step::Hour);
        assert_eq!(hours[0].start, ms("2026-12-05T23:30:00Z"));
        assert_eq!(hours[0].local, "2026-12-06 05:00+05:30");
        assert_eq!(hours.len(), 4);
    }

    #[test]
    fn tallies_add_and_give_the_ratios() {
        let mut t = Tally {
            offered: 4,
            answered: 2,
            within_sl: 1,
            sl_counted: 3,
            sl_short: 1,
            wait_answered_ms: 4000,
            handle_ms: 10_000,
            longest_wait_ms: 7000,
            ..Tally::default()
        };
        t.add(&Tally {
            longest_wait_ms: 9000,
            ..Tally::default()
        });
        assert_eq!(t.service_level(), Some(1.0 / 3.0));
        assert_eq!(t.service_level_with_short(), Some(0.25));
        assert_eq!(t.asa_ms(), Some(2000.0));
        assert_eq!(t.aht_ms(), Some(5000.0));
        assert_eq!(t.longest_wait_ms, 9000);
        assert_eq!(Tally::default().service_level(), None);
    }
}
