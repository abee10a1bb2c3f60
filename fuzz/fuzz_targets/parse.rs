//! Fuzz the SIP message layer (RFC 3261 sections 7, 18.3, 19, 20 and 25): framing,
//! parsing, typed access, validation, error responses and printing must never
//! panic; a printed message parses back to the same message; typed values print
//! to text that parses back to the same value; framing and parsing agree on
//! where a message ends.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use switchboard::sip::message::{
    frame, parse, validate_request, Contacts, HeaderName, Message, NameAddr, Via, MAX_MESSAGE,
};

fn strip(m: &Message) -> Message {
    let mut m = m.clone();
    m.headers_mut().remove(&HeaderName::ContentLength);
    m
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = frame(data, 4096) {
        if let Err(e) = parse(Bytes::copy_from_slice(&data[..n])) {
            assert!(!matches!(
                e.what(),
                "Header section not terminated" | "Body shorter than Content-Length"
            ));
        }
    }
    match parse(Bytes::copy_from_slice(data)) {
        Ok(m) => {
            let printed = m.to_bytes();
            assert_eq!(frame(&printed, MAX_MESSAGE * 2), Ok(Some(printed.len())));
            let again = parse(printed).expect("printed message parses");
            assert_eq!(strip(&m), strip(&again));
            let Message::Request(r) = &m else { return };
            if validate_request(r).is_ok() {
                let mut resp = r.response(486);
                resp.set_to_tag("t");
                let want = r.to().unwrap().tag().unwrap_or("t").to_string();
                let Ok(Message::Response(back)) = parse(resp.to_bytes()) else {
                    panic!("response does not parse")
                };
                assert_eq!(back.to().unwrap().tag(), Some(want.as_str()));
            }
            let _ = (r.accept(), r.content_type(), r.credentials(false), r.expires());
            let mut addrs: Vec<NameAddr> = [r.from(), r.to()].into_iter().flatten().collect();
            addrs.extend(r.routes().unwrap_or_default());
            addrs.extend(r.record_routes().unwrap_or_default());
            if let Ok(Contacts::List(l)) = r.contacts() {
                addrs.extend(l);
            }
            for a in addrs {
                let back = NameAddr::parse(Bytes::from(a.to_string())).expect("name-addr reparses");
                assert_eq!(back, a);
                assert!(a.uri.equivalent(&a.uri));
                assert_eq!(a.uri.equivalent(&r.uri), r.uri.equivalent(&a.uri));
            }
            for v in r.vias().unwrap_or_default() {
                assert_eq!(Via::parse(Bytes::from(v.to_string())).expect("Via reparses"), v);
            }
        }
        Err(e) => {
            if let Some(r) = e.response() {
                parse(r.to_bytes()).expect("error response parses");
            }
        }
    }
});
