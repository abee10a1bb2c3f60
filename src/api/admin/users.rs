//! The user endpoints beyond the five of every resource: effective
//! permissions with their sources, SIP extensions, CSV import and export, and
//! the permission catalogue.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::handlers::{id, query_id};
use super::problem::Problem;
use super::replace::replacement;
use super::scope::Scoped;
use super::AdminState;
use crate::sip::auth::{ha1, Algorithm};
use crate::store::admin::extensions::extension_problem;
use crate::store::admin::permissions::{CATALOGUE, GROUPS};
use crate::store::admin::users::PASSWORD_CHARS;
use crate::store::admin::{extensions, permissions, users_csv, FieldError};

type Answer = Result<Response, Problem>;

fn invalid(field: &str, message: impl Into<String>) -> Problem {
    crate::store::admin::AdminError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.into(),
    }])
    .into()
}

/// `GET /api/users/{id}/permissions?project=ID&key=KEY`: with `key`, only
/// that permission (none when it is not granted), to answer "why may this
/// user do that?".
pub async fn permissions(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let user = id(&raw)?;
    let project = query_id(query.as_deref(), "project")?;
    let key = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .map(str::to_owned);
    let mut effective = permissions::of_user(&s.store, user, project).await?;
    if let Some(key) = key {
        effective.permissions.retain(|g| g.key == key);
    }
    Ok(Json(effective).into_response())
}

/// What `PUT /api/users/{id}/extensions/{sip_username}` takes, besides the
/// read-only `sip_username` (the path's, when sent).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    /// The SIP password phones register with.
    pub password: String,
}

/// The fields of an extension a client may send back unchanged.
pub const EXTENSION_READ_ONLY: &[&str] = &["sip_username"];

/// `PUT /api/users/{id}/extensions/{sip_username}`: creates the extension or
/// sets its SIP password; answers the user.
pub async fn set_extension(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    Path((raw, sip_username)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let user = id(&raw)?;
    let extension = serde_json::json!({ "sip_username": sip_username });
    let input: ExtensionInput = replacement(&headers, &bytes, EXTENSION_READ_ONLY, &extension)?;
    let mut errors = Vec::new();
    if let Some(problem) = extension_problem(&sip_username) {
        errors.push(FieldError {
            field: "sip_username".into(),
            message: problem.into(),
        });
    }
    let n = input.password.chars().count();
    let (min, max) = PASSWORD_CHARS;
    if n < min || n > max {
        errors.push(FieldError {
            field: "password".into(),
            message: format!("must be {min} to {max} characters"),
        });
    }
    if !errors.is_empty() {
        return Err(crate::store::admin::AdminError::Invalid(errors).into());
    }
    let realm = &s.realm;
    let mut saved = extensions::set_extension(
        &s.store,
        user,
        &sip_username,
        realm,
        &ha1(Algorithm::Md5, &sip_username, realm, &input.password),
        &ha1(Algorithm::Sha256, &sip_username, realm, &input.password),
    )
    .await?;
    // A new SIP password ends the back-off of failures on that extension.
    s.login_guard.forget_user(&sip_username);
    saved.limit_to(&who);
    Ok(Json(saved).into_response())
}

/// `DELETE /api/users/{id}/extensions/{sip_username}`.
pub async fn remove_extension(
    State(s): State<Arc<AdminState>>,
    Path((raw, sip_username)): Path<(String, String)>,
) -> Answer {
    extensions::remove_extension(&s.store, id(&raw)?, &sip_username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/users/import` (text/csv).
pub async fn import(State(s): State<Arc<AdminState>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = kind.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("text/csv") {
        return Err(Problem::new(
            "unsupported-media-type",
            format!("Content-Type is {kind:?}; send text/csv"),
        ));
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(invalid("body", "the file must be UTF-8"));
    };
    Ok(Json(users_csv::import(&s.store, text).await?).into_response())
}

/// `GET /api/users/export` (text/csv).
pub async fn export(State(s): State<Arc<AdminState>>) -> Answer {
    let csv = users_csv::export(&s.store).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// One group of the catalogue.
#[derive(Debug, Serialize)]
pub struct CatalogueGroup {
    pub group: &'static str,
    pub keys: Vec<CatalogueKey>,
}

#[derive(Debug, Serialize)]
pub struct CatalogueKey {
    pub key: &'static str,
    pub description: &'static str,
}

/// `GET /api/permissions`: the permission keys by group. Queue keys also come
/// as `queue.<id>` for each queue, and Status keys as `status.<id>` for each
/// status a profile offers its holders.
pub async fn catalogue() -> Json<Vec<CatalogueGroup>> {
    Json(
        GROUPS
            .iter()
            .map(|group| CatalogueGroup {
                group,
                keys: CATALOGUE
                    .iter()
                    .filter(|(g, _, _)| g == group)
                    .map(|(_, key, description)| CatalogueKey { key, description })
                    .collect(),
            })
            .collect(),
    )
}
