//! Results at any time and what result codes do, against the real server:
//! SIPp callers and agent phones, the agent panel's REST API and live
//! WebSocket, and the records and follow-ups read from the database file.
//! A result given during the call lands in the record; a queue with no
//! after-call work takes one after the hang-up; a later result changes only
//! the record's result fields, and a final one closes the interaction;
//! Extra Time keeps the agent from the next call until it ends; a Remind
//! follow-up is pushed to the panel when due, across a server restart.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::calls::*;
use common::http::{assert_problem, conformance, fields, Api, Reply};
use common::users::{as_user, id, token};
use common::TestServer;
use serde_json::{json, Value};
use switchboard::cdr::InteractionRecord;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// The codes and tags the demo queue offers here.
struct Codes {
    queue: i64,
    /// Plain.
    done: i64,
    /// Needs a note.
    info: i64,
    /// Closes the interaction.
    sale: i64,
    /// Adds after-call work.
    busy: i64,
    /// Reminds the agent themselves, [`REMIND_AFTER`] later.
    remind: i64,
    /// The queue calls the number again, a second later.
    again: i64,
    vip: i64,
    billing: i64,
}

/// How long after the result the Remind follow-up falls due: long enough
/// for a restart of the server to happen before it.
const REMIND_AFTER: u64 = 20;

/// The Extra Time of `busy`, in seconds.
const EXTRA: u64 = 8;

fn created(reply: Reply) -> i64 {
    assert!(reply.status == 201, "{}", reply.body);
    id(&reply.json())
}

/// The demo server with agent 1001 (login password `secret-1001`) in the
/// demo queue, which has `acw` seconds of after-call work and the codes.
fn setup(acw: u64) -> (TestServer, Api, Codes) {
    let (server, api) = demo("");
    let q = demo_queue(&api);
    let queue = q["id"].as_i64().unwrap();
    let project = q["project_id"].as_i64().unwrap();
    let code = |name: &str, flags: Value, extra: Value| {
        let mut body =
            json!({"category": "other", "type": "call", "display_name": name, "flags": flags});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        created(api.post("/api/result-codes", &body))
    };
    let done = code("Done", json!({}), json!({}));
    let info = code("Info", json!({"note_required": true}), json!({}));
    let sale = code("Sale", json!({"final_result": true}), json!({}));
    let busy = code(
        "Busy",
        json!({"extra_time": true}),
        json!({"extra_time_secs": EXTRA}),
    );
    let remind = code(
        "Remind me",
        json!({"remind": true, "self": true}),
        json!({"follow_up_secs": REMIND_AFTER}),
    );
    let again = code(
        "Call again",
        json!({"call_again": true}),
        json!({"follow_up_secs": 1}),
    );
    let tag = |name: &str, colour: &str| {
        created(api.post(
            "/api/tags",
            &json!({"name": name, "colour": colour, "queues": [queue]}),
        ))
    };
    let vip = tag("VIP", "#ff0000");
    let billing = tag("Billing", "#00ff00");
    change_demo_queue(
        &api,
        json!({"after_call_work_secs": acw,
               "result_codes": [done, info, sale, busy, remind, again]}),
    );
    let users = api.get("/api/users").json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .unwrap()
        .clone();
    let agent_profile = common::users::profile_id(&api, "Agent");
    let reply = api.put(
        &format!("/api/users/{}", id(&user)),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [agent_profile],
                "projects": [project], "queues": [queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    std::thread::sleep(Duration::from_millis(500));
    let codes = Codes {
        queue,
        done,
        info,
        sale,
        busy,
        remind,
        again,
        vip,
        billing,
    };
    (server, api, codes)
}

/// Agent 1001's session token, logged in to dispatch in the demo queue.
fn log_in(server: &TestServer, codes: &Codes) -> (String, Api) {
    let token = token(server, "1001", "secret-1001", None);
    let me = as_user(server, &token);
    let project = demo_queue(&me_admin(server))["project_id"]
        .as_i64()
        .unwrap();
    let reply = me.post(
        "/api/agent/login",
        &json!({"project": project, "queues": [codes.queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    (token, me)
}

fn me_admin(server: &TestServer) -> Api {
    Api {
        addr: server.http,
        token: server.admin_token.clone(),
    }
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

    /// The next message of type `kind` that satisfies `check`, within `within`.
    fn next_within(
        &mut self,
        kind: &str,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
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

    fn next_where(&mut self, kind: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.next_within(kind, Duration::from_secs(30), check)
    }

    fn next(&mut self, kind: &str) -> Value {
        self.next_where(kind, |_| true)
    }

    /// Where in the messages seen so far the first of `kind` satisfying
    /// `check` is.
    fn position(&self, kind: &str, check: impl Fn(&Value) -> bool) -> Option<usize> {
        self.seen.iter().position(|m| m["type"] == kind && check(m))
    }
}

/// A caller of the demo queue who talks `secs` once answered, in a thread.
fn caller(server: &TestServer, secs: u32) -> std::thread::JoinHandle<common::Sipp> {
    let udp = server.udp;
    let dir = server.dir.path().to_owned();
    std::thread::spawn(move || {
        let inf = dir.join(format!("caller-{}.csv", common::free_port()));
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        common::sipp(
            "queue_caller.xml",
            udp,
            &inf,
            &["-s", DID, "-m", "1", "-d", &(secs * 1000).to_string()],
        )
    })
}

/// The stored record of `call`, once complete.
fn record_of(server: &TestServer, call: u64) -> InteractionRecord {
    let records = completed_records(server, 1);
    records
        .into_iter()
        .find(|r| r.record.interaction_id.0 == call)
        .unwrap_or_else(|| panic!("no record of {call}"))
        .record
}

/// Waits until the record of `call` is complete with the verdict `code`.
fn record_with(server: &TestServer, call: u64, code: i64) -> InteractionRecord {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = record_of(server, call);
        if r.verdict.map(|v| v.0 as i64) == Some(code) {
            return r;
        }
        assert!(Instant::now() < deadline, "verdict not {code}: {r:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn result_path(call: u64) -> String {
    format!("/api/agent/calls/{call}/result")
}

#[test]
fn a_result_given_during_the_call_lands_in_the_record() {
    let (server, admin, c) = setup(0);
    let doc = admin.get("/api/openapi.json").json();
    let (token, me) = log_in(&server, &c);
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let mut panel = Panel::open(&server, &token);
    let run = caller(&server, 6);
    let call = panel.next("connected")["call"].as_u64().unwrap();

    // The form is there during the call, without an end of after-call work.
    let form = me.get(&format!("/api/agent/calls/{call}/wrapup"));
    assert!(
        conformance(&doc, "get", "/api/agent/calls/{id}/wrapup", &form).is_empty(),
        "{}",
        form.body
    );
    let form = form.json();
    assert!(form["until"].is_null(), "{form}");
    let names: Vec<&str> = form["result_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Done", "Info", "Sale", "Busy", "Remind me", "Call again"]
    );
    assert_eq!(form["result_codes"][3]["extra_time_secs"], EXTRA);
    assert_eq!(form["result_codes"][2]["final"], true);

    let p = assert_problem(&me.post(&result_path(call), &json!({"code": c.info})), 422);
    assert_eq!(fields(&p), ["note"]);
    let reply = me.post(
        &result_path(call),
        &json!({"code": c.info, "note": "asked about the invoice", "tags": [c.vip, c.billing]}),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert!(
        conformance(&doc, "post", "/api/agent/calls/{id}/result", &reply).is_empty(),
        "{}",
        reply.body
    );
    // Still connected: the result did not end the call.
    let state = me.get("/api/agent/me").json()["session"].clone();
    assert_eq!(state["presence"], "in_call", "{state}");

    let done = run.join().unwrap();
    assert_sipp_ok(&done, "the caller");
    let r = record_with(&server, call, c.info);
    assert_eq!(r.note.as_deref(), Some("asked about the invoice"));
    let mut tags = vec![c.vip as u64, c.billing as u64];
    tags.sort_unstable();
    assert_eq!(r.user_tags, tags);
    assert_eq!(
        r.acw_length,
        Duration::ZERO,
        "a queue without after-call work"
    );
    assert!(r.connected_length > Duration::ZERO, "{r:#?}");
}

#[test]
fn a_call_of_a_queue_without_after_call_work_gets_its_result_after_the_hang_up() {
    let (server, admin, c) = setup(0);
    let doc = admin.get("/api/openapi.json").json();
    let (token, me) = log_in(&server, &c);
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let mut panel = Panel::open(&server, &token);
    let run = caller(&server, 1);
    let call = panel.next("connected")["call"].as_u64().unwrap();
    panel.next_where("wrapup_ended", |m| m["call"] == call);
    assert_sipp_ok(&run.join().unwrap(), "the caller");
    let before = record_of(&server, call);
    assert_eq!(before.verdict, None);

    // The agent's recent interactions list it, without a result.
    let recent = me.get("/api/agent/interactions");
    assert!(
        conformance(&doc, "get", "/api/agent/interactions", &recent).is_empty(),
        "{}",
        recent.body
    );
    let recent = recent.json();
    assert_eq!(recent[0]["id"], call, "{recent}");
    assert!(recent[0]["result"].is_null(), "{recent}");
    assert_eq!(recent[0]["live"], false);
    let form = me.get(&format!("/api/agent/calls/{call}/wrapup")).json();
    assert_eq!(form["call"], call);
    assert_eq!(form["queue"]["name"], "Support");

    let p = assert_problem(
        &me.post(
            &result_path(call),
            &json!({"code": c.done, "tags": [c.vip, 999]}),
        ),
        422,
    );
    assert_eq!(fields(&p), ["tags[1]"]);
    let reply = me.post(
        &result_path(call),
        &json!({"code": c.info, "note": "called back later", "tags": [c.vip]}),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    let after = record_with(&server, call, c.info);
    let mut expected = before.clone();
    expected.verdict = after.verdict;
    expected.note = Some("called back later".into());
    expected.user_tags = vec![c.vip as u64];
    assert_eq!(after, expected, "only the result fields changed");

    // A later result replaces it; a final one closes the interaction.
    let reply = me.post(&result_path(call), &json!({"code": c.sale}));
    assert_eq!(reply.status, 204, "{}", reply.body);
    let closed = record_with(&server, call, c.sale);
    assert_eq!(closed.note, None);
    assert!(closed.user_tags.is_empty());
    let p = assert_problem(&me.post(&result_path(call), &json!({"code": c.done})), 409);
    assert!(p["detail"].as_str().unwrap().contains("final"), "{p}");
    let recent = me.get("/api/agent/interactions").json();
    assert_eq!(recent[0]["final"], true, "{recent}");
    assert_eq!(recent[0]["result"]["code"], c.sale, "{recent}");

    // No interaction of the agent's.
    assert_problem(
        &me.post(&result_path(call ^ 1), &json!({"code": c.done})),
        404,
    );
}

#[test]
fn extra_time_keeps_the_agent_out_of_dispatch_until_it_ends() {
    let (server, _admin, c) = setup(0);
    let (token, me) = log_in(&server, &c);
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let mut panel = Panel::open(&server, &token);
    let first = caller(&server, 2);
    let call = panel.next("connected")["call"].as_u64().unwrap();
    let reply = me.post(&result_path(call), &json!({"code": c.busy}));
    assert_eq!(reply.status, 204, "{}", reply.body);
    // The call ends into the code's after-call work (the queue has none).
    let wrapup = panel.next_where("wrapup", |m| m["call"] == call);
    assert!(wrapup["until"].as_u64().is_some(), "{wrapup}");
    assert_sipp_ok(&first.join().unwrap(), "the first caller");
    // A second caller meanwhile waits for the agent.
    let second = caller(&server, 4);
    let waiting = panel.next_where("queues", |m| m["queues"][0]["waiting"] == 1);
    assert_eq!(waiting["queues"][0]["id"], c.queue);
    let state = me.get("/api/agent/me").json()["session"].clone();
    assert_eq!(state["presence"], "after_call_work", "{state}");
    let offer = panel.next("offer");
    assert_ne!(offer["call"], call);
    let ended = panel
        .position("wrapup_ended", |m| m["call"] == call)
        .expect("the extra time ended");
    let offered = panel
        .position("offer", |m| m["call"] == offer["call"])
        .unwrap();
    assert!(
        ended < offered,
        "offered only once the extra time ended: {:#?}",
        panel.seen
    );
    assert_sipp_ok(&second.join().unwrap(), "the second caller");
    let r = record_with(&server, call, c.busy);
    assert!(
        r.acw_length >= Duration::from_secs(EXTRA),
        "the code's after-call work: {r:#?}"
    );
}

#[test]
fn a_remind_follow_up_is_pushed_to_the_panel_when_due_across_a_restart() {
    let (mut server, admin, c) = setup(0);
    let doc = admin.get("/api/openapi.json").json();
    let (token, me) = log_in(&server, &c);
    let phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let mut panel = Panel::open(&server, &token);
    let run = caller(&server, 1);
    let call = panel.next("connected")["call"].as_u64().unwrap();
    panel.next_where("wrapup_ended", |m| m["call"] == call);
    assert_sipp_ok(&run.join().unwrap(), "the caller");
    let reply = me.post(
        &result_path(call),
        &json!({"code": c.remind, "note": "send the contract"}),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    let list = me.get("/api/agent/follow-ups");
    assert!(
        conformance(&doc, "get", "/api/agent/follow-ups", &list).is_empty(),
        "{}",
        list.body
    );
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let f = list[0].clone();
    assert_eq!(f["kind"], "remind");
    assert_eq!(f["state"], "pending");
    assert_eq!(f["own"], true);
    assert_eq!(f["interaction"], call);
    assert_eq!(f["note"], "send the contract");
    assert!(f["number"].as_str().unwrap().starts_with("+1555"), "{f}");
    let id = f["id"].as_i64().unwrap();

    drop(panel);
    drop(phones);
    server.restart();
    let me = as_user(&server, &token);
    let still = me.get("/api/agent/follow-ups").json();
    assert_eq!(still[0]["id"], id, "kept across the restart: {still}");
    assert_eq!(still[0]["state"], "pending", "not due yet: {still}");
    let mut panel = Panel::open(&server, &token);
    let due = panel.next_within("follow_up", Duration::from_secs(REMIND_AFTER + 30), |m| {
        m["id"] == id
    });
    assert_eq!(due["state"], "due", "{due}");
    assert_eq!(due["kind"], "remind");
    assert_eq!(me.get("/api/agent/follow-ups").json()[0]["state"], "due");

    let done = me.post(&format!("/api/agent/follow-ups/{id}/done"), &json!({}));
    assert_eq!(done.status, 204, "{}", done.body);
    assert_problem(
        &me.post(&format!("/api/agent/follow-ups/{id}/dismiss"), &json!({})),
        409,
    );
    assert_problem(&me.post("/api/agent/follow-ups/12/done", &json!({})), 404);
    assert_eq!(me.get("/api/agent/follow-ups").json(), json!([]));
    let all = me.get("/api/agent/follow-ups?all=true").json();
    assert_eq!(all[0]["state"], "done", "{all}");
}

/// The panel in Chromium: the result form is there during the call, and
/// what the agent submits there lands in the record.
#[test]
fn the_panel_takes_a_result_during_the_call_in_the_browser() {
    use common::browser::{browser_agent, Browser};
    let minute = Duration::from_secs(60);
    let (server, api, c) = setup(0);
    let agent = browser_agent(&server, &api, "1001");
    let mut browser = Browser::start(
        &server,
        "result_during_call.mjs",
        &[&agent],
        json!({"code": c.info, "tags": [c.vip], "note": "wants a brochure"}),
    );
    browser.expect("ready", minute);
    // The agent's desk phone rings with the browser and answers.
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let run = caller(&server, 20);
    let saved = browser.expect("saved", minute);
    assert_eq!(saved["title"], "Result of this call", "{saved}");
    assert_eq!(saved["countdown"], false, "no after-call work yet: {saved}");
    assert_eq!(saved["presence"], "in_call", "{saved}");
    assert_sipp_ok(&run.join().unwrap(), "the caller");
    browser.expect("listed", minute);
    browser.finish(minute);
    let call = completed_records(&server, 1)[0].record.interaction_id.0;
    let r = record_with(&server, call, c.info);
    assert_eq!(r.note.as_deref(), Some("wants a brochure"));
    assert_eq!(r.user_tags, [c.vip as u64]);
}

#[test]
fn a_call_again_follow_up_of_the_queue_becomes_a_callback_request() {
    let (server, admin, c) = setup(0);
    let (token, me) = log_in(&server, &c);
    let phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    let mut panel = Panel::open(&server, &token);
    let run = caller(&server, 1);
    let call = panel.next("connected")["call"].as_u64().unwrap();
    panel.next_where("wrapup_ended", |m| m["call"] == call);
    assert_sipp_ok(&run.join().unwrap(), "the caller");
    drop(phones);
    // Away from calls: the callback stays waiting in the queue.
    let lunch = created(admin.post(
        "/api/statuses",
        &json!({"category": "break", "name": "Lunch", "agent_changeable": true,
                "supervisor_only": false, "active": true}),
    ));
    std::thread::sleep(Duration::from_millis(500));
    let reply = me.post("/api/agent/status", &json!({"status": lunch}));
    assert_eq!(reply.status, 200, "{}", reply.body);

    let reply = me.post(&result_path(call), &json!({"code": c.again}));
    assert_eq!(reply.status, 204, "{}", reply.body);
    // The queue's follow-up: pushed to the agents logged in to it.
    let due = panel.next_where("follow_up", |m| m["interaction"] == call);
    assert_eq!(due["kind"], "call_again");
    assert_eq!(due["own"], false);
    assert_eq!(due["queue"]["id"], c.queue);
    let number = due["number"].as_str().unwrap().to_owned();
    let id = due["id"].as_i64().unwrap();

    let reply = me.post(&format!("/api/agent/follow-ups/{id}/callback"), &json!({}));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["number"], number.as_str());
    let waiting = me.get("/api/agent/callbacks").json();
    assert!(
        waiting
            .as_array()
            .unwrap()
            .iter()
            .any(|cb| cb["number"] == number.as_str() && cb["queue_id"] == c.queue),
        "{waiting}"
    );
    assert_eq!(me.get("/api/agent/follow-ups").json(), json!([]), "done");
    assert_problem(
        &me.post(&format!("/api/agent/follow-ups/{id}/callback"), &json!({})),
        409,
    );
}
