//! Several nodes on one PostgreSQL database: the nodes' heartbeats and the
//! projects' leases (migration 0029). Every moment here is read off the
//! database's clock, so the nodes' own clocks never need to agree.

use sqlx::Row;

use super::{Backend, Store, StoreError};

/// The database's clock in milliseconds since the Unix epoch.
const NOW_MS: &str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

/// A node as the others see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub name: String,
    pub sip_uri: String,
    pub started_at: i64,
    pub heartbeat_at: i64,
}

/// Who serves a project, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub project_id: i64,
    pub node: String,
    pub expires_at: i64,
}

/// What one round of the lease loop reads.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    /// The database's clock when it was read.
    pub now: i64,
    pub nodes: Vec<NodeRow>,
    pub leases: Vec<LeaseRow>,
    /// Every project's id and name.
    pub projects: Vec<(i64, String)>,
}

impl Store {
    fn require_postgres(&self) -> Result<(), StoreError> {
        match self.backend() {
            Backend::Postgres => Ok(()),
            Backend::Sqlite => Err(StoreError::Invalid(
                "several nodes share a PostgreSQL database: set database.url to postgres://..."
                    .into(),
            )),
        }
    }

    /// Announces `node` (reached by the edge at `sip_uri`) as alive now.
    pub async fn node_heartbeat(&self, node: &str, sip_uri: &str) -> Result<(), StoreError> {
        self.require_postgres()?;
        sqlx::query(&format!(
            "INSERT INTO cluster_nodes (name, sip_uri, started_at, heartbeat_at) \
             VALUES ($1, $2, {NOW_MS}, {NOW_MS}) \
             ON CONFLICT (name) DO UPDATE SET sip_uri = excluded.sip_uri, \
             heartbeat_at = excluded.heartbeat_at"
        ))
        .bind(node)
        .bind(sip_uri)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks `node` as just started (a restart under the same name).
    pub async fn node_started(&self, node: &str, sip_uri: &str) -> Result<(), StoreError> {
        self.node_heartbeat(node, sip_uri).await?;
        sqlx::query(&format!(
            "UPDATE cluster_nodes SET started_at = {NOW_MS} WHERE name = $1"
        ))
        .bind(node)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Extends every lease `node` holds by `ttl_ms` from now; returns the
    /// projects it holds. A lease another node has taken is not among them.
    pub async fn renew_leases(&self, node: &str, ttl_ms: i64) -> Result<Vec<i64>, StoreError> {
        self.require_postgres()?;
        let rows = sqlx::query(&format!(
            "UPDATE project_leases SET expires_at = {NOW_MS} + $1 WHERE node = $2 \
             RETURNING project_id"
        ))
        .bind(ttl_ms)
        .bind(node)
        .fetch_all(self.pool())
        .await?;
        let mut held = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        held.sort_unstable();
        Ok(held)
    }

    /// The nodes, the leases and the projects, with the database's clock.
    pub async fn cluster_view(&self) -> Result<ClusterView, StoreError> {
        self.require_postgres()?;
        let now: i64 = sqlx::query_scalar(&format!("SELECT {NOW_MS}"))
            .fetch_one(self.pool())
            .await?;
        let nodes = sqlx::query(
            "SELECT name, sip_uri, started_at, heartbeat_at FROM cluster_nodes ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(NodeRow {
                name: r.try_get(0)?,
                sip_uri: r.try_get(1)?,
                started_at: r.try_get(2)?,
                heartbeat_at: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let leases = sqlx::query(
            "SELECT project_id, node, expires_at FROM project_leases ORDER BY project_id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(LeaseRow {
                project_id: r.try_get(0)?,
                node: r.try_get(1)?,
                expires_at: r.try_get(2)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let projects = sqlx::query_as("SELECT id, name FROM projects ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(ClusterView {
            now,
            nodes,
            leases,
            projects,
        })
    }

    /// Takes `project`'s lease for `node` for `ttl_ms` when nobody holds it
    /// or its holder let it run out. Returns `None` when another node holds
    /// it still, or `Some(previous)`: the node that held it before (`None`
    /// when none did). The records that node left open for the project are
    /// closed as interrupted in the same transaction: its calls died with it.
    pub async fn take_lease(
        &self,
        project: i64,
        node: &str,
        ttl_ms: i64,
    ) -> Result<Option<Option<String>>, StoreError> {
        self.require_postgres()?;
        let mut tx = self.pool().begin().await?;
        let held: Option<(String, bool)> = sqlx::query_as(&format!(
            "SELECT node, CAST(CASE WHEN expires_at > {NOW_MS} THEN 1 ELSE 0 END AS BIGINT) \
             FROM project_leases WHERE project_id = $1 FOR UPDATE"
        ))
        .bind(project)
        .fetch_optional(&mut *tx)
        .await?
        .map(|(n, live): (String, i64)| (n, live != 0));
        let previous = match held {
            Some((holder, true)) if holder != node => return Ok(None),
            Some((holder, _)) => Some(holder),
            None => None,
        };
        // A node inserting the first lease at the same moment wins; this
        // one then finds a live lease and takes nothing.
        let taken = sqlx::query(&format!(
            "INSERT INTO project_leases (project_id, node, expires_at, taken_at) \
             VALUES ($1, $2, {NOW_MS} + $3, {NOW_MS}) \
             ON CONFLICT (project_id) DO UPDATE SET node = excluded.node, \
             expires_at = excluded.expires_at, taken_at = excluded.taken_at \
             WHERE project_leases.node = excluded.node OR project_leases.expires_at <= {NOW_MS}"
        ))
        .bind(project)
        .bind(node)
        .bind(ttl_ms)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            return Ok(None);
        }
        if let Some(dead) = previous.as_deref().filter(|d| *d != node) {
            let closed = close_open_of(&mut tx, project, dead).await?;
            if closed > 0 {
                tracing::warn!(
                    project,
                    node = dead,
                    closed,
                    "records the previous node left open closed as interrupted"
                );
            }
        }
        tx.commit().await?;
        Ok(Some(previous))
    }

    /// Gives up every lease `node` holds (a clean stop), so other nodes
    /// take its projects at once instead of when the leases run out.
    pub async fn release_leases(&self, node: &str) -> Result<u64, StoreError> {
        self.require_postgres()?;
        let done = sqlx::query("DELETE FROM project_leases WHERE node = $1")
            .bind(node)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Tells every node listening on `channel` (LISTEN) `payload`.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), StoreError> {
        self.require_postgres()?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Closes the records `node` left open for `project` as interrupted.
async fn close_open_of(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    project: i64,
    node: &str,
) -> Result<u64, StoreError> {
    use crate::cdr::{Classification, Disposition};
    let done = sqlx::query(&format!(
        "UPDATE interactions SET state = $1, disposition = $2, classification = $3, \
         closed_at = {NOW_MS}, answered_within_sl = 0, short_abandon = 0 \
         WHERE state = $4 AND project_id = $5 AND node = $6"
    ))
    .bind(super::RowState::Interrupted.as_str())
    .bind(Disposition::Interrupted.as_str())
    .bind(Classification::NotCounted.as_str())
    .bind(super::RowState::Open.as_str())
    .bind(project)
    .bind(node)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use crate::store::test_support::{project_with_queue, temp_store};
    use crate::store::Backend;

    #[tokio::test]
    async fn a_lease_is_held_by_one_node_until_it_runs_out_or_is_released() {
        let (store, _dir) = temp_store().await;
        let (project, _) = project_with_queue(&store).await;
        if store.backend() == Backend::Sqlite {
            // One node's file: several nodes are refused, saying why.
            let refused = store.node_heartbeat("a", "sip:a").await.unwrap_err();
            assert!(refused.to_string().contains("PostgreSQL"), "{refused}");
            return;
        }
        store.node_heartbeat("a", "sip:a").await.unwrap();
        store.node_heartbeat("b", "sip:b").await.unwrap();
        assert_eq!(
            store.take_lease(project, "a", 60_000).await.unwrap(),
            Some(None)
        );
        assert_eq!(store.take_lease(project, "b", 60_000).await.unwrap(), None);
        assert_eq!(
            store.renew_leases("a", 60_000).await.unwrap(),
            vec![project]
        );
        // a stops renewing: once its lease runs out, b takes the project.
        assert_eq!(store.renew_leases("a", 1).await.unwrap(), vec![project]);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            store.take_lease(project, "b", 60_000).await.unwrap(),
            Some(Some("a".to_owned()))
        );
        assert!(store.renew_leases("a", 60_000).await.unwrap().is_empty());
        let view = store.cluster_view().await.unwrap();
        assert_eq!(view.leases.len(), 1);
        assert_eq!(view.leases[0].node, "b");
        assert_eq!(view.nodes.len(), 2);
        // A clean stop gives the project up at once.
        assert_eq!(store.release_leases("b").await.unwrap(), 1);
        assert_eq!(
            store.take_lease(project, "a", 60_000).await.unwrap(),
            Some(None)
        );
    }
}
