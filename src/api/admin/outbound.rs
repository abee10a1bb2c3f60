//! `GET /api/outbound-routes/match`: how the running server would route a
//! number a project dials, so an administrator can try the dial plan before
//! an agent does. It asks the same in-memory routing snapshot call control
//! uses, so it shows a change once the server has reloaded it (right after
//! the write that made it). With `user_id`, the user's Dial Plan permission
//! in the project is applied as for their calls.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::problem::Problem;
use super::AdminState;
use crate::acd::{ProjectId, QueueId};
use crate::call::outbound::{may_dial, NoRoute};
use crate::store::admin::permissions;
use crate::store::admin::{AdminError, FieldError};

/// The query of a match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchQuery {
    project_id: i64,
    number: String,
    #[serde(default)]
    queue_id: Option<i64>,
    #[serde(default)]
    user_id: Option<i64>,
}

/// What a match found.
#[derive(Debug, Serialize)]
pub struct Matched {
    /// `routed`, `no_route` (no route of the project takes the number) or
    /// `not_allowed` (routes do, but the user may use none of them).
    pub outcome: &'static str,
    pub route_id: Option<i64>,
    pub trunk_id: Option<i64>,
    pub request_uri_user: Option<String>,
    pub caller_id: Option<String>,
}

pub async fn match_number(State(s): State<Arc<AdminState>>, uri: Uri) -> Result<Response, Problem> {
    let Query(q) = Query::<MatchQuery>::try_from_uri(&uri).map_err(|e| {
        Problem::new("malformed-request", e.body_text()).with_errors(vec![FieldError {
            field: "query".into(),
            message: "project_id and number are required; project_id, queue_id and \
                      user_id are integers"
                .into(),
        }])
    })?;
    let project = u64::try_from(q.project_id)
        .ok()
        .filter(|p| *p > 0)
        .ok_or(AdminError::NotFound("project"))?;
    let user = match q.user_id {
        Some(id) => Some(permissions::of_user(&s.store, id, Some(q.project_id)).await?),
        None => None,
    };
    let routing = s.routing.get();
    let queue = q
        .queue_id
        .and_then(|id| u64::try_from(id).ok())
        .map(QueueId);
    let found = routing
        .outbound()
        .route_for(ProjectId(project), &q.number, queue, |route| {
            user.as_ref().is_none_or(|u| may_dial(u, route))
        });
    let matched = match found {
        Ok(dial) => Matched {
            outcome: "routed",
            route_id: Some(dial.route),
            trunk_id: Some(dial.trunk),
            request_uri_user: Some(dial.request_uri_user),
            caller_id: dial.caller_id,
        },
        Err(NoRoute::NotANumber(_)) => {
            return Err(AdminError::Invalid(vec![FieldError {
                field: "number".into(),
                message: "must be 1 to 64 digits, +, * or #".into(),
            }])
            .into())
        }
        Err(e) => Matched {
            outcome: match e {
                NoRoute::NotAllowed(_) => "not_allowed",
                _ => "no_route",
            },
            route_id: None,
            trunk_id: None,
            request_uri_user: None,
            caller_id: None,
        },
    };
    Ok(Json(matched).into_response())
}
