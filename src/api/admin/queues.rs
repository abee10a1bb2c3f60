//! The endpoints beneath a queue beyond its assigned agents: the result codes
//! offered for its calls. Like everything under `/queues/{id}`, the guard
//! answers "not found" for a queue the caller cannot see.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::handlers::{id, query_id};
use super::problem::Problem;
use super::AdminState;

/// The result codes an agent sees for a call of the queue, and their source.
pub async fn offered_result_codes(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let id = id(&raw)?;
    // `?user=ID`: whose profiles count when the queue and its profile name none.
    let user = query_id(query.as_deref(), "user")?;
    let offered = crate::store::admin::result_codes::offered(&s.store, id, user).await?;
    Ok(Json(offered).into_response())
}
