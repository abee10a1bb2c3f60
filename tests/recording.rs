//! Call recording end to end: the demo queue set to `recording: always`
//! through the admin API, a SIPp caller sending a 440 Hz tone from the test
//! and baresip answering as the agent with its 1 kHz tone. The WAV named by
//! the record's RecordingFile holds the caller on the left and the agent on
//! the right; the admin downloads it, a user with the permission and the
//! queue does too, one without the permission is refused (403) and one
//! without the queue finds nothing (404); every download is in the listening
//! log. A call of the queue once set back to `never` has no recording (404).

mod common;

use std::time::Duration;

use common::calls::{
    call, change_demo_queue, completed_records, demo, tone_frames, CallerAudio, CALLER_TONE_HZ, DID,
};
use common::http::{assert_problem, Api};
use common::phone::{wait_for, Baresip, PHONE_TONE_HZ};
use common::users::{as_user, make_profile, make_user, token};
use serde_json::json;
use switchboard::cdr::Disposition;

fn queued_call(server: &common::TestServer, secs: u32) {
    let audio = CallerAudio::start();
    let run = call(
        server,
        "queue_caller_rtp.xml",
        DID,
        &[
            "-d",
            &(secs * 1000).to_string(),
            "-key",
            "rtp_port",
            &audio.port.to_string(),
        ],
    );
    assert!(run.success, "the caller: {}", run.output);
}

fn channel(samples: &[i16], ch: usize) -> Vec<i16> {
    samples.iter().skip(ch).step_by(2).copied().collect()
}

#[test]
fn an_always_recorded_queue_call_has_both_sides_in_one_stereo_file() {
    let (server, api) = demo("");
    let queue = change_demo_queue(&api, json!({"recording": "always"}));
    assert_eq!(queue["recording"], "always");
    let queue_id = queue["id"].as_i64().unwrap();
    let phone = Baresip::start(&server, "1001", "pw-1001");
    wait_for(
        "baresip did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 1,
        || phone.log(),
    );
    // Registration logs the agent in to dispatch right after.
    std::thread::sleep(Duration::from_millis(500));
    queued_call(&server, 6);

    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    let file = r.recording_file.clone().expect("RecordingFile");
    // The default folder: `recordings` beside the database file.
    let expected = server
        .dir
        .path()
        .join("recordings")
        .join(format!("interaction-{}.wav", r.interaction_id.0));
    assert_eq!(std::path::Path::new(&file), expected);
    // The caller's leg closing completes the file.
    wait_for(
        "the recording was not completed",
        Duration::from_secs(10),
        || server.metric("switchboard_media_recording_files_total") >= 1,
        || common::http_get(server.http, "/metrics"),
    );
    assert_eq!(server.metric("switchboard_media_recording_errors_total"), 0);
    assert_eq!(server.metric("switchboard_media_recordings"), 0);

    let bytes = std::fs::read(&file).unwrap();
    let len = bytes.len() as u32;
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), len - 8);
    assert_eq!(&bytes[8..16], b"WAVEfmt ");
    assert_eq!(&bytes[36..40], b"data");
    assert_eq!(
        u32::from_le_bytes(bytes[40..44].try_into().unwrap()),
        len - 44
    );
    let mut wav = hound::WavReader::new(std::io::Cursor::new(&bytes)).unwrap();
    let spec = wav.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 8000, 16)
    );
    let samples: Vec<i16> = wav.samples::<i16>().map(Result::unwrap).collect();
    let (left, right) = (channel(&samples, 0), channel(&samples, 1));
    // Six seconds of talk: most of its 300 frames carry each side's tone, on
    // its own side only.
    let caller_left = tone_frames(&left, CALLER_TONE_HZ);
    let agent_right = tone_frames(&right, PHONE_TONE_HZ);
    assert!(
        caller_left >= 150,
        "caller's tone on the left: {caller_left}"
    );
    assert!(
        agent_right >= 150,
        "agent's tone on the right: {agent_right}"
    );
    assert_eq!(tone_frames(&left, PHONE_TONE_HZ), 0);
    assert_eq!(tone_frames(&right, CALLER_TONE_HZ), 0);

    // The record over the API names the file.
    let id = r.interaction_id.0;
    let shown = api.get(&format!("/api/interactions/{id}")).json();
    assert_eq!(shown["RecordingFile"], json!(file));
    // The admin downloads it.
    let path = format!("/api/interactions/{id}/recording");
    let got = api.get(&path);
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.header("content-type"), Some("audio/wav"));
    assert_eq!(got.header("content-length"), Some(len.to_string().as_str()));
    assert_eq!(got.body, String::from_utf8_lossy(&bytes));

    // A user who may play recordings of this queue; one who may not play
    // them; one who may, but not of this queue.
    let listener = make_profile(
        &api,
        "Listener",
        &["other.recordings".into(), format!("queue.{queue_id}")],
    );
    let elsewhere = make_profile(&api, "Elsewhere", &["other.recordings".into()]);
    make_user(&api, "ann", "pw-ann-12345", json!({"profiles": [listener]}));
    make_user(&api, "bob", "pw-bob-12345", json!({}));
    make_user(&api, "cy", "pw-cy-123456", json!({"profiles": [elsewhere]}));
    let user = |name: &str, password: &str| -> Api {
        as_user(&server, &token(&server, name, password, None))
    };
    let ann = user("ann", "pw-ann-12345");
    let got = ann.get(&path);
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body, String::from_utf8_lossy(&bytes));
    let p = assert_problem(&user("bob", "pw-bob-12345").get(&path), 403);
    assert_eq!(p["type"], "/api/problems/forbidden");
    let p = assert_problem(&user("cy", "pw-cy-123456").get(&path), 404);
    assert_eq!(p["type"], "/api/problems/not-found");
    // The log of listens, for the admins: the admin's and ann's, newest first.
    let log = api
        .get(&format!("/api/recording-listens?interaction={id}"))
        .json();
    let who: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["ann", "admin"], "{log}");
    assert_eq!(log[0]["interaction_id"], json!(id));
    assert_problem(&ann.get("/api/recording-listens"), 403);

    // Back to `never`: the next call is not recorded.
    change_demo_queue(&api, json!({"recording": "never"}));
    queued_call(&server, 2);
    let records = completed_records(&server, 2);
    let second = records
        .iter()
        .find(|s| s.record.interaction_id.0 != id)
        .expect("the second call's record");
    assert_eq!(second.record.recording_file, None);
    let p = assert_problem(
        &api.get(&format!(
            "/api/interactions/{}/recording",
            second.record.interaction_id.0
        )),
        404,
    );
    assert_eq!(p["detail"], "the interaction has no recording");
    assert_eq!(server.metric("switchboard_media_recording_files_total"), 1);
}

/// Gives extension 1001's user a panel password and the Agent profile (which
/// may record on demand) in the demo queue's project; a client as them.
fn panel_agent(server: &common::TestServer, api: &Api, queue: &serde_json::Value) -> Api {
    let project = queue["project_id"].as_i64().unwrap();
    let users = api.get("/api/users").json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .unwrap()
        .clone();
    let agent_profile = common::users::profile_id(api, "Agent");
    let reply = api.put(
        &format!("/api/users/{}", common::users::id(&user)),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [agent_profile],
                "projects": [project], "queues": [queue["id"]]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    as_user(server, &token(server, "1001", "secret-1001", None))
}

#[test]
fn an_on_demand_queue_records_from_the_agents_request_both_sides() {
    let (server, api) = demo("");
    let queue = change_demo_queue(&api, json!({"recording": "on_demand"}));
    let me = panel_agent(&server, &api, &queue);
    let phone = Baresip::start(&server, "1001", "pw-1001");
    wait_for(
        "baresip did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 1,
        || phone.log(),
    );
    std::thread::sleep(Duration::from_millis(500));
    let caller = {
        let server_udp = server.udp;
        let dir = server.dir.path().to_owned();
        std::thread::spawn(move || {
            let audio = CallerAudio::start();
            let inf = dir.join("on-demand-caller.csv");
            std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
            common::sipp(
                "queue_caller_rtp.xml",
                server_udp,
                &inf,
                &[
                    "-s",
                    DID,
                    "-m",
                    "1",
                    "-d",
                    "8000",
                    "-key",
                    "rtp_port",
                    &audio.port.to_string(),
                ],
            )
        })
    };
    // The panel shows the connected call; nothing is recorded until asked.
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
    let call = call.unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(server.metric("switchboard_media_recordings"), 0);
    let reply = me.post(&format!("/api/agent/calls/{call}/recording"), &json!({}));
    assert_eq!(reply.status, 202, "{}", reply.body);
    wait_for(
        "the recording did not start",
        Duration::from_secs(5),
        || server.metric("switchboard_media_recordings") == 1,
        || common::http_get(server.http, "/metrics"),
    );
    let run = caller.join().unwrap();
    assert!(run.success, "the caller: {}", run.output);

    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.interaction_id.0, call);
    let file = r.recording_file.clone().expect("RecordingFile");
    wait_for(
        "the recording was not completed",
        Duration::from_secs(10),
        || server.metric("switchboard_media_recording_files_total") >= 1,
        || common::http_get(server.http, "/metrics"),
    );
    let mut wav = hound::WavReader::open(&file).unwrap();
    assert_eq!(wav.spec().channels, 2);
    let samples: Vec<i16> = wav.samples::<i16>().map(Result::unwrap).collect();
    let (left, right) = (channel(&samples, 0), channel(&samples, 1));
    // About six seconds of the talk were recorded: each side's tone in most
    // of its frames, on its own side.
    let caller_left = tone_frames(&left, CALLER_TONE_HZ);
    let agent_right = tone_frames(&right, PHONE_TONE_HZ);
    assert!(
        caller_left >= 100,
        "caller's tone on the left: {caller_left}"
    );
    assert!(
        agent_right >= 100,
        "agent's tone on the right: {agent_right}"
    );
    assert_eq!(tone_frames(&left, PHONE_TONE_HZ), 0);
    assert_eq!(tone_frames(&right, CALLER_TONE_HZ), 0);
}
