//! SIP over WebSocket (RFC 7118) on the HTTP listener at `/sip`.
//!
//! The client must offer the `sip` subprotocol (section 4); each WebSocket
//! message carries exactly one SIP message, so no Content-Length framing is
//! needed. The connection joins the same registry as TCP, which is how a
//! request reaches a browser registered with a `*.invalid` Contact. Behind
//! the TLS listener the connection's transport is WSS, so our Via and Contact
//! towards the browser say so.
//!
//! A browser opens a WebSocket for a page of any site, so the upgrade is
//! refused (403) when the page's `Origin` is not allowed
//! ([`super::origin`]). Requests over it are never trusted for their source
//! address: a trunk's network does not cover a browser on the same machine.
//!
//! The server pings an idle connection (RFC 6455 section 5.5.2), and a
//! browser's pong keeps it open; a connection that answers nothing for the
//! idle timeout is closed, and with it the bindings only it could reach.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::time::Instant;

use super::AppState;
use crate::sip::peer::Transport;
use crate::sip::transport::{ConnectionGuard, TransportError, Transports};

/// The transport of WebSocket connections on this listener: `Wss` behind
/// TLS. Without this extension on the router, connections are plain `Ws`.
#[derive(Debug, Clone, Copy)]
pub struct SipWsTransport(pub Transport);

pub(super) async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    transport: Option<Extension<SipWsTransport>>,
    headers: HeaderMap,
) -> Response {
    if let Err(problem) = state.admin.origins.check(&headers) {
        return problem.into_response();
    }
    let ws = ws
        .protocols(["sip"])
        .max_message_size(state.transports.limits().max_message_size);
    if ws.selected_protocol().is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "SIP over WebSocket needs the \"sip\" subprotocol (RFC 7118)\n",
        )
            .into_response();
    }
    let transport = transport.map_or(Transport::Ws, |Extension(SipWsTransport(t))| t);
    let guard = match state.transports.register(transport, remote) {
        Ok(guard) => guard,
        Err(TransportError::Blocked(_)) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => {
            tracing::warn!(%remote, error = %e, "websocket refused");
            return (StatusCode::SERVICE_UNAVAILABLE, "too many connections\n").into_response();
        }
    };
    let transports = state.transports.clone();
    ws.on_upgrade(move |socket| drive(transports, socket, guard))
}

async fn drive(transports: Transports, mut socket: WebSocket, mut guard: ConnectionGuard) {
    let peer = guard.peer;
    let idle = transports.limits().idle_timeout;
    let mut idle_deadline = Instant::now() + idle;
    // A third of the idle timeout leaves a browser two chances to answer.
    let ping_every = (idle / 3).max(std::time::Duration::from_millis(100));
    let mut pings = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let data = match incoming {
                    Some(Ok(Message::Text(text))) => bytes::Bytes::from(text),
                    Some(Ok(Message::Binary(data))) => data,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        idle_deadline = Instant::now() + idle;
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "websocket error");
                        break;
                    }
                };
                idle_deadline = Instant::now() + idle;
                if data.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                    continue;
                }
                if !transports.deliver(data, peer).await {
                    break;
                }
            }
            out = guard.outbound.recv() => {
                let Some(data) = out else { break };
                let message = match std::str::from_utf8(&data) {
                    Ok(_) => Message::Text(data.try_into().expect("checked utf-8")),
                    Err(_) => Message::Binary(data),
                };
                if socket.send(message).await.is_err() {
                    break;
                }
                idle_deadline = Instant::now() + idle;
            }
            _ = pings.tick() => {
                if socket.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(idle_deadline) => {
                tracing::debug!(%peer, "idle websocket closed");
                break;
            }
        }
    }
}
