//! HTTP: the SIP-over-WebSocket upgrade (RFC 7118), health and metrics. The
//! admin API and web pages join this router as they are built.

pub mod admin;
mod metrics;
mod sip_ws;

pub use sip_ws::SipWsTransport;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use crate::sip::metrics::SipMetrics;
use crate::sip::transport::Transports;

/// What the HTTP handlers share.
pub struct AppState {
    pub transports: Transports,
    pub sip_metrics: Arc<SipMetrics>,
    pub call_metrics: Arc<crate::call::CallMetrics>,
    pub admin: Arc<admin::AdminState>,
    /// The browser legs' hub, for its figures in `/metrics`.
    pub webrtc: Option<crate::media::webrtc::WebRtcHub>,
}

/// The whole HTTP surface of the server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sip", get(sip_ws::upgrade))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics::render))
        .nest("/api", admin::router(state.admin.clone()))
        .with_state(state)
}
