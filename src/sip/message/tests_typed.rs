//! Unit tests of typed values and request checks beyond the RFC 4475 files
//! (RFC 3261 sections 7.3.1, 8.2.2, 19.1, 20.10, 20.42; RFC 5626 instance ids).

use super::lex;
use super::*;

fn na(s: &str) -> Result<NameAddr, ParseError> {
    NameAddr::parse(Bytes::copy_from_slice(s.as_bytes()))
}

fn request(text: &str) -> Request {
    match parse(Bytes::copy_from_slice(text.as_bytes())) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

const BASE: &str = "REGISTER sip:example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n\
To: <sip:a@example.com>\r\n\
From: <sip:a@example.com>;tag=1\r\n\
Call-ID: c1\r\n\
CSeq: 1 REGISTER\r\n";

fn with(extra: &str) -> Request {
    request(&format!("{BASE}{extra}Content-Length: 0\r\n\r\n"))
}

#[test]
fn name_addr_forms() {
    let a = na("sip:a@b;+sip.instance=\"<urn:uuid:1>\";expires=60").unwrap();
    assert_eq!(a.uri.as_str(), "sip:a@b");
    assert_eq!(
        a.params.get("+sip.instance"),
        Some(Some("\"<urn:uuid:1>\""))
    );
    assert_eq!(
        a.params.get_unquoted("+sip.instance"),
        Some(Some("<urn:uuid:1>".to_string()))
    );
    let b = na("<sip:a@b>;+sip.instance=\"<urn:uuid:1>\"").unwrap();
    assert_eq!(b.uri.as_str(), "sip:a@b");
    let c = na("Alice   Smith <sips:alice@[2001:db8::1]:5061;transport=tls>;tag=x").unwrap();
    assert_eq!(c.display.as_deref(), Some("Alice Smith"));
    assert_eq!(c.uri.port(), Some(5061));
    assert_eq!(
        c.to_string(),
        "\"Alice Smith\" <sips:alice@[2001:db8::1]:5061;transport=tls>;tag=x"
    );
    assert_eq!(
        na("\"a\\\"b\" <sip:x@y>").unwrap().to_string(),
        "\"a\\\"b\" <sip:x@y>"
    );
    assert!(na("<sip:a@b").is_err());
    assert!(na("sip:a@b?x=y").is_err());
    assert!(na("<sip:a@b>;").is_err());
    assert!(na("<sip:a@b> junk").is_err());
    assert!(na("\"open <sip:a@b>").is_err());
    assert!(na("").is_err());
}

#[test]
fn via_forms() {
    let v = Via::parse(Bytes::from_static(
        b"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx;received=2001:db8::9;rport=5070",
    ))
    .unwrap();
    assert_eq!(v.transport_str(), "WSS");
    assert_eq!(v.received(), Some("2001:db8::9"));
    assert_eq!(v.rport(), Some(Some(5070)));
    let v6 = Via::parse(Bytes::from_static(
        b"SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKy",
    ))
    .unwrap();
    assert_eq!(v6.host_str(), "[2001:db8::1]");
    assert_eq!(v6.port, Some(5060));
    assert_eq!(
        v6.to_string(),
        "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKy"
    );
    assert!(Via::parse(Bytes::from_static(b"SIP/2.0/UDP")).is_err());
    assert!(Via::parse(Bytes::from_static(b"SIP/2.0/UDP h:99999")).is_err());
    assert!(Via::parse(Bytes::from_static(b"SIP/2.0 UDP h")).is_err());
    let r = with("");
    assert_eq!(r.top_via().unwrap().rport(), Some(None));
}

#[test]
fn folded_values_unfold_on_access() {
    let r = request(
        "OPTIONS sip:a@b SIP/2.0\r\nSubject: one\r\n  two\r\n\tthree\r\nContent-Length: 0\r\n\r\n",
    );
    let raw = r.headers.get(&HeaderName::other("Subject")).unwrap();
    assert_eq!(&raw[..], b"one\r\n  two\r\n\tthree");
    assert_eq!(
        r.headers
            .get_unfolded(&HeaderName::other("Subject"))
            .as_deref(),
        Some("one two three")
    );
}

#[test]
fn bare_lf_line_ends_are_tolerated() {
    let r = request("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nl: 0\n\n");
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK1"));
}

#[test]
fn contacts_star_and_lists() {
    assert_eq!(
        with("Contact: *\r\nExpires: 0\r\n").contacts().unwrap(),
        Contacts::Star
    );
    let r = with(
        "Contact: <sip:a@1.2.3.4>;expires=60, \"B\" <sip:b@5.6.7.8>;q=0.5\r\nm: sip:c@9.9.9.9\r\n",
    );
    let Contacts::List(l) = r.contacts().unwrap() else {
        panic!()
    };
    assert_eq!(l.len(), 3);
    assert_eq!(l[0].params.get("expires"), Some(Some("60")));
    assert_eq!(l[1].display.as_deref(), Some("B"));
    assert_eq!(l[2].uri.host(), "9.9.9.9");
    assert!(with("Contact: *, <sip:a@b>\r\n").contacts().is_err());
    assert_eq!(
        validate_request(&with("Contact: <sip:a@b>;expires=99999999999\r\n"))
            .unwrap_err()
            .status,
        400
    );
}

#[test]
fn request_checks() {
    assert_eq!(validate_request(&with("")), Ok(()));
    let r =
        request("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 0\r\n\r\n");
    assert_eq!(
        validate_request(&r).unwrap_err().reason,
        "Missing To header"
    );
    let rej = validate_request(&with("Max-Forwards: 256\r\n")).unwrap_err();
    assert_eq!((rej.status, rej.reason), (400, "Bad Max-Forwards"));
    assert_eq!(
        validate_request(&with("Expires: 4294967296\r\n"))
            .unwrap_err()
            .status,
        400
    );
    assert_eq!(validate_request(&with("Expires: 4294967295\r\n")), Ok(()));
    assert_eq!(
        validate_request(&with("Content-Type: sdp\r\n"))
            .unwrap_err()
            .status,
        400
    );
    assert_eq!(
        validate_request(&with("Route: <sip:p;lr>, junk\r\n"))
            .unwrap_err()
            .status,
        400
    );
    assert_eq!(
        validate_request(&request(&format!("{}\r\n", BASE.replace(";tag=1", ";tag"))))
            .unwrap_err()
            .reason,
        "Malformed From header"
    );
    let mut resp = with("").response(200);
    resp.headers.set(HeaderName::To, "<sip:a@b>;TAG");
    resp.set_to_tag("x");
    assert_eq!(resp.to().unwrap().tag(), Some("x"));
    let tel = BASE.replace("REGISTER sip:example.com", "REGISTER tel:+15551234");
    let tel = request(&format!("{tel}l: 0\r\n\r\n"));
    assert_eq!(validate_request(&tel), Ok(()));
    let rej = validate_request(&with("CSeq: 2 REGISTER\r\n")).unwrap_err();
    let resp = rej.to_response(&with("CSeq: 2 REGISTER\r\n"));
    assert_eq!(resp.cseq().unwrap().seq, 1);
    assert_eq!(resp.headers.count(&HeaderName::CSeq), 1);
}

#[test]
fn unparsable_requests_get_a_response() {
    let text = format!(
        "INVITE <sip:a@b> SIP/2.0\r\n{}",
        &BASE[BASE.find("Via").unwrap()..]
    );
    let e = parse(Bytes::from(text + "\r\n")).unwrap_err();
    assert_eq!(e.status(), Some(400));
    let r = e.response().unwrap();
    assert_eq!(r.reason_str(), "Malformed Request-URI");
    assert_eq!(r.headers.count(&HeaderName::Via), 1);
    assert_eq!(r.call_id(), Some("c1"));
    assert!(parse(r.to_bytes()).is_ok());
    // not a request at all: nothing to answer
    let e = parse(Bytes::from_static(b"\x16\x03\x01 hello\r\n\r\n")).unwrap_err();
    assert_eq!(e.status(), None);
    assert!(e.response().is_none());
    let long = BASE.replace(
        "sip:example.com",
        &format!("sip:{}", "a".repeat(MAX_URI_LEN)),
    );
    let e = parse(Bytes::from(format!("{long}\r\n"))).unwrap_err();
    assert_eq!(e.response().unwrap().status, 414);
    // too large
    let big = format!("{BASE}X: {}\r\n\r\n", "a".repeat(MAX_MESSAGE));
    assert_eq!(parse(Bytes::from(big)).unwrap_err().status(), Some(513));
}

#[test]
fn status_lines() {
    let ok = |s: &str| parse(Bytes::from(format!("{s}\r\nCSeq: 1 INVITE\r\n\r\n")));
    assert!(matches!(ok("SIP/2.0 180 Ringing"), Ok(Message::Response(r)) if r.status == 180));
    assert!(matches!(ok("SIP/2.0 100"), Ok(Message::Response(r)) if r.reason.is_empty()));
    for bad in [
        "SIP/2.0 099 x",
        "SIP/2.0 700 x",
        "SIP/2.0 20 x",
        "SIP/2.0 2000 x",
        "SIP/3.0 200 OK",
        "SIP/2.0 200 a\x01b",
    ] {
        let e = ok(bad).unwrap_err();
        assert_eq!(e.status(), None, "{bad}");
    }
    assert!(parse(Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n")).is_err());
}

#[test]
fn headers_editing() {
    let mut r = with("Supported: path\r\nSupported: outbound, gruu\r\n");
    assert_eq!(
        r.tokens(&HeaderName::Supported),
        ["path", "outbound", "gruu"]
    );
    r.headers.set(HeaderName::Supported, "timer");
    assert_eq!(r.headers.count(&HeaderName::Supported), 1);
    r.headers.remove(&HeaderName::Supported);
    assert!(r.headers.get(&HeaderName::Supported).is_none());
    let mut p = Params::new();
    p.set("Tag", Some("a"));
    p.set("tag", Some("b"));
    p.set("lr", None);
    assert_eq!(p.to_string(), ";Tag=b;lr");
    p.remove("TAG");
    assert_eq!(p.get("lr"), Some(None));
    assert_eq!(
        with("Content-Type: Application/SDP; charset=x\r\n").content_type(),
        Some("application/sdp")
    );
    assert_eq!(
        with("Content-Type: text/x-Odd\r\n").content_type(),
        Some("text/x-Odd")
    );
}

#[test]
fn authentication_values() {
    let r = with("Authorization: Digest username=\"a\", realm=\"example.com\",\r\n nonce=\"n\", uri=\"sip:example.com\", response=\"00\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c\"\r\n");
    let c = &r.credentials(false).unwrap()[0];
    assert!(c.is_digest());
    assert_eq!(
        c.params.get_unquoted("realm"),
        Some(Some("example.com".into()))
    );
    assert_eq!(c.params.get("nc"), Some(Some("00000001")));
    let again = AuthValue::parse(&Bytes::from(c.to_string())).unwrap();
    assert_eq!(&again, c);
    let odd = with("Authorization: NoOneKnowsThisScheme opaque-data=here\r\n");
    assert_eq!(
        odd.credentials(false).unwrap()[0].scheme,
        "NoOneKnowsThisScheme"
    );
    assert!(with("Authorization: Digest realm=\"x\r\n")
        .credentials(false)
        .is_err());
    let mut resp = r.response(401);
    resp.headers.push(
        HeaderName::WwwAuthenticate,
        format!(
            "Digest realm={}, nonce={}",
            quoted_string("a\"b"),
            quoted_string("n")
        ),
    );
    let ch = &resp.challenges(false).unwrap()[0];
    assert_eq!(ch.params.get_unquoted("realm"), Some(Some("a\"b".into())));
    assert_eq!(resp.reason_str(), "Unauthorized");
}

#[test]
fn trying_copies_timestamp() {
    let r = with("Timestamp: 54\r\n");
    assert_eq!(
        r.response(100)
            .headers
            .count(&HeaderName::other("timestamp")),
        1
    );
    assert_eq!(
        r.response(180)
            .headers
            .count(&HeaderName::other("timestamp")),
        0
    );
}

#[test]
fn messages_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Message>();
    send_sync::<ParseError>();
    send_sync::<Rejection>();
    // a value read on one thread is the same value on another
    let r = std::sync::Arc::new(with("Subject: hi\r\n"));
    let r2 = r.clone();
    let t = std::thread::spawn(move || {
        r2.headers
            .get_str(&HeaderName::other("subject"))
            .map(str::to_string)
    });
    assert_eq!(
        t.join().unwrap().as_deref(),
        r.headers.get_str(&HeaderName::other("Subject"))
    );
}

#[test]
fn parsed_and_built_headers_compare_by_value() {
    let parsed = with("Subject: x\r\n").headers;
    let mut built = Headers::new();
    for (n, v) in parsed.iter() {
        built.push(n.clone(), v.clone());
    }
    assert_eq!(parsed, built);
    // a fresh parse (values not yet read) equals one whose values were read
    let fresh = with("Subject: x\r\n").headers;
    assert_eq!(fresh, parsed);
    assert_eq!(format!("{fresh:?}"), format!("{built:?}"));
    built.set(HeaderName::other("Subject"), "y");
    assert_ne!(parsed, built);
}

#[test]
fn first_element_matches_split() {
    for v in [
        "a, b",
        "\"x,y\" <sip:a,b@c>;p=1, d",
        "<sip:a>",
        "",
        " , x",
        "\"unterminated, y",
    ] {
        let whole = lex::split_commas(v.as_bytes());
        assert_eq!(lex::first_element(v.as_bytes()), whole[0], "{v}");
    }
}

#[test]
fn uri_parts() {
    let u: Uri = "SIPS:+1-212-555-1212:1234@gateway.com;user=phone?subject=x%20y&priority=urgent"
        .parse()
        .unwrap();
    assert_eq!(u.scheme(), &Scheme::Sips);
    assert_eq!(u.scheme().to_string(), "sips");
    assert_eq!(u.user(), Some("+1-212-555-1212"));
    assert_eq!(u.password(), Some("1234"));
    assert_eq!(u.param("USER"), Some(Some("phone")));
    let h: Vec<_> = u.headers().collect();
    assert_eq!(h, [("subject", "x%20y"), ("priority", "urgent")]);
    assert_eq!(
        u.without_headers().as_str(),
        "SIPS:+1-212-555-1212:1234@gateway.com;user=phone"
    );
    let o: Uri = "urn:service:sos".parse().unwrap();
    assert_eq!(o.scheme().as_str(), "urn");
    assert_eq!(o.host(), "service:sos");
    for bad in [
        "",
        "sip:",
        "sip:@h",
        "sip:a@",
        "sip:a@h:",
        "sip:a@h:70000",
        "sip:a@h;",
        "sip:a@h;=x",
        "sip:a@h?x",
        "sip:a b@h",
        "sip:a@h%zz",
        "sip:a%g1@h",
        "1sip:a@h",
        "sip:[::1",
        "<sip:a@h>",
    ] {
        assert!(bad.parse::<Uri>().is_err(), "{bad}");
    }
    let v = Via::new("TCP", "2001:db8::5", Some(5070), "z9hG4bKq");
    assert_eq!(
        v.to_string(),
        "SIP/2.0/TCP [2001:db8::5]:5070;branch=z9hG4bKq"
    );
    assert_eq!(v.sent_by(), "[2001:db8::5]:5070");
}
