//! UDP: one socket per listen address, one receive loop per socket.
//!
//! A datagram is one message (RFC 3261 section 18.3 frames nothing on UDP). An
//! IPv6 socket is bound v6-only so the same port can also carry IPv4 on its own
//! socket, and receive buffers are enlarged for bursts of registrations.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::{Inbound, TransportMetrics, Transports};
use crate::sip::peer::Peer;

const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;

pub(super) fn bind(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // A small kernel limit only shrinks the buffer; it is not an error.
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    let _ = socket.set_send_buffer_size(RECEIVE_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

pub(super) async fn receive_loop(transports: Transports, socket: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_535];
    let metrics = transports.metrics();
    let guard = transports.source_guard().cloned();
    let guard = guard.as_deref();
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(e) => {
                // ICMP errors from earlier sends surface here on some systems;
                // they concern a past peer, not this socket.
                tracing::debug!(error = %e, "udp receive error");
                continue;
            }
        };
        TransportMetrics::bump(&metrics.datagrams_received);
        // A blocked source costs a table lookup, nothing more.
        if guard.is_some_and(|g| g.drop_datagram(from.ip())) {
            continue;
        }
        // Keep-alive datagrams (RFC 5626 section 3.5.1: CRLF) carry no message.
        if buf[..n]
            .iter()
            .all(|b| matches!(b, b'\r' | b'\n' | b' ' | 0))
        {
            continue;
        }
        let inbound = Inbound {
            data: Bytes::copy_from_slice(&buf[..n]),
            from: Peer::udp(from),
            refused: None,
        };
        if transports.inner.inbound.try_send(inbound).is_err() {
            TransportMetrics::bump(&metrics.datagrams_dropped_overload);
        }
    }
}
