//! Recording on demand from the panel (the "record on demand"): the
//! agent connected to a call of a queue that records `on_demand` asks, and
//! from then on both sides go to the call's stereo WAV (named by the record's
//! `RecordingFile`).
//!
//! The request goes to the call's task, which hands it to the call core
//! ([`crate::call::flow`]): the core decides, the task starts the recorder.
//! It needs the permission `other.record`. Answers: 202 recording; 409 not
//! connected to that call, or recorded already (asked before, or the queue
//! records every call); 422 `recording-refused` when the queue records no
//! call.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Extension;
use tokio::sync::oneshot;

use super::{agent_id, agent_of, conflict, now, path_id, AgentState};
use crate::acd::CallId;
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::Problem;
use crate::call::flow::RecordVerdict;
use crate::call::CallInput;

/// The permission that records a call on demand.
pub const RECORD: &str = "other.record";

/// `POST /api/agent/calls/{id}/recording`.
pub(super) async fn record(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let (user, permissions) = agent_of(&principal)?;
    if !permissions.has(RECORD) {
        return Err(Problem::new(
            "forbidden",
            format!("recording a call needs the permission {RECORD}"),
        ));
    }
    let call = CallId(path_id(&id)?);
    let agent = agent_id(user);
    let not_connected = || conflict("you are not connected to this call");
    let view = a.hub.view(agent, now());
    if view.call.as_ref().is_none_or(|c| c.call != call) {
        return Err(not_connected());
    }
    let Some(task) = a.registry.call(call) else {
        return Err(not_connected());
    };
    let (reply, verdict) = oneshot::channel();
    let asked = task.send(CallInput::RecordNow { agent, reply }).await;
    // A call that ends meanwhile drops the question unanswered.
    let verdict = match verdict.await {
        Ok(v) if asked => v,
        _ => return Err(not_connected()),
    };
    match verdict {
        RecordVerdict::Started => {
            tracing::info!(%agent, %call, "recording on demand from the panel");
            Ok(StatusCode::ACCEPTED)
        }
        RecordVerdict::NotConnected => Err(not_connected()),
        RecordVerdict::AlreadyRecording => Err(conflict("the call is being recorded already")),
        RecordVerdict::NotAllowed => Err(Problem::new(
            "recording-refused",
            "the call's queue records no call",
        )),
    }
}
