//! Login sessions: a username and password (checked against the argon2 hash)
//! give a random token; only its SHA-256 is stored. Failed logins in a row are
//! counted on the user for the administrator (the same counter the SIP
//! registrar uses); limiting them is the login guard's work, in front of
//! this. Locked (by an administrator) and passive users cannot log in, and
//! their sessions stop working; they are told so only with the right password. A user works in one project at a
//! time: logging into a project moves every session of the user to it.

use sha2::{Digest, Sha256};

use super::passwords::DECOY_HASH;
use super::permissions::{effective, Effective};
use super::{now_ms, AdminError, Check};
use crate::store::{Store, UserState};

/// How long a session lasts.
pub const SESSION_MS: i64 = 12 * 3600 * 1000;

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The token to give the client; not stored.
    pub token: String,
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub expires_at: i64,
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown username or wrong password (the two are not told apart).
    #[error("wrong username or password")]
    Failed,
    #[error("the user is locked; an administrator must reset the password")]
    Locked,
    #[error("the user is passive and cannot log in")]
    Passive,
    /// Too many password checks in progress; to be tried again shortly.
    #[error("too many logins in progress; try again in a moment")]
    Busy,
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// A session found by its token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub username: String,
    pub project_id: Option<i64>,
    pub permissions: Effective,
}

/// 40 random letters and digits (about 238 bits).
fn new_token() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Logs `username` in, into `project` (one of the user's projects) or, when
/// none is named, into the user's only project if there is exactly one.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    project: Option<i64>,
) -> Result<NewSession, LoginError> {
    let row: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, state, password_hash FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(store.pool())
            .await
            .map_err(AdminError::from)?;
    // An unknown name, or a user without a password, costs the same work as
    // a wrong password.
    let (user, hash) = match row {
        Some((id, state, Some(hash))) => (Some((id, state)), hash),
        Some((id, state, None)) => (Some((id, state)), DECOY_HASH.to_owned()),
        None => (None, DECOY_HASH.to_owned()),
    };
    let good = store
        .passwords()
        .verify(password.to_owned(), hash)
        .await
        .map_err(|_| LoginError::Busy)?;
    let known = user.as_ref().map(|(id, _)| *id);
    let Some((user_id, state)) = user.filter(|_| good) else {
        if let Some(user_id) = known {
            // Written behind the answer, so it does not tell the name exists.
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.record_login_failure(user_id).await {
                    tracing::error!(error = %e, "recording a failed login failed");
                }
            });
        }
        return Err(LoginError::Failed);
    };
    // Told only to whoever knows the password, so the state of an account
    // cannot be probed.
    match super::users::parse_state(&state) {
        Some(UserState::Locked) => return Err(LoginError::Locked),
        Some(UserState::Passive) => return Err(LoginError::Passive),
        _ => {}
    }
    let mut tx = store.begin().await?;
    let projects: Vec<i64> = sqlx::query_scalar(
        "SELECT project_id FROM user_projects WHERE user_id = $1 ORDER BY project_id",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(AdminError::from)?;
    let project_id = match project {
        Some(p) if projects.contains(&p) => Some(p),
        Some(_) => {
            let mut c = Check::default();
            c.fail("project", "not one of the user's projects");
            c.finish()?;
            None
        }
        None if projects.len() == 1 => Some(projects[0]),
        None => None,
    };
    let now = now_ms();
    sqlx::query(
        "UPDATE users SET failed_logins = 0, state = 'active', updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .map_err(AdminError::from)?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(AdminError::from)?;
    // One project at a time: the user's other sessions follow.
    sqlx::query("UPDATE sessions SET project_id = $1 WHERE user_id = $2")
        .bind(project_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(AdminError::from)?;
    let token = new_token();
    let expires_at = now + SESSION_MS;
    sqlx::query(
        "INSERT INTO sessions (token_sha256, user_id, project_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(&token))
    .bind(user_id)
    .bind(project_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await
    .map_err(AdminError::from)?;
    tx.commit().await.map_err(AdminError::from)?;
    Ok(NewSession {
        token,
        user_id,
        project_id,
        expires_at,
    })
}

/// The live session of `token`, with the user's effective permissions; none
/// when the token is unknown, expired, or its user may no longer log in.
pub async fn find(store: &Store, token: &str) -> Result<Option<Session>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let row: Option<(i64, String, Option<i64>)> = sqlx::query_as(
        // A project taken from the user since the login no longer counts.
        "SELECT s.user_id, u.username, up.project_id FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         LEFT JOIN user_projects up ON up.user_id = s.user_id AND up.project_id = s.project_id \
         WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND u.state IN ('new', 'active')",
    )
    .bind(digest(token))
    .bind(now_ms())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((user_id, username, project_id)) = row else {
        return Ok(None);
    };
    let permissions = effective(&mut conn, user_id, project_id).await?;
    Ok(Some(Session {
        user_id,
        username,
        project_id,
        permissions,
    }))
}

/// Ends the session of `token` (nothing when there is none).
pub async fn logout(store: &Store, token: &str) -> Result<(), AdminError> {
    sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
        .bind(digest(token))
        .execute(store.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::admin::projects::{self, ProjectInput};
    use crate::store::admin::users::{self, UserInput};
    use crate::store::test_support::temp_store;

    async fn user(store: &Store, projects: Vec<i64>) -> i64 {
        let input = UserInput {
            username: "ada".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            password: Some("correct horse".into()),
            priority: 0,
            state: None,
            projects,
            profiles: vec![1],
            queues: Vec::new(),
        };
        users::create(store, input).await.unwrap().item.id
    }

    async fn project(store: &Store, name: &str) -> i64 {
        let input = ProjectInput {
            name: name.into(),
            default_profile: Some("Supervisor".into()),
            break_minutes: 0,
            caller_id: None,
            time_zone: "UTC".into(),
        };
        projects::create(store, input).await.unwrap().item.id
    }

    #[tokio::test]
    async fn failures_lock_no_one_and_a_user_locked_by_hand_is_told_only_with_the_password() {
        let (store, _dir) = temp_store().await;
        let id = user(&store, Vec::new()).await;
        for _ in 0..6 {
            let e = login(&store, "ada", "wrong", None).await.unwrap_err();
            assert!(matches!(e, LoginError::Failed), "{e}");
        }
        login(&store, "ada", "correct horse", None).await.unwrap();
        sqlx::query("UPDATE users SET state = 'locked' WHERE id = $1")
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
        let e = login(&store, "ada", "wrong", None).await.unwrap_err();
        assert!(matches!(e, LoginError::Failed), "{e}");
        let e = login(&store, "ada", "correct horse", None)
            .await
            .unwrap_err();
        assert!(matches!(e, LoginError::Locked), "{e}");
        let e = login(&store, "nobody", "x", None).await.unwrap_err();
        assert!(matches!(e, LoginError::Failed), "{e}");
    }

    #[tokio::test]
    async fn a_session_carries_the_project_and_follows_the_latest_login() {
        let (store, _dir) = temp_store().await;
        let a = project(&store, "A").await;
        let b = project(&store, "B").await;
        user(&store, vec![a, b]).await;
        let first = login(&store, "ada", "correct horse", Some(a))
            .await
            .unwrap();
        let found = find(&store, &first.token).await.unwrap().unwrap();
        assert_eq!(found.project_id, Some(a));
        // The project's default profile (Supervisor) counts in it.
        assert!(found.permissions.has("menu.supervisor_panel"));
        let second = login(&store, "ada", "correct horse", Some(b))
            .await
            .unwrap();
        for token in [&first.token, &second.token] {
            let s = find(&store, token).await.unwrap().unwrap();
            assert_eq!(s.project_id, Some(b));
        }
        // Taken out of the project, the user keeps the session but not the project.
        sqlx::query("DELETE FROM user_projects WHERE project_id = $1")
            .bind(b)
            .execute(store.pool())
            .await
            .unwrap();
        let s = find(&store, &second.token).await.unwrap().unwrap();
        assert_eq!(s.project_id, None);
        assert!(!s.permissions.has("menu.supervisor_panel"));
        logout(&store, &first.token).await.unwrap();
        assert!(find(&store, &first.token).await.unwrap().is_none());
        assert!(find(&store, &second.token).await.unwrap().is_some());
        assert!(find(&store, "made up").await.unwrap().is_none());
    }
}
