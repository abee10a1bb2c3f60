//! The administration API under `/api`: JSON list/get/create/update/delete for
//! projects, statuses, queues, queue groups, result codes, tags, trunks and
//! routes; a queue's assigned agents at `/api/queues/{id}/agents` (GET, and
//! PUT of the whole list); and the OpenAPI document at `/api/openapi.json`.
//!
//! Every request needs `Authorization: Bearer <token>` (the `http.admin_token`
//! key, or the token generated at start-up); sessions and per-user permissions
//! replace this guard later. The handlers are thin: the rules live in
//! `store::admin`, and a refusal becomes an RFC 9457 problem ([`problem`]).
//! Creating answers 201 with a `Location`; replacing is `PUT` of the whole item;
//! deleting answers 204. Saved items carry a `warnings` array.

mod announcements;
mod handlers;
pub mod openapi;
pub mod problem;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::store::admin::queues::QueueRules;
use crate::store::Store;
pub use announcements::queue_rules;
use problem::Problem;

/// What the admin handlers share.
pub struct AdminState {
    pub store: Store,
    /// The bearer token every request must carry.
    pub token: String,
    pub queue_rules: QueueRules,
    /// Told of every successful change, so the running server reloads the
    /// configuration into call control and dispatch.
    pub changed: Arc<tokio::sync::Notify>,
}

/// The resources of the API, by path segment, in the order the document lists them.
pub const RESOURCES: &[&str] = &[
    "projects",
    "statuses",
    "queues",
    "queue-groups",
    "result-codes",
    "tags",
    "trunks",
    "routes",
];

macro_rules! resource {
    ($router:expr, $path:literal, $m:ident) => {
        $router
            .route(
                concat!("/", $path),
                get(handlers::$m::list).post(handlers::$m::create),
            )
            .route(
                concat!("/", $path, "/{id}"),
                get(handlers::$m::get)
                    .put(handlers::$m::update)
                    .delete(handlers::$m::delete),
            )
    };
}

/// The admin router, to be nested under `/api`.
pub fn router<S>(state: Arc<AdminState>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let r = Router::new();
    let r = resource!(r, "projects", projects);
    let r = resource!(r, "statuses", statuses);
    let r = resource!(r, "queues", queues);
    let r = resource!(r, "queue-groups", queue_groups);
    let r = resource!(r, "result-codes", result_codes);
    let r = resource!(r, "tags", tags);
    let r = resource!(r, "trunks", trunks);
    let r = resource!(r, "routes", routes);
    r.route(
        "/queues/{id}/agents",
        get(handlers::queue_agents::get).put(handlers::queue_agents::set),
    )
    .route("/openapi.json", get(openapi::serve))
    .fallback(|| async { Problem::new("not-found", "no such resource") })
    .method_not_allowed_fallback(|| async {
        Problem::new(
            "method-not-allowed",
            "see /api/openapi.json for the methods",
        )
    })
    .layer(middleware::from_fn_with_state(
        state.clone(),
        reload_on_change,
    ))
    .layer(middleware::from_fn_with_state(state.clone(), guard))
    .with_state(state)
}

/// After a write that succeeded, has the running server pick the change up.
async fn reload_on_change(
    State(state): State<Arc<AdminState>>,
    request: Request,
    next: Next,
) -> Response {
    let write = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let response = next.run(request).await;
    if write && response.status().is_success() {
        state.changed.notify_one();
    }
    response
}

/// Refuses requests without the admin bearer token.
async fn guard(State(state): State<Arc<AdminState>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(token) if same(token.as_bytes(), state.token.as_bytes()) => next.run(request).await,
        _ => {
            let mut response = axum::response::IntoResponse::into_response(Problem::new(
                "unauthorized",
                "send Authorization: Bearer <admin token>",
            ));
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            response
        }
    }
}

/// Compares in time that does not depend on where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || b.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A random token for when the configuration names none.
pub fn generate_token() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abd", b"abc"));
        assert!(!same(b"ab", b"abc"));
        assert!(!same(b"", b""));
        assert_eq!(generate_token().len(), 40);
    }
}
