//! Callback requests over the admin API, for supervisors
//! (`menu.supervisor_panel`):
//!
//! - `GET /api/callbacks[?queue_id=ID][&open=true]`: the requests of the
//!   queues the caller sees, oldest first (each with its state, attempts and
//!   result);
//! - `POST /api/callbacks` `{queue_id, number}`: asks for a callback of a
//!   number in a queue; it joins the queue at the back at once (201);
//! - `DELETE /api/callbacks/{id}`: withdraws an open request (200 with the
//!   request as it now stands; 409 once it is over).
//!
//! Callback requests are queue data ([`super::scope`]): one of a queue the
//! caller cannot see is not found.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::auth::Principal;
use super::handlers::{body, id, query_id};
use super::problem::Problem;
use super::AdminState;
use crate::store::admin::{AdminError, FieldError};
use crate::store::callbacks::{CallbackInput, CallbackRequest};
use crate::store::StoreError;

/// The permission that reads and manages callback requests.
pub const SUPERVISE: &str = "menu.supervisor_panel";

fn store_failed(e: StoreError) -> Problem {
    tracing::error!(error = %e, "admin API store failure");
    Problem::new("internal-error", "the database failed")
}

fn allowed(who: &Principal) -> Result<(), Problem> {
    if who.has(SUPERVISE) {
        Ok(())
    } else {
        Err(Problem::new(
            "forbidden",
            format!("this needs the permission {SUPERVISE}"),
        ))
    }
}

/// `GET /api/callbacks`.
pub async fn list(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    allowed(&who)?;
    let queue = query_id(query.as_deref(), "queue_id")?;
    let open_only = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|pair| pair == "open=true");
    let all = s.store.callback_requests().await.map_err(store_failed)?;
    let shown: Vec<CallbackRequest> = all
        .into_iter()
        .filter(|r| who.sees_queue(r.queue_id))
        .filter(|r| queue.is_none_or(|q| q == r.queue_id))
        .filter(|r| !open_only || r.state.is_open())
        .collect();
    Ok(Json(shown).into_response())
}

/// `POST /api/callbacks`.
pub async fn create(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    allowed(&who)?;
    let input: CallbackInput = body(&headers, &bytes)?;
    if !who.sees_queue(input.queue_id) {
        let unseen = FieldError {
            field: "queue_id".into(),
            message: "no such queue".into(),
        };
        return Err(AdminError::Invalid(vec![unseen]).into());
    }
    let request = s.store.create_callback(input).await?;
    crate::call::callback_call::queue(&s.calls, &request).await;
    tracing::info!(
        request = request.id,
        queue = request.queue_id,
        "callback asked for"
    );
    let location = format!("/api/callbacks/{}", request.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(request),
    )
        .into_response())
}

/// `DELETE /api/callbacks/{id}`.
pub async fn cancel(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    allowed(&who)?;
    let id = id(&raw)?;
    let not_found = || Problem::new("not-found", "no such callback request");
    let stored = s
        .store
        .callback_request(id)
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    if !who.sees_queue(stored.queue_id) {
        return Err(not_found());
    }
    let request = s.store.cancel_callback(id).await?;
    if let Some(call) = request.call() {
        crate::call::callback_call::cancel(&s.calls, call).await;
    }
    tracing::info!(request = id, "callback request cancelled");
    Ok(Json(request).into_response())
}
