//! The agent panel's API under `/api/agent`, as agreed in the panel protocol
//! (REST and one WebSocket): who the agent is and their softphone's
//! credentials, the queues and queue groups they may choose ([`groups`]),
//! login to dispatch, statuses, the wrap-up form and result of a call, the
//! blind transfer of the connected call ([`transfer`]) and its recording on
//! demand ([`recording`]).
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
mod groups;
mod recording;
pub(crate) mod render;
mod socket;
mod transfer;

use render::{current_state, state_json, status_json, wrapup_json};

use super::admin::auth::Principal;
use super::admin::problem::{json_body as body, Problem};
use crate::acd::{self, AcdError, AgentId, CallId, ResultCodeId, StatusId};
use crate::call::agents::{AgentHub, Wrapup};
use crate::call::dispatch::PanelRequest;
use crate::call::now;
use crate::call::{DispatchInput, Registry, RoutingHandle};
use crate::cdr::CallResult;
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
        .route("/agent/calls/{id}/wrapup", get(wrapup_form))
        .route("/agent/calls/{id}/result", post(result))
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

/// This agent's pending after-call work for `call`, or why there is none.
fn pending_wrapup(a: &AgentState, user: i64, call: u64) -> Result<Wrapup, Problem> {
    let view = a.hub.view(agent_id(user), now());
    match view.wrapup {
        Some(w) if w.call == CallId(call) => Ok(w),
        _ if view.call.as_ref().is_some_and(|c| c.call == CallId(call)) => Err(conflict(
            "the call is still connected: its after-call work has not started",
        )),
        _ => Err(Problem::new(
            "not-found",
            "no after-call work of yours for this call",
        )),
    }
}

/// `GET /api/agent/calls/{id}/wrapup`.
async fn wrapup_form(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let w = pending_wrapup(&a, user, path_id(&id)?)?;
    Ok(Json(wrapup_json(&a, user, &w).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultInput {
    code: i64,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    action_date: Option<String>,
    #[serde(default)]
    tags: Vec<i64>,
}

/// Whether `text` is a local date and time as `YYYY-MM-DDTHH:MM` (seconds
/// allowed) that exists on the calendar.
pub fn is_action_date(text: &str) -> bool {
    let b = text.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return false;
    }
    let shape = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b'T',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !shape {
        return false;
    }
    let num = |from: usize, to: usize| text[from..to].parse::<u32>().unwrap_or(99);
    let (year, month, day) = (num(0, 4), num(5, 7), num(8, 10));
    let (hour, minute) = (num(11, 13), num(14, 16));
    let second = if b.len() == 19 { num(17, 19) } else { 0 };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1970 && (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

/// `POST /api/agent/calls/{id}/result`.
async fn result(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<StatusCode, Problem> {
    let (user, permissions) = agent_of(&principal)?;
    if !permissions.has("result_code.set") {
        return Err(Problem::new(
            "forbidden",
            "closing a call with a result needs the permission result_code.set",
        ));
    }
    let call = path_id(&id)?;
    let input: ResultInput = body(&headers, &bytes)?;
    let w = pending_wrapup(&a, user, call)?;
    let queue = w.queue.map(|q| q.0 as i64).unwrap_or(0);
    let offered = render::offered_codes(&a, queue, user).await?;
    let tags = panel::queue_tags(&a.store, queue).await?;
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        })
    };
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let date = input
        .action_date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    match offered.iter().find(|c| c.id == input.code) {
        None => fail("code", "not a result code offered for this call's queue"),
        Some(code) => {
            if code.flags.note_required && note.is_none() {
                fail("note", "this result code requires a note");
            }
            if code.flags.ask_date && date.is_none() {
                fail("action_date", "this result code asks for a date");
            }
        }
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        fail("note", &format!("at most {MAX_NOTE} characters"));
    }
    if date.as_deref().is_some_and(|d| !is_action_date(d)) {
        fail("action_date", "a date and time as YYYY-MM-DDTHH:MM");
    }
    for (i, t) in input.tags.iter().enumerate() {
        if !tags.iter().any(|x| x.id == *t) {
            fail(&format!("tags[{i}]"), "not a tag of this call's queue");
        }
    }
    if !errors.is_empty() {
        return Err(AdminError::Invalid(errors).into());
    }
    let agent = agent_id(user);
    let result = CallResult {
        code: ResultCodeId(input.code as u64),
        note,
        action_date: date,
        tags: input.tags.iter().map(|t| *t as u64).collect(),
    };
    let done = ask(&a, |reply| PanelRequest::Result {
        agent,
        call: CallId(call),
        result,
        reply,
    })
    .await?;
    match done {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) => {
            tracing::info!(%agent, error = %e, "result refused by dispatch");
            Err(conflict("the after-call work of this call is already over"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_dates_are_local_date_times() {
        assert!(is_action_date("2026-12-01T10:00"));
        assert!(is_action_date("2028-02-29T23:59:59"));
        assert!(!is_action_date("2027-02-29T10:00"));
        assert!(!is_action_date("2026-13-01T10:00"));
        assert!(!is_action_date("2026-12-01 10:00"));
        assert!(!is_action_date("2026-12-01T24:00"));
        assert!(!is_action_date("tomorrow"));
        assert!(!is_action_date("2026-12-01T10:0é"));
    }
}
