//! Listen, whisper and barge end to end: a SIPp caller sending a 440 Hz tone,
//! the agent on baresip sending 1 kHz, and the supervisor on a second
//! baresip sending 1.6 kHz, joined to the live queue call through
//! `/api/supervisor/calls/{call}/monitor`. What each side heard is measured
//! by the tone in each 20 ms frame: the caller's as it arrives, the phones'
//! from their dumps once each call is over.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::calls::{
    change_demo_queue, completed_records, demo, demo_queue, tone_frames, tone_share_frames,
    CallerAudio, CALLER_TONE_HZ, DID,
};
use common::http::{assert_problem, Api};
use common::phone::{wait_for, Baresip, PHONE_TONE_HZ};
use common::users::{as_user, id, make_profile, profile_id, token};
use common::{Sipp, TestServer};
use serde_json::{json, Value};

const SUPERVISOR_TONE_HZ: f64 = 1600.0;
/// A frame "has" a tone when it carries over a fifth of the frame's energy:
/// two equal tones mixed give each about half.
const SHARE: f64 = 0.2;

/// Puts the user of extension `username` in the demo project with
/// `profiles` and no queue to serve; a client logged in as them.
fn user(server: &TestServer, admin: &Api, username: &str, profiles: &[i64]) -> Api {
    let project = demo_queue(admin)["project_id"].clone();
    let users = admin.get("/api/users").json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()
        .clone();
    let password = format!("secret-{username}");
    let reply = admin.put(
        &format!("/api/users/{}", id(&user)),
        &json!({"username": username, "first_name": "Grace", "last_name": "Hopper",
                "password": password, "profiles": profiles, "projects": [project],
                "queues": []}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    as_user(server, &token(server, username, &password, None))
}

/// Extension 1001 as the demo queue's agent, with a panel login.
fn agent(server: &TestServer, admin: &Api) -> Api {
    // No after-call work: the next call is offered at once.
    let queue = change_demo_queue(admin, json!({"after_call_work_secs": 0}));
    let users = admin.get("/api/users").json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .unwrap()
        .clone();
    let reply = admin.put(
        &format!("/api/users/{}", id(&user)),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [profile_id(admin, "Agent")],
                "projects": [queue["project_id"]], "queues": [queue["id"]]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    as_user(server, &token(server, "1001", "secret-1001", None))
}

/// A caller of `secs` seconds from SIPp, its audio on `port`.
fn caller(server: &TestServer, port: u16, secs: u32, n: usize) -> std::thread::JoinHandle<Sipp> {
    let udp: SocketAddr = server.udp;
    let inf = server.dir.path().join(format!("caller-{n}.csv"));
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    std::thread::spawn(move || {
        let ms = (secs * 1000).to_string();
        let port = port.to_string();
        let args = ["-s", DID, "-m", "1", "-d", &ms, "-key", "rtp_port", &port];
        common::sipp("queue_caller_rtp.xml", udp, Path::new(&inf), &args)
    })
}

/// The agent's connected call, once the panel shows it.
fn connected_call(me: &Api, phone: &Baresip) -> u64 {
    let mut call = None;
    wait_for(
        "the agent was never connected",
        Duration::from_secs(30),
        || {
            let state = me.get("/api/agent/me").json();
            call = state["session"]["call"]["id"].as_u64();
            call.is_some() && state["session"]["presence"] == "in_call"
        },
        || phone.log(),
    );
    call.unwrap()
}

/// Waits for the call's monitor to be in `state`; the monitor.
fn monitor_state(api: &Api, call: u64, state: &str) -> Value {
    let path = format!("/api/supervisor/calls/{call}/monitor");
    let last = std::cell::RefCell::new(Value::Null);
    wait_for(
        &format!("the monitor never became {state}"),
        Duration::from_secs(20),
        || {
            *last.borrow_mut() = api.get(&path).json();
            last.borrow()["state"] == state
        },
        || last.borrow().to_string(),
    );
    last.into_inner()
}

const MONITOR: &str = "/api/supervisor/calls/{call}/monitor";

/// Fails unless `reply` is what the OpenAPI document says `method` on the
/// monitor path answers.
fn conforms(api: &Api, method: &str, reply: &common::http::Reply) {
    let doc = api.get("/api/openapi.json").json();
    let failures = common::http::conformance(&doc, method, MONITOR, reply);
    assert!(
        failures.is_empty(),
        "{method}: {failures:?}\n{}",
        reply.body
    );
}

struct Heard {
    caller: Vec<i16>,
    agent: Vec<i16>,
    supervisor: Vec<i16>,
}

struct Phones {
    agent: Baresip,
    supervisor: Baresip,
}

/// One queue call monitored from its start in `mode`, after `then` (given
/// the call id) has run; what each side heard while it lasted.
fn monitored_call(
    server: &TestServer,
    me: &Api,
    sup: &Api,
    phones: &Phones,
    n: usize,
    mode: &str,
    then: impl FnOnce(u64),
) -> Heard {
    let audio = CallerAudio::start();
    let run = caller(server, audio.port, 9, n);
    let call = connected_call(me, &phones.agent);
    let path = format!("/api/supervisor/calls/{call}/monitor");
    let reply = sup.post(&path, &json!({"mode": mode}));
    assert_eq!(reply.status, 202, "{}", reply.body);
    conforms(sup, "POST", &reply);
    let started = reply.json();
    assert_eq!(
        (
            &started["state"],
            &started["mode"],
            started["call_id"].as_u64()
        ),
        (&json!("ringing"), &json!(mode), Some(call))
    );
    let active = monitor_state(sup, call, "active");
    assert_eq!(active["id"], started["id"]);
    // Only one monitor at a time, for the call and for the supervisor.
    assert_problem(&sup.post(&path, &json!({"mode": "listen"})), 409);
    then(call);
    let sipp = run.join().unwrap();
    assert!(sipp.success, "the caller: {}", sipp.output);
    // The call's end hangs up both phones.
    for (who, phone) in [("agent", &phones.agent), ("supervisor", &phones.supervisor)] {
        wait_for(
            &format!("the {who}'s call {n} did not end"),
            Duration::from_secs(15),
            || phone.calls_ended() >= n,
            || phone.log(),
        );
    }
    Heard {
        caller: audio.samples(),
        agent: phones.agent.latest_dump("-dec.wav"),
        supervisor: phones.supervisor.latest_dump("-dec.wav"),
    }
}

#[test]
fn a_supervisor_listens_whispers_and_barges_from_their_own_phone() {
    let (server, admin) = demo("");
    let me = agent(&server, &admin);
    let monitoring = make_profile(
        &admin,
        "Monitoring",
        &[
            "menu.supervisor_panel".into(),
            "other.listen".into(),
            "other.whisper".into(),
            "other.barge".into(),
            "queue.all".into(),
        ],
    );
    let sup = user(&server, &admin, "1003", &[monitoring]);
    let phones = Phones {
        agent: Baresip::start_in(&server, "agent", "1001", "pw-1001", PHONE_TONE_HZ),
        supervisor: Baresip::start_in(&server, "supervisor", "1003", "pw-1003", SUPERVISOR_TONE_HZ),
    };
    wait_for(
        "the phones did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 2,
        || format!("{}\n{}", phones.agent.log(), phones.supervisor.log()),
    );
    std::thread::sleep(Duration::from_millis(500));

    // Listen: the supervisor hears both; nobody hears the supervisor.
    // Stopping ends the monitor only: the caller and agent still talk.
    let heard = monitored_call(&server, &me, &sup, &phones, 1, "listen", |call| {
        std::thread::sleep(Duration::from_secs(4));
        let path = format!("/api/supervisor/calls/{call}/monitor");
        let reply = sup.delete(&path);
        assert_eq!(reply.status, 204, "{}", reply.body);
        conforms(&sup, "DELETE", &reply);
        let reply = sup.get(&path);
        conforms(&sup, "GET", &reply);
        assert_eq!(reply.json()["state"], "ended");
        wait_for(
            "stopping did not hang up the supervisor",
            Duration::from_secs(10),
            || phones.supervisor.calls_ended() >= 1,
            || phones.supervisor.log(),
        );
        assert_eq!(phones.agent.calls_ended(), 0);
    });
    let sup_caller = tone_share_frames(&heard.supervisor, CALLER_TONE_HZ, SHARE);
    let sup_agent = tone_share_frames(&heard.supervisor, PHONE_TONE_HZ, SHARE);
    eprintln!(
        "listen: supervisor heard caller {sup_caller} / agent {sup_agent} frames; \
         supervisor's tone heard by caller {} / agent {}",
        tone_share_frames(&heard.caller, SUPERVISOR_TONE_HZ, SHARE),
        tone_share_frames(&heard.agent, SUPERVISOR_TONE_HZ, SHARE),
    );
    assert!(
        sup_caller >= 100 && sup_agent >= 100,
        "listen: the supervisor heard the caller in {sup_caller} frames, the agent in {sup_agent}"
    );
    assert_eq!(
        tone_share_frames(&heard.caller, SUPERVISOR_TONE_HZ, SHARE),
        0
    );
    assert_eq!(
        tone_share_frames(&heard.agent, SUPERVISOR_TONE_HZ, SHARE),
        0
    );
    // Caller and agent heard each other throughout, the stop included:
    // about eight seconds of talk.
    let caller_agent = tone_frames(&heard.caller, PHONE_TONE_HZ);
    let agent_caller = tone_frames(&heard.agent, CALLER_TONE_HZ);
    assert!(
        caller_agent >= 300 && agent_caller >= 300,
        "listen: the caller heard the agent in {caller_agent} frames, the agent the caller in {agent_caller}"
    );

    // Whisper, by changing the mode of a listening monitor (no new ring):
    // the agent hears the supervisor, the caller does not.
    let heard = monitored_call(&server, &me, &sup, &phones, 2, "listen", |call| {
        let path = format!("/api/supervisor/calls/{call}/monitor");
        let reply = sup.put(&path, &json!({"mode": "whisper"}));
        assert_eq!(reply.status, 200, "{}", reply.body);
        conforms(&sup, "PUT", &reply);
        assert_eq!(reply.json()["mode"], "whisper");
        assert_eq!(reply.json()["state"], "active");
    });
    let agent_sup = tone_share_frames(&heard.agent, SUPERVISOR_TONE_HZ, SHARE);
    let agent_caller = tone_share_frames(&heard.agent, CALLER_TONE_HZ, SHARE);
    eprintln!(
        "whisper: agent heard supervisor {agent_sup} / caller {agent_caller} frames; \
         caller heard supervisor {} frames",
        tone_share_frames(&heard.caller, SUPERVISOR_TONE_HZ, SHARE),
    );
    assert!(
        agent_sup >= 100 && agent_caller >= 100,
        "whisper: the agent heard the supervisor in {agent_sup} frames, the caller in {agent_caller}"
    );
    assert_eq!(
        tone_share_frames(&heard.caller, SUPERVISOR_TONE_HZ, SHARE),
        0
    );
    assert!(tone_share_frames(&heard.caller, PHONE_TONE_HZ, SHARE) >= 100);
    assert!(tone_share_frames(&heard.supervisor, CALLER_TONE_HZ, SHARE) >= 100);
    // One INVITE to each phone per call: the mode change rang nobody.
    assert_eq!(server.metric("switchboard_call_agent_invites_total"), 4);
    assert_eq!(server.metric("switchboard_call_monitors_started_total"), 2);

    // Barge: everybody hears the other two; the recording keeps only the
    // caller and the agent.
    change_demo_queue(&admin, json!({"recording": "always"}));
    let heard = monitored_call(&server, &me, &sup, &phones, 3, "barge", |_| {});
    for (who, samples) in [("caller", &heard.caller), ("agent", &heard.agent)] {
        let frames = tone_share_frames(samples, SUPERVISOR_TONE_HZ, SHARE);
        eprintln!("barge: the {who} heard the supervisor in {frames} frames");
        assert!(
            frames >= 100,
            "barge: the {who} heard the supervisor in {frames} frames"
        );
    }
    assert!(tone_share_frames(&heard.caller, PHONE_TONE_HZ, SHARE) >= 100);
    assert!(tone_share_frames(&heard.agent, CALLER_TONE_HZ, SHARE) >= 100);
    let records = completed_records(&server, 3);
    let file = records
        .iter()
        .find_map(|r| r.record.recording_file.clone())
        .expect("the barged call was recorded");
    wait_for(
        "the recording was not completed",
        Duration::from_secs(10),
        || server.metric("switchboard_media_recording_files_total") >= 1,
        || common::http_get(server.http, "/metrics"),
    );
    let samples: Vec<i16> = hound::WavReader::open(&file)
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert!(tone_frames(&left, CALLER_TONE_HZ) >= 100);
    assert!(tone_frames(&right, PHONE_TONE_HZ) >= 100);
    assert_eq!(tone_share_frames(&left, SUPERVISOR_TONE_HZ, SHARE), 0);
    assert_eq!(tone_share_frames(&right, SUPERVISOR_TONE_HZ, SHARE), 0);

    assert_eq!(server.metric("switchboard_call_monitors_started_total"), 3);
    assert_eq!(server.metric("switchboard_call_monitors_failed_total"), 0);
    assert!(server.metric("switchboard_media_mixed_frames_total") >= 3 * 100);
}

#[test]
fn monitoring_is_refused_clearly_and_a_busy_phone_is_reported() {
    let (server, admin) = demo("");
    let me = agent(&server, &admin);
    let listen_only = make_profile(
        &admin,
        "Listen everywhere",
        &[
            "menu.supervisor_panel".into(),
            "other.listen".into(),
            "queue.all".into(),
        ],
    );
    let no_queues = make_profile(
        &admin,
        "Listen nowhere",
        &["menu.supervisor_panel".into(), "other.listen".into()],
    );
    let busy = user(&server, &admin, "1002", &[listen_only]);
    let nowhere = user(&server, &admin, "1003", &[no_queues]);
    let phone = Baresip::start_in(&server, "agent", "1001", "pw-1001", PHONE_TONE_HZ);
    wait_for(
        "the agent's phone did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 1,
        || phone.log(),
    );
    std::thread::sleep(Duration::from_millis(500));

    // No such call.
    let unknown = "/api/supervisor/calls/4242/monitor";
    assert_problem(&busy.post(unknown, &json!({"mode": "listen"})), 404);
    assert_problem(&busy.get(unknown), 404);
    assert_problem(&busy.delete(unknown), 404);

    let audio = CallerAudio::start();
    let run = caller(&server, audio.port, 8, 1);
    let call = connected_call(&me, &phone);
    let path = format!("/api/supervisor/calls/{call}/monitor");
    // A mode that is none, a mode without its permission, a queue outside
    // the user's queues, no registered phone.
    let reply = busy.post(&path, &json!({"mode": "shout"}));
    conforms(&busy, "POST", &reply);
    let p = assert_problem(&reply, 422);
    assert!(p.to_string().contains("mode"), "{p}");
    assert_problem(&busy.post(&path, &json!({"mode": "barge"})), 403);
    let reply = nowhere.post(&path, &json!({"mode": "listen"}));
    conforms(&nowhere, "POST", &reply);
    let p = assert_problem(&reply, 403);
    assert!(p.to_string().contains("queues"), "{p}");
    let reply = busy.post(&path, &json!({"mode": "listen"}));
    conforms(&busy, "POST", &reply);
    let p = assert_problem(&reply, 409);
    assert!(p.to_string().contains("phone"), "{p}");
    assert_problem(&admin.post(&path, &json!({"mode": "listen"})), 409);

    // A phone that answers busy: the monitor fails with its 486.
    let phones = common::calls::Phones::start(&server, &["1002"], "agent_busy.xml");
    wait_for(
        "the busy phone did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 2,
        String::new,
    );
    let reply = busy.post(&path, &json!({"mode": "listen"}));
    assert_eq!(reply.status, 202, "{}", reply.body);
    let failed = monitor_state(&busy, call, "failed");
    assert_eq!(failed["status"], 486, "{failed}");
    let reply = busy.put(&path, &json!({"mode": "listen"}));
    conforms(&busy, "PUT", &reply);
    assert_problem(&reply, 409);
    assert_eq!(server.metric("switchboard_call_monitors_failed_total"), 1);
    drop(phones);

    let sipp = run.join().unwrap();
    assert!(sipp.success, "the caller: {}", sipp.output);
    wait_for(
        "the call did not end",
        Duration::from_secs(15),
        || phone.calls_ended() >= 1,
        || phone.log(),
    );
    // Once the call is over, it is not found.
    assert_problem(&busy.post(&path, &json!({"mode": "listen"})), 404);
}
