//! What the reports read: the Call Detail Report (interaction records by a
//! filter, a page at a time or all of them for CSV), the interval report
//! ([`intervals`]), the agents' history ([`agent_events`]) and the
//! Asterisk-compatible queue_log ([`queue_log`]); and each user's saved
//! filter.
//!
//! Every query is limited by a [`Visibility`] the API derives from the
//! caller's permissions: every record, the records of some queues, or one
//! agent's own. Filters are values, never SQL: they are bound as parameters
//! (ids, which are numbers, are written in place like [`super::QueueScope`]).

pub mod agent_events;
pub mod intervals;
pub mod queue_log;

use crate::store::DbRow;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::interactions::{stored_interaction, COLUMNS};
use super::recorded::agent_name;
use super::{unix_ms, Store, StoreError, StoredInteraction};

/// The most records one page of the Call Detail Report holds.
pub const MAX_CDR_PAGE: i64 = 500;

/// Which records a report may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    All,
    /// The records of these queues.
    Queues(Vec<i64>),
    /// The records this agent handled.
    Own(i64),
}

impl Visibility {
    /// The SQL condition on the interactions aliased `i`.
    pub(crate) fn condition(&self) -> String {
        match self {
            Visibility::All => "1 = 1".to_owned(),
            Visibility::Queues(ids) if ids.is_empty() => "1 = 0".to_owned(),
            Visibility::Queues(ids) => format!("i.queue_id IN ({})", list(ids)),
            Visibility::Own(agent) => format!("i.agent_id = {agent}"),
        }
    }
}

fn list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Call Detail Report's filter. Moments are milliseconds since the Unix
/// epoch ([`CdrFilter::from`] inclusive, [`CdrFilter::to`] exclusive, on the
/// InitMoment); lengths are milliseconds; empty lists match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CdrFilter {
    pub from: i64,
    pub to: i64,
    pub queues: Vec<i64>,
    pub agents: Vec<i64>,
    /// Disposition names (`answered`, `abandoned`, ...).
    pub dispositions: Vec<String>,
    /// Classification names (`short abandon`, ...).
    pub classifications: Vec<String>,
    pub result_codes: Vec<i64>,
    pub tags: Vec<i64>,
    /// A part of the caller's number (RemoteNumber).
    pub caller: Option<String>,
    pub min_wait_ms: Option<i64>,
    pub max_wait_ms: Option<i64>,
    pub min_talk_ms: Option<i64>,
    pub max_talk_ms: Option<i64>,
}

/// A value bound to a `?` of a filter's SQL.
enum Arg {
    Int(i64),
    Text(String),
}

impl CdrFilter {
    /// The WHERE condition (on `i`) and the values of its placeholders.
    fn condition(&self, visible: &Visibility) -> (String, Vec<Arg>) {
        let mut parts = vec![
            "i.init_moment >= ? AND i.init_moment < ?".to_owned(),
            visible.condition(),
        ];
        let mut args = vec![Arg::Int(self.from), Arg::Int(self.to)];
        if !self.queues.is_empty() {
            parts.push(format!("i.queue_id IN ({})", list(&self.queues)));
        }
        if !self.agents.is_empty() {
            parts.push(format!("i.agent_id IN ({})", list(&self.agents)));
        }
        if !self.result_codes.is_empty() {
            parts.push(format!("i.verdict IN ({})", list(&self.result_codes)));
        }
        if !self.tags.is_empty() {
            parts.push(format!(
                "EXISTS (SELECT 1 FROM interaction_tags t WHERE t.interaction_id = \
                 i.interaction_id AND t.tag_id IN ({}))",
                list(&self.tags)
            ));
        }
        for (column, names) in [
            ("disposition", &self.dispositions),
            ("classification", &self.classifications),
        ] {
            if !names.is_empty() {
                let marks = vec!["?"; names.len()].join(", ");
                parts.push(format!("i.{column} IN ({marks})"));
                args.extend(names.iter().cloned().map(Arg::Text));
            }
        }
        if let Some(caller) = &self.caller {
            parts.push("i.remote_number LIKE ? ESCAPE '\\'".to_owned());
            args.push(Arg::Text(containing(caller)));
        }
        for (bound, sql) in [
            (self.min_wait_ms, "i.queue_wait_length_ms >= ?"),
            (self.max_wait_ms, "i.queue_wait_length_ms <= ?"),
            (self.min_talk_ms, "i.connected_length_ms >= ?"),
            (self.max_talk_ms, "i.connected_length_ms <= ?"),
        ] {
            if let Some(v) = bound {
                parts.push(sql.to_owned());
                args.push(Arg::Int(v));
            }
        }
        (parts.join(" AND "), args)
    }
}

/// A LIKE pattern that matches any text containing `part` as it is.
fn containing(part: &str) -> String {
    let mut out = String::with_capacity(part.len() + 2);
    out.push('%');
    for c in part.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

type Query<'q> = sqlx::query::Query<'q, crate::store::Db, crate::store::DbArguments<'q>>;

fn bind_all(mut q: Query<'_>, args: Vec<Arg>) -> Query<'_> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
        };
    }
    q
}

/// One record of the Call Detail Report with the names it shows.
#[derive(Debug, Clone)]
pub struct CdrRow {
    pub stored: StoredInteraction,
    pub queue_name: Option<String>,
    pub agent_name: Option<String>,
    /// The chosen result code's display name.
    pub result_code: Option<String>,
}

/// A page of the Call Detail Report and how many records match in all.
#[derive(Debug, Clone)]
pub struct CdrPage {
    pub total: i64,
    pub items: Vec<CdrRow>,
}

/// The SELECT behind every Call Detail Report row, newest first.
fn cdr_select(condition: &str) -> String {
    let columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("i.{}", c.trim()))
        .collect();
    format!(
        "SELECT {}, q.name, u.first_name, u.last_name, u.username, rc.display_name, \
         (SELECT string_agg(CAST(t.tag_id AS TEXT), ',') FROM interaction_tags t \
          WHERE t.interaction_id = i.interaction_id) \
         FROM interactions i LEFT JOIN queues q ON q.id = i.queue_id \
         LEFT JOIN users u ON u.id = i.agent_id LEFT JOIN result_codes rc ON rc.id = i.verdict \
         WHERE {condition} ORDER BY i.init_moment DESC, i.interaction_id DESC",
        columns.join(", ")
    )
}

/// How many columns [`COLUMNS`] has: the names follow them.
fn column_count() -> usize {
    COLUMNS.split(',').count()
}

/// Reads one row of [`cdr_select`].
pub(crate) fn cdr_row(row: &DbRow) -> Result<CdrRow, StoreError> {
    let n = column_count();
    let mut stored = stored_interaction(row)?;
    let tags: Option<String> = row.try_get(n + 5)?;
    stored.record.user_tags = tags
        .unwrap_or_default()
        .split(',')
        .filter_map(|t| t.trim().parse::<u64>().ok())
        .collect();
    stored.record.user_tags.sort_unstable();
    Ok(CdrRow {
        stored,
        queue_name: row.try_get(n)?,
        agent_name: agent_name(row, n + 1)?,
        result_code: row.try_get(n + 4)?,
    })
}

impl Store {
    /// The records `filter` matches that `visible` shows, newest first,
    /// `limit` (at most [`MAX_CDR_PAGE`]) from `offset`, with the count of
    /// them all.
    pub async fn cdr_page(
        &self,
        filter: &CdrFilter,
        visible: &Visibility,
        limit: i64,
        offset: i64,
    ) -> Result<CdrPage, StoreError> {
        let (condition, args) = filter.condition(visible);
        let count = format!("SELECT COUNT(*) FROM interactions i WHERE {condition}");
        let count = crate::store::numbered(&count);
        let total: i64 = bind_all(sqlx::query(&count), args)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        let (condition, args) = filter.condition(visible);
        let sql = format!("{} LIMIT ? OFFSET ?", cdr_select(&condition));
        let sql = crate::store::numbered(&sql);
        let rows = bind_all(sqlx::query(&sql), args)
            .bind(limit.clamp(0, MAX_CDR_PAGE))
            .bind(offset.max(0))
            .fetch_all(self.pool())
            .await?;
        let items = rows.iter().map(cdr_row).collect::<Result<Vec<_>, _>>()?;
        Ok(CdrPage { total, items })
    }

    /// Every record `filter` matches that `visible` shows, newest first,
    /// sent to `tx` as it is read (without holding them all); stops when
    /// the receiver is gone.
    pub async fn cdr_send(
        &self,
        filter: &CdrFilter,
        visible: &Visibility,
        tx: tokio::sync::mpsc::Sender<CdrRow>,
    ) -> Result<(), StoreError> {
        use futures_util::TryStreamExt;
        let (condition, args) = filter.condition(visible);
        let sql = cdr_select(&condition);
        let sql = crate::store::numbered(&sql);
        let mut rows = bind_all(sqlx::query(&sql), args).fetch(self.pool());
        while let Some(row) = rows.try_next().await? {
            if tx.send(cdr_row(&row)?).await.is_err() {
                break;
            }
        }
        Ok(())
    }

    /// The user's saved Call Detail Report filter (as they saved it).
    pub async fn saved_report_filter(
        &self,
        user: i64,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT filter FROM report_filters WHERE user_id = $1")
                .bind(user)
                .fetch_optional(self.pool())
                .await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Saves (replacing) the user's Call Detail Report filter.
    pub async fn save_report_filter(
        &self,
        user: i64,
        filter: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO report_filters (user_id, filter, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET filter = excluded.filter, \
             updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(filter.to_string())
        .bind(unix_ms(std::time::SystemTime::now()))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
