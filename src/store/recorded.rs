//! The recorded interactions, for the recordings page: the records that name
//! a recording file, newest first, a page at a time, with the names of their
//! queue and agent as they are now. The caller says which queues it may see
//! (the API's scope): all of them, or a list; a record without a queue (an
//! outbound call) is shown only to one who sees every queue.

use sqlx::Row;

use super::interactions::{stored_interaction, COLUMNS};
use super::{Store, StoreError, StoredInteraction};

/// The most records one page holds.
pub const MAX_PAGE: i64 = 200;

/// Which queues' records a listing may show.
#[derive(Debug, Clone, Copy)]
pub enum QueueScope<'a> {
    All,
    Only(&'a [i64]),
}

/// One recorded interaction with the names the page shows.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub stored: StoredInteraction,
    pub queue_name: Option<String>,
    /// The agent's first and last name, or their username when they have none.
    pub agent_name: Option<String>,
}

/// One page of recorded interactions and how many there are in all.
#[derive(Debug, Clone)]
pub struct RecordedPage {
    pub total: i64,
    pub items: Vec<Recorded>,
}

impl QueueScope<'_> {
    /// The SQL condition on `i.queue_id`; the ids are numbers, so they are
    /// written in place.
    fn condition(self) -> String {
        match self {
            QueueScope::All => "1 = 1".to_owned(),
            QueueScope::Only([]) => "1 = 0".to_owned(),
            QueueScope::Only(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("i.queue_id IN ({})", list.join(", "))
            }
        }
    }
}

impl Store {
    /// The records with a recording that `scope` shows, newest first,
    /// `limit` (at most [`MAX_PAGE`]) from `offset`.
    pub async fn recorded_interactions(
        &self,
        scope: QueueScope<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<RecordedPage, StoreError> {
        let filter = format!("i.recording_file IS NOT NULL AND {}", scope.condition());
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM interactions i WHERE {filter}"
        ))
        .fetch_one(self.pool())
        .await?;
        let columns: Vec<String> = COLUMNS
            .split(',')
            .map(|c| format!("i.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {}, q.name, u.first_name, u.last_name, u.username FROM interactions i \
             LEFT JOIN queues q ON q.id = i.queue_id LEFT JOIN users u ON u.id = i.agent_id \
             WHERE {filter} ORDER BY i.init_moment DESC, i.interaction_id DESC LIMIT $1 OFFSET $2",
            columns.join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(limit.clamp(0, MAX_PAGE))
            .bind(offset.max(0))
            .fetch_all(self.pool())
            .await?;
        let n = columns.len();
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(Recorded {
                stored: stored_interaction(row)?,
                queue_name: row.try_get(n)?,
                agent_name: agent_name(row, n + 1)?,
            });
        }
        Ok(RecordedPage { total, items })
    }
}

/// The agent's name from the columns first name, last name and username
/// starting at `at`: first and last name, or the username when they have none.
pub(super) fn agent_name(
    row: &crate::store::DbRow,
    at: usize,
) -> Result<Option<String>, StoreError> {
    let first: Option<String> = row.try_get(at)?;
    let last: Option<String> = row.try_get(at + 1)?;
    let username: Option<String> = row.try_get(at + 2)?;
    let full = format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
    Ok(match full.trim() {
        "" => username,
        name => Some(name.to_owned()),
    })
}
