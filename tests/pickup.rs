//! Pickup groups, end to end with SIPp: a caller waits in the demo queue
//! while agent 1001's phone rings unanswered; 1003, in 1001's pickup group
//! (and working in another queue of the project), dials `*8` or `**1001`
//! from a desk phone, is answered with the caller's audio, and the record
//! names 1003 as the agent who answered. Phones outside the group, and
//! pickups with nothing ringing, are refused with a status and a reason.

mod common;

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::calls::{
    agent_id, completed_records, demo, demo_queue, tone_frames, CallerAudio, Phones,
    CALLER_TONE_HZ, DID,
};
use common::http::{created, Api};
use common::{sipp_from, Sipp, TestServer};
use serde_json::json;
use switchboard::cdr::{Disposition, TerminateSide};

/// The demo with a second queue of the project that 1003 works in, a
/// pickup group of 1001 and 1003 (1002 in none), and the phones of 1001
/// (ringing without answering) and 1003 registered, so both are logged in.
fn desk() -> (TestServer, Api, Phones) {
    let (server, api) = demo("");
    let project = demo_queue(&api)["project_id"].as_i64().unwrap();
    let back_office = common::http::queue(&api, project, "Back office", "601");
    let (a, b) = (agent_id(&server, "1001"), agent_id(&server, "1003"));
    let put = api.put(
        &format!("/api/queues/{back_office}/agents"),
        &json!([{"user_id": b}]),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    created(api.post(
        "/api/pickup-groups",
        &json!({"name": "Front desk", "members": [a, b]}),
    ));
    // The routing snapshot and dispatch follow the changes.
    std::thread::sleep(Duration::from_millis(500));
    let phones = Phones::start(&server, &["1001", "1003"], "agent_noanswer.xml");
    (server, api, phones)
}

/// A caller into the demo queue (its media the returned audio end) who
/// waits for the server's BYE.
fn caller(server: &TestServer) -> (JoinHandle<Sipp>, CallerAudio) {
    let audio = CallerAudio::start();
    let port = audio.port.to_string();
    let (udp, dir) = (server.udp, server.dir.path().to_owned());
    let run = std::thread::spawn(move || {
        let inf = dir.join("caller.csv");
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        common::sipp(
            "queue_caller_rtp_until_bye.xml",
            udp,
            &inf,
            &["-s", DID, "-m", "1", "-key", "rtp_port", &port],
        )
    });
    (run, audio)
}

/// Waits until 1001's phone has been sent the caller's INVITE.
fn wait_ringing(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.metric("switchboard_call_agent_invites_total") < 1 {
        assert!(Instant::now() < deadline, "1001's phone never rang");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let it ring a moment, as a colleague would hear it.
    std::thread::sleep(Duration::from_millis(500));
}

/// `user`'s desk phone (not on the trunk's address) dials `code`, talks
/// for `talk_ms` with its media at `rtp_port`, and hangs up.
fn pick_up(server: &TestServer, user: &str, code: &str, talk_ms: &str, rtp_port: u16) -> Sipp {
    let inf = server.sipp_users(
        &format!("picker-{user}.csv"),
        &[(user, &format!("pw-{user}"))],
    );
    sipp_from(
        "127.0.0.3",
        "picker.xml",
        server.udp,
        &inf,
        &[
            // The media is the test's, on 127.0.0.1, wherever SIPp signals from.
            "-mi",
            "127.0.0.1",
            "-s",
            code,
            "-m",
            "1",
            "-d",
            talk_ms,
            "-key",
            "rtp_port",
            &rtp_port.to_string(),
        ],
    )
}

/// `user`'s desk phone dials `code` and must be refused with exactly
/// `status` and `reason`.
fn refused(server: &TestServer, user: &str, code: &str, status: u16, reason: &str) {
    let template = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp/picker_refused.xml");
    let scenario = std::fs::read_to_string(template)
        .unwrap()
        .replace("{status}", &status.to_string())
        .replace("{reason}", reason);
    let path = server
        .dir
        .path()
        .join(format!("refused-{status}-{user}.xml"));
    std::fs::write(&path, scenario).unwrap();
    let inf = server.sipp_users(
        &format!("refused-{user}.csv"),
        &[(user, &format!("pw-{user}"))],
    );
    let run = sipp_from(
        "127.0.0.3",
        path.to_str().unwrap(),
        server.udp,
        &inf,
        &["-s", code, "-m", "1"],
    );
    assert!(
        run.success && run.successful_calls == 1,
        "{user} dialling {code} should hear {status} {reason}: {}",
        run.output
    );
}

/// 1003 picks up the ringing call by dialling `code` and hears the caller;
/// the caller's end follows the picker's, and the record of the call.
fn picked_up(server: &TestServer, code: &str) -> switchboard::cdr::InteractionRecord {
    let (caller, _caller_audio) = caller(server);
    wait_ringing(server);
    let picker_audio = CallerAudio::start();
    let run = pick_up(server, "1003", code, "3000", picker_audio.port);
    assert!(
        run.success && run.successful_calls == 1,
        "1003's phone dialling {code} is answered: {}",
        run.output
    );
    let heard = tone_frames(&picker_audio.samples(), CALLER_TONE_HZ) as u64;
    assert!(
        heard > 50,
        "the picker heard {heard} frames of the caller's tone in {} packets",
        picker_audio.received()
    );
    let caller = caller.join().unwrap();
    assert!(
        caller.success,
        "the caller is hung up when the picker is: {}",
        caller.output
    );
    let records = completed_records(server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    records[0].record.clone()
}

#[test]
fn a_group_member_picks_up_the_ringing_call_with_star_8() {
    let (server, _api, _phones) = desk();
    // 3 s of talk in 20 ms frames: most of them carry the caller's tone.
    let r = picked_up(&server, "*8");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1003")));
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent), "{r:#?}");
    assert!(
        r.connected_length >= Duration::from_secs(2),
        "talked from the pickup: {r:#?}"
    );
    assert_eq!(server.metric("switchboard_call_pickups_total"), 1);
    assert_eq!(server.metric("switchboard_call_pickups_refused_total"), 0);
    assert_eq!(
        server.metric("switchboard_call_agent_invites_total"),
        1,
        "1001's phone alone was rung (and then cancelled); 1003's was not"
    );
}

#[test]
fn a_group_member_picks_up_a_colleagues_extension_directly() {
    let (server, _api, _phones) = desk();
    let r = picked_up(&server, "**1001");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1003")));
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(server.metric("switchboard_call_pickups_total"), 1);
}

#[test]
fn pickups_outside_the_group_or_with_nothing_ringing_are_refused() {
    let (server, _api, _phones) = desk();
    refused(&server, "1003", "*8", 480, "Nothing ringing to pick up");
    refused(&server, "1003", "**1001", 480, "Nothing ringing to pick up");
    let waiting = std::thread::spawn({
        let (udp, dir) = (server.udp, server.dir.path().to_owned());
        move || {
            let inf = dir.join("waiting.csv");
            std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
            common::sipp(
                "queue_caller.xml",
                udp,
                &inf,
                &["-s", DID, "-m", "1", "-d", "6000"],
            )
        }
    });
    wait_ringing(&server);
    // 1002 is in no pickup group; 1002 shares none with 1003.
    refused(&server, "1002", "*8", 404, "Not in a pickup group");
    refused(
        &server,
        "1003",
        "**1002",
        404,
        "Not in the same pickup group",
    );
    refused(&server, "1003", "**4711", 404, "No such extension");
    assert_eq!(server.metric("switchboard_call_pickups_refused_total"), 5);
    assert_eq!(server.metric("switchboard_call_pickups_total"), 0);
    let run = waiting.join().unwrap();
    assert!(run.success, "the caller waited on: {}", run.output);
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_ne!(
        r.disposition,
        Some(Disposition::Answered),
        "nobody picked it up: {r:#?}"
    );
}
