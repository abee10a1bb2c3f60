//! One browser leg: a str0m peer connection in RTP mode, answering the browser's
//! offer as an ICE-lite endpoint with G.711 and telephone-event only, so its audio
//! bridges to a trunk or desk-phone leg without transcoding (RFC 7874 section 3
//! makes G.711 mandatory for WebRTC endpoints).
//!
//! The leg is sans-IO: the hub feeds it datagrams and the clock, and takes from it
//! what to transmit, the plain RTP it received, and the digits the browser sent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::config::{CryptoProvider, DtlsCert};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Mid, Pt};
use str0m::net::{Protocol, Receive, Transmit};
use str0m::rtp::{Extension, RtpWrite, SeqNo};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcError};

use crate::media::bridge::LegCodec;
use crate::media::dtmf::{Digit, EventReceiver};
use crate::media::g711::Law;
use crate::media::leg::LegReport;
use crate::media::rtp::{RtpHeader, RtpPacket, HEADER_LEN};
use crate::media::stats::ReceiveStats;

/// The payload type we propose for telephone-event; the browser's own number is
/// used in the answer when it offered one.
const TELEPHONE_EVENT_PT: u8 = 101;

/// The crypto every browser leg shares: the provider (pure Rust) and one DTLS
/// certificate, made once at start-up (its fingerprint is in every answer).
#[derive(Clone)]
pub struct Keys {
    provider: Arc<CryptoProvider>,
    cert: DtlsCert,
}

impl Keys {
    pub fn generate() -> Option<Keys> {
        let provider = str0m::crypto::from_feature_flags();
        let cert = provider.dtls_provider.generate_certificate()?;
        Some(Keys {
            provider: Arc::new(provider),
            cert,
        })
    }
}

/// Why a browser's offer was not accepted (the call answers 488).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    #[error("unreadable WebRTC offer: {0}")]
    Sdp(String),
    #[error("the offer has no audio in PCMU or PCMA")]
    NoCommonCodec,
    #[error("our candidate address is unusable: {0}")]
    Candidate(String),
}

/// What driving a leg produced next.
pub enum Step {
    /// A datagram for the network.
    Transmit(Transmit),
    /// An RTP packet from the browser, rebuilt in the clear (header and payload).
    Media(Vec<u8>),
    /// The peer is gone (ICE consent lost, DTLS closed).
    Lost,
    /// Nothing more until this moment (or until new input).
    Wait(Instant),
}

pub struct BrowserLeg {
    rtc: Rtc,
    mid: Option<Mid>,
    /// Our ICE username fragment: STUN requests for this leg carry it.
    pub ufrag: String,
    /// The address our candidate names (the hub's socket, as the browser sees it).
    pub local: SocketAddr,
    /// What the browser negotiated, for the bridge's payload-type mapping.
    pub codec: LegCodec,
    /// Remote addresses the leg has been reached from.
    pub remotes: Vec<SocketAddr>,
    /// Extended sequence number of the last packet written towards the browser.
    tx_seq: Option<u64>,
    stats: ReceiveStats,
    dtmf: EventReceiver,
    sent_packets: u64,
    sent_octets: u64,
    lost: bool,
}

impl std::fmt::Debug for BrowserLeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserLeg")
            .field("ufrag", &self.ufrag)
            .field("local", &self.local)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl BrowserLeg {
    /// Accepts the browser's offer; returns the leg and our SDP answer. `prefer`
    /// is the law of the leg it will be bridged to, listed first so the browser
    /// sends it and the bridge only renumbers payload types.
    pub fn accept(
        offer: &str,
        local: SocketAddr,
        prefer: Law,
        keys: &Keys,
        now: Instant,
    ) -> Result<(BrowserLeg, String), OfferError> {
        let mut config = Rtc::builder()
            .set_crypto_provider(keys.provider.clone())
            .set_dtls_cert(keys.cert.clone())
            .set_ice_lite(true)
            .set_rtp_mode(true)
            // Only the MID extension (BUNDLE demultiplexing, RFC 9143) and the
            // audio level: no transport-wide congestion control, whose feedback
            // costs more than the audio itself for a fixed-rate G.711 stream.
            .clear_extension_map()
            .set_extension(1, Extension::AudioLevel)
            .set_extension(4, Extension::RtpMid)
            .clear_codecs();
        let laws = match prefer {
            Law::Mu => [Law::Mu, Law::A],
            Law::A => [Law::A, Law::Mu],
        };
        for law in laws {
            config = match law {
                Law::Mu => config.enable_pcmu(true, false),
                Law::A => config.enable_pcma(true, false),
            };
        }
        config.codec_config().add_config(
            Pt::from(TELEPHONE_EVENT_PT),
            None,
            Codec::Tele,
            str0m::media::Frequency::EIGHT_KHZ,
            None,
            FormatParams::default(),
        );
        let mut rtc = config.build(now);
        let candidate =
            Candidate::host(local, "udp").map_err(|e| OfferError::Candidate(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| OfferError::Sdp(e.to_string()))?;
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| OfferError::Sdp(e.to_string()))?
            .to_sdp_string();
        let codec = codec_of_answer(&answer).ok_or(OfferError::NoCommonCodec)?;
        let ufrag = ice_ufrag(&answer).unwrap_or_default();
        Ok((
            BrowserLeg {
                rtc,
                mid: None,
                ufrag,
                local,
                codec,
                remotes: Vec::new(),
                tx_seq: None,
                stats: ReceiveStats::default(),
                dtmf: EventReceiver::new(),
                sent_packets: 0,
                sent_octets: 0,
                lost: false,
            },
            answer,
        ))
    }

    /// A new offer in the same session (hold, resume, an ICE restart).
    pub fn reoffer(&mut self, offer: &str) -> Result<String, OfferError> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| OfferError::Sdp(e.to_string()))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| OfferError::Sdp(e.to_string()))?
            .to_sdp_string();
        if let Some(codec) = codec_of_answer(&answer) {
            self.codec = codec;
        }
        Ok(answer)
    }

    /// One datagram from `from`.
    pub fn receive(&mut self, now: Instant, from: SocketAddr, buf: &[u8]) -> Result<(), RtcError> {
        let Ok(receive) = Receive::new(Protocol::Udp, from, self.local, buf) else {
            return Ok(());
        };
        if !self.remotes.contains(&from) {
            self.remotes.push(from);
        }
        self.rtc.handle_input(Input::Receive(now, receive))
    }

    pub fn timeout(&mut self, now: Instant) -> Result<(), RtcError> {
        self.rtc.handle_input(Input::Timeout(now))
    }

    /// Queues one RTP packet (already in this leg's own stream: our SSRC, sequence
    /// and timestamps, the browser's payload types) for encryption and sending.
    pub fn send(&mut self, packet: &[u8], now: Instant) {
        let (Some(mid), Ok(p)) = (self.mid, RtpPacket::parse(packet)) else {
            return;
        };
        let seq = extend_seq(self.tx_seq, p.sequence);
        self.tx_seq = Some(seq);
        let mut api = self.rtc.direct_api();
        let Some(stream) = api.stream_tx_by_mid(mid, None) else {
            return;
        };
        let write = RtpWrite::new(
            Pt::from(p.payload_type),
            SeqNo::from(seq),
            p.timestamp,
            now,
            p.payload,
        )
        .marker(p.marker);
        stream.write_rtp(write);
        self.sent_packets += 1;
        self.sent_octets += p.payload.len() as u64;
    }

    /// The next thing the leg has to say.
    pub fn step(&mut self, now: Instant) -> Result<Step, RtcError> {
        if self.lost {
            return Ok(Step::Lost);
        }
        loop {
            match self.rtc.poll_output()? {
                Output::Transmit(t) => return Ok(Step::Transmit(t)),
                Output::Timeout(at) => {
                    let dtmf = self.dtmf.poll_timeout().unwrap_or(at);
                    // Never sleep past a second: str0m may name a far future.
                    return Ok(Step::Wait(at.min(dtmf).min(now + Duration::from_secs(1))));
                }
                Output::Event(Event::MediaAdded(m)) => self.mid = Some(m.mid),
                Output::Event(Event::IceConnectionStateChange(
                    IceConnectionState::Disconnected,
                )) => {
                    self.lost = true;
                    return Ok(Step::Lost);
                }
                Output::Event(Event::RtpPacket(p)) => {
                    let pt = *p.header.payload_type;
                    if Some(pt) == self.codec.telephone_event {
                        self.dtmf
                            .handle_payload(now, p.header.timestamp, &p.payload);
                    }
                    self.stats.record(
                        p.header.sequence_number,
                        p.header.timestamp,
                        *p.header.ssrc,
                        p.payload.len(),
                        now,
                        8000,
                    );
                    let mut data = vec![0u8; HEADER_LEN + p.payload.len()];
                    RtpHeader {
                        marker: p.header.marker,
                        payload_type: pt,
                        sequence: p.header.sequence_number,
                        timestamp: p.header.timestamp,
                        ssrc: *p.header.ssrc,
                    }
                    .write(&mut data);
                    data[HEADER_LEN..].copy_from_slice(&p.payload);
                    return Ok(Step::Media(data));
                }
                Output::Event(_) => {}
            }
        }
    }

    /// A digit the browser finished sending (RFC 4733).
    pub fn poll_digit(&mut self, now: Instant) -> Option<Digit> {
        self.dtmf.handle_timeout(now);
        self.dtmf.poll_digit()
    }

    /// Whether ICE and DTLS are up.
    pub fn is_connected(&self) -> bool {
        self.rtc.is_connected()
    }

    pub fn report(&self) -> LegReport {
        LegReport {
            received: self.stats.leg(),
            sent_packets: self.sent_packets,
            sent_octets: self.sent_octets,
            ..LegReport::default()
        }
    }

    /// Ends the session.
    pub fn close(&mut self) {
        self.rtc.disconnect();
    }
}

/// Extends a 16-bit sequence number against the last extended one sent.
fn extend_seq(last: Option<u64>, seq: u16) -> u64 {
    let Some(last) = last else {
        // The first packet has roll-over count 0: SRTP (RFC 3711 section 3.3.1)
        // starts there, and the browser learns no other.
        return seq as u64;
    };
    let base = last & !0xffff;
    let candidates = [
        base.checked_sub(1 << 16).map(|b| b | seq as u64),
        Some(base | seq as u64),
        Some((base + (1 << 16)) | seq as u64),
    ];
    candidates
        .into_iter()
        .flatten()
        .min_by_key(|c| c.abs_diff(last))
        .unwrap_or(base | seq as u64)
}

/// The audio codec and telephone-event payload type our answer settled on: the
/// first G.711 format of the audio m-line, and telephone-event at 8 kHz.
fn codec_of_answer(sdp: &str) -> Option<LegCodec> {
    let mut formats: Vec<u8> = Vec::new();
    let mut maps: Vec<(u8, String)> = Vec::new();
    let mut in_audio = false;
    for line in sdp.lines() {
        if let Some(m) = line.strip_prefix("m=") {
            in_audio = m.starts_with("audio ");
            if in_audio && formats.is_empty() {
                formats = m
                    .split_whitespace()
                    .skip(3)
                    .filter_map(|f| f.parse().ok())
                    .collect();
            }
        } else if in_audio {
            if let Some(map) = line.strip_prefix("a=rtpmap:") {
                let mut parts = map.splitn(2, ' ');
                if let (Some(pt), Some(name)) = (parts.next(), parts.next()) {
                    if let Ok(pt) = pt.parse() {
                        maps.push((pt, name.trim().to_ascii_lowercase()));
                    }
                }
            }
        }
    }
    let name_of = |pt: u8| {
        maps.iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, n)| n.as_str())
            .or(match pt {
                0 => Some("pcmu/8000"),
                8 => Some("pcma/8000"),
                _ => None,
            })
    };
    let (payload_type, law) = formats.iter().find_map(|&pt| match name_of(pt) {
        Some(n) if n.starts_with("pcmu/") => Some((pt, Law::Mu)),
        Some(n) if n.starts_with("pcma/") => Some((pt, Law::A)),
        _ => None,
    })?;
    let telephone_event = formats
        .iter()
        .copied()
        .find(|&pt| name_of(pt).is_some_and(|n| n.starts_with("telephone-event/8000")));
    Some(LegCodec {
        law,
        payload_type,
        telephone_event,
    })
}

fn ice_ufrag(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(|u| u.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_extend_across_wraps() {
        let a = extend_seq(None, 65_535);
        assert_eq!(a, 65_535, "SRTP starts at roll-over count 0");
        let b = extend_seq(Some(a), 0);
        assert_eq!(b, a + 1);
        let c = extend_seq(Some(b), 65_534);
        assert_eq!(c, a - 1);
        assert_eq!(extend_seq(Some(3), 65_535), 65_535, "never below zero");
    }

    #[test]
    fn the_answer_names_the_codec_the_bridge_maps() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8 0 126\r\na=rtpmap:8 PCMA/8000\r\n\
                   a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n";
        assert_eq!(
            codec_of_answer(sdp),
            Some(LegCodec {
                law: Law::A,
                payload_type: 8,
                telephone_event: Some(126)
            })
        );
        assert_eq!(codec_of_answer("v=0\r\nm=audio 9 RTP/SAVPF 111\r\n"), None);
    }
}
