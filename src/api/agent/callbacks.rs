//! The callbacks waiting in the agent's queues (the issue's "requests
//! listed in the API and the panel"): `GET /api/agent/callbacks` lists the
//! open callback requests of every queue the agent serves, oldest first,
//! with the queue's name, the number to call, when it was asked for, its
//! state and the attempts made. The dispatch core offers them in turn like
//! calls; the list lets the agent see what is coming.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{agent_of, AgentState};
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::Problem;
use crate::store::admin::panel;

/// `GET /api/agent/callbacks`.
pub(super) async fn list(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let mut served = HashMap::new();
    for (project, _) in panel::projects(&a.store, user).await? {
        for q in panel::served_queues(&a.store, user, project).await? {
            served.insert(q.id, q.name);
        }
    }
    let requests = a.store.callback_requests().await.map_err(|e| {
        tracing::error!(error = %e, "callback requests not read");
        Problem::new("internal-error", "the database failed")
    })?;
    let open: Vec<Value> = requests
        .into_iter()
        .filter(|r| r.state.is_open())
        .filter_map(|r| {
            let queue = served.get(&r.queue_id)?;
            Some(json!({
                "id": r.id,
                "queue_id": r.queue_id,
                "queue": queue,
                "number": r.caller,
                "requested_at_ms": r.requested_at_ms,
                "state": r.state,
                "attempts": r.attempts,
            }))
        })
        .collect();
    Ok(Json(Value::Array(open)))
}
