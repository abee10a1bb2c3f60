//! Bad input from the network never panics (ARCHITECTURE.md): RTP, RTCP, SDP,
//! RFC 4733 payloads and SIP INFO bodies under arbitrary bytes, and the relay
//! rewrite on arbitrary datagrams.

use std::time::Instant;

use proptest::prelude::*;
use switchboard::media::bridge::{LegCodec, Relay};
use switchboard::media::dtmf::{parse_info, EventReceiver};
use switchboard::media::g711::Law;
use switchboard::media::latch::LatchPolicy;
use switchboard::media::rtcp::parse_compound;
use switchboard::media::rtp::{OutStream, RtpPacket};
use switchboard::media::sdp::{answer, parse, Direction, LocalMedia, LocalSrtp, SrtpMode};
use switchboard::media::srtp::{Context, MasterKey, Suite};
use switchboard::media::stats::ReceiveStats;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn rtp_and_rtcp_parsers_take_anything(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = RtpPacket::parse(&data) {
            prop_assert!(p.payload_offset + p.payload.len() <= data.len());
        }
        let _ = parse_compound(&data);
    }

    #[test]
    fn relay_rewrite_stays_inside_the_datagram(mut data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let t0 = Instant::now();
        let mu = LegCodec { law: Law::Mu, payload_type: 0, telephone_event: Some(101) };
        let a = LegCodec { law: Law::A, payload_type: 8, telephone_event: None };
        let mut out = OutStream::new(1, 2, 3, t0);
        let mut relay = Relay::new(mu, a);
        if !data.is_empty() {
            data[0] = (data[0] & 0x3f) | 0x80; // mostly version 2
        }
        let len = data.len();
        if let Ok(r) = relay.rewrite(&mut data, &mut out, t0) {
            prop_assert!(r.end <= len && r.start + 12 <= r.end);
            prop_assert!(RtpPacket::parse(&data[r]).is_ok());
        }
    }

    #[test]
    fn srtp_unprotect_takes_anything_and_accepts_nothing_forged(mut data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = MasterKey::random();
        if !data.is_empty() {
            data[0] = (data[0] & 0x3f) | 0x80; // mostly version 2
        }
        for suite in [Suite::AesCm128HmacSha1_80, Suite::AesCm128HmacSha1_32] {
            let mut rx = Context::new(suite, &key);
            prop_assert!(rx.unprotect_rtp(&mut data.clone()).is_err());
            prop_assert!(rx.unprotect_rtcp(&mut data.clone()).is_err());
        }
    }

    #[test]
    fn telephone_events_and_stats_take_anything(
        packets in proptest::collection::vec((any::<u16>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..8)), 0..50)
    ) {
        let t0 = Instant::now();
        let mut rx = EventReceiver::new();
        let mut st = ReceiveStats::default();
        for (i, (seq, ts, payload)) in packets.iter().enumerate() {
            let now = t0 + std::time::Duration::from_millis(i as u64 * 20);
            rx.handle_payload(now, *ts, payload);
            st.record(*seq, *ts, ts & 3, payload.len(), now, 8000);
            rx.handle_timeout(now);
        }
        while rx.poll_digit().is_some() {}
        let _ = (st.leg(), st.take_fraction_lost());
    }

    #[test]
    fn sdp_and_info_bodies_take_anything(text in "\\PC{0,300}", lines in proptest::collection::vec("[a-z]=[ -~]{0,40}", 0..12)) {
        let local = LocalMedia {
            address: "192.0.2.1".parse().unwrap(),
            port: 4000,
            laws: vec![Law::Mu, Law::A],
            telephone_event: true,
            srtp: Some(LocalSrtp { key: MasterKey::random(), mode: SrtpMode::Accept }),
        };
        let joined = format!("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n{}\r\n", lines.join("\r\n"));
        for t in [text.as_str(), joined.as_str()] {
            if let Ok(d) = parse(t) {
                let _ = answer(&d, &local, Direction::SendRecv);
            }
            let _ = parse_info("application/dtmf-relay", t, Instant::now());
            let _ = parse_info("application/dtmf", t, Instant::now());
        }
        let _ = LatchPolicy::default();
    }
}
