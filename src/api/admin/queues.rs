//! The endpoints of queues and of what names queues (queue groups, tags),
//! limited to the queues the caller's permissions include (`queue.all` or
//! `queue.<id>`). Other queues are left out of the list and are "not found"
//! one by one; a queue group or tag naming a queue the caller cannot see is
//! treated the same way, so a replace never silently drops a hidden queue,
//! and naming a hidden queue in a write is refused as naming no queue.
//! Creating a queue is open to whoever has the queues screen; the new queue's
//! id is not known before.

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
use crate::store::admin::queue_groups::{QueueGroup, QueueGroupInput};
use crate::store::admin::queues::{self, QueueInput};
use crate::store::admin::tags::{Tag, TagInput};
use crate::store::admin::{AdminError, FieldError};

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

/// The result codes an agent sees for a call of the queue, and their source.
pub async fn offered_result_codes(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Answer {
    let id = id(&raw)?;
    visible(&who, id)?;
    // `?user=ID`: whose profiles count when the queue and its profile name none.
    let user = super::handlers::query_id(query.as_deref(), "user")?;
    let offered = crate::store::admin::result_codes::offered(&s.store, id, user).await?;
    Ok(Json(offered).into_response())
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

/// What names queues.
trait NamesQueues {
    fn queue_ids(&self) -> &[i64];
}

macro_rules! names_queues {
    ($($t:ty),+) => {
        $(impl NamesQueues for $t {
            fn queue_ids(&self) -> &[i64] {
                &self.queues
            }
        })+
    };
}
names_queues!(QueueGroup, QueueGroupInput, Tag, TagInput);

fn sees_all(who: &Principal, ids: &[i64]) -> bool {
    who.sees_every_queue() || ids.iter().all(|q| who.sees_queue(*q))
}

/// Refuses an input naming queues the caller cannot see, as if they did not exist.
fn check_named(who: &Principal, ids: &[i64]) -> Result<(), Problem> {
    let errors: Vec<FieldError> = ids
        .iter()
        .enumerate()
        .filter(|(_, q)| !who.sees_queue(**q))
        .map(|(i, _)| FieldError {
            field: format!("queues[{i}]"),
            message: "no such queue".into(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AdminError::Invalid(errors).into())
    }
}

/// The five handlers of a resource whose items name queues.
macro_rules! naming_queues {
    ($m:ident, $base:literal, $input:ty, $what:literal) => {
        pub mod $m {
            use super::*;
            use crate::store::admin::$m as store;

            /// Not found unless the caller sees every queue the item names.
            async fn visible(s: &AdminState, who: &Principal, id: i64) -> Result<(), Problem> {
                if who.sees_every_queue() {
                    return Ok(());
                }
                let item = store::get(&s.store, id).await?;
                if sees_all(who, item.queue_ids()) {
                    Ok(())
                } else {
                    Err(Problem::new("not-found", concat!("no such ", $what)))
                }
            }

            pub async fn list(State(s): State<Arc<AdminState>>, Extension(who): Who) -> Answer {
                let all = store::list(&s.store).await?;
                let mine: Vec<_> = all
                    .into_iter()
                    .filter(|x| sees_all(&who, x.queue_ids()))
                    .collect();
                Ok(Json(mine).into_response())
            }

            pub async fn get(
                State(s): State<Arc<AdminState>>,
                Extension(who): Who,
                Path(raw): Path<String>,
            ) -> Answer {
                let id = id(&raw)?;
                let item = store::get(&s.store, id).await?;
                if !sees_all(&who, item.queue_ids()) {
                    return Err(Problem::new("not-found", concat!("no such ", $what)));
                }
                Ok(Json(item).into_response())
            }

            pub async fn create(
                State(s): State<Arc<AdminState>>,
                Extension(who): Who,
                headers: HeaderMap,
                bytes: Bytes,
            ) -> Answer {
                let input: $input = body(&headers, &bytes)?;
                check_named(&who, input.queue_ids())?;
                let saved = store::create(&s.store, input).await?;
                Ok(created($base, saved.item.id, saved))
            }

            pub async fn update(
                State(s): State<Arc<AdminState>>,
                Extension(who): Who,
                Path(raw): Path<String>,
                headers: HeaderMap,
                bytes: Bytes,
            ) -> Answer {
                let id = id(&raw)?;
                visible(&s, &who, id).await?;
                let input: $input = body(&headers, &bytes)?;
                check_named(&who, input.queue_ids())?;
                Ok(Json(store::update(&s.store, id, input).await?).into_response())
            }

            pub async fn delete(
                State(s): State<Arc<AdminState>>,
                Extension(who): Who,
                Path(raw): Path<String>,
            ) -> Answer {
                let id = id(&raw)?;
                visible(&s, &who, id).await?;
                store::delete(&s.store, id).await?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
        }
    };
}

naming_queues!(queue_groups, "queue-groups", QueueGroupInput, "queue group");
naming_queues!(tags, "tags", TagInput, "tag");
