//! The outbox over the admin API (the result codes screen,
//! `menu.result_codes`):
//!
//! - `GET /api/result-codes/{id}/integration` and `PUT` the same: the
//!   webhook, e-mail and SMS a result code sends (each used while the code's
//!   flag `http`, `send_email` or `send_sms` is on);
//! - `GET /api/deliveries[?state=][&kind=][&interaction_id=][&limit=]`: the
//!   deliveries, newest first, each with its attempts;
//! - `GET /api/deliveries/{id}`: one of them;
//! - `POST /api/deliveries/{id}/retry`: a pending or failed delivery is made
//!   due now with a new round of attempts (409 once it was delivered).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::handlers::{body, id, query_id};
use super::problem::Problem;
use super::AdminState;
use crate::store::admin::FieldError;
use crate::store::outbox::integrations::{self, IntegrationInput};
use crate::store::outbox::{DeliveryFilter, DeliveryKind, DeliveryState, RetryError};
use crate::store::StoreError;

/// The most deliveries one list returns.
pub const MAX_LIST: u32 = 500;

fn store_failed(e: StoreError) -> Problem {
    tracing::error!(error = %e, "admin API store failure");
    Problem::new("internal-error", "the database failed")
}

/// `GET /api/result-codes/{id}/integration`.
pub async fn get_integration(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let code = id(&raw)?;
    Ok(Json(integrations::get(&s.store, code).await?).into_response())
}

/// `PUT /api/result-codes/{id}/integration`.
pub async fn set_integration(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let code = id(&raw)?;
    let input: IntegrationInput = body(&headers, &bytes)?;
    let saved = integrations::set(&s.store, code, input).await?;
    tracing::info!(result_code = code, "result code integrations saved");
    Ok(Json(saved).into_response())
}

fn bad(field: &str, message: &str) -> Problem {
    Problem::new("malformed-request", format!("{field} {message}")).with_errors(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

fn filter(query: Option<&str>) -> Result<DeliveryFilter, Problem> {
    let mut f = DeliveryFilter {
        limit: 100,
        interaction_id: query_id(query, "interaction_id")?,
        ..DeliveryFilter::default()
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "state" => {
                f.state = Some(
                    DeliveryState::parse(value)
                        .map_err(|_| bad("state", "must be pending, delivered or failed"))?,
                )
            }
            "kind" => {
                f.kind = Some(
                    DeliveryKind::parse(value)
                        .map_err(|_| bad("kind", "must be webhook, email or sms"))?,
                )
            }
            "limit" => {
                f.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LIST).contains(n))
                    .ok_or_else(|| bad("limit", "must be an integer from 1 to 500"))?
            }
            _ => {}
        }
    }
    Ok(f)
}

/// `GET /api/deliveries`.
pub async fn list(
    State(s): State<Arc<AdminState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let f = filter(query.as_deref())?;
    let found = s.store.deliveries(&f).await.map_err(store_failed)?;
    Ok(Json(found).into_response())
}

/// `GET /api/deliveries/{id}`.
pub async fn get(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let id = id(&raw)?;
    match s.store.delivery(id).await.map_err(store_failed)? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(Problem::new("not-found", "no such delivery")),
    }
}

/// `POST /api/deliveries/{id}/retry`.
pub async fn retry(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let id = id(&raw)?;
    match s.store.retry_delivery(id).await {
        Ok(d) => {
            tracing::info!(delivery = id, "delivery retried through the API");
            Ok(Json(d).into_response())
        }
        Err(RetryError::NotFound) => Err(Problem::new("not-found", "no such delivery")),
        Err(RetryError::Delivered) => Err(Problem::new(
            "conflict",
            "the delivery was made already: its receiver accepted it",
        )),
        Err(RetryError::Store(e)) => Err(store_failed(e)),
    }
}
