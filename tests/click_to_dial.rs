//! Click-to-dial end to end: an agent who works on a desk phone (SIPp
//! registered as extension 1001) asks the panel's WebSocket to call a
//! number; the server rings the desk phone first, then sends the number
//! through the outbound route to the carrier (SIPp on 127.0.0.2 behind a
//! trunk), bridges the two, and leaves an outbound record in the real
//! database file.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::calls::*;
use common::http::Api;
use common::users::{id, profile_id, token};
use common::TestServer;
use serde_json::{json, Value};
use switchboard::cdr::{Direction, Disposition, TerminateSide};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// The carrier's side: SIPp on 127.0.0.2 playing `scenario` once.
struct Carrier {
    child: std::process::Child,
    messages: PathBuf,
}

impl Carrier {
    fn start(server: &TestServer, scenario: &str, port: u16, extra: &[&str]) -> Carrier {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp");
        let messages = server.dir.path().join("carrier-messages.log");
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(dir.join(scenario))
            .args(["-i", "127.0.0.2", "-p", &port.to_string(), "-m", "1"])
            .args(["-mp", &(common::free_port() & !1).to_string()])
            .args(["-nostdin", "-timeout", "60s", "-trace_msg", "-message_file"])
            .arg(&messages)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(server.dir.path().join("carrier.log")).unwrap())
            .spawn()
            .expect("running sipp");
        std::thread::sleep(Duration::from_millis(300));
        Carrier { child, messages }
    }

    fn messages(&self) -> String {
        read(&self.messages)
    }
}

impl Drop for Carrier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A free UDP port on the carrier's address.
fn carrier_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.2:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A carrier trunk whose INVITEs go to 127.0.0.2:`port`, a route for every
/// number through it that puts 00 in front and presents +15550100, and
/// extension 1001 (password `secret-1001`) an agent of the demo project
/// with the panel and the Dial Plan permission.
fn click_to_dial_demo(port: u16) -> (TestServer, Api) {
    let (server, api) = demo("");
    let q = demo_queue(&api);
    let project = q["project_id"].as_i64().unwrap();
    let trunk = api.post(
        "/api/trunks",
        &json!({"name": "Carrier", "addresses": ["127.0.0.2"],
                "outbound_destination": format!("127.0.0.2:{port}")}),
    );
    assert_eq!(trunk.status, 201, "{}", trunk.body);
    let route = api.post(
        "/api/outbound-routes",
        &json!({"project_id": project, "name": "Everything", "pattern": "_X.",
                "prepend": "00", "trunk_id": id(&trunk.json()), "caller_id": "+15550100"}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    let calls_out = api.post(
        "/api/profiles",
        &json!({"name": "Calls out",
                "permissions": ["other.outbound_calls", "dial_plan.route.all"]}),
    );
    assert_eq!(calls_out.status, 201, "{}", calls_out.body);
    let user = agent_id(&server, "1001");
    let reply = api.put(
        &format!("/api/users/{user}"),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001",
                "profiles": [profile_id(&api, "Agent"), id(&calls_out.json())],
                "projects": [project], "queues": [q["id"]]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The routing snapshot follows the change.
    std::thread::sleep(Duration::from_millis(500));
    (server, api)
}

/// The live panel of extension 1001: a WebSocket client on `/api/agent/ws`.
struct Panel {
    ws: tungstenite::WebSocket<TcpStream>,
    seen: Vec<Value>,
}

impl Panel {
    fn open(server: &TestServer) -> Panel {
        let session = token(server, "1001", "secret-1001", None);
        let mut request = format!("ws://{}/api/agent/ws", server.http)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "cookie",
            format!("switchboard_session={session}").parse().unwrap(),
        );
        let stream = TcpStream::connect(server.http).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let (ws, response) = tungstenite::client::client(request, stream).unwrap();
        assert_eq!(response.status(), 101);
        Panel {
            ws,
            seen: Vec::new(),
        }
    }

    fn dial(&mut self, number: &str) {
        let m = json!({"type": "dial", "number": number});
        self.ws.send(Message::Text(m.to_string().into())).unwrap();
    }

    /// The `dial` messages up to the one whose state is final (`failed` or
    /// `ended`).
    fn dial_until_over(&mut self) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(40);
        let mut dials = Vec::new();
        loop {
            assert!(
                Instant::now() < deadline,
                "the dial never ended; seen: {:#?}",
                self.seen
            );
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    let m: Value = serde_json::from_str(text.as_str()).unwrap();
                    self.seen.push(m.clone());
                    if m["type"] == "dial" {
                        dials.push(m.clone());
                        if m["state"] == "failed" || m["state"] == "ended" {
                            return dials;
                        }
                    }
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("websocket: {e}; seen: {:#?}", self.seen),
            }
        }
    }
}

fn states(dials: &[Value]) -> Vec<&str> {
    dials.iter().map(|m| m["state"].as_str().unwrap()).collect()
}

/// Extension 1001's desk phone: SIPp registered over UDP, answering with
/// `behaviour`, its messages traced to the returned file.
fn desk_phone(server: &TestServer, behaviour: &str, extra: &[&str]) -> (Phones, PathBuf) {
    let log = server.dir.path().join("desk-phone-messages.log");
    let mut args = vec!["-trace_msg", "-message_file", log.to_str().unwrap()];
    args.extend_from_slice(extra);
    let phones = Phones::start_with(server, &["1001"], behaviour, &args);
    (phones, log)
}

#[test]
fn the_panel_rings_the_desk_phone_then_dials_the_number_and_bridges_them() {
    let port = carrier_port();
    let (server, _api) = click_to_dial_demo(port);
    let audio = CallerAudio::start();
    let rtp_port = audio.port.to_string();
    let (phone, phone_log) = desk_phone(
        &server,
        "agent_answer_rtp.xml",
        &["-key", "rtp_port", &rtp_port],
    );
    let carrier = Carrier::start(&server, "carrier_early_media.xml", port, &["-rtp_echo"]);
    let mut panel = Panel::open(&server);
    panel.dial("5550123");
    let dials = panel.dial_until_over();
    assert_eq!(
        states(&dials),
        ["calling_phone", "dialling", "ringing", "connected", "ended"],
        "{dials:#?}\ncarrier: {}",
        carrier.messages()
    );
    assert!(dials.iter().all(|m| m["number"] == "5550123"), "{dials:#?}");

    // The desk phone was called first, showing the number being dialled,
    // with the headers that let it answer by itself.
    let phone_messages = read(&phone_log);
    let invite = phone_messages
        .split("INVITE sip:1001@")
        .nth(1)
        .unwrap_or_else(|| panic!("the phone got no INVITE: {phone_messages}"));
    assert!(
        invite.contains("From: \"5550123\" <sip:5550123@"),
        "{invite}"
    );
    assert!(invite.contains("answer-after=0"), "{invite}");
    // Then the carrier, with the route's rewritten number and caller ID.
    let messages = carrier.messages();
    assert!(
        messages.contains(&format!("INVITE sip:005550123@127.0.0.2:{port} SIP/2.0")),
        "{messages}"
    );
    assert!(messages.contains("From: \"+15550100\""), "{messages}");

    // The phone's audio went to the carrier and came back (the carrier
    // echoes it): the media is relayed both ways.
    let echoed = tone_frames(&audio.samples(), CALLER_TONE_HZ);
    assert!(
        echoed > 10,
        "the agent heard {echoed} frames of their own tone back through the carrier \
         ({} packets in all)",
        audio.received()
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
    assert!(
        r.dialing_length >= Duration::from_secs(1),
        "from the dial to the carrier's answer: {r:#?}"
    );
    assert!(r.connected_length > Duration::ZERO, "{r:#?}");
    assert_eq!(server.metric("switchboard_call_outbound_calls_total"), 1);
    drop(phone);
}

#[test]
fn a_phone_that_declines_dials_nothing_and_the_panel_says_why() {
    let port = carrier_port();
    let (server, _api) = click_to_dial_demo(port);
    let (phone, phone_log) = desk_phone(&server, "agent_busy.xml", &[]);
    let carrier = Carrier::start(&server, "agent_answer.xml", port, &[]);
    let mut panel = Panel::open(&server);
    panel.dial("5550123");
    let dials = panel.dial_until_over();
    assert_eq!(states(&dials), ["calling_phone", "failed"], "{dials:#?}");
    let failed = dials.last().unwrap();
    assert_eq!(failed["status"], 486, "{failed}");
    assert_eq!(failed["reason"], "your phone declined the call", "{failed}");
    assert!(
        read(&phone_log).contains("SIP/2.0 486 Busy Here"),
        "the phone was rung and declined"
    );
    // The agent is free again: a second request rings the phone again.
    panel.dial("5550123");
    let again = panel.dial_until_over();
    assert_eq!(states(&again), ["calling_phone", "failed"], "{again:#?}");
    assert!(
        !carrier.messages().contains("INVITE"),
        "the carrier was never called: {}",
        carrier.messages()
    );
    assert_eq!(server.metric("switchboard_call_outbound_calls_total"), 0);
    drop(phone);
}

#[test]
fn a_number_no_route_takes_is_refused_before_any_phone_rings() {
    let port = carrier_port();
    let (server, api) = click_to_dial_demo(port);
    let (phone, phone_log) = desk_phone(&server, "agent_answer.xml", &[]);
    let mut panel = Panel::open(&server);
    panel.dial("not a number");
    let dials = panel.dial_until_over();
    assert_eq!(states(&dials), ["failed"], "{dials:#?}");
    assert_eq!(dials[0]["status"], 404, "{dials:#?}");
    // Without the Dial Plan permission for the route the number is not
    // theirs to call.
    let user = agent_id(&server, "1001");
    let mut u = api.get(&format!("/api/users/{user}")).json();
    u["profiles"] = json!([profile_id(&api, "Agent")]);
    let put = api.put(&format!("/api/users/{user}"), &u);
    assert_eq!(put.status, 200, "{}", put.body);
    std::thread::sleep(Duration::from_millis(500));
    let mut panel = Panel::open(&server);
    panel.dial("5550123");
    let dials = panel.dial_until_over();
    assert_eq!(states(&dials), ["failed"], "{dials:#?}");
    assert_eq!(dials[0]["status"], 403, "{dials:#?}");
    assert!(
        !read(&phone_log).contains("INVITE sip:1001@"),
        "the phone never rang: {}",
        read(&phone_log)
    );
    drop(phone);
}
