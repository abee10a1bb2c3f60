//! Calls through the queue, end to end: the real server, SIPp as the caller
//! (a trunk on this machine) and SIPp as agents' phones (registered with
//! digest, answering, busy, not answering or hanging up first), and the
//! interaction record each call leaves in the real database file.

mod common;

use std::time::{Duration, Instant};

use common::calls::*;
use common::{free_port, TestServer};
use serde_json::json;
use switchboard::cdr::{Classification, Disposition, Tag, TerminateSide, TransferType};

#[test]
fn an_agent_answers_and_the_caller_hangs_up() {
    let (server, _api) = demo("");
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "2000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(
        r.classification,
        Some(Classification::AnsweredWithinServiceLevel)
    );
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.local_number, DID);
    assert!(r.remote_number.starts_with("+1555"), "{}", r.remote_number);
    assert!(r.connection_moment.is_some());
    assert!(r.connected_length >= Duration::from_millis(1000), "{r:#?}");
    assert!(r.alert_length > Duration::ZERO, "the phone rang: {r:#?}");
    assert!(r.queue_wait_length < Duration::from_secs(5), "{r:#?}");
    assert_eq!(server.metric("switchboard_call_agent_answers_total"), 1);
}

#[test]
fn a_caller_who_hangs_up_while_waiting_has_abandoned() {
    let (server, _api) = demo("[calls]\nshort_abandon_secs = 1\n");
    let run = call(&server, "queue_caller.xml", "600", &["-d", "2500"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.classification, Some(Classification::Abandoned));
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
    assert_eq!(r.agent, None);
    assert!(r.queue_wait_length >= Duration::from_secs(2), "{r:#?}");
    assert_eq!(r.local_number, "600", "reached by the queue number");
}

#[test]
fn a_caller_who_hangs_up_while_an_agent_rings_has_abandoned() {
    let (server, _api) = demo("");
    let _phones = Phones::start(&server, &["1001"], "agent_noanswer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "3000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.agent, None);
    assert!(
        r.alert_length >= Duration::from_secs(2),
        "the agent's phone rang until the caller left: {r:#?}"
    );
    assert_eq!(server.metric("switchboard_call_agent_answers_total"), 0);
}

#[test]
fn pressing_1_leaves_the_queue_for_a_callback() {
    let (server, api) = demo("");
    // The demo queue announces position and queue exit; its exit is a
    // callback, as the README's walkthrough says.
    assert_eq!(demo_queue(&api)["exit_kind"], "callback");
    let run = call(&server, "queue_caller_dtmf.xml", DID, &["-d", "1500"]);
    assert_sipp_ok(&run, "the caller (who hears goodbye and a BYE)");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::AbandonedByQueueExit));
    assert!(r.tags.contains(&Tag::QueueExit), "{r:#?}");
    assert_eq!(r.transfer_type, Some(TransferType::QueueExit));
    assert_eq!(r.transfer_target.as_deref(), Some("callback"));
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
    let (rt, store) = store_of(&server);
    let callbacks = rt.block_on(store.callback_requests()).unwrap();
    assert_eq!(callbacks.len(), 1);
    assert!(callbacks[0].caller.starts_with("+1555"));
    assert_eq!(server.metric("switchboard_call_callback_requests_total"), 1);
}

#[test]
fn the_queue_timeout_redirects_to_the_exit_queue() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let overflow = api.post(
        "/api/queues",
        &json!({"project_id": support["project_id"], "name": "Overflow", "number": "601"}),
    );
    assert_eq!(overflow.status, 201, "{}", overflow.body);
    let overflow_id = overflow.json()["id"].as_i64().unwrap();
    let assigned = api.put(
        &format!("/api/queues/{overflow_id}/agents"),
        &json!([{"user_id": agent_id(&server, "1003"), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    change_demo_queue(
        &api,
        json!({"exit_kind": "queue", "exit_queue_id": overflow_id, "queue_timeout_secs": 30,
               "position_announcement": "none"}),
    );
    let _phones = Phones::start(&server, &["1003"], "agent_hangup.xml");
    let run = call(
        &server,
        "queue_caller_waits.xml",
        DID,
        &["-recv_timeout", "100s"],
    );
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "one record per queue: {records:#?}");
    let first = &records[0].record;
    assert_eq!(
        first.disposition,
        Some(Disposition::RedirectedByQueueTimeout)
    );
    assert_eq!(first.classification, Some(Classification::Redirected));
    assert_eq!(first.transfer_type, Some(TransferType::QueueTimeout));
    assert!(first.queue_wait_length >= Duration::from_secs(30));
    let second = &records[1].record;
    assert_eq!(second.queue.map(|q| q.0 as i64), Some(overflow_id));
    assert_eq!(second.disposition, Some(Disposition::Answered));
    assert_eq!(second.terminate_side, Some(TerminateSide::Agent));
}

#[test]
fn an_agent_who_does_not_answer_is_passed_for_the_next() {
    let (server, api) = demo("");
    change_demo_queue(
        &api,
        json!({"strategy": "sequential", "agent_timeout_secs": 2}),
    );
    let _slow = Phones::start(&server, &["1001"], "agent_noanswer.xml");
    let _quick = Phones::start(&server, &["1002"], "agent_answer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "6000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1002")));
    assert!(
        r.alert_length >= Duration::from_secs(2),
        "1001 rang for the agent timeout first: {r:#?}"
    );
    assert!(server.metric("switchboard_call_agent_misses_total") >= 1);
}

#[test]
fn a_busy_agent_is_passed_at_once() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"strategy": "sequential"}));
    let _busy = Phones::start(&server, &["1001"], "agent_busy.xml");
    let _free = Phones::start(&server, &["1002"], "agent_answer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "3000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1002")));
    assert!(r.queue_wait_length < Duration::from_secs(5), "{r:#?}");
}

#[test]
fn the_agent_hangs_up_first() {
    let (server, _api) = demo("");
    let _phones = Phones::start(&server, &["1001"], "agent_hangup.xml");
    let run = call(&server, "queue_caller_waits.xml", DID, &[]);
    assert_sipp_ok(&run, "the caller, who gets the BYE");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
    assert!(r.connected_length >= Duration::from_millis(900), "{r:#?}");
}

#[test]
fn invites_from_strangers_are_challenged_and_unknown_numbers_not_found() {
    let (server, _api) = demo("");
    let invite =
        |from_ip: &str, number: &str, user: &str| raw_invite(&server, from_ip, number, user, "");
    // 127.0.0.2 is this machine, but not in the demo trunk's addresses: a
    // stranger is challenged like a user of ours, whatever its From says,
    // so the answer does not tell which names exist.
    let stranger = invite("127.0.0.2", "+15550100", "mallory");
    assert!(stranger.starts_with("SIP/2.0 401"), "{stranger}");
    let user = invite("127.0.0.2", "+15550100", "1001");
    assert!(user.starts_with("SIP/2.0 401"), "{user}");
    let unknown = invite("127.0.0.1", "+15559999", "carrier");
    assert!(unknown.starts_with("SIP/2.0 404"), "{unknown}");
    assert!(server.metric("switchboard_call_challenged_total") >= 2);
    assert!(server.metric("switchboard_call_unrouted_total") >= 1);
}

#[test]
fn a_call_whose_media_stops_is_ended_on_both_legs() {
    let (server, _api) = demo("[calls]\nrtp_timeout_secs = 2\n");
    // The caller's audio (4.7 s of SIPp's capture) stops; nobody answers.
    let started = Instant::now();
    // A wide wait for the BYE: the check runs every 2 s, later on a loaded machine.
    let run = call(
        &server,
        "queue_caller_waits.xml",
        DID,
        &["-recv_timeout", "60s"],
    );
    assert_sipp_ok(&run, "the caller, who gets the server's BYE");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "not before the audio ended"
    );
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Failed));
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
    assert_eq!(server.metric("switchboard_call_media_timeouts_total"), 1);
}

/// Sends one INVITE from `from_ip` and returns the first answer after 100.
fn raw_invite(server: &TestServer, from_ip: &str, number: &str, user: &str, extra: &str) -> String {
    let socket = std::net::UdpSocket::bind((from_ip, 0)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        ip = from_ip,
        port = free_port() & !1,
    );
    let msg = format!(
        "INVITE sip:{number}@{server} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@{from_ip}>;tag=a1\r\n\
         To: <sip:{number}@{server}>\r\n\
         Call-ID: {n}@test\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:{user}@{local}>\r\n\
         {extra}\
         Content-Type: application/sdp\r\n\
         Content-Length: {len}\r\n\r\n{sdp}",
        server = server.udp,
        n = free_port(),
        len = sdp.len(),
    );
    socket.send_to(msg.as_bytes(), server.udp).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        let (n, _) = socket.recv_from(&mut buf).expect("an answer");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !text.starts_with("SIP/2.0 100") {
            return text;
        }
    }
}

#[test]
fn a_trunk_with_credentials_must_pass_digest() {
    let (server, api) = demo("");
    let trunk = api.post(
        "/api/trunks",
        &json!({"name": "carrier", "addresses": ["127.0.0.2"], "username": "carrier",
                "password": "trunk-secret"}),
    );
    assert_eq!(trunk.status, 201, "{}", trunk.body);
    std::thread::sleep(Duration::from_millis(300));
    let challenge = raw_invite(&server, "127.0.0.2", DID, "carrier", "");
    assert!(challenge.starts_with("SIP/2.0 401"), "{challenge}");
    let nonce = challenge
        .split("nonce=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a nonce");
    let realm = "switchboard.local";
    let uri = format!("sip:{DID}@{}", server.udp);
    let draft = format!(
        "Digest username=\"carrier\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"0\", algorithm=MD5"
    );
    use switchboard::sip::auth::{ha1, Algorithm, DigestCredentials};
    let response = DigestCredentials::parse(&draft)
        .unwrap()
        .expected_response(
            "INVITE",
            &ha1(Algorithm::Md5, "carrier", realm, "trunk-secret"),
        )
        .unwrap();
    let header = draft.replace("response=\"0\"", &format!("response=\"{response}\""));
    let answered = raw_invite(
        &server,
        "127.0.0.2",
        DID,
        "carrier",
        &format!("Authorization: {header}\r\n"),
    );
    assert!(answered.starts_with("SIP/2.0 200"), "{answered}");
    assert!(
        answered.contains("m=audio "),
        "with the SDP answer: {answered}"
    );
}

#[test]
fn an_agent_serving_two_queues_takes_the_higher_priority_first() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let vip = api.post(
        "/api/queues",
        &json!({"project_id": support["project_id"], "name": "VIP", "number": "602",
                "priority": 10, "position_announcement": "none"}),
    );
    assert_eq!(vip.status, 201, "{}", vip.body);
    let vip_id = vip.json()["id"].as_i64().unwrap();
    let agent = agent_id(&server, "1001");
    let assigned = api.put(
        &format!("/api/queues/{vip_id}/agents"),
        &json!([{"user_id": agent, "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    change_demo_queue(&api, json!({"position_announcement": "none"}));
    // Nobody is registered: the Support call waits first, then a VIP call.
    let wait = ["-recv_timeout", "60s"];
    std::thread::scope(|scope| {
        let older = scope.spawn(|| call(&server, "queue_caller_waits.xml", "600", &wait));
        std::thread::sleep(Duration::from_millis(1500));
        let newer = scope.spawn(|| call(&server, "queue_caller_waits.xml", "602", &wait));
        std::thread::sleep(Duration::from_millis(1500));
        let _phone = Phones::start(&server, &["1001"], "agent_hangup.xml");
        assert_sipp_ok(&older.join().unwrap(), "the Support caller");
        assert_sipp_ok(&newer.join().unwrap(), "the VIP caller");
    });
    let records = completed_records(&server, 2);
    let of = |queue: i64| {
        records
            .iter()
            .map(|r| &r.record)
            .find(|r| r.queue.map(|q| q.0 as i64) == Some(queue))
            .unwrap_or_else(|| panic!("no record of queue {queue}: {records:#?}"))
    };
    let (vip, support) = (of(vip_id), of(support["id"].as_i64().unwrap()));
    assert_eq!(vip.disposition, Some(Disposition::Answered));
    assert_eq!(support.disposition, Some(Disposition::Answered));
    assert!(
        vip.connection_moment < support.connection_moment,
        "the VIP call, though newer, was answered first: {records:#?}"
    );
    assert!(support.queue_wait_length > vip.queue_wait_length);
}

#[test]
fn one_phone_takes_call_after_call() {
    let (server, _api) = demo("");
    let _phones = Phones::start(&server, &["1001"], "agent_hangup.xml");
    for _ in 0..3 {
        let run = call(
            &server,
            "queue_caller_waits.xml",
            DID,
            &["-recv_timeout", "20s"],
        );
        assert_sipp_ok(&run, "the caller");
    }
    let records = completed_records(&server, 3);
    assert!(records
        .iter()
        .all(|r| r.record.disposition == Some(Disposition::Answered)));
}

#[test]
fn auto_answer_queues_tell_the_phone_to_answer_by_itself() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"auto_answer": true}));
    let _phones = Phones::start(&server, &["1001"], "agent_auto_answer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "2000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(
        r.disposition,
        Some(Disposition::Answered),
        "the phone found the auto-answer headers: {r:#?}"
    );
}

#[test]
fn after_a_kill_ended_calls_are_complete_and_open_ones_interrupted() {
    let (mut server, _api) = demo("");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "500"]);
    assert_sipp_ok(&run, "the first caller");
    completed_records(&server, 1);
    let (udp, inf) = (server.udp, server.dir.path().join("waiting.csv"));
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let waiting = std::thread::spawn(move || {
        let args = ["-s", DID, "-m", "1", "-recv_timeout", "5s"];
        common::sipp("queue_caller_waits.xml", udp, &inf, &args)
    });
    std::thread::sleep(Duration::from_millis(1500));
    // SIGKILL while the second caller waits in the queue.
    server.restart();
    let _ = waiting.join();
    let (rt, store) = store_of(&server);
    let all = rt
        .block_on(store.interactions_between(
            switchboard::acd::Millis(0),
            switchboard::acd::Millis(u64::MAX >> 1),
        ))
        .unwrap();
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0].state, switchboard::store::RowState::Complete);
    assert_eq!(all[0].record.disposition, Some(Disposition::Abandoned));
    assert_eq!(all[1].state, switchboard::store::RowState::Interrupted);
    assert_eq!(all[1].record.disposition, Some(Disposition::Interrupted));
}

#[test]
fn a_strategy_changed_through_the_api_is_used_by_the_next_dispatch() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"agent_timeout_secs": 30}));
    // 1001 logs in first, so Longest Idle offers it the call first; its
    // phone rings on and on.
    let _silent = Phones::start(&server, &["1001"], "agent_noanswer.xml");
    std::thread::sleep(Duration::from_millis(500));
    let _answering = Phones::start(&server, &["1002"], "agent_answer.xml");
    let before = call(&server, "queue_caller.xml", DID, &["-d", "3000"]);
    assert_sipp_ok(&before, "the first caller");
    let first = completed_records(&server, 1);
    assert_eq!(
        first[0].record.disposition,
        Some(Disposition::Abandoned),
        "Longest Idle rang 1001 only: {first:#?}"
    );

    change_demo_queue(&api, json!({"strategy": "ring_all"}));
    let after = call(&server, "queue_caller.xml", DID, &["-d", "3000"]);
    assert_sipp_ok(&after, "the second caller");
    let records = completed_records(&server, 2);
    let second = &records[1].record;
    assert_eq!(
        second.disposition,
        Some(Disposition::Answered),
        "Ring All rang both phones and 1002 answered: {records:#?}"
    );
    assert_eq!(second.agent.map(|a| a.0), Some(agent_id(&server, "1002")));
}

#[test]
fn every_phone_of_the_agent_rings_and_the_first_answer_wins() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"agent_timeout_secs": 30}));
    // Agent 1001 has two phones: a desk phone nobody picks up and a
    // softphone that answers.
    let _desk = Phones::start(&server, &["1001"], "agent_noanswer.xml");
    let _soft = Phones::start(&server, &["1001"], "agent_answer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "3000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert!(
        r.queue_wait_length < Duration::from_secs(10),
        "answered by the softphone, not after the desk phone's 30 s: {r:#?}"
    );
    assert_eq!(server.metric("switchboard_call_agent_invites_total"), 2);
}

#[test]
fn a_call_refused_for_want_of_rtp_ports_leaves_a_failed_record() {
    // One RTP port pair in all (browser legs on a port of their own): the
    // first caller holds it while waiting, the second finds none.
    let port = free_port() & !1;
    let webrtc = free_port();
    let (server, _api) = demo(&format!(
        "[media]\nrtp_port_min = {port}\nrtp_port_max = {}\nwebrtc_port = {webrtc}\n",
        port + 1
    ));
    let (udp, inf) = (server.udp, server.dir.path().join("waiting.csv"));
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let waiting = std::thread::spawn(move || {
        common::sipp(
            "queue_caller.xml",
            udp,
            &inf,
            &["-s", DID, "-m", "1", "-d", "4000"],
        )
    });
    std::thread::sleep(Duration::from_millis(1500));
    let refused = call(&server, "queue_caller.xml", DID, &["-d", "500"]);
    assert!(
        refused.output.contains("503") || refused.failed_calls == 1,
        "the second caller is refused: {}",
        refused.output
    );
    assert_sipp_ok(&waiting.join().unwrap(), "the first caller");
    assert_eq!(server.metric("switchboard_call_refused_media_total"), 1);
    let records = completed_records(&server, 2);
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r.record.disposition == Some(Disposition::Failed))
        .collect();
    assert_eq!(failed.len(), 1, "{records:#?}");
    let r = &failed[0].record;
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
    assert_eq!(r.classification, Some(Classification::NotCounted));
    assert!(r.queue.is_some(), "the refused call is its queue's: {r:#?}");
    assert!(r.remote_number.starts_with("+1555"), "{r:#?}");
}

#[test]
fn sigterm_lets_calls_in_progress_finish_and_refuses_new_ones() {
    let (mut server, _api) = demo("[calls]\ndrain_secs = 20\n");
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let (udp, inf) = (server.udp, server.dir.path().join("talking.csv"));
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let talking = std::thread::spawn(move || {
        common::sipp(
            "queue_caller.xml",
            udp,
            &inf,
            &["-s", DID, "-m", "1", "-d", "4000"],
        )
    });
    // Answered by now; then the service manager stops the server.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.metric("switchboard_call_agent_answers_total") < 1 {
        assert!(Instant::now() < deadline, "the agent did not answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.terminate();
    std::thread::sleep(Duration::from_millis(300));
    let refused = call(&server, "queue_caller.xml", DID, &["-d", "500"]);
    assert!(
        refused.output.contains("503") || refused.failed_calls == 1,
        "a new call is refused while the server stops: {}",
        refused.output
    );
    assert_eq!(server.metric("switchboard_call_refused_stopping_total"), 1);
    // The call in progress goes on to its natural end...
    assert_sipp_ok(&talking.join().unwrap(), "the caller talking at SIGTERM");
    // ... and then the server stops by itself, well before the drain time.
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server stopped once its last call ended");
    assert!(status.success(), "{status:?}");
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].state, switchboard::store::RowState::Complete);
    assert_eq!(records[0].record.disposition, Some(Disposition::Answered));
}

#[test]
fn an_agent_taken_off_a_queue_leaves_it_and_keeps_the_other() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let project = support["project_id"].as_i64().unwrap();
    let support = support["id"].as_i64().unwrap();
    let sales = common::http::queue(&api, project, "Sales", "601");
    let (agent, other) = (
        agent_id(&server, "1001") as i64,
        agent_id(&server, "1002") as i64,
    );
    let assign = |queue: i64, users: &[i64]| {
        let body: Vec<_> = users.iter().map(|u| json!({"user_id": u})).collect();
        let reply = api.put(&format!("/api/queues/{queue}/agents"), &json!(body));
        assert_eq!(reply.status, 200, "{}", reply.body);
    };
    assign(sales, &[agent]);
    std::thread::sleep(Duration::from_millis(300));
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    // 1001 is taken off Support while registered and working.
    assign(support, &[other]);
    std::thread::sleep(Duration::from_millis(500));
    let run = call(&server, "queue_caller.xml", "600", &["-d", "3000"]);
    assert_sipp_ok(&run, "the Support caller");
    assert_eq!(
        server.metric("switchboard_call_agent_invites_total"),
        0,
        "1001 was rung for a queue taken from them"
    );
    let run = call(&server, "queue_caller.xml", "601", &["-d", "1500"]);
    assert_sipp_ok(&run, "the Sales caller");
    let records = completed_records(&server, 2);
    let dispositions: Vec<_> = records.iter().map(|r| r.record.disposition).collect();
    assert_eq!(
        dispositions,
        [Some(Disposition::Abandoned), Some(Disposition::Answered)],
        "{records:#?}"
    );
}
