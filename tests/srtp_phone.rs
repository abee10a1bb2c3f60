//! SRTP keyed by SDES (RFC 3711, RFC 4568) with a phone nobody here wrote:
//! Debian's baresip with `mediaenc=srtp-mand` takes calls only in `RTP/SAVP`.
//! With `media.srtp = "require"` the server offers it SRTP under a key of its
//! own; baresip answers with its key, and a plain-RTP caller from the trunk
//! and the phone hear each other, each in its own profile.

mod common;

use std::time::Duration;

use common::calls::{call, completed_records, demo, tone_frames, CallerAudio, CALLER_TONE_HZ, DID};
use common::phone::{wait_for, Baresip, PHONE_TONE_HZ};
use switchboard::cdr::Disposition;

/// The SIP messages in baresip's trace (`-s`), each after its line
/// "UDP <from> -> <to>".
fn traced(log: &str) -> Vec<&str> {
    log.split("\nUDP ")
        .filter_map(|m| m.split_once('\n').map(|(_, message)| message))
        .collect()
}

#[test]
fn a_phone_that_requires_srtp_takes_a_queue_call_from_a_plain_trunk_with_audio_both_ways() {
    let (server, _api) = demo("[media]\nsrtp = \"require\"\n");
    let phone = Baresip::start_srtp(&server, "1001", "pw-1001");
    wait_for(
        "baresip did not register",
        Duration::from_secs(20),
        || server.metric("switchboard_sip_registrations_total") >= 1,
        || phone.log(),
    );
    // Registration logs the agent in to dispatch right after.
    std::thread::sleep(Duration::from_millis(500));

    let audio = CallerAudio::start();
    let run = call(
        &server,
        "queue_caller_rtp.xml",
        DID,
        &["-d", "10000", "-key", "rtp_port", &audio.port.to_string()],
    );
    assert!(run.success, "the caller: {}", run.output);
    wait_for(
        "baresip's call did not end",
        Duration::from_secs(10),
        || phone.log().contains("terminated (duration"),
        || phone.log(),
    );
    let log = phone.log();
    assert!(log.contains("Call established"), "baresip answered:\n{log}");

    // Our INVITE offered SRTP, and baresip's 200 OK accepted it with a key of
    // its own under the suite and tag we offered.
    let messages = traced(&log);
    let offer = messages
        .iter()
        .find(|m| m.starts_with("INVITE ") && m.contains("m=audio"))
        .unwrap_or_else(|| panic!("no INVITE with SDP in baresip's trace:\n{log}"));
    assert!(offer.contains(" RTP/SAVP "), "{offer}");
    assert!(
        offer.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{offer}"
    );
    let answer = messages
        .iter()
        .find(|m| {
            m.starts_with("SIP/2.0 200 ") && m.contains("CSeq: 1 INVITE") && m.contains("m=audio")
        })
        .unwrap_or_else(|| panic!("no 200 OK with SDP in baresip's trace:\n{log}"));
    assert!(answer.contains(" RTP/SAVP "), "{answer}");
    assert!(
        answer.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{answer}"
    );
    let key = |m: &str| m.split("inline:").nth(1).map(|k| k[..40].to_owned());
    assert_ne!(key(offer), key(answer), "each side sends under its own key");

    // The caller (plain PCMA) heard the phone's tone and the phone heard the
    // caller's: SRTP both ways on the phone's side, authenticated by each.
    let heard_by_caller = tone_frames(&audio.samples(), PHONE_TONE_HZ);
    assert!(
        heard_by_caller >= 150,
        "the caller heard baresip's tone in {heard_by_caller} frames of 20 ms"
    );
    let heard_by_phone = tone_frames(&phone.dump("-dec.wav"), CALLER_TONE_HZ);
    assert!(
        heard_by_phone >= 150,
        "baresip heard the caller's tone in {heard_by_phone} frames of 20 ms"
    );
    assert_eq!(
        server.metric("switchboard_media_srtp_auth_failures_total"),
        0
    );
    assert_eq!(server.metric("switchboard_media_srtp_replays_total"), 0);
    // baresip sends SRTCP to the port above ours (it declines rtcp-mux), and
    // the reports were authenticated and read.
    assert!(server.metric("switchboard_media_rtcp_received_total") >= 1);

    let records = completed_records(&server, 1);
    assert_eq!(records[0].record.disposition, Some(Disposition::Answered));
}
