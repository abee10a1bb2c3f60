//! Projects: the unit a contact center is organised by (and, later, the shard
//! key). A project with queues or authorised users cannot be deleted; the
//! refusal names them. Its default profile, when set, must name a profile;
//! its caller ID, when set, is digits after an optional `+` (presented on
//! outbound calls made for it whose route sets none). Its time zone, an IANA
//! name (`UTC` unless set), says when its working day turns.

use crate::store::DbRow;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// A stored project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    /// The name of the profile every agent logged into this project gets.
    pub default_profile: Option<String>,
    /// Break time an agent may take per shift, in minutes.
    pub break_minutes: i64,
    /// The number outbound calls made for this project present when their
    /// route sets none (see `call::outbound`).
    pub caller_id: Option<String>,
    /// Where the project's working day turns at midnight (an IANA name).
    pub time_zone: String,
}

/// What a client sends to create or replace a project.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub name: String,
    #[serde(default)]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub break_minutes: i64,
    #[serde(default)]
    pub caller_id: Option<String>,
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".into()
}

const COLUMNS: &str = "id, name, default_profile, break_minutes, outbound_caller_id, time_zone";

fn from_row(row: &DbRow) -> Result<Project, sqlx::Error> {
    Ok(Project {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        default_profile: row.try_get(2)?,
        break_minutes: row.try_get(3)?,
        caller_id: row.try_get(4)?,
        time_zone: row.try_get(5)?,
    })
}

fn check(input: &ProjectInput) -> Result<(), AdminError> {
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    if let Some(p) = &input.default_profile {
        c.text("default_profile", p, 100);
    }
    c.range("break_minutes", input.break_minutes, 0, 24 * 60);
    super::outbound_routes::check_caller_id(&mut c, input.caller_id.as_deref());
    if let Err(e) = crate::cdr::day::Zone::named(&input.time_zone) {
        c.fail("time_zone", e.to_string());
    }
    c.finish()
}

pub async fn list(store: &Store) -> Result<Vec<Project>, AdminError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM projects ORDER BY name"))
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn get(store: &Store, id: i64) -> Result<Project, AdminError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM projects WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("project"))?;
    Ok(from_row(&row)?)
}

pub async fn create(store: &Store, input: ProjectInput) -> Result<Saved<Project>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: ProjectInput,
) -> Result<Saved<Project>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: ProjectInput,
) -> Result<Saved<Project>, AdminError> {
    check(&input)?;
    let name = input.name.trim().to_owned();
    let mut tx = store.begin().await?;
    let mut c = Check::default();
    super::profiles::check_name(
        &mut tx,
        &mut c,
        "default_profile",
        input.default_profile.as_deref(),
    )
    .await?;
    c.finish()?;
    if taken(&mut tx, "projects", "name", &name, id).await? {
        return Err(duplicate("name", "project", &name));
    }
    let now = now_ms();
    let project_id = match id {
        Some(id) => {
            let done = sqlx::query(
                "UPDATE projects SET name = $1, default_profile = $2, break_minutes = $3, \
                 outbound_caller_id = $4, time_zone = $5, updated_at = $6 WHERE id = $7",
            )
            .bind(&name)
            .bind(&input.default_profile)
            .bind(input.break_minutes)
            .bind(&input.caller_id)
            .bind(&input.time_zone)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(AdminError::NotFound("project"));
            }
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO projects (id, name, default_profile, break_minutes, \
                 outbound_caller_id, time_zone, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(&name)
            .bind(&input.default_profile)
            .bind(input.break_minutes)
            .bind(&input.caller_id)
            .bind(&input.time_zone)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    tx.commit().await?;
    Ok(Saved::plain(Project {
        id: project_id,
        name,
        default_profile: input.default_profile,
        break_minutes: input.break_minutes,
        caller_id: input.caller_id,
        time_zone: input.time_zone,
    }))
}

/// Deletes a project that has no queues left.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "projects", id).await? {
        return Err(AdminError::NotFound("project"));
    }
    let queues: Vec<String> =
        sqlx::query_scalar("SELECT name FROM queues WHERE project_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    if !queues.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "the project still has {} queue(s): {}; delete or move them first",
                queues.len(),
                queues.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM user_projects up JOIN users u ON u.id = up.user_id \
         WHERE up.project_id = $1 ORDER BY u.username",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !users.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "the project still has {} authorised user(s): {}; take it from them first",
                users.len(),
                users.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    let announcements: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM announcements WHERE project_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if announcements > 0 {
        return Err(AdminError::Conflict {
            detail: format!(
                "the project still has {announcements} announcement(s); delete them first"
            ),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
