//! SIP transports: UDP, TCP, TLS and WebSocket (RFC 7118), IPv4 and IPv6.
//!
//! Every transport hands the bytes of one whole message to the SIP core through
//! one bounded channel, tagged with the [`Peer`] it came from; framing of
//! streams by Content-Length happens here (the sans-IO `framer`, RFC 3261 section 18.3),
//! parsing in the core. A stream message that cannot be framed reaches the
//! core as its header section marked refused, to be answered (400, or 513 over
//! the size limit) before the connection closes. Sending takes a `Peer`: UDP answers from the socket of the same
//! address family, streams answer over the connection the request came on
//! (section 18.2.2), which is the only way back to a browser whose Contact host
//! is `*.invalid`. A TCP peer with no open connection gets a new one; a TLS
//! peer is reached only over a connection it opened.
//!
//! Connections are bounded in number (`max_connections`), and so are those
//! from one source address (`max_per_source`, loopback included), so a few
//! hosts cannot take every slot. A connection with no traffic for the idle
//! timeout is closed, and so is one that began a message and has not finished
//! it by the message deadline (a slow drip of bytes keeps a connection busy,
//! not idle); TCP keepalive finds half-open ones. Every closed connection is reported to whoever watches
//! ([`Transports::watch_closed`]): the registrar drops the bindings that only
//! that connection could reach. An overfull inbound channel drops datagrams rather than queueing
//! without bound; every drop is counted in [`TransportMetrics`]. With a source
//! guard set ([`Transports::set_source_guard`]), datagrams and connections
//! from the sources it blocks are dropped before anything reads them.

mod framer;
mod stream;
mod tls;
mod udp;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::message::FrameError;
use super::peer::{ConnectionId, Peer, Transport};
use super::source_guard::shell::SharedGuard;

/// One whole message as it arrived, or the header section of one that a
/// stream could not frame.
#[derive(Debug)]
pub struct Inbound {
    pub data: Bytes,
    pub from: Peer,
    /// Why the stream could not frame the message `data` is the header
    /// section of: the core only answers it (and the connection closes).
    pub refused: Option<FrameError>,
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("no {0} socket for this address family")]
    NoSocket(Transport),
    #[error("connection {0:?} is closed")]
    Closed(ConnectionId),
    #[error("connection {0:?} is too slow to take more")]
    Congested(ConnectionId),
    #[error("too many open connections")]
    TooManyConnections,
    #[error("too many open connections from {0}")]
    TooManyFromSource(IpAddr),
    #[error("{0} is blocked")]
    Blocked(IpAddr),
    #[error("{0} transport is not available for sending")]
    Unsupported(Transport),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Limits that apply to every stream connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// Inbound connections one source address may hold at once.
    pub max_per_source: usize,
    pub idle_timeout: Duration,
    /// The longest a stream connection may take over one message, from its
    /// first byte to its last.
    pub message_deadline: Duration,
    pub max_message_size: usize,
}

/// Counters of what the transports did with traffic they could not deliver.
#[derive(Debug, Default)]
pub struct TransportMetrics {
    pub datagrams_received: AtomicU64,
    pub datagrams_dropped_overload: AtomicU64,
    pub connections_opened: AtomicU64,
    pub connections_refused: AtomicU64,
    /// Refused because their source address held its limit already.
    pub connections_refused_per_source: AtomicU64,
    pub connections_idle_closed: AtomicU64,
    /// Closed because a message was still incomplete at the message deadline.
    pub connections_deadline_closed: AtomicU64,
    pub messages_too_large: AtomicU64,
    pub stream_framing_errors: AtomicU64,
    /// TLS connections closed because their handshake failed or timed out.
    pub tls_handshakes_failed: AtomicU64,
    pub send_failures: AtomicU64,
}

impl TransportMetrics {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A stream connection's sending side, as the registry keeps it.
struct Connection {
    peer: Peer,
    outbound: mpsc::Sender<Bytes>,
    /// Whether the peer opened it (and so counts against its source's limit).
    inbound: bool,
}

/// The handle shared by the SIP core and every transport task.
#[derive(Clone)]
pub struct Transports {
    inner: Arc<Inner>,
}

struct Inner {
    /// Bound UDP sockets, each with whether it is IPv4 (so a send picks one
    /// without asking the kernel for its address).
    udp: Mutex<Vec<(bool, Arc<UdpSocket>)>>,
    connections: Mutex<Registry>,
    next_connection: AtomicU64,
    inbound: mpsc::Sender<Inbound>,
    limits: Limits,
    metrics: TransportMetrics,
    closed: OnceLock<mpsc::UnboundedSender<Peer>>,
    /// Drops what blocked sources send before it is parsed.
    guard: OnceLock<Arc<SharedGuard>>,
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<ConnectionId, Connection>,
    /// The newest connection to each remote address, for sending to a TCP peer
    /// by address (section 18.2.2 reuses an existing connection).
    by_addr: HashMap<(Transport, SocketAddr), ConnectionId>,
    /// Open inbound connections per source address.
    by_source: HashMap<IpAddr, usize>,
}

/// What a stream connection task owns: its identity and the receiver of what
/// the core sends on it. Dropping it unregisters the connection.
pub struct ConnectionGuard {
    transports: Transports,
    pub peer: Peer,
    pub outbound: mpsc::Receiver<Bytes>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if let Some(id) = self.peer.connection {
            self.transports.unregister(id);
        }
    }
}

/// Outbound queue depth per connection; a peer that does not read its socket
/// loses messages instead of growing our memory.
const CONNECTION_QUEUE: usize = 256;

impl Transports {
    /// Creates the registry; messages arrive on the returned receiver.
    pub fn new(limits: Limits, inbound_capacity: usize) -> (Transports, mpsc::Receiver<Inbound>) {
        let (tx, rx) = mpsc::channel(inbound_capacity);
        let transports = Transports {
            inner: Arc::new(Inner {
                udp: Mutex::new(Vec::new()),
                connections: Mutex::new(Registry::default()),
                next_connection: AtomicU64::new(1),
                inbound: tx,
                limits,
                metrics: TransportMetrics::default(),
                closed: OnceLock::new(),
                guard: OnceLock::new(),
            }),
        };
        (transports, rx)
    }

    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    pub fn metrics(&self) -> &TransportMetrics {
        &self.inner.metrics
    }

    /// Puts `guard` in front of every transport: datagrams and connections
    /// from the sources it blocks are dropped unread. Only the first call
    /// counts.
    pub fn set_source_guard(&self, guard: Arc<SharedGuard>) {
        let _ = self.inner.guard.set(guard);
    }

    /// The source guard, when one was set.
    pub fn source_guard(&self) -> Option<&Arc<SharedGuard>> {
        self.inner.guard.get()
    }

    /// Reports every stream connection that closes from now on, as the peer
    /// it was. Only the first call gets the reports.
    pub fn watch_closed(&self) -> mpsc::UnboundedReceiver<Peer> {
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = self.inner.closed.set(tx);
        rx
    }

    /// Open stream connections right now.
    pub fn connection_count(&self) -> usize {
        self.lock_registry().by_id.len()
    }

    /// Binds a UDP socket and starts its receive loop; returns the bound address.
    pub async fn bind_udp(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let socket = Arc::new(udp::bind(addr)?);
        let local = socket.local_addr()?;
        self.inner
            .udp
            .lock()
            .expect("udp list lock")
            .push((local.is_ipv4(), socket.clone()));
        tokio::spawn(udp::receive_loop(self.clone(), socket));
        Ok(local)
    }

    /// Binds a TCP listener and starts accepting; returns the bound address.
    pub async fn bind_tcp(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = stream::bind_tcp(addr)?;
        let local = listener.local_addr()?;
        tokio::spawn(stream::accept_loop(self.clone(), listener));
        Ok(local)
    }

    /// Binds a TLS listener serving `config`'s certificate and starts
    /// accepting; returns the bound address.
    pub async fn bind_tls(
        &self,
        addr: SocketAddr,
        config: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<SocketAddr> {
        let listener = stream::bind_tcp(addr)?;
        let local = listener.local_addr()?;
        tokio::spawn(tls::accept_loop(self.clone(), listener, config));
        Ok(local)
    }

    /// Registers a new stream connection from `remote`, or refuses it when the
    /// connection limit, or the limit of `remote`'s address, is reached.
    pub fn register(
        &self,
        transport: Transport,
        remote: SocketAddr,
    ) -> Result<ConnectionGuard, TransportError> {
        self.register_as(transport, remote, true)
    }

    /// Registers a connection we opened to `remote`: it counts against the
    /// total but not against the peer's own limit.
    fn register_outbound(
        &self,
        transport: Transport,
        remote: SocketAddr,
    ) -> Result<ConnectionGuard, TransportError> {
        self.register_as(transport, remote, false)
    }

    fn register_as(
        &self,
        transport: Transport,
        remote: SocketAddr,
        inbound: bool,
    ) -> Result<ConnectionGuard, TransportError> {
        let mut registry = self.lock_registry();
        if registry.by_id.len() >= self.inner.limits.max_connections {
            TransportMetrics::bump(&self.inner.metrics.connections_refused);
            return Err(TransportError::TooManyConnections);
        }
        let source = remote.ip().to_canonical();
        if inbound
            && self
                .source_guard()
                .is_some_and(|g| g.refuse_connection(source))
        {
            drop(registry);
            TransportMetrics::bump(&self.inner.metrics.connections_refused);
            return Err(TransportError::Blocked(source));
        }
        if inbound {
            let held = registry.by_source.entry(source).or_insert(0);
            if *held >= self.inner.limits.max_per_source {
                drop(registry);
                TransportMetrics::bump(&self.inner.metrics.connections_refused);
                TransportMetrics::bump(&self.inner.metrics.connections_refused_per_source);
                return Err(TransportError::TooManyFromSource(source));
            }
            *held += 1;
        }
        let id = ConnectionId(self.inner.next_connection.fetch_add(1, Ordering::Relaxed));
        let peer = Peer {
            transport,
            addr: remote,
            connection: Some(id),
        };
        let (tx, rx) = mpsc::channel(CONNECTION_QUEUE);
        registry.by_id.insert(
            id,
            Connection {
                peer,
                outbound: tx,
                inbound,
            },
        );
        registry.by_addr.insert((transport, remote), id);
        drop(registry);
        TransportMetrics::bump(&self.inner.metrics.connections_opened);
        Ok(ConnectionGuard {
            transports: self.clone(),
            peer,
            outbound: rx,
        })
    }

    fn unregister(&self, id: ConnectionId) {
        let mut registry = self.lock_registry();
        let Some(conn) = registry.by_id.remove(&id) else {
            return;
        };
        let key = (conn.peer.transport, conn.peer.addr);
        if registry.by_addr.get(&key) == Some(&id) {
            registry.by_addr.remove(&key);
        }
        if conn.inbound {
            let source = conn.peer.addr.ip().to_canonical();
            if let Some(held) = registry.by_source.get_mut(&source) {
                *held -= 1;
                if *held == 0 {
                    registry.by_source.remove(&source);
                }
            }
        }
        drop(registry);
        if let Some(closed) = self.inner.closed.get() {
            let _ = closed.send(conn.peer);
        }
    }

    /// Hands one whole message from a stream connection to the core, waiting
    /// while the core is busy (the connection stops reading meanwhile).
    pub async fn deliver(&self, data: Bytes, from: Peer) -> bool {
        self.hand_over(Inbound {
            data,
            from,
            refused: None,
        })
        .await
    }

    /// Hands the header section of a message a stream could not frame to the
    /// core, which answers it with `error`'s status and reason (RFC 3261
    /// section 18.3) and does nothing else with it.
    pub async fn refuse(&self, head: Bytes, from: Peer, error: FrameError) -> bool {
        self.hand_over(Inbound {
            data: head,
            from,
            refused: Some(error),
        })
        .await
    }

    async fn hand_over(&self, inbound: Inbound) -> bool {
        self.inner.inbound.send(inbound).await.is_ok()
    }

    /// Sends one message to `to`. On streams the message goes over the named
    /// connection, else over the newest connection to that address; a TCP peer
    /// with none gets a new connection.
    pub async fn send(&self, to: &Peer, data: Bytes) -> Result<(), TransportError> {
        let result = match to.transport {
            Transport::Udp => self.send_udp(to.addr, &data).await,
            Transport::Tcp | Transport::Ws | Transport::Wss | Transport::Tls => {
                self.send_stream(to, data).await
            }
        };
        if result.is_err() {
            TransportMetrics::bump(&self.inner.metrics.send_failures);
        }
        result
    }

    async fn send_udp(&self, addr: SocketAddr, data: &[u8]) -> Result<(), TransportError> {
        let socket = {
            let sockets = self.inner.udp.lock().expect("udp list lock");
            sockets
                .iter()
                .find(|(v4, _)| *v4 == addr.is_ipv4())
                .map(|(_, s)| s.clone())
        };
        let socket = socket.ok_or(TransportError::NoSocket(Transport::Udp))?;
        socket.send_to(data, addr).await?;
        Ok(())
    }

    async fn send_stream(&self, to: &Peer, data: Bytes) -> Result<(), TransportError> {
        let id = {
            let registry = self.lock_registry();
            to.connection
                .filter(|id| registry.by_id.contains_key(id))
                .or_else(|| registry.by_addr.get(&(to.transport, to.addr)).copied())
        };
        match id {
            Some(id) => self.queue_on(id, data),
            None if to.transport == Transport::Tcp => {
                // Connecting can take seconds; the caller (the SIP core) must
                // not wait for it. A failure is logged and counted.
                let transports = self.clone();
                let addr = to.addr;
                tokio::spawn(async move {
                    let sent = match stream::connect_tcp(&transports, addr).await {
                        Ok(id) => transports.queue_on(id, data),
                        Err(e) => Err(e),
                    };
                    if let Err(e) = sent {
                        TransportMetrics::bump(&transports.inner.metrics.send_failures);
                        tracing::info!(%addr, error = %e, "could not reach a TCP peer");
                    }
                });
                Ok(())
            }
            None => Err(match to.connection {
                Some(id) => TransportError::Closed(id),
                None => TransportError::Unsupported(to.transport),
            }),
        }
    }

    /// Queues `data` on an open connection without waiting.
    fn queue_on(&self, id: ConnectionId, data: Bytes) -> Result<(), TransportError> {
        let sender = self
            .lock_registry()
            .by_id
            .get(&id)
            .map(|c| c.outbound.clone())
            .ok_or(TransportError::Closed(id))?;
        sender.try_send(data).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => TransportError::Congested(id),
            mpsc::error::TrySendError::Closed(_) => TransportError::Closed(id),
        })
    }

    fn lock_registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner
            .connections
            .lock()
            .expect("connection registry lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transports(max_connections: usize, max_per_source: usize) -> Transports {
        let limits = Limits {
            max_connections,
            max_per_source,
            idle_timeout: Duration::from_secs(60),
            message_deadline: Duration::from_secs(10),
            max_message_size: 64 * 1024,
        };
        Transports::new(limits, 8).0
    }

    #[test]
    fn one_source_holds_at_most_its_limit() {
        let t = transports(100, 2);
        let a = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let first = t.register(Transport::Tcp, a(1000)).unwrap();
        let _ws = t.register(Transport::Ws, a(1001)).unwrap();
        assert!(matches!(
            t.register(Transport::Tcp, a(1002)),
            Err(TransportError::TooManyFromSource(_))
        ));
        assert!(t
            .register(Transport::Tcp, SocketAddr::from(([127, 0, 0, 2], 1000)))
            .is_ok());
        // Connections we open ourselves do not use up the peer's share.
        let _out = t.register_outbound(Transport::Tcp, a(5060)).unwrap();
        drop(first);
        assert!(t.register(Transport::Tcp, a(1003)).is_ok());
        let m = t.metrics();
        assert_eq!(m.connections_refused_per_source.load(Ordering::Relaxed), 1);
    }
}
