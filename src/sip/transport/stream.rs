//! Stream connections (TCP and TLS, and WebSocket through the same registry):
//! framing by Content-Length (RFC 3261 section 18.3), the size bound, idle
//! reaping and RFC 5626 keep-alive pings. A TLS connection is driven exactly
//! like a TCP one once its handshake is done (see `tls`).
//!
//! A message must be complete within the message deadline of its first byte;
//! a peer that drips bytes (slowloris) is closed then, however busy it looks.
//!
//! One task per connection reads, frames (the sans-IO [`Framer`]) and hands
//! whole messages to the core, and writes what the core queued for this
//! connection. A message over the size limit, or one that cannot be framed,
//! closes the connection: there is no way to find the next message boundary
//! after it. Its header section goes to the core first, which answers it (513
//! or 400 naming the problem), and the connection lingers for that answer.

use std::net::SocketAddr;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::framer::{Framed, Framer};
use super::{ConnectionGuard, TransportError, TransportMetrics, Transports};
use crate::sip::message::FrameError;
use crate::sip::peer::{ConnectionId, Transport};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Octets read from a socket at a time.
const READ_CHUNK: usize = 16 * 1024;

pub(super) fn bind_tcp(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

pub(super) async fn accept_loop(transports: Transports, listener: TcpListener) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %e, "tcp accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match transports.register(Transport::Tcp, remote) {
            Ok(guard) => {
                tune(&stream);
                let (reader, writer) = stream.into_split();
                tokio::spawn(drive(transports.clone(), reader, writer, guard));
            }
            // The guard logged the block once; its connections are many.
            Err(TransportError::Blocked(_)) => {}
            Err(e) => {
                tracing::warn!(%remote, error = %e, "tcp connection refused");
            }
        }
    }
}

/// Opens a connection to a TCP peer we must reach (section 18.2.2, when the
/// connection a request came on has closed).
pub(super) async fn connect_tcp(
    transports: &Transports,
    addr: SocketAddr,
) -> Result<ConnectionId, TransportError> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "tcp connect timed out")
        })??;
    tune(&stream);
    let guard = transports.register_outbound(Transport::Tcp, addr)?;
    let id = guard
        .peer
        .connection
        .expect("stream peers have a connection");
    let (reader, writer) = stream.into_split();
    tokio::spawn(drive(transports.clone(), reader, writer, guard));
    Ok(id)
}

pub(super) fn tune(stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
    let keepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10))
        .with_retries(3);
    let _ = SockRef::from(stream).set_tcp_keepalive(&keepalive);
}

/// Why a connection ended, for the log.
#[derive(Debug)]
enum Closed {
    ByPeer,
    Idle,
    Deadline,
    Unframeable(FrameError),
    CoreGone,
    Io(std::io::Error),
}

/// How long an unframeable connection stays open for the answers to what it
/// delivered.
const UNFRAMEABLE_LINGER: Duration = Duration::from_secs(2);

/// Writes `data` and pushes it out: TLS keeps what the socket would not
/// take in its own buffer until flushed.
async fn send(writer: &mut (impl AsyncWrite + Unpin), data: &[u8]) -> std::io::Result<()> {
    writer.write_all(data).await?;
    writer.flush().await
}

/// Runs one connection, its two directions given apart (a TCP socket's own
/// halves, or the halves of a TLS stream), until it closes.
pub(super) async fn drive(
    transports: Transports,
    mut reader: impl AsyncRead + Unpin,
    mut writer: impl AsyncWrite + Unpin,
    mut guard: ConnectionGuard,
) {
    let peer = guard.peer;
    let limits = transports.limits();
    let metrics = transports.metrics();
    let mut framer = Framer::new(limits.max_message_size);
    let mut read_buf = vec![0u8; READ_CHUNK];
    let mut idle_deadline = Instant::now() + limits.idle_timeout;
    // When the message being received must be complete; `None` between messages.
    let mut message_deadline: Option<Instant> = None;
    let closed = 'conn: loop {
        let deadline = message_deadline.map_or(idle_deadline, |m| m.min(idle_deadline));
        tokio::select! {
            read = reader.read(&mut read_buf) => {
                match read {
                    Ok(0) => break 'conn Closed::ByPeer,
                    Ok(n) => framer.push(&read_buf[..n]),
                    Err(e) => break 'conn Closed::Io(e),
                }
                idle_deadline = Instant::now() + limits.idle_timeout;
                let mut delivered = false;
                while let Some(framed) = framer.poll() {
                    match framed {
                        Framed::Message(message) => {
                            delivered = true;
                            if !transports.deliver(message, peer).await {
                                break 'conn Closed::CoreGone;
                            }
                        }
                        Framed::Ping => {
                            if let Err(e) = send(&mut writer, b"\r\n").await {
                                break 'conn Closed::Io(e);
                            }
                        }
                        Framed::Refused { error, head } => {
                            // The core answers what is left of the refused
                            // request (400, 513) before the connection closes.
                            if let Some(head) = head {
                                if !transports.refuse(head, peer, error).await {
                                    break 'conn Closed::CoreGone;
                                }
                            }
                            break 'conn Closed::Unframeable(error);
                        }
                    }
                }
                // Bytes left over are the start of the next message: its
                // clock starts now, unless it was running already.
                if !framer.in_message() {
                    message_deadline = None;
                } else if delivered || message_deadline.is_none() {
                    message_deadline = Some(Instant::now() + limits.message_deadline);
                }
            }
            out = guard.outbound.recv() => {
                let Some(data) = out else { break 'conn Closed::CoreGone };
                if let Err(e) = send(&mut writer, &data).await {
                    break 'conn Closed::Io(e);
                }
                idle_deadline = Instant::now() + limits.idle_timeout;
            }
            _ = tokio::time::sleep_until(deadline) => {
                if message_deadline.is_some_and(|m| m <= Instant::now()) {
                    break 'conn Closed::Deadline;
                }
                break 'conn Closed::Idle;
            }
        }
    };
    match &closed {
        Closed::Idle => TransportMetrics::bump(&metrics.connections_idle_closed),
        Closed::Deadline => {
            TransportMetrics::bump(&metrics.connections_deadline_closed);
            tracing::info!(%peer, deadline = ?limits.message_deadline,
                "message not complete by its deadline: connection closed");
        }
        Closed::Unframeable(FrameError::TooLarge) => {
            TransportMetrics::bump(&metrics.messages_too_large);
            tracing::warn!(%peer, limit = limits.max_message_size, "message too large: connection closed");
        }
        Closed::Unframeable(error) => {
            TransportMetrics::bump(&metrics.stream_framing_errors);
            tracing::warn!(%peer, %error, "stream cannot be framed: connection closed");
        }
        Closed::Io(e) => tracing::debug!(%peer, error = %e, "connection failed"),
        Closed::ByPeer | Closed::CoreGone => {}
    }
    if matches!(closed, Closed::Unframeable(_)) {
        // Nothing more is framed, but the answers to what was delivered (the
        // refused message's 400, and any message before it on the stream)
        // still go out on this connection, the only way back to the client.
        // What the client still sends is read and thrown away, so that it is
        // not blocked and the close that follows is a FIN, not a reset that
        // could destroy those answers before the client reads them.
        let linger = Instant::now() + UNFRAMEABLE_LINGER;
        let mut reading = true;
        loop {
            tokio::select! {
                out = guard.outbound.recv() => {
                    let Some(data) = out else { break };
                    if send(&mut writer, &data).await.is_err() {
                        break;
                    }
                }
                read = reader.read(&mut read_buf), if reading => {
                    reading = matches!(read, Ok(n) if n > 0);
                }
                _ = tokio::time::sleep_until(linger) => break,
            }
        }
    }
    tracing::debug!(%peer, reason = ?closed, "connection closed");
    let _ = writer.shutdown().await;
}
