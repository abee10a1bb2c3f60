//! The registration core on a virtual clock, flow by flow (RFC 3261 section
//! 10.2 with digest of RFC 7616).

use super::*;
use crate::sip::auth::{challenge, ha1, Algorithm, DigestCredentials};

fn config() -> RegistrationConfig {
    RegistrationConfig {
        registrar: Uri::parse(bytes::Bytes::from_static(b"sip:carrier.example")).unwrap(),
        aor: Uri::parse(bytes::Bytes::from_static(b"sip:trunk7@carrier.example")).unwrap(),
        contact: Uri::parse(bytes::Bytes::from_static(b"sip:trunk7@192.0.2.1:5060")).unwrap(),
        via: "SIP/2.0/UDP 192.0.2.1:5060;rport".into(),
        username: "trunk7".into(),
        password: "secret".into(),
        expires: 600,
        call_id: "reg-call-1".into(),
        from_tag: "ft1".into(),
        cnonce: "cn0123".into(),
        user_agent: "test".into(),
    }
}

fn sent(r: &mut Registration) -> Request {
    let Some(Action::Send(req)) = r.poll_action() else {
        panic!("nothing sent")
    };
    assert_eq!(r.poll_action(), None, "one REGISTER at a time");
    req
}

fn header(req: &Request, name: HeaderName) -> Option<String> {
    req.headers
        .get(&name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

fn cseq(req: &Request) -> u32 {
    req.cseq().unwrap().seq
}

fn answer(req: &Request, status: u16) -> Response {
    Response::for_request(req, status, Response::reason_for(status))
}

fn challenged(req: &Request, algorithms: &[Algorithm], nonce: &str, stale: bool) -> Response {
    let mut resp = answer(req, 401);
    for a in algorithms {
        resp.headers.push(
            HeaderName::WwwAuthenticate,
            challenge("carrier.example", nonce, *a, stale),
        );
    }
    resp
}

fn ok(req: &Request, contact_expires: Option<u32>) -> Response {
    let mut resp = answer(req, 200);
    let contact = header(req, HeaderName::Contact).unwrap();
    let contact = match contact_expires {
        Some(e) => format!("{contact};expires={e}"),
        None => contact,
    };
    resp.headers.push(HeaderName::Contact, contact);
    resp
}

/// The digest credentials of `req`, checked against the password.
fn verified(req: &Request) -> DigestCredentials {
    let value = header(req, HeaderName::Authorization).expect("no Authorization");
    let creds = DigestCredentials::parse(&value).unwrap();
    let secret = ha1(
        creds.algorithm().unwrap(),
        "trunk7",
        "carrier.example",
        "secret",
    );
    assert!(creds.verify("REGISTER", &secret).unwrap(), "{value}");
    assert_eq!(creds.uri, "sip:carrier.example");
    creds
}

/// Registered with a 401 round; the clock then.
fn registered(r: &mut Registration, t0: Instant, granted: u32) -> Request {
    let first = sent(r);
    r.handle(
        t0,
        Input::Response(challenged(&first, &[Algorithm::Md5], "n1", false)),
    );
    let second = sent(r);
    r.handle(t0, Input::Response(ok(&second, Some(granted))));
    assert_eq!(r.state(), State::Registered);
    second
}

#[test]
fn a_challenge_is_answered_with_the_next_cseq_and_the_same_call_id() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    assert_eq!(first.method, Method::Register);
    assert_eq!(cseq(&first), 1);
    assert_eq!(header(&first, HeaderName::Expires).as_deref(), Some("600"));
    assert!(header(&first, HeaderName::Authorization).is_none());
    assert_eq!(r.state(), State::Registering);

    r.handle(
        t0,
        Input::Response(challenged(&first, &[Algorithm::Md5], "n1", false)),
    );
    let second = sent(&mut r);
    assert_eq!(cseq(&second), 2);
    assert_eq!(second.call_id(), Some("reg-call-1"));
    assert_eq!(
        second.from().unwrap().tag(),
        first.from().unwrap().tag(),
        "one registration, one From tag"
    );
    let creds = verified(&second);
    assert_eq!(creds.algorithm().unwrap(), Algorithm::Md5);
    assert_eq!(creds.nc.as_deref(), Some("00000001"));
    assert_eq!(creds.cnonce.as_deref(), Some("cn0123"));

    r.handle(t0, Input::Response(ok(&second, Some(300))));
    assert_eq!(r.state(), State::Registered);
    assert_eq!(r.expires_at(), Some(t0 + Duration::from_secs(300)));
    assert_eq!(r.last_error(), None);
}

#[test]
fn sha256_is_preferred_when_offered_beside_md5() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    let resp = challenged(&first, &[Algorithm::Md5, Algorithm::Sha256], "n1", false);
    r.handle(t0, Input::Response(resp));
    let creds = verified(&sent(&mut r));
    assert_eq!(creds.algorithm().unwrap(), Algorithm::Sha256);
}

#[test]
fn a_407_is_answered_with_proxy_credentials() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    let mut resp = answer(&first, 407);
    resp.headers.push(
        HeaderName::ProxyAuthenticate,
        challenge("carrier.example", "p1", Algorithm::Md5, false),
    );
    r.handle(t0, Input::Response(resp));
    let second = sent(&mut r);
    assert!(header(&second, HeaderName::Authorization).is_none());
    let value = header(&second, HeaderName::ProxyAuthorization).unwrap();
    let creds = DigestCredentials::parse(&value).unwrap();
    let secret = ha1(Algorithm::Md5, "trunk7", "carrier.example", "secret");
    assert!(creds.verify("REGISTER", &secret).unwrap());
}

#[test]
fn the_binding_is_refreshed_at_half_its_expiry_with_fresh_credentials() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let second = registered(&mut r, t0, 120);
    assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    r.handle_timeout(t0 + Duration::from_secs(59));
    assert_eq!(r.poll_action(), None, "not before its time");
    let t1 = t0 + Duration::from_secs(60);
    r.handle_timeout(t1);
    let refresh = sent(&mut r);
    assert_eq!(cseq(&refresh), cseq(&second) + 1);
    assert_eq!(refresh.call_id(), Some("reg-call-1"));
    let creds = verified(&refresh);
    assert_eq!(creds.nonce, "n1");
    assert_eq!(
        creds.nc.as_deref(),
        Some("00000002"),
        "the nonce count grows"
    );
    assert_eq!(r.state(), State::Registered, "the binding still holds");
    // The Expires header grants when the Contact does not say.
    let mut resp = ok(&refresh, None);
    resp.headers.push(HeaderName::Expires, "90");
    r.handle(t1, Input::Response(resp));
    assert_eq!(r.expires_at(), Some(t1 + Duration::from_secs(90)));
    assert_eq!(r.poll_timeout(), Some(t1 + Duration::from_secs(45)));
}

#[test]
fn a_new_nonce_on_refresh_is_answered_again() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    registered(&mut r, t0, 120);
    let t1 = t0 + Duration::from_secs(60);
    r.handle_timeout(t1);
    let refresh = sent(&mut r);
    r.handle(
        t1,
        Input::Response(challenged(&refresh, &[Algorithm::Md5], "n2", true)),
    );
    let again = sent(&mut r);
    let creds = verified(&again);
    assert_eq!(
        (creds.nonce.as_str(), creds.nc.as_deref()),
        ("n2", Some("00000001"))
    );
    r.handle(t1, Input::Response(ok(&again, Some(120))));
    assert_eq!(r.state(), State::Registered);
}

#[test]
fn refused_credentials_stop_the_registration() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    r.handle(
        t0,
        Input::Response(challenged(&first, &[Algorithm::Md5], "n1", false)),
    );
    let second = sent(&mut r);
    r.handle(
        t0,
        Input::Response(challenged(&second, &[Algorithm::Md5], "n2", false)),
    );
    assert_eq!(r.state(), State::Failed);
    assert!(
        r.last_error().unwrap().contains("credentials"),
        "{:?}",
        r.last_error()
    );
    assert_eq!(r.poll_action(), None);
    assert_eq!(r.poll_timeout(), None);
    assert!(r.is_over());
}

#[test]
fn interval_too_brief_asks_again_for_min_expires() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    let mut brief = answer(&first, 423);
    brief.headers.push(HeaderName::MinExpires, "1800");
    r.handle(t0, Input::Response(brief));
    let second = sent(&mut r);
    assert_eq!(cseq(&second), 2);
    assert_eq!(
        header(&second, HeaderName::Expires).as_deref(),
        Some("1800")
    );
    r.handle(t0, Input::Response(ok(&second, Some(1800))));
    assert_eq!(r.expires_at(), Some(t0 + Duration::from_secs(1800)));

    // A 423 that asks for no more than we did cannot be met: back off.
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    let mut brief = answer(&first, 423);
    brief.headers.push(HeaderName::MinExpires, "60");
    r.handle(t0, Input::Response(brief));
    assert_eq!(r.poll_action(), None);
    assert_eq!(r.state(), State::Retrying);
    assert!(r.last_error().unwrap().contains("423"));
}

#[test]
fn forbidden_stops_and_is_reported() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    r.handle(t0, Input::Response(answer(&first, 403)));
    assert_eq!(r.state(), State::Failed);
    assert_eq!(r.last_error(), Some("403 Forbidden"));
    assert_eq!(r.poll_timeout(), None, "nothing more is tried");
    r.handle_timeout(t0 + Duration::from_secs(3600));
    assert_eq!(r.poll_action(), None);
}

#[test]
fn no_answer_is_retried_with_a_growing_back_off() {
    let mut now = Instant::now();
    let mut r = Registration::new(config());
    let mut waits = Vec::new();
    let mut last_cseq = 0;
    for _ in 0..10 {
        let req = sent(&mut r);
        assert!(cseq(&req) > last_cseq);
        last_cseq = cseq(&req);
        r.handle(now, Input::NoAnswer);
        assert_eq!(r.state(), State::Retrying);
        let at = r.poll_timeout().unwrap();
        waits.push((at - now).as_secs());
        now = at;
        r.handle_timeout(now);
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    // Success resets the back-off.
    let req = sent(&mut r);
    r.handle(now, Input::Response(ok(&req, Some(600))));
    assert_eq!(r.state(), State::Registered);
    assert_eq!(r.last_error(), None);
    r.handle_timeout(now + Duration::from_secs(300));
    let refresh = sent(&mut r);
    r.handle(now, Input::NoAnswer);
    assert_eq!(r.state(), State::Registered, "the binding still holds");
    assert_eq!(r.poll_timeout(), Some(now + Duration::from_secs(2)));
    assert!(cseq(&refresh) > last_cseq);
}

#[test]
fn a_binding_that_lapses_while_retrying_is_no_longer_registered() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    registered(&mut r, t0, 20);
    let t1 = t0 + Duration::from_secs(10);
    r.handle_timeout(t1);
    let refresh = sent(&mut r);
    let mut unavailable = answer(&refresh, 503);
    unavailable.headers.push(HeaderName::RetryAfter, "30");
    r.handle(t1, Input::Response(unavailable));
    assert_eq!(r.state(), State::Registered, "until the binding runs out");
    let lapse = t0 + Duration::from_secs(20);
    assert_eq!(r.poll_timeout(), Some(lapse));
    r.handle_timeout(lapse);
    assert_eq!(r.state(), State::Retrying);
    assert_eq!(r.expires_at(), None);
    assert_eq!(r.poll_action(), None);
    assert_eq!(r.poll_timeout(), Some(t1 + Duration::from_secs(30)));
    r.handle_timeout(t1 + Duration::from_secs(30));
    assert_eq!(r.state(), State::Registering);
    sent(&mut r);
}

#[test]
fn a_503_waits_for_its_retry_after() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    let mut unavailable = answer(&first, 503);
    unavailable.headers.push(HeaderName::RetryAfter, "30");
    r.handle(t0, Input::Response(unavailable));
    assert_eq!(r.state(), State::Retrying);
    assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    assert_eq!(r.last_error(), Some("503 Service Unavailable"));
}

#[test]
fn stop_removes_the_binding_then_ends() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let second = registered(&mut r, t0, 120);
    r.handle(t0, Input::Stop);
    assert_eq!(r.state(), State::Unregistering);
    let removal = sent(&mut r);
    assert_eq!(header(&removal, HeaderName::Expires).as_deref(), Some("0"));
    assert_eq!(cseq(&removal), cseq(&second) + 1);
    verified(&removal);
    r.handle(t0, Input::Response(ok(&removal, None)));
    assert_eq!(r.state(), State::Stopped);
    assert!(r.is_over());
    assert_eq!(r.poll_timeout(), None);

    // Stopped before any binding: nothing to remove.
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    r.handle(t0, Input::Response(answer(&first, 403)));
    r.handle(t0, Input::Stop);
    assert_eq!(r.poll_action(), None);
    assert!(r.is_over());

    // Stopped while the first REGISTER is in flight: its 200 is then removed.
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    r.handle(t0, Input::Stop);
    assert_eq!(r.poll_action(), None, "waits for the answer in flight");
    r.handle(t0, Input::Response(ok(&first, Some(120))));
    let removal = sent(&mut r);
    assert_eq!(header(&removal, HeaderName::Expires).as_deref(), Some("0"));
    r.handle(t0, Input::NoAnswer);
    assert!(r.is_over(), "no answer to the removal still ends it");
}

#[test]
fn stale_and_unmatched_responses_are_ignored() {
    let t0 = Instant::now();
    let mut r = Registration::new(config());
    let first = sent(&mut r);
    r.handle(t0, Input::Response(answer(&first, 100)));
    assert_eq!(r.state(), State::Registering);
    let mut other = first.clone();
    other
        .headers
        .set(HeaderName::CSeq, bytes::Bytes::from_static(b"7 REGISTER"));
    r.handle(t0, Input::Response(answer(&other, 200)));
    assert_eq!(r.state(), State::Registering, "not the REGISTER in flight");
}
