//! Call flows of the server side through the whole layer: RFC 3261 figures 7
//! and 8, RFC 6026 Accepted, CANCEL (section 9.2), the table limit and where
//! responses go (section 18.2.2).

use std::time::Instant;

use super::*;
use crate::sip::message::Response;
use crate::sip::peer::Peer;
use crate::sip::transaction::*;

// ----- INVITE server transaction (figure 7, RFC 6026 figure 5) -----

#[test]
fn invite_gets_100_trying_at_once_and_retransmissions_get_the_last_provisional() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKinv1", 1, None), alice());
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 100 Trying"]);
    let evs = events(&mut l);
    assert_eq!(evs.len(), 1);
    let tx = new_request_tx(&evs);
    let invite = request_of(&evs);

    l.handle_incoming(
        t0 + ms(500),
        udp_req("INVITE", "z9hG4bKinv1", 1, None),
        alice(),
    );
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 100 Trying"]);
    assert!(
        events(&mut l).is_empty(),
        "a retransmission is not a new request"
    );

    l.send_response(
        t0 + ms(600),
        tx,
        Response::for_request(&invite, 180, "Ringing"),
    )
    .unwrap();
    let sent = transmits(&mut l);
    assert_eq!(first_lines(&sent), vec!["SIP/2.0 180 Ringing"]);
    let ringing = String::from_utf8_lossy(&sent[0].data).to_string();
    assert!(
        header(&ringing, "To").unwrap().contains(";tag="),
        "the layer tags a 180"
    );

    l.handle_incoming(
        t0 + ms(1500),
        udp_req("INVITE", "z9hG4bKinv1", 1, None),
        alice(),
    );
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 180 Ringing"]);
    assert_eq!(l.counters().retransmitted_requests, 2);
    assert_eq!(l.len(), 1);
}

#[test]
fn invite_rejected_on_udp_retransmits_until_ack_then_timer_i() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKinv2", 1, None), alice());
    transmits(&mut l);
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.send_response(
        t0,
        tx,
        Response::for_request(&request_of(&evs), 486, "Busy Here"),
    )
    .unwrap();
    let sent = transmits(&mut l);
    let busy = String::from_utf8_lossy(&sent[0].data).to_string();
    let to = header(&busy, "To").unwrap();
    let tag = to.split(";tag=").nth(1).unwrap().to_string();

    // Timer G: 0.5 s, 1.5 s, 3.5 s ... until the ACK at 4 s.
    let log = run_until(&mut l, t0, ms(4000));
    let times: Vec<_> = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![ms(500), ms(1500), ms(3500)]);
    assert!(log.iter().all(|(_, t)| t.data == sent[0].data));

    l.handle_incoming(t0 + ms(4000), ack("z9hG4bKinv2", 1, &tag), alice());
    assert!(
        events(&mut l).is_empty(),
        "the ACK for a non-2xx is absorbed"
    );
    assert_eq!(l.counters().absorbed_acks, 1);
    l.handle_incoming(t0 + ms(4100), ack("z9hG4bKinv2", 1, &tag), alice());
    assert!(events(&mut l).is_empty());
    assert!(run_until(&mut l, t0, ms(8999)).is_empty());
    assert_eq!(l.len(), 1, "Confirmed until Timer I");
    run_until(&mut l, t0, ms(9000));
    assert!(l.is_empty(), "Timer I (T4) after the ACK");
}

#[test]
fn invite_rejected_without_ack_times_out_with_timer_h() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKinv3", 1, None), alice());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.send_response(
        t0,
        tx,
        Response::for_request(&request_of(&evs), 404, "Not Found"),
    )
    .unwrap();
    transmits(&mut l);
    let log = run_until(&mut l, t0, secs(40));
    assert_eq!(log.len(), 10, "Timer G retransmissions before H");
    let evs = events(&mut l);
    assert!(matches!(evs.as_slice(), [Event::ServerTimeout { tx: t }] if *t == tx));
    assert!(l.is_empty());
    assert_eq!(l.counters().server_timeouts, 1);
}

#[test]
fn invite_answered_2xx_is_retransmitted_until_its_ack_which_goes_up() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKinv4", 1, None), alice());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    let mut ok = Response::for_request(&request_of(&evs), 200, "OK");
    ok.set_to_tag("uas1");
    l.send_response(t0 + ms(100), tx, ok).unwrap();
    assert_eq!(
        first_lines(&transmits(&mut l)),
        vec!["SIP/2.0 100 Trying", "SIP/2.0 200 OK"]
    );
    let log = run_until(&mut l, t0, ms(2000));
    let times: Vec<_> = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![ms(600), ms(1600)], "2xx resent at T1, 2*T1 ...");

    // A retransmitted INVITE gets the 2xx too, and reaches no TU.
    l.handle_incoming(
        t0 + ms(1700),
        udp_req("INVITE", "z9hG4bKinv4", 1, None),
        alice(),
    );
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 200 OK"]);
    assert!(events(&mut l).is_empty());

    // The ACK for a 2xx has a branch of its own.
    l.handle_incoming(t0 + ms(2000), ack("z9hG4bKack4", 1, "uas1"), alice());
    let evs = events(&mut l);
    assert!(matches!(evs.as_slice(), [Event::Ack { .. }]), "{evs:?}");
    assert!(
        run_until(&mut l, t0, secs(30)).is_empty(),
        "no 2xx after the ACK"
    );
    run_until(&mut l, t0, secs(40));
    assert!(l.is_empty(), "Timer L ended it");
    assert!(
        events(&mut l).is_empty(),
        "no ServerTimeout when the ACK came"
    );
}

#[test]
fn invite_answered_2xx_without_ack_reports_server_timeout() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKinv5", 1, None), alice());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.send_response(t0, tx, Response::for_request(&request_of(&evs), 200, "OK"))
        .unwrap();
    run_until(&mut l, t0, secs(40));
    let evs = events(&mut l);
    assert!(matches!(evs.as_slice(), [Event::ServerTimeout { tx: t }] if *t == tx));
    assert!(l.is_empty());
}

#[test]
fn stray_ack_goes_to_the_tu() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, ack("z9hG4bKlonely", 3, "x"), alice());
    assert!(matches!(events(&mut l).as_slice(), [Event::Ack { .. }]));
    assert!(l.is_empty());
}

#[test]
fn invite_on_tcp_has_no_retransmissions_and_ends_at_the_ack() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = req_text("INVITE", "z9hG4bKtcp1", 1, None, "TCP");
    l.handle_incoming(t0, parse(&text), alice_tcp());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.send_response(
        t0,
        tx,
        Response::for_request(&request_of(&evs), 603, "Decline"),
    )
    .unwrap();
    let sent = transmits(&mut l);
    assert!(
        sent.iter().all(|t| t.to == alice_tcp()),
        "answers go back on the connection"
    );
    assert!(
        run_until(&mut l, t0, secs(10)).is_empty(),
        "no Timer G on TCP"
    );
    let tag = String::from_utf8_lossy(&sent[1].data)
        .split(";tag=")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let ack_text = req_text("ACK", "z9hG4bKtcp1", 1, Some(&tag), "TCP");
    l.handle_incoming(t0 + secs(1), parse(&ack_text), alice_tcp());
    assert!(l.is_empty(), "Timer I is zero on TCP");
}

// ----- non-INVITE server transaction (figure 8) -----

#[test]
fn non_invite_server_absorbs_in_trying_and_answers_in_completed_until_timer_j() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("OPTIONS", "z9hG4bKopt1", 5, None), alice());
    assert!(transmits(&mut l).is_empty(), "no 100 for a non-INVITE");
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.handle_incoming(
        t0 + ms(500),
        udp_req("OPTIONS", "z9hG4bKopt1", 5, None),
        alice(),
    );
    assert!(transmits(&mut l).is_empty() && events(&mut l).is_empty());

    l.send_response(
        t0 + ms(600),
        tx,
        Response::for_request(&request_of(&evs), 200, "OK"),
    )
    .unwrap();
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 200 OK"]);
    assert_eq!(
        l.send_response(
            t0 + ms(700),
            tx,
            Response::for_request(&request_of(&evs), 500, "No")
        ),
        Err(ResponseError::AlreadyFinal)
    );
    l.handle_incoming(
        t0 + ms(1500),
        udp_req("OPTIONS", "z9hG4bKopt1", 5, None),
        alice(),
    );
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 200 OK"]);
    run_until(&mut l, t0, ms(32_599));
    assert_eq!(l.len(), 1);
    run_until(&mut l, t0, ms(32_600));
    assert!(l.is_empty(), "Timer J = 64*T1 after the final");
    assert_eq!(
        l.send_response(
            t0 + secs(40),
            tx,
            Response::for_request(&request_of(&evs), 200, "OK")
        ),
        Err(ResponseError::UnknownTransaction)
    );
}

#[test]
fn same_branch_other_sent_by_is_another_transaction() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("OPTIONS", "z9hG4bKsame", 1, None), alice());
    let other = req_text("OPTIONS", "z9hG4bKsame", 1, None, "UDP")
        .replace("192.0.2.10:5060;branch", "198.51.100.7:5060;branch");
    l.handle_incoming(t0, parse(&other), alice());
    assert_eq!(events(&mut l).len(), 2);
    assert_eq!(l.len(), 2);
}

// ----- CANCEL (section 9.2) -----

#[test]
fn cancel_gets_200_and_the_invite_487_with_one_to_tag() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKc1", 1, None), alice());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.send_response(
        t0,
        tx,
        Response::for_request(&request_of(&evs), 180, "Ringing"),
    )
    .unwrap();
    let ringing = String::from_utf8_lossy(&transmits(&mut l)[1].data).to_string();

    l.handle_incoming(
        t0 + secs(2),
        udp_req("CANCEL", "z9hG4bKc1", 1, None),
        alice(),
    );
    let sent = transmits(&mut l);
    assert_eq!(
        first_lines(&sent),
        vec!["SIP/2.0 200 OK", "SIP/2.0 487 Request Terminated"]
    );
    let ok = String::from_utf8_lossy(&sent[0].data).to_string();
    let terminated = String::from_utf8_lossy(&sent[1].data).to_string();
    assert_eq!(header(&ok, "CSeq"), Some("1 CANCEL"));
    assert_eq!(header(&terminated, "CSeq"), Some("1 INVITE"));
    assert_eq!(
        header(&ok, "To"),
        header(&terminated, "To"),
        "one To tag for both"
    );
    assert_eq!(
        header(&ringing, "To"),
        header(&terminated, "To"),
        "the 180's tag"
    );
    let evs = events(&mut l);
    assert!(
        matches!(evs.as_slice(), [Event::Cancelled { tx: t }] if *t == tx),
        "{evs:?}"
    );

    // The CANCEL retransmitted: its 200 again, nothing else.
    l.handle_incoming(
        t0 + secs(3),
        udp_req("CANCEL", "z9hG4bKc1", 1, None),
        alice(),
    );
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 200 OK"]);
    assert!(events(&mut l).is_empty());

    let tag = header(&terminated, "To")
        .unwrap()
        .split(";tag=")
        .nth(1)
        .unwrap()
        .to_string();
    l.handle_incoming(t0 + secs(3), ack("z9hG4bKc1", 1, &tag), alice());
    assert!(events(&mut l).is_empty(), "the ACK for the 487 is absorbed");
    run_until(&mut l, t0, secs(60));
    assert!(l.is_empty());
}

#[test]
fn cancel_after_the_final_response_changes_nothing() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("INVITE", "z9hG4bKc2", 1, None), alice());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    l.send_response(t0, tx, Response::for_request(&request_of(&evs), 200, "OK"))
        .unwrap();
    transmits(&mut l);
    l.handle_incoming(
        t0 + ms(10),
        udp_req("CANCEL", "z9hG4bKc2", 1, None),
        alice(),
    );
    assert_eq!(first_lines(&transmits(&mut l)), vec!["SIP/2.0 200 OK"]);
    assert!(events(&mut l).is_empty(), "no Cancelled once answered");
}

#[test]
fn cancel_matching_nothing_gets_481() {
    let t0 = Instant::now();
    let mut l = layer();
    l.handle_incoming(t0, udp_req("CANCEL", "z9hG4bKnothing", 1, None), alice());
    let sent = transmits(&mut l);
    assert_eq!(
        first_lines(&sent),
        vec!["SIP/2.0 481 Call/Transaction Does Not Exist"]
    );
    assert_eq!(l.counters().unmatched_cancels, 1);
    assert!(events(&mut l).is_empty());
    l.handle_incoming(
        t0 + ms(500),
        udp_req("CANCEL", "z9hG4bKnothing", 1, None),
        alice(),
    );
    assert_eq!(
        transmits(&mut l)[0].data,
        sent[0].data,
        "the 481 is resent, not recomputed"
    );
}

// ----- limits, replies -----

#[test]
fn full_table_refuses_new_server_transactions_with_503() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::with_config(Config {
        max_transactions: 2,
        seed: Some(1),
        ..Config::default()
    });
    for (i, b) in ["z9hG4bKf1", "z9hG4bKf2", "z9hG4bKf3"]
        .into_iter()
        .enumerate()
    {
        l.handle_incoming(t0, udp_req("OPTIONS", b, i as u32 + 1, None), alice());
    }
    assert_eq!(events(&mut l).len(), 2);
    let sent = transmits(&mut l);
    assert_eq!(first_lines(&sent), vec!["SIP/2.0 503 Service Unavailable"]);
    let text = String::from_utf8_lossy(&sent[0].data).to_string();
    assert_eq!(header(&text, "Retry-After"), Some("5"));
    assert_eq!(l.counters().refused_full, 1);
    assert_eq!(
        l.send_request(t0, our_req("OPTIONS", "z9hG4bKf4", "UDP"), agent()),
        Err(SendError::Full)
    );
    // A retransmission of a live transaction is still answered.
    l.handle_incoming(t0, udp_req("OPTIONS", "z9hG4bKf1", 1, None), alice());
    assert_eq!(l.counters().refused_full, 1);
}

#[test]
fn udp_responses_go_to_the_via_port_unless_rport() {
    let t0 = Instant::now();
    let mut l = layer();
    let from = Peer::udp("192.0.2.10:33333".parse().unwrap());
    l.handle_incoming(t0, udp_req("OPTIONS", "z9hG4bKr1", 1, None), from);
    let with_rport = req_text("OPTIONS", "z9hG4bKr2", 1, None, "UDP")
        .replace(";branch=z9hG4bKr2", ";rport;branch=z9hG4bKr2");
    l.handle_incoming(t0, parse(&with_rport), from);
    let evs = events(&mut l);
    for e in evs {
        if let Event::Request { tx, request, .. } = e {
            l.send_response(t0, tx, Response::for_request(&request, 200, "OK"))
                .unwrap();
        }
    }
    let sent = transmits(&mut l);
    let to: Vec<_> = sent.iter().map(|t| t.to.addr.to_string()).collect();
    assert_eq!(to, vec!["192.0.2.10:5060", "192.0.2.10:33333"]);
}

#[test]
fn closed_connection_ends_the_server_transactions_on_it() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = req_text("INVITE", "z9hG4bKtc", 1, None, "TCP");
    l.handle_incoming(t0, parse(&text), alice_tcp());
    let evs = events(&mut l);
    let tx = new_request_tx(&evs);
    assert_eq!(
        l.server_state(tx),
        Some(ServerState::Invite(InviteServerState::Proceeding))
    );
    // The same connection, whatever address the transport reports.
    let closed = Peer {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..alice_tcp()
    };
    l.handle_transport_error(t0 + secs(5), closed);
    let after = events(&mut l);
    assert!(
        matches!(after.as_slice(), [Event::TransportError { tx: TxId::Server(t) }] if *t == tx)
    );
    assert!(l.is_empty());
    assert_eq!(
        l.send_response(
            t0 + secs(6),
            tx,
            Response::for_request(&request_of(&evs), 200, "OK")
        ),
        Err(ResponseError::UnknownTransaction)
    );
}

#[test]
fn layer_and_its_outputs_can_move_between_tasks() {
    fn send<T: Send + 'static>() {}
    send::<TransactionLayer>();
    send::<Event>();
    send::<Transmit>();
    send::<crate::sip::dialog::DialogTable>();
}
