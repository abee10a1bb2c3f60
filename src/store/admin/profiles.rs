//! Profiles: named sets of permission keys, given to users directly, as a
//! project's default profile, or as the profile of a queue its agents get
//! while serving it. Projects and queues name their profile; renaming a
//! profile renames it there too, and a profile still given to a user or named
//! by a project or queue cannot be deleted. The migration seeds Agent,
//! Supervisor and Admin.

use serde::{Deserialize, Serialize};

use super::permissions::{key_problem, queue_of, MAX_KEYS};
use super::{duplicate, grouped, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// A stored profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Permission keys, sorted.
    pub permissions: Vec<String>,
    /// The result codes the profile offers (ids, in order), for queues that
    /// name none.
    pub result_codes: Vec<i64>,
}

/// What a client sends to create or replace a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub result_codes: Vec<i64>,
}

async fn keys(conn: &mut crate::store::DbConnection, id: i64) -> Result<Vec<String>, AdminError> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM profile_permissions WHERE profile_id = $1 ORDER BY permission",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn list(store: &Store) -> Result<Vec<Profile>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, description FROM profiles ORDER BY name")
            .fetch_all(&mut *conn)
            .await?;
    let mut permissions = grouped(
        &mut conn,
        "SELECT profile_id, permission FROM profile_permissions ORDER BY profile_id, permission",
    )
    .await?;
    let mut offered = grouped(
        &mut conn,
        "SELECT profile_id, result_code_id FROM profile_result_codes \
         ORDER BY profile_id, position",
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, description)| Profile {
            id,
            name,
            description,
            permissions: permissions.remove(&id).unwrap_or_default(),
            result_codes: offered.remove(&id).unwrap_or_default(),
        })
        .collect())
}

pub async fn get(store: &Store, id: i64) -> Result<Profile, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let (name, description): (String, String) =
        sqlx::query_as("SELECT name, description FROM profiles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AdminError::NotFound("profile"))?;
    Ok(Profile {
        id,
        name,
        description,
        permissions: keys(&mut conn, id).await?,
        result_codes: codes(&mut conn, id).await?,
    })
}

/// The result codes a profile offers, in order.
pub(crate) async fn codes(
    conn: &mut crate::store::DbConnection,
    id: i64,
) -> Result<Vec<i64>, AdminError> {
    Ok(sqlx::query_scalar(
        "SELECT result_code_id FROM profile_result_codes WHERE profile_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn create(store: &Store, input: ProfileInput) -> Result<Saved<Profile>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: ProfileInput,
) -> Result<Saved<Profile>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: ProfileInput,
) -> Result<Saved<Profile>, AdminError> {
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    if input.description.chars().count() > 500 {
        c.fail("description", "must be at most 500 characters");
    }
    if input.permissions.len() > MAX_KEYS {
        c.fail("permissions", format!("at most {MAX_KEYS} keys"));
    }
    for (i, key) in input.permissions.iter().enumerate().take(MAX_KEYS) {
        if let Some(problem) = key_problem(key) {
            c.fail(&format!("permissions[{i}]"), problem);
        }
    }
    c.finish()?;
    let name = input.name.trim().to_owned();
    let mut permissions = input.permissions;
    permissions.sort();
    permissions.dedup();
    let mut tx = store.begin().await?;
    let old_name: Option<String> = match id {
        Some(id) => Some(
            sqlx::query_scalar("SELECT name FROM profiles WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(AdminError::NotFound("profile"))?,
        ),
        None => None,
    };
    if taken(&mut tx, "profiles", "name", &name, id).await? {
        return Err(duplicate("name", "profile", &name));
    }
    let mut result_codes = Vec::with_capacity(input.result_codes.len());
    let mut c = Check::default();
    for (i, code) in input.result_codes.iter().enumerate() {
        if !super::exists(&mut tx, "result_codes", *code).await? {
            c.fail(&format!("result_codes[{i}]"), "no such result code");
        } else if result_codes.contains(code) {
            c.fail(&format!("result_codes[{i}]"), "listed twice");
        } else {
            result_codes.push(*code);
        }
    }
    c.finish()?;
    let mut warnings = Vec::new();
    for key in &permissions {
        if let Some(queue) = queue_of(key) {
            if !super::exists(&mut tx, "queues", queue).await? {
                warnings.push(format!("{key}: no such queue (yet); the key is kept"));
            }
        }
        if let Some(status) = super::permissions::status_of(key) {
            if !super::exists(&mut tx, "statuses", status).await? {
                warnings.push(format!("{key}: no such status (yet); the key is kept"));
            }
        }
    }
    let now = now_ms();
    let profile_id = match id {
        Some(id) => {
            sqlx::query(
                "UPDATE profiles SET name = $1, description = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(&name)
            .bind(&input.description)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let old = old_name.unwrap_or_default();
            if old != name {
                sqlx::query("UPDATE projects SET default_profile = $1 WHERE default_profile = $2")
                    .bind(&name)
                    .bind(&old)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE queues SET profile = $1 WHERE profile = $2")
                    .bind(&name)
                    .bind(&old)
                    .execute(&mut *tx)
                    .await?;
            }
            for table in ["profile_permissions", "profile_result_codes"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE profile_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO profiles (id, name, description, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(&name)
            .bind(&input.description)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    for key in &permissions {
        sqlx::query("INSERT INTO profile_permissions (profile_id, permission) VALUES ($1, $2)")
            .bind(profile_id)
            .bind(key)
            .execute(&mut *tx)
            .await?;
    }
    for (position, code) in result_codes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO profile_result_codes (profile_id, result_code_id, position) VALUES ($1, $2, $3)",
        )
        .bind(profile_id)
        .bind(code)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved {
        item: Profile {
            id: profile_id,
            name,
            description: input.description,
            permissions,
            result_codes,
        },
        warnings,
    })
}

/// Deletes a profile that no user, project or queue uses.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    let name: String = sqlx::query_scalar("SELECT name FROM profiles WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AdminError::NotFound("profile"))?;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_profiles WHERE profile_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let projects: Vec<String> =
        sqlx::query_scalar("SELECT name FROM projects WHERE default_profile = $1 ORDER BY name")
            .bind(&name)
            .fetch_all(&mut *tx)
            .await?;
    let queues: Vec<String> =
        sqlx::query_scalar("SELECT name FROM queues WHERE profile = $1 ORDER BY name")
            .bind(&name)
            .fetch_all(&mut *tx)
            .await?;
    let mut reasons = Vec::new();
    if users > 0 {
        reasons.push(format!("{users} user(s) have it"));
    }
    if !projects.is_empty() {
        reasons.push(format!(
            "it is the default of the project(s) {}",
            projects.join(", ")
        ));
    }
    if !queues.is_empty() {
        reasons.push(format!(
            "it is the profile of the queue(s) {}",
            queues.join(", ")
        ));
    }
    if !reasons.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!("the profile cannot be deleted: {}", reasons.join("; ")),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM profiles WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks that `name` (a project's default profile or a queue's profile)
/// names a profile.
pub(crate) async fn check_name(
    conn: &mut crate::store::DbConnection,
    c: &mut Check,
    field: &str,
    name: Option<&str>,
) -> Result<(), AdminError> {
    if let Some(name) = name {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profiles WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        if n == 0 {
            c.fail(field, format!("no such profile {name:?}"));
        }
    }
    Ok(())
}
