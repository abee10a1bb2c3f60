//! RFC 9457 problem details: every refusal of the admin API is an
//! `application/problem+json` object with `type`, `title`, `status`, `detail`,
//! and for bad input (400, 422) and conflicts on a field (409) an `errors`
//! array of `{field, message}`. The `type` URIs are relative references under
//! `/api/problems/`; [`KINDS`] lists them for the OpenAPI document.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::admin::{AdminError, FieldError};

/// Every problem type the API answers: `(slug, status, title)`.
pub const KINDS: &[(&str, u16, &str)] = &[
    (
        "malformed-request",
        400,
        "The request body is not valid JSON for this resource",
    ),
    ("unauthorized", 401, "A valid bearer token is required"),
    ("read-only", 403, "The item is read-only"),
    (
        "forbidden",
        403,
        "The session lacks the permission this needs",
    ),
    ("user-locked", 403, "The user is locked by an administrator"),
    ("user-passive", 403, "The user is passive and cannot log in"),
    (
        "foreign-origin",
        403,
        "The request came from a page of a site not allowed to use this server",
    ),
    (
        "transfer-refused",
        403,
        "The transfer target may not take the call now",
    ),
    ("not-found", 404, "No such item"),
    (
        "method-not-allowed",
        405,
        "The resource does not answer this method",
    ),
    ("conflict", 409, "The change conflicts with stored data"),
    (
        "unsupported-media-type",
        415,
        "The request body is not of a type this operation takes",
    ),
    (
        "too-large",
        413,
        "The request body is larger than this operation takes",
    ),
    (
        "validation-error",
        422,
        "The input breaks the product's rules",
    ),
    (
        "unplayable-audio",
        422,
        "The upload is not audio that can be played",
    ),
    (
        "recording-refused",
        422,
        "The call's queue does not record calls",
    ),
    (
        "too-many-attempts",
        429,
        "Too many failed logins: try again after Retry-After seconds",
    ),
    ("internal-error", 500, "The server failed"),
    (
        "busy",
        503,
        "Too many logins in progress: try again after Retry-After seconds",
    ),
];

/// One problem answer.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    /// A problem of the kind `slug` (one of [`KINDS`]).
    pub fn new(slug: &str, detail: impl Into<String>) -> Problem {
        let (_, status, title) = KINDS
            .iter()
            .find(|(s, _, _)| *s == slug)
            .copied()
            .unwrap_or(("internal-error", 500, "The server failed"));
        Problem {
            kind: format!("/api/problems/{slug}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            errors: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = Some(errors);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<AdminError> for Problem {
    fn from(e: AdminError) -> Problem {
        match e {
            AdminError::Invalid(errors) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                let detail = format!("invalid field(s): {}", fields.join(", "));
                Problem::new("validation-error", detail).with_errors(errors)
            }
            AdminError::NotFound(what) => Problem::new("not-found", format!("no such {what}")),
            AdminError::Conflict { detail, errors } => {
                let p = Problem::new("conflict", detail);
                if errors.is_empty() {
                    p
                } else {
                    p.with_errors(errors)
                }
            }
            AdminError::ReadOnly(detail) => Problem::new("read-only", detail),
            AdminError::Store(e) => {
                tracing::error!(error = %e, "admin API store failure");
                Problem::new("internal-error", "the database failed; nothing was changed")
            }
        }
    }
}

/// A 400 for a body serde could not read, naming the field when serde does.
pub fn malformed(e: &serde_json::Error) -> Problem {
    let message = e.to_string();
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .unwrap_or("body")
        .to_owned();
    Problem::new("malformed-request", message.clone())
        .with_errors(vec![FieldError { field, message }])
}

/// Reads a JSON body: 415 unless it is declared JSON, 400 naming the field
/// when serde cannot read it.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    bytes: &axum::body::Bytes,
) -> Result<T, Problem> {
    let kind = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = kind.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(Problem::new(
            "unsupported-media-type",
            format!("Content-Type is {kind:?}; send application/json"),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| malformed(&e))
}
