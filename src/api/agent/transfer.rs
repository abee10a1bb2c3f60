//! Blind transfers from the panel (the "Transfers"): whom the
//! connected agent may send the caller to, and the transfer itself.
//!
//! The panel asks the call's task, as a REFER from the agent's desk phone
//! does: the target is a queue number (or an inbound route's number), an
//! agent's extension, or an external number an outbound route of the
//! project takes (and the agent's Dial Plan permission allows), resolved by
//! the call the same way, and the call core decides. A transfer to an
//! external number is answered once the number answered (202) or failed
//! (409, the caller still with the agent). Both routes need the permission `other.transfer`. The list of
//! targets shows the queues of the agent's project that their Queue
//! permission lets them see, and the project's agents with whether dispatch
//! would give them a transfer now (the agent hub's view).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::render::presence_name;
use super::{agent_id, agent_of, conflict, invalid, now, path_id, AgentState};
use crate::acd::{CallId, Presence};
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::{json_body as body, Problem};
use crate::call::flow::TransferVerdict;
use crate::call::CallInput;
use crate::store::admin::permissions::Effective;
use crate::store::admin::{panel, statuses};

/// The longest target a person may type.
const MAX_TARGET: usize = 64;

fn may_transfer(permissions: &Effective) -> Result<(), Problem> {
    if permissions.has("other.transfer") {
        Ok(())
    } else {
        Err(Problem::new(
            "forbidden",
            "transferring a call needs the permission other.transfer",
        ))
    }
}

/// `GET /api/agent/transfer-targets`.
pub(super) async fn targets(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<Json<Value>, Problem> {
    let (user, permissions) = agent_of(&principal)?;
    may_transfer(permissions)?;
    let Some(project) = a.hub.view(agent_id(user), now()).project else {
        return Err(conflict(
            "log in to a project first (POST /api/agent/login)",
        ));
    };
    let project_id = project.0 as i64;
    let queues: Vec<Value> = panel::project_queues(&a.store, project_id)
        .await?
        .into_iter()
        .filter(|q| permissions.sees_queue(q.id))
        .map(|q| json!({"id": q.id, "name": q.name, "number": q.number}))
        .collect();
    let names = statuses::list(&a.store).await?;
    let at = now();
    let mut agents = Vec::new();
    for other in panel::project_agents(&a.store, project_id).await? {
        if other.id == user {
            continue;
        }
        let view = a.hub.view(agent_id(other.id), at);
        let here = view.project == Some(project);
        let status = match view.status.filter(|_| here) {
            Some(s) => names
                .iter()
                .find(|n| n.id == s.0 as i64)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            None => "Offline".to_owned(),
        };
        let presence = if here {
            view.presence
        } else {
            Presence::Offline
        };
        let name = format!("{} {}", other.first_name, other.last_name)
            .trim()
            .to_owned();
        agents.push(json!({
            "id": other.id,
            "extension": other.extension,
            "name": name,
            "status": status,
            "presence": presence_name(presence),
            "takes_transfer": here && view.takes_transfer,
        }));
    }
    Ok(Json(json!({"queues": queues, "agents": agents})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferInput {
    target: String,
}

/// `POST /api/agent/calls/{id}/transfer`.
pub(super) async fn transfer(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<StatusCode, Problem> {
    let (user, permissions) = agent_of(&principal)?;
    may_transfer(permissions)?;
    let call = CallId(path_id(&id)?);
    let input: TransferInput = body(&headers, &bytes)?;
    let target = input.target.trim_matches(' ').to_owned();
    if target.is_empty() {
        return Err(invalid(
            "target",
            "a queue number, an extension or an external number",
        ));
    }
    if input.target.chars().count() > MAX_TARGET
        || !target
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-_.*#".contains(c))
    {
        return Err(invalid(
            "target",
            "a queue number or an extension: at most 64 digits, letters and + - _ . * #",
        ));
    }
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
    let asked = task
        .send(CallInput::Transfer {
            agent,
            target: target.clone(),
            reply,
        })
        .await;
    // A call that ends meanwhile drops the question unanswered.
    let verdict = match verdict.await {
        Ok(v) if asked => v,
        _ => return Err(not_connected()),
    };
    match verdict {
        TransferVerdict::Accepted => {
            tracing::info!(%agent, %call, %target, "transferred from the panel");
            Ok(StatusCode::ACCEPTED)
        }
        TransferVerdict::Forbidden => Err(Problem::new(
            "transfer-refused",
            format!("{target} may not take the call now"),
        )),
        TransferVerdict::NotFound => Err(Problem::new(
            "not-found",
            format!("no queue number or extension {target}"),
        )),
        TransferVerdict::Failed { status } => Err(Problem::new(
            "conflict",
            format!("{target} did not take the call ({status}); the caller is still with you"),
        )),
        // The panel names no consultation to replace.
        TransferVerdict::NotNow | TransferVerdict::NoDialog => Err(not_connected()),
    }
}
