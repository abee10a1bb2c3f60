//! Who is asking, and may they: the guard in front of every `/api` route.
//!
//! A request is authenticated by the admin token (`Authorization: Bearer`,
//! the superuser: scripts and operators), by a session token as a bearer, or
//! by the session cookie pages carry. `POST /api/login` opens a session
//! (cookie `HttpOnly; SameSite=Strict`, `Secure` when the listener serves
//! HTTPS, and the same token in the body for scripts), behind the login guard
//! shared with SIP (429 with Retry-After for an address or user failing too
//! often); `POST /api/logout` ends it; `GET /api/session` tells who is
//! logged in, into which project, with which permissions.
//!
//! A cookie-authenticated request that changes state, or opens a WebSocket,
//! must come from a page of the server's own origin or an allowed one
//! ([`crate::api::origin`]); so must a login.
//!
//! Every screen's endpoints need that screen's Menu permission ([`menu_of`]);
//! without it the answer is 403. Queue data is limited further by the queue
//! permissions (`queue.all` or `queue.<id>`), see [`Principal::sees_queue`]:
//! the guard answers 404 for anything under a queue the caller cannot see
//! ([`queue_in_path`]), and the handlers keep to the same rule ([`super::scope`]).

use std::sync::Arc;

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::handlers::body;
use super::problem::Problem;
use super::scope::{hidden_queue, queue_in_path};
use super::AdminState;
use crate::api::origin::changes_state;
use crate::store::admin::permissions::CATALOGUE;
use crate::store::admin::sessions::{self, LoginError, Session, SESSION_MS};

/// The session cookie's name.
pub const COOKIE: &str = "switchboard_session";

/// The one asking.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The admin token: every permission.
    Superuser,
    /// A logged-in user, with the token of the session.
    User { session: Session, token: String },
}

impl Principal {
    pub fn has(&self, key: &str) -> bool {
        match self {
            Principal::Superuser => true,
            Principal::User { session, .. } => session.permissions.has(key),
        }
    }

    /// Whether the data of queue `id` may be shown to this principal.
    pub fn sees_queue(&self, id: i64) -> bool {
        match self {
            Principal::Superuser => true,
            Principal::User { session, .. } => session.permissions.sees_queue(id),
        }
    }
}

/// The Menu permission of the screen a path belongs to (under `/api`), or
/// none for what every authenticated caller may use.
pub fn menu_of(path: &str) -> Option<&'static str> {
    let path = path.strip_prefix("/api").unwrap_or(path);
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    Some(match first {
        "projects" => "menu.projects",
        "statuses" => "menu.statuses",
        "queues" => "menu.queues",
        "queue-groups" => "menu.queue_groups",
        "result-codes" | "deliveries" => "menu.result_codes",
        "tags" => "menu.tags",
        "users" => "menu.users",
        "profiles" | "permissions" => "menu.profiles",
        "agent-groups" => "menu.agent_groups",
        "pickup-groups" => "menu.pickup_groups",
        "trunks" | "routes" | "outbound-routes" | "ivr-menus" | "time-conditions" | "blacklist"
        | "announcements" => "menu.dial_plan",
        "supervisor" => "menu.supervisor_panel",
        "reports" => "menu.reports",
        _ => return None,
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|t| !t.is_empty())
}

async fn authenticate(state: &AdminState, headers: &HeaderMap) -> Result<Principal, Problem> {
    let token = match bearer(headers) {
        Some(t) if super::same(t.as_bytes(), state.token.as_bytes()) => {
            return Ok(Principal::Superuser)
        }
        Some(t) => Some(t),
        None => cookie(headers),
    };
    let Some(token) = token else {
        return Err(unauthorized());
    };
    match sessions::find(&state.store, token).await? {
        Some(session) => Ok(Principal::User {
            session,
            token: token.to_owned(),
        }),
        None => Err(unauthorized()),
    }
}

fn unauthorized() -> Problem {
    Problem::new(
        "unauthorized",
        "log in (POST /api/login) or send Authorization: Bearer <token>",
    )
}

/// Refuses requests without a valid token or session, requests for a screen
/// the caller lacks the Menu permission of, and requests under a queue the
/// caller cannot see (as not found).
pub async fn guard(
    State(state): State<Arc<AdminState>>,
    mut request: Request,
    next: Next,
) -> Response {
    // Only the cookie travels without the page asking for it, so only
    // requests that may carry it are held to their Origin.
    let headers = request.headers();
    if bearer(headers).is_none()
        && cookie(headers).is_some()
        && changes_state(request.method(), headers)
    {
        if let Err(problem) = state.origins.check(headers) {
            return problem.into_response();
        }
    }
    let principal = match authenticate(&state, request.headers()).await {
        Ok(p) => p,
        Err(problem) => {
            let unauthorized = problem.status == 401;
            let mut response = problem.into_response();
            if unauthorized {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            return response;
        }
    };
    if let Some(key) = menu_of(request.uri().path()) {
        if !principal.has(key) {
            return Problem::new(
                "forbidden",
                format!("this screen needs the permission {key}"),
            )
            .into_response();
        }
    }
    if let Some(queue) = queue_in_path(request.uri().path()) {
        if !principal.sees_queue(queue) {
            return hidden_queue().into_response();
        }
    }
    request.extensions_mut().insert(Arc::new(principal));
    next.run(request).await
}

/// What `POST /api/login` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
    /// The project to work in; one of the user's.
    #[serde(default)]
    pub project: Option<i64>,
}

/// What `POST /api/login` answers.
#[derive(Debug, Serialize)]
pub struct LoggedIn {
    /// The bearer token for scripts (the cookie carries the same).
    pub token: String,
    pub user_id: i64,
    pub project_id: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
}

/// A refusal that says when to try again.
fn retry_later(slug: &str, detail: &str, secs: u64) -> Response {
    let mut response = Problem::new(slug, detail).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// `POST /api/login`. The origin check and the login guard come first, so a
/// refused source or a user backing off costs no password check; an unknown
/// name and a wrong password are answered alike.
pub async fn login(
    State(s): State<Arc<AdminState>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    // Another site's page must not log a visitor in as someone else either.
    if let Err(problem) = s.origins.check(&headers) {
        return problem.into_response();
    }
    let input: LoginInput = match body(&headers, &bytes) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let source = remote.ip();
    let now = crate::store::unix_ms(std::time::SystemTime::now()).max(0) as u64;
    if let Err(refusal) = s.login_guard.admit(&input.username, source, now) {
        // Debug only: a flood of refusals must not flood the log as well.
        tracing::debug!(%source, user = %input.username, ?refusal, "login refused: too many failures");
        return retry_later(
            "too-many-attempts",
            "too many failed logins from this address or for this user; try again later",
            refusal.retry_after_secs(),
        );
    }
    let outcome = sessions::login(&s.store, &input.username, &input.password, input.project).await;
    if !matches!(outcome, Err(LoginError::Failed | LoginError::Busy)) {
        s.login_guard.succeeded(&input.username, source, now);
    }
    let session = match outcome {
        Ok(session) => session,
        Err(e @ LoginError::Failed) => {
            tracing::info!(%source, user = %input.username, "failed login");
            return Problem::new("unauthorized", e.to_string()).into_response();
        }
        Err(e @ LoginError::Busy) => {
            // Not the client's failure: it does not count against it.
            s.login_guard.withdraw(&input.username, source);
            return retry_later("busy", &e.to_string(), 1);
        }
        Err(e @ LoginError::Locked) => {
            return Problem::new("user-locked", e.to_string()).into_response()
        }
        Err(e @ LoginError::Passive) => {
            return Problem::new("user-passive", e.to_string()).into_response()
        }
        Err(LoginError::Admin(e)) => return Problem::from(e).into_response(),
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        session.token,
        SESSION_MS / 1000,
        secure(&s)
    );
    (
        StatusCode::OK,
        [(header::SET_COOKIE, cookie)],
        Json(LoggedIn {
            token: session.token,
            user_id: session.user_id,
            project_id: session.project_id,
            expires_at: session.expires_at,
        }),
    )
        .into_response()
}

/// The cookie attribute that keeps the session off plain HTTP when the
/// listener serves HTTPS.
fn secure(s: &AdminState) -> &'static str {
    if s.secure_cookie {
        "; Secure"
    } else {
        ""
    }
}

/// `POST /api/logout`: ends the session and clears the cookie.
pub async fn logout(
    State(s): State<Arc<AdminState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<Response, Problem> {
    if let Principal::User { token, .. } = principal.as_ref() {
        sessions::logout(&s.store, token).await?;
    }
    let clear = format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(&s)
    );
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// What `GET /api/session` answers.
#[derive(Debug, Serialize)]
pub struct WhoAmI {
    /// True for the admin token.
    pub superuser: bool,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub project_id: Option<i64>,
    /// The effective permission keys (every catalogue key for the superuser).
    pub permissions: Vec<String>,
}

/// `GET /api/session`.
pub async fn session(Extension(principal): Extension<Arc<Principal>>) -> Json<WhoAmI> {
    Json(match principal.as_ref() {
        Principal::Superuser => WhoAmI {
            superuser: true,
            user_id: None,
            username: None,
            project_id: None,
            permissions: CATALOGUE.iter().map(|(_, k, _)| (*k).to_owned()).collect(),
        },
        Principal::User { session, .. } => WhoAmI {
            superuser: false,
            user_id: Some(session.user_id),
            username: Some(session.username.clone()),
            project_id: session.project_id,
            permissions: session
                .permissions
                .permissions
                .iter()
                .map(|g| g.key.clone())
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_screen_has_its_menu_key() {
        assert_eq!(menu_of("/api/users/5/permissions"), Some("menu.users"));
        assert_eq!(menu_of("/queue-groups"), Some("menu.queue_groups"));
        assert_eq!(menu_of("/api/session"), None);
        assert_eq!(menu_of("/api/openapi.json"), None);
        for key in [
            "projects",
            "statuses",
            "queues",
            "queue-groups",
            "result-codes",
            "tags",
            "users",
            "profiles",
            "agent-groups",
            "pickup-groups",
        ]
        .iter()
        .filter_map(|r| menu_of(&format!("/{r}")))
        {
            assert!(CATALOGUE.iter().any(|(_, k, _)| *k == key), "{key}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; switchboard_session=abc; b=2"),
        );
        assert_eq!(cookie(&h), Some("abc"));
    }
}
