//! The follow-ups in the agent panel: a result whose code asks for one
//! schedules it ([`schedule`]); the agent lists theirs and their queues'
//! (`GET /api/agent/follow-ups[?all=true]`), and closes one as done or
//! dismissed (`POST /api/agent/follow-ups/{id}/done|dismiss`), or hands a
//! queue's one to the callback machinery (`POST .../{id}/callback`: a
//! callback request in its queue for its number, which the dispatch core
//! offers like a call; the follow-up is then done). When one
//! falls due it is pushed to the panels of its owner as a `follow_up`
//! message ([`visible`], used by the panel's socket).
//!
//! - Kind: Call Again when the code says so, else Ask Date, else Remind.
//! - Due: at the action date the agent gave (in the project's time zone),
//!   else the code's `follow_up_secs` after the result.
//! - Owner: the agent when the code says `self` (or the interaction has no
//!   queue), else the interaction's queue: any agent logged in to it.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::render::queue_json;
use super::{agent_id, agent_of, conflict, invalid, path_id, AgentState};
use crate::acd::QueueId;
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::Problem;
use crate::call::{now, DispatchInput};
use crate::cdr::{CallResult, InteractionId};
use crate::store::admin::result_codes::ResultCode;
use crate::store::admin::{projects, AdminError};
use crate::store::callbacks::CallbackInput;
use crate::store::follow_ups::{FollowUp, FollowUpKind, FollowUpState, NewFollowUp};

/// How many follow-ups a list holds at most.
const LIST_LIMIT: u32 = 200;

/// `text` (`YYYY-MM-DDTHH:MM[:SS]`, local time in `zone`) as Unix ms.
pub fn local_moment(text: &str, zone: &str) -> Option<i64> {
    let local: jiff::civil::DateTime = text.parse().ok()?;
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    Some(local.to_zoned(tz).ok()?.timestamp().as_millisecond())
}

fn kind_of(code: &ResultCode) -> Option<FollowUpKind> {
    let f = &code.flags;
    if f.call_again {
        Some(FollowUpKind::CallAgain)
    } else if f.ask_date {
        Some(FollowUpKind::AskDate)
    } else if f.remind {
        Some(FollowUpKind::Remind)
    } else {
        None
    }
}

/// Schedules the follow-up `code` asks for with `result` on `call`
/// (replacing what an earlier result scheduled); a code that asks for none
/// only dismisses those.
pub(super) async fn schedule(
    a: &AgentState,
    user: i64,
    call: u64,
    code: &ResultCode,
    result: &CallResult,
) -> Result<(), Problem> {
    let interaction = call as i64;
    let Some(kind) = kind_of(code) else {
        return a
            .follow_ups
            .replace_with_none(interaction)
            .await
            .map_err(|e| AdminError::from(e).into());
    };
    let stored = a
        .store
        .interaction(InteractionId(call))
        .await
        .map_err(AdminError::from)?;
    let view = a.hub.view(agent_id(user), now());
    let (project, queue, number) = match &stored {
        Some(s) => (
            s.record.project.map(|p| p.0 as i64),
            s.record.queue.map(|q| q.0 as i64),
            s.record.remote_number.clone(),
        ),
        None => (
            view.project.map(|p| p.0 as i64),
            view.call.as_ref().and_then(|c| c.queue).map(|q| q.0 as i64),
            view.call
                .as_ref()
                .map(|c| c.caller.clone())
                .unwrap_or_default(),
        ),
    };
    let zone = match project {
        Some(p) => projects::get(&a.store, p)
            .await
            .map(|p| p.time_zone)
            .unwrap_or_else(|_| "UTC".into()),
        None => "UTC".into(),
    };
    let now_ms = now().0 as i64;
    let due_at = result
        .action_date
        .as_deref()
        .and_then(|d| local_moment(d, &zone))
        .unwrap_or(now_ms + i64::from(code.follow_up_secs) * 1000);
    let own = code.flags.own || queue.is_none();
    let new = NewFollowUp {
        kind,
        interaction,
        result_code: code.id,
        project,
        queue,
        agent: own.then_some(user),
        created_by: user,
        number,
        note: result.note.clone(),
        due_at,
    };
    a.follow_ups
        .schedule(&new)
        .await
        .map_err(AdminError::from)?;
    Ok(())
}

/// Whether `user`, serving `queues` now, sees follow-up `f`.
pub(super) fn visible(f: &FollowUp, user: i64, queues: &[QueueId]) -> bool {
    match f.agent {
        Some(agent) => agent == user,
        None => f
            .queue
            .is_some_and(|q| queues.iter().any(|s| s.0 as i64 == q)),
    }
}

/// The JSON of a follow-up.
pub(super) fn follow_up_json(a: &AgentState, f: &FollowUp) -> Value {
    json!({
        "id": f.id,
        "kind": f.kind.as_str(),
        "interaction": f.interaction,
        "result_code": f.result_code,
        "queue": queue_json(a, f.queue.map(|q| QueueId(q as u64))),
        "own": f.agent.is_some(),
        "number": f.number,
        "note": f.note,
        "due_at": f.due_at,
        "state": f.state.as_str(),
    })
}

fn served(a: &AgentState, user: i64) -> Vec<QueueId> {
    a.hub
        .view(agent_id(user), now())
        .queues
        .iter()
        .map(|(q, _)| *q)
        .collect()
}

/// Whether the query asks for all follow-ups (`all=true`), closed ones too.
fn wants_all(query: Option<&str>) -> Result<bool, Problem> {
    let mut all = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("all", "true" | "1")) => all = true,
            Some(("all", "false" | "0")) => all = false,
            Some(("all", _)) => return Err(invalid("all", "true or false")),
            _ => {
                let name = pair.split('=').next().unwrap_or(pair);
                return Err(invalid(name, "not a parameter of this list"));
            }
        }
    }
    Ok(all)
}

/// `GET /api/agent/follow-ups[?all=true]`: the open follow-ups (all, with
/// `all`) of the agent and of the queues they are logged in to, soonest
/// first.
pub(super) async fn list(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let all = wants_all(query.as_deref())?;
    let queues: Vec<i64> = served(&a, user).iter().map(|q| q.0 as i64).collect();
    let list = a
        .store
        .follow_ups_for(user, &queues, all, LIST_LIMIT)
        .await
        .map_err(AdminError::from)?;
    Ok(Json(Value::Array(
        list.iter().map(|f| follow_up_json(&a, f)).collect(),
    )))
}

async fn close(
    a: &AgentState,
    principal: &Principal,
    id: &str,
    state: FollowUpState,
) -> Result<StatusCode, Problem> {
    let (user, _) = agent_of(principal)?;
    let id = path_id(id)? as i64;
    let f = a
        .store
        .follow_up(id)
        .await
        .map_err(AdminError::from)?
        .filter(|f| visible(f, user, &served(a, user)))
        .ok_or_else(|| Problem::new("not-found", "no such follow-up of yours"))?;
    let closed = a
        .follow_ups
        .close(f.id, state)
        .await
        .map_err(AdminError::from)?;
    if !closed {
        return Err(conflict("the follow-up is closed already"));
    }
    tracing::info!(user, id, state = state.as_str(), "follow-up closed");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/agent/follow-ups/{id}/done`.
pub(super) async fn done(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    close(&a, &principal, &id, FollowUpState::Done).await
}

/// `POST /api/agent/follow-ups/{id}/dismiss`.
pub(super) async fn dismiss(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    close(&a, &principal, &id, FollowUpState::Dismissed).await
}

/// `POST /api/agent/follow-ups/{id}/callback`: the follow-up's number
/// becomes a callback request in its queue (dialled when an agent of the
/// queue takes it), and the follow-up is done. 409 for a follow-up of no
/// queue, or closed already; 422 for a number that cannot be called back.
pub(super) async fn callback(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let (user, _) = agent_of(&principal)?;
    let id = path_id(&id)? as i64;
    let f = a
        .store
        .follow_up(id)
        .await
        .map_err(AdminError::from)?
        .filter(|f| visible(f, user, &served(&a, user)))
        .ok_or_else(|| Problem::new("not-found", "no such follow-up of yours"))?;
    let Some(queue) = f.queue else {
        return Err(conflict("the follow-up has no queue to call back from"));
    };
    if !f.state.is_open() {
        return Err(conflict("the follow-up is closed already"));
    }
    let request = a
        .store
        .create_callback(CallbackInput {
            queue_id: queue,
            number: f.number.clone(),
        })
        .await?;
    if let (Some(arrival), Some(call)) = (request.arrival(), request.call()) {
        a.registry.set_caller(call, &request.caller);
        if a.dispatch.send(DispatchInput::Acd(arrival)).await.is_err() {
            tracing::error!("dispatch is gone");
        }
    }
    a.follow_ups
        .close(f.id, FollowUpState::Done)
        .await
        .map_err(AdminError::from)?;
    tracing::info!(
        user,
        id,
        request = request.id,
        "follow-up handed to a callback"
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({"callback": request.id, "queue": queue, "number": request.caller})),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_dates_are_read_in_the_project_time_zone() {
        assert_eq!(
            local_moment("2026-12-01T10:00", "UTC"),
            Some(1_796_119_200_000)
        );
        assert_eq!(
            local_moment("2026-12-01T10:00:30", "Europe/Paris"),
            Some(1_796_119_200_000 - 3_600_000 + 30_000)
        );
        assert_eq!(local_moment("2026-12-01T10:00", "Mars/Olympus"), None);
        assert_eq!(local_moment("soon", "UTC"), None);
    }
}
