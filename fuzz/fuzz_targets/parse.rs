//! Fuzz the SIP message layer: parsing, framing, typed access, validation,
//! error responses and printing must never panic, and a printed message must
//! parse again to the same message (RFC 3261 section 7 syntax).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use switchboard::sip::message::{frame, parse, validate_request, HeaderName, Message, Response};

fuzz_target!(|data: &[u8]| {
    let _ = frame(data, 65536);
    match parse(Bytes::copy_from_slice(data)) {
        Ok(m) => {
            let printed = m.to_bytes();
            let again = parse(printed.clone()).expect("printed message parses");
            let mut a = m.clone();
            let mut b = again.clone();
            a.headers_mut().remove(&HeaderName::ContentLength);
            b.headers_mut().remove(&HeaderName::ContentLength);
            assert_eq!(a, b);
            if let Message::Request(r) = &m {
                let _ = validate_request(r);
                let _ = (r.vias(), r.contacts(), r.from(), r.to(), r.cseq());
                let _ = (r.routes(), r.record_routes(), r.accept(), r.content_type());
                let mut resp = Response::for_request(r, 200, "OK");
                resp.set_to_tag("t");
                let _ = parse(resp.to_bytes());
            }
        }
        Err(e) => {
            if let Some(r) = e.response() {
                let _ = parse(r.to_bytes()).expect("error response parses");
            }
        }
    }
});
