//! One node of several on one PostgreSQL database.
//!
//! Each project is served by the node holding its lease (`project_leases`).
//! Every third of a lease period a node announces itself, renews its leases
//! and takes the projects nobody serves: first those named in
//! `cluster.projects`, then, once it has been up a whole period (so that the
//! nodes starting with it can take theirs), others up to its fair share. A
//! node that dies stops renewing; a period later its projects are free and
//! the others take them, closing the records it left open as interrupted.
//! A node that cannot reach the database for a whole period stops taking
//! calls: another node may hold its projects by then.
//!
//! Registrations and configuration changes travel between the nodes by
//! PostgreSQL's LISTEN/NOTIFY: a node reloads the AORs another stored, and
//! reloads its configuration when another changed it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::acd::ProjectId;
use crate::call::ownership::Ownership;
use crate::sip::registrar::Registrar;
use crate::store::cluster::ClusterView;
use crate::store::{Store, BINDINGS_CHANNEL};

use super::directory::{self, StoreDirectory};

/// The channel on which a node tells the others it changed the
/// configuration (the payload is its name).
pub const CONFIG_CHANNEL: &str = "switchboard_config";

/// The projects `me` should take now, as `view` shows the cluster: free
/// ones (no lease, or one that ran out) that it prefers, then, once it has
/// been up for `lease_ms`, other free ones up to its fair share among the
/// live nodes.
pub(crate) fn claims(
    view: &ClusterView,
    me: &str,
    lease_ms: i64,
    preferred: &[String],
) -> Vec<i64> {
    let now = view.now;
    let alive = view
        .nodes
        .iter()
        .filter(|n| n.heartbeat_at > now - lease_ms || n.name == me)
        .count()
        .max(1);
    let up_ms = view
        .nodes
        .iter()
        .find(|n| n.name == me)
        .map_or(0, |n| now - n.started_at);
    let leases: HashMap<i64, _> = view.leases.iter().map(|l| (l.project_id, l)).collect();
    let free = |id: i64| {
        leases
            .get(&id)
            .is_none_or(|l| l.expires_at <= now && l.node != me)
    };
    let mut mine = view
        .leases
        .iter()
        .filter(|l| l.node == me && l.expires_at > now)
        .count();
    let share = view.projects.len().div_ceil(alive);
    let mut out = Vec::new();
    for (id, name) in &view.projects {
        if preferred.contains(name) && free(*id) {
            out.push(*id);
            mine += 1;
        }
    }
    if up_ms >= lease_ms {
        for (id, name) in &view.projects {
            if mine >= share {
                break;
            }
            if !preferred.contains(name) && free(*id) {
                out.push(*id);
                mine += 1;
            }
        }
    }
    out
}

/// The lease loop's settings.
pub struct Node {
    pub store: Store,
    pub name: String,
    pub sip_uri: String,
    pub lease: Duration,
    pub preferred: Vec<String>,
    pub ownership: Arc<Ownership>,
}

impl Node {
    /// Keeps this node's leases for ever (spawn it).
    pub async fn run(self) {
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = self.store.node_started(&self.name, &self.sip_uri).await {
            tracing::error!(error = %e, "announcing this node failed");
        }
        let mut tick = tokio::time::interval(self.lease / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_ok = tokio::time::Instant::now();
        loop {
            tick.tick().await;
            match self.round(lease_ms).await {
                Ok(held) => {
                    last_ok = tokio::time::Instant::now();
                    self.serve(held);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "renewing this node's leases failed");
                    if last_ok.elapsed() >= self.lease {
                        // Another node may hold them by now.
                        self.serve(HashSet::new());
                    }
                }
            }
        }
    }

    /// One round: heartbeat, renewals, takeovers; the projects held after it.
    async fn round(&self, lease_ms: i64) -> Result<HashSet<ProjectId>, crate::store::StoreError> {
        self.store.node_heartbeat(&self.name, &self.sip_uri).await?;
        let mut held: HashSet<ProjectId> = self
            .store
            .renew_leases(&self.name, lease_ms)
            .await?
            .into_iter()
            .map(|p| ProjectId(p as u64))
            .collect();
        let view = self.store.cluster_view().await?;
        for project in claims(&view, &self.name, lease_ms, &self.preferred) {
            if let Some(previous) = self.store.take_lease(project, &self.name, lease_ms).await? {
                tracing::info!(
                    project,
                    previous = previous.as_deref().unwrap_or("none"),
                    "project lease taken"
                );
                held.insert(ProjectId(project as u64));
            }
        }
        Ok(held)
    }

    fn serve(&self, held: HashSet<ProjectId>) {
        let (gained, lost) = self.ownership.set(held);
        for p in gained {
            tracing::info!(project = p.0, node = %self.name, "serving project");
        }
        for p in lost {
            tracing::warn!(project = p.0, node = %self.name, "no longer serving project");
        }
    }
}

/// Follows the other nodes' registrations and configuration changes: an
/// AOR another node stored is reloaded into `registrar`; a configuration
/// change elsewhere wakes `reload`. Reconnects for ever; after a reconnect
/// every binding is reloaded, since notices sent meanwhile are lost.
pub async fn follow(
    store: Store,
    node: String,
    registrar: Arc<Registrar<StoreDirectory>>,
    reload: Arc<tokio::sync::Notify>,
) {
    let mut first = true;
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect(store.url()).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "listening for other nodes' changes failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener
            .listen_all([BINDINGS_CHANNEL, CONFIG_CHANNEL])
            .await
        {
            tracing::warn!(error = %e, "listening for other nodes' changes failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if !first {
            resync(&store, &registrar).await;
            reload.notify_one();
        }
        first = false;
        loop {
            let notice = match listener.try_recv().await {
                Ok(Some(n)) => n,
                Ok(None) => {
                    tracing::warn!("connection for other nodes' changes lost; reconnecting");
                    resync(&store, &registrar).await;
                    reload.notify_one();
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "receiving other nodes' changes failed");
                    break;
                }
            };
            let mut lines = notice.payload().lines();
            if lines.next() == Some(node.as_str()) {
                continue;
            }
            if notice.channel() == CONFIG_CHANNEL {
                reload.notify_one();
            } else {
                for aor in lines {
                    adopt(&store, &registrar, aor).await;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reloads `aor`'s bindings as another node stored them.
async fn adopt(store: &Store, registrar: &Registrar<StoreDirectory>, aor: &str) {
    let now = i64::try_from(super::unix_ms()).unwrap_or(i64::MAX);
    match store.load_bindings_of(aor, now).await {
        Ok(rows) => {
            let bindings = rows
                .into_iter()
                .filter_map(directory::from_row)
                .map(|(_, b)| b)
                // Only the node holding a browser's connection reaches it.
                .filter(|b| !b.is_connection_bound())
                .collect();
            registrar.adopt(aor, bindings);
        }
        Err(e) => tracing::warn!(error = %e, aor, "reloading another node's registration failed"),
    }
}

/// Reloads every AOR's bindings.
async fn resync(store: &Store, registrar: &Registrar<StoreDirectory>) {
    let now = i64::try_from(super::unix_ms()).unwrap_or(i64::MAX);
    let mut aors: Vec<String> = match store.load_bindings(now).await {
        Ok(rows) => rows.into_iter().map(|r| r.aor).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "reloading registrations failed");
            return;
        }
    };
    aors.dedup();
    for aor in aors {
        adopt(store, registrar, &aor).await;
    }
}

#[cfg(test)]
mod tests {
    use super::claims;
    use crate::store::cluster::{ClusterView, LeaseRow, NodeRow};

    const LEASE: i64 = 3000;

    fn node(name: &str, started_at: i64, heartbeat_at: i64) -> NodeRow {
        NodeRow {
            name: name.into(),
            sip_uri: format!("sip:{name}"),
            started_at,
            heartbeat_at,
        }
    }

    fn lease(project_id: i64, node: &str, expires_at: i64) -> LeaseRow {
        LeaseRow {
            project_id,
            node: node.into(),
            expires_at,
        }
    }

    fn view(
        now: i64,
        nodes: Vec<NodeRow>,
        leases: Vec<LeaseRow>,
        projects: &[&str],
    ) -> ClusterView {
        ClusterView {
            now,
            nodes,
            leases,
            projects: projects
                .iter()
                .enumerate()
                .map(|(i, p)| (i as i64 + 1, p.to_string()))
                .collect(),
        }
    }

    #[test]
    fn who_takes_what() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // (what happens, the view, the node, its preferred projects, what it takes)
        type Case = (
            &'static str,
            ClusterView,
            &'static str,
            Vec<String>,
            Vec<i64>,
        );
        let cases: Vec<Case> = vec![
            (
                "a new node takes the projects it prefers at once, and no others",
                view(
                    1000,
                    vec![node("a", 1000, 1000)],
                    vec![],
                    &["Sales", "Care"],
                ),
                "a",
                p(&["Care"]),
                vec![2],
            ),
            (
                "up a whole period, it takes the rest up to its share",
                view(
                    5000,
                    vec![node("a", 1000, 5000)],
                    vec![lease(2, "a", 7000)],
                    &["Sales", "Care"],
                ),
                "a",
                p(&["Care"]),
                vec![1],
            ),
            (
                "with two live nodes, its share is half",
                view(
                    5000,
                    vec![node("a", 1000, 5000), node("b", 1000, 4900)],
                    vec![lease(1, "a", 7000)],
                    &["Sales", "Care", "Billing", "Retail"],
                ),
                "a",
                vec![],
                vec![2],
            ),
            (
                "a live lease of another node is left alone, preferred or not",
                view(
                    5000,
                    vec![node("a", 1000, 5000), node("b", 1000, 4900)],
                    vec![lease(1, "b", 6000), lease(2, "b", 6000)],
                    &["Sales", "Care"],
                ),
                "a",
                p(&["Sales"]),
                vec![],
            ),
            (
                "a dead node's projects are taken once their leases run out",
                view(
                    9000,
                    vec![node("a", 1000, 9000), node("b", 1000, 4000)],
                    vec![lease(1, "a", 11000), lease(2, "b", 6000)],
                    &["Sales", "Care"],
                ),
                "a",
                p(&["Sales"]),
                vec![2],
            ),
            (
                "before they run out, they are not",
                view(
                    5500,
                    vec![node("a", 1000, 5500), node("b", 1000, 4000)],
                    vec![lease(1, "a", 8000), lease(2, "b", 6000)],
                    &["Sales", "Care"],
                ),
                "a",
                p(&["Sales"]),
                vec![],
            ),
        ];
        for (what, view, me, preferred, taken) in cases {
            assert_eq!(claims(&view, me, LEASE, &preferred), taken, "{what}");
        }
    }
}
