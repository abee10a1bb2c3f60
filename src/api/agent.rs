//! The agent panel's API under `/api/agent`, as agreed in the panel protocol
//! (REST and one WebSocket): who the agent is and their softphone's
//! credentials, the queues and queue groups they may choose ([`groups`]),
//! login to dispatch, statuses, the result form and result of a call at
//! any time and the agent's recent interactions ([`results`]), the
//! follow-ups results schedule ([`follow_ups`]), the blind transfer of the
//! connected call ([`transfer`]) and its recording on demand ([`recording`]).
//!
//! Every route needs a user's session (cookie or bearer; the admin token is
//! refused: it is nobody's panel) with the `menu.agent_panel` permission.
//! Statuses need `status.change` (and, when the user's profiles list
//! statuses, one of those: 403 otherwise); results need `result_code.set`;
//! transfers (and the list of their targets) need `other.transfer`;
//! recording on demand needs `other.record`.
//!
//! The live state comes from the agent hub ([`AgentHub`]), fed by the
//! dispatch task; requests that change dispatch go to the dispatch task
//! ([`PanelRequest`]) and answer once the hub shows their effect, so the
//! state a request answers with is already the new one. Names (projects,
//! queues, statuses), the result codes offered and the queue's tags are read
//! from the store when a message is rendered.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

mod callbacks;
mod dial;
pub mod follow_ups;
mod groups;
mod recording;
pub(crate) mod render;
pub mod results;
mod socket;
mod transfer;

use render::{current_state, state_json, status_json};

use super::admin::auth::Principal;
use super::admin::problem::{json_body as body, Problem};
use crate::acd::{self, AcdError, AgentId, StatusId};
use crate::call::agents::AgentHub;
use crate::call::dispatch::PanelRequest;
use crate::call::follow_up_service::FollowUps;
use crate::call::now;
use crate::call::{DispatchInput, Registry, RoutingHandle};
use crate::store::admin::statuses::Status;
use crate::store::admin::{panel, statuses, AdminError, FieldError};
use crate::store::Store;

/// The longest note, in characters.
pub const MAX_NOTE: usize = 2000;

/// What the agent panel's handlers share.
pub struct AgentState {
    pub store: Store,
    pub hub: Arc<AgentHub>,
    pub dispatch: mpsc::Sender<DispatchInput>,
    pub routing: Arc<RoutingHandle>,
    /// The calls' tasks, which a panel transfer is handed to.
    pub registry: Arc<Registry>,
    /// Our SIP domain, in the softphone's URI.
    pub domain: String,
    /// The panels' open WebSockets, for `/metrics`.
    pub sockets: crate::api::sockets::SocketGauges,
    /// The follow-ups results schedule, and their pushes when due.
    pub follow_ups: Arc<FollowUps>,
}

/// The panel routes, to be merged under `/api` behind the session guard.
pub fn router<S>(state: Arc<AgentState>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/agent/me", get(me))
        .route("/agent/projects/{id}/queues", get(project_queues))
        .route("/agent/projects/{id}/queue-groups", get(groups::list))
        .route("/agent/login", post(login))
        .route("/agent/logout", post(logout))
        .route("/agent/statuses", get(choosable))
        .route("/agent/status", post(status))
        .route("/agent/calls/{id}/wrapup", get(results::form))
        .route("/agent/calls/{id}/result", post(results::submit))
        .route("/agent/interactions", get(results::recent))
        .route("/agent/follow-ups", get(follow_ups::list))
        .route("/agent/follow-ups/{id}/done", post(follow_ups::done))
        .route("/agent/follow-ups/{id}/dismiss", post(follow_ups::dismiss))
        .route(
            "/agent/follow-ups/{id}/callback",
            post(follow_ups::callback),
        )
        .route("/agent/calls/{id}/transfer", post(transfer::transfer))
        .route("/agent/calls/{id}/recording", post(recording::record))
        .route("/agent/transfer-targets", get(transfer::targets))
        .route("/agent/callbacks", get(callbacks::list))
        .route("/agent/ws", get(socket::websocket))
        .with_state(state)
}

/// The user behind the session, if they may use the panel.
fn agent_of(
    principal: &Principal,
) -> Result<(i64, &crate::store::admin::permissions::Effective), Problem> {
    match principal {
        Principal::Superuser => Err(Problem::new(
            "forbidden",
            "the agent panel needs a user's session (POST /api/login), not the admin token",
        )),
        Principal::User { session, .. } => {
            if !session.permissions.has("menu.agent_panel") {
                return Err(Problem::new(
                    "forbidden",
                    "this screen needs the permission menu.agent_panel",
                ));
            }
            Ok((session.user_id, &session.permissions))
        }
    }
}

pub(crate) fn agent_id(user: i64) -> AgentId {
    AgentId(u64::try_from(user).unwrap_or(0))
}

/// An id from the path; anything else is simply not found.
pub(crate) fn path_id(raw: &str) -> Result<u64, Problem> {
    raw.parse()
        .ok()
        .filter(|id: &u64| *id > 0 && *id < (1 << 53))
        .ok_or_else(|| Problem::new("not-found", "no such item"))
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Problem {
    Problem::from(AdminError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.into(),
    }]))
}

pub(crate) fn conflict(detail: impl Into<String>) -> Problem {
    Problem::new("conflict", detail)
}

fn dispatch_gone() -> Problem {
    tracing::error!("the dispatch task is gone");
    Problem::new("internal-error", "dispatch is not running")
}

pub(crate) async fn ask<T>(
    a: &AgentState,
    request: impl FnOnce(oneshot::Sender<T>) -> PanelRequest,
) -> Result<T, Problem> {
    let (tx, rx) = oneshot::channel();
    a.dispatch
        .send(DispatchInput::Panel(request(tx)))
        .await
        .map_err(|_| dispatch_gone())?;
    rx.await.map_err(|_| dispatch_gone())
}

/// `GET /api/agent/me`.
async fn me(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let u = panel::user(&a.store, user).await?;
    let projects: Vec<Value> = panel::projects(&a.store, user)
        .await?
        .into_iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let sip = panel::sip_credentials(&a.store, user).await?.map(|c| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let secure = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let scheme = if secure { "wss" } else { "ws" };
        json!({
            "uri": format!("sip:{}@{}", c.username, a.domain),
            "username": c.username,
            "realm": c.realm,
            "ha1": c.ha1_md5,
            "ws_url": format!("{scheme}://{host}/sip"),
        })
    });
    let view = a.hub.view(agent_id(user), now());
    let session = if view.project.is_some() {
        state_json(&a, user, &view).await?
    } else {
        Value::Null
    };
    let name = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_owned();
    Ok(Json(json!({
        "user": {"id": u.id, "login": u.username, "name": name},
        "projects": projects,
        "sip": sip,
        "session": session,
    })))
}

/// `GET /api/agent/projects/{id}/queues`.
async fn project_queues(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let project = path_id(&id)? as i64;
    let mine = panel::projects(&a.store, user).await?;
    if !mine.iter().any(|(p, _)| *p == project) {
        return Err(Problem::new("not-found", "no such project of yours"));
    }
    let queues: Vec<Value> = panel::served_queues(&a.store, user, project)
        .await?
        .into_iter()
        .map(|q| json!({"id": q.id, "name": q.name, "mandatory": q.mandatory}))
        .collect();
    Ok(Json(Value::Array(queues)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginInput {
    project: i64,
    #[serde(default)]
    queues: Vec<i64>,
    /// Queue groups chosen: their queues that the agent serves are joined.
    #[serde(default)]
    queue_groups: Vec<i64>,
}

/// `POST /api/agent/login`.
async fn login(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let input: LoginInput = body(&headers, &bytes)?;
    let mine = panel::projects(&a.store, user).await?;
    if !mine.iter().any(|(p, _)| *p == input.project) {
        return Err(invalid("project", "not one of your projects"));
    }
    let served = panel::served_queues(&a.store, user, input.project).await?;
    let mut errors = Vec::new();
    for (i, q) in input.queues.iter().enumerate() {
        if !served.iter().any(|s| s.id == *q) {
            errors.push(FieldError {
                field: format!("queues[{i}]"),
                message: "not a queue of this project that you serve".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AdminError::Invalid(errors).into());
    }
    let grouped = groups::chosen_queues(&a.store, &served, &input.queue_groups).await?;
    let mut queues: Vec<acd::QueueId> = served
        .iter()
        .filter(|s| s.mandatory || input.queues.contains(&s.id) || grouped.contains(&s.id))
        .map(|s| acd::QueueId(s.id as u64))
        .collect();
    queues.dedup();
    let agent = agent_id(user);
    let project = acd::ProjectId(input.project as u64);
    let done = ask(&a, |reply| PanelRequest::Login {
        agent,
        project,
        queues,
        reply,
    })
    .await?;
    if let Err(e) = done {
        tracing::warn!(%agent, error = %e, "panel login refused by dispatch");
        return Err(conflict(format!("dispatch refused the login: {e}")));
    }
    panel::set_session_project(&a.store, user, input.project).await?;
    Ok(Json(current_state(&a, user).await?))
}

/// `POST /api/agent/logout`.
async fn logout(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<StatusCode, Problem> {
    let (user, _) = agent_of(&principal)?;
    let agent = agent_id(user);
    ask(&a, |reply| PanelRequest::Logout { agent, reply }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The statuses the user may choose: the active ones that are
/// agent-changeable, and the active supervisor-only ones (never
/// agent-changeable) when they hold `status.supervisor_only`; of those, only
/// the ones their profiles offer (`status.<id>` keys, when any is listed);
/// none without `status.change`.
async fn statuses_for(
    a: &AgentState,
    permissions: &crate::store::admin::permissions::Effective,
) -> Result<Vec<Status>, Problem> {
    if !permissions.has("status.change") {
        return Ok(Vec::new());
    }
    let supervisor = permissions.has("status.supervisor_only");
    Ok(statuses::list(&a.store)
        .await?
        .into_iter()
        .filter(|s| {
            s.active
                && permissions.offers_status(s.id)
                && if s.supervisor_only {
                    supervisor
                } else {
                    s.agent_changeable
                }
        })
        .collect())
}

/// `GET /api/agent/statuses`.
async fn choosable(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<Json<Value>, Problem> {
    let (_, permissions) = agent_of(&principal)?;
    let list = statuses_for(&a, permissions).await?;
    Ok(Json(Value::Array(list.iter().map(status_json).collect())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusInput {
    status: i64,
}

/// Chooses a status for the agent (REST and WebSocket alike).
async fn choose_status(
    a: &AgentState,
    user: i64,
    permissions: &crate::store::admin::permissions::Effective,
    status: i64,
) -> Result<(), Problem> {
    if !permissions.has("status.change") {
        return Err(Problem::new(
            "forbidden",
            "choosing a status needs the permission status.change",
        ));
    }
    if !permissions.offers_status(status) {
        return Err(Problem::new(
            "forbidden",
            "your profile does not offer this status",
        ));
    }
    let allowed = statuses_for(a, permissions).await?;
    if !allowed.iter().any(|s| s.id == status) {
        return Err(invalid("status", "not a status you may choose"));
    }
    let agent = agent_id(user);
    let status = StatusId(status as u64);
    let done = ask(a, |reply| PanelRequest::Status {
        agent,
        status,
        reply,
    })
    .await?;
    match done {
        Ok(()) => Ok(()),
        Err(AcdError::NotLoggedIn(_) | AcdError::UnknownAgent(_)) => Err(conflict(
            "log in to a project first (POST /api/agent/login)",
        )),
        Err(e) => Err(conflict(format!("dispatch refused the status: {e}"))),
    }
}

/// `POST /api/agent/status`.
async fn status(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Value>, Problem> {
    let (user, permissions) = agent_of(&principal)?;
    let input: StatusInput = body(&headers, &bytes)?;
    choose_status(&a, user, permissions, input.status).await?;
    Ok(Json(current_state(&a, user).await?))
}
