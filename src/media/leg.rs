//! One media leg inside a worker: its socket and port lease, its outgoing RTP stream
//! (RFC 3550 section 5.1 continuity across sources), its player, latch (RFC 4961),
//! reception statistics (appendix A.1/A.8) and DTMF receivers (RFC 4733, in-band).
//!
//! [`Leg::receive`] judges and consumes one received datagram: the pure work the
//! worker does for every packet, whether the leg is on hold or bridged.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

use super::bridge::{LegCodec, Relay};
use super::dtmf::{Digit, EventReceiver};
use super::g711::Law;
use super::goertzel::InbandDetector;
use super::latch::{Latch, LatchCounters, LatchPolicy, Verdict};
use super::player::Player;
use super::ports::PortLease;
use super::rtp::{is_rtcp, OutStream, RtpPacket};
use super::sdp::Direction;
use super::source::FRAME_SAMPLES;
use super::stats::{LegStats, ReceiveStats};

/// Identifies a leg to its worker; chosen by the owner (the call), unique per worker.
pub type LegId = u64;

/// What the call negotiated for a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegConfig {
    pub codec: LegCodec,
    /// The peer's address from SDP (`None` on old-style hold or before the answer).
    pub remote: Option<SocketAddr>,
    /// The IP the SIP signalling came from (for latching behind NAT).
    pub signalling_ip: Option<IpAddr>,
    pub latch: LatchPolicy,
    /// Our direction from the offer/answer: whether we send and expect audio.
    pub direction: Direction,
    /// Listen for DTMF tones in the audio (when no telephone-event was negotiated).
    pub inband_dtmf: bool,
}

impl LegConfig {
    /// A sendrecv leg with latching to the SDP or signalling address.
    pub fn new(
        law: Law,
        payload_type: u8,
        telephone_event: Option<u8>,
        remote: Option<SocketAddr>,
    ) -> Self {
        LegConfig {
            codec: LegCodec {
                law,
                payload_type,
                telephone_event,
            },
            remote,
            signalling_ip: None,
            latch: LatchPolicy::KnownPeer,
            direction: Direction::SendRecv,
            inband_dtmf: telephone_event.is_none(),
        }
    }
}

/// What a leg reports when it ends, for the interaction record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegReport {
    pub received: LegStats,
    pub latch: LatchCounters,
    pub sent_packets: u64,
    pub sent_octets: u64,
    /// RTCP packets received (reports are read, not yet acted upon).
    pub rtcp_received: u64,
}

/// What a received datagram turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Audio or an event from the peer, accepted: relay it if bridged.
    Media { latched_now: bool },
    /// RTCP, read and counted.
    Rtcp,
    /// Dropped by the latch or as invalid.
    Dropped,
}

pub(crate) struct Leg {
    pub id: LegId,
    pub socket: Arc<tokio::net::UdpSocket>,
    pub fd: RawFd,
    _lease: Option<PortLease>,
    pub config: LegConfig,
    pub out: OutStream,
    pub player: Player,
    pub latch: Latch,
    pub stats: ReceiveStats,
    pub dtmf: EventReceiver,
    pub inband: Option<InbandDetector>,
    /// The leg this one is bridged to, and the rewrite for packets going there.
    pub peer: Option<(LegId, Relay)>,
    pub rtcp_received: u64,
    /// Offset of this leg's first send from its tick, for lateness figures.
    pub anchor: Option<std::time::Duration>,
    pcm: [i16; FRAME_SAMPLES],
}

impl Leg {
    pub fn new(
        id: LegId,
        socket: tokio::net::UdpSocket,
        lease: Option<PortLease>,
        config: LegConfig,
        now: Instant,
    ) -> Leg {
        let out = OutStream::new(rand::random(), rand::random(), rand::random(), now);
        Leg {
            id,
            fd: socket.as_raw_fd(),
            socket: Arc::new(socket),
            _lease: lease,
            latch: Latch::new(config.remote, config.signalling_ip, config.latch),
            inband: config.inband_dtmf.then(InbandDetector::new),
            config,
            out,
            player: Player::new(),
            stats: ReceiveStats::default(),
            dtmf: EventReceiver::new(),
            peer: None,
            rtcp_received: 0,
            anchor: None,
            pcm: [0; FRAME_SAMPLES],
        }
    }

    /// New SDP from the peer (re-INVITE: hold, resume, moved media).
    pub fn update(&mut self, remote: Option<SocketAddr>, direction: Direction) {
        if remote != self.config.remote {
            self.latch.reset(remote);
            self.config.remote = remote;
        }
        if direction.sends() && !self.config.direction.sends() {
            self.out.source_changed();
        }
        self.config.direction = direction;
    }

    /// Judges one datagram from `from` and feeds statistics and DTMF detection.
    pub fn receive(&mut self, buf: &[u8], from: SocketAddr, now: Instant) -> Received {
        if is_rtcp(buf) {
            if self.latch.on_packet(from, true) == Verdict::Drop {
                return Received::Dropped;
            }
            self.rtcp_received += 1;
            return Received::Rtcp;
        }
        let codec = self.config.codec;
        let parsed = RtpPacket::parse(buf).ok().filter(|p| {
            p.payload_type == codec.payload_type || Some(p.payload_type) == codec.telephone_event
        });
        let Verdict::Accept { latched_now } = self.latch.on_packet(from, parsed.is_some()) else {
            return Received::Dropped;
        };
        let p = parsed.expect("accepted packets parsed");
        self.stats
            .record(p.sequence, p.timestamp, p.ssrc, p.payload.len(), now, 8000);
        if Some(p.payload_type) == codec.telephone_event {
            self.dtmf.handle_payload(now, p.timestamp, p.payload);
        } else if let Some(det) = &mut self.inband {
            let n = p.payload.len().min(FRAME_SAMPLES);
            codec.law.decode_into(&p.payload[..n], &mut self.pcm[..n]);
            det.handle_samples(now, &self.pcm[..n]);
        }
        Received::Media { latched_now }
    }

    /// The next digit detected by any means.
    pub fn poll_digit(&mut self, now: Instant) -> Option<Digit> {
        self.dtmf.handle_timeout(now);
        self.dtmf
            .poll_digit()
            .or_else(|| self.inband.as_mut().and_then(|d| d.poll_digit()))
    }

    pub fn report(&self) -> LegReport {
        LegReport {
            received: self.stats.leg(),
            latch: self.latch.counters,
            sent_packets: self.out.packets_sent,
            sent_octets: self.out.octets_sent,
            rtcp_received: self.rtcp_received,
        }
    }
}
