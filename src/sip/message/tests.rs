//! Tests over the RFC 4475 torture messages (every file, every prefix, byte flips)
//! and the parts of RFC 3261 sections 7, 19 and 20 they exercise.

use super::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/rfc4475/");

fn load(name: &str) -> Bytes {
    let p = format!("{DIR}{name}.dat");
    Bytes::from(std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
}

fn req(name: &str) -> Request {
    match parse(load(name)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: {other:?}"),
    }
}

#[derive(Debug, Clone, Copy)]
enum Want {
    /// parses, and a request also validates
    Ok,
    /// parse fails with this status (None: dropped)
    Err(Option<u16>),
    /// parses, validate_request rejects with this status
    Reject(u16),
}

const TABLE: &[(&str, Want)] = &[
    ("wsinv", Want::Ok),
    ("intmeth", Want::Ok),
    ("esc01", Want::Ok),
    ("escnull", Want::Ok),
    ("esc02", Want::Ok),
    ("lwsdisp", Want::Ok),
    ("longreq", Want::Ok),
    ("dblreq", Want::Ok),
    ("semiuri", Want::Ok),
    ("transports", Want::Ok),
    ("mpart01", Want::Ok),
    ("unreason", Want::Ok),
    ("noreason", Want::Ok),
    ("badinv01", Want::Reject(400)),
    ("clerr", Want::Err(Some(400))),
    ("ncl", Want::Err(Some(400))),
    ("scalar02", Want::Reject(400)),
    ("scalarlg", Want::Err(None)),
    ("quotbal", Want::Reject(400)),
    ("ltgtruri", Want::Err(Some(400))),
    ("lwsruri", Want::Err(Some(400))),
    ("lwsstart", Want::Err(Some(400))),
    ("trws", Want::Err(Some(400))),
    ("escruri", Want::Err(Some(400))),
    ("baddate", Want::Ok),
    ("regbadct", Want::Reject(400)),
    ("badaspec", Want::Reject(400)),
    ("baddn", Want::Reject(400)),
    ("badvers", Want::Err(Some(505))),
    ("mismatch01", Want::Reject(400)),
    ("mismatch02", Want::Reject(400)),
    ("bigcode", Want::Err(None)),
    ("badbranch", Want::Ok),
    ("insuf", Want::Reject(400)),
    ("unkscm", Want::Reject(416)),
    ("novelsc", Want::Reject(416)),
    ("unksm2", Want::Ok),
    // 420, 415, 401, 406 and 483/answer are decided by the UAS core
    ("bext01", Want::Ok),
    ("invut", Want::Ok),
    ("regaut01", Want::Ok),
    ("multi01", Want::Reject(400)),
    ("mcl01", Want::Reject(400)),
    ("bcast", Want::Ok),
    ("zeromf", Want::Ok),
    ("cparam01", Want::Ok),
    ("cparam02", Want::Ok),
    ("regescrt", Want::Ok),
    ("sdp01", Want::Ok),
    ("inv2543", Want::Ok),
];

#[test]
fn torture_table_covers_every_file() {
    let mut files: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".dat").map(str::to_string))
        .collect();
    files.sort();
    let mut names: Vec<String> = TABLE.iter().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(files, names);
    assert_eq!(files.len(), 49);
}

#[test]
fn torture_table() {
    for &(name, want) in TABLE {
        let got = parse(load(name));
        match (want, got) {
            (Want::Ok, Ok(Message::Request(r))) => {
                assert_eq!(validate_request(&r), Ok(()), "{name}");
            }
            (Want::Ok, Ok(Message::Response(_))) => {}
            (Want::Err(s), Err(e)) => {
                assert_eq!(e.status(), s, "{name}: {e}");
                if s.is_some() {
                    let resp = e
                        .response()
                        .unwrap_or_else(|| panic!("{name}: no response"));
                    assert_eq!(Some(resp.status), s, "{name}");
                    assert!(resp.cseq().is_ok() || name == "scalar02", "{name}");
                } else {
                    assert!(e.response().is_none(), "{name}");
                }
            }
            (Want::Reject(s), Ok(Message::Request(r))) => {
                let rej = validate_request(&r).expect_err(name);
                assert_eq!(rej.status, s, "{name}: {}", rej.reason);
                let resp = rej.to_response(&r);
                assert_eq!(resp.status, s);
            }
            (w, g) => panic!("{name}: wanted {w:?}, got {g:?}"),
        }
    }
}

fn poke(buf: Bytes) {
    if let Ok(m) = parse(buf) {
        let again = parse(m.to_bytes()).expect("printed message parses");
        let _ = again.call_id();
        if let Message::Request(r) = &m {
            let _ = validate_request(r);
            let _ = (
                r.vias(),
                r.contacts(),
                r.from(),
                r.to(),
                r.routes(),
                r.accept(),
            );
            let _ = (
                r.record_routes(),
                r.content_type(),
                r.expires(),
                r.max_forwards(),
            );
            if let Ok(Contacts::List(l)) = r.contacts() {
                for c in l {
                    let _ = c.to_string();
                    let _ = c.uri.equivalent(&r.uri);
                }
            }
            let mut resp = Response::for_request(r, 200, "OK");
            resp.set_to_tag("x");
            let _ = parse(resp.to_bytes());
        }
    }
}

fn poke_err(buf: Bytes) {
    match parse(buf.clone()) {
        Ok(_) => poke(buf.clone()),
        Err(e) => {
            if let Some(r) = e.response() {
                let _ = parse(r.to_bytes());
            }
        }
    }
    let _ = frame(&buf, 65536);
}

#[test]
fn no_panic_on_prefixes() {
    for &(name, _) in TABLE {
        let b = load(name);
        for n in 0..=b.len() {
            poke_err(b.slice(..n));
        }
    }
}

#[test]
fn no_panic_on_byte_flips() {
    for &(name, _) in TABLE {
        let b = load(name);
        for i in 0..b.len() {
            for v in [
                0u8, b' ', b'\r', b'\n', b':', b';', b',', b'<', b'"', b'\\', b'%', b'@', b'9',
                0xff,
            ] {
                let mut m = b.to_vec();
                m[i] = v;
                poke_err(Bytes::from(m));
            }
            for bit in 0..8 {
                let mut m = b.to_vec();
                m[i] ^= 1 << bit;
                poke_err(Bytes::from(m));
            }
        }
    }
}

#[test]
fn wsinv_folding_and_compact_forms() {
    let r = req("wsinv");
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.uri.param("unknownparam"), Some(None));
    let to = r.to().unwrap();
    assert_eq!(to.uri.as_str(), "sip:vivekg@chair-dnrc.example.com");
    assert_eq!(to.tag(), Some("1918181833n"));
    let from = r.from().unwrap();
    assert_eq!(from.display.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(r.max_forwards().unwrap(), Some(68));
    assert_eq!(
        r.cseq().unwrap(),
        CSeq {
            seq: 9,
            method: Method::Invite
        }
    );
    let vias = r.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(&vias[0].transport[..], b"UDP");
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(&vias[1].transport[..], b"TCP");
    assert_eq!(&vias[1].host[..], b"spindle.example.com");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert!(vias[2].has_magic_cookie());
    assert_eq!(
        r.headers
            .get(&HeaderName::other("Subject"))
            .map(|v| v.len()),
        Some(0)
    );
    let Contacts::List(c) = r.contacts().unwrap() else {
        panic!()
    };
    assert_eq!(c[0].display.as_deref(), Some("Quoted string \"\""));
    assert_eq!(c[0].params.get("newparam"), Some(Some("newvalue")));
    assert_eq!(c[0].params.get("secondparam"), Some(None));
    assert_eq!(c[0].params.get("q"), Some(Some("0.33")));
    let routes = r.routes().unwrap();
    assert_eq!(routes[0].uri.param("lr"), Some(None));
    assert_eq!(r.content_type(), Some("application/sdp"));
    assert_eq!(r.body.len(), 150);
}

#[test]
fn esc01_escaped_uris_are_equivalent() {
    let r = req("esc01");
    let eq = |a: &Uri, b: &str| a.equivalent(&b.parse::<Uri>().unwrap());
    assert!(eq(&r.uri, "sip:sips%3auser%40example.com@example.net"));
    assert!(!eq(&r.uri, "sip:sips%3auser%40example.com@example.org"));
    assert!(eq(&r.to().unwrap().uri, "sip:user@example.com"));
    assert_eq!(r.from().unwrap().uri.user(), Some("I%20have%20spaces"));
    let Contacts::List(c) = r.contacts().unwrap() else {
        panic!()
    };
    // RFC 4475 writes the decoded value as "value%41": that is %25%34%31 decoded once
    assert!(eq(
        &c[0].uri,
        "sip:caller@host5.example.net;lr;name=value%2541"
    ));
    assert!(!eq(
        &c[0].uri,
        "sip:caller@host5.example.net;lr;name=valueA"
    ));
    assert_eq!(c[0].uri.param("lr"), Some(None));
}

#[test]
fn uri_comparison_rules() {
    let u = |s: &str| s.parse::<Uri>().unwrap();
    assert!(u("sip:%61lice@atlanta.com;transport=TCP")
        .equivalent(&u("sip:alice@AtLanTa.CoM;Transport=tcp")));
    assert!(!u("SIP:ALICE@AtLanTa.CoM;Transport=udp")
        .equivalent(&u("sip:alice@AtLanTa.CoM;Transport=UDP")));
    assert!(!u("sip:bob@biloxi.com").equivalent(&u("sip:bob@biloxi.com:5060")));
    assert!(!u("sip:bob@biloxi.com").equivalent(&u("sip:bob@biloxi.com;transport=udp")));
    assert!(
        u("sip:carol@chicago.com;security=on").equivalent(&u("sip:carol@chicago.com;newparam=5"))
    );
    assert!(!u("sip:carol@chicago.com").equivalent(&u("sips:carol@chicago.com")));
    assert!(
        u("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com").equivalent(&u(
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ))
    );
    assert!(
        !u("sip:alice@atlanta.com?subject=project%20x&priority=urgent").equivalent(&u(
            "sip:alice@atlanta.com?subject=project%20y&priority=urgent"
        ))
    );
    assert!(u("sip:a@b;lr;LR=x").equivalent(&u("sip:a@b;lr;LR=x")));
    assert!(u("sip:[2001:db8::10]:5070").port() == Some(5070));
    assert_eq!(u("sip:[2001:db8::10]:5070").host(), "[2001:db8::10]");
    assert_eq!(
        u("tel:+1-201-555-0123;phone-context=x").host(),
        "+1-201-555-0123"
    );
}

#[test]
fn uri_builders() {
    let u = Uri::sip(Some("alice"), "192.0.2.1", Some(5070)).with_param("transport", Some("tcp"));
    assert_eq!(u.to_string(), "sip:alice@192.0.2.1:5070;transport=tcp");
    assert_eq!(u.transport(), Some("tcp"));
    let u = u
        .with_param("transport", Some("udp"))
        .with_param("lr", None);
    assert_eq!(u.to_string(), "sip:alice@192.0.2.1:5070;transport=udp;lr");
    let odd = Uri::sip(Some("a b@c"), "example.com", None);
    assert_eq!(odd.to_string(), "sip:a%20b%40c@example.com");
    assert_eq!(odd.user_unescaped().as_deref(), Some("a b@c"));
    assert!(odd.equivalent(&odd.to_string().parse().unwrap()));
    let v6 = Uri::sip(None, "2001:db8::1", None);
    assert_eq!(v6.to_string(), "sip:[2001:db8::1]");
    assert_eq!(v6.host(), "[2001:db8::1]");
    assert_eq!(v6.user(), None);
}

#[test]
fn intmeth_extension_method_and_odd_tokens() {
    let r = req("intmeth");
    assert_eq!(
        r.method.as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    assert!(matches!(r.method, Method::Other(_)));
    assert_eq!(
        r.uri.user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(r.uri.host(), "example.com");
    assert_eq!(
        r.to().unwrap().display.as_deref(),
        Some("BEL:\x07 NUL:\0 DEL:\x7f")
    );
    let from = r.from().unwrap();
    assert_eq!(
        from.display.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(r.cseq().unwrap().method, r.method);
}

#[test]
fn addr_spec_params_belong_to_the_header() {
    let Contacts::List(c) = req("cparam01").contacts().unwrap() else {
        panic!()
    };
    assert_eq!(c[0].uri.as_str(), "sip:+19725552222@gw1.example.net");
    assert_eq!(c[0].params.get("unknownparam"), Some(None));
    let Contacts::List(c) = req("cparam02").contacts().unwrap() else {
        panic!()
    };
    assert_eq!(c[0].uri.param("unknownparam"), Some(None));
    assert!(c[0].params.is_empty());
    let Contacts::List(c) = req("regescrt").contacts().unwrap() else {
        panic!()
    };
    assert!(c[0].uri.has_headers());
    assert!(!c[0].uri.without_headers().has_headers());
}

#[test]
fn dblreq_ignores_trailing_octets() {
    let r = req("dblreq");
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
    assert_eq!(r.call_id(), Some("dblreq.0ha0isndaksdj99sdfafnl3lk233412"));
}

#[test]
fn responses_with_odd_reasons() {
    let Message::Response(r) = parse(load("unreason")).unwrap() else {
        panic!()
    };
    assert_eq!(r.status, 200);
    assert!(r.reason_str().starts_with("= 2**3 * 5**2 "));
    let Message::Response(r) = parse(load("noreason")).unwrap() else {
        panic!()
    };
    assert_eq!(r.status, 100);
    assert!(r.reason.is_empty());
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK2398ndaoe"));
}

#[test]
fn rfc2543_branches() {
    let r = req("inv2543");
    assert_eq!(r.top_via().unwrap().branch(), None);
    assert!(!r.top_via().unwrap().has_magic_cookie());
    assert_eq!(r.max_forwards().unwrap(), None);
    assert!(!req("badbranch").top_via().unwrap().has_magic_cookie());
    assert_eq!(
        req("inv2543").record_routes().unwrap()[0]
            .uri
            .param("maddr"),
        Some(Some("ss1.example.com"))
    );
}

#[test]
fn lists_across_headers() {
    let r = req("transports");
    let t: Vec<String> = r
        .vias()
        .unwrap()
        .iter()
        .map(|v| v.transport_str().to_string())
        .collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    let r = req("bext01");
    assert_eq!(
        r.tokens(&HeaderName::Require),
        ["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    assert_eq!(r.tokens(&HeaderName::ProxyRequire).len(), 2);
    let r = req("semiuri");
    assert_eq!(r.accept().len(), 6);
    assert_eq!(r.uri.user(), Some("user;par=u%40example.net"));
    assert_eq!(req("sdp01").accept(), ["text/nobodyknowsthis"]);
    let Contacts::List(c) = req("esc02").contacts().unwrap() else {
        panic!()
    };
    assert_eq!(c.len(), 2);
    assert_eq!(
        req("esc02").headers.count(&HeaderName::other("C%6Fntact")),
        1
    );
}

#[test]
fn compact_and_canonical_names() {
    for (s, n) in [
        ("i", HeaderName::CallId),
        ("M", HeaderName::Contact),
        ("l", HeaderName::ContentLength),
        ("c", HeaderName::ContentType),
        ("k", HeaderName::Supported),
        ("o", HeaderName::Event),
        ("WWW-AUTHENTICATE", HeaderName::WwwAuthenticate),
    ] {
        assert_eq!(HeaderName::from_bytes(s.as_bytes()), n);
    }
    assert_eq!(HeaderName::from_bytes(b"s"), HeaderName::other("subject"));
    assert_eq!(HeaderName::CallId.to_string(), "Call-ID");
    assert_eq!(HeaderName::from_bytes(b"x").to_string(), "Session-Expires");
}

#[test]
fn valid_files_print_and_reparse_equal() {
    for &(name, want) in TABLE {
        let Ok(m) = parse(load(name)) else { continue };
        if !matches!(want, Want::Ok) {
            continue;
        }
        let printed = m.to_bytes();
        let again = parse(printed.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Content-Length is rewritten, the rest must be the same
        let strip = |m: &Message| {
            let mut m = m.clone();
            m.headers_mut().remove(&HeaderName::ContentLength);
            m
        };
        assert_eq!(strip(&m), strip(&again), "{name}");
        assert_eq!(again.to_bytes(), printed, "{name}");
    }
}

#[test]
fn response_helpers() {
    let r = req("sdp01");
    let mut resp = Response::for_request(&r, 415, Response::reason_for(415));
    resp.set_to_tag("abc");
    resp.set_to_tag("def");
    assert_eq!(resp.to().unwrap().tag(), Some("abc"));
    assert_eq!(resp.from().unwrap().tag(), Some("234"));
    assert_eq!(resp.cseq().unwrap().seq, 8);
    assert_eq!(resp.call_id(), r.call_id());
    let text = resp.to_bytes();
    assert!(text.starts_with(b"SIP/2.0 415 Unsupported Media Type\r\n"));
    assert!(text.ends_with(b"Content-Length: 0\r\n\r\n"));
    let mut v = r.top_via().unwrap();
    v.set_received("198.51.100.7");
    v.set_rport(5099);
    let mut resp2 = resp.clone();
    resp2.set_top_via(v);
    let top = resp2.top_via().unwrap();
    assert_eq!(top.received(), Some("198.51.100.7"));
    assert_eq!(top.rport(), Some(Some(5099)));
}

#[test]
fn requests_built_from_scratch() {
    let uri = Uri::sip(Some("agent7"), "10.0.0.7", Some(5062));
    let mut r = Request::new(Method::Options, uri)
        .with_header(HeaderName::To, "<sip:agent7@10.0.0.7>")
        .with_header(HeaderName::From, "<sip:switchboard@10.0.0.1>;tag=1")
        .with_header(HeaderName::CallId, "c1@10.0.0.1")
        .with_header(HeaderName::CSeq, "1 OPTIONS")
        .with_header(HeaderName::MaxForwards, "70");
    r.push_via(Via::new("UDP", "10.0.0.1", Some(5060), "z9hG4bKabc"));
    assert_eq!(validate_request(&r), Ok(()));
    let Message::Request(back) = parse(r.to_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(
        back.top_via().unwrap().to_string(),
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc"
    );
    assert_eq!(
        back.headers.get(&HeaderName::ContentLength).map(|v| &v[..]),
        Some(&b"0"[..])
    );
}

#[test]
fn stream_framing() {
    let m = load("sdp01");
    let mut buf = b"\r\n\r\n".to_vec();
    buf.extend_from_slice(&m);
    assert_eq!(skip_keepalive(&buf), 4);
    assert_eq!(frame(&buf, 65536), Ok(Some(buf.len())));
    assert_eq!(frame(&buf[..buf.len() - 1], 65536), Ok(None));
    assert_eq!(frame(&buf[..100], 65536), Ok(None));
    assert_eq!(frame(&buf, 200), Err(FrameError::TooLarge));
    assert_eq!(frame(&buf, 400), Err(FrameError::TooLarge));
    let mut two = buf.clone();
    two.extend_from_slice(&m);
    assert_eq!(frame(&two, 65536), Ok(Some(buf.len())));
    assert_eq!(
        frame(b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n", 65536),
        Err(FrameError::MissingContentLength)
    );
    assert_eq!(frame(&vec![b'a'; 70000], 65536), Err(FrameError::TooLarge));
    assert_eq!(frame(b"\r\n\r\n", 65536), Ok(None));
    assert_eq!(
        frame(b"OPTIONS sip:a SIP/2.0\nl: 2\n\nab", 65536),
        Ok(Some(30))
    );
    assert_eq!(
        frame(b"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", 65536),
        Err(FrameError::ConflictingContentLength)
    );
    assert_eq!(
        frame(b"OPTIONS sip:a SIP/2.0\r\nl: -2\r\n\r\nab", 65536),
        Err(FrameError::NegativeContentLength)
    );
    assert_eq!(
        frame(b"OPTIONS sip:a SIP/2.0\r\nl: 2x\r\n\r\nab", 65536),
        Err(FrameError::BadContentLength)
    );
    // Reported once the header section is whole, so it can be answered.
    assert_eq!(
        frame(b"OPTIONS sip:a SIP/2.0\r\nl: -2\r\n", 65536),
        Ok(None)
    );
    // What is left to answer of a refused message: its header section.
    let refused = b"\r\nOPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\nbody";
    assert_eq!(header_end(refused), Some(refused.len() - 4));
    assert_eq!(header_end(b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n"), None);
}

#[test]
fn limits_are_errors() {
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    for i in 0..300 {
        m.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    m.extend_from_slice(b"\r\n");
    let e = parse(Bytes::from(m)).unwrap_err();
    assert_eq!(e.status(), Some(513));
    // exactly MAX_HEADERS fields plus Content-Length fields parse
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n".to_vec();
    for i in 0..MAX_HEADERS {
        m.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    m.extend_from_slice(b"l: 0\r\n\r\n");
    assert_eq!(
        parse(Bytes::from(m)).unwrap().headers().len(),
        MAX_HEADERS + 2
    );
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    m.extend(std::iter::repeat_n(&b"l: 0\r\n"[..], 9).flatten());
    m.extend_from_slice(b"\r\n");
    assert_eq!(parse(Bytes::from(m)).unwrap_err().status(), Some(513));
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
    m.extend(std::iter::repeat_n(b'a', MAX_LINE + 1));
    m.extend_from_slice(b"\r\n\r\n");
    assert_eq!(parse(Bytes::from(m)).unwrap_err().status(), Some(513));
}

#[test]
fn an_error_response_never_exceeds_the_header_limit() {
    // Found by fuzzing: a request refused for having too many fields, most of
    // them Via, must not be answered with a response that has as many.
    let mut m = b"OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n".to_vec();
    for i in 0..300 {
        m.extend_from_slice(
            format!("Via: SIP/2.0/UDP h{i}.example.com;branch=z9hG4bK{i}\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"\r\n");
    let e = parse(Bytes::from(m)).unwrap_err();
    if let Some(r) = e.response() {
        parse(r.to_bytes()).expect("an error response we send parses");
    }
}
