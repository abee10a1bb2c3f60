//! Users as the administration API keeps them: names, username, login
//! password (an argon2 hash), priority, state, projects, profiles, the queues
//! the user serves, and SIP extensions.
//!
//! The product's rules kept here: username, first and last name and at least
//! one profile are required; the username is unique. A user is `new` until
//! the first login, `locked` after too many failed logins in a row, and
//! `passive` when kept only for history (no login). A locked user is unlocked
//! by an administrator's password reset, never by simply setting the state:
//! sending a password resets the failure count and turns `locked` into
//! `active`. A change of password or a state that cannot log in ends the
//! user's sessions.

use crate::store::DbRow;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, grouped, new_id, now_ms, taken, AdminError, Check, FieldError, Saved};
use crate::store::{Store, UserState};

/// The user states, as sent and stored.
pub const STATES: &[&str] = &["new", "active", "locked", "passive"];

/// Shortest and longest login password.
pub const PASSWORD_CHARS: (usize, usize) = (8, 256);

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    /// new, active, locked or passive.
    pub state: String,
    /// Dispatch priority, 0 (lowest) to 100.
    pub priority: i64,
    /// Project ids the user may log into.
    pub projects: Vec<i64>,
    /// Profile ids given to the user.
    pub profiles: Vec<i64>,
    /// Queue ids the user serves.
    pub queues: Vec<i64>,
    /// SIP usernames of the user's extensions.
    pub extensions: Vec<String>,
    /// Whether a login password is set (it is never shown).
    pub has_password: bool,
    /// Failed logins in a row so far.
    pub failed_logins: i64,
}

/// What a client sends to create or replace a user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    /// A new login password; on a replace, this is the administrator's
    /// password reset. Left out, the password stays as it is.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub projects: Vec<i64>,
    #[serde(default)]
    pub profiles: Vec<i64>,
    #[serde(default)]
    pub queues: Vec<i64>,
}

/// A user checked and ready to store, its password already hashed.
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub priority: i64,
    pub state: Option<UserState>,
    pub projects: Vec<i64>,
    pub profiles: Vec<i64>,
    pub queues: Vec<i64>,
}

pub(crate) fn parse_state(s: &str) -> Option<UserState> {
    match s {
        "new" => Some(UserState::New),
        "active" => Some(UserState::Active),
        "locked" => Some(UserState::Locked),
        "passive" => Some(UserState::Passive),
        _ => None,
    }
}

/// The checks that need no database, field names prefixed by `at`.
pub(crate) fn check_fields(c: &mut Check, at: &str, input: &UserInput) {
    let f = |name: &str| format!("{at}{name}");
    let username = input.username.trim();
    c.text(&f("username"), &input.username, 64);
    if username
        .chars()
        .any(|ch| ch.is_whitespace() || ch.is_control())
    {
        c.fail(
            &f("username"),
            "must not contain spaces or control characters",
        );
    }
    c.text(&f("first_name"), &input.first_name, 100);
    c.text(&f("last_name"), &input.last_name, 100);
    if let Some(p) = &input.password {
        let n = p.chars().count();
        let (min, max) = PASSWORD_CHARS;
        if n < min || n > max {
            c.fail(&f("password"), format!("must be {min} to {max} characters"));
        }
    }
    c.range(&f("priority"), input.priority, 0, 100);
    if let Some(s) = &input.state {
        if parse_state(s).is_none() {
            c.fail(&f("state"), format!("must be one of {}", STATES.join(", ")));
        }
    }
    if input.profiles.is_empty() {
        c.fail(&f("profiles"), "at least one profile is required");
    }
}

/// Checks that each id of `ids` names a row of `table`, once.
pub(crate) async fn check_refs(
    conn: &mut crate::store::DbConnection,
    c: &mut Check,
    field: &str,
    table: &str,
    ids: &[i64],
) -> Result<(), AdminError> {
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            c.fail(&format!("{field}[{i}]"), "listed twice");
        } else if !super::exists(conn, table, *id).await? {
            c.fail(
                &format!("{field}[{i}]"),
                format!("no such {}", &table[..table.len() - 1]),
            );
        }
    }
    Ok(())
}

/// Checks `input` without the database and hashes its password.
pub(crate) async fn settle(
    store: &Store,
    at: &str,
    input: UserInput,
) -> Result<Settled, Vec<FieldError>> {
    let mut c = Check::default();
    check_fields(&mut c, at, &input);
    if let Err(AdminError::Invalid(errors)) = c.finish() {
        return Err(errors);
    }
    let password_hash = match input.password {
        Some(p) => Some(store.passwords().hash(p).await.map_err(|e| {
            vec![FieldError {
                field: format!("{at}password"),
                message: e.to_string(),
            }]
        })?),
        None => None,
    };
    Ok(Settled {
        username: input.username.trim().to_owned(),
        first_name: input.first_name.trim().to_owned(),
        last_name: input.last_name.trim().to_owned(),
        password_hash,
        priority: input.priority,
        state: input.state.as_deref().and_then(parse_state),
        projects: input.projects,
        profiles: input.profiles,
        queues: input.queues,
    })
}

const COLUMNS: &str = "id, username, first_name, last_name, state, priority, \
    password_hash IS NOT NULL, failed_logins";

async fn ids(
    conn: &mut crate::store::DbConnection,
    sql: &str,
    id: i64,
) -> Result<Vec<i64>, AdminError> {
    Ok(sqlx::query_scalar(sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?)
}

/// The user of a `COLUMNS` row, its lists still empty.
fn columns(row: &DbRow) -> Result<User, AdminError> {
    Ok(User {
        id: row.try_get(0)?,
        username: row.try_get(1)?,
        first_name: row.try_get(2)?,
        last_name: row.try_get(3)?,
        state: row.try_get(4)?,
        priority: row.try_get(5)?,
        has_password: crate::store::flag(row, 6)?,
        failed_logins: row.try_get(7)?,
        projects: Vec::new(),
        profiles: Vec::new(),
        queues: Vec::new(),
        extensions: Vec::new(),
    })
}

async fn from_row(conn: &mut crate::store::DbConnection, row: &DbRow) -> Result<User, AdminError> {
    let mut user = columns(row)?;
    let id = user.id;
    user.projects = ids(
        conn,
        "SELECT project_id FROM user_projects WHERE user_id = $1 ORDER BY project_id",
        id,
    )
    .await?;
    user.profiles = ids(
        conn,
        "SELECT profile_id FROM user_profiles WHERE user_id = $1 ORDER BY profile_id",
        id,
    )
    .await?;
    user.queues = ids(
        conn,
        "SELECT queue_id FROM queue_agents WHERE user_id = $1 ORDER BY queue_id",
        id,
    )
    .await?;
    user.extensions = sqlx::query_scalar(
        "SELECT sip_username FROM extensions WHERE user_id = $1 ORDER BY sip_username",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(user)
}

/// Every user, by username. Each link table is read once for all of them
/// (five queries whatever the number of users).
pub async fn list(store: &Store) -> Result<Vec<User>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
        .fetch_all(&mut *conn)
        .await?;
    let mut projects = grouped(
        &mut conn,
        "SELECT user_id, project_id FROM user_projects ORDER BY user_id, project_id",
    )
    .await?;
    let mut profiles = grouped(
        &mut conn,
        "SELECT user_id, profile_id FROM user_profiles ORDER BY user_id, profile_id",
    )
    .await?;
    let mut queues = grouped(
        &mut conn,
        "SELECT user_id, queue_id FROM queue_agents ORDER BY user_id, queue_id",
    )
    .await?;
    let mut extensions = grouped(
        &mut conn,
        "SELECT user_id, sip_username FROM extensions ORDER BY user_id, sip_username",
    )
    .await?;
    rows.iter()
        .map(|row| {
            let mut user = columns(row)?;
            user.projects = projects.remove(&user.id).unwrap_or_default();
            user.profiles = profiles.remove(&user.id).unwrap_or_default();
            user.queues = queues.remove(&user.id).unwrap_or_default();
            user.extensions = extensions.remove(&user.id).unwrap_or_default();
            Ok(user)
        })
        .collect()
}

/// The dispatch priority of every user above 0 (the lowest), as dispatch
/// takes it.
pub async fn priorities(store: &Store) -> Result<Vec<(crate::acd::AgentId, u8)>, AdminError> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, priority FROM users WHERE priority > 0 ORDER BY id")
            .fetch_all(store.pool())
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, priority)| {
            let agent = crate::acd::AgentId::from_key(id)?;
            Some((agent, u8::try_from(priority.clamp(0, 100)).unwrap_or(0)))
        })
        .collect())
}

pub async fn get(store: &Store, id: i64) -> Result<User, AdminError> {
    let mut conn = store.pool().acquire().await?;
    get_in(&mut conn, id).await
}

pub(crate) async fn get_in(
    conn: &mut crate::store::DbConnection,
    id: i64,
) -> Result<User, AdminError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AdminError::NotFound("user"))?;
    from_row(conn, &row).await
}

pub async fn create(store: &Store, input: UserInput) -> Result<Saved<User>, AdminError> {
    save(store, None, input).await
}

pub async fn update(store: &Store, id: i64, input: UserInput) -> Result<Saved<User>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(store: &Store, id: Option<i64>, input: UserInput) -> Result<Saved<User>, AdminError> {
    let user = settle(store, "", input)
        .await
        .map_err(AdminError::Invalid)?;
    let mut tx = store.begin().await?;
    let stored_state: Option<String> = match id {
        Some(id) => Some(
            sqlx::query_scalar("SELECT state FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(AdminError::NotFound("user"))?,
        ),
        None => None,
    };
    let mut c = Check::default();
    check_references(&mut tx, &mut c, "", &user).await?;
    let stored = stored_state.as_deref().and_then(parse_state);
    let reset = user.password_hash.is_some();
    let state = match (stored, user.state) {
        // The password reset unlocks, whatever state was sent with it.
        (Some(UserState::Locked), Some(UserState::Locked) | None) if reset => UserState::Active,
        (Some(UserState::Locked), Some(s)) if s.may_log_in() && !reset => {
            c.fail(
                "state",
                "a locked user is unlocked by a password reset: send a new password",
            );
            s
        }
        (_, Some(s)) => s,
        (Some(s), None) => s,
        (None, None) => UserState::New,
    };
    c.finish()?;
    if taken(&mut tx, "users", "username", &user.username, id).await? {
        return Err(duplicate("username", "user", &user.username));
    }
    let user_id = match id {
        Some(id) => {
            write_existing(&mut tx, id, &user, state).await?;
            if reset || !state.may_log_in() {
                end_sessions(&mut tx, id).await?;
            }
            id
        }
        None => insert(&mut tx, &user, state).await?,
    };
    let saved = get_in(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(Saved::plain(saved))
}

/// The checks of a settled user that need the database: its projects,
/// profiles and queues exist.
pub(crate) async fn check_references(
    conn: &mut crate::store::DbConnection,
    c: &mut Check,
    at: &str,
    user: &Settled,
) -> Result<(), AdminError> {
    check_refs(
        conn,
        c,
        &format!("{at}projects"),
        "projects",
        &user.projects,
    )
    .await?;
    check_refs(
        conn,
        c,
        &format!("{at}profiles"),
        "profiles",
        &user.profiles,
    )
    .await?;
    check_refs(conn, c, &format!("{at}queues"), "queues", &user.queues).await
}

/// Inserts a new user and its memberships; its id.
pub(crate) async fn insert(
    conn: &mut crate::store::DbConnection,
    user: &Settled,
    state: UserState,
) -> Result<i64, AdminError> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO users (id, username, first_name, last_name, state, failed_logins, \
         password_hash, priority, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&user.username)
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(state.as_str())
    .bind(&user.password_hash)
    .bind(user.priority)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    write_memberships(conn, id, user).await?;
    Ok(id)
}

async fn write_existing(
    conn: &mut crate::store::DbConnection,
    id: i64,
    user: &Settled,
    state: UserState,
) -> Result<(), AdminError> {
    let now = now_ms();
    sqlx::query(
        "UPDATE users SET username = $1, first_name = $2, last_name = $3, state = $4, priority = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&user.username)
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(state.as_str())
    .bind(user.priority)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if let Some(hash) = &user.password_hash {
        sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    for table in ["user_projects", "user_profiles"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    write_memberships(conn, id, user).await
}

async fn write_memberships(
    conn: &mut crate::store::DbConnection,
    id: i64,
    user: &Settled,
) -> Result<(), AdminError> {
    // The queues served are the queues' assigned agents: rows for queues
    // still listed keep their mandatory flag, new ones are not mandatory.
    let served: Vec<i64> =
        sqlx::query_scalar("SELECT queue_id FROM queue_agents WHERE user_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    for queue in served.iter().filter(|q| !user.queues.contains(q)) {
        sqlx::query("DELETE FROM queue_agents WHERE user_id = $1 AND queue_id = $2")
            .bind(id)
            .bind(queue)
            .execute(&mut *conn)
            .await?;
    }
    for queue in user.queues.iter().filter(|q| !served.contains(q)) {
        sqlx::query(
            "INSERT INTO queue_agents (queue_id, user_id, mandatory) VALUES ($1, $2, FALSE)",
        )
        .bind(queue)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    for (table, column, values) in [
        ("user_projects", "project_id", &user.projects),
        ("user_profiles", "profile_id", &user.profiles),
    ] {
        let sql = format!("INSERT INTO {table} (user_id, {column}) VALUES ($1, $2)");
        for value in values {
            sqlx::query(&sql)
                .bind(id)
                .bind(value)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Ends every session of a user.
pub(crate) async fn end_sessions(
    conn: &mut crate::store::DbConnection,
    user_id: i64,
) -> Result<(), AdminError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes a user with its extensions, memberships and sessions.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("user"));
    }
    Ok(())
}
