//! Where a trunk's outbound INVITE is sent: the trunk's outbound
//! destination (or its first single-host address, port 5060) turned into
//! the peer the transport layer sends to, and the host the Request-URI
//! names. A name is looked up when the call is placed (its first address is
//! used); a TCP destination gets a connection from the transport layer.
//! [`plan`] is the whole way out of a number: route, trunk and target, for
//! agents' own calls, transfers to a number and callbacks alike.

use std::net::SocketAddr;

use crate::acd::{AgentId, ProjectId, QueueId};
use crate::media::g711::Law;
use crate::sip::peer::{Peer, Transport};
use crate::sip::tu::Owner;
use crate::store::admin::destination::{DestinationTransport, OutboundDestination};

use super::agent_leg::{AgentLeg, Ring, Target};
use super::media::MediaLeg;
use super::outbound::{Dial, NoRoute, OutboundRoute};
use super::routing::{Routing, TrunkInfo};
use super::Services;

/// How a number leaves through a trunk: the route's answer, its trunk, and
/// where the trunk's INVITE goes.
#[derive(Debug, Clone)]
pub struct TrunkPlan {
    pub dial: Dial,
    pub trunk: Box<TrunkInfo>,
    pub target: TrunkTarget,
}

/// Why a number has no way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplanned {
    /// No route (that `may_use` allows) takes it.
    Route(NoRoute),
    /// The route's trunk is disabled (not in the routing snapshot).
    TrunkDisabled,
    /// The trunk has no destination, or its name has no address.
    NoAddress,
}

/// How `number` dialled for `project` (on `queue`'s behalf, when it is)
/// leaves: the first route `may_use` allows that takes it, its trunk, and
/// the trunk's destination looked up.
pub async fn plan(
    routing: &Routing,
    project: ProjectId,
    number: &str,
    queue: Option<QueueId>,
    may_use: impl Fn(&OutboundRoute) -> bool,
) -> Result<TrunkPlan, Unplanned> {
    let dial = routing
        .outbound()
        .route_for(project, number, queue, may_use)
        .map_err(Unplanned::Route)?;
    let trunk = routing
        .trunk(dial.trunk)
        .cloned()
        .ok_or(Unplanned::TrunkDisabled)?;
    let destination = trunk.outbound_target().ok_or(Unplanned::NoAddress)?;
    let target = resolve(&destination).await.ok_or(Unplanned::NoAddress)?;
    Ok(TrunkPlan {
        dial,
        trunk: Box::new(trunk),
        target,
    })
}

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

/// The leg a number is dialled from (a caller's, a callback's agent's).
pub struct DialFrom<'a> {
    /// The call whose task gets the new leg's events.
    pub call: u64,
    pub agent: AgentId,
    /// Presented when the plan has no caller ID.
    pub number: &'a str,
    /// The new leg's media goes next to this one (same worker, its codec
    /// offered first so the bridge does not transcode).
    pub media: &'a MediaLeg,
    pub owner: &'a Owner,
}

/// Opens a leg's media next to `from`'s and sends the INVITE for `plan`
/// through its trunk; `None` when it could not be sent.
pub async fn ring_out(s: &Services, plan: &TrunkPlan, from: DialFrom<'_>) -> Option<AgentLeg> {
    let mut laws = plan.trunk.laws.clone();
    if let Some(n) = from.media.negotiated {
        laws.retain(|l| *l != n.law);
        laws.insert(0, n.law);
    }
    if laws.is_empty() {
        laws = vec![Law::Mu, Law::A];
    }
    let peer = plan.target.peer;
    let (media, sdp) = MediaLeg::offer(s, from.call, from.media.worker, &laws, &peer)
        .map_err(|refusal| {
            tracing::info!(reason = %refusal.reason, "no media for the leg to the trunk");
        })
        .ok()?;
    let number = &plan.dial.request_uri_user;
    let presented = plan.dial.caller_id.as_deref().unwrap_or(from.number);
    let ring = Ring {
        call: from.call,
        agent: from.agent,
        aor: number,
        caller_number: presented,
        queue_name: "",
        auto_answer: false,
        owner: from.owner,
    };
    let target = Target {
        contact: format!("sip:{number}@{}", plan.target.uri_hostport),
        source: peer,
    };
    match AgentLeg::ring_targets(s, ring, media, sdp, vec![target]).await {
        Ok(leg) => Some(leg),
        Err(media) => {
            media.close(s).await;
            None
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
