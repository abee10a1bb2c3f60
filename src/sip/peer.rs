//! Where a SIP message came from and where a reply goes: the transport, the
//! remote address and, on streams, the connection it arrived on.
//!
//! RFC 3261 section 18.2.2 sends responses on a stream back over the connection
//! the request came on; that is also the only way to reach a browser whose
//! Contact host is `*.invalid` (RFC 7118), so the connection travels with the
//! address.

use std::fmt;
use std::net::SocketAddr;

/// The transports a message can travel on. The names are the Via tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl Transport {
    /// The token used in Via (`SIP/2.0/UDP`) and in the `transport` URI parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }

    /// Reliable transports need no retransmission timers (RFC 3261 section 17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// Parses a Via or `transport=` token, case-insensitively.
    pub fn from_token(token: &str) -> Option<Transport> {
        [
            Transport::Udp,
            Transport::Tcp,
            Transport::Tls,
            Transport::Ws,
            Transport::Wss,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(token))
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One open stream connection (TCP, TLS or WebSocket), unique for the life of
/// the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// The far end of a message: transport, address and (on streams) connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: Transport,
    pub addr: SocketAddr,
    pub connection: Option<ConnectionId>,
}

impl Peer {
    pub fn udp(addr: SocketAddr) -> Peer {
        Peer {
            transport: Transport::Udp,
            addr,
            connection: None,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport, self.addr)
    }
}
