//! Property tests: generated messages survive parse → print → parse unchanged
//! (RFC 3261 section 7 syntax, with folding, compact names and odd spacing).

use super::*;
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,11}"
}

fn uri_token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!*_+'~-]{0,11}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        (0u8..=255, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        Just("[2001:db8::1]".to_string()),
    ]
}

fn uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("sip"), Just("sips"), Just("SIP")],
        proptest::option::of("[a-zA-Z0-9_.!~*'()&=+$,;?/-]{1,12}|[a-z]{1,4}%[0-9A-F]{2}"),
        host(),
        proptest::option::of(1u16..),
        proptest::collection::vec((uri_token(), proptest::option::of(uri_token())), 0..3),
    )
        .prop_map(|(s, user, host, port, params)| {
            let mut u = format!("{s}:");
            if let Some(user) = user {
                u.push_str(&user);
                u.push('@');
            }
            u.push_str(&host);
            if let Some(p) = port {
                u.push_str(&format!(":{p}"));
            }
            for (n, v) in params {
                u.push(';');
                u.push_str(&n);
                if let Some(v) = v {
                    u.push('=');
                    u.push_str(&v);
                }
            }
            u
        })
}

fn lws() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(" "), Just("  "), Just("\r\n "), Just("\t")]
}

fn name_addr() -> impl Strategy<Value = String> {
    (
        proptest::option::of(prop_oneof![
            "\"([ a-zA-Z0-9<>,;:@é]|\\\\[\"\\\\a]|\r\n ){0,10}\"".prop_map(|s| s),
            "[a-zA-Z]{1,8}( [a-zA-Z]{1,8})?".prop_map(|s| s)
        ]),
        uri(),
        proptest::collection::vec((token(), proptest::option::of(token()), lws()), 0..3),
    )
        .prop_map(|(d, u, params)| {
            let mut s = String::new();
            if let Some(d) = d {
                s.push_str(&d);
                s.push(' ');
            }
            s.push('<');
            s.push_str(&u);
            s.push('>');
            for (n, v, w) in params {
                s.push_str(&format!("{w};{w}{n}"));
                if let Some(v) = v {
                    s.push_str(&format!("{w}={w}{v}"));
                }
            }
            s
        })
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop_oneof![Just("Via"), Just("v"), Just("VIA")],
            lws(),
            host(),
            token()
        )
            .prop_map(|(n, w, h, b)| format!("{n}: SIP/2.0{w}/UDP {h};branch=z9hG4bK{b}")),
        (
            prop_oneof![
                Just("To"),
                Just("t"),
                Just("From"),
                Just("f"),
                Just("Contact"),
                Just("m"),
                Just("Route")
            ],
            name_addr()
        )
            .prop_map(|(n, v)| format!("{n}: {v}")),
        (prop_oneof![Just("Call-ID"), Just("i")], token()).prop_map(|(n, v)| format!("{n}: {v}@x")),
        (1u32..2_000_000, token()).prop_map(|(n, m)| format!("CSeq: {n} {m}")),
        (
            prop_oneof![Just("Supported"), Just("k"), Just("Require"), Just("Allow")],
            proptest::collection::vec(token(), 1..4)
        )
            .prop_map(|(n, v)| format!("{n}: {}", v.join(", "))),
        (token(), "[ -~]{0,20}", lws()).prop_map(|(n, v, w)| format!("X-{n}:{w}{}", v.trim())),
        (0u32..=255).prop_map(|n| format!("Max-Forwards: {n}")),
    ]
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        token(),
        uri(),
        100u16..=699,
        "[ -~]{0,16}",
        proptest::collection::vec(header(), 0..12),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(is_req, method, ruri, code, reason, headers, body)| {
            let mut m = if is_req {
                format!("{method} {ruri} SIP/2.0\r\n")
            } else {
                format!("SIP/2.0 {code} {reason}\r\nCSeq: 1 {method}\r\n")
            };
            for h in headers {
                m.push_str(&h);
                m.push_str("\r\n");
            }
            m.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let mut m = m.into_bytes();
            m.extend_from_slice(&body);
            m
        })
}

const TORTURE: &[&str] = &[
    "wsinv",
    "intmeth",
    "esc01",
    "escnull",
    "esc02",
    "lwsdisp",
    "longreq",
    "dblreq",
    "semiuri",
    "transports",
    "mpart01",
    "unreason",
    "noreason",
    "badinv01",
    "clerr",
    "ncl",
    "scalar02",
    "scalarlg",
    "quotbal",
    "ltgtruri",
    "lwsruri",
    "lwsstart",
    "trws",
    "escruri",
    "baddate",
    "regbadct",
    "badaspec",
    "baddn",
    "badvers",
    "mismatch01",
    "mismatch02",
    "bigcode",
    "badbranch",
    "insuf",
    "unkscm",
    "novelsc",
    "unksm2",
    "bext01",
    "invut",
    "regaut01",
    "multi01",
    "mcl01",
    "bcast",
    "zeromf",
    "cparam01",
    "cparam02",
    "regescrt",
    "sdp01",
    "inv2543",
];

/// Everything a server does with received octets, none of which may panic; a
/// message that parses must print to something that parses to the same message.
fn check_any(raw: &[u8]) {
    if let Ok(Some(n)) = frame(raw, 4096) {
        // what framing cut out is one complete message for the parser too
        if let Err(e) = parse(Bytes::copy_from_slice(&raw[..n])) {
            assert!(
                !matches!(
                    e.what(),
                    "Header section not terminated" | "Body shorter than Content-Length"
                ),
                "{e}"
            );
        }
    }
    match parse(Bytes::copy_from_slice(raw)) {
        Ok(m) => {
            let printed = m.to_bytes();
            assert_eq!(frame(&printed, MAX_MESSAGE * 2), Ok(Some(printed.len())));
            let again = parse(printed).expect("printed message parses");
            let strip = |m: &Message| {
                let mut m = m.clone();
                m.headers_mut().remove(&HeaderName::ContentLength);
                m
            };
            assert_eq!(strip(&m), strip(&again));
            if let Message::Request(r) = &m {
                if validate_request(r).is_ok() {
                    // what validation accepted, the typed accessors can read
                    assert!(
                        r.vias().is_ok() && r.from().is_ok() && r.to().is_ok() && r.cseq().is_ok()
                    );
                    let mut resp = r.response(486);
                    resp.set_to_tag("t");
                    let back = parse(resp.to_bytes()).expect("response parses");
                    let Message::Response(back) = back else {
                        panic!("not a response")
                    };
                    let want = r.to().unwrap().tag().unwrap_or("t").to_string();
                    assert_eq!(back.to().unwrap().tag(), Some(want.as_str()));
                }
                let _ = (r.accept(), r.credentials(false));
                // typed values print to text that parses back to the same value
                let mut addrs: Vec<NameAddr> = [r.from(), r.to()].into_iter().flatten().collect();
                addrs.extend(r.routes().unwrap_or_default());
                if let Ok(Contacts::List(l)) = r.contacts() {
                    addrs.extend(l);
                }
                for a in addrs {
                    let back = NameAddr::parse(Bytes::from(a.to_string()))
                        .expect("printed name-addr parses");
                    assert_eq!(back, a);
                    assert!(a.uri.equivalent(&a.uri));
                    assert_eq!(a.uri.equivalent(&r.uri), r.uri.equivalent(&a.uri));
                }
                for v in r.vias().unwrap_or_default() {
                    let back = Via::parse(Bytes::from(v.to_string())).expect("printed Via parses");
                    assert_eq!(back, v);
                }
            }
        }
        Err(e) => {
            if let Some(r) = e.response() {
                parse(r.to_bytes()).expect("error response parses");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=100000 turns these into a longer fuzzing run
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        // failing cases are reported in the test output; no files outside src/sip/message
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_print_parse_round_trips(raw in message()) {
        let first = parse(Bytes::from(raw.clone()));
        prop_assert!(first.is_ok(), "{:?}: {}", first, String::from_utf8_lossy(&raw));
        let first = first.unwrap();
        let second = parse(first.to_bytes()).unwrap();
        prop_assert_eq!(&first, &second);
        // typed views agree too
        if let (Message::Request(a), Message::Request(b)) = (&first, &second) {
            prop_assert_eq!(a.vias().ok(), b.vias().ok());
            prop_assert_eq!(a.contacts().ok(), b.contacts().ok());
            prop_assert_eq!(validate_request(a).map_err(|r| r.status), validate_request(b).map_err(|r| r.status));
        }
    }

    #[test]
    fn typed_values_print_and_reparse(na in name_addr()) {
        let parsed = NameAddr::parse(Bytes::from(na.clone()));
        prop_assert!(parsed.is_ok(), "{}", na);
        let parsed = parsed.unwrap();
        let again = NameAddr::parse(Bytes::from(parsed.to_string())).unwrap();
        prop_assert_eq!(parsed, again);
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        file in 0usize..TORTURE.len(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..4, any::<u8>(), 1usize..40), 1..8),
    ) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/rfc4475/");
        let mut m = std::fs::read(format!("{dir}{}.dat", TORTURE[file])).unwrap();
        for (at, op, byte, len) in edits {
            let i = at.index(m.len() + 1);
            match op {
                0 => m.insert(i, byte),
                1 => { m.drain(i..(i + len).min(m.len())); }
                2 => {
                    // duplicate a run (repeated headers, repeated separators)
                    let run: Vec<u8> = m[i..(i + len).min(m.len())].to_vec();
                    m.splice(i..i, run);
                }
                _ => if i < m.len() { m[i] = byte },
            }
        }
        check_any(&m);
    }

    #[test]
    fn uri_equivalence_is_symmetric_and_escape_blind(a in uri(), b in uri(), at in any::<proptest::sample::Index>()) {
        let ua: Uri = a.parse().unwrap();
        let ub: Uri = b.parse().unwrap();
        prop_assert!(ua.equivalent(&ua));
        prop_assert_eq!(ua.equivalent(&ub), ub.equivalent(&ua));
        // escaping one alphanumeric octet of the user part changes nothing (19.1.4)
        if let Some(user) = ua.user() {
            let i = at.index(user.len());
            let c = user.as_bytes()[i];
            let inside_escape = user.as_bytes()[i.saturating_sub(2)..i].contains(&b'%');
            if c.is_ascii_alphanumeric() && !inside_escape {
                let at_user = a.find(':').unwrap() + 1;
                let escaped = format!("{}{}%{:02X}{}", &a[..at_user], &user[..i], c, &a[at_user + i + 1..]);
                let ue: Uri = escaped.parse().unwrap();
                prop_assert!(ua.equivalent(&ue), "{} vs {}", a, escaped);
            }
        }
    }

    #[test]
    fn arbitrary_octets_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_any(&raw);
    }
}

#[test]
fn responses_to_many_vias_stay_parsable() {
    // found by cargo-fuzz: a request refused with 513 for too many fields,
    // nearly all of them Via, got a response that was itself too large
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\nf: <sip:a@b>;tag=1\r\nt: <sip:b@b>\r\ni: c\r\nCSeq: 1 OPTIONS\r\n".to_vec();
    for _ in 0..300 {
        m.extend_from_slice(b"v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n");
    }
    m.extend_from_slice(b"\r\n");
    check_any(&m);
    let e = parse(Bytes::from(m)).unwrap_err();
    assert_eq!(
        e.response().unwrap().headers.count(&HeaderName::Via),
        MAX_RESPONSE_VIAS
    );
    // and a request at the limit gets an ordinary response
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\nf: <sip:a@b>;tag=1\r\nt: <sip:b@b>\r\ni: c\r\nCSeq: 1 OPTIONS\r\n".to_vec();
    for _ in 0..MAX_HEADERS - 4 {
        m.extend_from_slice(b"v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n");
    }
    m.extend_from_slice(b"\r\n");
    check_any(&m);
}
