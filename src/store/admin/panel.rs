//! What the agent panel reads about the user behind a session: their name,
//! projects, the queues they serve in a project (and which are mandatory),
//! their SIP credentials for the browser softphone, a queue's tags, and
//! whom a call may be transferred to (the project's queues and agents).
//! The rules themselves (which statuses, which result codes) stay with
//! `statuses` and `result_codes`.

use super::AdminError;
use crate::store::Store;

/// The user as the panel names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelUser {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

/// A queue the user serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedQueue {
    pub id: i64,
    pub name: String,
    pub mandatory: bool,
}

/// The SIP credentials of the user's first extension (no clear password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipCredentials {
    pub username: String,
    pub realm: String,
    pub ha1_md5: String,
}

/// A tag as the wrap-up form shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTag {
    pub id: i64,
    pub name: String,
    pub colour: String,
}

/// A queue of a project, as a transfer target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectQueue {
    pub id: i64,
    pub name: String,
    pub number: String,
}

/// A user of a project who can be called: their first extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectAgent {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub extension: String,
}

pub async fn user(store: &Store, id: i64) -> Result<PanelUser, AdminError> {
    let row: Option<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, username, first_name, last_name FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await?;
    let (id, username, first_name, last_name) = row.ok_or(AdminError::NotFound("user"))?;
    Ok(PanelUser {
        id,
        username,
        first_name,
        last_name,
    })
}

/// The user's projects, `(id, name)`, by name.
pub async fn projects(store: &Store, user: i64) -> Result<Vec<(i64, String)>, AdminError> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.name FROM user_projects up JOIN projects p ON p.id = up.project_id \
         WHERE up.user_id = $1 ORDER BY p.name",
    )
    .bind(user)
    .fetch_all(store.pool())
    .await?)
}

/// The name of a project.
pub async fn project_name(store: &Store, project: i64) -> Result<Option<String>, AdminError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The queues of `project` that `user` serves, by name.
pub async fn served_queues(
    store: &Store,
    user: i64,
    project: i64,
) -> Result<Vec<ServedQueue>, AdminError> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT q.id, q.name, CAST(qa.mandatory AS INTEGER) FROM queue_agents qa JOIN queues q ON q.id = qa.queue_id \
         WHERE qa.user_id = $1 AND q.project_id = $2 ORDER BY q.name, q.id",
    )
    .bind(user)
    .bind(project)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, mandatory)| ServedQueue {
            id,
            name,
            mandatory: mandatory != 0,
        })
        .collect())
}

pub async fn sip_credentials(
    store: &Store,
    user: i64,
) -> Result<Option<SipCredentials>, AdminError> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT sip_username, realm, ha1_md5 FROM extensions WHERE user_id = $1 \
         ORDER BY sip_username LIMIT 1",
    )
    .bind(user)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(username, realm, ha1_md5)| SipCredentials {
        username,
        realm,
        ha1_md5,
    }))
}

/// The tags offered in `queue`, by name.
pub async fn queue_tags(store: &Store, queue: i64) -> Result<Vec<QueueTag>, AdminError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT t.id, t.name, t.colour FROM tag_queues tq JOIN tags t ON t.id = tq.tag_id \
         WHERE tq.queue_id = $1 ORDER BY t.name, t.id",
    )
    .bind(queue)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, colour)| QueueTag { id, name, colour })
        .collect())
}

/// Moves every session of `user` to `project` (one project at a time, as a
/// login into a project does).
pub async fn set_session_project(store: &Store, user: i64, project: i64) -> Result<(), AdminError> {
    sqlx::query("UPDATE sessions SET project_id = $1 WHERE user_id = $2")
        .bind(project)
        .bind(user)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The queues of `project`, by name.
pub async fn project_queues(store: &Store, project: i64) -> Result<Vec<ProjectQueue>, AdminError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, number FROM queues WHERE project_id = $1 ORDER BY name, id",
    )
    .bind(project)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, number)| ProjectQueue { id, name, number })
        .collect())
}

/// The users of `project` who have an extension, by name; each with their
/// first extension (the one their softphone registers).
pub async fn project_agents(store: &Store, project: i64) -> Result<Vec<ProjectAgent>, AdminError> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.first_name, u.last_name, MIN(e.sip_username) \
         FROM user_projects up JOIN users u ON u.id = up.user_id \
         JOIN extensions e ON e.user_id = u.id \
         WHERE up.project_id = $1 GROUP BY u.id, u.first_name, u.last_name \
         ORDER BY u.first_name, u.last_name, u.id",
    )
    .bind(project)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, first_name, last_name, extension)| ProjectAgent {
            id,
            first_name,
            last_name,
            extension,
        })
        .collect())
}
