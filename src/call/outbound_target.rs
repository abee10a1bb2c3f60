//! Where a trunk's outbound INVITE is sent: the trunk's outbound
//! destination (or its first single-host address, port 5060) turned into
//! the peer the transport layer sends to, and the host the Request-URI
//! names. A name is looked up when the call is placed (its first address is
//! used); a TCP destination gets a connection from the transport layer.

use std::net::SocketAddr;

use crate::sip::peer::{Peer, Transport};
use crate::store::admin::destination::{DestinationTransport, OutboundDestination};

/// A resolved outbound destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkTarget {
    /// Where the INVITE is sent.
    pub peer: Peer,
    /// `host:port[;transport=tcp]` as the Request-URI writes it after `user@`.
    pub uri_hostport: String,
}

impl TrunkTarget {
    /// The target for `destination` reached at `addr`.
    pub fn new(destination: &OutboundDestination, addr: SocketAddr) -> TrunkTarget {
        let transport = match destination.transport {
            DestinationTransport::Udp => Transport::Udp,
            DestinationTransport::Tcp => Transport::Tcp,
        };
        TrunkTarget {
            peer: Peer {
                transport,
                addr,
                connection: None,
            },
            uri_hostport: destination.to_string(),
        }
    }
}

/// Looks `destination` up; `None` when its name has no address.
pub async fn resolve(destination: &OutboundDestination) -> Option<TrunkTarget> {
    if let Ok(ip) = destination.host.parse::<std::net::IpAddr>() {
        let addr = SocketAddr::new(ip, destination.port);
        return Some(TrunkTarget::new(destination, addr));
    }
    let found = tokio::net::lookup_host((destination.host.as_str(), destination.port)).await;
    match found {
        Ok(mut addrs) => addrs.next().map(|addr| TrunkTarget::new(destination, addr)),
        Err(e) => {
            tracing::info!(host = %destination.host, error = %e, "outbound destination not found");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn addresses_need_no_lookup_and_keep_their_transport() {
        let d = OutboundDestination::parse("127.0.0.2:5070;transport=tcp").unwrap();
        let t = resolve(&d).await.unwrap();
        assert_eq!(t.peer.addr, "127.0.0.2:5070".parse().unwrap());
        assert_eq!(t.peer.transport, Transport::Tcp);
        assert_eq!(t.uri_hostport, "127.0.0.2:5070;transport=tcp");
        let d = OutboundDestination::parse("localhost:5071").unwrap();
        let t = resolve(&d).await.unwrap();
        assert_eq!(t.peer.addr.port(), 5071);
        assert!(t.peer.addr.ip().is_loopback());
        assert_eq!(t.peer.transport, Transport::Udp);
    }
}
