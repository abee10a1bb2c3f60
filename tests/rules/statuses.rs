//! Status visibility per profile: a profile that lists statuses (Status
//! permissions `status.<id>`) offers its holders only those, in the panel's
//! list and over its WebSocket; choosing another is 403 problem+json. A user
//! whose profiles list none is offered every status, as before.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use super::change_user;
use crate::common::calls::*;
use crate::common::http::{assert_problem, created};
use crate::common::users::{as_user, id, make_profile, profile_id, token};

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(id).collect()
}

/// Sends one message on the panel's WebSocket and returns the first
/// `error` message that follows.
fn panel_error(server: &crate::common::TestServer, token: &str, message: Value) -> Value {
    let mut request = format!("ws://{}/api/agent/ws", server.http)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "cookie",
        format!("switchboard_session={token}").parse().unwrap(),
    );
    let stream = TcpStream::connect(server.http).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let (mut ws, _) = tungstenite::client::client(request, stream).unwrap();
    ws.send(Message::Text(message.to_string().into())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Message::Text(text)) = ws.read() {
            let m: Value = serde_json::from_str(text.as_str()).unwrap();
            if m["type"] == "error" {
                return m;
            }
        }
    }
    panic!("no error message");
}

#[test]
fn a_profile_that_lists_statuses_offers_only_those() {
    let (server, api) = demo("");
    let project = demo_queue(&api)["project_id"].as_i64().unwrap();
    let status = |name: &str| {
        id(&created(api.post(
            "/api/statuses",
            &json!({"category": "break", "name": name, "agent_changeable": true}),
        )))
    };
    let (lunch, meeting) = (status("Lunch"), status("Meeting"));
    let available = api
        .get("/api/statuses")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["category"] == "available")
        .map(id)
        .unwrap();
    let breaks = make_profile(
        &api,
        "Lunch breaks only",
        &[format!("status.{available}"), format!("status.{lunch}")],
    );
    let agent = profile_id(&api, "Agent");
    change_user(
        &server,
        &api,
        "1001",
        json!({"password": "secret-1001", "profiles": [agent, breaks]}),
    );
    change_user(
        &server,
        &api,
        "1002",
        json!({"password": "secret-1002", "profiles": [agent]}),
    );

    let limited = token(&server, "1001", "secret-1001", None);
    let me = as_user(&server, &limited);
    let offered = ids(&me.get("/api/agent/statuses").json());
    assert!(
        offered.contains(&available) && offered.contains(&lunch),
        "{offered:?}"
    );
    assert!(!offered.contains(&meeting), "{offered:?}");
    let reply = me.post("/api/agent/login", &json!({"project": project}));
    assert_eq!(reply.status, 200, "{}", reply.body);

    let p = assert_problem(
        &me.post("/api/agent/status", &json!({"status": meeting})),
        403,
    );
    assert!(p["detail"].as_str().unwrap().contains("profile"), "{p}");
    let error = panel_error(
        &server,
        &limited,
        json!({"type": "status", "status": meeting}),
    );
    assert_eq!(error["status"], 403, "{error}");
    let reply = me.post("/api/agent/status", &json!({"status": lunch}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["status"]["id"], lunch);

    // A profile listing no status limits nothing.
    let other = as_user(&server, &token(&server, "1002", "secret-1002", None));
    let offered = ids(&other.get("/api/agent/statuses").json());
    assert!(
        offered.contains(&meeting) && offered.contains(&lunch),
        "{offered:?}"
    );
}
