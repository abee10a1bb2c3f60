//! Offer/answer cases from RFC 3264 sections 6 and 8 and from real trunks.

use super::*;

fn local() -> LocalMedia {
    LocalMedia {
        address: "192.0.2.10".parse().unwrap(),
        port: 20_000,
        laws: vec![Law::Mu, Law::A],
        telephone_event: true,
    }
}

fn origin() -> Origin {
    Origin {
        session_id: 77,
        version: 0,
    }
}

const TRUNK_OFFER: &str =
    "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 18 8 0 96\r\na=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000\r\n\
a=fmtp:96 0-16\r\na=ptime:30\r\na=sendrecv\r\n";

#[test]
fn answers_the_offerers_first_g711_with_telephone_event() {
    let offer = parse(TRUNK_OFFER).unwrap();
    let n = answer(&offer, &local(), Direction::SendRecv).unwrap();
    assert_eq!(
        (n.law, n.payload_type, n.telephone_event),
        (Law::A, 8, Some(96))
    );
    assert_eq!(n.remote, Some("198.51.100.7:4000".parse().unwrap()));
    assert_eq!((n.remote_ptime, n.direction), (30, Direction::SendRecv));
    let mut o = origin();
    let text = write_answer(&offer, &n, &local(), &mut o);
    assert!(text.contains("m=audio 20000 RTP/AVP 8 96\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:8 PCMA/8000\r\n"));
    assert!(text.contains("a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"));
    assert!(text.contains("c=IN IP4 192.0.2.10\r\n"));
    assert!(!text.contains("rtcp-mux"), "not offered, not answered");
    assert!(text.contains("o=switchboard 77 1 IN IP4 192.0.2.10\r\n"));
    // Our own answer parses and negotiates back to the same choice.
    let back = parse(&text).unwrap();
    let n2 = accept_answer(&back, &local(), Direction::SendRecv).unwrap();
    assert_eq!(
        (n2.law, n2.payload_type, n2.telephone_event),
        (Law::A, 8, Some(96))
    );
    assert_eq!(n2.remote, Some("192.0.2.10:20000".parse().unwrap()));
}

#[test]
fn our_preference_limits_but_the_offer_order_decides() {
    let offer = parse(TRUNK_OFFER).unwrap();
    let mut mu_only = local();
    mu_only.laws = vec![Law::Mu];
    mu_only.telephone_event = false;
    let n = answer(&offer, &mu_only, Direction::SendRecv).unwrap();
    assert_eq!(
        (n.law, n.payload_type, n.telephone_event),
        (Law::Mu, 0, None)
    );
}

#[test]
fn nothing_in_common_is_a_488() {
    let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                m=audio 4000 RTP/AVP 18 9\r\na=rtpmap:9 G722/8000\r\n";
    let e = answer(&parse(text).unwrap(), &local(), Direction::SendRecv).unwrap_err();
    assert_eq!(
        e,
        SdpError::NoCommonCodec {
            offered: "18 9".into()
        }
    );
    assert_eq!(e.sip_status(), 488);
    // Video only, or SRTP only: no usable audio.
    let video = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 4000 RTP/SAVP 0\r\n";
    let e = answer(&parse(video).unwrap(), &local(), Direction::SendRecv).unwrap_err();
    assert_eq!((e.clone(), e.sip_status()), (SdpError::NoAudio, 488));
    let bad = parse("v=0\r\nthis is not sdp").unwrap_err();
    assert_eq!(bad.sip_status(), 400);
}

#[test]
fn other_streams_are_rejected_with_port_zero_in_order() {
    let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
                m=audio 0 RTP/AVP 0\r\n\
                m=audio 4002 RTP/AVP 0\r\nc=IN IP4 10.0.0.9\r\n";
    let offer = parse(text).unwrap();
    let n = answer(&offer, &local(), Direction::SendRecv).unwrap();
    assert_eq!(n.media_index, 2);
    assert_eq!(
        n.remote,
        Some("10.0.0.9:4002".parse().unwrap()),
        "media-level c= wins"
    );
    let ans = write_answer(&offer, &n, &local(), &mut origin());
    let lines: Vec<&str> = ans.lines().filter(|l| l.starts_with("m=")).collect();
    assert_eq!(
        lines,
        [
            "m=video 0 RTP/AVP 96",
            "m=audio 0 RTP/AVP 0",
            "m=audio 20000 RTP/AVP 0"
        ]
    );
}

#[test]
fn hold_and_resume_directions() {
    let base = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let with = |dir: &str| parse(&format!("{base}a={dir}\r\n")).unwrap();
    let cases = [
        ("sendrecv", Direction::SendRecv, Direction::SendRecv),
        ("sendonly", Direction::SendRecv, Direction::RecvOnly),
        ("recvonly", Direction::SendRecv, Direction::SendOnly),
        ("inactive", Direction::SendRecv, Direction::Inactive),
        ("sendrecv", Direction::SendOnly, Direction::SendOnly),
        ("sendonly", Direction::SendOnly, Direction::Inactive),
    ];
    for (offered, wanted, expect) in cases {
        let n = answer(&with(offered), &local(), wanted).unwrap();
        assert_eq!(n.direction, expect, "offer {offered}, wanted {wanted:?}");
    }
    // Session-level direction applies when the media line has none.
    let session_level = parse(&base.replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n")).unwrap();
    assert_eq!(session_level.media[0].direction, Direction::SendOnly);
    // Old-style hold: c=0.0.0.0 leaves us nowhere to send.
    let old = parse(&base.replace("c=IN IP4 10.0.0.1", "c=IN IP4 0.0.0.0")).unwrap();
    let n = answer(&old, &local(), Direction::SendRecv).unwrap();
    assert_eq!(n.remote, None);
}

#[test]
fn offer_and_answer_from_our_side() {
    let mut o = origin();
    let offer = write_offer(&local(), Direction::SendRecv, &mut o);
    assert!(
        offer.contains("m=audio 20000 RTP/AVP 0 8 101\r\n"),
        "{offer}"
    );
    let parsed = parse(&offer).unwrap();
    assert_eq!(parsed.media[0].rtpmap.len(), 3);
    assert!(parsed.media[0].rtcp_mux);
    // A peer offering rtcp-mux gets it in the answer.
    let n = answer(&parsed, &local(), Direction::SendRecv).unwrap();
    assert!(n.rtcp_mux);
    assert!(write_answer(&parsed, &n, &local(), &mut origin()).contains("a=rtcp-mux\r\n"));
    // The agent's phone answers PCMA only, and puts us on hold later.
    let ans = "v=0\r\no=- 5 5 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n\
               m=audio 7000 RTP/AVP 8\r\na=recvonly\r\n";
    let n = accept_answer(&parse(ans).unwrap(), &local(), Direction::SendRecv).unwrap();
    assert_eq!(
        (n.law, n.telephone_event, n.direction),
        (Law::A, None, Direction::SendOnly)
    );
    let again = write_offer(&local(), Direction::SendOnly, &mut o);
    assert!(again.contains("o=switchboard 77 2 ") && again.contains("a=sendonly\r\n"));
}

#[test]
fn ipv6_and_lowercase_encoding_names() {
    let text = "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n\
                m=audio 4000 RTP/AVP 97\r\na=rtpmap:97 pcmu/8000\r\n";
    let n = answer(&parse(text).unwrap(), &local(), Direction::SendRecv).unwrap();
    assert_eq!((n.law, n.payload_type), (Law::Mu, 97));
    assert_eq!(n.remote, Some("[2001:db8::1]:4000".parse().unwrap()));
}

#[test]
fn garbage_never_panics() {
    let seeds = [
        TRUNK_OFFER,
        "v=0\r\n",
        "",
        "m=audio x y z\r\n",
        "v=0\r\no=\r\n",
    ];
    for s in seeds {
        for cut in 0..s.len() {
            if s.is_char_boundary(cut) {
                let _ = parse(&s[..cut]).map(|d| answer(&d, &local(), Direction::SendRecv));
            }
        }
    }
}

#[test]
fn broadcast_and_multicast_media_addresses_are_a_488() {
    let with = |c: &str, m: &str| {
        format!(
            "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc={c}\r\nt=0 0\r\n{m}m=audio 4000 RTP/AVP 0\r\n"
        )
    };
    for c in [
        "IN IP4 255.255.255.255",
        "IN IP4 224.0.0.1/1",
        "IN IP4 239.255.255.250/16",
        "IN IP6 ff02::1",
    ] {
        let e = parse(&with(c, "")).unwrap_err();
        assert!(matches!(e, SdpError::UnusableAddress(_)), "{c}: {e:?}");
        assert_eq!(e.sip_status(), 488, "{c}");
    }
    // A media-level c= wins over a unicast session-level one.
    let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                m=audio 4000 RTP/AVP 0\r\nc=IN IP4 224.2.3.4/127\r\n";
    assert!(matches!(parse(text), Err(SdpError::UnusableAddress(_))));
    // A rejected stream sends nothing; old-style hold (0.0.0.0) stays hold.
    let rejected = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                    m=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 224.2.3.4/127\r\n";
    assert!(parse(rejected).is_ok());
    let hold = parse(&with("IN IP4 0.0.0.0", "")).unwrap();
    assert_eq!(hold.media[0].address, None);
    assert!(
        parse(&with("IN IP4 192.0.2.255", "")).is_ok(),
        "a directed .255 may be a host"
    );
}
