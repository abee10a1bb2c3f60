//! Calls through the queue, end to end: the real server, SIPp as the caller
//! (a trunk on this machine) and SIPp as agents' phones (registered with
//! digest, answering, busy, not answering or hanging up first), and the
//! interaction record each call leaves in the real database file.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::http::Api;
use common::{free_port, sipp, TestServer};
use serde_json::{json, Value};
use switchboard::acd::Millis;
use switchboard::cdr::{Classification, Disposition, Tag, TerminateSide, TransferType};
use switchboard::store::{RowState, Store, StoredInteraction};

const DID: &str = "+15550100";

/// A demo server (queue Support, number 600, DID +15550100, agents 1001
/// and 1002) with known agent passwords.
fn demo(extra: &str) -> (TestServer, Api) {
    let server = TestServer::start(
        &format!("demo = true\n{extra}"),
        &[
            ("1001", "pw-1001"),
            ("1002", "pw-1002"),
            ("1003", "pw-1003"),
        ],
    );
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    (server, api)
}

/// One SIPp process playing agents' phones: it registers them, then each
/// INVITE it is sent is handled by `behaviour` (an agent_*.xml scenario).
struct Phones {
    child: Child,
    log: PathBuf,
}

impl Phones {
    fn start(server: &TestServer, users: &[&str], behaviour: &str) -> Phones {
        let before = server.metric("switchboard_sip_registrations_total");
        let pairs: Vec<(&str, String)> = users.iter().map(|u| (*u, format!("pw-{u}"))).collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(u, p)| (*u, p.as_str())).collect();
        let name = format!("phones-{}-{}.csv", users.join("-"), behaviour);
        let inf = server.sipp_users(&name, &pairs);
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp");
        let log = server.dir.path().join(format!("{name}.log"));
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(dir.join("agent_register.xml"))
            .arg("-oocsf")
            .arg(dir.join(behaviour))
            .arg("-inf")
            .arg(&inf)
            .args(["-i", "127.0.0.1", "-p", &free_port().to_string()])
            .args(["-mp", &(free_port() & !1).to_string()])
            .args(["-m", &users.len().to_string(), "-r", "50"])
            .args(["-d", "600000", "-nostdin", "-timeout", "600s"])
            .arg(server.udp.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("running sipp (install Debian's sip-tester; tools/test does)");
        let phones = Phones { child, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.metric("switchboard_sip_registrations_total") < before + users.len() as u64 {
            assert!(
                Instant::now() < deadline,
                "phones did not register: {}",
                std::fs::read_to_string(&phones.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Registration logs the agents in to dispatch right after.
        std::thread::sleep(Duration::from_millis(300));
        phones
    }
}

impl Drop for Phones {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a caller scenario from this machine (the demo's trunk) to `number`.
fn call(server: &TestServer, scenario: &str, number: &str, extra: &[&str]) -> common::Sipp {
    let inf = server.dir.path().join("caller.csv");
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let mut args = vec!["-s", number, "-m", "1"];
    args.extend_from_slice(extra);
    sipp(scenario, server.udp, &inf, &args)
}

fn store_of(server: &TestServer) -> (tokio::runtime::Runtime, Store) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt
        .block_on(Store::open_path(&server.dir.path().join("switchboard.db")))
        .expect("opening the server's database");
    (rt, store)
}

/// Waits until `n` records are complete and returns every record, oldest first.
fn completed_records(server: &TestServer, n: usize) -> Vec<StoredInteraction> {
    let (rt, store) = store_of(server);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = rt
            .block_on(store.interactions_between(Millis(0), Millis(u64::MAX >> 1)))
            .unwrap();
        let done = all.iter().filter(|r| r.state == RowState::Complete).count();
        if done >= n {
            rt.block_on(store.close());
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {n} records complete: {all:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The user id behind an extension (the agent id in records).
fn agent_id(server: &TestServer, username: &str) -> u64 {
    let (rt, store) = store_of(server);
    let id = rt
        .block_on(store.agent_extensions())
        .unwrap()
        .into_iter()
        .find(|(_, u)| u == username)
        .map(|(id, _)| id as u64)
        .expect("extension exists");
    rt.block_on(store.close());
    id
}

fn demo_queue(api: &Api) -> Value {
    api.get("/api/queues")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["number"] == "600")
        .cloned()
        .expect("the demo queue")
}

/// Replaces the demo queue's settings with `changes` (the rest kept).
fn change_demo_queue(api: &Api, changes: Value) -> Value {
    let mut q = demo_queue(api);
    let id = q["id"].as_i64().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        q[k] = v.clone();
    }
    let body = queue_input(&q);
    let reply = api.put(&format!("/api/queues/{id}"), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The change reaches dispatch through the reload that follows.
    std::thread::sleep(Duration::from_millis(300));
    reply.json()
}

/// A stored queue as the input of a PUT: its writable fields.
fn queue_input(q: &Value) -> Value {
    let mut body = q.clone();
    let obj = body.as_object_mut().unwrap();
    for k in ["id", "warnings", "created_at", "updated_at"] {
        obj.remove(k);
    }
    body
}

fn assert_sipp_ok(run: &common::Sipp, what: &str) {
    assert!(
        run.success && run.successful_calls == 1,
        "{what}: {}",
        run.output
    );
}

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
    // The demo queue announces position and queue exit; its exit is a callback.
    change_demo_queue(
        &api,
        json!({"exit_kind": "callback", "announcement_frequency_secs": 30}),
    );
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
fn invites_from_strangers_are_forbidden_and_unknown_numbers_not_found() {
    let (server, _api) = demo("");
    let invite =
        |from_ip: &str, number: &str, user: &str| raw_invite(&server, from_ip, number, user, "");
    // 127.0.0.2 is this machine, but not in the demo trunk's addresses.
    let stranger = invite("127.0.0.2", "+15550100", "mallory");
    assert!(stranger.starts_with("SIP/2.0 403"), "{stranger}");
    // A user of ours is challenged instead.
    let user = invite("127.0.0.2", "+15550100", "1001");
    assert!(user.starts_with("SIP/2.0 401"), "{user}");
    let unknown = invite("127.0.0.1", "+15559999", "carrier");
    assert!(unknown.starts_with("SIP/2.0 404"), "{unknown}");
    assert!(server.metric("switchboard_call_forbidden_total") >= 1);
    assert!(server.metric("switchboard_call_unrouted_total") >= 1);
}

#[test]
fn a_call_whose_media_stops_is_ended_on_both_legs() {
    let (server, _api) = demo("[calls]\nrtp_timeout_secs = 2\n");
    // The caller's audio (4.7 s of SIPp's capture) stops; nobody answers.
    let started = Instant::now();
    let run = call(&server, "queue_caller_waits.xml", DID, &[]);
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
