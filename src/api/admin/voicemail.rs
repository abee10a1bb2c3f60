//! Voicemail boxes and their messages over the API.
//!
//! - `GET /api/voicemail-boxes`: the boxes the caller sees;
//!   `POST` creates one, `GET`/`PUT`/`DELETE /api/voicemail-boxes/{id}`
//!   read, replace and delete one (a box a queue exits to cannot be
//!   deleted: 409);
//! - `GET /api/voicemail-boxes/{id}/messages`: its messages, newest first;
//! - `GET /api/voicemail-messages/{id}`: one message; `PUT` with
//!   `{"heard": true}` marks it heard (or not); `DELETE` deletes it and its
//!   file;
//! - `GET /api/voicemail-messages/{id}/audio`: the message, `audio/wav`
//!   (mono, PCM 16-bit, 8 kHz).
//!
//! Who sees a box: a user sees their own box and the boxes of the queues
//! they serve (the queue's agents); whoever sees every queue (`queue.all`,
//! the admin token) sees all, and only they create, change or delete boxes.
//! A box the caller does not see is not found, and so are its messages.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::auth::Principal;
use super::handlers::id;
use super::problem::{json_body, Problem};
use super::replace::replacement;
use super::AdminState;
use crate::store::voicemail::{VoicemailBox, VoicemailBoxInput, VoicemailMessage};
use crate::store::StoreError;

/// The permission that sees and manages every box.
pub const ALL: &str = "queue.all";

fn store_failed(e: StoreError) -> Problem {
    tracing::error!(error = %e, "voicemail store failure");
    Problem::new("internal-error", "the database failed")
}

fn no_box() -> Problem {
    Problem::new("not-found", "no such voicemail box")
}

fn no_message() -> Problem {
    Problem::new("not-found", "no such voicemail message")
}

fn admin_only(who: &Principal) -> Result<(), Problem> {
    if who.has(ALL) {
        Ok(())
    } else {
        Err(Problem::new(
            "forbidden",
            format!("this needs the permission {ALL}"),
        ))
    }
}

/// Whether `who` may see box `b`.
async fn sees(s: &AdminState, who: &Principal, b: &VoicemailBox) -> Result<bool, Problem> {
    match who {
        _ if who.has(ALL) => Ok(true),
        Principal::Superuser => Ok(true),
        Principal::User { session, .. } => s
            .store
            .voicemail_visible(b, session.user_id)
            .await
            .map_err(store_failed),
    }
}

/// Box `raw`, when `who` sees it.
async fn visible_box(s: &AdminState, who: &Principal, raw: &str) -> Result<VoicemailBox, Problem> {
    let b = s
        .store
        .voicemail_box(id(raw).map_err(|_| no_box())?)
        .await
        .map_err(store_failed)?
        .ok_or_else(no_box)?;
    if sees(s, who, &b).await? {
        Ok(b)
    } else {
        Err(no_box())
    }
}

/// Message `raw`, when `who` sees its box.
async fn visible_message(
    s: &AdminState,
    who: &Principal,
    raw: &str,
) -> Result<VoicemailMessage, Problem> {
    let m = s
        .store
        .voicemail_message(id(raw).map_err(|_| no_message())?)
        .await
        .map_err(store_failed)?
        .ok_or_else(no_message)?;
    let b = s
        .store
        .voicemail_box(m.box_id)
        .await
        .map_err(store_failed)?
        .ok_or_else(no_message)?;
    if sees(s, who, &b).await? {
        Ok(m)
    } else {
        Err(no_message())
    }
}

/// `GET /api/voicemail-boxes`.
pub async fn list(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
) -> Result<Response, Problem> {
    let boxes = match who.as_ref() {
        _ if who.has(ALL) => s.store.voicemail_boxes().await,
        Principal::Superuser => s.store.voicemail_boxes().await,
        Principal::User { session, .. } => s.store.voicemail_boxes_of(session.user_id).await,
    }
    .map_err(store_failed)?;
    Ok(Json(boxes).into_response())
}

/// `POST /api/voicemail-boxes`.
pub async fn create(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    admin_only(&who)?;
    let input: VoicemailBoxInput = json_body(&headers, &bytes)?;
    let saved = s.store.save_voicemail_box(None, input).await?;
    let location = format!("/api/voicemail-boxes/{}", saved.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(saved),
    )
        .into_response())
}

/// `GET /api/voicemail-boxes/{id}`.
pub async fn get(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    Ok(Json(visible_box(&s, &who, &raw).await?).into_response())
}

/// The fields of a box that a replace does not take.
pub const READ_ONLY: &[&str] = &["id"];

/// `PUT /api/voicemail-boxes/{id}`: the box as `GET` shows it may be sent
/// back, changed (its `id` must be the path's).
pub async fn update(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    admin_only(&who)?;
    let stored = visible_box(&s, &who, &raw).await?;
    let held = serde_json::to_value(&stored).unwrap_or_default();
    let input: VoicemailBoxInput = replacement(&headers, &bytes, READ_ONLY, &held)?;
    let saved = s.store.save_voicemail_box(Some(stored.id), input).await?;
    Ok(Json(saved).into_response())
}

/// `DELETE /api/voicemail-boxes/{id}`.
pub async fn delete(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    admin_only(&who)?;
    let box_id = id(&raw).map_err(|_| no_box())?;
    let files = s.store.delete_voicemail_box(box_id).await?;
    for file in files {
        remove(&file).await;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/voicemail-boxes/{id}/messages`.
pub async fn messages(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let b = visible_box(&s, &who, &raw).await?;
    let all = s
        .store
        .voicemail_messages(b.id)
        .await
        .map_err(store_failed)?;
    Ok(Json(all).into_response())
}

/// `GET /api/voicemail-messages/{id}/audio`.
pub async fn audio(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let m = visible_message(&s, &who, &raw).await?;
    let gone = || Problem::new("not-found", "the message's file is gone");
    let bytes = match tokio::fs::read(&m.file).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(file = %m.file, "a voicemail message's file is gone");
            return Err(gone());
        }
        Err(e) => {
            tracing::error!(file = %m.file, error = %e, "voicemail message not readable");
            return Err(Problem::new(
                "internal-error",
                "the message could not be read",
            ));
        }
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "audio/wav")
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"voicemail-{}.wav\"", m.id),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(bytes))
        .map_err(|_| Problem::new("internal-error", "the answer could not be formed"))
}

/// `GET /api/voicemail-messages/{id}`.
pub async fn message(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    Ok(Json(visible_message(&s, &who, &raw).await?).into_response())
}

/// The body of `PUT /api/voicemail-messages/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heard {
    pub heard: bool,
}

/// `PUT /api/voicemail-messages/{id}`.
pub async fn heard(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let mut m = visible_message(&s, &who, &raw).await?;
    let body: Heard = json_body(&headers, &bytes)?;
    if !s
        .store
        .mark_voicemail_heard(m.id, body.heard)
        .await
        .map_err(store_failed)?
    {
        return Err(no_message());
    }
    m.heard = body.heard;
    Ok(Json(m).into_response())
}

/// `DELETE /api/voicemail-messages/{id}`.
pub async fn delete_message(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let m = visible_message(&s, &who, &raw).await?;
    if let Some(file) = s
        .store
        .delete_voicemail_message(m.id)
        .await
        .map_err(store_failed)?
    {
        remove(&file).await;
    }
    tracing::info!(message_id = m.id, "voicemail message deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove(file: &str) {
    if let Err(e) = tokio::fs::remove_file(file).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(%file, error = %e, "voicemail file not removed");
        }
    }
}
