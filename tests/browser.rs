//! Browser agents, end to end: the real server, the agent panel it serves at
//! `/agent/` in Debian's headless Chromium (driven by playwright-core from the
//! scripts in tests/browser/), SIPp callers and desk phones, and the
//! interaction records read from the real database file. One test runs
//! another softphone than the panel, SIP.js, against default settings.
//!
//! Nothing here is skipped: without Node.js, Chromium or the npm packages
//! (`npm ci` in web/) each test fails and says what to install; `tools/test`
//! installs them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::browser::*;
use common::calls::*;
use common::http::{created, Api};
use common::users::profile_id;
use common::TestServer;
use serde_json::{json, Value};
use switchboard::cdr::{Disposition, TerminateSide, TransferType};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The result codes and tags a wrap-up offers in the demo queue.
struct Wrapup {
    /// A plain code.
    done: i64,
    /// A code that needs a note and a date.
    call_back: i64,
    tags: [i64; 2],
}

impl Wrapup {
    fn sorted_tags(&self) -> Vec<i64> {
        let mut t = self.tags.to_vec();
        t.sort();
        t
    }
}

fn wrapup_choices(api: &Api) -> Wrapup {
    let code = |name: &str, category: &str, flags: Value| {
        created(api.post(
            "/api/result-codes",
            &json!({"category": category, "type": "call", "display_name": name, "flags": flags}),
        ))["id"]
            .as_i64()
            .unwrap()
    };
    let done = code("Solved", "success", json!({}));
    let call_back = code(
        "Call back",
        "schedule",
        json!({"ask_date": true, "note_required": true}),
    );
    let queue = demo_queue(api)["id"].as_i64().unwrap();
    let tag = |name: &str, colour: &str| {
        created(api.post(
            "/api/tags",
            &json!({"name": name, "colour": colour, "queues": [queue]}),
        ))["id"]
            .as_i64()
            .unwrap()
    };
    let tags = [tag("Invoice", "#2457c5"), tag("Complaint", "#b3261e")];
    // Long enough after-call work for the form to be filled in.
    change_demo_queue(
        api,
        json!({"result_codes": [done, call_back], "after_call_work_secs": 300}),
    );
    Wrapup {
        done,
        call_back,
        tags,
    }
}

// ------------------------------------------------------------------ the driver

/// A caller from the demo trunk, run in the background.
fn call_in_background(
    server: &TestServer,
    scenario: &'static str,
    extra: Vec<String>,
) -> std::thread::JoinHandle<common::Sipp> {
    let udp = server.udp;
    let dir = server.dir.path().to_owned();
    std::thread::spawn(move || {
        let inf = dir.join(format!("caller-{}.csv", common::free_port()));
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        let mut args = vec!["-s", DID, "-m", "1"];
        args.extend(extra.iter().map(String::as_str));
        common::sipp(scenario, udp, &inf, &args)
    })
}

// ------------------------------------------------------------------ records

/// The one completed record, with its wrap-up fields as stored.
fn the_record(server: &TestServer) -> switchboard::store::StoredInteraction {
    let records = completed_records(server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    records.into_iter().next().unwrap()
}

/// What the agent submitted for a call, as the record stores it (Verdict,
/// Note, ActionDate and the chosen tags).
#[derive(Debug)]
struct Submitted {
    code: Option<i64>,
    note: Option<String>,
    action_date: Option<String>,
    tags: Vec<i64>,
}

fn wrapup_of(server: &TestServer, stored: &switchboard::store::StoredInteraction) -> Submitted {
    use sqlx::Row;
    let id = stored.record.interaction_id.0 as i64;
    let db = server.dir.path().join("switchboard.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .read_only(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("opening the database file");
        let row = sqlx::query(
            "SELECT verdict, note, action_date FROM interactions WHERE interaction_id = ?",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("the record's wrap-up columns");
        let tags: Vec<i64> = sqlx::query_scalar(
            "SELECT tag_id FROM interaction_tags WHERE interaction_id = ? ORDER BY tag_id",
        )
        .bind(id)
        .fetch_all(&pool)
        .await
        .expect("the record's tags");
        let out = Submitted {
            code: row.get(0),
            note: row.get(1),
            action_date: row.get(2),
            tags,
        };
        pool.close().await;
        out
    })
}

const MINUTE: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------ the scenarios

/// (a) Log in, go Available, answer in the browser, talk both ways, close
/// the call with a result code and two tags: the record has them.
#[test]
fn an_agent_answers_in_the_browser_and_closes_the_call_with_a_result_and_tags() {
    let (server, api) = demo("");
    let agent = browser_agent(&server, &api, "1001");
    let wrapup = wrapup_choices(&api);
    let mut browser = Browser::start(
        &server,
        "answer.mjs",
        &[&agent],
        json!({"code": wrapup.done, "tags": wrapup.tags}),
    );
    browser.expect("ready", MINUTE);
    let audio = CallerAudio::start();
    let caller = call_in_background(
        &server,
        "queue_caller_rtp.xml",
        vec![
            "-d".into(),
            "30000".into(),
            "-key".into(),
            "rtp_port".into(),
            audio.port.to_string(),
        ],
    );
    let offer = browser.expect("offered", MINUTE);
    assert_eq!(offer["queue"], "Support", "{offer}");
    assert!(
        offer["caller"].as_str().unwrap_or("").starts_with("+1555"),
        "the banner shows the caller's number: {offer}"
    );
    browser.expect("connected", MINUTE);
    let at_answer = audio.received();
    browser.expect("audio", MINUTE);
    browser.expect("held-and-resumed", MINUTE);
    browser.expect("reconnected", MINUTE);
    let from_browser = audio.received() - at_answer;
    assert!(
        from_browser > 50,
        "the caller received {from_browser} RTP packets after the browser answered"
    );
    browser.finish(2 * MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);

    let stored = the_record(&server);
    let r = &stored.record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    let result = wrapup_of(&server, &stored);
    assert_eq!(result.code, Some(wrapup.done), "{result:?}");
    assert_eq!(result.note.as_deref(), Some("called about an invoice"));
    assert_eq!(result.tags, wrapup.sorted_tags(), "{result:?}");
}

/// (b) The agent rejects the offer: the caller goes on to the next agent.
#[test]
fn a_rejected_call_goes_to_the_next_agent() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"strategy": "sequential"}));
    let agent = browser_agent(&server, &api, "1001");
    let mut browser = Browser::start(&server, "reject.mjs", &[&agent], json!({}));
    browser.expect("ready", MINUTE);
    // 1002's desk phone answers; 1001 (first in id order) is offered first.
    let _desk = Phones::start(&server, &["1002"], "agent_answer.xml");
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "6000".into()],
    );
    let offer = browser.expect("offered", MINUTE);
    assert_eq!(offer["queue"], "Support", "{offer}");
    browser.expect("rejected", MINUTE);
    browser.finish(MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    let r = the_record(&server).record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(
        r.agent.map(|a| a.0),
        Some(agent_id(&server, "1002")),
        "the next agent took the call: {r:#?}"
    );
}

/// (c) A queue with auto answer: answered in the browser without a click,
/// with the beep.
#[test]
fn auto_answer_answers_in_the_browser_with_a_beep() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"auto_answer": true}));
    let agent = browser_agent(&server, &api, "1001");
    let wrapup = wrapup_choices(&api);
    let mut browser = Browser::start(
        &server,
        "auto_answer.mjs",
        &[&agent],
        json!({"code": wrapup.done}),
    );
    browser.expect("ready", MINUTE);
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "10000".into()],
    );
    let beep = browser.expect("auto-answered", MINUTE);
    assert!(beep["beeps"].as_u64() >= Some(1), "{beep}");
    browser.expect("connected", MINUTE);
    browser.expect("audio", MINUTE);
    browser.finish(2 * MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    let stored = the_record(&server);
    assert_eq!(stored.record.disposition, Some(Disposition::Answered));
    assert_eq!(
        wrapup_of(&server, &stored).code,
        Some(wrapup.done),
        "{stored:#?}"
    );
}

/// (d) A reload during after-call work brings the wrap-up form back, and
/// submitting it completes the record (with a note and a date).
#[test]
fn a_reload_during_after_call_work_keeps_the_wrap_up() {
    let (server, api) = demo("");
    let agent = browser_agent(&server, &api, "1001");
    let wrapup = wrapup_choices(&api);
    let mut browser = Browser::start(
        &server,
        "reload_wrapup.mjs",
        &[&agent],
        json!({"code": wrapup.call_back, "tags": wrapup.tags,
               "note": "wants a call on Monday", "date": "2026-12-07T10:30"}),
    );
    browser.expect("ready", MINUTE);
    // The agent's desk phone rings with the browser and answers.
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "2000".into()],
    );
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    let back = browser.expect("form-back", MINUTE);
    assert_eq!(back["queue"], "Support", "{back}");
    browser.finish(MINUTE);
    let stored = the_record(&server);
    assert_eq!(stored.record.disposition, Some(Disposition::Answered));
    let result = wrapup_of(&server, &stored);
    assert_eq!(result.code, Some(wrapup.call_back), "{result:?}");
    assert_eq!(result.note.as_deref(), Some("wants a call on Monday"));
    assert!(
        result
            .action_date
            .as_deref()
            .is_some_and(|d| d.starts_with("2026-12-07")),
        "{result:?}"
    );
    assert_eq!(result.tags, wrapup.sorted_tags(), "{result:?}");
}

/// (e) Two browser agents in a Sequential queue: the first in order is
/// offered first, the other only after the first refuses.
#[test]
fn two_browser_agents_in_sequential_order() {
    let (server, api) = demo("");
    change_demo_queue(&api, json!({"strategy": "sequential"}));
    let first = browser_agent(&server, &api, "1001");
    let second = browser_agent(&server, &api, "1002");
    assert!(agent_id(&server, "1001") < agent_id(&server, "1002"));
    let mut browser = Browser::start(&server, "sequential.mjs", &[&first, &second], json!({}));
    browser.expect("ready", 2 * MINUTE);
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "8000".into()],
    );
    let offered = browser.expect("offered", MINUTE);
    assert_eq!(offered["agent"], "1001", "{offered}");
    let offered = browser.expect("offered", MINUTE);
    assert_eq!(offered["agent"], "1002", "{offered}");
    browser.finish(MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success, "{}", run.output);
}

/// (f) The agent transfers the caller from the panel to a queue: the list
/// shows the queue their Queue permission lets them see and who of the
/// project is free; a number that cannot take the call is refused with the
/// reason; the queue's desk phone answers the caller, the panel moves to the
/// after-call work, and the two records show the blind transfer.
#[test]
fn an_agent_transfers_the_caller_from_the_panel_to_a_queue() {
    let (server, api) = demo("");
    let agent = browser_agent(&server, &api, "1001");
    let wrapup = wrapup_choices(&api);
    let project = demo_queue(&api)["project_id"].as_i64().unwrap();
    let sales = created(api.post(
        "/api/queues",
        &json!({"project_id": project, "name": "Sales", "number": "601"}),
    ))["id"]
        .as_i64()
        .unwrap();
    // 1001 may see Sales (not Support): a profile naming that queue.
    let sees_sales = common::users::make_profile(&api, "Sees Sales", &[format!("queue.{sales}")]);
    let id_1001 = agent_id(&server, "1001");
    let mut user = api.get(&format!("/api/users/{id_1001}")).json();
    let profiles = user["profiles"].as_array_mut().unwrap();
    profiles.push(json!(sees_sales));
    let body = json!({
        "username": "1001", "first_name": user["first_name"], "last_name": user["last_name"],
        "password": agent.password, "projects": user["projects"], "profiles": user["profiles"],
        "queues": user["queues"],
    });
    let reply = api.put(&format!("/api/users/{id_1001}"), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // 1003 serves Sales from a desk phone; 1002 is of the project, not working.
    browser_agent(&server, &api, "1002");
    browser_agent(&server, &api, "1003");
    let assigned = api.put(
        &format!("/api/queues/{sales}/agents"),
        &json!([{"user_id": agent_id(&server, "1003"), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    std::thread::sleep(Duration::from_millis(500));
    let _sales_phone = Phones::start(&server, &["1003"], "agent_hangup.xml");

    let mut browser = Browser::start(
        &server,
        "transfer.mjs",
        &[&agent],
        json!({"queue": sales, "refused": "1002", "code": wrapup.done}),
    );
    browser.expect("ready", MINUTE);
    // 1001's desk phone rings with the browser and answers.
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let caller = call_in_background(
        &server,
        "queue_caller_waits.xml",
        vec!["-recv_timeout".into(), "90s".into()],
    );
    let targets = browser.expect("targets", MINUTE);
    let queues: Vec<&str> = targets["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["target"].as_str().unwrap())
        .collect();
    assert_eq!(queues, ["601"], "only the queue 1001 may see: {targets}");
    let agents = targets["agents"].as_array().unwrap();
    let of = |ext: &str| {
        agents
            .iter()
            .find(|a| a["target"] == ext)
            .unwrap_or_else(|| panic!("{ext} not listed: {targets}"))
            .clone()
    };
    assert_eq!(of("1003")["free"], true, "{targets}");
    assert!(
        of("1003")["text"].as_str().unwrap().contains("free now"),
        "{targets}"
    );
    assert_eq!(of("1002")["free"], false, "{targets}");
    assert!(!agents.iter().any(|a| a["target"] == "1001"), "{targets}");
    let refused = browser.expect("refused", MINUTE);
    assert_eq!(
        refused["reason"], "Not transferred: 1002 cannot take the call now.",
        "{refused}"
    );
    let after = browser.expect("after-call-work", MINUTE);
    assert_eq!(
        after["notice"], "The caller was transferred to Sales.",
        "{after}"
    );
    assert_eq!(after["callShown"], false, "{after}");
    browser.finish(MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);

    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "{records:#?}");
    let first = &records[0].record;
    assert_eq!(first.agent.map(|a| a.0), Some(id_1001));
    assert_eq!(first.transfer_type, Some(TransferType::Blind), "{first:#?}");
    assert_eq!(
        first.transfer_target.as_deref(),
        Some(format!("queue-{sales}").as_str())
    );
    let second = &records[1].record;
    assert_eq!(second.queue.map(|q| q.0 as i64), Some(sales));
    assert_eq!(second.agent.map(|a| a.0), Some(agent_id(&server, "1003")));
    assert_eq!(
        second.disposition,
        Some(Disposition::Answered),
        "{second:#?}"
    );
    assert_eq!(second.remote_number, first.remote_number);
    let result = wrapup_of(&server, &records[0]);
    assert_eq!(result.code, Some(wrapup.done), "{result:?}");
}

/// A wrong password is refused on the login form.
/// (i) The callbacks waiting in the agent's queues are listed in the panel.
#[test]
fn the_panel_lists_a_callback_the_caller_asked_for() {
    let (server, api) = demo("");
    let lunch = api.post(
        "/api/statuses",
        &json!({"category": "break", "name": "Lunch", "agent_changeable": true}),
    );
    assert_eq!(lunch.status, 201, "{}", lunch.body);
    let agent = browser_agent(&server, &api, "1001");
    let mut browser = Browser::start(
        &server,
        "callbacks.mjs",
        &[&agent],
        json!({"break": "Lunch"}),
    );
    browser.expect("ready", MINUTE);
    let run = call(&server, "queue_caller_dtmf.xml", DID, &["-d", "1500"]);
    assert!(run.success, "{}", run.output);
    let listed = browser.expect("listed", MINUTE);
    let text = listed["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("+15551") && text.contains("Support"),
        "{listed}"
    );
    assert_eq!(listed["state"], "waiting", "{listed}");
    assert_eq!(listed["noneShown"], false, "{listed}");
    browser.finish(MINUTE);
}

#[test]
fn the_panel_refuses_a_wrong_password() {
    let (server, api) = demo("");
    let agent = browser_agent(&server, &api, "1001");
    let mut browser = Browser::start(&server, "login_refused.mjs", &[&agent], json!({}));
    let refused = browser.expect("refused", MINUTE);
    assert_eq!(
        refused["message"], "Wrong user name or password.",
        "{refused}"
    );
    browser.finish(MINUTE);
}

/// The panel's files come from the binary with their types and cache rules.
#[test]
fn the_panel_is_served_with_its_types_and_cache_rules() {
    use common::http::request_with;
    let (server, _api) = demo("");
    let get = |path: &str, headers: &[(&str, &str)]| {
        request_with(server.http, "GET", path, headers, "text/plain", None)
    };
    let redirect = get("/agent", &[]);
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/agent/"));
    let page = get("/agent/", &[]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body.contains("panel.js"), "{}", page.body);
    // The login form and the strip of links come from /shared/, as on every page.
    assert!(page.body.contains("/shared/nav.css"), "{}", page.body);
    assert!(get("/shared/page.js", &[]).body.contains("login-form"));
    assert!(page
        .header("content-security-policy")
        .is_some_and(|c| c.contains("script-src 'self'")));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    for (path, kind) in [
        ("/agent/panel.js", "text/javascript; charset=utf-8"),
        ("/agent/phone.js", "text/javascript; charset=utf-8"),
        ("/agent/panel.css", "text/css; charset=utf-8"),
        ("/agent/vendor/jssip.js", "text/javascript; charset=utf-8"),
        ("/shared/page.js", "text/javascript; charset=utf-8"),
        ("/shared/nav.js", "text/javascript; charset=utf-8"),
        ("/shared/nav.css", "text/css; charset=utf-8"),
    ] {
        let reply = get(path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(kind), "{path}");
        let etag = reply.header("etag").expect("an ETag").to_owned();
        let again = get(path, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{path} unchanged");
        assert!(again.body.is_empty());
    }
    assert_eq!(get("/agent/nothing.js", &[]).status, 404);
}

/// Another softphone than our panel, against a server with default settings
/// (MD5 digest alone): SIP.js 0.21 registers over `/sip` with the
/// extension's plain password, takes a queue call (an INVITE without SDP,
/// its offer in the 200 and our answer in the ACK), talks both ways and
/// hangs up; the record is answered by that agent, who ended the call.
#[test]
fn sip_js_registers_with_default_settings_and_takes_a_queue_call() {
    // The softphone's page comes from another origin, which the server must
    // allow for its WebSocket.
    let page_port = common::free_port();
    let (server, _api) = demo(&format!(
        "[http]\nlisten = \"127.0.0.1:0\"\nallowed_origins = [\"http://127.0.0.1:{page_port}\"]\n"
    ));
    require_browser_tools();
    assert!(
        Path::new(MANIFEST).join("web/node_modules/sip.js").exists(),
        "this test needs SIP.js: run `npm ci` in web/ (tools/test does)"
    );
    let mut browser = Browser::start(
        &server,
        "sipjs.mjs",
        &[],
        json!({"ws": format!("ws://{}/sip", server.http), "domain": "switchboard.local",
               "user": "1001", "password": "pw-1001", "page_port": page_port}),
    );
    browser.expect("registered", MINUTE);
    let audio = CallerAudio::start();
    let caller = call_in_background(
        &server,
        "queue_caller_rtp_waits.xml",
        vec![
            "-recv_timeout".into(),
            "120s".into(),
            "-key".into(),
            "rtp_port".into(),
            audio.port.to_string(),
        ],
    );
    let offer = browser.expect("offered", MINUTE);
    assert_eq!(offer["queue"], "Support", "{offer}");
    assert!(
        offer["caller"].as_str().unwrap_or("").starts_with("+1555"),
        "{offer}"
    );
    assert_eq!(offer["sdpInInvite"], false, "{offer}");
    let connected = browser.expect("connected", MINUTE);
    assert_eq!(
        (&connected["local"], &connected["remote"]),
        (&json!("offer"), &json!("answer")),
        "SIP.js offered in its 200 and took the answer from the ACK: {connected}"
    );
    let at_answer = audio.received();
    browser.expect("audio", MINUTE);
    let from_browser = audio.received() - at_answer;
    assert!(
        from_browser > 50,
        "the caller received {from_browser} RTP packets after SIP.js answered"
    );
    browser.tell("hangup");
    browser.expect("hung-up", MINUTE);
    browser.finish(MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);

    let r = the_record(&server).record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent), "{r:#?}");
}

// ------------------------------------------------------------------ calling out

/// The carrier's side of a trunk: SIPp on 127.0.0.2:5060 answering one call
/// (tests/sipp/agent_answer.xml: 180, 200, audio, waits for the BYE).
struct Carrier {
    child: Child,
    trace: PathBuf,
}

impl Carrier {
    fn start(server: &TestServer) -> Carrier {
        let dir = Path::new(MANIFEST).join("tests/sipp");
        let trace = server.dir.path().join("carrier-messages.log");
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(dir.join("agent_answer.xml"))
            .args(["-i", "127.0.0.2", "-p", "5060", "-m", "1", "-nostdin"])
            .args(["-mp", &(common::free_port() & !1).to_string()])
            .args(["-timeout", "90s", "-trace_msg", "-message_file"])
            .arg(&trace)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("running sipp");
        std::thread::sleep(Duration::from_millis(300));
        Carrier { child, trace }
    }

    fn messages(&self) -> String {
        std::fs::read_to_string(&self.trace).unwrap_or_default()
    }

    /// Waits for SIPp to have handled its one call.
    fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        self.child.wait_timeout_ms(within.as_millis() as u64)
    }
}

impl Drop for Carrier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A trunk to the carrier at 127.0.0.2 and a route for every number of the
/// demo project through it; `user` may use it.
fn carrier_route(api: &Api, user: u64) {
    let project = demo_queue(api)["project_id"].as_i64().unwrap();
    let trunk = created(api.post(
        "/api/trunks",
        &json!({"name": "Carrier", "addresses": ["127.0.0.2"]}),
    ));
    created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": project, "name": "Everything", "pattern": "_X.",
                "trunk_id": trunk["id"], "caller_id": "+15550100"}),
    ));
    let profile = created(api.post(
        "/api/profiles",
        &json!({"name": "Calls out", "permissions": ["other.outbound_calls", "dial_plan.route.all"]}),
    ));
    let mut u = api.get(&format!("/api/users/{user}")).json();
    u["profiles"]
        .as_array_mut()
        .unwrap()
        .push(profile["id"].clone());
    u["password"] = json!("panel-1001-secret");
    let put = api.put(&format!("/api/users/{user}"), &u);
    assert_eq!(put.status, 200, "{}", put.body);
    // The routing snapshot follows the change.
    std::thread::sleep(Duration::from_millis(500));
}

/// (g) The agent dials a number on the panel's dial pad: the browser's
/// WebRTC call goes out through the trunk, audio flows both ways, and the
/// record is an outbound call of theirs.
#[test]
fn an_agent_calls_out_from_the_dial_pad_in_the_browser() {
    let (server, api) = demo("");
    let agent = browser_agent(&server, &api, "1001");
    carrier_route(&api, agent_id(&server, "1001"));
    let mut carrier = Carrier::start(&server);
    let mut browser = Browser::start(&server, "dial.mjs", &[&agent], json!({"number": "5550123"}));
    browser.expect("ready", MINUTE);
    browser.expect("calling", MINUTE);
    let connected = browser.expect("connected", MINUTE);
    assert_eq!(connected["shown"], "5550123", "{connected}");
    browser.expect("audio", MINUTE);
    browser.expect("hung-up", MINUTE);
    browser.finish(MINUTE);
    let status = carrier.wait(MINUTE);
    let messages = carrier.messages();
    assert!(
        status.is_some_and(|s| s.success()),
        "the carrier's call: {messages}"
    );
    assert!(
        messages.contains("INVITE sip:5550123@127.0.0.2:5060"),
        "{messages}"
    );

    let r = the_record(&server).record;
    assert_eq!(r.direction, switchboard::cdr::Direction::Outbound, "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.remote_number, "5550123");
    assert_eq!(r.local_number, "+15550100");
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent), "{r:#?}");
}

// ------------------------------------------------------------------ recordings

/// (h) The recordings page lists a recorded call for a user who may play
/// recordings; playing it in the page loads the WAV, and the listen is in
/// the log.
#[test]
fn the_recordings_page_plays_a_recording_and_the_listen_is_logged() {
    let (server, api) = demo("");
    let queue = change_demo_queue(&api, json!({"recording": "always"}));
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    std::thread::sleep(Duration::from_millis(500));
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "3000".into()],
    );
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    let r = the_record(&server).record;
    assert!(r.recording_file.is_some(), "{r:#?}");
    let id = r.interaction_id.0;

    let listener = common::users::make_profile(
        &api,
        "Listener",
        &["other.recordings".into(), format!("queue.{}", queue["id"])],
    );
    common::users::make_user(
        &api,
        "ann",
        "ann-listens-123",
        json!({"profiles": [listener]}),
    );
    let ann = Agent {
        login: "ann".into(),
        password: "ann-listens-123".into(),
    };
    let mut browser = Browser::start(
        &server,
        "recordings.mjs",
        &[&ann],
        json!({"interaction": id}),
    );
    let listed = browser.expect("listed", MINUTE);
    let cells = listed["cells"].as_array().unwrap();
    assert_eq!(cells[1], "Support", "the queue: {listed}");
    assert!(
        !cells[2].as_str().unwrap().is_empty(),
        "the agent: {listed}"
    );
    assert!(
        cells[3].as_str().unwrap().starts_with("+1555"),
        "the caller: {listed}"
    );
    assert_eq!(listed["info"], "1–1 of 1", "{listed}");
    let played = browser.expect("played", MINUTE);
    assert!(played["duration"].as_f64() > Some(1.0), "{played}");
    let download = browser.expect("download", MINUTE);
    assert_eq!(
        download["href"],
        format!("/api/interactions/{id}/recording"),
        "{download}"
    );
    browser.finish(MINUTE);

    let log = api
        .get(&format!("/api/recording-listens?interaction={id}"))
        .json();
    let who: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    assert!(!who.is_empty() && who.iter().all(|w| *w == "ann"), "{log}");
}

// ------------------------------------------------------------------ supervisor

/// (i) The supervisor panel follows a desk-phone agent live: Available, In
/// call with the caller's number once answered (calls today goes up), put on
/// a break status by the supervisor (which the agent's own view shows), and
/// gone from the list once the supervisor logs them out.
#[test]
fn the_supervisor_panel_follows_an_agent_and_changes_them() {
    let (server, api) = demo("");
    let queue = demo_queue(&api);
    let agent = browser_agent(&server, &api, "1001");
    let lunch = created(api.post(
        "/api/statuses",
        &json!({"category": "break", "name": "Lunch", "agent_changeable": true, "active": true}),
    ))["id"]
        .clone();
    let grant =
        common::users::make_profile(&api, "Sales floor", &[format!("queue.{}", queue["id"])]);
    common::users::make_user(
        &api,
        "sue",
        "sue-watches-123",
        json!({"profiles": [profile_id(&api, "Supervisor"), grant],
               "projects": [queue["project_id"]]}),
    );
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let id = agent_id(&server, "1001");
    let sue = Agent {
        login: "sue".into(),
        password: "sue-watches-123".into(),
    };
    let mut browser = Browser::start(
        &server,
        "supervisor.mjs",
        &[&sue],
        json!({"agent": id, "status": "Lunch"}),
    );
    let listed = browser.expect("listed", MINUTE);
    assert_eq!(listed["calls"], "0", "{listed}");

    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "6000".into()],
    );
    let in_call = browser.expect("in_call", MINUTE);
    assert!(
        in_call["call"].as_str().unwrap().contains("+1555"),
        "the caller's number: {in_call}"
    );
    assert_eq!(in_call["calls"], "1", "{in_call}");
    assert_eq!(in_call["monitor"], 3, "listen, whisper, barge: {in_call}");
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    let over = browser.expect("call_over", MINUTE);
    assert_eq!(over["calls"], "1", "{over}");

    browser.expect("on_break", MINUTE);
    let own = common::users::as_user(
        &server,
        &common::users::token(&server, &agent.login, &agent.password, None),
    );
    let me = own.get("/api/agent/me").json();
    assert_eq!(me["session"]["status"]["id"], lunch, "{me}");
    assert_eq!(me["session"]["presence"], "break", "{me}");
    browser.tell("checked");

    browser.expect("removed", MINUTE);
    browser.finish(MINUTE);
    let me = own.get("/api/agent/me").json();
    assert!(me["session"].is_null(), "logged out: {me}");
}

// ------------------------------------------------------------------ wallboard

/// (w) The wallboard page follows the demo queue live: a waiting caller, the
/// caller's abandon, then a call an agent's phone answers.
#[test]
fn the_wallboard_shows_waiting_abandoned_and_answered_calls_as_they_happen() {
    let (server, api) = demo("");
    let queue = demo_queue(&api)["id"].as_i64().unwrap();
    let supervisor = common::users::make_profile(
        &api,
        "Wallboard",
        &["menu.supervisor_panel".into(), "queue.all".into()],
    );
    common::users::make_user(
        &api,
        "sam",
        "sam-supervises-123",
        json!({"profiles": [supervisor]}),
    );
    let sam = Agent {
        login: "sam".into(),
        password: "sam-supervises-123".into(),
    };
    let mut browser = Browser::start(&server, "wallboard.mjs", &[&sam], json!({"queue": queue}));
    let ready = browser.expect("ready", MINUTE);
    assert_eq!(
        (&ready["waiting"], &ready["answered"], &ready["abandoned"]),
        (&json!("0"), &json!("0"), &json!("0")),
        "{ready}"
    );

    // Nobody works: the caller waits, then hangs up.
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "4000".into()],
    );
    browser.expect("waiting", MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    browser.expect("abandoned", MINUTE);

    // A desk phone answers the next caller.
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let caller = call_in_background(
        &server,
        "queue_caller.xml",
        vec!["-d".into(), "1500".into()],
    );
    browser.expect("answered", MINUTE);
    let run = caller.join().unwrap();
    assert!(run.success && run.successful_calls == 1, "{}", run.output);
    // One of two within the service level; the answered call's lengths.
    let completed = browser.expect("completed", MINUTE);
    assert_ne!(completed["asa"], "–", "{completed}");
    assert_ne!(completed["aht"], "–", "{completed}");
    browser.finish(MINUTE);
}

#[test]
fn the_reports_page_shows_the_days_figures_and_downloads_the_csv() {
    let (server, api) = demo("[calls]\nshort_abandon_secs = 1\n");
    let queue = demo_queue(&api);
    // One caller abandons, then one is answered.
    let run = call(&server, "queue_caller.xml", DID, &["-d", "2000"]);
    assert!(run.success, "{}", run.output);
    let _desk = Phones::start(&server, &["1001"], "agent_answer.xml");
    let run = call(&server, "queue_caller.xml", DID, &["-d", "1500"]);
    assert!(run.success, "{}", run.output);
    let records = completed_records(&server, 2);
    let answered = records
        .iter()
        .find(|r| r.record.disposition == Some(Disposition::Answered))
        .expect("an answered record");
    let id = answered.record.interaction_id.0;

    let reporter = common::users::make_profile(
        &api,
        "Reporter",
        &[
            "menu.reports".into(),
            "report.queues".into(),
            "report.agents".into(),
            format!("queue.{}", queue["id"]),
        ],
    );
    common::users::make_user(
        &api,
        "rita",
        "rita-reports-123",
        json!({"profiles": [reporter]}),
    );
    let rita = Agent {
        login: "rita".into(),
        password: "rita-reports-123".into(),
    };
    let mut browser = Browser::start(&server, "reports.mjs", &[&rita], json!({"interaction": id}));
    let figures = browser.expect("figures", MINUTE);
    let totals = figures["totals"].as_array().unwrap();
    // Interval, offered, answered, abandoned, short abandons, ...
    assert_eq!(totals[0], "Total", "{figures}");
    assert_eq!(totals[1], "2", "offered: {figures}");
    assert_eq!(totals[2], "1", "answered: {figures}");
    assert_eq!(totals[3], "1", "abandoned: {figures}");
    assert_eq!(totals[7], "50.0 %", "service level: {figures}");
    assert!(figures["bars"].as_u64().unwrap() > 0, "{figures}");
    assert_eq!(figures["slLine"], 1, "{figures}");
    let listed = browser.expect("listed", MINUTE);
    let cells = listed["cells"].as_array().unwrap();
    assert_eq!(cells[1], "Support", "{listed}");
    assert!(cells[3].as_str().unwrap().starts_with("+1555"), "{listed}");
    assert_eq!(cells[4], "answered", "{listed}");
    assert_eq!(listed["info"], "1–2 of 2", "{listed}");
    let csv = browser.expect("csv", MINUTE);
    let lines = csv["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "a header and two records: {csv}");
    assert!(
        lines[0].as_str().unwrap().starts_with("InteractionID,"),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.as_str().unwrap().starts_with(&format!("{id},"))),
        "{csv}"
    );
    browser.expect("saved", MINUTE);
    browser.finish(MINUTE);
    let rita_token = common::users::token(&server, "rita", "rita-reports-123", None);
    let saved = common::users::as_user(&server, &rita_token)
        .get("/api/reports/filter")
        .json();
    assert_eq!(saved["caller"], "+1555", "{saved}");
}
