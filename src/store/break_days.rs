//! Break time used per agent and working day (`agent_break_days`): what a
//! restart must not forget. The dispatch task writes an agent's figure for
//! the day whenever one of their breaks ends; at start-up the recent rows are
//! read back, and an agent who logs in again the same local day of their
//! project gets theirs back.

use std::time::Duration;

use super::{Store, StoreError};

/// How far back start-up looks: a working day is at most 25 hours, and a
/// time zone may be up to 14 hours away from UTC.
const RECENT_MS: i64 = 48 * 3600 * 1000;

/// One agent's break time on one local day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakDay {
    pub user_id: i64,
    /// The local date (`YYYY-MM-DD`) in the project's time zone.
    pub day: String,
    pub project_id: i64,
    pub used: Duration,
}

/// Saves `row`, replacing what that agent had for that day.
pub async fn save(store: &Store, row: &BreakDay, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO agent_break_days (user_id, day, project_id, used_ms, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, day) DO UPDATE SET project_id = excluded.project_id, \
         used_ms = excluded.used_ms, updated_at = excluded.updated_at",
    )
    .bind(row.user_id)
    .bind(&row.day)
    .bind(row.project_id)
    .bind(i64::try_from(row.used.as_millis()).unwrap_or(i64::MAX))
    .bind(now_ms)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The rows written in the last two days (older ones are deleted): every
/// row that can still be some project's today.
pub async fn recent(store: &Store, now_ms: i64) -> Result<Vec<BreakDay>, StoreError> {
    let since = now_ms.saturating_sub(RECENT_MS);
    sqlx::query("DELETE FROM agent_break_days WHERE updated_at < $1")
        .bind(since)
        .execute(store.pool())
        .await?;
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT user_id, day, project_id, used_ms FROM agent_break_days WHERE updated_at >= $1",
    )
    .bind(since)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, day, project_id, used)| BreakDay {
            user_id,
            day,
            project_id,
            used: Duration::from_millis(u64::try_from(used).unwrap_or(0)),
        })
        .collect())
}
