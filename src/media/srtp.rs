//! SRTP and SRTCP (RFC 3711) for desk phones and trunks, keyed by SDES
//! (RFC 4568 `a=crypto`, see [`super::sdp`]); browser legs use DTLS-SRTP inside
//! str0m instead.
//!
//! Two suites, both AES in counter mode with HMAC-SHA1 (RFC 4568 section 6.2):
//! `AES_CM_128_HMAC_SHA1_80` and `AES_CM_128_HMAC_SHA1_32` (a 4-byte tag on
//! SRTP; SRTCP keeps 10 bytes). Session keys are derived once with a key
//! derivation rate of 0 (section 4.3; SDES gives no other). A [`Context`] is one
//! direction of one leg: the sender's ROC (section 3.3.1), or the receiver's
//! index estimate (appendix A) and replay window (section 3.3.2) per source.
//!
//! Protection works in place in the caller's buffer, with no allocation: the
//! cipher's key schedule and the keyed HMAC are made when the context is, and
//! each packet copies them. Every failure is an error value for the worker to
//! count; no input panics.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use aes::Aes128;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;
type AesCm = ctr::Ctr128BE<Aes128>;

/// AES in counter mode from `iv` (RFC 3711 section 4.1.1), on an expanded key.
fn counter_mode(cipher: Aes128, iv: &[u8; 16]) -> AesCm {
    let core = ctr::CtrCore::<Aes128, ctr::flavors::Ctr128BE>::inner_iv_init(cipher, iv.into());
    AesCm::from_core(core)
}

/// A crypto suite of RFC 4568 section 6.2 that we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
}

impl Suite {
    /// Our preference, best first.
    pub const ALL: [Suite; 2] = [Suite::AesCm128HmacSha1_80, Suite::AesCm128HmacSha1_32];

    /// The name in `a=crypto`.
    pub fn name(self) -> &'static str {
        match self {
            Suite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Length of the SRTP authentication tag.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_80 => 10,
            Suite::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// The SRTCP authentication tag is 80 bits with either suite (RFC 4568 6.2.2).
pub const RTCP_TAG_LEN: usize = 10;
/// The SRTCP trailer before the tag: the E flag and the 31-bit index.
const RTCP_INDEX_LEN: usize = 4;
/// What protection adds to an RTCP packet.
pub const RTCP_OVERHEAD: usize = RTCP_INDEX_LEN + RTCP_TAG_LEN;
/// The most protection adds to an RTP packet.
pub const MAX_RTP_OVERHEAD: usize = 10;

const KEY_LEN: usize = 16;
const SALT_LEN: usize = 14;

/// A master key and salt (RFC 3711 section 8.2), as carried base64-encoded in
/// `a=crypto ... inline:` (RFC 4568 section 6.1). Its `Debug` shows no key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MasterKey {
    key: [u8; KEY_LEN],
    salt: [u8; SALT_LEN],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A fresh key from the operating system's generator.
    pub fn random() -> MasterKey {
        use rand::RngCore;
        let mut bytes = [0u8; KEY_LEN + SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        MasterKey::from_bytes(&bytes).expect("30 bytes")
    }

    /// Key then salt, 30 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<MasterKey> {
        if bytes.len() != KEY_LEN + SALT_LEN {
            return None;
        }
        let mut key = [0u8; KEY_LEN];
        let mut salt = [0u8; SALT_LEN];
        key.copy_from_slice(&bytes[..KEY_LEN]);
        salt.copy_from_slice(&bytes[KEY_LEN..]);
        Some(MasterKey { key, salt })
    }

    /// Reads the base64 key-salt of an `inline:` key parameter.
    pub fn from_base64(text: &str) -> Option<MasterKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        MasterKey::from_bytes(&bytes)
    }

    /// The base64 key-salt for an `inline:` key parameter.
    pub fn to_base64(&self) -> String {
        let mut bytes = [0u8; KEY_LEN + SALT_LEN];
        bytes[..KEY_LEN].copy_from_slice(&self.key);
        bytes[KEY_LEN..].copy_from_slice(&self.salt);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The key derivation function of RFC 3711 section 4.3.1 with a key
    /// derivation rate of 0: AES-CM keystream under the master key, from
    /// the master salt with `label` in its eighth byte.
    fn derive(&self, label: u8, out: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..SALT_LEN].copy_from_slice(&self.salt);
        iv[7] ^= label;
        out.fill(0);
        let mut cm = counter_mode(Aes128::new(&self.key.into()), &iv);
        cm.apply_keystream(out);
    }
}

/// What the two sides of a leg agreed (from SDP): the suite, the key we send
/// with, the key the peer sends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpParams {
    pub suite: Suite,
    pub local: MasterKey,
    pub remote: MasterKey,
}

/// Why a packet was not protected or unprotected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    #[error("packet too short or not RTP/RTCP version 2")]
    Malformed,
    #[error("authentication tag does not match")]
    AuthFailed,
    #[error("packet index already received or too old (replay)")]
    Replayed,
    #[error("no room in the buffer for the authentication tag")]
    NoRoom,
}

/// The session keys of one of the two kinds of traffic (RTP or RTCP).
#[derive(Clone)]
struct SessionKeys {
    cipher: Aes128,
    salt: [u8; SALT_LEN],
    auth: HmacSha1,
}

impl SessionKeys {
    /// Labels of RFC 3711 section 4.3.2: RTP 0, 1, 2; RTCP 3, 4, 5.
    fn derive(master: &MasterKey, first_label: u8) -> SessionKeys {
        let mut key = [0u8; KEY_LEN];
        let mut auth = [0u8; 20];
        let mut salt = [0u8; SALT_LEN];
        master.derive(first_label, &mut key);
        master.derive(first_label + 1, &mut auth);
        master.derive(first_label + 2, &mut salt);
        SessionKeys {
            cipher: Aes128::new(&key.into()),
            salt,
            auth: <HmacSha1 as Mac>::new_from_slice(&auth).expect("HMAC takes any key length"),
        }
    }

    /// XORs `data` with the keystream for `ssrc` at packet `index` (section
    /// 4.1.1: IV = salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16).
    fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..SALT_LEN].copy_from_slice(&self.salt);
        for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *b ^= s;
        }
        for (b, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *b ^= s;
        }
        let mut cm = counter_mode(self.cipher.clone(), &iv);
        cm.apply_keystream(data);
    }
}

/// The replay list of section 3.3.2 as a 64-packet sliding window.
#[derive(Debug, Clone, Copy, Default)]
struct ReplayWindow {
    /// Highest index accepted, and which of the 64 below it were (bit k: top - k).
    top: u64,
    seen: u64,
}

impl ReplayWindow {
    const SIZE: u64 = 64;

    fn check(&self, index: u64) -> Result<(), SrtpError> {
        if self.seen == 0 || index > self.top {
            return Ok(());
        }
        let behind = self.top - index;
        if behind >= Self::SIZE || self.seen >> behind & 1 == 1 {
            return Err(SrtpError::Replayed);
        }
        Ok(())
    }

    fn accept(&mut self, index: u64) {
        if self.seen == 0 {
            (self.top, self.seen) = (index, 1);
        } else if index > self.top {
            let ahead = index - self.top;
            let kept = if ahead >= Self::SIZE {
                0
            } else {
                self.seen << ahead
            };
            self.seen = kept | 1;
            self.top = index;
        } else {
            self.seen |= 1 << (self.top - index);
        }
    }
}

/// One source's SRTP state: rollover counter and highest sequence number
/// (section 3.3.1), and the replay window when receiving.
#[derive(Debug, Clone, Copy)]
struct Stream {
    ssrc: u32,
    roc: u32,
    s_l: u16,
    replay: ReplayWindow,
    /// When last used, to pick the slot a new source replaces.
    used: u64,
}

impl Stream {
    fn new(ssrc: u32, seq: u16) -> Stream {
        Stream {
            ssrc,
            roc: 0,
            s_l: seq,
            replay: ReplayWindow::default(),
            used: 0,
        }
    }

    /// The ROC the sender used for `seq` and the packet index (appendix A).
    fn estimate(&self, seq: u16) -> (u32, u64) {
        let (s_l, seq_i) = (self.s_l as i32, seq as i32);
        let v = if s_l < 32768 {
            if seq_i - s_l > 32768 {
                self.roc.wrapping_sub(1)
            } else {
                self.roc
            }
        } else if s_l - 32768 > seq_i {
            self.roc.wrapping_add(1)
        } else {
            self.roc
        };
        (v, (v as u64) << 16 | seq as u64)
    }

    fn update(&mut self, seq: u16, v: u32) {
        if v == self.roc.wrapping_add(1) {
            (self.roc, self.s_l) = (v, seq);
        } else if v == self.roc && seq > self.s_l {
            self.s_l = seq;
        }
    }
}

/// How many sources a receiving context tells apart (a re-INVITE or transfer
/// may change the peer's SSRC; the oldest is forgotten).
const STREAMS: usize = 4;

/// One direction of one leg: protects what we send, or unprotects what we
/// receive, for both RTP and RTCP.
#[derive(Clone)]
pub struct Context {
    suite: Suite,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    streams: [Option<Stream>; STREAMS],
    uses: u64,
    /// Sending: the next SRTCP index. Receiving: the SSRC and window of SRTCP.
    rtcp_index: u32,
    rtcp_replay: Option<(u32, ReplayWindow)>,
}

impl Context {
    pub fn new(suite: Suite, master: &MasterKey) -> Context {
        Context {
            suite,
            rtp: SessionKeys::derive(master, 0),
            rtcp: SessionKeys::derive(master, 3),
            streams: [None; STREAMS],
            uses: 0,
            rtcp_index: 0,
            rtcp_replay: None,
        }
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The state of `ssrc`, or a new one for it at `seq` in the least recently
    /// used slot; returns the slot and the state (written back by the caller).
    fn stream(&mut self, ssrc: u32, seq: u16) -> (usize, Stream) {
        self.uses += 1;
        if let Some(k) = self
            .streams
            .iter()
            .position(|s| s.is_some_and(|s| s.ssrc == ssrc))
        {
            return (k, self.streams[k].expect("found"));
        }
        let k = (0..STREAMS)
            .min_by_key(|&k| self.streams[k].map_or(0, |s| s.used))
            .unwrap_or(0);
        (k, Stream::new(ssrc, seq))
    }

    /// Protects the RTP packet in `buf[..len]` in place: encrypts its payload and
    /// appends the tag. Returns the SRTP length; `buf` must have room for the tag.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let tag_len = self.suite.rtp_tag_len();
        let packet = buf.get(..len).ok_or(SrtpError::Malformed)?;
        let header = rtp_header_len(packet)?;
        if buf.len() < len + tag_len {
            return Err(SrtpError::NoRoom);
        }
        let (seq, ssrc) = seq_ssrc(buf);
        let (slot, mut stream) = self.stream(ssrc, seq);
        let (roc, index) = stream.estimate(seq);
        stream.update(seq, roc);
        stream.used = self.uses;
        self.streams[slot] = Some(stream);
        self.rtp.apply_keystream(ssrc, index, &mut buf[header..len]);
        let mut mac = self.rtp.auth.clone();
        mac.update(&buf[..len]);
        mac.update(&roc.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        buf[len..len + tag_len].copy_from_slice(&tag[..tag_len]);
        Ok(len + tag_len)
    }

    /// Authenticates, checks for replay and decrypts the SRTP packet `buf` in
    /// place. Returns the length of the RTP packet left at its start.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let tag_len = self.suite.rtp_tag_len();
        let end = buf.len().checked_sub(tag_len).ok_or(SrtpError::Malformed)?;
        let header = rtp_header_len(&buf[..end])?;
        let (seq, ssrc) = seq_ssrc(buf);
        let (slot, mut stream) = self.stream(ssrc, seq);
        let (roc, index) = stream.estimate(seq);
        stream.replay.check(index)?;
        let mut mac = self.rtp.auth.clone();
        mac.update(&buf[..end]);
        mac.update(&roc.to_be_bytes());
        mac.verify_truncated_left(&buf[end..])
            .map_err(|_| SrtpError::AuthFailed)?;
        self.rtp.apply_keystream(ssrc, index, &mut buf[header..end]);
        stream.replay.accept(index);
        stream.update(seq, roc);
        stream.used = self.uses;
        self.streams[slot] = Some(stream);
        Ok(end)
    }

    /// Protects the RTCP compound packet in `buf[..len]` in place (section
    /// 3.4): everything after the first header and SSRC encrypted, then the
    /// E flag and index, then the tag. Returns the SRTCP length.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        if len < 8 || buf.get(..len).is_none_or(|b| b[0] >> 6 != 2) {
            return Err(SrtpError::Malformed);
        }
        if buf.len() < len + RTCP_OVERHEAD {
            return Err(SrtpError::NoRoom);
        }
        let ssrc = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let index = self.rtcp_index;
        self.rtcp_index = (index + 1) & 0x7fff_ffff;
        self.rtcp
            .apply_keystream(ssrc, index as u64, &mut buf[8..len]);
        buf[len..len + RTCP_INDEX_LEN].copy_from_slice(&(index | 0x8000_0000).to_be_bytes());
        let authenticated = len + RTCP_INDEX_LEN;
        let mut mac = self.rtcp.auth.clone();
        mac.update(&buf[..authenticated]);
        let tag = mac.finalize().into_bytes();
        buf[authenticated..authenticated + RTCP_TAG_LEN].copy_from_slice(&tag[..RTCP_TAG_LEN]);
        Ok(authenticated + RTCP_TAG_LEN)
    }

    /// Authenticates, checks for replay and decrypts the SRTCP packet `buf` in
    /// place. Returns the length of the RTCP compound packet left at its start.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        if buf.len() < 8 + RTCP_OVERHEAD || buf[0] >> 6 != 2 {
            return Err(SrtpError::Malformed);
        }
        let authenticated = buf.len() - RTCP_TAG_LEN;
        let end = authenticated - RTCP_INDEX_LEN;
        let trailer = u32::from_be_bytes([buf[end], buf[end + 1], buf[end + 2], buf[end + 3]]);
        let (encrypted, index) = (trailer & 0x8000_0000 != 0, trailer & 0x7fff_ffff);
        let ssrc = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let mut window = match self.rtcp_replay {
            Some((s, w)) if s == ssrc => w,
            _ => ReplayWindow::default(),
        };
        window.check(index as u64)?;
        let mut mac = self.rtcp.auth.clone();
        mac.update(&buf[..authenticated]);
        mac.verify_truncated_left(&buf[authenticated..])
            .map_err(|_| SrtpError::AuthFailed)?;
        if encrypted {
            self.rtcp
                .apply_keystream(ssrc, index as u64, &mut buf[8..end]);
        }
        window.accept(index as u64);
        self.rtcp_replay = Some((ssrc, window));
        Ok(end)
    }
}

/// Both directions of a leg.
#[derive(Clone)]
pub struct SrtpSession {
    /// Protects what we send, under our key.
    pub outbound: Context,
    /// Unprotects what the peer sends, under its key.
    pub inbound: Context,
}

impl SrtpSession {
    pub fn new(params: &SrtpParams) -> SrtpSession {
        SrtpSession {
            outbound: Context::new(params.suite, &params.local),
            inbound: Context::new(params.suite, &params.remote),
        }
    }
}

/// Length of the RTP header with CSRCs and extension (RFC 3550 5.1, 5.3.1): the
/// part SRTP leaves in clear.
fn rtp_header_len(buf: &[u8]) -> Result<usize, SrtpError> {
    if buf.len() < 12 || buf[0] >> 6 != 2 {
        return Err(SrtpError::Malformed);
    }
    let mut len = 12 + 4 * (buf[0] & 0x0f) as usize;
    if buf[0] & 0x10 != 0 {
        let ext = buf.get(len..len + 4).ok_or(SrtpError::Malformed)?;
        len += 4 + 4 * u16::from_be_bytes([ext[2], ext[3]]) as usize;
    }
    if len > buf.len() {
        return Err(SrtpError::Malformed);
    }
    Ok(len)
}

fn seq_ssrc(buf: &[u8]) -> (u16, u32) {
    (
        u16::from_be_bytes([buf[2], buf[3]]),
        u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
    )
}

#[cfg(test)]
#[path = "srtp_tests.rs"]
mod tests;
