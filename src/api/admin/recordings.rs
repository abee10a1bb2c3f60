//! Interactions and their recordings over the admin API.
//!
//! - `GET /api/interactions/{id}`: the interaction record (the
//!   finish_interaction field names, `RecordingFile` among them), for a
//!   caller with the reports screen (`menu.reports`);
//! - `GET /api/interactions/{id}/recording`: the call's recording as
//!   `audio/wav`, streamed from the file, for a caller with the permission to
//!   play recordings (`other.recordings`); each one is logged before the
//!   first byte goes out;
//! - `GET /api/recording-listens[?interaction=ID]`: that log, newest first,
//!   for the reports screen of one who sees every queue (`queue.all`; the
//!   admin token does).
//!
//! Interactions are queue data ([`super::scope`]): one in a queue the caller
//! cannot see is not found, as is one that names no queue unless the caller
//! sees every queue. A missing permission is 403; an interaction without a
//! recording, or whose file is gone, is 404.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::auth::Principal;
use super::handlers::{id, query_id};
use super::problem::Problem;
use super::AdminState;
use crate::cdr::InteractionId;
use crate::store::{StoreError, StoredInteraction};

/// The permission that plays and downloads recordings.
pub const LISTEN: &str = "other.recordings";
/// The permission that reads interaction records and the listening log.
pub const REPORTS: &str = "menu.reports";

fn store_failed(e: StoreError) -> Problem {
    tracing::error!(error = %e, "admin API store failure");
    Problem::new("internal-error", "the database failed")
}

fn forbidden(key: &str) -> Problem {
    Problem::new("forbidden", format!("this needs the permission {key}"))
}

/// The interaction `raw` names, when `who` may see its queue.
async fn visible(s: &AdminState, who: &Principal, raw: &str) -> Result<StoredInteraction, Problem> {
    let id = id(raw)?;
    let not_found = || Problem::new("not-found", "no such interaction");
    let stored = s
        .store
        .interaction(InteractionId(id as u64))
        .await
        .map_err(store_failed)?
        .ok_or_else(not_found)?;
    let seen = match stored.record.queue {
        Some(q) => who.sees_queue(q.0 as i64),
        None => who.has("queue.all"),
    };
    if seen {
        Ok(stored)
    } else {
        Err(not_found())
    }
}

/// `GET /api/interactions/{id}`.
pub async fn interaction(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    if !who.has(REPORTS) {
        return Err(forbidden(REPORTS));
    }
    let stored = visible(&s, &who, &raw).await?;
    Ok(Json(stored.record).into_response())
}

/// `GET /api/interactions/{id}/recording`.
pub async fn recording(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    if !who.has(LISTEN) {
        return Err(forbidden(LISTEN));
    }
    let stored = visible(&s, &who, &raw).await?;
    let id = stored.record.interaction_id;
    let none = || Problem::new("not-found", "the interaction has no recording");
    let path = stored.record.recording_file.ok_or_else(none)?;
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(%path, "a recorded interaction's file is gone");
            return Err(none());
        }
        Err(e) => {
            tracing::error!(%path, error = %e, "recording not readable");
            return Err(Problem::new(
                "internal-error",
                "the recording could not be read",
            ));
        }
    };
    let length = file.metadata().await.ok().map(|m| m.len());
    let (user_id, username) = match who.as_ref() {
        Principal::Superuser => (None, "admin".to_owned()),
        Principal::User { session, .. } => (Some(session.user_id), session.username.clone()),
    };
    s.store
        .log_recording_listen(id, user_id, &username, crate::store::admin::now_ms())
        .await
        .map_err(store_failed)?;
    tracing::info!(interaction = id.0, %username, "recording played or downloaded");
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, "audio/wav")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"interaction-{}.wav\"", id.0),
        )
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(n) = length {
        response = response.header(header::CONTENT_LENGTH, n);
    }
    response
        .body(Body::from_stream(chunks(file)))
        .map_err(|_| Problem::new("internal-error", "the answer could not be formed"))
}

/// The file in 64 KiB pieces, read as the client takes them.
fn chunks(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send {
    futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// `GET /api/recording-listens`.
pub async fn listens(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    // The log spans every queue: only who sees them all reads it.
    for key in [REPORTS, "queue.all"] {
        if !who.has(key) {
            return Err(forbidden(key));
        }
    }
    let interaction = query_id(query.as_deref(), "interaction")?;
    let all = s
        .store
        .recording_listens(interaction.map(|i| InteractionId(i as u64)))
        .await
        .map_err(store_failed)?;
    Ok(Json(all).into_response())
}
