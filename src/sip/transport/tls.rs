//! SIP over TLS (RFC 3261 section 26.2, port 5061 by default) for desk phones.
//!
//! A TLS listener accepts TCP connections, counts each against the same
//! limits as TCP (in total and per source address) from its first byte, and
//! completes the handshake in the connection's own task, within the message
//! deadline, so a client that connects and says nothing holds up no one.
//! After the handshake the connection is a stream like any TCP one: the same
//! framing, size limit, deadlines and 400-before-close (see `stream`).
//!
//! We only accept TLS connections, never open them: a phone registered over
//! TLS is reached over the connection it registered on (RFC 5626's flow, and
//! the only way through its NAT), and while that connection is closed it
//! cannot be reached at all.

use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::{stream, ConnectionGuard, TransportMetrics, Transports};
use crate::sip::peer::Transport;

pub(super) async fn accept_loop(
    transports: Transports,
    listener: TcpListener,
    config: Arc<ServerConfig>,
) {
    let acceptor = TlsAcceptor::from(config);
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %e, "tls accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match transports.register(Transport::Tls, remote) {
            Ok(guard) => {
                stream::tune(&tcp);
                let handshake = acceptor.accept(tcp);
                tokio::spawn(serve(transports.clone(), handshake, guard));
            }
            Err(e) => tracing::warn!(%remote, error = %e, "tls connection refused"),
        }
    }
}

/// Completes the handshake, then drives the connection as any stream.
async fn serve(
    transports: Transports,
    handshake: tokio_rustls::Accept<tokio::net::TcpStream>,
    guard: ConnectionGuard,
) {
    let limit = transports.limits().message_deadline;
    let failure = match tokio::time::timeout(limit, handshake).await {
        Ok(Ok(tls)) => {
            let (reader, writer) = tokio::io::split(tls);
            stream::drive(transports, reader, writer, guard).await;
            return;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("not complete within {limit:?}"),
    };
    TransportMetrics::bump(&transports.metrics().tls_handshakes_failed);
    tracing::info!(peer = %guard.peer, error = %failure, "tls handshake failed: connection closed");
}
