//! `/metrics`: the server's counters in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;

pub(super) async fn render(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let mut out = String::with_capacity(4096);
    state.sip_metrics.render(&mut out);
    state.call_metrics.render(&mut out);
    let t = state.transports.metrics();
    for (name, value) in [
        ("sip_datagrams_received_total", &t.datagrams_received),
        (
            "sip_datagrams_dropped_overload_total",
            &t.datagrams_dropped_overload,
        ),
        ("sip_connections_opened_total", &t.connections_opened),
        ("sip_connections_refused_total", &t.connections_refused),
        (
            "sip_connections_idle_closed_total",
            &t.connections_idle_closed,
        ),
        ("sip_messages_too_large_total", &t.messages_too_large),
        ("sip_stream_framing_errors_total", &t.stream_framing_errors),
        ("sip_send_failures_total", &t.send_failures),
    ] {
        let _ = writeln!(out, "switchboard_{name} {}", value.load(Ordering::Relaxed));
    }
    let _ = writeln!(
        out,
        "switchboard_sip_connections_open {}",
        state.transports.connection_count()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
