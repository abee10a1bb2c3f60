//! The administration API under `/api`: JSON list/get/create/update/delete for
//! projects, statuses, queues, queue groups, result codes, tags, profiles,
//! users, agent groups, pickup groups, trunks, routes and outbound routes; a
//! queue's assigned
//! agents at `/api/queues/{id}/agents` (GET, and PUT of the whole list);
//! users' permissions, extensions and CSV import/export; login sessions;
//! interaction records, their recordings and the log of who listened
//! ([`recordings`]), and the recorded ones a page at a time ([`recorded`]);
//! the wallboard's figures and their WebSocket ([`wallboard`]); the reports
//! ([`reports`]: Call Detail Report, interval report, queue_log); and the
//! OpenAPI document at `/api/openapi.json`.
//!
//! Every request but `POST /api/login` needs the admin token (the
//! `http.admin_token` key, or the token generated at start-up) or a session
//! ([`auth`]), and the Menu permission of its screen; queue data is limited
//! to the caller's queues ([`scope`]). The handlers are thin: the rules live
//! in `store::admin`, and a refusal becomes an RFC 9457 problem ([`problem`]).
//! Creating answers 201 with a `Location`; replacing is `PUT` of the whole
//! item, which may be the item as read with `GET` (its read-only fields
//! unchanged); deleting answers 204. Saved items carry a `warnings` array.

mod announcements;
pub mod auth;
mod callbacks;
mod deliveries;
pub(crate) mod handlers;
mod monitor;
pub mod openapi;
mod outbound;
pub mod problem;
mod queues;
mod recorded;
pub mod recordings;
pub mod registrations;
mod replace;
pub mod reports;
mod resources;
pub mod scope;
pub mod uploads;
mod users;
pub mod voicemail;
pub mod wallboard;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;

use crate::store::admin::queues::QueueRules;
use crate::store::Store;
pub use announcements::queue_rules;
use handlers::Resource;
use problem::Problem;

/// What the admin handlers share.
pub struct AdminState {
    pub store: Store,
    /// The admin token: the superuser's bearer token.
    pub token: String,
    pub queue_rules: QueueRules,
    /// Told of every successful change, so the running server reloads the
    /// configuration into call control and dispatch.
    pub changed: Arc<tokio::sync::Notify>,
    /// The SIP digest realm extensions' credentials are made for.
    pub realm: String,
    /// The limits on password guessing, shared with SIP authentication.
    pub login_guard: Arc<crate::sip::login_guard::LoginGuard>,
    /// The routing snapshot call control uses (reloaded after each change).
    pub routing: Arc<crate::call::RoutingHandle>,
    /// Where the trunks' registrations to their carriers stand.
    pub registrations: Arc<registrations::RegistrationBoard>,
    /// Whether the listener serves HTTPS: the session cookie is then `Secure`.
    pub secure_cookie: bool,
    /// The web origins whose pages may use the session cookie.
    pub origins: crate::api::origin::Origins,
    /// Call control, which callbacks asked for or withdrawn here reach.
    pub calls: Arc<crate::call::Services>,
    /// The outbox worker's counters.
    pub outbox: Arc<crate::outbox::OutboxMetrics>,
    /// Uploaded announcements: where they are stored, and the library they
    /// join.
    pub uploads: Arc<uploads::Uploads>,
}

/// What the OpenAPI document needs of a resource.
#[derive(Debug, Clone, Copy)]
pub struct Described {
    /// The path segment under `/api`.
    pub path: &'static str,
    /// The stored form's schema name (the input's is this plus `Input`).
    pub schema: &'static str,
    /// The fields of the stored form a replace accepts back unchanged.
    pub read_only: &'static [&'static str],
}

impl Described {
    const fn of<R: Resource>() -> Described {
        Described {
            path: R::PATH,
            schema: R::SCHEMA,
            read_only: R::READ_ONLY,
        }
    }
}

/// Routes the five operations of `R`.
fn route<R: Resource>(r: Router<Arc<AdminState>>) -> Router<Arc<AdminState>> {
    r.route(
        &format!("/{}", R::PATH),
        get(handlers::list::<R>).post(handlers::create::<R>),
    )
    .route(
        &format!("/{}/{{id}}", R::PATH),
        get(handlers::get::<R>)
            .put(handlers::update::<R>)
            .delete(handlers::delete::<R>),
    )
}

/// The one list of the resources: it routes them and describes them.
macro_rules! resources {
    ($($r:ident),+ $(,)?) => {
        /// The resources of the API, in the order the document lists them.
        pub const RESOURCES: &[Described] = &[$(Described::of::<resources::$r>()),+];

        fn route_resources(r: Router<Arc<AdminState>>) -> Router<Arc<AdminState>> {
            $(let r = route::<resources::$r>(r);)+
            r
        }
    };
}

resources!(
    Projects,
    Statuses,
    Queues,
    QueueGroups,
    ResultCodes,
    Tags,
    Trunks,
    Routes,
    Menus,
    TimeConditions,
    Blacklist,
    OutboundRoutes,
    Profiles,
    Users,
    AgentGroups,
    PickupGroups,
);

/// The admin router, to be nested under `/api`. `panel` (the agent panel's
/// routes) joins it behind the session guard but outside the configuration
/// reload: an agent's status or result changes no configuration.
pub fn router<S>(state: Arc<AdminState>, panel: Router<Arc<AdminState>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let r = route_resources(Router::new());
    r.route("/queues/check", post(handlers::check::<resources::Queues>))
        .route("/tags/check", post(handlers::check::<resources::Tags>))
        .route(
            "/queues/{id}/agents",
            get(handlers::queue_agents::get).put(handlers::queue_agents::set),
        )
        .route("/outbound-routes/match", get(outbound::match_number))
        .route(
            "/queues/{id}/offered-result-codes",
            get(queues::offered_result_codes),
        )
        .route("/users/{id}/permissions", get(users::permissions))
        .route(
            "/users/{id}/extensions/{sip_username}",
            put(users::set_extension).delete(users::remove_extension),
        )
        .route("/users/import", post(users::import))
        .route("/users/export", get(users::export))
        .route("/permissions", get(users::catalogue))
        .route("/logout", post(auth::logout))
        .route("/session", get(auth::session))
        .route("/openapi.json", get(openapi::serve))
        .route("/interactions", get(recorded::list))
        .route("/interactions/{id}", get(recordings::interaction))
        .route("/interactions/{id}/recording", get(recordings::recording))
        .route("/recording-listens", get(recordings::listens))
        .route(
            "/voicemail-boxes",
            get(voicemail::list).post(voicemail::create),
        )
        .route(
            "/voicemail-boxes/{id}",
            get(voicemail::get)
                .put(voicemail::update)
                .delete(voicemail::delete),
        )
        .route("/voicemail-boxes/{id}/messages", get(voicemail::messages))
        .route("/voicemail-messages/{id}/audio", get(voicemail::audio))
        .route(
            "/voicemail-messages/{id}",
            get(voicemail::message)
                .put(voicemail::heard)
                .delete(voicemail::delete_message),
        )
        .route("/announcements", get(uploads::list).post(uploads::create))
        .route(
            "/announcements/{id}",
            get(uploads::get)
                .put(uploads::update)
                .delete(uploads::delete),
        )
        .route("/announcements/{id}/audio", get(uploads::audio))
        .route("/callbacks", get(callbacks::list).post(callbacks::create))
        .route("/callbacks/{id}", axum::routing::delete(callbacks::cancel))
        .route("/wallboard", get(wallboard::snapshot))
        .route("/wallboard/socket", get(wallboard::socket))
        .route(
            "/supervisor/calls/{call}/monitor",
            get(monitor::get)
                .post(monitor::start)
                .put(monitor::change)
                .delete(monitor::stop),
        )
        .route("/reports/interactions", get(reports::interactions))
        .route(
            "/reports/filter",
            get(reports::saved_filter).put(reports::save_filter),
        )
        .route("/reports/intervals", get(reports::intervals))
        .route("/reports/queue_log", get(reports::queue_log))
        .route(
            "/result-codes/{id}/integration",
            get(deliveries::get_integration).put(deliveries::set_integration),
        )
        .route("/deliveries", get(deliveries::list))
        .route("/deliveries/{id}", get(deliveries::get))
        .route("/deliveries/{id}/retry", post(deliveries::retry))
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
        .merge(panel)
        .layer(middleware::from_fn_with_state(state.clone(), auth::guard))
        // Logging in is the one thing done without a token.
        .route(
            "/login",
            post(auth::login)
                .fallback(|| async { Problem::new("method-not-allowed", "log in with POST") }),
        )
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
