//! SDP offer/answer for audio legs: RFC 3264 sections 5-6 (offer, answer, rejected
//! streams with port 0, direction), section 8.4 (hold, including the older
//! `c=0.0.0.0` form), over RFC 8866 syntax; codecs PCMU and PCMA (RFC 3551) and
//! telephone-event (RFC 4733 section 7).
//!
//! Parsing is done by Mozilla's `webrtc-sdp` (maintained and fuzzed), whose result
//! is copied into the small [`SessionDesc`] the negotiation works on. Writing is
//! ours: an answer is a short fixed shape. Every offer is answered with exactly one
//! G.711 codec (the first the offerer lists that we allow) plus telephone-event when
//! offered, so the codec never changes under a running leg. When nothing matches,
//! [`SdpError::sip_status`] gives the 488 the caller should see; so does a
//! stream whose address is broadcast or multicast (we send only to one party).
//!
//! SRTP keyed by SDES (RFC 4568): an `RTP/SAVP` stream carries `a=crypto` lines
//! (parsed here from the text, as `webrtc-sdp` does not keep them). An SRTP
//! offer is answered with the first suite we support and a fresh key of ours;
//! a plain offer is answered plainly unless [`SrtpMode::Require`] says no; an
//! SRTP offer with no suite we support gets 488 (section 7.1.2 of RFC 4568).

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use webrtc_sdp::attribute_type::SdpAttribute;
use webrtc_sdp::media_type::SdpFormatList;

use super::g711::Law;
use super::srtp::{MasterKey, SrtpParams, Suite};

/// Media direction (RFC 3264 section 5.1), as seen by the side that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }
    /// True when the writer of the SDP will send media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }
    /// True when the writer of the SDP wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
    /// The direction an answer takes to an offer with this direction, when the
    /// answerer itself would like `wanted` (section 6.1: sendonly is answered
    /// recvonly or inactive, and so on).
    pub fn answer(self, wanted: Direction) -> Direction {
        Direction::from_flags(
            self.receives() && wanted.sends(),
            self.sends() && wanted.receives(),
        )
    }
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// Why an offer or answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("malformed SDP: {0}")]
    Malformed(String),
    #[error("no usable audio stream (RTP/AVP with a non-zero port)")]
    NoAudio,
    #[error("no common codec; offered {offered}")]
    NoCommonCodec { offered: String },
    #[error("media address {0} is broadcast or multicast: not a party to send to")]
    UnusableAddress(IpAddr),
    #[error("RTP/SAVP without an a=crypto suite we support (AES_CM_128_HMAC_SHA1_80/32)")]
    NoCommonCrypto,
    #[error("plain RTP where SRTP is required")]
    SrtpRequired,
}

impl SdpError {
    /// The SIP status for an INVITE carrying this SDP (RFC 3261 section 21.4.26).
    pub fn sip_status(&self) -> u16 {
        match self {
            SdpError::Malformed(_) => 400,
            SdpError::NoAudio
            | SdpError::NoCommonCodec { .. }
            | SdpError::UnusableAddress(_)
            | SdpError::NoCommonCrypto
            | SdpError::SrtpRequired => 488,
        }
    }
}

/// One `m=` section, as far as negotiation cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    /// `audio`, `video`, ...
    pub kind: String,
    pub port: u16,
    pub proto: String,
    /// The format list exactly as offered (echoed when the stream is rejected).
    pub formats: Vec<String>,
    /// Media-level `c=`, else the session-level one; `None` for `0.0.0.0`
    /// (old-style hold) or a host name we do not resolve.
    pub address: Option<IpAddr>,
    /// `a=rtpmap` entries: payload type, encoding name, clock rate.
    pub rtpmap: Vec<(u8, String, u32)>,
    pub ptime: Option<u32>,
    pub direction: Direction,
    /// `a=rtcp-mux`: RTCP shares the RTP port (RFC 5761 section 5.1.1).
    pub rtcp_mux: bool,
    /// The `a=crypto` lines we can use, in the writer's order (RFC 4568
    /// section 9.1); lines with a suite, key or parameter we do not support
    /// (MKI, session parameters) are left out.
    pub crypto: Vec<Crypto>,
}

/// One usable `a=crypto:<tag> <suite> inline:<key||salt>[|lifetime]` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crypto {
    pub tag: u32,
    pub suite: Suite,
    pub key: MasterKey,
}

impl Crypto {
    /// Reads the value after `a=crypto:`; `None` for what we cannot use.
    pub fn parse(value: &str) -> Option<Crypto> {
        let mut fields = value.split_whitespace();
        let tag = fields.next()?.parse().ok()?;
        let suite = Suite::from_name(fields.next()?)?;
        // One key parameter and no session parameters (RFC 4568 section 6.3).
        let key_params = fields.next()?;
        if fields.next().is_some() || key_params.contains(';') {
            return None;
        }
        let mut parts = key_params.strip_prefix("inline:")?.split('|');
        let key = MasterKey::from_base64(parts.next()?)?;
        // A lifetime may follow; an MKI (`n:len`) would change the packet layout.
        if parts.any(|p| p.contains(':')) {
            return None;
        }
        Some(Crypto { tag, suite, key })
    }
}

impl MediaLine {
    /// Encoding name and clock rate of a payload type: the rtpmap, else the static
    /// assignment of RFC 3551 table 4 for the two we know.
    fn encoding(&self, pt: u8) -> Option<(&str, u32)> {
        if let Some((_, name, rate)) = self.rtpmap.iter().find(|(p, _, _)| *p == pt) {
            return Some((name.as_str(), *rate));
        }
        match pt {
            0 => Some(("PCMU", 8000)),
            8 => Some(("PCMA", 8000)),
            _ => None,
        }
    }

    fn is_rtp_audio(&self) -> bool {
        self.kind == "audio"
            && matches!(
                self.proto.as_str(),
                "RTP/AVP" | "RTP/AVPF" | "RTP/SAVP" | "RTP/SAVPF"
            )
    }

    /// The secure profile of RFC 3711 (`RTP/SAVP`, or `RTP/SAVPF` of RFC 5124).
    pub fn is_srtp(&self) -> bool {
        self.proto.starts_with("RTP/SAVP")
    }
}

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDesc {
    pub media: Vec<MediaLine>,
}

/// Parses SDP text (an offer or an answer).
pub fn parse(text: &str) -> Result<SessionDesc, SdpError> {
    let session =
        webrtc_sdp::parse_sdp(text, false).map_err(|e| SdpError::Malformed(e.to_string()))?;
    // Attributes we have no use for (a=tool, a=minptime, ...) are normal in
    // every phone's SDP: worth a debug line, not a warning per call.
    for warning in &session.warnings {
        tracing::debug!(%warning, "SDP line ignored");
    }
    let ip_of = |c: &Option<webrtc_sdp::SdpConnection>| -> Option<Option<IpAddr>> {
        c.as_ref().map(|c| match &c.address {
            webrtc_sdp::address::ExplicitlyTypedAddress::Ip(ip) if !ip.is_unspecified() => {
                Some(*ip)
            }
            _ => None,
        })
    };
    let session_addr = ip_of(&session.connection).flatten();
    let session_dir = direction_of(&session.attribute);
    let mut media = session
        .media
        .iter()
        .map(|m| {
            let formats = match m.get_formats() {
                SdpFormatList::Integers(v) => v.iter().map(u32::to_string).collect(),
                SdpFormatList::Strings(v) => v.clone(),
                SdpFormatList::Unknown(s) => s.split_whitespace().map(str::to_owned).collect(),
            };
            let attrs = m.get_attributes();
            let rtpmap = attrs
                .iter()
                .filter_map(|a| match a {
                    SdpAttribute::Rtpmap(r) => {
                        Some((r.payload_type, r.codec_name.clone(), r.frequency))
                    }
                    _ => None,
                })
                .collect();
            let ptime = attrs.iter().find_map(|a| match a {
                SdpAttribute::Ptime(p) => Some(*p as u32),
                _ => None,
            });
            MediaLine {
                kind: m.get_type().to_string(),
                port: m.get_port().min(u16::MAX as u32) as u16,
                proto: m.get_proto().to_string(),
                formats,
                address: ip_of(m.get_connection()).unwrap_or(session_addr),
                rtpmap,
                ptime,
                direction: direction_of(attrs).or(session_dir).unwrap_or_default(),
                rtcp_mux: attrs.iter().any(|a| matches!(a, SdpAttribute::RtcpMux)),
                crypto: Vec::new(),
            }
        })
        .collect::<Vec<MediaLine>>();
    add_crypto(text, &mut media);
    // Media goes where the SDP says: a broadcast or multicast address would
    // turn one caller into a source of traffic at a whole network.
    if let Some(address) = media
        .iter()
        .filter(|m| m.port != 0)
        .find_map(|m| m.address.filter(|a| !is_unicast(*a)))
    {
        tracing::warn!(%address, "SDP names a broadcast or multicast media address: refused");
        return Err(SdpError::UnusableAddress(address));
    }
    Ok(SessionDesc { media })
}

/// Adds each media section's `a=crypto` lines (media level only, RFC 4568
/// section 9.1), read from the text in the order of the `m=` lines.
fn add_crypto(text: &str, media: &mut [MediaLine]) {
    let mut section: Option<usize> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("m=") {
            section = Some(section.map_or(0, |k| k + 1));
        } else if let (Some(k), Some(value)) = (section, line.strip_prefix("a=crypto:")) {
            match (media.get_mut(k), Crypto::parse(value)) {
                (Some(m), Some(c)) => m.crypto.push(c),
                (Some(_), None) => {
                    let suite = value.split_whitespace().nth(1).unwrap_or("");
                    tracing::debug!(suite, "a=crypto line we cannot use: ignored");
                }
                (None, _) => {}
            }
        }
    }
}

/// Whether media may be sent to `address`: not the limited broadcast
/// (255.255.255.255) and not multicast (224.0.0.0/4, ff00::/8).
fn is_unicast(address: IpAddr) -> bool {
    match address.to_canonical() {
        IpAddr::V4(v4) => !v4.is_broadcast() && !v4.is_multicast(),
        IpAddr::V6(v6) => !v6.is_multicast(),
    }
}

fn direction_of(attrs: &[SdpAttribute]) -> Option<Direction> {
    attrs.iter().find_map(|a| match a {
        SdpAttribute::Sendrecv => Some(Direction::SendRecv),
        SdpAttribute::Sendonly => Some(Direction::SendOnly),
        SdpAttribute::Recvonly => Some(Direction::RecvOnly),
        SdpAttribute::Inactive => Some(Direction::Inactive),
        _ => None,
    })
}

/// Our side of a leg: where we receive and what we accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    pub address: IpAddr,
    pub port: u16,
    /// The G.711 laws we accept, in our order of preference (used for offers).
    pub laws: Vec<Law>,
    /// Whether we accept RFC 4733 telephone-event.
    pub telephone_event: bool,
    /// SRTP with SDES keys; `None` refuses SRTP offers (and never offers it).
    pub srtp: Option<LocalSrtp>,
}

/// Our side of SDES: the key we send with, and whether plain RTP will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSrtp {
    pub key: MasterKey,
    pub mode: SrtpMode,
}

/// When a leg uses SRTP (`media.srtp` in the configuration, for desk phones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SrtpMode {
    /// SRTP offers are answered with SRTP and plain ones plainly; our offers
    /// are plain RTP.
    #[default]
    Accept,
    /// Our offers are `RTP/SAVP`; a plain offer or answer is refused (488).
    Require,
}

/// The SDES agreement of a leg: the peer's tag (echoed in our answer) and the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes {
    pub tag: u32,
    pub params: SrtpParams,
}

/// The `o=` line's session id and version; the version goes up with every
/// description we write (RFC 3264 section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub session_id: u64,
    pub version: u64,
}

/// What the two sides agreed for the audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Index of the audio `m=` line used.
    pub media_index: usize,
    pub law: Law,
    /// The payload type the audio travels under (0 or 8, or what the rtpmap said).
    pub payload_type: u8,
    /// The telephone-event payload type, when both sides use it.
    pub telephone_event: Option<u8>,
    /// Where to send; `None` while the peer is on old-style hold or gave no address.
    pub remote: Option<SocketAddr>,
    /// The peer's packetisation preference in ms (we always send 20 ms).
    pub remote_ptime: u32,
    /// What we may do: send when `direction.sends()`, expect audio when `receives()`.
    pub direction: Direction,
    /// RTCP travels on the RTP port (both sides said `a=rtcp-mux`).
    pub rtcp_mux: bool,
    /// SRTP, when the stream is `RTP/SAVP`.
    pub srtp: Option<Sdes>,
}

/// The telephone-event payload type we use in our own offers.
pub const OFFER_TELEPHONE_EVENT_PT: u8 = 101;

fn choose(m: &MediaLine, idx: usize, laws: &[Law], te: bool) -> Result<Negotiated, SdpError> {
    let mut chosen = None;
    let mut event = None;
    for f in &m.formats {
        let Ok(pt) = f.parse::<u8>() else { continue };
        let Some((name, rate)) = m.encoding(pt) else {
            continue;
        };
        if rate != 8000 {
            continue;
        }
        let law = if name.eq_ignore_ascii_case("PCMU") {
            Some(Law::Mu)
        } else if name.eq_ignore_ascii_case("PCMA") {
            Some(Law::A)
        } else {
            None
        };
        match law {
            Some(l) if chosen.is_none() && laws.contains(&l) => chosen = Some((l, pt)),
            None if te && event.is_none() && name.eq_ignore_ascii_case("telephone-event") => {
                event = Some(pt)
            }
            _ => {}
        }
    }
    let Some((law, payload_type)) = chosen else {
        return Err(SdpError::NoCommonCodec {
            offered: m.formats.join(" "),
        });
    };
    Ok(Negotiated {
        media_index: idx,
        law,
        payload_type,
        telephone_event: event,
        remote: m
            .address
            .filter(|_| m.port != 0)
            .map(|ip| SocketAddr::new(ip, m.port)),
        remote_ptime: m.ptime.unwrap_or(20),
        direction: Direction::SendRecv,
        rtcp_mux: m.rtcp_mux,
        srtp: None,
    })
}

/// The SDES agreement for stream `m` under `local`: `None` for plain RTP, an
/// error when the stream's profile and our mode do not fit. `offered` is the
/// crypto we offered, when `m` is an answer to it (its tag and suite must be ours).
fn agree_srtp(
    m: &MediaLine,
    local: &LocalMedia,
    offered: Option<Crypto>,
) -> Result<Option<Sdes>, SdpError> {
    match (m.is_srtp(), local.srtp) {
        (
            false,
            Some(LocalSrtp {
                mode: SrtpMode::Require,
                ..
            }),
        ) => Err(SdpError::SrtpRequired),
        (false, _) => Ok(None),
        (true, None) => Err(SdpError::NoCommonCrypto),
        (true, Some(ours)) => {
            let chosen = m
                .crypto
                .iter()
                .find(|c| offered.is_none_or(|o| o.tag == c.tag && o.suite == c.suite))
                .ok_or(SdpError::NoCommonCrypto)?;
            Ok(Some(Sdes {
                tag: chosen.tag,
                params: SrtpParams {
                    suite: chosen.suite,
                    local: ours.key,
                    remote: chosen.key,
                },
            }))
        }
    }
}

/// The crypto line of our offers: tag 1, the 80-bit tag suite, our key.
fn offered_crypto(local: &LocalMedia) -> Option<Crypto> {
    match local.srtp {
        Some(LocalSrtp {
            key,
            mode: SrtpMode::Require,
        }) => Some(Crypto {
            tag: 1,
            suite: Suite::AesCm128HmacSha1_80,
            key,
        }),
        _ => None,
    }
}

/// Negotiates an answer to `offer`: the first RTP audio stream with a non-zero port
/// and a codec we allow. `wanted` is the direction we would like (sendrecv
/// normally, sendonly to put the caller on hold).
pub fn answer(
    offer: &SessionDesc,
    local: &LocalMedia,
    wanted: Direction,
) -> Result<Negotiated, SdpError> {
    let mut first_err = None;
    for (i, m) in offer.media.iter().enumerate() {
        if !m.is_rtp_audio() || m.port == 0 {
            continue;
        }
        let chosen = choose(m, i, &local.laws, local.telephone_event)
            .and_then(|n| Ok((n, agree_srtp(m, local, None)?)));
        match chosen {
            Ok((mut n, srtp)) => {
                n.direction = m.direction.answer(wanted);
                n.srtp = srtp;
                return Ok(n);
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(SdpError::NoAudio))
}

/// Reads the answer to an offer we wrote with [`write_offer`].
pub fn accept_answer(
    answer: &SessionDesc,
    local: &LocalMedia,
    offered: Direction,
) -> Result<Negotiated, SdpError> {
    let (i, m) = answer
        .media
        .iter()
        .enumerate()
        .find(|(_, m)| m.is_rtp_audio() && m.port != 0)
        .ok_or(SdpError::NoAudio)?;
    let mut n = choose(m, i, &local.laws, local.telephone_event)?;
    n.srtp = match offered_crypto(local) {
        Some(ours) => agree_srtp(m, local, Some(ours))?,
        // We offered plain RTP: an answer may not switch profile (RFC 3264 6).
        None if m.is_srtp() => return Err(SdpError::NoCommonCrypto),
        None => None,
    };
    // Our direction is what we offered, limited by what the answerer agreed to.
    n.direction = Direction::from_flags(
        offered.sends() && m.direction.receives(),
        offered.receives() && m.direction.sends(),
    );
    Ok(n)
}

fn header(out: &mut String, local: &LocalMedia, origin: &mut Origin) {
    origin.version += 1;
    let ip = match local.address {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    let _ = write!(
        out,
        "v=0\r\no=switchboard {} {} IN {ip} {addr}\r\ns=switchboard\r\nc=IN {ip} {addr}\r\nt=0 0\r\n",
        origin.session_id,
        origin.version,
        addr = local.address
    );
}

/// What an audio `m=` section says besides its codecs.
struct Section<'a> {
    port: u16,
    proto: &'a str,
    te: Option<u8>,
    dir: Direction,
    rtcp_mux: bool,
    crypto: Option<Crypto>,
}

fn audio_section(out: &mut String, codecs: &[(Law, u8)], section: Section<'_>) {
    let Section {
        port,
        proto,
        te,
        dir,
        rtcp_mux,
        crypto,
    } = section;
    let _ = write!(out, "m=audio {port} {proto}");
    for (_, pt) in codecs {
        let _ = write!(out, " {pt}");
    }
    if let Some(te) = te {
        let _ = write!(out, " {te}");
    }
    out.push_str("\r\n");
    for (law, pt) in codecs {
        let _ = write!(out, "a=rtpmap:{pt} {}/8000\r\n", law.name());
    }
    if let Some(te) = te {
        let _ = write!(
            out,
            "a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\n"
        );
    }
    let _ = write!(out, "a=ptime:20\r\na={}\r\n", dir.as_str());
    if rtcp_mux {
        out.push_str("a=rtcp-mux\r\n");
    }
    if let Some(c) = crypto {
        let _ = write!(
            out,
            "a=crypto:{} {} inline:{}\r\n",
            c.tag,
            c.suite.name(),
            c.key.to_base64()
        );
    }
}

/// Writes the answer for `neg` (from [`answer`]): the same `m=` lines in the same
/// order, every stream but the chosen one rejected with port 0 (section 6).
pub fn write_answer(
    offer: &SessionDesc,
    neg: &Negotiated,
    local: &LocalMedia,
    origin: &mut Origin,
) -> String {
    let mut out = String::with_capacity(300);
    header(&mut out, local, origin);
    for (i, m) in offer.media.iter().enumerate() {
        if i == neg.media_index {
            let codecs = [(neg.law, neg.payload_type)];
            let crypto = neg.srtp.map(|s| Crypto {
                tag: s.tag,
                suite: s.params.suite,
                key: s.params.local,
            });
            audio_section(
                &mut out,
                &codecs,
                Section {
                    port: local.port,
                    proto: &m.proto,
                    te: neg.telephone_event,
                    dir: neg.direction,
                    rtcp_mux: neg.rtcp_mux,
                    crypto,
                },
            );
        } else {
            let _ = write!(
                out,
                "m={} 0 {} {}\r\n",
                m.kind,
                m.proto,
                m.formats.join(" ")
            );
        }
    }
    out
}

/// Writes an offer of our laws (static payload types), telephone-event, and
/// `a=rtcp-mux` (a peer that ignores it sends RTCP to port+1, which we leave unread);
/// `RTP/SAVP` with our key when SRTP is required.
pub fn write_offer(local: &LocalMedia, direction: Direction, origin: &mut Origin) -> String {
    let mut out = String::with_capacity(300);
    header(&mut out, local, origin);
    let codecs: Vec<(Law, u8)> = local.laws.iter().map(|l| (*l, l.payload_type())).collect();
    let te = local.telephone_event.then_some(OFFER_TELEPHONE_EVENT_PT);
    let crypto = offered_crypto(local);
    audio_section(
        &mut out,
        &codecs,
        Section {
            port: local.port,
            proto: if crypto.is_some() {
                "RTP/SAVP"
            } else {
                "RTP/AVP"
            },
            te,
            dir: direction,
            rtcp_mux: true,
            crypto,
        },
    );
    out
}

#[cfg(test)]
#[path = "sdp_tests.rs"]
mod tests;
