//! Symmetric RTP (RFC 4961) with latching for callers behind NAT: media is sent to
//! the address in the SDP until the first valid RTP packet arrives from the expected
//! peer; from then on we send to where that packet came from, and packets from
//! anywhere else are dropped and counted (anti-hijack).
//!
//! "Expected peer" means the source IP is the SDP's `c=` address or the IP the SIP
//! signalling came from (a phone behind NAT writes its private address in SDP but
//! sends from its public one), unless the policy accepts any address. A re-INVITE
//! with new SDP calls [`Latch::reset`].

use std::net::{IpAddr, SocketAddr};

/// Which sources may set the latch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatchPolicy {
    /// The SDP address's IP or the signalling source IP.
    #[default]
    KnownPeer,
    /// The first valid packet from anywhere (trunks whose media servers differ).
    Any,
}

/// What happened to one received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Use it; `latched_now` on the packet that set the latch.
    Accept { latched_now: bool },
    /// Drop it.
    Drop,
}

/// Counters kept for the interaction record and operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatchCounters {
    pub accepted: u64,
    /// From another address after latching.
    pub dropped_foreign: u64,
    /// Before latching, from an address that is not the expected peer.
    pub dropped_unexpected: u64,
    /// Not valid RTP for this leg (bad version, unknown payload type).
    pub dropped_invalid: u64,
    /// Times the latch was set (1, plus one per re-INVITE).
    pub latches: u64,
}

/// One leg's latch.
#[derive(Debug, Clone)]
pub struct Latch {
    sdp: Option<SocketAddr>,
    signalling_ip: Option<IpAddr>,
    policy: LatchPolicy,
    latched: Option<SocketAddr>,
    pub counters: LatchCounters,
}

impl Latch {
    pub fn new(
        sdp: Option<SocketAddr>,
        signalling_ip: Option<IpAddr>,
        policy: LatchPolicy,
    ) -> Self {
        Latch {
            sdp,
            signalling_ip,
            policy,
            latched: None,
            counters: LatchCounters::default(),
        }
    }

    /// New SDP from the peer: unlatch and expect the new address.
    pub fn reset(&mut self, sdp: Option<SocketAddr>) {
        self.sdp = sdp;
        self.latched = None;
    }

    /// Where to send now: the latched address, else the SDP one.
    pub fn remote(&self) -> Option<SocketAddr> {
        self.latched.or(self.sdp)
    }

    pub fn is_latched(&self) -> bool {
        self.latched.is_some()
    }

    fn expected(&self, from: SocketAddr) -> bool {
        match self.policy {
            LatchPolicy::Any => true,
            LatchPolicy::KnownPeer => {
                self.sdp.is_some_and(|s| s.ip() == from.ip())
                    || self.signalling_ip == Some(from.ip())
            }
        }
    }

    /// Judges a packet from `from`; `valid` says it parsed as RTP with a negotiated
    /// payload type (RTCP is judged with `valid` true as well).
    pub fn on_packet(&mut self, from: SocketAddr, valid: bool) -> Verdict {
        if !valid {
            self.counters.dropped_invalid += 1;
            return Verdict::Drop;
        }
        match self.latched {
            Some(addr) if addr == from => {
                self.counters.accepted += 1;
                Verdict::Accept { latched_now: false }
            }
            Some(_) => {
                self.counters.dropped_foreign += 1;
                Verdict::Drop
            }
            None if self.expected(from) => {
                self.latched = Some(from);
                self.counters.latches += 1;
                self.counters.accepted += 1;
                Verdict::Accept { latched_now: true }
            }
            None => {
                self.counters.dropped_unexpected += 1;
                Verdict::Drop
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn latches_to_the_nat_address_and_refuses_hijackers() {
        // The phone wrote its private address; SIP came from its public one.
        let mut l = Latch::new(
            Some(a("192.168.1.20:4000")),
            Some("203.0.113.5".parse().unwrap()),
            LatchPolicy::KnownPeer,
        );
        assert_eq!(l.remote(), Some(a("192.168.1.20:4000")));
        assert_eq!(
            l.on_packet(a("198.51.100.66:5000"), true),
            Verdict::Drop,
            "a stranger cannot latch"
        );
        assert_eq!(l.on_packet(a("203.0.113.5:31000"), false), Verdict::Drop);
        assert_eq!(
            l.on_packet(a("203.0.113.5:31000"), true),
            Verdict::Accept { latched_now: true }
        );
        assert_eq!(l.remote(), Some(a("203.0.113.5:31000")));
        assert_eq!(
            l.on_packet(a("203.0.113.5:31000"), true),
            Verdict::Accept { latched_now: false }
        );
        // Same IP, other port, after latching: a hijack attempt.
        assert_eq!(l.on_packet(a("203.0.113.5:31002"), true), Verdict::Drop);
        assert_eq!(l.on_packet(a("198.51.100.66:5000"), true), Verdict::Drop);
        let c = l.counters;
        assert_eq!(
            (
                c.accepted,
                c.dropped_foreign,
                c.dropped_unexpected,
                c.dropped_invalid,
                c.latches
            ),
            (2, 2, 1, 1, 1)
        );
        // A re-INVITE moves the media; the latch starts again.
        l.reset(Some(a("203.0.113.9:6000")));
        assert!(!l.is_latched());
        assert_eq!(
            l.on_packet(a("203.0.113.9:6000"), true),
            Verdict::Accept { latched_now: true }
        );
    }

    #[test]
    fn any_policy_latches_to_the_first_valid_packet() {
        let mut l = Latch::new(None, None, LatchPolicy::Any);
        assert_eq!(l.remote(), None);
        assert_eq!(
            l.on_packet(a("10.9.9.9:1234"), true),
            Verdict::Accept { latched_now: true }
        );
        assert_eq!(l.on_packet(a("10.9.9.8:1234"), true), Verdict::Drop);
    }
}
