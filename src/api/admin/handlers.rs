//! The HTTP handlers: parse the id and body, keep to the caller's queue
//! scope ([`scope`](super::scope)), call `store::admin`, answer JSON. One set
//! of five handlers (list, get, create, replace, delete) serves every
//! resource; what differs between resources is said once per resource by
//! implementing [`Resource`] (in `resources`).

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth::Principal;
use super::problem::Problem;
use super::replace::replacement;
use super::scope::{check_named, hidden_from, Scoped};
use super::AdminState;
use crate::store::admin::{AdminError, Saved, Warning};

type Answer = Result<Response, Problem>;

type Who = Extension<Arc<Principal>>;

pub(super) use super::problem::json_body as body;

/// One resource of the API: a collection at `/api/{PATH}` and its items at
/// `/api/{PATH}/{id}`, stored by `store::admin`.
pub trait Resource: Send + Sync + 'static {
    /// The path segment under `/api`.
    const PATH: &'static str;
    /// The name of the stored form's schema in the OpenAPI document (the
    /// input's is this plus `Input`).
    const SCHEMA: &'static str;
    /// What an item is called in a "not found".
    const WHAT: &'static str;
    /// The fields of the stored form that the input does not take; a replace
    /// may send them back holding the stored value ([`replacement`]).
    const READ_ONLY: &'static [&'static str];

    type Item: Serialize + Scoped + Send + Sync;
    type Input: DeserializeOwned + Scoped + Send;

    fn id(item: &Self::Item) -> i64;
    fn list(s: &AdminState) -> impl Future<Output = Result<Vec<Self::Item>, AdminError>> + Send;
    fn get(s: &AdminState, id: i64) -> impl Future<Output = Result<Self::Item, AdminError>> + Send;
    fn create(
        s: &AdminState,
        input: Self::Input,
    ) -> impl Future<Output = Result<Saved<Self::Item>, AdminError>> + Send;
    fn update(
        s: &AdminState,
        id: i64,
        input: Self::Input,
    ) -> impl Future<Output = Result<Saved<Self::Item>, AdminError>> + Send;
    fn delete(s: &AdminState, id: i64) -> impl Future<Output = Result<(), AdminError>> + Send;
}

/// A resource whose writes can be tried without saving: the console calls
/// it as the operator types, to show the rules' warnings and field errors
/// before the save.
pub trait Checked: Resource {
    fn check(
        s: &AdminState,
        id: Option<i64>,
        input: Self::Input,
    ) -> impl Future<Output = Result<Vec<Warning>, AdminError>> + Send;
}

/// What `POST /api/{PATH}/check` answers when the input would be saved.
#[derive(Debug, Serialize)]
pub struct CheckAnswer {
    pub warnings: Vec<Warning>,
}

/// An id from the path; anything else is simply not found.
pub(super) fn id(raw: &str) -> Result<i64, Problem> {
    raw.parse()
        .ok()
        .filter(|id: &i64| *id > 0)
        .ok_or_else(|| Problem::new("not-found", "no such item"))
}

/// The integer query parameter `name` (`?name=7`), if given; anything but
/// an integer is a 400 problem naming it.
pub(crate) fn query_id(query: Option<&str>, name: &str) -> Result<Option<i64>, Problem> {
    let prefix = format!("{name}=");
    let Some(value) = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix(prefix.as_str()))
    else {
        return Ok(None);
    };
    value.parse::<i64>().map(Some).map_err(|_| {
        Problem::new("malformed-request", format!("{name} must be an id")).with_errors(vec![
            crate::store::admin::FieldError {
                field: name.into(),
                message: "must be an integer".into(),
            },
        ])
    })
}

pub(super) fn created<T: Serialize>(base: &str, id: i64, saved: Saved<T>) -> Response {
    let location = format!("/api/{base}/{id}");
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(saved),
    )
        .into_response()
}

/// The stored item `id`, when `who` may see it; otherwise not found.
async fn stored<R: Resource>(s: &AdminState, who: &Principal, id: i64) -> Result<R::Item, Problem> {
    let item = R::get(s, id).await?;
    if item.visible_to(who) {
        Ok(item)
    } else {
        Err(Problem::new("not-found", format!("no such {}", R::WHAT)))
    }
}

/// `GET /api/{PATH}`: the items the caller may see.
pub async fn list<R: Resource>(State(s): State<Arc<AdminState>>, Extension(who): Who) -> Answer {
    let items: Vec<R::Item> = R::list(&s)
        .await?
        .into_iter()
        .filter(|item| item.visible_to(&who))
        .map(|mut item| {
            item.limit_to(&who);
            item
        })
        .collect();
    Ok(Json(items).into_response())
}

/// `GET /api/{PATH}/{id}`.
pub async fn get<R: Resource>(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
) -> Answer {
    let mut item = stored::<R>(&s, &who, id(&raw)?).await?;
    item.limit_to(&who);
    Ok(Json(item).into_response())
}

/// `POST /api/{PATH}`: 201 with the item and its `Location`.
pub async fn create<R: Resource>(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let input: R::Input = body(&headers, &bytes)?;
    check_named(&who, &input, &[])?;
    let mut saved = R::create(&s, input).await?;
    saved.item.limit_to(&who);
    Ok(created(R::PATH, R::id(&saved.item), saved))
}

/// The input replacing item `id` with the body: the item as `who` reads it
/// may be sent back, and what `who` cannot see of it is kept.
async fn replacing<R: Resource>(
    s: &AdminState,
    who: &Principal,
    id: i64,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<R::Input, Problem> {
    let stored = stored::<R>(s, who, id).await?;
    let hidden = hidden_from(who, &stored);
    let kept: Vec<i64> = stored.named_queues().into_iter().map(|(_, q)| q).collect();
    let mut seen = stored;
    seen.limit_to(who);
    let seen = serde_json::to_value(&seen).map_err(|e| {
        tracing::error!(error = %e, "an item that cannot be shown");
        Problem::new("internal-error", "the stored item cannot be shown")
    })?;
    let mut input: R::Input = replacement(headers, bytes, R::READ_ONLY, &seen)?;
    input.keep_hidden(&hidden);
    check_named(who, &input, &kept)?;
    Ok(input)
}

/// `PUT /api/{PATH}/{id}`: replaces the whole item with the body, which may
/// be the item as read, changed.
pub async fn update<R: Resource>(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let id = id(&raw)?;
    let input = replacing::<R>(&s, &who, id, &headers, &bytes).await?;
    let mut saved = R::update(&s, id, input).await?;
    saved.item.limit_to(&who);
    Ok(Json(saved).into_response())
}

/// `DELETE /api/{PATH}/{id}`: 204.
pub async fn delete<R: Resource>(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    Path(raw): Path<String>,
) -> Answer {
    let id = id(&raw)?;
    stored::<R>(&s, &who, id).await?;
    R::delete(&s, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/{PATH}/check[?id=N]`: what a create (or the replace of item
/// `N`) of the body would answer, without saving it: 200 with the warnings,
/// or the problem the write would get. The body is read as the write reads
/// it, so the form may send the item as read.
pub async fn check<R: Checked>(
    State(s): State<Arc<AdminState>>,
    Extension(who): Who,
    uri: axum::http::Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let id = query_id(uri.query(), "id")?;
    let input = match id {
        None => {
            let input: R::Input = body(&headers, &bytes)?;
            check_named(&who, &input, &[])?;
            input
        }
        Some(id) => replacing::<R>(&s, &who, id, &headers, &bytes).await?,
    };
    let warnings = R::check(&s, id, input).await?;
    Ok(Json(CheckAnswer { warnings }).into_response())
}

/// A queue's assigned agents, read and replaced as one list. The guard keeps
/// a queue the caller cannot see out of reach (`scope::queue_in_path`).
pub mod queue_agents {
    use super::*;
    use crate::store::admin::queue_agents::{self as store, Assignment};

    pub async fn get(State(s): State<Arc<AdminState>>, Path(raw): Path<String>) -> Answer {
        Ok(Json(store::get(&s.store, id(&raw)?).await?).into_response())
    }

    pub async fn set(
        State(s): State<Arc<AdminState>>,
        Path(raw): Path<String>,
        headers: HeaderMap,
        bytes: Bytes,
    ) -> Answer {
        let id = id(&raw)?;
        let agents: Vec<Assignment> = body(&headers, &bytes)?;
        Ok(Json(store::set(&s.store, id, agents).await?).into_response())
    }
}
