//! The list behind the recordings page:
//! `GET /api/interactions?has_recording=true&limit=&offset=`.
//!
//! It lists the interaction records that have a recording, newest first, a
//! page at a time, for a caller with the permission to play recordings
//! (`other.recordings`), scoped like every interaction to the queues the
//! caller may see (`queue.all`, or `queue.<id>` for each). Each item holds
//! the record's fields the page shows ([`SHOWN`], finish_interaction names)
//! with `QueueName`, `AgentName` and `RecordingUrl` (the download, whose
//! every use is logged). The answer
//! says how many there are in all (`total`), for paging.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::auth::Principal;
use super::handlers::query_id;
use super::problem::Problem;
use super::recordings::LISTEN;
use super::AdminState;
use crate::store::admin::permissions::queue_of;
use crate::store::admin::{AdminError, FieldError};
use crate::store::{QueueScope, Recorded, MAX_PAGE};

/// A page's length when the caller names none.
pub const DEFAULT_PAGE: i64 = 50;

fn invalid(field: &str, message: &str) -> Problem {
    Problem::from(AdminError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }]))
}

/// The query's `has_recording`, which must be `true` (the only listing there
/// is), and its `limit` and `offset`.
fn paging(query: Option<&str>) -> Result<(i64, i64), Problem> {
    let recorded = query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair == "has_recording=true");
    if !recorded {
        return Err(invalid(
            "has_recording",
            "only recorded interactions are listed: has_recording=true",
        ));
    }
    let limit = query_id(query, "limit")?.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(invalid("limit", "from 1 to 200"));
    }
    let offset = query_id(query, "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(invalid("offset", "0 or more"));
    }
    Ok((limit, offset))
}

/// The queues `who` may see, for the store's filter.
pub(super) fn scope_of(who: &Principal) -> (bool, Vec<i64>) {
    match who {
        Principal::Superuser => (true, Vec::new()),
        Principal::User { session, .. } if session.permissions.has("queue.all") => {
            (true, Vec::new())
        }
        Principal::User { session, .. } => (
            false,
            session
                .permissions
                .permissions
                .iter()
                .filter_map(|g| queue_of(&g.key))
                .collect(),
        ),
    }
}

/// The record's fields the page shows (finish_interaction names).
pub const SHOWN: &[&str] = &[
    "InteractionID",
    "Direction",
    "InitMoment",
    "Queue",
    "Agent",
    "RemoteNumber",
    "LocalNumber",
    "CallDuration",
    "ConnectedLength",
];

fn item(r: Recorded) -> Value {
    let id = r.stored.record.interaction_id.0;
    let record = serde_json::to_value(&r.stored.record).unwrap_or(Value::Null);
    let mut out = serde_json::Map::new();
    for key in SHOWN {
        out.insert((*key).to_owned(), record[*key].clone());
    }
    out.insert("QueueName".into(), json!(r.queue_name));
    out.insert("AgentName".into(), json!(r.agent_name));
    out.insert(
        "RecordingUrl".into(),
        json!(format!("/api/interactions/{id}/recording")),
    );
    Value::Object(out)
}

/// `GET /api/interactions`.
pub async fn list(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    if !who.has(LISTEN) {
        return Err(Problem::new(
            "forbidden",
            format!("this needs the permission {LISTEN}"),
        ));
    }
    let (limit, offset) = paging(query.as_deref())?;
    let (all, queues) = scope_of(&who);
    let scope = if all {
        QueueScope::All
    } else {
        QueueScope::Only(&queues)
    };
    let page = s
        .store
        .recorded_interactions(scope, limit, offset)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "admin API store failure");
            Problem::new("internal-error", "the database failed")
        })?;
    let items: Vec<Value> = page.items.into_iter().map(item).collect();
    Ok(Json(json!({
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "items": items,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_needs_has_recording_and_keeps_limits() {
        assert_eq!(
            paging(Some("has_recording=true")).unwrap(),
            (DEFAULT_PAGE, 0)
        );
        assert_eq!(
            paging(Some("limit=10&has_recording=true&offset=20")).unwrap(),
            (10, 20)
        );
        for bad in [
            None,
            Some("has_recording=false"),
            Some("has_recording=true&limit=0"),
            Some("has_recording=true&limit=201"),
            Some("has_recording=true&offset=-1"),
            Some("has_recording=true&limit=ten"),
        ] {
            assert!(paging(bad).is_err(), "{bad:?}");
        }
    }
}
