//! Agents calling out through a trunk, end to end: the real server, SIPp as
//! the agent's desk phone (digest-authenticated INVITE from a host that is
//! not a trunk) and SIPp as the carrier's side of the trunk, and the
//! outbound record in the real database file. The carrier listens on
//! 127.0.0.2: on port 5060 (the trunk's address) or on the port of the
//! trunk's outbound destination, and may challenge the INVITE for the
//! trunk's carrier account.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::calls::*;
use common::http::Api;
use common::{sipp_from, TestServer};
use serde_json::{json, Value};
use switchboard::cdr::{Direction, Disposition, TerminateSide, TransferType};

/// The carrier's side: SIPp on 127.0.0.2:5060 answering one call
/// (tests/sipp/agent_answer.xml: 180, 200, audio, waits for the BYE).
struct Carrier {
    child: std::process::Child,
    log: PathBuf,
    /// One carrier at a time: they all listen on 127.0.0.2:5060.
    _turn: std::sync::MutexGuard<'static, ()>,
}

static CARRIER_PORT: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Carrier {
    fn start(server: &TestServer) -> Carrier {
        Carrier::run(server, "agent_answer.xml", 5060)
    }

    /// SIPp on 127.0.0.2:`port` playing `scenario` once.
    fn run(server: &TestServer, scenario: &str, port: u16) -> Carrier {
        let turn = CARRIER_PORT.lock().unwrap_or_else(|e| e.into_inner());
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp");
        let log = server.dir.path().join("carrier.log");
        let trace = server.dir.path().join("carrier-messages.log");
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(dir.join(scenario))
            .args([
                "-i",
                "127.0.0.2",
                "-p",
                &port.to_string(),
                "-m",
                "1",
                "-nostdin",
            ])
            .args(["-mp", &(common::free_port() & !1).to_string()])
            .args(["-timeout", "60s", "-trace_msg", "-message_file"])
            .arg(&trace)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("running sipp");
        std::thread::sleep(Duration::from_millis(300));
        Carrier {
            child,
            log: trace,
            _turn: turn,
        }
    }

    fn messages(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Carrier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// A carrier trunk at 127.0.0.2, a route for every number through it that
/// puts 00 in front, and agent 1001 allowed to use it.
fn carrier_route(server: &TestServer, api: &Api) {
    carrier_route_with(server, api, json!({}));
}

/// As [`carrier_route`], the trunk also with the fields of `trunk_extra`.
fn carrier_route_with(server: &TestServer, api: &Api, trunk_extra: Value) {
    let project = demo_queue(api)["project_id"].as_i64().unwrap();
    let mut body = json!({"name": "Carrier", "addresses": ["127.0.0.2"]});
    for (field, value) in trunk_extra.as_object().unwrap() {
        body[field] = value.clone();
    }
    let trunk = api.post("/api/trunks", &body);
    assert_eq!(trunk.status, 201, "{}", trunk.body);
    let route = api.post(
        "/api/outbound-routes",
        &json!({"project_id": project, "name": "Everything", "pattern": "_X.",
                "prepend": "00", "trunk_id": id(&trunk.json()), "caller_id": "+15550100"}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    let profile = api.post(
        "/api/profiles",
        &json!({"name": "Calls out",
                "permissions": ["other.outbound_calls", "dial_plan.route.all"]}),
    );
    assert_eq!(profile.status, 201, "{}", profile.body);
    let user = agent_id(server, "1001");
    let mut u = api.get(&format!("/api/users/{user}")).json();
    u["first_name"] = json!("Ann");
    u["last_name"] = json!("Agent");
    u["profiles"]
        .as_array_mut()
        .unwrap()
        .push(json!(id(&profile.json())));
    let put = api.put(&format!("/api/users/{user}"), &u);
    assert_eq!(put.status, 200, "{}", put.body);
    // The routing snapshot follows the change.
    std::thread::sleep(Duration::from_millis(500));
}

fn agent_calls(server: &TestServer, number: &str, talk_ms: &str) -> common::Sipp {
    let inf = server.sipp_users("agent-dials.csv", &[("1001", "pw-1001")]);
    sipp_from(
        "127.0.0.3",
        "agent_dials.xml",
        server.udp,
        &inf,
        &["-s", number, "-m", "1", "-d", talk_ms],
    )
}

#[test]
fn an_agent_calls_out_through_the_trunk_and_leaves_an_outbound_record() {
    let (server, api) = demo("");
    carrier_route(&server, &api);
    let carrier = Carrier::start(&server);
    let run = agent_calls(&server, "5550123", "2000");
    assert!(
        run.success && run.successful_calls == 1,
        "the agent's phone: {}\ncarrier: {}",
        run.output,
        carrier.messages()
    );
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0].record;
    assert_eq!(r.direction, Direction::Outbound);
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.remote_number, "5550123");
    assert_eq!(r.local_number, "+15550100", "the route's caller ID");
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
    assert!(r.dialing_length > Duration::ZERO, "{r:#?}");
    assert!(r.connected_length >= Duration::from_millis(1500), "{r:#?}");
    let messages = carrier.messages();
    assert!(
        messages.contains("INVITE sip:005550123@127.0.0.2:5060"),
        "the route's rewriting reaches the trunk: {messages}"
    );
    assert!(messages.contains("From: \"+15550100\""), "{messages}");
    assert_eq!(server.metric("switchboard_call_outbound_calls_total"), 1);
}

#[test]
fn an_agent_without_the_dial_plan_permission_is_refused() {
    let (server, _api) = demo("");
    // No route, no permission: the number reaches nothing.
    let run = agent_calls(&server, "5550123", "500");
    assert!(!run.success, "{}", run.output);
    assert_eq!(server.metric("switchboard_call_outbound_refused_total"), 1);
    assert_eq!(server.metric("switchboard_call_outbound_calls_total"), 0);
}

/// A route for numbers in international form (`+...`) through the carrier
/// trunk: the `+` becomes 00.
fn international_route(api: &Api) {
    let project = demo_queue(api)["project_id"].as_i64().unwrap();
    let trunk = api.post(
        "/api/trunks",
        &json!({"name": "Carrier", "addresses": ["127.0.0.2"]}),
    );
    assert_eq!(trunk.status, 201, "{}", trunk.body);
    let route = api.post(
        "/api/outbound-routes",
        &json!({"project_id": project, "name": "International", "pattern": "_+!",
                "strip_digits": 1, "prepend": "00", "trunk_id": id(&trunk.json()),
                "caller_id": "+15550100"}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    std::thread::sleep(Duration::from_millis(500));
}

#[test]
fn a_callback_keeps_the_callers_place_and_is_dialled_before_a_later_caller() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"after_call_work_secs": 0}));
    international_route(&api);
    let carrier = Carrier::start(&server);
    // Nobody works yet. The first caller presses 1 for a callback; a second
    // caller comes after and waits.
    let first = call(&server, "queue_caller_dtmf.xml", DID, &["-d", "1500"]);
    assert_sipp_ok(&first, "the caller who asks for a callback");
    let waiting = server.dir.path().join("later-caller.csv");
    std::fs::write(&waiting, "SEQUENTIAL\ncaller;\n").unwrap();
    let udp = server.udp;
    let later = std::thread::spawn(move || {
        common::sipp(
            "queue_caller_waits.xml",
            udp,
            &waiting,
            &["-s", DID, "-m", "1"],
        )
    });
    // Both are in the queue: the callback, then the later caller.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.metric("switchboard_call_answered_callers_total") < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the later caller never queued"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let listed = api.get("/api/callbacks?open=true").json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["state"], "waiting");
    // The agent's phone comes up: it answers each call and hangs up after
    // four seconds.
    let _phones = Phones::start(&server, &["1001"], "agent_hangup_later.xml");
    let later = later.join().unwrap();
    assert_sipp_ok(&later, "the later caller, served after the callback");
    let records = completed_records(&server, 3);
    let dialled: Vec<_> = records
        .iter()
        .map(|r| &r.record)
        .filter(|r| r.direction == Direction::Outbound)
        .collect();
    assert_eq!(dialled.len(), 1, "one dial of the callback: {records:#?}");
    let callback = dialled[0];
    let agent = agent_id(&server, "1001");
    assert_eq!(callback.agent.map(|a| a.0), Some(agent));
    assert_eq!(callback.remote_number, "+15551", "the caller's own number");
    assert_eq!(callback.local_number, "+15550100", "the route's caller ID");
    assert_eq!(
        callback.queue.map(|q| q.0 as i64),
        demo_queue(&api)["id"].as_i64()
    );
    assert_eq!(callback.disposition, Some(Disposition::Answered));
    let served_later = records
        .iter()
        .map(|r| &r.record)
        .find(|r| r.direction == Direction::Inbound && r.disposition == Some(Disposition::Answered))
        .unwrap_or_else(|| panic!("the later caller was not answered: {records:#?}"));
    assert!(
        served_later.connection_moment > callback.connection_moment,
        "the callback kept the first caller's place: {records:#?}"
    );
    let messages = carrier.messages();
    assert!(
        messages.contains("INVITE sip:0015551@127.0.0.2:5060"),
        "the customer is dialled through the route: {messages}"
    );
    let requests = api.get("/api/callbacks").json();
    assert_eq!(requests[0]["state"], "done", "{requests}");
    assert_eq!(requests[0]["result"], "connected", "{requests}");
    assert_eq!(requests[0]["agent_id"].as_u64(), Some(agent), "{requests}");
}

/// A free UDP port on the carrier's address.
fn carrier_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.2:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn calls_go_to_the_trunk_s_outbound_destination_when_it_has_one() {
    let (server, api) = demo("");
    let port = carrier_port();
    carrier_route_with(
        &server,
        &api,
        json!({"outbound_destination": format!("127.0.0.2:{port};transport=udp")}),
    );
    let carrier = Carrier::run(&server, "agent_answer.xml", port);
    let run = agent_calls(&server, "5550123", "1000");
    assert!(
        run.success && run.successful_calls == 1,
        "the agent's phone: {}\ncarrier: {}",
        run.output,
        carrier.messages()
    );
    let messages = carrier.messages();
    assert!(
        messages.contains(&format!("INVITE sip:005550123@127.0.0.2:{port} SIP/2.0")),
        "the INVITE names the destination: {messages}"
    );
    let records = completed_records(&server, 1);
    assert_eq!(records[0].record.disposition, Some(Disposition::Answered));
}

#[test]
fn a_carrier_s_challenge_is_answered_with_the_trunk_s_account() {
    let (server, api) = demo("");
    let port = carrier_port();
    carrier_route_with(
        &server,
        &api,
        json!({"outbound_destination": format!("127.0.0.2:{port}"),
               "register_username": "trunk7", "register_password": "secret"}),
    );
    let carrier = Carrier::run(&server, "carrier_challenges.xml", port);
    let run = agent_calls(&server, "5550123", "1000");
    let messages = carrier.messages();
    assert!(
        run.success && run.successful_calls == 1,
        "the agent's phone: {}\ncarrier: {messages}",
        run.output,
    );
    assert!(
        messages.contains("Authorization: Digest username=\"trunk7\""),
        "{messages}"
    );
    assert!(messages.contains("CSeq: 2 INVITE"), "{messages}");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.local_number, "+15550100");
}

#[test]
fn a_challenge_without_an_account_to_answer_it_fails_the_call() {
    let (server, api) = demo("");
    let port = carrier_port();
    carrier_route_with(
        &server,
        &api,
        json!({"outbound_destination": format!("127.0.0.2:{port}")}),
    );
    let carrier = Carrier::run(&server, "carrier_challenges.xml", port);
    let run = agent_calls(&server, "5550123", "500");
    assert!(!run.success, "{}", run.output);
    let records = completed_records(&server, 1);
    assert_eq!(records[0].record.disposition, Some(Disposition::Failed));
    let messages = carrier.messages();
    assert_eq!(messages.matches("INVITE sip:").count(), 1, "{messages}");
}

#[test]
fn an_agent_s_refer_to_an_external_number_connects_the_caller_through_the_trunk() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let assigned = api.put(
        &format!("/api/queues/{}/agents", support["id"]),
        &json!([{"user_id": agent_id(&server, "1001"), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    let port = carrier_port();
    carrier_route_with(
        &server,
        &api,
        json!({"outbound_destination": format!("127.0.0.2:{port}")}),
    );
    let carrier = Carrier::run(&server, "agent_answer.xml", port);
    let phone_log = server.dir.path().join("agent-messages.log");
    let agent = Phones::start_with(
        &server,
        &["1001"],
        "agent_transfer_external.xml",
        &[
            "-key",
            "transfer_to",
            "5550123",
            "-trace_msg",
            "-message_file",
            phone_log.to_str().unwrap(),
        ],
    );
    // The caller stays six seconds, then hangs up: by then they talk to the
    // carrier's side, whose BYE is the proof.
    let run = call(&server, "queue_caller.xml", DID, &["-d", "6000"]);
    assert!(
        run.success && run.successful_calls == 1,
        "the caller: {}\ncarrier: {}",
        run.output,
        carrier.messages()
    );
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0].record;
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.transfer_type, Some(TransferType::Blind));
    assert_eq!(r.transfer_target.as_deref(), Some("external-5550123"));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
    // The carrier was rung with the route's number and caller ID, and got
    // the caller's BYE.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut messages = carrier.messages();
    while !messages.contains("BYE sip:") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        messages = carrier.messages();
    }
    assert!(
        messages.contains(&format!("INVITE sip:005550123@127.0.0.2:{port} SIP/2.0")),
        "{messages}"
    );
    assert!(messages.contains("From: \"+15550100\""), "{messages}");
    assert!(
        messages.contains("BYE sip:"),
        "the caller's BYE: {messages}"
    );
    assert_eq!(server.metric("switchboard_call_transfers_total"), 1);
    drop(agent);
    // The phone's REFER: 202, NOTIFY 100 (still active), NOTIFY 200 (over).
    let phone = std::fs::read_to_string(&phone_log).unwrap_or_default();
    let at = |text: &str| {
        phone
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} not in the phone's messages: {phone}"))
    };
    assert!(at("SIP/2.0 202 Accepted") < at("SIP/2.0 100 Trying"));
    assert!(at("active;expires=60") < at("terminated;reason=noresource"));
    let last = &phone[at("terminated;reason=noresource")..];
    let last = last.split("-----").next().unwrap_or_default();
    assert!(last.contains("SIP/2.0 200 OK"), "the final NOTIFY: {last}");
}

#[test]
fn a_busy_external_number_leaves_the_caller_with_the_agent() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let assigned = api.put(
        &format!("/api/queues/{}/agents", support["id"]),
        &json!([{"user_id": agent_id(&server, "1001"), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    let port = carrier_port();
    carrier_route_with(
        &server,
        &api,
        json!({"outbound_destination": format!("127.0.0.2:{port}")}),
    );
    let carrier = Carrier::run(&server, "agent_busy.xml", port);
    let phone_log = server.dir.path().join("agent-messages.log");
    let agent = Phones::start_with(
        &server,
        &["1001"],
        "agent_transfer_external_busy.xml",
        &[
            "-key",
            "transfer_to",
            "5550123",
            "-trace_msg",
            "-message_file",
            phone_log.to_str().unwrap(),
        ],
    );
    let run = call(&server, "queue_caller.xml", DID, &["-d", "5000"]);
    assert!(
        run.success && run.successful_calls == 1,
        "the caller: {}\ncarrier: {}",
        run.output,
        carrier.messages()
    );
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0].record;
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.transfer_type, None, "{r:#?}");
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller), "{r:#?}");
    assert!(carrier.messages().contains("486 Busy Here"));
    assert_eq!(server.metric("switchboard_call_transfers_total"), 0);
    drop(agent);
    let phone = std::fs::read_to_string(&phone_log).unwrap_or_default();
    assert!(phone.contains("SIP/2.0 100 Trying"), "{phone}");
    assert!(phone.contains("SIP/2.0 486 Busy Here"), "{phone}");
}

/// An IVR menu's key dials an external number: it leaves through the
/// project's outbound route and trunk (no agent's Dial Plan permission is
/// involved), the carrier answers and later hangs up, and the caller,
/// bridged meanwhile, is hung up in turn.
#[test]
fn an_ivr_key_dials_a_number_through_the_trunk_and_connects_the_caller() {
    let (server, api) = demo("");
    carrier_route(&server, &api);
    let carrier = Carrier::run(&server, "agent_hangup.xml", 5060);
    let project = demo_queue(&api)["project_id"].clone();
    let menu = api.post(
        "/api/ivr-menus",
        &json!({"project_id": project, "name": "Main", "prompt": "prompts/en/beep",
                "options": {"1": {"kind": "number", "number": "4930123456"}}}),
    );
    assert_eq!(menu.status, 201, "{}", menu.body);
    let route = api.post(
        "/api/routes",
        &json!({"number": "+15550111",
                "destination": {"kind": "menu", "menu_id": id(&menu.json())}}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    std::thread::sleep(Duration::from_millis(300));
    let run = call(
        &server,
        "queue_caller_dtmf.xml",
        "+15550111",
        &["-d", "1000"],
    );
    assert_sipp_ok(&run, "the caller (connected to the carrier, who hangs up)");
    let sent = carrier.messages();
    assert!(sent.contains("INVITE sip:004930123456@"), "{sent}");
    let records = completed_records(&server, 1);
    assert_eq!(
        records[0].record.ivr_event.as_deref(),
        Some("Main:1,external-4930123456:answered"),
        "{:#?}",
        records[0].record
    );
}
