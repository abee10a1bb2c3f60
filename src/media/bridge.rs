//! The bridge's packet rewrite: a packet received on one leg leaves on the other as
//! part of that leg's own RTP stream (RFC 3550 section 7: we are a translator that
//! re-originates the stream, so SSRC, sequence number and timestamp are the outgoing
//! leg's), with the payload type mapped to what the other leg negotiated and G.711
//! transcoded in place when the laws differ (RFC 3551 section 4.5.14). RFC 4733
//! events keep their timing and marker bit.
//!
//! [`Relay::rewrite`] works on the receive buffer itself and never allocates: the new
//! 12-byte header is written just before the payload (over the old header, CSRCs or
//! extension), and the caller sends the returned range.

use std::ops::Range;
use std::time::Instant;

use super::g711::{self, Law};
use super::rtp::{RtpHeader, RtpPacket, HEADER_LEN};

/// One leg's codec choice, as the bridge needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegCodec {
    pub law: Law,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
}

/// Why a relayed packet was not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayDrop {
    /// Not RTP.
    Malformed,
    /// A payload type the incoming leg did not negotiate (comfort noise, video...).
    UnknownPayload,
    /// A telephone-event the outgoing leg cannot carry.
    NoEventsOnPeer,
}

/// Rewrites packets from leg `from` for leg `to`, one direction of a bridge.
#[derive(Debug, Clone)]
pub struct Relay {
    from: LegCodec,
    to: LegCodec,
    last_ssrc: Option<u32>,
}

impl Relay {
    pub fn new(from: LegCodec, to: LegCodec) -> Self {
        Relay {
            from,
            to,
            last_ssrc: None,
        }
    }

    /// Rewrites `buf` (one received datagram) in place for the outgoing stream `out`
    /// and returns the bytes to send.
    pub fn rewrite(
        &mut self,
        buf: &mut [u8],
        out: &mut super::rtp::OutStream,
        now: Instant,
    ) -> Result<Range<usize>, RelayDrop> {
        let p = RtpPacket::parse(buf).map_err(|_| RelayDrop::Malformed)?;
        let (pt, transcode) = if p.payload_type == self.from.payload_type {
            (self.to.payload_type, self.from.law != self.to.law)
        } else if Some(p.payload_type) == self.from.telephone_event {
            (
                self.to.telephone_event.ok_or(RelayDrop::NoEventsOnPeer)?,
                false,
            )
        } else {
            return Err(RelayDrop::UnknownPayload);
        };
        let (marker, ts, ssrc) = (p.marker, p.timestamp, p.ssrc);
        let start = p.payload_offset - HEADER_LEN;
        let end = p.payload_offset + p.payload.len();
        if self.last_ssrc != Some(ssrc) {
            // The far phone restarted its stream (re-INVITE, transfer): re-anchor.
            if self.last_ssrc.is_some() {
                out.source_changed();
            }
            self.last_ssrc = Some(ssrc);
        }
        let header: RtpHeader = out.next_relayed(pt, marker, ts, now);
        header.write(&mut buf[start..start + HEADER_LEN]);
        if transcode {
            g711::transcode_in_place(
                &mut buf[start + HEADER_LEN..end],
                self.from.law,
                self.to.law,
            );
        }
        out.count_sent(end - start - HEADER_LEN);
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::rtp::OutStream;
    use std::time::Duration;

    const CALLER: LegCodec = LegCodec {
        law: Law::Mu,
        payload_type: 0,
        telephone_event: Some(101),
    };
    const AGENT: LegCodec = LegCodec {
        law: Law::A,
        payload_type: 8,
        telephone_event: Some(96),
    };

    fn packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; HEADER_LEN];
        RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: seq,
            timestamp: ts,
            ssrc,
        }
        .write(&mut v);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn rewrites_identity_and_transcodes_in_place() {
        let t0 = Instant::now();
        let mut out = OutStream::new(0xa9e47, 500, 10_000, t0);
        let mut relay = Relay::new(CALLER, AGENT);
        let payload: Vec<u8> = (0..160).map(|i| i as u8).collect();
        let mut first = None;
        for i in 0..3u16 {
            let mut buf = packet(0, 40_000 + i, 7_777_000 + 160 * i as u32, 0x5150, &payload);
            let r = relay
                .rewrite(
                    &mut buf,
                    &mut out,
                    t0 + Duration::from_millis(20 * (i as u64 + 1)),
                )
                .unwrap();
            assert_eq!(r, 0..HEADER_LEN + 160);
            let p = RtpPacket::parse(&buf[r]).unwrap();
            assert_eq!((p.payload_type, p.ssrc, p.sequence), (8, 0xa9e47, 500 + i));
            let ts0 = *first.get_or_insert(p.timestamp);
            assert_eq!(p.timestamp, ts0 + 160 * i as u32);
            assert_eq!(p.marker, i == 0);
            for (j, &b) in p.payload.iter().enumerate() {
                assert_eq!(b, g711::encode_a(g711::decode_mu(j as u8)));
            }
        }
    }

    #[test]
    fn events_are_remapped_and_other_payloads_dropped() {
        let t0 = Instant::now();
        let mut out = OutStream::new(1, 1, 1, t0);
        let mut relay = Relay::new(CALLER, AGENT);
        let mut ev = packet(101, 1, 1000, 9, &[5, 0x80 | 10, 0, 160]);
        ev[1] |= 0x80; // marker: event start
        let r = relay.rewrite(&mut ev, &mut out, t0).unwrap();
        let p = RtpPacket::parse(&ev[r]).unwrap();
        assert_eq!(
            (p.payload_type, p.marker, p.payload),
            (96, true, &[5, 0x80 | 10, 0, 160][..])
        );
        let mut cn = packet(13, 2, 1160, 9, &[40]);
        assert_eq!(
            relay.rewrite(&mut cn, &mut out, t0),
            Err(RelayDrop::UnknownPayload)
        );
        assert_eq!(
            relay.rewrite(&mut [0u8; 5], &mut out, t0),
            Err(RelayDrop::Malformed)
        );
        let mut no_events = Relay::new(
            CALLER,
            LegCodec {
                telephone_event: None,
                ..AGENT
            },
        );
        let mut ev = packet(101, 3, 2000, 9, &[5, 0, 0, 160]);
        assert_eq!(
            no_events.rewrite(&mut ev, &mut out, t0),
            Err(RelayDrop::NoEventsOnPeer)
        );
    }

    #[test]
    fn csrcs_are_dropped_and_a_new_far_ssrc_reanchors() {
        let t0 = Instant::now();
        let mut out = OutStream::new(3, 10, 0, t0);
        let mut relay = Relay::new(CALLER, CALLER);
        let mut buf = packet(0, 1, 50, 9, &[0xff; 160]);
        buf[0] |= 1; // one CSRC
        buf.splice(12..12, [0, 0, 0, 7]);
        let r = relay
            .rewrite(&mut buf, &mut out, t0 + Duration::from_millis(20))
            .unwrap();
        assert_eq!(r, 4..4 + HEADER_LEN + 160);
        let a = RtpPacket::parse(&buf[r]).unwrap().timestamp;
        let mut other = packet(0, 900, 3_000_000, 10, &[0xff; 160]);
        let r = relay
            .rewrite(&mut other, &mut out, t0 + Duration::from_millis(40))
            .unwrap();
        let p = RtpPacket::parse(&other[r]).unwrap();
        assert_eq!((p.timestamp, p.sequence, p.marker), (a + 160, 11, true));
    }
}
