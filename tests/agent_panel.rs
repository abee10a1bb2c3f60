//! The agent panel's API against the real server: REST over real HTTP, the
//! live panel over a real WebSocket, SIPp as the agent's phone and as the
//! caller, and the interaction record read from the database file.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::calls::*;
use common::http::{assert_problem, conformance, fields, request, Api, Reply};
use common::users::{as_user, id, token};
use common::TestServer;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// What the demo is given for the panel: a queue with after-call work, result
/// codes, tags, statuses and a break allowance.
struct Setup {
    project: i64,
    queue: i64,
    /// Asks for a note and a date.
    callback: i64,
    done: i64,
    /// A code the queue does not offer.
    elsewhere: i64,
    vip: i64,
    billing: i64,
    /// A tag of no queue.
    foreign: i64,
    lunch: i64,
    coaching: i64,
    retired: i64,
}

fn created(reply: Reply) -> i64 {
    assert!(reply.status == 201, "{}", reply.body);
    id(&reply.json())
}

/// The demo server set up for the panel; extension 1001's user gets the
/// password `secret-1001`, the Agent profile, the demo project and queue.
fn panel_demo() -> (TestServer, Api, Setup) {
    let (server, api) = demo("");
    let q = demo_queue(&api);
    let queue = q["id"].as_i64().unwrap();
    let project = q["project_id"].as_i64().unwrap();
    let code = |name: &str, flags: Value| {
        created(api.post(
            "/api/result-codes",
            &json!({"category": "other", "type": "call", "display_name": name, "flags": flags}),
        ))
    };
    let callback = code("Callback", json!({"ask_date": true, "note_required": true}));
    let done = code("Done", json!({}));
    let elsewhere = code("Elsewhere", json!({}));
    let tag = |name: &str, colour: &str, queues: Value| {
        created(api.post(
            "/api/tags",
            &json!({"name": name, "colour": colour, "queues": queues}),
        ))
    };
    let vip = tag("VIP", "#ff0000", json!([queue]));
    let billing = tag("Billing", "#00ff00", json!([queue]));
    let foreign = tag("Foreign", "#0000ff", json!([]));
    let status = |name: &str, supervisor_only: bool, active: bool| {
        created(api.post(
            "/api/statuses",
            &json!({"category": "break", "name": name, "agent_changeable": !supervisor_only,
                    "supervisor_only": supervisor_only, "active": active}),
        ))
    };
    let lunch = status("Lunch", false, true);
    let coaching = status("Coaching", true, true);
    let retired = status("Retired", false, false);
    let p = api.get(&format!("/api/projects/{project}")).json();
    let reply = api.put(
        &format!("/api/projects/{project}"),
        &json!({"name": p["name"], "break_minutes": 30}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    change_demo_queue(
        &api,
        json!({"after_call_work_secs": 120, "result_codes": [callback, done]}),
    );
    let users = api.get("/api/users").json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .unwrap()
        .clone();
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
        &format!("/api/users/{}", id(&user)),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [agent_profile],
                "projects": [project], "queues": [queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The writes reach dispatch through the reload that follows.
    std::thread::sleep(Duration::from_millis(500));
    let setup = Setup {
        project,
        queue,
        callback,
        done,
        elsewhere,
        vip,
        billing,
        foreign,
        lunch,
        coaching,
        retired,
    };
    (server, api, setup)
}

/// Logs 1001 in through the API; a client with the session's token.
fn agent(server: &TestServer) -> Api {
    as_user(server, &token(server, "1001", "secret-1001", None))
}

/// Checks an answer against the OpenAPI document, and passes it on.
fn documented(doc: &Value, method: &str, path: &str, reply: Reply) -> Reply {
    let failures = conformance(doc, method, path, &reply);
    assert!(failures.is_empty(), "{method} {path}: {failures:?}");
    reply
}

/// The live panel: a WebSocket client on `/api/agent/ws`.
struct Panel {
    ws: tungstenite::WebSocket<TcpStream>,
    seen: Vec<Value>,
}

impl Panel {
    fn open(server: &TestServer, token: &str) -> Panel {
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
        let (ws, response) = tungstenite::client::client(request, stream).unwrap();
        assert_eq!(response.status(), 101);
        Panel {
            ws,
            seen: Vec::new(),
        }
    }

    /// The next message of type `kind` (others are skipped) that satisfies
    /// `check`.
    fn next_where(&mut self, kind: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                Instant::now() < deadline,
                "no {kind} message; seen: {:#?}",
                self.seen
            );
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    let m: Value = serde_json::from_str(text.as_str()).unwrap();
                    self.seen.push(m.clone());
                    if m["type"] == kind && check(&m) {
                        return m;
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

    fn next(&mut self, kind: &str) -> Value {
        self.next_where(kind, |_| true)
    }

    /// The first message of the connection.
    fn first(&mut self) -> Value {
        let m = self.next_where("state", |_| true);
        assert_eq!(
            self.seen.len(),
            1,
            "state is the first message: {:#?}",
            self.seen
        );
        m
    }

    fn send(&mut self, m: Value) {
        self.ws.send(Message::Text(m.to_string().into())).unwrap();
    }

    fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}

fn session_token(server: &TestServer) -> String {
    token(server, "1001", "secret-1001", None)
}

#[test]
fn an_agent_logs_in_takes_a_call_and_closes_it_with_a_result() {
    let (server, admin, s) = panel_demo();
    let doc = admin.get("/api/openapi.json").json();
    let token = session_token(&server);
    let me = as_user(&server, &token);

    let reply = documented(&doc, "get", "/api/agent/me", me.get("/api/agent/me"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let who = reply.json();
    assert_eq!(who["user"]["login"], "1001");
    assert_eq!(who["user"]["name"], "Ada Lovelace");
    assert_eq!(who["projects"][0]["id"], s.project);
    assert_eq!(who["sip"]["username"], "1001");
    assert_eq!(who["sip"]["ha1"].as_str().unwrap().len(), 32, "{who}");
    assert_eq!(
        who["sip"]["ws_url"],
        format!("ws://{}/sip", server.http),
        "derived from the request's Host"
    );
    assert!(who["session"].is_null(), "not logged in to dispatch yet");

    let path = format!("/api/agent/projects/{}/queues", s.project);
    let reply = documented(
        &doc,
        "get",
        "/api/agent/projects/{id}/queues",
        me.get(&path),
    );
    let queues = reply.json();
    assert_eq!(queues[0]["id"], s.queue);
    assert_eq!(queues[0]["name"], "Support");

    let reply = documented(
        &doc,
        "post",
        "/api/agent/login",
        me.post(
            "/api/agent/login",
            &json!({"project": s.project, "queues": [s.queue]}),
        ),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let state = reply.json();
    assert_eq!(state["project"]["id"], s.project);
    assert_eq!(state["presence"], "available");
    assert_eq!(state["status"]["category"], "available");
    assert_eq!(state["queues"][0]["name"], "Support");
    assert_eq!(state["queues"][0]["waiting"], 0);
    let reply = me.get("/api/agent/me");
    assert_eq!(reply.json()["session"]["project"]["id"], s.project);

    // The agent's phone registers after the panel login: registration
    // neither logs them in again nor changes their queues.
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let mut panel = Panel::open(&server, &token);
    let first = panel.first();
    assert_eq!(first["presence"], "available", "{first}");

    let call_id = std::thread::scope(|scope| {
        let caller = scope.spawn(|| call(&server, "queue_caller.xml", DID, &["-d", "2000"]));
        let offer = panel.next("offer");
        assert_eq!(offer["queue"]["name"], "Support", "{offer}");
        assert!(
            offer["caller"].as_str().unwrap().starts_with("+1555"),
            "{offer}"
        );
        let call_id = offer["call"].as_u64().unwrap();
        let ended = panel.next("offer_ended");
        assert_eq!(ended["reason"], "answered");
        let connected = panel.next("connected");
        assert_eq!(connected["call"], call_id);
        let wrapup = panel.next("wrapup");
        assert_eq!(wrapup["call"], call_id);
        assert_eq!(wrapup["queue"]["name"], "Support");
        let codes = wrapup["result_codes"].as_array().unwrap();
        let names: Vec<&str> = codes.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Callback", "Done"], "the queue's codes: {wrapup}");
        assert_eq!(codes[0]["note_required"], true);
        assert_eq!(codes[0]["date_required"], true);
        assert_eq!(codes[1]["note_required"], false);
        let tags: Vec<&str> = wrapup["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(tags, ["Billing", "VIP"]);
        let run = caller.join().unwrap();
        assert!(run.success, "{}", run.output);
        call_id
    });

    // A reload during the after-call work: the new connection's first
    // message carries the wrap-up.
    panel.close();
    let mut panel = Panel::open(&server, &token);
    let first = panel.first();
    assert_eq!(first["presence"], "after_call_work", "{first}");
    assert_eq!(first["wrapup"]["call"], call_id, "{first}");
    assert_eq!(first["wrapup"]["result_codes"][0]["name"], "Callback");

    let form = format!("/api/agent/calls/{call_id}/wrapup");
    let reply = documented(&doc, "get", "/api/agent/calls/{id}/wrapup", me.get(&form));
    assert_eq!(reply.json()["call"], call_id);

    let result = format!("/api/agent/calls/{call_id}/result");
    let submit = |body: Value| {
        documented(
            &doc,
            "post",
            "/api/agent/calls/{id}/result",
            me.post(&result, &body),
        )
    };
    let p = assert_problem(
        &submit(json!({"code": s.callback, "action_date": "2026-12-01T10:00"})),
        422,
    );
    assert_eq!(fields(&p), ["note"]);
    let p = assert_problem(
        &submit(json!({"code": s.callback, "note": "call back"})),
        422,
    );
    assert_eq!(fields(&p), ["action_date"]);
    let p = assert_problem(
        &submit(json!({"code": s.callback, "note": "x", "action_date": "next tuesday"})),
        422,
    );
    assert_eq!(fields(&p), ["action_date"]);
    let p = assert_problem(&submit(json!({"code": s.elsewhere})), 422);
    assert_eq!(fields(&p), ["code"]);
    let p = assert_problem(
        &submit(json!({"code": s.done, "tags": [s.vip, s.foreign]})),
        422,
    );
    assert_eq!(fields(&p), ["tags[1]"]);
    let other = format!("/api/agent/calls/{}/result", call_id ^ 1);
    assert_problem(&me.post(&other, &json!({"code": s.done})), 404);

    let reply = submit(json!({"code": s.callback, "note": "Wants the premium plan",
                              "action_date": "2026-12-01T10:00", "tags": [s.vip, s.billing]}));
    assert_eq!(reply.status, 204, "{}", reply.body);
    let ended = panel.next("wrapup_ended");
    assert_eq!(ended["call"], call_id);
    let state = panel.next_where("state", |m| m["presence"] == "available");
    assert!(state["wrapup"].is_null());

    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.interaction_id.0, call_id);
    assert_eq!(r.verdict.map(|c| c.0 as i64), Some(s.callback));
    assert_eq!(r.note.as_deref(), Some("Wants the premium plan"));
    assert_eq!(r.action_date.as_deref(), Some("2026-12-01T10:00"));
    let mut tags = vec![s.vip as u64, s.billing as u64];
    tags.sort_unstable();
    assert_eq!(r.user_tags, tags);
    assert!(
        r.acw_length > Duration::ZERO && r.acw_length < Duration::from_secs(120),
        "the after-call work ended at the submission, not by its timer: {r:#?}"
    );
    // The after-call work is over: a later result changes the record's
    // result fields and nothing else.
    let reply = submit(json!({"code": s.done}));
    assert_eq!(reply.status, 204, "{}", reply.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    let later = loop {
        let r = completed_records(&server, 1).remove(0).record;
        if r.verdict.map(|c| c.0 as i64) == Some(s.done) {
            break r;
        }
        assert!(Instant::now() < deadline, "{r:#?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut expected = r.clone();
    expected.verdict = later.verdict;
    expected.note = None;
    expected.action_date = None;
    expected.user_tags = Vec::new();
    assert_eq!(later, expected);
    panel.close();
}

#[test]
fn statuses_a_break_and_its_allowance() {
    let (server, admin, s) = panel_demo();
    let doc = admin.get("/api/openapi.json").json();
    let token = session_token(&server);
    let me = as_user(&server, &token);

    let reply = documented(
        &doc,
        "get",
        "/api/agent/statuses",
        me.get("/api/agent/statuses"),
    );
    let ids: Vec<i64> = reply.json().as_array().unwrap().iter().map(id).collect();
    assert!(ids.contains(&1), "Available: {ids:?}");
    assert!(ids.contains(&s.lunch), "{ids:?}");
    assert!(!ids.contains(&s.coaching), "supervisor only: {ids:?}");
    assert!(!ids.contains(&s.retired), "not active: {ids:?}");

    // Before logging in to a project there is no status to change.
    let reply = documented(
        &doc,
        "post",
        "/api/agent/status",
        me.post("/api/agent/status", &json!({"status": s.lunch})),
    );
    assert_problem(&reply, 409);

    let reply = me.post("/api/agent/login", &json!({"project": s.project}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["queues"][0]["id"],
        s.queue,
        "a mandatory queue is joined without being chosen"
    );
    let mut panel = Panel::open(&server, &token);
    assert_eq!(panel.first()["presence"], "available");

    let p = assert_problem(
        &me.post("/api/agent/status", &json!({"status": s.coaching})),
        422,
    );
    assert_eq!(fields(&p), ["status"]);

    let before = switchboard::sip::core::unix_ms();
    let reply = documented(
        &doc,
        "post",
        "/api/agent/status",
        me.post("/api/agent/status", &json!({"status": s.lunch})),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let state = reply.json();
    assert_eq!(state["presence"], "break");
    assert_eq!(state["status"]["name"], "Lunch");
    assert!(state["since"].as_u64().unwrap() >= before, "{state}");
    let left = state["break_left_ms"].as_u64().unwrap();
    assert!(
        left <= 30 * 60 * 1000 && left > 29 * 60 * 1000,
        "the project's 30 minutes, barely started: {state}"
    );
    let live = panel.next_where("state", |m| m["presence"] == "break");
    assert_eq!(live["status"]["id"], s.lunch);

    // Back to Available over the WebSocket itself.
    panel.send(json!({"type": "status", "status": 1}));
    let live = panel.next_where("state", |m| m["presence"] == "available");
    assert!(live["break_left_ms"].as_u64().unwrap() <= left);
    panel.send(json!({"type": "dance"}));
    let error = panel.next("error");
    assert!(
        error["detail"].as_str().unwrap().contains("dance"),
        "{error}"
    );

    let reply = documented(
        &doc,
        "post",
        "/api/agent/logout",
        me.post("/api/agent/logout", &json!({})),
    );
    assert_eq!(reply.status, 204);
    let live = panel.next_where("state", |m| m["project"].is_null());
    assert_eq!(live["presence"], "offline");
    panel.close();
}

#[test]
fn queue_waiting_counts_follow_a_caller_with_no_agent_available() {
    let (server, _admin, s) = panel_demo();
    let token = session_token(&server);
    let me = as_user(&server, &token);
    let reply = me.post("/api/agent/login", &json!({"project": s.project}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = me.post("/api/agent/status", &json!({"status": s.lunch}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut panel = Panel::open(&server, &token);
    assert_eq!(panel.first()["queues"][0]["waiting"], 0);
    std::thread::scope(|scope| {
        let caller = scope.spawn(|| call(&server, "queue_caller.xml", "600", &["-d", "3000"]));
        let waiting = panel.next_where("queues", |m| m["queues"][0]["waiting"] == 1);
        assert_eq!(waiting["queues"][0]["name"], "Support");
        panel.next_where("queues", |m| m["queues"][0]["waiting"] == 0);
        let run = caller.join().unwrap();
        assert!(run.success, "{}", run.output);
    });
    assert!(
        !panel.seen.iter().any(|m| m["type"] == "offer"),
        "an agent on a break is offered nothing: {:#?}",
        panel.seen
    );
    panel.close();
}

#[test]
fn the_panel_lists_the_callbacks_waiting_in_the_agents_queues() {
    let (server, admin, s) = panel_demo();
    let me = agent(&server);
    let reply = me.post("/api/agent/login", &json!({"project": s.project}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = me.post("/api/agent/status", &json!({"status": s.lunch}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(me.get("/api/agent/callbacks").json(), json!([]));
    // A caller presses 1 for a callback while the agent is at lunch.
    let run = call(&server, "queue_caller_dtmf.xml", DID, &["-d", "1500"]);
    assert!(run.success, "{}", run.output);
    let doc = admin.get("/api/openapi.json").json();
    let listed = documented(
        &doc,
        "GET",
        "/api/agent/callbacks",
        me.get("/api/agent/callbacks"),
    );
    let listed = listed.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["queue"], "Support");
    assert_eq!(listed[0]["queue_id"], s.queue);
    assert_eq!(listed[0]["number"], "+15551");
    assert_eq!(listed[0]["state"], "waiting");
    assert_eq!(listed[0]["attempts"], 0);
    // Withdrawn by a supervisor, it is no longer the agent's to see.
    let at = format!("/api/callbacks/{}", listed[0]["id"]);
    assert_eq!(admin.delete(&at).status, 200);
    assert_eq!(me.get("/api/agent/callbacks").json(), json!([]));
}

#[test]
fn refusals_name_the_field_and_the_admin_token_has_no_panel() {
    let (server, admin, s) = panel_demo();
    let me = agent(&server);
    let p = assert_problem(&admin.get("/api/agent/me"), 403);
    assert_eq!(p["type"], "/api/problems/forbidden");
    let p = assert_problem(
        &request(server.http, "GET", "/api/agent/me", None, None),
        401,
    );
    assert_eq!(p["type"], "/api/problems/unauthorized");
    let p = assert_problem(
        &me.post(
            "/api/agent/login",
            &json!({"project": s.project, "queues": [s.queue, 99]}),
        ),
        422,
    );
    assert_eq!(fields(&p), ["queues[1]"]);
    let p = assert_problem(&me.post("/api/agent/login", &json!({"project": 5})), 422);
    assert_eq!(fields(&p), ["project"]);
    assert_problem(&me.post("/api/agent/login", &json!({"queues": []})), 400);
    assert_problem(&me.get("/api/agent/projects/5/queues"), 404);
    assert_problem(&me.get("/api/agent/calls/12/wrapup"), 404);
    assert_problem(
        &me.post("/api/agent/calls/12/result", &json!({"code": s.done})),
        404,
    );
}

/// The queue names of the agent's dispatch session, or none when logged out.
fn session_queues(me: &Api) -> Option<Vec<String>> {
    let who = me.get("/api/agent/me").json();
    let session = who["session"].as_object()?;
    let mut names: Vec<String> = session["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    Some(names)
}

#[test]
fn registration_neither_ends_nor_reshapes_a_panel_login() {
    let (server, admin, s) = panel_demo();
    let sales = created(admin.post(
        "/api/queues",
        &json!({"project_id": s.project, "name": "Sales", "number": "601"}),
    ));
    let user = admin
        .get("/api/users")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .cloned()
        .unwrap();
    let mut body = user.clone();
    for k in [
        "id",
        "extensions",
        "has_password",
        "failed_logins",
        "warnings",
    ] {
        body.as_object_mut().unwrap().remove(k);
    }
    body["queues"] = json!([s.queue, sales]);
    let reply = admin.put(&format!("/api/users/{}", id(&user)), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    std::thread::sleep(Duration::from_millis(500));
    let me = agent(&server);

    // Only the mandatory Support, though 1001 also serves Sales.
    let reply = me.post("/api/agent/login", &json!({"project": s.project}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(session_queues(&me), Some(vec!["Support".to_owned()]));

    // The browser's registration comes, goes (a reload) and comes back.
    let phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let users = server.sipp_users("gone.csv", &[("1001", "pw-1001")]);
    let run = common::sipp("unregister.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    drop(phones);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        session_queues(&me),
        Some(vec!["Support".to_owned()]),
        "still logged in when the last contact went"
    );
    let phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    assert_eq!(
        session_queues(&me),
        Some(vec!["Support".to_owned()]),
        "registering again did not log in with the assigned queues"
    );

    // A panel logout stays a logout while the phone stays registered...
    let reply = me.post("/api/agent/logout", &json!({}));
    assert_eq!(reply.status, 204);
    drop(phones);
    let _again = Phones::start(&server, &["1001"], "agent_answer.xml");
    assert_eq!(session_queues(&me), None);
    // ...and once the last contact has gone, the desk phone works by
    // registration as before: its assigned queues.
    let run = common::sipp("unregister.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    std::thread::sleep(Duration::from_millis(300));
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    assert_eq!(
        session_queues(&me),
        Some(vec!["Sales".to_owned(), "Support".to_owned()])
    );
}

#[test]
fn a_panel_agent_whose_browser_is_gone_for_good_is_logged_out() {
    let (server, _admin, s) = panel_demo();
    let token = session_token(&server);
    let me = as_user(&server, &token);
    let reply = me.post("/api/agent/login", &json!({"project": s.project}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut panel = Panel::open(&server, &token);
    assert_eq!(panel.first()["presence"], "available");
    // The page closes and no softphone stays registered: after the grace
    // period dispatch logs the agent out, so no call is offered to them.
    panel.close();
    let deadline = Instant::now() + Duration::from_secs(90);
    while session_queues(&me).is_some() {
        assert!(Instant::now() < deadline, "still logged in");
        std::thread::sleep(Duration::from_millis(500));
    }
    let state = me.get("/api/agent/me").json();
    assert!(state["session"].is_null(), "{state}");
}

/// The session cookie travels with requests made by any site's page; only
/// pages of our own origin may use it to change anything or open the live
/// panel. Requests without an Origin (scripts) and bearer tokens are not
/// affected.
#[test]
fn the_session_cookie_works_only_for_pages_of_our_origin() {
    use common::http::request_with;
    let (server, _admin, s) = panel_demo();
    let token = session_token(&server);
    let me = as_user(&server, &token);
    let cookie = format!("switchboard_session={token}");
    let own = format!("http://{}", server.http);
    let evil = "http://evil.example";
    let with_cookie = |method: &str, path: &str, origin: Option<&str>, body: &str| {
        let mut headers = vec![("Cookie", cookie.as_str())];
        if let Some(o) = origin {
            headers.push(("Origin", o));
        }
        request_with(
            server.http,
            method,
            path,
            &headers,
            "application/json",
            Some(body),
        )
    };
    let login_body = json!({"project": s.project}).to_string();
    let reply = me.post("/api/agent/login", &json!({"project": s.project}));
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Another site's page cannot log the agent out, nor in.
    let refused = with_cookie("POST", "/api/agent/logout", Some(evil), "{}");
    let p = assert_problem(&refused, 403);
    assert_eq!(p["type"], "/api/problems/foreign-origin", "{p}");
    let refused = with_cookie("POST", "/api/agent/login", Some(evil), &login_body);
    assert_problem(&refused, 403);
    assert_eq!(
        session_queues(&me),
        Some(vec!["Support".to_owned()]),
        "the agent is still logged in"
    );
    // Nor log anyone in to the API from its page.
    let login = request_with(
        server.http,
        "POST",
        "/api/login",
        &[("Origin", evil)],
        "application/json",
        Some(&json!({"username": "1001", "password": "secret-1001"}).to_string()),
    );
    assert_problem(&login, 403);

    // Our own pages, and clients that send no Origin, go on as before.
    assert_eq!(
        with_cookie("POST", "/api/agent/logout", Some(&own), "{}").status,
        204
    );
    assert_eq!(session_queues(&me), None);
    let again = with_cookie("POST", "/api/agent/login", None, &login_body);
    assert_eq!(again.status, 200, "{}", again.body);
    // A bearer token is not sent by a browser on its own: no Origin check.
    let bearer = request_with(
        server.http,
        "POST",
        "/api/agent/logout",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Origin", evil),
        ],
        "application/json",
        Some("{}"),
    );
    assert_eq!(bearer.status, 204, "{}", bearer.body);

    // The live panel's WebSocket, with the cookie.
    let open = |origin: &str| {
        let mut request = format!("ws://{}/api/agent/ws", server.http)
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert("cookie", cookie.parse().unwrap());
        headers.insert("origin", origin.parse().unwrap());
        let stream = TcpStream::connect(server.http).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        match tungstenite::client::client(request, stream) {
            Ok((_, response)) => response.status().as_u16(),
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
                response.status().as_u16()
            }
            Err(e) => panic!("websocket handshake: {e}"),
        }
    };
    assert_eq!(open(evil), 403);
    assert_eq!(open(&own), 101);
}

/// Puts the user of extension `username` in `project` with `profiles` and
/// the name `first last` (their other fields kept).
fn join_project(admin: &Api, username: &str, project: i64, profiles: &[i64], name: (&str, &str)) {
    let user = admin
        .get("/api/users")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()
        .clone();
    let reply = admin.put(
        &format!("/api/users/{}", id(&user)),
        &json!({"username": username, "first_name": name.0, "last_name": name.1,
                "password": format!("secret-{username}"), "profiles": profiles,
                "projects": [project], "queues": user["queues"]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// The agent's connected call, once the panel's state shows one.
fn connected_call(me: &Api) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let who = me.get("/api/agent/me").json();
        if let Some(call) = who["session"]["call"]["id"].as_u64() {
            if who["session"]["presence"] == "in_call" {
                return call;
            }
        }
        assert!(Instant::now() < deadline, "never connected: {who}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_connected_agent_transfers_from_the_panel_to_a_queue() {
    let (server, admin, s) = panel_demo();
    let doc = admin.get("/api/openapi.json").json();
    let queue = |name: &str, number: &str| {
        created(admin.post(
            "/api/queues",
            &json!({"project_id": s.project, "name": name, "number": number}),
        ))
    };
    let sales = queue("Sales", "601");
    let hidden = queue("Hidden", "602");
    // 1001 sees Sales (its Queue permission) but neither Support nor Hidden.
    let agent_profile = common::users::profile_id(&admin, "Agent");
    let sees_sales = common::users::make_profile(&admin, "Sees Sales", &[format!("queue.{sales}")]);
    let reply = admin.put(
        &format!("/api/users/{}", agent_id(&server, "1001")),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [agent_profile, sees_sales],
                "projects": [s.project], "queues": [s.queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // 1003 serves Sales from a desk phone; 1002 is of the project but not working.
    join_project(
        &admin,
        "1003",
        s.project,
        &[agent_profile],
        ("Grace", "Hopper"),
    );
    join_project(
        &admin,
        "1002",
        s.project,
        &[agent_profile],
        ("Alan", "Turing"),
    );
    let assigned = admin.put(
        &format!("/api/queues/{sales}/agents"),
        &json!([{"user_id": agent_id(&server, "1003"), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    std::thread::sleep(Duration::from_millis(500));
    let _sales_phone = Phones::start(&server, &["1003"], "agent_hangup.xml");
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");

    let me = agent(&server);
    let reply = me.post(
        "/api/agent/login",
        &json!({"project": s.project, "queues": [s.queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    // The targets: the queues 1001 may see, and the project's other agents.
    let deadline = Instant::now() + Duration::from_secs(30);
    let targets = loop {
        let reply = documented(
            &doc,
            "get",
            "/api/agent/transfer-targets",
            me.get("/api/agent/transfer-targets"),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let targets = reply.json();
        let grace = targets["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["extension"] == "1003")
            .cloned();
        if grace.is_some_and(|g| g["takes_transfer"] == true) {
            break targets;
        }
        assert!(Instant::now() < deadline, "1003 never free: {targets}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        targets["queues"],
        json!([{"id": sales, "name": "Sales", "number": "601"}]),
        "only the queue the Queue permission shows (not {} nor Support)",
        hidden
    );
    let agents = targets["agents"].as_array().unwrap();
    let extensions: Vec<&str> = agents
        .iter()
        .map(|a| a["extension"].as_str().unwrap())
        .collect();
    assert_eq!(extensions, ["1002", "1003"], "by name, not 1001 itself");
    assert_eq!(agents[0]["name"], "Alan Turing");
    assert_eq!(agents[0]["status"], "Offline");
    assert_eq!(agents[0]["takes_transfer"], false);
    assert_eq!(agents[1]["name"], "Grace Hopper");
    assert_eq!(agents[1]["status"], "Available");
    assert_eq!(agents[1]["presence"], "available");

    // Not connected to any call yet.
    let transfer = |call: u64, body: Value| {
        documented(
            &doc,
            "post",
            "/api/agent/calls/{id}/transfer",
            me.post(&format!("/api/agent/calls/{call}/transfer"), &body),
        )
    };
    assert_problem(&transfer(12, json!({"target": "601"})), 409);

    let caller = std::thread::spawn({
        let udp = server.udp;
        let dir = server.dir.path().to_owned();
        move || {
            let inf = dir.join("transfer-caller.csv");
            std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
            common::sipp(
                "queue_caller_waits.xml",
                udp,
                &inf,
                &["-s", DID, "-m", "1", "-recv_timeout", "60s"],
            )
        }
    });
    let call_id = connected_call(&me);

    // Refusals leave the call with 1001.
    let p = assert_problem(&transfer(call_id, json!({"target": "1002"})), 403);
    assert_eq!(p["type"], "/api/problems/transfer-refused", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("1002"), "{p}");
    let p = assert_problem(&transfer(call_id, json!({"target": "1001"})), 403);
    assert_eq!(
        p["type"], "/api/problems/transfer-refused",
        "to oneself: {p}"
    );
    let p = assert_problem(&transfer(call_id, json!({"target": "999"})), 404);
    assert_eq!(p["type"], "/api/problems/not-found", "{p}");
    let p = assert_problem(&transfer(call_id, json!({"target": " "})), 422);
    assert_eq!(fields(&p), ["target"]);
    let p = assert_problem(&transfer(call_id, json!({"target": "6 01"})), 422);
    assert_eq!(fields(&p), ["target"]);
    assert_problem(&transfer(call_id, json!({"number": "601"})), 400);
    assert_problem(&transfer(call_id + 1, json!({"target": "601"})), 409);
    assert_eq!(connected_call(&me), call_id, "still connected");

    let reply = transfer(call_id, json!({"target": "601"}));
    assert_eq!(reply.status, 202, "{}", reply.body);
    // The agent's part is over: after-call work for the call they had.
    let deadline = Instant::now() + Duration::from_secs(30);
    let state = loop {
        let state = me.get("/api/agent/me").json()["session"].clone();
        if state["presence"] == "after_call_work" {
            break state;
        }
        assert!(Instant::now() < deadline, "no after-call work: {state}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(state["wrapup"]["call"], call_id, "{state}");
    assert!(state["call"].is_null(), "{state}");
    assert_problem(&transfer(call_id, json!({"target": "601"})), 409);

    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    let reply = me.post(
        &format!("/api/agent/calls/{call_id}/result"),
        &json!({"code": s.done}),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);

    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "{records:#?}");
    let first = &records[0].record;
    assert_eq!(first.interaction_id.0, call_id);
    assert_eq!(first.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(
        first.transfer_type,
        Some(switchboard::cdr::TransferType::Blind)
    );
    assert_eq!(
        first.transfer_target.as_deref(),
        Some(format!("queue-{sales}").as_str())
    );
    let second = &records[1].record;
    assert_eq!(second.queue.map(|q| q.0 as i64), Some(sales));
    assert_eq!(second.agent.map(|a| a.0), Some(agent_id(&server, "1003")));
    assert_eq!(
        second.disposition,
        Some(switchboard::cdr::Disposition::Answered)
    );
}

#[test]
fn transfers_need_the_transfer_permission() {
    let (server, admin, s) = panel_demo();
    let panel_only =
        common::users::make_profile(&admin, "Panel only", &["menu.agent_panel".into()]);
    common::users::make_user(
        &admin,
        "no-transfers",
        "no-transfers password",
        json!({"profiles": [panel_only], "projects": [s.project]}),
    );
    let me = as_user(
        &server,
        &token(&server, "no-transfers", "no-transfers password", None),
    );
    let p = assert_problem(&me.get("/api/agent/transfer-targets"), 403);
    assert!(
        p["detail"].as_str().unwrap().contains("other.transfer"),
        "{p}"
    );
    let p = assert_problem(
        &me.post("/api/agent/calls/12/transfer", &json!({"target": "600"})),
        403,
    );
    assert!(
        p["detail"].as_str().unwrap().contains("other.transfer"),
        "{p}"
    );
    // With the permission but in no project yet: nothing to list.
    assert_problem(&agent(&server).get("/api/agent/transfer-targets"), 409);
}

/// A caller of the demo queue who talks for `secs` and hangs up, in a thread.
fn caller_for(server: &TestServer, secs: u32) -> std::thread::JoinHandle<common::Sipp> {
    let udp = server.udp;
    let dir = server.dir.path().to_owned();
    std::thread::spawn(move || {
        let inf = dir.join(format!("caller-{secs}.csv"));
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        common::sipp(
            "queue_caller.xml",
            udp,
            &inf,
            &["-s", DID, "-m", "1", "-d", &(secs * 1000).to_string()],
        )
    })
}

/// Waits for the after-call work of `call` and closes it with `code`.
fn close_with_result(me: &Api, call: u64, code: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state = me.get("/api/agent/me").json()["session"].clone();
        if state["wrapup"]["call"] == call {
            break;
        }
        assert!(Instant::now() < deadline, "no after-call work: {state}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let reply = me.post(
        &format!("/api/agent/calls/{call}/result"),
        &json!({"code": code}),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
}

#[test]
fn a_connected_agent_records_a_call_of_an_on_demand_queue() {
    let (server, admin, s) = panel_demo();
    let doc = admin.get("/api/openapi.json").json();
    change_demo_queue(&admin, json!({"recording": "on_demand"}));
    std::thread::sleep(Duration::from_millis(500));
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let me = agent(&server);
    let reply = me.post(
        "/api/agent/login",
        &json!({"project": s.project, "queues": [s.queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let record = |call: u64| {
        documented(
            &doc,
            "post",
            "/api/agent/calls/{id}/recording",
            me.post(&format!("/api/agent/calls/{call}/recording"), &json!({})),
        )
    };
    // Not connected to any call yet.
    assert_problem(&record(12), 409);

    let caller = caller_for(&server, 6);
    let call_id = connected_call(&me);
    let state = me.get("/api/agent/me").json();
    assert_eq!(
        state["session"]["call"]["recording"], "on_demand",
        "{state}"
    );
    assert_problem(&record(call_id + 1), 409);
    let reply = record(call_id);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let p = assert_problem(&record(call_id), 409);
    assert!(
        p["detail"].as_str().unwrap().contains("recorded already"),
        "{p}"
    );
    let run = caller.join().unwrap();
    assert!(run.success, "{}", run.output);
    close_with_result(&me, call_id, s.done);
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.interaction_id.0, call_id);
    let file = r.recording_file.clone().expect("RecordingFile");
    assert!(
        file.ends_with(&format!("interaction-{call_id}.wav")),
        "{file}"
    );

    // A queue that records no call refuses.
    change_demo_queue(&admin, json!({"recording": "never"}));
    std::thread::sleep(Duration::from_millis(500));
    let caller = caller_for(&server, 3);
    let second = connected_call(&me);
    assert_ne!(second, call_id);
    let p = assert_problem(&record(second), 422);
    assert_eq!(p["type"], "/api/problems/recording-refused", "{p}");
    assert!(caller.join().unwrap().success);
    close_with_result(&me, second, s.done);
    let records = completed_records(&server, 2);
    let last = records
        .iter()
        .find(|x| x.record.interaction_id.0 == second)
        .expect("the second call's record");
    assert_eq!(last.record.recording_file, None);
}

#[test]
fn recording_on_demand_needs_the_record_permission() {
    let (server, admin, s) = panel_demo();
    let panel_only =
        common::users::make_profile(&admin, "Panel only", &["menu.agent_panel".into()]);
    common::users::make_user(
        &admin,
        "no-records",
        "no-records password",
        json!({"profiles": [panel_only], "projects": [s.project]}),
    );
    let me = as_user(
        &server,
        &token(&server, "no-records", "no-records password", None),
    );
    let p = assert_problem(&me.post("/api/agent/calls/12/recording", &json!({})), 403);
    assert!(
        p["detail"].as_str().unwrap().contains("other.record"),
        "{p}"
    );
    // The Agent profile has it: only the missing call is refused.
    assert_problem(
        &agent(&server).post("/api/agent/calls/12/recording", &json!({})),
        409,
    );
}
