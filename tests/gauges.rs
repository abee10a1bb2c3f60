//! The live gauges of `/metrics` (transactions, registered contacts, call
//! tasks and their tables, RTP ports, panel sockets) rise while phones are
//! registered, calls run and panels are open, and fall back to their idle
//! values once all of that has ended: what a soak run relies on to tell a
//! leak from load.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::calls::{demo, demo_queue, Phones, DID};
use common::users::{id, make_profile, make_user, token};
use common::{sipp, TestServer};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// Every gauge the soak watches, with its value when nothing is going on.
const IDLE: &[(&str, u64)] = &[
    ("switchboard_sip_server_transactions", 0),
    ("switchboard_sip_client_transactions", 0),
    ("switchboard_sip_transaction_index_entries", 0),
    ("switchboard_sip_call_routes", 0),
    ("switchboard_sip_bindings", 0),
    ("switchboard_calls", 0),
    ("switchboard_call_media_legs", 0),
    ("switchboard_call_callers", 0),
    ("switchboard_call_consultations", 0),
    ("switchboard_call_agent_workers", 0),
    ("switchboard_call_monitors", 0),
    // The browser legs' shared port comes from the range when media.webrtc_port
    // is not set.
    ("switchboard_rtp_ports_leased", 1),
    ("switchboard_agent_panel_sockets", 0),
    ("switchboard_supervisor_sockets", 0),
    ("switchboard_agent_hub_calls", 0),
    ("switchboard_agent_hub_offers", 0),
];

/// Waits until `name` reads `want`; the last value read otherwise.
fn settles(server: &TestServer, name: &str, want: u64) -> Result<(), u64> {
    // Transactions over UDP linger for Timer J / K (32 s) after their final
    // response, and call routes are swept every 10 s.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = server.metric(name);
        if now == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(now);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn assert_idle(server: &TestServer) {
    let busy: Vec<String> = IDLE
        .iter()
        .filter_map(|(name, want)| {
            settles(server, name, *want)
                .err()
                .map(|now| format!("{name} = {now}, idle {want}"))
        })
        .collect();
    assert!(busy.is_empty(), "not back to idle: {busy:#?}");
}

/// A WebSocket of a panel (`path`), opened with a session's token.
fn socket(server: &TestServer, path: &str, token: &str) -> tungstenite::WebSocket<TcpStream> {
    let mut request = format!("ws://{}{path}", server.http)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "cookie",
        format!("switchboard_session={token}").parse().unwrap(),
    );
    let stream = TcpStream::connect(server.http).unwrap();
    let (ws, response) = tungstenite::client::client(request, stream).unwrap();
    assert_eq!(response.status(), 101);
    ws
}

#[test]
fn gauges_rise_with_phones_calls_and_panels_and_fall_back_when_they_end() {
    let (server, api) = demo("");
    let q = demo_queue(&api);
    let (queue, project) = (q["id"].as_i64().unwrap(), q["project_id"].as_i64().unwrap());
    assert_idle(&server);

    // An agent (1001, on the panel) and a supervisor of the demo queue.
    let users = api.get("/api/users").json();
    let agent = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .map(id)
        .unwrap();
    let agent_profile = api
        .get("/api/profiles")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Agent")
        .map(id)
        .unwrap();
    let reply = api.put(
        &format!("/api/users/{agent}"),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [agent_profile],
                "projects": [project], "queues": [queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let boss_profile = make_profile(
        &api,
        "boss profile",
        &["menu.supervisor_panel".into(), format!("queue.{queue}")],
    );
    make_user(
        &api,
        "boss",
        "boss-password-1",
        json!({"profiles": [boss_profile], "projects": [project]}),
    );
    std::thread::sleep(Duration::from_millis(500));

    // Phones registered, panels open: their gauges count them.
    let phones = Phones::start(&server, &["1001", "1002"], "agent_answer_quiet.xml");
    assert_eq!(settles(&server, "switchboard_sip_bindings", 2), Ok(()));
    let panel = socket(
        &server,
        "/api/agent/ws",
        &token(&server, "1001", "secret-1001", None),
    );
    let watch = socket(
        &server,
        "/api/supervisor/socket",
        &token(&server, "boss", "boss-password-1", None),
    );
    assert_eq!(
        settles(&server, "switchboard_agent_panel_sockets", 1),
        Ok(())
    );
    assert_eq!(
        settles(&server, "switchboard_supervisor_sockets", 1),
        Ok(())
    );

    // Calls into the queue, answered by the phones.
    let inf = server.dir.path().join("callers.csv");
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let run = sipp(
        "queue_caller.xml",
        server.udp,
        &inf,
        &["-s", DID, "-r", "2", "-m", "6", "-d", "1000", "-l", "2"],
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(run.successful_calls, 6, "{}", run.output);
    assert_eq!(server.metric("switchboard_call_agent_answers_total"), 6);

    // Everything ends: the phones unregister, the panels close.
    drop(phones);
    for user in ["1001", "1002"] {
        let password = format!("pw-{user}");
        let csv = server.sipp_users(&format!("{user}.csv"), &[(user, &password)]);
        let run = sipp("unregister.xml", server.udp, &csv, &["-m", "1"]);
        assert!(run.success, "{}", run.output);
    }
    for mut ws in [panel, watch] {
        let _ = ws.close(None);
        while !matches!(ws.read(), Err(_) | Ok(Message::Close(_))) {}
    }
    assert_idle(&server);
}
