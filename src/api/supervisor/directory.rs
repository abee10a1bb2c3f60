//! The names and memberships the supervisor panel shows beside the live
//! state: users (login, name, projects, queues served, agent groups), agent
//! groups, projects and statuses, read in one go per request (and once per
//! WebSocket, again when an agent it does not know appears).

use std::collections::HashMap;

use crate::api::admin::problem::Problem;
use crate::store::admin::statuses::{self, Status};
use crate::store::Store;

/// One user as the panel names them.
#[derive(Debug, Default)]
pub(crate) struct User {
    pub login: String,
    pub name: String,
    pub projects: Vec<i64>,
    /// The queues they are assigned to serve.
    pub queues: Vec<i64>,
    pub groups: Vec<i64>,
}

#[derive(Debug, Default)]
pub(crate) struct Directory {
    pub users: HashMap<i64, User>,
    pub groups: HashMap<i64, String>,
    pub projects: HashMap<i64, String>,
    pub statuses: HashMap<i64, Status>,
}

impl Directory {
    pub(crate) async fn load(store: &Store) -> Result<Directory, Problem> {
        let pool = store.pool();
        let db = |e: sqlx::Error| Problem::from(crate::store::admin::AdminError::from(e));
        let mut dir = Directory::default();
        let users: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, username, first_name, last_name FROM users")
                .fetch_all(pool)
                .await
                .map_err(db)?;
        for (id, login, first, last) in users {
            let name = format!("{first} {last}").trim().to_owned();
            dir.users.insert(
                id,
                User {
                    login,
                    name,
                    ..User::default()
                },
            );
        }
        let pairs = |sql: &'static str| async move {
            sqlx::query_as::<_, (i64, i64)>(sql)
                .fetch_all(pool)
                .await
                .map_err(db)
        };
        for (user, p) in pairs("SELECT user_id, project_id FROM user_projects").await? {
            if let Some(u) = dir.users.get_mut(&user) {
                u.projects.push(p);
            }
        }
        for (user, q) in
            pairs("SELECT user_id, queue_id FROM queue_agents ORDER BY queue_id").await?
        {
            if let Some(u) = dir.users.get_mut(&user) {
                u.queues.push(q);
            }
        }
        for (user, g) in
            pairs("SELECT user_id, group_id FROM agent_group_members ORDER BY group_id").await?
        {
            if let Some(u) = dir.users.get_mut(&user) {
                u.groups.push(g);
            }
        }
        let names = |sql: &'static str| async move {
            sqlx::query_as::<_, (i64, String)>(sql)
                .fetch_all(pool)
                .await
                .map_err(db)
        };
        dir.groups = names("SELECT id, name FROM agent_groups")
            .await?
            .into_iter()
            .collect();
        dir.projects = names("SELECT id, name FROM projects")
            .await?
            .into_iter()
            .collect();
        dir.statuses = statuses::list(store)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        Ok(dir)
    }
}
