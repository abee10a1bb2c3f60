//! RFC 2543 matching (RFC 3261 section 17.2.3, last paragraphs) with the two
//! RFC 4475 messages that exercise it: `badbranch.dat` (section 3.2.1, a
//! branch that is only the magic cookie) and `inv2543.dat` (section 3.4.1, no
//! branch, no tags).

use std::time::Instant;

use super::*;
use crate::sip::message::{Message, Response};
use crate::sip::transaction::*;

fn testdata(name: &str) -> String {
    let path = format!(
        "{}/../shared/testdata/rfc4475/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let path = if std::path::Path::new(&path).exists() {
        path
    } else {
        format!("/work/shared/testdata/rfc4475/{name}")
    };
    String::from_utf8(std::fs::read(&path).expect("RFC 4475 test file")).expect("ASCII")
}

fn raw(text: &str) -> Message {
    crate::sip::message::parse(Bytes::from(text.to_string())).expect("parses")
}

#[test]
fn badbranch_is_matched_by_rfc2543_rules() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = testdata("badbranch.dat");
    l.handle_incoming(t0, raw(&text), alice());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    let options = request_of(&evs);

    l.handle_incoming(t0 + ms(500), raw(&text), alice());
    assert!(events(&mut l).is_empty(), "the copy is a retransmission");
    assert!(transmits(&mut l).is_empty(), "absorbed in Trying");
    assert_eq!(l.counters().retransmitted_requests, 1);

    l.send_response(t0 + ms(600), tx, Response::for_request(&options, 200, "OK"))
        .unwrap();
    l.handle_incoming(t0 + ms(700), raw(&text), alice());
    assert_eq!(
        first_lines(&transmits(&mut l)),
        vec!["SIP/2.0 200 OK", "SIP/2.0 200 OK"]
    );

    // Another From tag, the same lone-cookie branch: another transaction.
    let other = text.replace("tag=33242", "tag=99999");
    l.handle_incoming(t0 + ms(800), raw(&other), alice());
    assert_eq!(events(&mut l).len(), 1);
    assert_eq!(l.len(), 2);
    // So is another CSeq.
    let later = text.replace("CSeq: 8 OPTIONS", "CSeq: 9 OPTIONS");
    l.handle_incoming(t0 + ms(900), raw(&later), alice());
    assert_eq!(events(&mut l).len(), 1);
    assert_eq!(l.len(), 3);
}

/// The ACK an RFC 2543 UA sends for our final response: the INVITE's
/// Request-URI, Via, From, Call-ID and CSeq number, our To tag.
fn ack_2543(invite: &str, to_tag: &str) -> String {
    let head = invite.split("\r\n\r\n").next().unwrap();
    head.lines()
        .filter(|l| !l.starts_with("Content-Type") && !l.starts_with("Record-Route"))
        .map(|l| {
            if l.starts_with("INVITE ") {
                l.replacen("INVITE", "ACK", 1)
            } else if l.starts_with("To:") {
                format!("{l};tag={to_tag}")
            } else if l.starts_with("CSeq:") {
                "CSeq: 56 ACK".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\nContent-Length: 0\r\n\r\n"
}

fn cancel_2543(invite: &str) -> String {
    let head = invite.split("\r\n\r\n").next().unwrap();
    head.lines()
        .filter(|l| !l.starts_with("Content-Type") && !l.starts_with("Record-Route"))
        .map(|l| {
            if l.starts_with("INVITE ") {
                l.replacen("INVITE", "CANCEL", 1)
            } else if l.starts_with("CSeq:") {
                "CSeq: 56 CANCEL".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\nContent-Length: 0\r\n\r\n"
}

#[test]
fn inv2543_retransmission_and_ack_are_matched_without_a_branch() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = testdata("inv2543.dat");
    l.handle_incoming(t0, raw(&text), alice());
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 100 Trying"]);
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    let invite = request_of(&evs);

    l.handle_incoming(t0 + ms(500), raw(&text), alice());
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 100 Trying"]);
    assert!(events(&mut l).is_empty());

    let mut busy = Response::for_request(&invite, 486, "Busy Here");
    busy.set_to_tag("sb2543");
    l.send_response(t0 + ms(600), tx, busy).unwrap();
    transmits(&mut l);

    // An ACK with another To tag is not for this transaction: it goes up.
    l.handle_incoming(t0 + ms(700), raw(&ack_2543(&text, "wrong")), alice());
    assert!(matches!(events(&mut l).as_slice(), [Event::Ack { .. }]));
    assert_eq!(l.counters().absorbed_acks, 0);

    l.handle_incoming(t0 + ms(800), raw(&ack_2543(&text, "sb2543")), alice());
    assert!(events(&mut l).is_empty(), "the right ACK is absorbed");
    assert_eq!(l.counters().absorbed_acks, 1);
    assert!(
        run_until(&mut l, t0, secs(10)).is_empty(),
        "Confirmed: no more 486"
    );
    assert!(l.is_empty());
}

#[test]
fn inv2543_cancel_is_matched_without_a_branch() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = testdata("inv2543.dat");
    l.handle_incoming(t0, raw(&text), alice());
    let tx = new_request_tx(&events(&mut l));
    transmits(&mut l);
    l.handle_incoming(t0 + secs(1), raw(&cancel_2543(&text)), alice());
    assert_eq!(
        first_lines(&transmits(&mut l)),
        vec!["SIP/2.0 200 OK", "SIP/2.0 487 Request Terminated"]
    );
    assert!(matches!(events(&mut l).as_slice(), [Event::Cancelled { tx: t }] if *t == tx));
    // The CANCEL again: matched to its own transaction, answered 200 again.
    l.handle_incoming(t0 + secs(2), raw(&cancel_2543(&text)), alice());
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 200 OK"]);
    assert!(events(&mut l).is_empty());
}

#[test]
fn many_rfc2543_transactions_on_one_call_id_and_cseq_are_refused() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = testdata("badbranch.dat");
    for i in 0..20 {
        let other = text.replace("tag=33242", &format!("tag=t{i}"));
        l.handle_incoming(t0, raw(&other), alice());
    }
    assert_eq!(events(&mut l).len(), 16);
    assert_eq!(l.counters().refused_full, 4);
    assert_eq!(
        first_lines(&transmits(&mut l)),
        vec!["SIP/2.0 503 Service Unavailable"; 4]
    );
}
