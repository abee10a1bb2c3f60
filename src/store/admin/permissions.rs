//! Permission keys and the effective permissions of a user.
//!
//! A permission is a key such as `menu.users` or `queue.<id>`, in one of the
//! product's groups (Status, Result Code, Queue, IVR, Directory, Dial Plan,
//! Menu, CRM, Report, Other). Profiles are named sets of keys. A user's
//! effective permissions in a project are the union of the user's own
//! profiles, the project's default profile and the profiles of the queues the
//! user serves in that project; [`effective`] keeps, for each key, every
//! source that granted it, so an administrator can see why a user may do
//! something.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{AdminError, Check};
use crate::store::Store;

/// The fixed keys, by group: `(group, key, what it allows)`. Queue keys also
/// come as `queue.<id>` for each queue.
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    ("status", "status.change", "change one's own status"),
    (
        "status",
        "status.change_others",
        "change other agents' status",
    ),
    (
        "status",
        "status.supervisor_only",
        "use statuses reserved for supervisors",
    ),
    (
        "result_code",
        "result_code.set",
        "set a result code on an interaction",
    ),
    (
        "result_code",
        "result_code.edit_after",
        "change a result code after wrap-up",
    ),
    ("queue", "queue.all", "see and serve every queue"),
    (
        "queue",
        "queue.login_logout",
        "log oneself into and out of queues",
    ),
    ("ivr", "ivr.view", "see IVR flows"),
    ("ivr", "ivr.edit", "edit IVR flows"),
    ("directory", "directory.view", "see the directory"),
    ("directory", "directory.edit", "edit the directory"),
    ("dial_plan", "dial_plan.view", "see the dial plan"),
    ("dial_plan", "dial_plan.edit", "edit the dial plan"),
    (
        "dial_plan",
        "dial_plan.route.all",
        "place outbound calls through every outbound route",
    ),
    ("menu", "menu.agent_panel", "the agent panel"),
    ("menu", "menu.supervisor_panel", "the supervisor panel"),
    ("menu", "menu.projects", "the projects screen"),
    ("menu", "menu.queues", "the queues screen"),
    ("menu", "menu.queue_groups", "the queue groups screen"),
    ("menu", "menu.users", "the users screen"),
    ("menu", "menu.profiles", "the profiles screen"),
    ("menu", "menu.agent_groups", "the agent groups screen"),
    ("menu", "menu.pickup_groups", "the pickup groups screen"),
    ("menu", "menu.statuses", "the statuses screen"),
    ("menu", "menu.result_codes", "the result codes screen"),
    ("menu", "menu.tags", "the tags screen"),
    (
        "menu",
        "menu.dial_plan",
        "the dial plan screens: trunks and routes",
    ),
    ("menu", "menu.reports", "the reports screen"),
    ("crm", "crm.view_contacts", "see CRM contacts"),
    ("crm", "crm.edit_contacts", "edit CRM contacts"),
    ("report", "report.own", "reports of one's own work"),
    ("report", "report.queues", "queue reports"),
    ("report", "report.agents", "reports of every agent"),
    ("other", "other.outbound_calls", "place outbound calls"),
    ("other", "other.transfer", "transfer interactions"),
    ("other", "other.listen", "listen in on calls"),
    ("other", "other.whisper", "whisper to an agent"),
    ("other", "other.barge", "barge into calls"),
    ("other", "other.recordings", "play recordings"),
    ("other", "other.record", "record calls on demand"),
];

/// The groups, in the product's order.
pub const GROUPS: &[&str] = &[
    "status",
    "result_code",
    "queue",
    "ivr",
    "directory",
    "dial_plan",
    "menu",
    "crm",
    "report",
    "other",
];

/// The most keys one profile may hold.
pub const MAX_KEYS: usize = 1000;

/// What is wrong with a permission key, if anything: it must be in the
/// [`CATALOGUE`] or be `queue.<id>`, `status.<id>` or `dial_plan.route.<id>`
/// with a positive id.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if CATALOGUE.iter().any(|(_, k, _)| *k == key) {
        return None;
    }
    match queue_of(key)
        .or_else(|| outbound_route_of(key))
        .or_else(|| status_of(key))
    {
        Some(_) => None,
        None => Some("not a permission key (see GET /api/permissions)"),
    }
}

/// The outbound route id of a `dial_plan.route.<id>` key: the Dial Plan
/// permission to call out through that route (line).
pub fn outbound_route_of(key: &str) -> Option<i64> {
    positive_id(key.strip_prefix("dial_plan.route.")?)
}

/// The key that lets a user call out through outbound route `id`.
pub fn outbound_route_key(id: i64) -> String {
    format!("dial_plan.route.{id}")
}

fn positive_id(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|id| *id > 0)
}

/// The queue id of a `queue.<id>` key.
pub fn queue_of(key: &str) -> Option<i64> {
    positive_id(key.strip_prefix("queue.")?)
}

/// The key that grants the data of queue `id`.
pub fn queue_key(id: i64) -> String {
    format!("queue.{id}")
}

/// The status id of a `status.<id>` key: the Status permission that shows
/// that status to the profile's holders (see [`Effective::offers_status`]).
pub fn status_of(key: &str) -> Option<i64> {
    positive_id(key.strip_prefix("status.")?)
}

/// The key that offers status `id`.
pub fn status_key(id: i64) -> String {
    format!("status.{id}")
}

/// Where a permission came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A profile given to the user.
    UserProfile { profile: String },
    /// The default profile of the project the user is logged into.
    ProjectDefault { profile: String, project_id: i64 },
    /// The profile of a queue the user serves.
    QueueProfile {
        profile: String,
        queue_id: i64,
        queue: String,
    },
}

/// One effective permission and every source that granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Granted {
    pub key: String,
    pub sources: Vec<Source>,
}

/// A user's effective permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub permissions: Vec<Granted>,
}

impl Effective {
    pub fn has(&self, key: &str) -> bool {
        self.permissions.iter().any(|g| g.key == key)
    }

    /// Whether status `id` may be offered to the user: profiles that list
    /// statuses (`status.<id>` keys) limit their holders to the statuses
    /// listed; with none listed, every status is offered, as before the keys
    /// existed. (Whether the status is active, agent-changeable or
    /// supervisor-only is checked apart.)
    pub fn offers_status(&self, id: i64) -> bool {
        let mut listed = self.permissions.iter().filter_map(|g| status_of(&g.key));
        match listed.next() {
            None => true,
            Some(first) => first == id || listed.any(|s| s == id),
        }
    }

    /// Whether the data of queue `id` is visible: `queue.all` or `queue.<id>`.
    pub fn sees_queue(&self, id: i64) -> bool {
        self.has("queue.all") || self.has(&queue_key(id))
    }
}

/// The keys of the profile `name`, or none when there is no such profile.
async fn keys_of_profile(
    conn: &mut crate::store::DbConnection,
    name: &str,
) -> Result<Vec<String>, AdminError> {
    Ok(sqlx::query_scalar(
        "SELECT pp.permission FROM profile_permissions pp JOIN profiles p ON p.id = pp.profile_id \
         WHERE p.name = $1 ORDER BY pp.permission",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?)
}

/// The effective permissions of `user_id` when logged into `project_id` (or
/// into no project: then only the user's own profiles and the profiles of
/// every queue the user serves count).
pub async fn effective(
    conn: &mut crate::store::DbConnection,
    user_id: i64,
    project_id: Option<i64>,
) -> Result<Effective, AdminError> {
    let mut granted: BTreeMap<String, Vec<Source>> = BTreeMap::new();
    let mut add = |keys: Vec<String>, source: Source| {
        for key in keys {
            let sources = granted.entry(key).or_default();
            if !sources.contains(&source) {
                sources.push(source.clone());
            }
        }
    };
    let own: Vec<String> = sqlx::query_scalar(
        "SELECT p.name FROM user_profiles up JOIN profiles p ON p.id = up.profile_id \
         WHERE up.user_id = $1 ORDER BY p.name",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    for profile in own {
        let keys = keys_of_profile(conn, &profile).await?;
        add(keys, Source::UserProfile { profile });
    }
    if let Some(project_id) = project_id {
        let default: Option<Option<String>> =
            sqlx::query_scalar("SELECT default_profile FROM projects WHERE id = $1")
                .bind(project_id)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(profile) = default.flatten() {
            let keys = keys_of_profile(conn, &profile).await?;
            add(
                keys,
                Source::ProjectDefault {
                    profile,
                    project_id,
                },
            );
        }
    }
    let served: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT q.id, q.name, q.profile FROM queue_agents uq JOIN queues q ON q.id = uq.queue_id \
         WHERE uq.user_id = $1 AND q.profile IS NOT NULL AND ($2 IS NULL OR q.project_id = $3) \
         ORDER BY q.name, q.id",
    )
    .bind(user_id)
    .bind(project_id)
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    for (queue_id, queue, profile) in served {
        let keys = keys_of_profile(conn, &profile).await?;
        add(
            keys,
            Source::QueueProfile {
                profile,
                queue_id,
                queue,
            },
        );
    }
    Ok(Effective {
        user_id,
        project_id,
        permissions: granted
            .into_iter()
            .map(|(key, sources)| Granted { key, sources })
            .collect(),
    })
}

/// The effective permissions of user `id` in `project` (which must be one of
/// the user's projects).
pub async fn of_user(
    store: &Store,
    id: i64,
    project: Option<i64>,
) -> Result<Effective, AdminError> {
    let mut conn = store.pool().acquire().await?;
    if !super::exists(&mut conn, "users", id).await? {
        return Err(AdminError::NotFound("user"));
    }
    if let Some(p) = project {
        let member: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_projects WHERE user_id = $1 AND project_id = $2",
        )
        .bind(id)
        .bind(p)
        .fetch_one(&mut *conn)
        .await?;
        if member == 0 {
            let mut c = Check::default();
            c.fail("project", "not one of the user's projects");
            c.finish()?;
        }
    }
    effective(&mut conn, id, project).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_catalogue_or_a_queue() {
        assert_eq!(key_problem("menu.users"), None);
        assert_eq!(key_problem("queue.42"), None);
        assert!(key_problem("queue.0").is_some());
        assert!(key_problem("queue.x").is_some());
        assert!(key_problem("queue.").is_some());
        assert!(key_problem("menu.everything").is_some());
        assert_eq!(queue_of("queue.7"), Some(7));
        assert_eq!(key_problem("status.12"), None);
        assert!(key_problem("status.0").is_some());
        assert_eq!(status_of("status.12"), Some(12));
        assert_eq!(status_of("status.change"), None);
        assert_eq!(key_problem("dial_plan.route.9"), None);
        assert_eq!(key_problem("dial_plan.route.all"), None);
        assert!(key_problem("dial_plan.route.0").is_some());
        assert!(key_problem("dial_plan.route.").is_some());
        assert_eq!(outbound_route_of(&outbound_route_key(12)), Some(12));
        for (group, key, _) in CATALOGUE {
            assert!(GROUPS.contains(group), "{key}");
            assert!(key.starts_with(&format!("{group}.")), "{key}");
        }
    }
}
