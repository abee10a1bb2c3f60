//! One media leg inside a worker: its socket and port lease, its outgoing RTP stream
//! (RFC 3550 section 5.1 continuity across sources), its player, latch (RFC 4961),
//! reception statistics (appendix A.1/A.8) and DTMF receivers (RFC 4733, in-band).
//!
//! [`Leg::receive`] judges and consumes one received datagram: the pure work the
//! worker does for every packet, whether the leg is on hold or bridged. A leg
//! keyed by SDES protects what it sends and unprotects what it receives
//! ([`super::srtp`]); everything else in the worker sees plain RTP.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::unix::AsyncFd;

use super::bridge::{LegCodec, Relay};
use super::dtmf::{Digit, EventReceiver};
use super::g711::Law;
use super::goertzel::InbandDetector;
use super::latch::{Latch, LatchCounters, LatchPolicy, Verdict};
use super::player::Player;
use super::ports::PortLease;
use super::rtcp::{self, ReportBlock, SenderInfo};
use super::rtp::{is_rtcp, OutStream, RtpPacket};
use super::sdp::Direction;
use super::source::FRAME_SAMPLES;
use super::srtp::{SrtpError, SrtpParams, SrtpSession};
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
    /// Send RTCP reports on the RTP port (RFC 5761; from [`super::sdp::Negotiated`]).
    /// Without it, reports use the leg's RTCP socket on port+1 when one is attached.
    pub rtcp_mux: bool,
    /// Mean RTCP report interval (RFC 3550 section 6.2 minimum: 5 s); each
    /// interval is randomised to 0.5-1.5 times this (section 6.3.1).
    pub rtcp_interval: Duration,
    /// SRTP keys agreed by SDES (RFC 4568); `None` for plain RTP.
    pub srtp: Option<SrtpParams>,
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
            rtcp_mux: false,
            rtcp_interval: Duration::from_secs(5),
            srtp: None,
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
    /// RTCP packets received.
    pub rtcp_received: u64,
    /// How the far end hears us, from its last RTCP report about our SSRC.
    pub remote: Option<RemoteReport>,
}

/// The far end's view of our stream (an RTCP report block, RFC 3550 section 6.4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoteReport {
    pub fraction_lost: u8,
    pub cumulative_lost: i32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Round-trip time from LSR/DLSR (section 6.4.1), when the peer echoed our SR.
    pub rtt: Option<Duration>,
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

/// The RTCP socket of a leg without rtcp-mux: port+1 (RFC 3550 section 11), with
/// its own latch, since a NAT maps it separately from the RTP port.
pub(crate) struct RtcpPort {
    pub socket: Arc<AsyncFd<std::net::UdpSocket>>,
    pub fd: RawFd,
    pub latch: Latch,
}

fn rtcp_address(rtp: Option<SocketAddr>) -> Option<SocketAddr> {
    rtp.map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1)))
}

pub(crate) struct Leg {
    pub id: LegId,
    pub socket: Arc<AsyncFd<std::net::UdpSocket>>,
    pub fd: RawFd,
    _lease: Option<PortLease>,
    pub config: LegConfig,
    pub out: OutStream,
    pub player: Player,
    pub latch: Latch,
    pub stats: ReceiveStats,
    pub dtmf: EventReceiver,
    pub rtcp_port: Option<RtcpPort>,
    /// While bridged: the waker the socket is registered under (see readiness).
    pub ready_waker: Option<(Arc<super::readiness::SocketWaker>, std::task::Waker)>,
    /// In-band detection and its decode buffer, only for legs that need it.
    pub inband: Option<Box<(InbandDetector, [i16; FRAME_SAMPLES])>>,
    /// The leg this one is bridged to, and the rewrite for packets going there.
    pub peer: Option<(LegId, Relay)>,
    /// Both directions' SRTP contexts when the leg is keyed.
    pub srtp: Option<Box<SrtpSession>>,
    pub rtcp_received: u64,
    /// Offset of this leg's first send from its tick, for lateness figures.
    pub anchor: Option<std::time::Duration>,
    next_rtcp: Option<Instant>,
    /// Middle 32 bits of the NTP time of the last SR received, and when it came.
    last_sr: Option<(u32, Instant)>,
    remote_report: Option<RemoteReport>,
}

impl Leg {
    pub fn new(
        id: LegId,
        socket: AsyncFd<std::net::UdpSocket>,
        lease: Option<PortLease>,
        config: LegConfig,
        now: Instant,
    ) -> Leg {
        let out = OutStream::new(rand::random(), rand::random(), rand::random(), now);
        let srtp = config.srtp.as_ref().map(|p| Box::new(SrtpSession::new(p)));
        Leg {
            id,
            fd: socket.get_ref().as_raw_fd(),
            socket: Arc::new(socket),
            _lease: lease,
            latch: Latch::new(config.remote, config.signalling_ip, config.latch),
            rtcp_port: None,
            ready_waker: None,
            inband: config
                .inband_dtmf
                .then(|| Box::new((InbandDetector::new(), [0; FRAME_SAMPLES]))),
            config,
            out,
            player: Player::new(),
            stats: ReceiveStats::default(),
            dtmf: EventReceiver::new(),
            peer: None,
            srtp,
            rtcp_received: 0,
            anchor: None,
            next_rtcp: None,
            last_sr: None,
            remote_report: None,
        }
    }

    /// New SDP from the peer (re-INVITE: hold, resume, moved media).
    pub fn update(&mut self, remote: Option<SocketAddr>, direction: Direction) {
        if remote != self.config.remote {
            self.latch.reset(remote);
            if let Some(rp) = &mut self.rtcp_port {
                rp.latch.reset(rtcp_address(remote));
            }
            self.config.remote = remote;
        }
        if direction.sends() && !self.config.direction.sends() {
            self.out.source_changed();
        }
        self.config.direction = direction;
    }

    /// New SDES keys (a re-INVITE may change either side's key or the
    /// suite, RFC 4568 section 7.1.4), or none: the contexts start afresh.
    pub fn rekey(&mut self, srtp: Option<SrtpParams>) {
        if srtp != self.config.srtp {
            self.srtp = srtp.as_ref().map(|p| Box::new(SrtpSession::new(p)));
            self.config.srtp = srtp;
        }
    }

    /// Removes SRTP or SRTCP protection from a datagram received on the RTP
    /// port, in place; returns the length of the plain packet left at its
    /// start. A plain leg returns the datagram as it is.
    pub fn unprotect(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        match &mut self.srtp {
            None => Ok(buf.len()),
            Some(s) if is_rtcp(buf) => s.inbound.unprotect_rtcp(buf),
            Some(s) => s.inbound.unprotect_rtp(buf),
        }
    }

    /// [`Leg::unprotect`] for a datagram from the RTCP port.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        match &mut self.srtp {
            None => Ok(buf.len()),
            Some(s) => s.inbound.unprotect_rtcp(buf),
        }
    }

    /// Protects the RTP packet `buf[..len]` when the leg is keyed; returns the
    /// length to send (`buf` needs [`super::srtp::MAX_RTP_OVERHEAD`] to spare).
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        match &mut self.srtp {
            None => Ok(len),
            Some(s) => s.outbound.protect_rtp(buf, len),
        }
    }

    /// Protects the RTCP packet `buf[..len]` when the leg is keyed (`buf`
    /// needs [`super::srtp::RTCP_OVERHEAD`] to spare).
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        match &mut self.srtp {
            None => Ok(len),
            Some(s) => s.outbound.protect_rtcp(buf, len),
        }
    }

    /// What protection adds to each RTP packet this leg sends.
    pub fn rtp_overhead(&self) -> usize {
        self.srtp
            .as_ref()
            .map_or(0, |s| s.outbound.suite().rtp_tag_len())
    }

    /// Gives the leg its RTCP socket (port+1) for a peer without rtcp-mux;
    /// without a socket the leg sends no RTCP rather than mux it on a peer
    /// that declined it.
    pub fn attach_rtcp(&mut self, socket: Option<AsyncFd<std::net::UdpSocket>>) {
        self.config.rtcp_mux = false;
        let Some(socket) = socket else {
            self.rtcp_port = None;
            return;
        };
        let fd = socket.get_ref().as_raw_fd();
        let latch = Latch::new(
            rtcp_address(self.config.remote),
            self.config.signalling_ip,
            self.config.latch,
        );
        self.rtcp_port = Some(RtcpPort {
            socket: Arc::new(socket),
            fd,
            latch,
        });
    }

    /// Where RTCP goes: the RTP socket and address when muxed, else port+1.
    pub fn rtcp_destination(&self) -> Option<(RawFd, SocketAddr)> {
        if self.config.rtcp_mux {
            return self.latch.remote().map(|to| (self.fd, to));
        }
        let rp = self.rtcp_port.as_ref()?;
        rp.latch.remote().map(|to| (rp.fd, to))
    }

    /// Judges one datagram that arrived on the RTCP socket.
    pub fn receive_rtcp(&mut self, buf: &[u8], from: SocketAddr, now: Instant) -> Received {
        let Some(rp) = &mut self.rtcp_port else {
            return Received::Dropped;
        };
        if rp.latch.on_packet(from, is_rtcp(buf)) == Verdict::Drop {
            return Received::Dropped;
        }
        self.rtcp_received += 1;
        if let Ok(report) = rtcp::parse_compound(buf) {
            self.on_rtcp(&report, now);
        }
        Received::Rtcp
    }

    /// Judges one datagram from `from` and feeds statistics and DTMF detection.
    pub fn receive(&mut self, buf: &[u8], from: SocketAddr, now: Instant) -> Received {
        if is_rtcp(buf) {
            if self.latch.on_packet(from, true) == Verdict::Drop {
                return Received::Dropped;
            }
            self.rtcp_received += 1;
            if let Ok(report) = rtcp::parse_compound(buf) {
                self.on_rtcp(&report, now);
            }
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
        } else if let Some(inband) = &mut self.inband {
            let (det, pcm) = &mut **inband;
            let n = p.payload.len().min(FRAME_SAMPLES);
            codec.law.decode_into(&p.payload[..n], &mut pcm[..n]);
            det.handle_samples(now, &pcm[..n]);
        }
        Received::Media { latched_now }
    }

    /// The next digit detected by any means.
    pub fn poll_digit(&mut self, now: Instant) -> Option<Digit> {
        self.dtmf.handle_timeout(now);
        self.dtmf
            .poll_digit()
            .or_else(|| self.inband.as_mut().and_then(|d| d.0.poll_digit()))
    }

    fn on_rtcp(&mut self, report: &rtcp::Report, now: Instant) {
        if let Some(sender) = report.sender {
            self.last_sr = Some((rtcp::ntp_middle(sender.ntp), now));
        }
        let ours = self.out.ssrc();
        if let Some(b) = report.blocks.iter().find(|b| b.ssrc == ours) {
            // RTT = arrival - LSR - DLSR, all in 1/65536 s of the NTP clock.
            let rtt = (b.last_sr != 0).then(|| {
                let arrival = rtcp::ntp_middle(ntp_now());
                let units = arrival
                    .wrapping_sub(b.last_sr)
                    .wrapping_sub(b.delay_since_last_sr);
                Duration::from_micros(units as u64 * 1_000_000 / 65_536)
            });
            self.remote_report = Some(RemoteReport {
                fraction_lost: b.fraction_lost,
                cumulative_lost: b.cumulative_lost,
                jitter: b.jitter,
                rtt: rtt.filter(|d| *d < Duration::from_secs(10)),
            });
        }
    }

    /// Writes an RTCP SR (we have sent media) or RR into `buf` when one is due at
    /// `now` (or always with `bye`), with a report block for the source we hear.
    pub fn write_rtcp(&mut self, buf: &mut [u8], now: Instant, bye: bool) -> Option<usize> {
        if !self.config.rtcp_mux && self.rtcp_port.is_none() {
            return None;
        }
        let interval = self.config.rtcp_interval;
        let due = *self.next_rtcp.get_or_insert(now + interval / 2);
        if now < due && !bye {
            return None;
        }
        let jitter = rand::random::<f64>() + 0.5;
        self.next_rtcp = Some(now + interval.mul_f64(jitter));
        let sender = (self.out.packets_sent > 0).then(|| SenderInfo {
            ntp: ntp_now(),
            rtp_timestamp: self.out.timestamp_at(now),
            packets: self.out.packets_sent as u32,
            octets: self.out.octets_sent as u32,
        });
        let block = self.stats.ssrc().map(|ssrc| {
            let (last_sr, delay) = match self.last_sr {
                Some((lsr, at)) => {
                    let d = now.saturating_duration_since(at);
                    (lsr, (d.as_micros() as u64 * 65_536 / 1_000_000) as u32)
                }
                None => (0, 0),
            };
            ReportBlock {
                ssrc,
                fraction_lost: self.stats.take_fraction_lost(),
                cumulative_lost: self.stats.lost().clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                extended_max_seq: self.stats.extended_max(),
                jitter: self.stats.jitter(),
                last_sr,
                delay_since_last_sr: delay,
            }
        });
        let blocks = block.as_slice();
        rtcp::write_report(
            buf,
            self.out.ssrc(),
            sender.as_ref(),
            blocks,
            "switchboard",
            bye,
        )
        .ok()
    }

    pub fn report(&self) -> LegReport {
        LegReport {
            received: self.stats.leg(),
            latch: self.latch.counters,
            sent_packets: self.out.packets_sent,
            sent_octets: self.out.octets_sent,
            rtcp_received: self.rtcp_received,
            remote: self.remote_report,
        }
    }
}

fn ntp_now() -> u64 {
    rtcp::ntp_from_unix(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}
