//! RTP packets and one leg's outgoing stream, RFC 3550 sections 5.1 and 5.3.1.
//!
//! - [`RtpPacket`] reads the fixed header, CSRC list and header extension (section
//!   5.1, 5.3.1) and [`RtpHeader::write`] writes a header without allocating.
//! - [`OutStream`] keeps one leg's outgoing SSRC, sequence number and timestamp
//!   continuous while its source changes (hold music, prompt, the agent's relayed
//!   voice): the receiver sees one stream with a marker bit at each change (section
//!   5.1, "marker"), never a jump back in sequence or time.
//!
//! Reception statistics live in [`super::stats`], RTCP in [`super::rtcp`].

use std::time::Instant;

/// Length of the fixed RTP header.
pub const HEADER_LEN: usize = 12;

/// Why a datagram is not an RTP packet we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("shorter than its header")]
    Truncated,
    #[error("RTP version is not 2")]
    Version,
    #[error("padding longer than the payload")]
    Padding,
}

/// A parsed view of one RTP packet, borrowing the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Offset of the payload in the datagram (after CSRCs and extension).
    pub payload_offset: usize,
    /// The payload, without padding.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses a datagram. Callers on a muxed port check [`is_rtcp`] first (RFC 5761
    /// section 4); this parser would read an RTCP packet as odd RTP.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() < HEADER_LEN {
            return Err(RtpError::Truncated);
        }
        if buf[0] >> 6 != 2 {
            return Err(RtpError::Version);
        }
        let padding = buf[0] & 0x20 != 0;
        let extension = buf[0] & 0x10 != 0;
        let csrc_count = (buf[0] & 0x0f) as usize;
        let mut offset = HEADER_LEN + 4 * csrc_count;
        if extension {
            if buf.len() < offset + 4 {
                return Err(RtpError::Truncated);
            }
            let words = u16::from_be_bytes([buf[offset + 2], buf[offset + 3]]) as usize;
            offset += 4 + 4 * words;
        }
        if buf.len() < offset {
            return Err(RtpError::Truncated);
        }
        let mut end = buf.len();
        if padding {
            let pad = buf[end - 1] as usize;
            if pad == 0 || pad > end - offset {
                return Err(RtpError::Padding);
            }
            end -= pad;
        }
        Ok(RtpPacket {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7f,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            payload_offset: offset,
            payload: &buf[offset..end],
        })
    }
}

/// True when a datagram on a muxed port is RTCP rather than RTP (RFC 5761 section 4).
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && (192..=223).contains(&buf[1])
}

/// The fields of a header we write: no CSRCs, no extension, no padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

impl RtpHeader {
    /// Writes the 12-byte header at the start of `buf` (which must hold 12 bytes).
    pub fn write(&self, buf: &mut [u8]) {
        buf[0] = 0x80;
        buf[1] = (self.marker as u8) << 7 | (self.payload_type & 0x7f);
        buf[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        buf[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        buf[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
    }
}

/// One leg's outgoing stream: what the far end sees, whatever feeds it.
///
/// Callers may rely on: the SSRC never changes for the life of the leg; sequence
/// numbers go up by one per packet sent; timestamps follow the 8 kHz wall clock
/// (a source that starts after a pause continues at the time that has passed, as
/// RFC 3550 section 5.1 asks), and the first packet of each new source has the
/// marker bit.
#[derive(Debug, Clone)]
pub struct OutStream {
    ssrc: u32,
    next_sequence: u16,
    /// Timestamp of the last packet sent and when it was sent.
    last: Option<(u32, Instant)>,
    /// Offset that maps a relayed source's timestamps onto ours.
    relay_offset: Option<u32>,
    new_source: bool,
    pub packets_sent: u64,
    pub octets_sent: u64,
}

impl OutStream {
    /// A new stream with the given SSRC and initial sequence number and timestamp
    /// (both random per RFC 3550 section 5.1).
    pub fn new(ssrc: u32, first_sequence: u16, first_timestamp: u32, now: Instant) -> Self {
        OutStream {
            ssrc,
            next_sequence: first_sequence,
            last: Some((first_timestamp.wrapping_sub(160), now)),
            relay_offset: None,
            new_source: true,
            packets_sent: 0,
            octets_sent: 0,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Marks that the next packet comes from a different source.
    pub fn source_changed(&mut self) {
        self.new_source = true;
        self.relay_offset = None;
    }

    fn expected_timestamp(&self, now: Instant) -> u32 {
        match self.last {
            Some((ts, at)) => {
                let elapsed = now.saturating_duration_since(at).as_micros() as u64;
                // Round to whole 20 ms frames so paced audio stays on a 160-sample grid.
                let frames = ((elapsed + 10_000) / 20_000).max(1);
                ts.wrapping_add((frames * 160) as u32)
            }
            None => 0,
        }
    }

    /// Header for the next locally generated frame of `samples` samples; `at` is
    /// the frame's scheduled time.
    pub fn next_local(&mut self, payload_type: u8, samples: u32, at: Instant) -> RtpHeader {
        let timestamp = match self.last {
            Some((ts, _)) if !self.new_source => ts.wrapping_add(samples),
            _ => self.expected_timestamp(at),
        };
        self.emit(payload_type, timestamp, at)
    }

    /// Header for a relayed packet whose own timestamp is `source_timestamp`. The
    /// first relayed packet after a change picks the offset that makes our timestamp
    /// continue from the wall clock; later ones keep the source's spacing (which
    /// carries its silence suppression and RFC 4733 event timing).
    ///
    /// The relayed packet's own marker bit is kept (RFC 4733 section 2.5.1.1 uses it
    /// for the start of an event), and set as well on the first packet of a change.
    pub fn next_relayed(
        &mut self,
        payload_type: u8,
        marker: bool,
        source_timestamp: u32,
        now: Instant,
    ) -> RtpHeader {
        let offset = match self.relay_offset {
            Some(o) => o,
            None => {
                let o = self.expected_timestamp(now).wrapping_sub(source_timestamp);
                self.relay_offset = Some(o);
                o
            }
        };
        self.new_source |= marker;
        self.emit(payload_type, source_timestamp.wrapping_add(offset), now)
    }

    fn emit(&mut self, payload_type: u8, timestamp: u32, at: Instant) -> RtpHeader {
        let h = RtpHeader {
            marker: self.new_source,
            payload_type,
            sequence: self.next_sequence,
            timestamp,
            ssrc: self.ssrc,
        };
        self.new_source = false;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.last = Some((timestamp, at));
        h
    }

    /// Counts a packet actually handed to the network (for RTCP sender reports).
    pub fn count_sent(&mut self, payload_len: usize) {
        self.packets_sent += 1;
        self.octets_sent += payload_len as u64;
    }

    /// RTP timestamp that corresponds to `now` (for an RTCP sender report).
    pub fn timestamp_at(&self, now: Instant) -> u32 {
        match self.last {
            Some((ts, at)) => {
                let us = now.saturating_duration_since(at).as_micros() as u64;
                ts.wrapping_add((us * 8 / 1000) as u32)
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn header_round_trip() {
        let h = RtpHeader {
            marker: true,
            payload_type: 8,
            sequence: 65535,
            timestamp: 0xdead_beef,
            ssrc: 7,
        };
        let mut buf = [0u8; 12 + 160];
        h.write(&mut buf);
        let p = RtpPacket::parse(&buf).unwrap();
        assert!(p.marker);
        assert_eq!(
            (p.payload_type, p.sequence, p.timestamp, p.ssrc),
            (8, 65535, 0xdead_beef, 7)
        );
        assert_eq!(p.payload.len(), 160);
        assert_eq!(p.payload_offset, 12);
        assert!(!is_rtcp(&buf));
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut buf = vec![0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]; // P, X, CC=1
        buf.extend_from_slice(&[9, 9, 9, 9]); // CSRC
        buf.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // one-word extension
        buf.extend_from_slice(&[0xaa, 0xbb]); // payload
        buf.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let p = RtpPacket::parse(&buf).unwrap();
        assert_eq!(p.payload, &[0xaa, 0xbb]);
        assert_eq!(p.payload_offset, 24);
    }

    #[test]
    fn malformed_packets_are_refused_not_panicked_on() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(RtpError::Truncated));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::Version));
        let mut pad = [0u8; 13];
        pad[0] = 0xa0;
        pad[12] = 9;
        assert_eq!(RtpPacket::parse(&pad), Err(RtpError::Padding));
        let mut ext = [0u8; 16];
        ext[0] = 0x90;
        ext[15] = 4;
        assert_eq!(RtpPacket::parse(&ext), Err(RtpError::Truncated));
        for len in 0..40 {
            for b0 in [0x80u8, 0x9f, 0xbf, 0xff] {
                let mut v = vec![0xffu8; len];
                if len > 0 {
                    v[0] = b0;
                }
                let _ = RtpPacket::parse(&v);
            }
        }
    }

    #[test]
    fn rtcp_is_told_apart_on_a_muxed_port() {
        assert!(is_rtcp(&[0x80, 200, 0, 6]));
        assert!(is_rtcp(&[0x81, 201, 0, 7]));
        assert!(!is_rtcp(&[0x80, 0x00]));
        assert!(!is_rtcp(&[0x80, 0x80 | 8]));
    }

    #[test]
    fn one_stream_across_music_prompt_and_relayed_voice() {
        let t0 = Instant::now();
        let mut out = OutStream::new(0x1234, 100, 5000, t0);
        // Hold music: three paced frames.
        let a = out.next_local(0, 160, t0);
        let b = out.next_local(0, 160, t0 + ms(20));
        let c = out.next_local(0, 160, t0 + ms(40));
        assert_eq!((a.sequence, b.sequence, c.sequence), (100, 101, 102));
        assert_eq!((a.timestamp, b.timestamp, c.timestamp), (5000, 5160, 5320));
        assert!(a.marker && !b.marker && !c.marker);
        // Silence for 100 ms, then a prompt: the timestamp follows the wall clock.
        out.source_changed();
        let p = out.next_local(0, 160, t0 + ms(140));
        assert_eq!(p.sequence, 103);
        assert_eq!(p.timestamp, 5320 + 800);
        assert!(p.marker);
        // The agent's voice is relayed with its own random timestamps.
        out.source_changed();
        let r1 = out.next_relayed(8, false, 900_000, t0 + ms(160));
        let r2 = out.next_relayed(8, false, 900_160, t0 + ms(180));
        let r3 = out.next_relayed(101, true, 900_320, t0 + ms(200));
        assert_eq!(r1.timestamp, p.timestamp + 160);
        assert_eq!(r2.timestamp, r1.timestamp + 160);
        assert_eq!(r3.timestamp, r2.timestamp + 160);
        assert!(r1.marker && !r2.marker && r3.marker);
        assert_eq!((r1.sequence, r2.sequence, r3.sequence), (104, 105, 106));
        assert!([a, b, c, p, r1, r2, r3].iter().all(|h| h.ssrc == 0x1234));
        // Back to music after the agent: still one stream.
        out.source_changed();
        let m = out.next_local(0, 160, t0 + ms(220));
        assert_eq!((m.sequence, m.timestamp), (107, r3.timestamp + 160));
    }

    #[test]
    fn sequence_and_timestamp_wrap() {
        let t0 = Instant::now();
        let mut out = OutStream::new(1, 65535, u32::MAX - 80, t0);
        let a = out.next_local(8, 160, t0);
        let b = out.next_local(8, 160, t0 + ms(20));
        assert_eq!((a.sequence, b.sequence), (65535, 0));
        assert_eq!(b.timestamp, a.timestamp.wrapping_add(160));
        assert_eq!(out.timestamp_at(t0 + ms(30)), b.timestamp.wrapping_add(80));
    }
}
