//! The queue endpoints, limited to the queues the caller's permissions
//! include (`queue.all` or `queue.<id>`): other queues are left out of the
//! list and are "not found" one by one. Creating is open to whoever has the
//! queues screen; the new queue's id is not known before.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::auth::Principal;
use super::handlers::{body, created, id};
use super::problem::Problem;
use super::AdminState;
use crate::store::admin::queues::{self, QueueInput};

type Answer = Result<Response, Problem>;

type Who = Extension<Arc<Principal>>;

fn visible(who: &Principal, id: i64) -> Result<(), Problem> {
    if who.sees_queue(id) {
        Ok(())
    } else {
        Err(Problem::new("not-found", "no such queue"))
    }
}

pub async fn list(State(s): State<Arc<AdminState>>, Extension(who): Who) -> Answer {
    let all = queues::list(&s.store).await?;
    let mine: Vec<_> = all.into_iter().filter(|q| who.sees_queue(q.id)).collect();
    Ok(Json(mine).into_response())
}

pub async fn get(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
) -> Answer {
    let id = id(&raw)?;
    visible(&who, id)?;
    Ok(Json(queues::get(&s.store, id).await?).into_response())
}

pub async fn create(State(s): State<Arc<AdminState>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let input: QueueInput = body(&headers, &bytes)?;
    let saved = queues::create(&s.store, &s.queue_rules, input).await?;
    Ok(created("queues", saved.item.id, saved))
}

pub async fn update(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let id = id(&raw)?;
    visible(&who, id)?;
    let input: QueueInput = body(&headers, &bytes)?;
    Ok(Json(queues::update(&s.store, &s.queue_rules, id, input).await?).into_response())
}

pub async fn delete(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
) -> Answer {
    let id = id(&raw)?;
    visible(&who, id)?;
    queues::delete(&s.store, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
