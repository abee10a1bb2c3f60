//! Listen, whisper and barge over the API: a supervisor joins a live queue
//! call (caller and agent bridged) from their own desk phone.
//!
//! - `POST /api/supervisor/calls/{call}/monitor` `{"mode": "listen"|"whisper"|"barge"}`:
//!   rings the supervisor's registered phone; 202 with the monitor (state
//!   `ringing`). Once the phone answers the monitor is `active`; a phone
//!   that refuses (486, 603), cannot be reached (480) or does not answer in
//!   30 s (408) makes it `failed` with that status.
//! - `GET` the same path: the call's last monitor, as it stands.
//! - `PUT` the same path `{"mode": ...}`: changes the mode, without ringing
//!   again (200).
//! - `DELETE` the same path: stops monitoring and hangs the phone up (204);
//!   the call goes on.
//!
//! `{call}` is the call's id as the agent panel shows it. Each mode needs
//! its permission (`other.listen`, `other.whisper`, `other.barge`), and the
//! call's queue must be one the user sees (`queue.all` or `queue.<id>`),
//! else 403. 404: no such call (or it ended); 409: the call is not bridged
//! to an agent, is monitored already, the user already monitors a call or
//! has no registered phone.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::auth::Principal;
use super::handlers::body;
use super::problem::Problem;
use super::AdminState;
use crate::acd::{AgentId, CallId, QueueId};
use crate::call::monitor::{
    MonitorId, MonitorRequest, MonitorState, MonitorStatus, MonitorVerdict, QueueScope,
};
use crate::call::CallInput;
use crate::media::mixer::MonitorMode;

/// What `POST` and `PUT` take.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorInput {
    pub mode: String,
}

/// A monitor as the API shows it.
#[derive(Debug, Serialize)]
pub struct Monitor {
    pub id: MonitorId,
    pub call_id: u64,
    pub user_id: i64,
    pub mode: &'static str,
    /// `ringing`, `active`, `failed` or `ended`.
    pub state: &'static str,
    /// The phone's final status when `failed` (486 busy, 480 unavailable,
    /// 408 no answer, ...).
    pub status: Option<u16>,
}

impl From<&MonitorStatus> for Monitor {
    fn from(m: &MonitorStatus) -> Monitor {
        let (state, status) = match m.state {
            MonitorState::Ringing => ("ringing", None),
            MonitorState::Active => ("active", None),
            MonitorState::Failed { status } => ("failed", Some(status)),
            MonitorState::Ended => ("ended", None),
        };
        Monitor {
            id: m.id,
            call_id: m.call.0,
            user_id: m.supervisor.key(),
            mode: m.mode.name(),
            state,
            status,
        }
    }
}

fn no_call() -> Problem {
    Problem::new("not-found", "no such call")
}

fn conflict(detail: &str) -> Problem {
    Problem::new("conflict", detail)
}

fn call_of(raw: &str) -> Result<CallId, Problem> {
    raw.parse()
        .ok()
        .filter(|id: &u64| *id > 0 && *id < (1 << 53))
        .map(CallId)
        .ok_or_else(no_call)
}

/// The mode of a body, with the permission it needs checked.
fn mode_of(who: &Principal, headers: &HeaderMap, bytes: &Bytes) -> Result<MonitorMode, Problem> {
    let input: MonitorInput = body(headers, bytes)?;
    let mode = MonitorMode::parse(&input.mode).ok_or_else(|| {
        Problem::from(crate::store::admin::AdminError::Invalid(vec![
            crate::store::admin::FieldError {
                field: "mode".into(),
                message: "must be listen, whisper or barge".into(),
            },
        ]))
    })?;
    let permission = format!("other.{}", mode.name());
    if !who.has(&permission) {
        return Err(Problem::new(
            "forbidden",
            format!("{} needs the permission {permission}", mode.name()),
        ));
    }
    Ok(mode)
}

/// The user behind a session (the admin token has no phone).
fn supervisor_of(who: &Principal) -> Result<(AgentId, QueueScope), Problem> {
    let Principal::User { session, .. } = who else {
        return Err(conflict(
            "monitoring rings the user's own phone: log in as a user",
        ));
    };
    let agent = AgentId::from_key(session.user_id).ok_or_else(no_call)?;
    let permissions = &session.permissions;
    let scope = if permissions.has("queue.all") {
        QueueScope::All
    } else {
        QueueScope::Only(
            permissions
                .permissions
                .iter()
                .filter_map(|g| g.key.strip_prefix("queue.")?.parse().ok())
                .filter_map(QueueId::from_key)
                .collect(),
        )
    };
    Ok((agent, scope))
}

/// Hands `input` to the call's task and waits for its verdict; a call that
/// is gone or ends meanwhile is not found.
async fn ask(
    s: &AdminState,
    call: CallId,
    input: impl FnOnce(oneshot::Sender<MonitorVerdict>) -> CallInput,
) -> Result<MonitorVerdict, Problem> {
    let task = s.calls.registry.call(call).ok_or_else(no_call)?;
    let (reply, verdict) = oneshot::channel();
    if !task.send(input(reply)).await {
        return Err(no_call());
    }
    verdict.await.map_err(|_| no_call())
}

fn refusal(verdict: MonitorVerdict) -> Problem {
    match verdict {
        MonitorVerdict::NotConnected => conflict("the call is not connected to an agent"),
        MonitorVerdict::OutOfScope => {
            Problem::new("forbidden", "the call's queue is not one of your queues")
        }
        MonitorVerdict::Busy => conflict("the call is monitored already"),
        MonitorVerdict::NoPhone => conflict("you have no registered phone to monitor with"),
        MonitorVerdict::NotMonitored => conflict("you do not monitor this call"),
        MonitorVerdict::Ringing(_) | MonitorVerdict::Changed | MonitorVerdict::Stopped => {
            Problem::new("internal-error", "unexpected answer from the call")
        }
    }
}

/// `POST /api/supervisor/calls/{call}/monitor`.
pub async fn start(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let mode = mode_of(&who, &headers, &bytes)?;
    let call = call_of(&raw)?;
    let (supervisor, scope) = supervisor_of(&who)?;
    let registry = &s.calls.registry;
    if registry.call(call).is_none() {
        return Err(no_call());
    }
    if registry.monitoring(supervisor).is_some() {
        return Err(conflict("you already monitor a call"));
    }
    let routing = s.calls.routing.get();
    let aor = routing.aor_of(supervisor).map(str::to_owned).filter(|aor| {
        !s.calls
            .location
            .lookup(aor, crate::sip::core::unix_ms())
            .is_empty()
    });
    let request = MonitorRequest {
        id: MonitorId(crate::call::new_interaction_id()),
        call,
        supervisor,
        aor,
        mode,
    };
    let verdict = ask(&s, call, |reply| CallInput::Monitor {
        request,
        scope,
        reply,
    })
    .await?;
    let MonitorVerdict::Ringing(id) = verdict else {
        return Err(refusal(verdict));
    };
    tracing::info!(%call, %supervisor, mode = mode.name(), "monitor asked for");
    let status = registry
        .monitor_of(call)
        .filter(|m| m.id == id)
        .unwrap_or(MonitorStatus {
            id,
            call,
            supervisor,
            mode,
            state: MonitorState::Ringing,
        });
    Ok((StatusCode::ACCEPTED, Json(Monitor::from(&status))).into_response())
}

/// `GET /api/supervisor/calls/{call}/monitor`.
pub async fn get(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let call = call_of(&raw)?;
    if !["other.listen", "other.whisper", "other.barge"]
        .iter()
        .any(|p| who.has(p))
    {
        return Err(Problem::new(
            "forbidden",
            "this needs other.listen, other.whisper or other.barge",
        ));
    }
    let status = s
        .calls
        .registry
        .monitor_of(call)
        .ok_or_else(|| Problem::new("not-found", "the call has no monitor"))?;
    Ok(Json(Monitor::from(&status)).into_response())
}

/// `PUT /api/supervisor/calls/{call}/monitor`.
pub async fn change(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let mode = mode_of(&who, &headers, &bytes)?;
    let call = call_of(&raw)?;
    let (supervisor, _) = supervisor_of(&who)?;
    let verdict = ask(&s, call, |reply| CallInput::MonitorChange {
        supervisor,
        mode: Some(mode),
        reply,
    })
    .await?;
    if verdict != MonitorVerdict::Changed {
        return Err(refusal(verdict));
    }
    let status = s.calls.registry.monitor_of(call).ok_or_else(no_call)?;
    Ok(Json(Monitor::from(&status)).into_response())
}

/// `DELETE /api/supervisor/calls/{call}/monitor`.
pub async fn stop(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<StatusCode, Problem> {
    let call = call_of(&raw)?;
    let (supervisor, _) = supervisor_of(&who)?;
    let verdict = ask(&s, call, |reply| CallInput::MonitorChange {
        supervisor,
        mode: None,
        reply,
    })
    .await?;
    if verdict != MonitorVerdict::Stopped {
        return Err(refusal(verdict));
    }
    Ok(StatusCode::NO_CONTENT)
}
