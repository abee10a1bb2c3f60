//! A SIP phone nobody here wrote: Debian's baresip against a server with the
//! default settings. It registers with digest (one challenge, MD5), is logged
//! in as the demo queue's agent, answers a queue call by itself, and the
//! audio goes both ways: the caller hears baresip's 1 kHz tone, baresip
//! hears the caller's 440 Hz tone. baresip declines the `a=rtcp-mux` of our
//! offer, so its RTCP must reach the port above our RTP port (RFC 5761
//! section 5.1.3).

mod common;

use std::time::Duration;

use common::calls::{call, completed_records, demo, tone_frames, CallerAudio, CALLER_TONE_HZ, DID};
use common::phone::{wait_for, Baresip, PHONE_TONE_HZ};
use switchboard::cdr::Disposition;

#[test]
fn baresip_registers_with_default_settings_and_takes_a_queue_call_with_audio_both_ways() {
    let (server, _api) = demo("");
    let phone = Baresip::start(&server, "1001", "pw-1001");
    wait_for(
        "baresip did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 1,
        || phone.log(),
    );
    assert!(
        phone.log().contains("200 OK"),
        "baresip reports its registration:\n{}",
        phone.log()
    );
    assert_eq!(server.metric("switchboard_sip_auth_failures_total"), 0);
    // Registration logs the agent in to dispatch right after.
    std::thread::sleep(Duration::from_millis(500));

    let audio = CallerAudio::start();
    // Long enough for RTCP reports (about every 5 s) from both sides.
    let run = call(
        &server,
        "queue_caller_rtp.xml",
        DID,
        &["-d", "12000", "-key", "rtp_port", &audio.port.to_string()],
    );
    assert!(run.success, "the caller: {}", run.output);

    // The caller's BYE reaches baresip through the server; baresip closes
    // its WAV files when the call ends.
    wait_for(
        "baresip's call did not end",
        Duration::from_secs(10),
        || phone.log().contains("terminated (duration"),
        || phone.log(),
    );
    let log = phone.log();
    assert!(
        log.contains("Call established"),
        "baresip answered by itself:\n{log}"
    );
    // baresip's 200 OK answers our offer without a=rtcp-mux.
    // Each traced message starts with a line "UDP <from> -> <to>".
    let answer = log
        .split("\nUDP ")
        .filter_map(|m| m.split_once('\n').map(|(_, message)| message))
        .find(|m| {
            m.starts_with("SIP/2.0 200 ") && m.contains("CSeq: 1 INVITE") && m.contains("m=audio")
        })
        .unwrap_or_else(|| panic!("no 200 OK with SDP in baresip's trace:\n{log}"));
    assert!(!answer.contains("a=rtcp-mux"), "{answer}");

    // The caller heard the phone's tone, the phone heard the caller's.
    let heard_by_caller = tone_frames(&audio.samples(), PHONE_TONE_HZ);
    assert!(
        heard_by_caller >= 200,
        "the caller heard baresip's tone in {heard_by_caller} frames of 20 ms"
    );
    let heard_by_phone = tone_frames(&phone.dump("-dec.wav"), CALLER_TONE_HZ);
    assert!(
        heard_by_phone >= 200,
        "baresip heard the caller's tone in {heard_by_phone} frames of 20 ms"
    );

    // RTCP went to the ports above the RTP ports both ways: baresip's
    // reports reached ours (before, that port was closed and its reports got
    // ICMP port unreachable) and ours were sent.
    let received = server.metric("switchboard_media_rtcp_received_total");
    assert!(received >= 1, "RTCP reports from baresip: {received}");
    assert!(server.metric("switchboard_media_rtcp_sent_total") >= 2);

    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
}
