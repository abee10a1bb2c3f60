//! Dialog tests: RFC 3261 sections 12.1.1 (UAS), 12.1.2 (UAC), 12.2.1.1
//! (requests we send, loose and strict routing) and 12.2.2 (requests we
//! receive: 481, 500, target refresh), and one call through the transaction
//! layer.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::sip::message::{parse, Message, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{Event, TransactionLayer};

fn msg(text: &str) -> Message {
    let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    parse(Bytes::from(text)).expect("test message parses")
}

fn req(text: &str) -> Request {
    match msg(text) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

fn resp(text: &str) -> Response {
    match msg(text) {
        Message::Response(r) => r,
        Message::Request(_) => panic!("not a response"),
    }
}

/// A caller's INVITE to the queue, through two record-routing proxies.
fn invite(record_route: &str) -> Request {
    req(&format!(
        "INVITE sip:queue@switchboard.example SIP/2.0\n\
         Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKinv\n\
         Max-Forwards: 68\n\
         From: \"Alice\" <sip:alice@example.com>;tag=alice1\n\
         To: <sip:queue@switchboard.example>\n\
         Call-ID: dlg-1@example.com\n\
         CSeq: 10 INVITE\n\
         Contact: <sip:alice@192.0.2.10:5062>\n\
         {record_route}\
         Content-Length: 0\n\n"
    ))
}

const TWO_LOOSE: &str =
    "Record-Route: <sip:p1.example.com;lr>\nRecord-Route: <sip:p2.example.com;lr>\n";

fn answer(invite: &Request, status: u16, tag: &str) -> Response {
    let mut r = Response::for_request(invite, status, "OK");
    r.set_to_tag(tag);
    r.headers.push(
        HeaderName::Contact,
        Bytes::from_static(b"<sip:queue@192.0.2.1:5060>"),
    );
    r
}

/// A request alice sends inside the dialog.
fn in_dialog(method: &str, cseq: u32, to_tag: &str, contact: &str) -> Request {
    req(&format!(
        "{method} sip:queue@192.0.2.1:5060 SIP/2.0\n\
         Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK{method}{cseq}\n\
         Max-Forwards: 70\n\
         From: <sip:alice@example.com>;tag=alice1\n\
         To: <sip:queue@switchboard.example>;tag={to_tag}\n\
         Call-ID: dlg-1@example.com\n\
         CSeq: {cseq} {method}\n\
         Contact: <{contact}>\n\
         Content-Length: 0\n\n"
    ))
}

fn header(r: &Request, name: HeaderName) -> Vec<String> {
    r.headers
        .get_all(&name)
        .map(|v| String::from_utf8_lossy(v).to_string())
        .collect()
}

#[test]
fn uas_dialog_takes_tags_route_set_and_target_from_the_invite() {
    let inv = invite(TWO_LOOSE);
    let d = Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap();
    assert_eq!(d.id.call_id, Bytes::from_static(b"dlg-1@example.com"));
    assert_eq!(d.id.local_tag, "sb1");
    assert_eq!(d.id.remote_tag, "alice1");
    assert_eq!(d.state, DialogState::Confirmed);
    assert_eq!(d.remote_seq, Some(10));
    assert_eq!(d.local_seq, None, "section 12.1.1: empty until we send");
    assert_eq!(d.remote_target.to_string(), "sip:alice@192.0.2.10:5062");
    assert_eq!(d.remote_uri.to_string(), "sip:alice@example.com");
    assert_eq!(d.local_uri.to_string(), "sip:queue@switchboard.example");
    let routes: Vec<_> = d.route_set.iter().map(|u| u.to_string()).collect();
    assert_eq!(
        routes,
        vec!["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    );
    assert!(!d.secure);
}

#[test]
fn bye_we_send_uses_target_route_set_tags_and_next_cseq() {
    let inv = invite(TWO_LOOSE);
    let mut d = Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap();
    let bye = d.create_request(Method::Bye);
    assert_eq!(bye.uri.to_string(), "sip:alice@192.0.2.10:5062");
    assert_eq!(
        header(&bye, HeaderName::Route),
        vec!["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    // It parses back, and the typed view agrees.
    let again = match parse(bye.to_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    };
    assert_eq!(again.method, Method::Bye);
    assert_eq!(again.from().unwrap().tag(), Some("sb1"));
    assert_eq!(again.to().unwrap().tag(), Some("alice1"));
    assert_eq!(again.to().unwrap().uri.to_string(), "sip:alice@example.com");
    assert_eq!(again.call_id(), Some("dlg-1@example.com"));
    let cseq = again.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (1, Method::Bye));
    let next = d.create_request(Method::Info);
    assert_eq!(next.cseq().unwrap().seq, 2, "CSeq goes up by one");
}

#[test]
fn strict_router_first_becomes_request_uri_and_target_goes_last() {
    let inv =
        invite("Record-Route: <sip:strict.example.com>\nRecord-Route: <sip:p2.example.com;lr>\n");
    let mut d = Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap();
    let bye = d.create_request(Method::Bye);
    assert_eq!(bye.uri.to_string(), "sip:strict.example.com");
    assert_eq!(
        header(&bye, HeaderName::Route),
        vec!["<sip:p2.example.com;lr>", "<sip:alice@192.0.2.10:5062>"]
    );
}

#[test]
fn no_route_set_means_no_route_header() {
    let inv = invite("");
    let mut d = Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap();
    let bye = d.create_request(Method::Bye);
    assert!(header(&bye, HeaderName::Route).is_empty());
    assert_eq!(bye.uri.to_string(), "sip:alice@192.0.2.10:5062");
}

#[test]
fn in_dialog_requests_are_routed_or_refused_481_and_500() {
    let inv = invite(TWO_LOOSE);
    let mut table = DialogTable::new();
    let id = table.insert(Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap());

    let ack = in_dialog("ACK", 10, "sb1", "sip:alice@192.0.2.10:5062");
    assert_eq!(table.route_in_dialog(&ack), Ok(id.clone()));
    let info = in_dialog("INFO", 11, "sb1", "sip:alice@192.0.2.10:5062");
    assert_eq!(table.route_in_dialog(&info), Ok(id.clone()));
    let options = in_dialog("OPTIONS", 12, "sb1", "sip:alice@192.0.2.10:5062");
    assert_eq!(table.route_in_dialog(&options), Ok(id.clone()));

    let old = in_dialog("INFO", 11, "sb1", "sip:alice@192.0.2.10:5062");
    let err = table.route_in_dialog(&old).unwrap_err();
    assert_eq!(err, DialogError::CSeqOutOfOrder { got: 11, last: 12 });
    assert_eq!(err.status(), 500);

    let stranger = in_dialog("BYE", 13, "other", "sip:alice@192.0.2.10:5062");
    let err = table.route_in_dialog(&stranger).unwrap_err();
    assert_eq!((err.status(), err), (481, DialogError::UnknownDialog));
    let untagged = req(
        &String::from_utf8_lossy(&in_dialog("BYE", 13, "x", "sip:a@b").to_bytes())
            .replace(";tag=x", ""),
    );
    assert_eq!(
        table.route_in_dialog(&untagged),
        Err(DialogError::UnknownDialog)
    );

    let bye = in_dialog("BYE", 13, "sb1", "sip:alice@192.0.2.10:5062");
    assert_eq!(table.route_in_dialog(&bye), Ok(id.clone()));
    table.remove(&id);
    assert_eq!(table.route_in_dialog(&bye).unwrap_err().status(), 481);
    assert!(table.is_empty());
}

#[test]
fn re_invite_refreshes_the_remote_target_and_info_does_not() {
    let inv = invite("");
    let mut table = DialogTable::new();
    let id = table.insert(Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap());
    let info = in_dialog("INFO", 11, "sb1", "sip:elsewhere@198.51.100.1");
    table.route_in_dialog(&info).unwrap();
    assert_eq!(
        table.get(&id).unwrap().remote_target.to_string(),
        "sip:alice@192.0.2.10:5062"
    );
    let reinvite = in_dialog("INVITE", 12, "sb1", "sip:alice@198.51.100.9:5070");
    table.route_in_dialog(&reinvite).unwrap();
    assert_eq!(
        table.get(&id).unwrap().remote_target.to_string(),
        "sip:alice@198.51.100.9:5070"
    );
    let bye = table.get_mut(&id).unwrap().create_request(Method::Bye);
    assert_eq!(bye.uri.to_string(), "sip:alice@198.51.100.9:5070");
}

#[test]
fn early_dialog_from_a_tagged_provisional_then_confirmed() {
    let inv = invite("");
    let mut d = Dialog::from_uas(&inv, &answer(&inv, 180, "sb1")).unwrap();
    assert_eq!(d.state, DialogState::Early);
    d.confirm();
    assert_eq!(d.state, DialogState::Confirmed);
}

#[test]
fn responses_that_cannot_make_a_dialog_are_refused() {
    let inv = invite("");
    let untagged = Response::for_request(&inv, 200, "OK");
    assert_eq!(
        Dialog::from_uas(&inv, &untagged).unwrap_err(),
        DialogError::NoToTag
    );
    assert_eq!(
        Dialog::from_uas(&inv, &answer(&inv, 100, "sb1")).unwrap_err(),
        DialogError::NotDialogCreating(100)
    );
    assert_eq!(
        Dialog::from_uas(&inv, &answer(&inv, 486, "sb1")).unwrap_err(),
        DialogError::NotDialogCreating(486)
    );
    let mut no_contact = inv.clone();
    no_contact.headers.remove(&HeaderName::Contact);
    assert_eq!(
        Dialog::from_uas(&no_contact, &answer(&no_contact, 200, "sb1")).unwrap_err(),
        DialogError::NoContact
    );
}

#[test]
fn uac_dialog_reverses_the_record_route_and_continues_our_cseq() {
    let our_invite = req("INVITE sip:agent1@192.0.2.50 SIP/2.0\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKleg\n\
         Max-Forwards: 70\n\
         From: <sip:queue@switchboard.example>;tag=sb9\n\
         To: <sip:agent1@switchboard.example>\n\
         Call-ID: leg-9@192.0.2.1\n\
         CSeq: 100 INVITE\n\
         Contact: <sip:queue@192.0.2.1:5060>\n\
         Content-Length: 0\n\n");
    let ok = resp(
        "SIP/2.0 200 OK\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKleg\n\
         Record-Route: <sip:near.example.com;lr>, <sip:far.example.com;lr>\n\
         From: <sip:queue@switchboard.example>;tag=sb9\n\
         To: <sip:agent1@switchboard.example>;tag=ag9\n\
         Call-ID: leg-9@192.0.2.1\n\
         CSeq: 100 INVITE\n\
         Contact: <sip:agent1@192.0.2.50:5080>\n\
         Content-Length: 0\n\n",
    );
    let mut d = Dialog::from_uac(&our_invite, &ok).unwrap();
    assert_eq!(d.id.local_tag, "sb9");
    assert_eq!(d.id.remote_tag, "ag9");
    assert_eq!(d.local_seq, Some(100));
    assert_eq!(d.remote_seq, None);
    let routes: Vec<_> = d.route_set.iter().map(|u| u.to_string()).collect();
    assert_eq!(
        routes,
        vec!["sip:far.example.com;lr", "sip:near.example.com;lr"]
    );
    let ack = d.create_request(Method::Ack);
    assert_eq!(
        ack.cseq().unwrap().seq,
        100,
        "the 2xx ACK keeps the INVITE's CSeq"
    );
    let bye = d.create_request(Method::Bye);
    assert_eq!(bye.cseq().unwrap().seq, 101);
    assert_eq!(bye.uri.to_string(), "sip:agent1@192.0.2.50:5080");
    assert_eq!(bye.to().unwrap().tag(), Some("ag9"));
    assert_eq!(bye.from().unwrap().tag(), Some("sb9"));
}

#[test]
fn sips_invite_makes_a_secure_dialog() {
    let text = String::from_utf8_lossy(&invite("").to_bytes())
        .replace("INVITE sip:queue", "INVITE sips:queue");
    let inv = req(&text);
    let d = Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap();
    assert!(d.secure);
}

/// The whole UAS call: INVITE through the transaction layer, 200 with a
/// dialog, the 2xx ACK passed up and routed to it, BYE routed and answered.
#[test]
fn call_through_the_transaction_layer() {
    let t0 = Instant::now();
    let alice = Peer::udp("192.0.2.20:5060".parse().unwrap());
    let mut layer = TransactionLayer::new(Default::default());
    let mut dialogs = DialogTable::new();

    layer.handle_incoming(t0, Message::Request(invite(TWO_LOOSE)), alice);
    let Some(Event::Request { tx, request, .. }) = layer.poll_event() else {
        panic!("no request");
    };
    let ok = answer(&request, 200, &layer.new_tag());
    let id = dialogs.insert(Dialog::from_uas(&request, &ok).unwrap());
    layer.send_response(t0, tx, ok).unwrap();

    let ack = in_dialog("ACK", 10, &id.local_tag, "sip:alice@192.0.2.10:5062");
    layer.handle_incoming(t0 + Duration::from_millis(80), Message::Request(ack), alice);
    let Some(Event::Ack { request: ack, .. }) = layer.poll_event() else {
        panic!("the 2xx ACK goes up");
    };
    assert_eq!(dialogs.route_in_dialog(&ack), Ok(id.clone()));

    let bye = in_dialog("BYE", 11, &id.local_tag, "sip:alice@192.0.2.10:5062");
    layer.handle_incoming(t0 + Duration::from_secs(60), Message::Request(bye), alice);
    let Some(Event::Request { tx, request, .. }) = layer.poll_event() else {
        panic!("no BYE");
    };
    assert_eq!(dialogs.route_in_dialog(&request), Ok(id.clone()));
    layer
        .send_response(
            t0 + Duration::from_secs(60),
            tx,
            Response::for_request(&request, 200, "OK"),
        )
        .unwrap();
    dialogs.remove(&id);

    // A BYE retransmission is answered by the transaction, not the dialog.
    let bye = in_dialog("BYE", 11, &id.local_tag, "sip:alice@192.0.2.10:5062");
    layer.handle_incoming(t0 + Duration::from_secs(61), Message::Request(bye), alice);
    assert!(layer.poll_event().is_none());
}

#[test]
fn a_2xx_to_our_re_invite_refreshes_the_target() {
    let inv = invite("");
    let mut d = Dialog::from_uas(&inv, &answer(&inv, 200, "sb1")).unwrap();
    let reinvite = d.create_request(Method::Invite);
    let mut ok = Response::for_request(&reinvite, 200, "OK");
    ok.headers.push(
        HeaderName::Contact,
        Bytes::from_static(b"<sip:alice@203.0.113.5:5090>"),
    );
    let info = d.create_request(Method::Info);
    let mut info_ok = Response::for_request(&info, 200, "OK");
    info_ok
        .headers
        .push(HeaderName::Contact, Bytes::from_static(b"<sip:no@where>"));
    d.on_response(&info_ok);
    assert_eq!(
        d.remote_target.to_string(),
        "sip:alice@192.0.2.10:5062",
        "INFO refreshes nothing"
    );
    d.on_response(&ok);
    assert_eq!(d.remote_target.to_string(), "sip:alice@203.0.113.5:5090");
}
