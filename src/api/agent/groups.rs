//! Queue groups at panel login: the agent may choose queue groups instead of
//! (or beside) single queues, and then serves the queues of the chosen
//! groups that they are assigned to, plus their mandatory queues and any
//! queue they ticked. `GET /api/agent/projects/{id}/queue-groups` lists the
//! groups worth offering: those holding at least one queue of the project
//! the agent serves, each with those queues only.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{agent_of, path_id, AgentState};
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::Problem;
use crate::store::admin::panel::{self, ServedQueue};
use crate::store::admin::{queue_groups, AdminError, FieldError};
use crate::store::Store;

/// A queue group as the panel offers it: its id, name, and the queues of
/// it that the agent serves, in the group's order.
pub(super) struct Offered {
    pub id: i64,
    pub name: String,
    pub queues: Vec<i64>,
}

/// The queue groups to offer an agent who serves `served`.
pub(super) async fn offered(
    store: &Store,
    served: &[ServedQueue],
) -> Result<Vec<Offered>, AdminError> {
    Ok(queue_groups::list(store)
        .await?
        .into_iter()
        .map(|g| Offered {
            id: g.id,
            name: g.name,
            queues: g
                .queues
                .into_iter()
                .filter(|q| served.iter().any(|s| s.id == *q))
                .collect(),
        })
        .filter(|g| !g.queues.is_empty())
        .collect())
}

/// The queues the chosen `groups` add, or which of them are not offered
/// (422 naming `queue_groups[i]`).
pub(super) async fn chosen_queues(
    store: &Store,
    served: &[ServedQueue],
    groups: &[i64],
) -> Result<Vec<i64>, AdminError> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let offered = offered(store, served).await?;
    let mut queues = Vec::new();
    let mut errors = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        match offered.iter().find(|o| o.id == *g) {
            Some(o) => queues.extend_from_slice(&o.queues),
            None => errors.push(FieldError {
                field: format!("queue_groups[{i}]"),
                message: "not a queue group with a queue of this project that you serve".into(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(AdminError::Invalid(errors));
    }
    Ok(queues)
}

/// `GET /api/agent/projects/{id}/queue-groups`.
pub(super) async fn list(
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
    let served = panel::served_queues(&a.store, user, project).await?;
    let groups: Vec<Value> = offered(&a.store, &served)
        .await?
        .into_iter()
        .map(|g| json!({"id": g.id, "name": g.name, "queues": g.queues}))
        .collect();
    Ok(Json(Value::Array(groups)))
}
