//! A SIP phone nobody here wrote: Debian's baresip against a server with the
//! default settings. It registers with digest (one challenge, MD5), is logged
//! in as the demo queue's agent, answers a queue call by itself, and the
//! audio goes both ways: the caller hears baresip's 1 kHz tone, baresip
//! hears the caller's 440 Hz tone. baresip declines the `a=rtcp-mux` of our
//! offer, so its RTCP must reach the port above our RTP port (RFC 5761
//! section 5.1.3).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::calls::{call, completed_records, demo, tone_frames, CallerAudio, CALLER_TONE_HZ, DID};
use common::{free_port, TestServer};
use switchboard::cdr::Disposition;

const PHONE_TONE_HZ: f64 = 1000.0;

/// baresip in its own folder: configuration, the tone it sends, the WAV
/// files its `sndfile` filter writes of what it sends and hears, its log.
struct Baresip {
    child: Child,
    dir: PathBuf,
}

impl Baresip {
    fn start(server: &TestServer, user: &str, password: &str) -> Baresip {
        let dir = server.dir.path().join("baresip");
        std::fs::create_dir_all(dir.join("dumps")).unwrap();
        write_tone(&dir.join("tone.wav"), PHONE_TONE_HZ, 60);
        let rtp = free_port() & !1;
        // No sound card: ALSA's null device plays what baresip hears, and the
        // sndfile filter keeps a copy of it for the test.
        let config = format!(
            "poll_method poll\n\
             sip_listen 127.0.0.1:{sip}\n\
             audio_player alsa,null\n\
             audio_alert alsa,null\n\
             audio_source aufile,{tone}\n\
             rtp_ports {rtp}-{rtp_end}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module alsa.so\n\
             module sndfile.so\n\
             module_app account.so\n\
             snd_path {dumps}\n",
            sip = free_port(),
            tone = dir.join("tone.wav").display(),
            rtp_end = rtp + 10,
            dumps = dir.join("dumps").display(),
        );
        std::fs::write(dir.join("config"), config).unwrap();
        // Auto answer, as a headset agent's phone is set up.
        let account = format!(
            "<sip:{user}@{registrar}>;auth_pass={password};answermode=auto;regint=600\n",
            registrar = server.udp
        );
        std::fs::write(dir.join("accounts"), account).unwrap();
        let log = std::fs::File::create(dir.join("baresip.log")).unwrap();
        // -s traces SIP, so the test can read baresip's answer.
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&dir)
            .args(["-s", "-v"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("running baresip (install Debian's baresip; tools/test does)");
        Baresip { child, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// The samples of the first dump whose name ends with `suffix`.
    fn dump(&self, suffix: &str) -> Vec<i16> {
        let file = std::fs::read_dir(self.dir.join("dumps"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} dump from baresip:\n{}", self.log()));
        hound::WavReader::open(file)
            .unwrap()
            .samples::<i16>()
            .map(Result::unwrap)
            .collect()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mono 8 kHz 16-bit WAV of a sine at `hz`, `secs` long.
fn write_tone(path: &Path, hz: f64, secs: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..8000 * secs {
        let t = i as f64 / 8000.0;
        w.write_sample((12_000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

fn wait_for(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> bool,
    log: impl Fn() -> String,
) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what}:\n{}", log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

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
