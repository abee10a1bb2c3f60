//! Offer/answer cases from RFC 3264 sections 6 and 8 and from real trunks.

use super::*;

fn local() -> LocalMedia {
    LocalMedia {
        address: "192.0.2.10".parse().unwrap(),
        port: 20_000,
        laws: vec![Law::Mu, Law::A],
        telephone_event: true,
        srtp: None,
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
    // Video, and SRTP audio without keys we can use: 488 too.
    let video = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 4000 RTP/SAVP 0\r\n";
    let e = answer(&parse(video).unwrap(), &local(), Direction::SendRecv).unwrap_err();
    assert_eq!((e.clone(), e.sip_status()), (SdpError::NoCommonCrypto, 488));
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

// SRTP with SDES keys (RFC 4568).

const RFC4568_KEY: &str = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

fn phone_offer(proto: &str, crypto: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n\
m=audio 5004 {proto} 0 101\r\na=rtpmap:101 telephone-event/8000\r\n{crypto}a=sendrecv\r\n"
    )
}

fn srtp_local(mode: SrtpMode) -> LocalMedia {
    LocalMedia {
        srtp: Some(LocalSrtp {
            key: MasterKey::random(),
            mode,
        }),
        ..local()
    }
}

#[test]
fn an_srtp_offer_is_answered_with_its_first_supported_suite_and_our_own_key() {
    let offer = parse(&phone_offer(
        "RTP/SAVP",
        &format!(
            "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:{RFC4568_KEY}{RFC4568_KEY}\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{RFC4568_KEY}|2^20\r\n\
a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:{RFC4568_KEY}\r\n"
        ),
    ))
    .unwrap();
    assert_eq!(
        offer.media[0].crypto.len(),
        2,
        "the AES-256 line is left out"
    );
    let local = srtp_local(SrtpMode::Accept);
    let n = answer(&offer, &local, Direction::SendRecv).unwrap();
    let sdes = n.srtp.expect("SRTP agreed");
    assert_eq!(
        (sdes.tag, sdes.params.suite),
        (2, Suite::AesCm128HmacSha1_32)
    );
    assert_eq!(
        sdes.params.remote,
        MasterKey::from_base64(RFC4568_KEY).unwrap()
    );
    let ours = local.srtp.unwrap().key;
    assert_eq!(sdes.params.local, ours);
    let text = write_answer(&offer, &n, &local, &mut origin());
    assert!(text.contains("m=audio 20000 RTP/SAVP 0 101\r\n"), "{text}");
    let line = format!(
        "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{}\r\n",
        ours.to_base64()
    );
    assert!(text.contains(&line), "{text}");
    assert_eq!(text.matches("a=crypto").count(), 1);
}

#[test]
fn a_plain_offer_is_answered_plainly_unless_srtp_is_required() {
    let offer = parse(&phone_offer("RTP/AVP", "")).unwrap();
    let n = answer(&offer, &srtp_local(SrtpMode::Accept), Direction::SendRecv).unwrap();
    assert_eq!(n.srtp, None);
    let text = write_answer(&offer, &n, &srtp_local(SrtpMode::Accept), &mut origin());
    assert!(
        text.contains("RTP/AVP") && !text.contains("a=crypto"),
        "{text}"
    );
    let e = answer(&offer, &srtp_local(SrtpMode::Require), Direction::SendRecv).unwrap_err();
    assert_eq!((e.clone(), e.sip_status()), (SdpError::SrtpRequired, 488));
}

#[test]
fn an_srtp_offer_without_a_suite_we_support_gets_488() {
    for crypto in [
        "".to_owned(),
        format!("a=crypto:1 AEAD_AES_128_GCM inline:{RFC4568_KEY}\r\n"),
        // An MKI changes the packet layout; a short key is no key.
        format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{RFC4568_KEY}|2^20|1:4\r\n"),
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n".to_owned(),
        format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{RFC4568_KEY} KDR=1\r\n"),
    ] {
        let offer = parse(&phone_offer("RTP/SAVP", &crypto)).unwrap();
        let e = answer(&offer, &srtp_local(SrtpMode::Accept), Direction::SendRecv).unwrap_err();
        assert_eq!(
            (e.clone(), e.sip_status()),
            (SdpError::NoCommonCrypto, 488),
            "{crypto}"
        );
    }
    // Without SRTP configured at all, the same.
    let good = format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{RFC4568_KEY}\r\n");
    let offer = parse(&phone_offer("RTP/SAVP", &good)).unwrap();
    let e = answer(&offer, &local(), Direction::SendRecv).unwrap_err();
    assert_eq!(e.sip_status(), 488);
}

#[test]
fn a_required_offer_is_savp_and_its_answer_must_accept_our_crypto() {
    let local = srtp_local(SrtpMode::Require);
    let ours = local.srtp.unwrap().key;
    let offer = write_offer(&local, Direction::SendRecv, &mut origin());
    assert!(
        offer.contains("m=audio 20000 RTP/SAVP 0 8 101\r\n"),
        "{offer}"
    );
    let line = format!(
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n",
        ours.to_base64()
    );
    assert!(offer.contains(&line), "{offer}");
    // Our own offer parses back with its crypto.
    assert_eq!(parse(&offer).unwrap().media[0].crypto[0].key, ours);

    let reply = |proto: &str, crypto: &str| parse(&phone_offer(proto, crypto)).unwrap();
    let good = format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{RFC4568_KEY}\r\n");
    let n = accept_answer(&reply("RTP/SAVP", &good), &local, Direction::SendRecv).unwrap();
    let sdes = n.srtp.unwrap();
    assert_eq!(
        (sdes.params.local, sdes.params.remote),
        (ours, MasterKey::from_base64(RFC4568_KEY).unwrap())
    );
    let other_tag = good.replace("crypto:1", "crypto:7");
    for (proto, crypto) in [
        ("RTP/AVP", ""),
        ("RTP/SAVP", ""),
        ("RTP/SAVP", other_tag.as_str()),
    ] {
        let e = accept_answer(&reply(proto, crypto), &local, Direction::SendRecv).unwrap_err();
        assert_eq!(e.sip_status(), 488, "{proto} {crypto}");
    }
    // A plain offer of ours is not answered with SRTP.
    let e = accept_answer(
        &reply("RTP/SAVP", &good),
        &srtp_local(SrtpMode::Accept),
        Direction::SendRecv,
    );
    assert_eq!(e, Err(SdpError::NoCommonCrypto));
}
