//! Call flows of the client side through the whole layer: RFC 3261 figures 5
//! and 6, the ACK for a non-2xx (17.1.1.3), CANCEL (section 9.1), Timer C and
//! stray responses (17.1.3).

use std::time::Instant;

use super::*;
use crate::sip::peer::{Peer, Transport};
use crate::sip::transaction::*;

// ----- INVITE client transaction (figure 5, RFC 6026 figure 3) -----

#[test]
fn invite_client_retransmits_on_timer_a_and_stops_at_the_provisional() {
    let t0 = Instant::now();
    let mut l = layer();
    let tx = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa1", "UDP"), agent())
        .unwrap();
    assert_eq!(transmits(&mut l).len(), 1);
    let log = run_until(&mut l, t0, ms(2000));
    assert_eq!(
        log.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        vec![ms(500), ms(1500)]
    );
    l.handle_incoming(
        t0 + ms(2000),
        agent_resp(180, "z9hG4bKa1", "INVITE", Some("ag1")),
        agent(),
    );
    let evs = events(&mut l);
    assert!(
        matches!(evs.as_slice(), [Event::Response { tx: t, response }] if *t == tx && response.status == 180)
    );
    assert!(
        run_until(&mut l, t0, secs(60)).is_empty(),
        "no retransmission in Proceeding"
    );
}

#[test]
fn invite_client_times_out_with_timer_b_after_seven_sends() {
    let t0 = Instant::now();
    let mut l = layer();
    let tx = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa2", "UDP"), agent())
        .unwrap();
    assert_eq!(transmits(&mut l).len(), 1);
    let log = run_until(&mut l, t0, secs(60));
    assert_eq!(1 + log.len(), 7, "the INVITE and six Timer A copies");
    let evs = events(&mut l);
    assert!(matches!(evs.as_slice(), [Event::Timeout { tx: t }] if *t == tx));
    assert!(l.is_empty());
}

#[test]
fn invite_client_acks_a_non_2xx_and_reacks_its_retransmissions() {
    let t0 = Instant::now();
    let mut l = layer();
    let tx = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa3", "UDP"), agent())
        .unwrap();
    transmits(&mut l);
    l.handle_incoming(
        t0 + ms(100),
        agent_resp(486, "z9hG4bKa3", "INVITE", Some("ag3")),
        agent(),
    );
    let sent = transmits(&mut l);
    assert_eq!(
        first_lines(&sent),
        vec!["ACK sip:agent1@192.0.2.50:5060 SIP/2.0"]
    );
    let ack = String::from_utf8_lossy(&sent[0].data).to_string();
    assert_eq!(header(&ack, "CSeq"), Some("1 ACK"));
    assert!(
        header(&ack, "Via").unwrap().contains("branch=z9hG4bKa3"),
        "same branch as the INVITE"
    );
    assert!(
        header(&ack, "To").unwrap().contains("tag=ag3"),
        "To from the response"
    );
    assert_eq!(header(&ack, "Call-ID"), Some("agent-leg-1@192.0.2.1"));
    let evs = events(&mut l);
    assert!(matches!(evs.as_slice(), [Event::Response { tx: t, .. }] if *t == tx));

    l.handle_incoming(
        t0 + ms(600),
        agent_resp(486, "z9hG4bKa3", "INVITE", Some("ag3")),
        agent(),
    );
    assert_eq!(
        transmits(&mut l)[0].data,
        sent[0].data,
        "the same ACK again"
    );
    assert!(
        events(&mut l).is_empty(),
        "the retransmission is not passed up"
    );
    run_until(&mut l, t0, ms(32_099));
    assert_eq!(l.len(), 1);
    run_until(&mut l, t0, ms(32_100));
    assert!(l.is_empty(), "Timer D");
}

#[test]
fn invite_client_passes_every_2xx_up_for_the_tu_to_ack() {
    let t0 = Instant::now();
    let mut l = layer();
    let tx = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa4", "UDP"), agent())
        .unwrap();
    transmits(&mut l);
    for at in [100, 600, 1600] {
        l.handle_incoming(
            t0 + ms(at),
            agent_resp(200, "z9hG4bKa4", "INVITE", Some("ag4")),
            agent(),
        );
    }
    assert!(transmits(&mut l).is_empty(), "the layer never ACKs a 2xx");
    let evs = events(&mut l);
    assert_eq!(evs.len(), 3);
    assert!(evs
        .iter()
        .all(|e| matches!(e, Event::Response { tx: t, .. } if *t == tx)));
    run_until(&mut l, t0, secs(33));
    assert!(l.is_empty(), "Timer M");
}

#[test]
fn tu_ack_for_2xx_is_sent_without_a_transaction() {
    let t0 = Instant::now();
    let mut l = layer();
    l.send_request(t0, our_req("ACK", "z9hG4bKack", "UDP"), agent())
        .unwrap();
    assert_eq!(transmits(&mut l).len(), 1);
    assert!(l.is_empty());
}

#[test]
fn cancel_waits_for_a_provisional_then_goes_out_with_the_invite_branch() {
    let t0 = Instant::now();
    let mut l = layer();
    let inv = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa5", "UDP"), agent())
        .unwrap();
    transmits(&mut l);
    let cancel = l.cancel(t0 + ms(100), inv).unwrap();
    assert_eq!(
        l.cancel(t0 + ms(150), inv),
        Ok(cancel),
        "asking twice gives the same CANCEL"
    );
    assert!(
        transmits(&mut l).is_empty(),
        "no CANCEL before a provisional (section 9.1)"
    );

    l.handle_incoming(
        t0 + ms(300),
        agent_resp(180, "z9hG4bKa5", "INVITE", Some("ag5")),
        agent(),
    );
    let sent = transmits(&mut l);
    assert_eq!(
        first_lines(&sent),
        vec!["CANCEL sip:agent1@192.0.2.50:5060 SIP/2.0"]
    );
    let text = String::from_utf8_lossy(&sent[0].data).to_string();
    assert_eq!(header(&text, "CSeq"), Some("1 CANCEL"));
    assert!(header(&text, "Via").unwrap().contains("branch=z9hG4bKa5"));
    assert!(
        !header(&text, "To").unwrap().contains("tag="),
        "To as in the INVITE"
    );

    l.handle_incoming(
        t0 + ms(400),
        agent_resp(200, "z9hG4bKa5", "CANCEL", Some("ag5")),
        agent(),
    );
    l.handle_incoming(
        t0 + ms(450),
        agent_resp(487, "z9hG4bKa5", "INVITE", Some("ag5")),
        agent(),
    );
    let evs = events(&mut l);
    let kinds: Vec<_> = evs
        .iter()
        .map(|e| match e {
            Event::Response { tx, response } => (*tx, response.status),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, vec![(inv, 180), (cancel, 200), (inv, 487)]);
    assert_eq!(
        first_lines(&transmits(&mut l)),
        vec!["ACK sip:agent1@192.0.2.50:5060 SIP/2.0"]
    );
    run_until(&mut l, t0, secs(60));
    assert!(l.is_empty());
}

#[test]
fn cancelled_invite_without_final_gives_up_after_64_t1() {
    let t0 = Instant::now();
    let mut l = layer();
    let inv = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa6", "UDP"), agent())
        .unwrap();
    l.handle_incoming(
        t0 + ms(100),
        agent_resp(180, "z9hG4bKa6", "INVITE", Some("ag6")),
        agent(),
    );
    l.cancel(t0 + secs(1), inv).unwrap();
    events(&mut l);
    run_until(&mut l, t0, secs(40));
    let evs = events(&mut l);
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::Timeout { tx } if *tx == inv)),
        "{evs:?}"
    );
    assert!(l.is_empty());
}

#[test]
fn cancel_refused_once_the_invite_has_its_final() {
    let t0 = Instant::now();
    let mut l = layer();
    let inv = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa7", "UDP"), agent())
        .unwrap();
    l.handle_incoming(
        t0,
        agent_resp(200, "z9hG4bKa7", "INVITE", Some("ag7")),
        agent(),
    );
    assert_eq!(l.cancel(t0, inv), Err(SendError::NotCancellable));
    let opt = l
        .send_request(t0, our_req("OPTIONS", "z9hG4bKa8", "UDP"), agent())
        .unwrap();
    assert_eq!(l.cancel(t0, opt), Err(SendError::NotCancellable));
}

#[test]
fn timer_c_cancels_an_invite_that_rings_forever() {
    let t0 = Instant::now();
    let mut l = layer();
    let inv = l
        .send_request(t0, our_req("INVITE", "z9hG4bKa9", "UDP"), agent())
        .unwrap();
    transmits(&mut l);
    l.handle_incoming(
        t0,
        agent_resp(180, "z9hG4bKa9", "INVITE", Some("ag9")),
        agent(),
    );
    events(&mut l);
    let log = run_until(&mut l, t0, secs(180));
    assert_eq!(
        first_lines(&[log[0].1.clone()]),
        vec!["CANCEL sip:agent1@192.0.2.50:5060 SIP/2.0"]
    );
    l.handle_incoming(
        t0 + secs(181),
        agent_resp(200, "z9hG4bKa9", "CANCEL", None),
        agent(),
    );
    assert!(
        events(&mut l).is_empty(),
        "the layer's own CANCEL stays inside"
    );
    l.handle_incoming(
        t0 + secs(181),
        agent_resp(487, "z9hG4bKa9", "INVITE", Some("ag9")),
        agent(),
    );
    let evs = events(&mut l);
    assert!(
        matches!(evs.as_slice(), [Event::Response { tx, response }] if *tx == inv && response.status == 487)
    );
    run_until(&mut l, t0, secs(300));
    assert!(l.is_empty());
}

// ----- non-INVITE client transaction (figure 6) -----

#[test]
fn non_invite_client_on_udp_retransmits_on_timer_e_and_times_out_on_f() {
    let t0 = Instant::now();
    let mut l = layer();
    let tx = l
        .send_request(t0, our_req("OPTIONS", "z9hG4bKe1", "UDP"), agent())
        .unwrap();
    transmits(&mut l);
    let log = run_until(&mut l, t0, secs(40));
    let times: Vec<u64> = log.iter().map(|(t, _)| t.as_millis() as u64).collect();
    assert_eq!(
        times,
        vec![500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
    );
    let evs = events(&mut l);
    assert!(matches!(evs.as_slice(), [Event::Timeout { tx: t }] if *t == tx));
    assert_eq!(l.counters().client_timeouts, 1);
    assert!(l.is_empty());
}

#[test]
fn non_invite_client_on_tcp_sends_once_and_ends_with_the_final() {
    let t0 = Instant::now();
    let mut l = layer();
    let to = Peer {
        transport: Transport::Tcp,
        addr: "192.0.2.50:5060".parse().unwrap(),
        connection: None,
    };
    let tx = l
        .send_request(t0, our_req("BYE", "z9hG4bKe2", "TCP"), to)
        .unwrap();
    assert_eq!(transmits(&mut l).len(), 1);
    assert_eq!(l.poll_timeout(), Some(t0 + secs(32)), "only Timer F");
    l.handle_incoming(
        t0 + ms(50),
        agent_resp(200, "z9hG4bKe2", "BYE", Some("x")),
        to,
    );
    assert!(matches!(events(&mut l).as_slice(), [Event::Response { tx: t, .. }] if *t == tx));
    assert!(l.is_empty(), "Timer K is zero on TCP");
}

#[test]
fn responses_matching_nothing_are_dropped_and_counted() {
    let t0 = Instant::now();
    let mut l = layer();
    l.send_request(t0, our_req("OPTIONS", "z9hG4bKs1", "UDP"), agent())
        .unwrap();
    // Same branch, other method: not ours (section 17.1.3).
    l.handle_incoming(t0, agent_resp(200, "z9hG4bKs1", "INVITE", None), agent());
    l.handle_incoming(
        t0,
        agent_resp(200, "z9hG4bKother", "OPTIONS", None),
        agent(),
    );
    assert!(events(&mut l).is_empty());
    assert_eq!(l.counters().stray_responses, 2);
}

#[test]
fn send_request_adds_a_branch_when_the_via_has_none() {
    let t0 = Instant::now();
    let mut l = layer();
    let req = our_req("OPTIONS", "x", "UDP");
    let text = String::from_utf8_lossy(&req.to_bytes()).replace(";branch=x", "");
    let req = request(&text);
    l.send_request(t0, req, agent()).unwrap();
    let sent = transmits(&mut l);
    let text = String::from_utf8_lossy(&sent[0].data).to_string();
    let via = header(&text, "Via").unwrap();
    let branch = via.split("branch=").nth(1).unwrap();
    assert!(is_rfc3261_branch(branch), "{via}");
    assert_eq!(branch.len(), 7 + 16);
}

#[test]
fn send_request_without_via_is_refused() {
    let t0 = Instant::now();
    let mut l = layer();
    let text = String::from_utf8_lossy(&our_req("OPTIONS", "z9hG4bKnv", "UDP").to_bytes())
        .lines()
        .filter(|l| !l.starts_with("Via"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let req = request(&format!("{text}\r\n"));
    assert_eq!(l.send_request(t0, req, agent()), Err(SendError::NoVia));
}

#[test]
fn tu_ack_without_branch_gets_one() {
    let t0 = Instant::now();
    let mut l = layer();
    let text =
        String::from_utf8_lossy(&our_req("ACK", "x", "UDP").to_bytes()).replace(";branch=x", "");
    l.send_request(t0, request(&text), agent()).unwrap();
    let sent = transmits(&mut l);
    let text = String::from_utf8_lossy(&sent[0].data).to_string();
    assert!(header(&text, "Via").unwrap().contains("branch=z9hG4bK"));
}

#[test]
fn transport_error_ends_the_client_transactions_to_that_peer() {
    let t0 = Instant::now();
    let mut l = layer();
    let inv = l
        .send_request(t0, our_req("INVITE", "z9hG4bKt1", "UDP"), agent())
        .unwrap();
    let other = Peer::udp("198.51.100.9:5060".parse().unwrap());
    let opt = l
        .send_request(t0, our_req("OPTIONS", "z9hG4bKt2", "UDP"), other)
        .unwrap();
    l.handle_transport_error(t0 + ms(10), agent());
    let evs = events(&mut l);
    assert!(
        matches!(evs.as_slice(), [Event::TransportError { tx: TxId::Client(t) }] if *t == inv),
        "{evs:?}"
    );
    assert_eq!(l.client_state(inv), None);
    assert!(l.client_state(opt).is_some(), "other peers are untouched");
    assert_eq!(l.counters().transport_errors, 1);
}

#[test]
fn timers_follow_a_configured_t1() {
    let t0 = Instant::now();
    let timers = Timers {
        t1: ms(100),
        t2: ms(400),
        ..Timers::default()
    };
    let mut l = TransactionLayer::new(timers);
    let tx = l
        .send_request(t0, our_req("OPTIONS", "z9hG4bKt1x", "UDP"), agent())
        .unwrap();
    transmits(&mut l);
    let log = run_until(&mut l, t0, secs(10));
    let times: Vec<u64> = log.iter().map(|(t, _)| t.as_millis() as u64).collect();
    // E: 100, 200, 400, 400 ... ms; F at 64*T1 = 6.4 s.
    assert_eq!(&times[..5], &[100, 300, 700, 1100, 1500]);
    assert_eq!(*times.last().unwrap(), 6300);
    assert!(matches!(events(&mut l).as_slice(), [Event::Timeout { tx: t }] if *t == tx));
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn timer_heap_stays_small_under_many_short_transactions() {
    let t0 = Instant::now();
    let mut l = layer();
    let to = Peer {
        transport: Transport::Tcp,
        addr: "192.0.2.50:5060".parse().unwrap(),
        connection: Some(crate::sip::peer::ConnectionId(1)),
    };
    for i in 0..20_000 {
        let branch = format!("z9hG4bKmany{i}");
        l.send_request(t0, our_req("OPTIONS", &branch, "TCP"), to)
            .unwrap();
        l.handle_incoming(t0, agent_resp(200, &branch, "OPTIONS", Some("x")), to);
        assert!(l.heap.len() <= 1024 + 1, "{}", l.heap.len());
    }
    assert!(l.is_empty());
    assert_eq!(events(&mut l).len(), 20_000);
}
