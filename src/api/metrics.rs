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
    state.admin.registrations.render(&mut out);
    state.admin.outbox.render(&mut out);
    state.admin.uploads.metrics.render(&mut out);
    render_gauges(&state, &mut out);
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
            "sip_connections_refused_per_source_total",
            &t.connections_refused_per_source,
        ),
        (
            "sip_connections_idle_closed_total",
            &t.connections_idle_closed,
        ),
        (
            "sip_connections_deadline_closed_total",
            &t.connections_deadline_closed,
        ),
        ("sip_messages_too_large_total", &t.messages_too_large),
        ("sip_stream_framing_errors_total", &t.stream_framing_errors),
        ("sip_tls_handshakes_failed_total", &t.tls_handshakes_failed),
        ("sip_send_failures_total", &t.send_failures),
    ] {
        let _ = writeln!(out, "switchboard_{name} {}", value.load(Ordering::Relaxed));
    }
    let _ = writeln!(
        out,
        "switchboard_sip_connections_open {}",
        state.transports.connection_count()
    );
    if let Some(guard) = state.transports.source_guard() {
        guard.render(&mut out);
    }
    render_media(&state.media_workers, &mut out).await;
    if let Some(hub) = &state.webrtc {
        let wait = std::time::Duration::from_secs(1);
        if let Ok(Ok(r)) = tokio::time::timeout(wait, hub.report()).await {
            for (name, value) in [
                ("webrtc_legs", r.legs as u64),
                ("webrtc_legs_connected", r.connected as u64),
                ("webrtc_datagrams_received_total", r.datagrams_received),
                ("webrtc_datagrams_sent_total", r.datagrams_sent),
                ("webrtc_unknown_source_total", r.unknown_source),
                ("webrtc_send_errors_total", r.send_errors),
                ("webrtc_media_in_total", r.media_in),
                ("webrtc_media_in_dropped_total", r.media_in_dropped),
                ("webrtc_media_out_total", r.media_out),
                ("webrtc_leg_panics_total", r.panics),
            ] {
                let _ = writeln!(out, "switchboard_{name} {value}");
            }
            let _ = writeln!(
                out,
                "switchboard_webrtc_cpu_seconds_total {:.3}",
                r.cpu.as_secs_f64()
            );
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// What is live now: every figure falls back to its idle value once calls,
/// registrations and sessions have ended.
fn render_gauges(state: &AppState, out: &mut String) {
    use crate::sip::metrics::gauge;
    state.sip_gauges.render(out);
    let services = &state.admin.calls;
    gauge(
        out,
        "sip_bindings",
        "Registered contacts held by the location service.",
        services.location.len() as u64,
    );
    services.registry.render_gauges(out);
    gauge(
        out,
        "rtp_ports_leased",
        "RTP ports held by media legs.",
        services.media.ports().leased() as u64,
    );
    state.agent.sockets.render(out);
    state.agent.hub.render_gauges(out);
}

/// The RTP workers' counters, summed over the workers.
async fn render_media(workers: &[crate::media::worker::MediaWorker], out: &mut String) {
    let wait = std::time::Duration::from_secs(1);
    let mut total = crate::media::worker::WorkerReport::default();
    for worker in workers {
        let Ok(Ok(r)) = tokio::time::timeout(wait, worker.report()).await else {
            continue;
        };
        total.add_counters(&r);
    }
    for (name, value) in [
        ("media_legs", total.legs as u64),
        ("media_packets_sent_total", total.packets_sent),
        ("media_send_errors_total", total.send_errors),
        ("media_relayed_total", total.relayed),
        ("media_relay_dropped_total", total.relay_dropped),
        ("media_events_dropped_total", total.events_dropped),
        ("media_rtcp_sent_total", total.rtcp_sent),
        ("media_rtcp_received_total", total.rtcp_received),
        ("media_late_ticks_total", total.late_ticks),
        ("media_recordings", total.recordings as u64),
        ("media_recording_frames_total", total.recording_frames),
        (
            "media_recording_frames_dropped_total",
            total.recording_frames_dropped,
        ),
        ("media_recording_files_total", total.recording_files),
        ("media_recording_errors_total", total.recording_errors),
        ("media_mixes", total.mixes as u64),
        ("media_mixed_frames_total", total.mixed_frames),
        ("media_srtp_auth_failures_total", total.srtp_auth_failures),
        ("media_srtp_replays_total", total.srtp_replays),
    ] {
        let _ = writeln!(out, "switchboard_{name} {value}");
    }
}
