//! HTTP: the SIP-over-WebSocket upgrade (RFC 7118), health and metrics, the
//! admin API, the agent panel's API ([`agent`]), the supervisor panel's
//! ([`supervisor`]) and the web pages (the panels themselves at `/agent/` and
//! `/supervisor/`).

pub mod admin;
pub mod agent;
mod metrics;
pub mod origin;
mod pages;
mod sip_ws;
pub mod sockets;
pub mod supervisor;

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
    pub sip_gauges: Arc<crate::sip::metrics::SipGauges>,
    pub call_metrics: Arc<crate::call::CallMetrics>,
    pub admin: Arc<admin::AdminState>,
    pub agent: Arc<agent::AgentState>,
    /// The browser legs' hub, for its figures in `/metrics`.
    pub webrtc: Option<crate::media::webrtc::WebRtcHub>,
    /// The RTP workers, for their figures in `/metrics`.
    pub media_workers: Vec<crate::media::worker::MediaWorker>,
}

/// The whole HTTP surface of the server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sip", get(sip_ws::upgrade))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics::render))
        .nest(
            "/api",
            admin::router(
                state.admin.clone(),
                agent::router(state.agent.clone()).merge(supervisor::router(state.agent.clone())),
            ),
        )
        .merge(pages::router())
        .with_state(state)
}
