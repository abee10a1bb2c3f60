//! The agents' history: what the dispatch core reported of each agent (log-in
//! and log-out, joining and leaving queues, presence, offers and missed
//! offers), written in batches by call control's history writer and read by
//! the reports (occupancy, agents by status over time, queue_log's agent
//! lines). Moments are milliseconds since the Unix epoch.

use sqlx::Row;

use super::super::{Store, StoreError};

/// One event of an agent's history. `kind` is one of `login`, `logout`,
/// `join`, `leave`, `presence`, `offered`, `missed`; `detail` is the presence
/// (`available`, `break`, `ringing`, `in_call`, `after_call_work`, `offline`)
/// or the miss (`timeout`, `rejected`, `failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEvent {
    pub at: i64,
    pub agent: i64,
    pub kind: &'static str,
    pub project: Option<i64>,
    pub queue: Option<i64>,
    pub call: Option<i64>,
    pub status: Option<i64>,
    pub detail: Option<&'static str>,
}

/// An event as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAgentEvent {
    pub at: i64,
    pub agent: i64,
    pub kind: String,
    pub project: Option<i64>,
    pub queue: Option<i64>,
    pub call: Option<i64>,
    pub status: Option<i64>,
    pub detail: Option<String>,
}

/// How many events one INSERT statement carries.
const PER_STATEMENT: usize = 100;

fn stored(row: &crate::store::DbRow) -> Result<StoredAgentEvent, StoreError> {
    Ok(StoredAgentEvent {
        at: row.try_get(0)?,
        agent: row.try_get(1)?,
        kind: row.try_get(2)?,
        project: row.try_get(3)?,
        queue: row.try_get(4)?,
        call: row.try_get(5)?,
        status: row.try_get(6)?,
        detail: row.try_get(7)?,
    })
}

const COLUMNS: &str = "at, agent_id, kind, project_id, queue_id, call_id, status_id, detail";

impl Store {
    /// Writes `events` in one transaction.
    pub async fn write_agent_events(&self, events: &[AgentEvent]) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await?;
        for chunk in events.chunks(PER_STATEMENT) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = crate::store::numbered(&format!(
                "INSERT INTO agent_events ({COLUMNS}) VALUES {values}"
            ));
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.at)
                    .bind(e.agent)
                    .bind(e.kind)
                    .bind(e.project)
                    .bind(e.queue)
                    .bind(e.call)
                    .bind(e.status)
                    .bind(e.detail);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The events from `from` until before `to`, in the order they happened;
    /// only `agent`'s when given.
    pub async fn agent_events_between(
        &self,
        from: i64,
        to: i64,
        agent: Option<i64>,
    ) -> Result<Vec<StoredAgentEvent>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM agent_events WHERE at >= $1 AND at < $2 \
             AND ($3 IS NULL OR agent_id = $4) ORDER BY at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(agent)
            .bind(agent)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(stored).collect()
    }

    /// Each agent's last presence before `at` (agent, presence), for the
    /// state a report's range starts in.
    pub async fn presence_before(
        &self,
        at: i64,
        agent: Option<i64>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.agent_id, e.detail FROM agent_events e JOIN \
             (SELECT agent_id, MAX(id) AS id FROM agent_events \
              WHERE kind = 'presence' AND at < $1 AND ($2 IS NULL OR agent_id = $3) \
              GROUP BY agent_id) last ON last.id = e.id",
        )
        .bind(at)
        .bind(agent)
        .bind(agent)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let agent: i64 = r.try_get(0)?;
                let presence: Option<String> = r.try_get(1)?;
                Ok((agent, presence.unwrap_or_default()))
            })
            .collect()
    }
}
