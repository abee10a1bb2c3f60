//! Voicemail end to end: the demo queue, with no agent logged in, exits on
//! its timeout to the queue's voicemail box. A SIPp caller (its media the
//! test's own RTP end) waits, hears the greeting and the tone, then talks (a
//! 440 Hz tone) and hangs up, or presses `#`. The message is then listed
//! and fetched through the HTTP API: its length is what was sent and its
//! audio is the caller's tone. A message under a second is not kept. The
//! record says the queue timeout redirected the caller to the box. A box with
//! an address mails each message, the WAV attached, to a real SMTP server
//! (Python's aiosmtpd, as tests/webhooks.rs runs it).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::calls::{
    call, change_demo_queue, completed_records, demo, demo_queue, tone_frames, DID,
};
use common::http::{assert_problem, Api};
use common::smtp::Smtp;
use common::users::{as_user, make_user, token};
use serde_json::{json, Value};
use sha2::Digest;
use switchboard::cdr::Disposition;
use switchboard::media::g711::Law;

/// The tone the caller talks in, and the server's beep.
const TALK_HZ: f64 = 440.0;
const BEEP_HZ: f64 = 1000.0;

/// What the caller's media end does once it has heard the tone.
#[derive(Clone, Copy)]
enum Talk {
    /// Talks until the call ends.
    UntilHangUp,
    /// Talks this long, then presses `#`.
    ThenPound(Duration),
}

/// The caller's RTP end: silent until it hears the server's beep, then it
/// sends a 440 Hz PCMA tone (and RFC 4733 `#` when told to).
struct CallerMedia {
    port: u16,
    /// Tone packets sent (20 ms each).
    sent: Arc<AtomicU64>,
    beeped: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CallerMedia {
    fn start(talk: Talk) -> CallerMedia {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let sent = Arc::new(AtomicU64::new(0));
        let beeped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (n_sent, heard, s) = (sent.clone(), beeped.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut server: Option<SocketAddr> = None;
            let mut talking_since: Option<Instant> = None;
            let mut next_send = Instant::now();
            let (mut seq, mut ts, mut phase) = (0u16, 0u32, 0f64);
            let mut pressed = false;
            let mut law = Law::A;
            while !s.load(Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    let got = match buf[1] & 0x7f {
                        0 => Some(Law::Mu),
                        8 => Some(Law::A),
                        _ => None,
                    };
                    if let (true, Some(got), None) =
                        (n > 12 && buf[0] >> 6 == 2, got, talking_since)
                    {
                        server = Some(from);
                        law = got;
                        let frame: Vec<i16> = buf[12..n].iter().map(|&b| law.decode(b)).collect();
                        if tone_frames(&frame, BEEP_HZ) == 1 {
                            // The 200 ms tone has begun: talk once it is over
                            // (nothing may follow it to say so).
                            heard.store(true, Ordering::Relaxed);
                            talking_since = Some(Instant::now() + Duration::from_millis(300));
                            next_send = talking_since.unwrap();
                        }
                    }
                }
                let (Some(to), Some(since)) = (server, talking_since) else {
                    continue;
                };
                if Instant::now() < next_send || Instant::now() < since {
                    continue;
                }
                next_send += Duration::from_millis(20);
                if let Talk::ThenPound(length) = talk {
                    if since.elapsed() >= length {
                        if !pressed {
                            pressed = true;
                            for packet in pound(seq, ts) {
                                let _ = socket.send_to(&packet, to);
                                seq = seq.wrapping_add(1);
                            }
                        }
                        continue;
                    }
                }
                let pt = if law == Law::A { 8 } else { 0 };
                let mut packet = rtp_header(pt, seq, ts, false);
                for _ in 0..160 {
                    phase += 2.0 * std::f64::consts::PI * TALK_HZ / 8000.0;
                    packet.push(law.encode((phase.sin() * 12_000.0) as i16));
                }
                let _ = socket.send_to(&packet, to);
                n_sent.fetch_add(1, Ordering::Relaxed);
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(160);
            }
        });
        CallerMedia {
            port,
            sent,
            beeped,
            stop,
            thread: Some(thread),
        }
    }

    /// The length of the tone sent.
    fn talked(&self) -> Duration {
        Duration::from_millis(self.sent.load(Ordering::Relaxed) * 20)
    }
}

impl Drop for CallerMedia {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn rtp_header(pt: u8, seq: u16, ts: u32, marker: bool) -> Vec<u8> {
    let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x5eed_cafe_u32.to_be_bytes());
    p
}

/// RFC 4733 `#` (event 11) as telephone-event 101: three updates, then the
/// end three times.
fn pound(seq: u16, ts: u32) -> Vec<Vec<u8>> {
    (0..6u16)
        .map(|i| {
            let mut p = rtp_header(101, seq.wrapping_add(i), ts, i == 0);
            let end = if i >= 3 { 0x80 } else { 0 };
            let duration = 160 * (i.min(3) + 1);
            p.extend_from_slice(&[11, end | 10]);
            p.extend_from_slice(&duration.to_be_bytes());
            p
        })
        .collect()
}

/// A server (`extra` configuration) whose demo queue (no agent logged in)
/// exits after 30 s to a new voicemail box of that queue, with `email`; the
/// box's id.
fn queue_to_voicemail_with(extra: &str, email: Value) -> (common::TestServer, Api, i64) {
    let (server, api) = demo(extra);
    let queue = demo_queue(&api);
    let created = api.post(
        "/api/voicemail-boxes",
        &json!({"project_id": queue["project_id"], "name": "Support voicemail",
                "queue_id": queue["id"], "max_message_secs": 60, "email": email}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let box_id = created.json()["id"].as_i64().unwrap();
    let changed = change_demo_queue(
        &api,
        json!({"exit_kind": "voicemail", "exit_voicemail_id": box_id,
               "queue_timeout_secs": 30, "position_announcement": "none"}),
    );
    assert_eq!(changed["exit_kind"], "voicemail");
    assert_eq!(changed["exit_voicemail_id"], box_id);
    (server, api, box_id)
}

fn queue_to_voicemail() -> (common::TestServer, Api, i64) {
    queue_to_voicemail_with("", Value::Null)
}

/// The box's messages, once `n` are listed.
fn messages(server: &common::TestServer, api: &Api, box_id: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = api.get(&format!("/api/voicemail-boxes/{box_id}/messages"));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let list = reply.json().as_array().unwrap().clone();
        if list.len() >= n {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} messages listed; metrics:\n{}",
            list.len(),
            common::http_get(server.http, "/metrics")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET path` with the admin token; the status and the body's bytes.
fn get_bytes(addr: SocketAddr, token: &str, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

/// Fetches message `m` and checks it is a mono 8 kHz WAV whose length is
/// the listed one; its samples.
fn fetch_audio(api: &Api, m: &Value) -> Vec<i16> {
    let wav = fetch_wav(api, m);
    let mut reader = hound::WavReader::new(std::io::Cursor::new(&wav)).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 8000, 16)
    );
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let ms = samples.len() as i64 / 8;
    assert!(
        (ms - m["duration_ms"].as_i64().unwrap()).abs() <= 20,
        "the file lasts {ms} ms, the listing says {}",
        m["duration_ms"]
    );
    samples
}

/// Message `m`'s WAV file.
fn fetch_wav(api: &Api, m: &Value) -> Vec<u8> {
    let path = format!("/api/voicemail-messages/{}/audio", m["id"]);
    let (status, wav) = get_bytes(api.addr, &api.token, &path);
    assert_eq!(status, 200);
    wav
}

/// The listed length is the tone sent, give or take the moments between
/// the tone and the first packet, and between the last packet (or the
/// hang-up) and the end of the caller's part.
fn assert_about(listed_ms: i64, talked: Duration) {
    let talked = talked.as_millis() as i64;
    assert!(
        listed_ms >= talked - 1000 && listed_ms <= talked + 600,
        "message of {listed_ms} ms for {talked} ms of talk"
    );
}

/// A SIPp caller of `number` whose media end talks once it hears the tone
/// (`pause` after the answer, it hangs up): how long it talked.
fn leave_message(server: &common::TestServer, number: &str, pause: &str) -> Duration {
    let media = CallerMedia::start(Talk::UntilHangUp);
    let port = media.port.to_string();
    let run = call(
        server,
        "queue_caller_rtp.xml",
        number,
        &["-d", pause, "-key", "rtp_port", &port],
    );
    assert!(run.success, "the caller: {}", run.output);
    assert!(
        media.beeped.load(Ordering::Relaxed),
        "the caller heard no tone"
    );
    media.talked()
}

#[test]
fn a_caller_sent_to_voicemail_by_the_queue_timeout_leaves_a_message_until_hanging_up() {
    let (server, api, box_id) = queue_to_voicemail();
    let talked = leave_message(&server, DID, "38000");

    let list = messages(&server, &api, box_id, 1);
    assert_eq!(list.len(), 1, "{list:#?}");
    let m = &list[0];
    assert!(m["caller_number"].as_str().unwrap().starts_with("+1555"));
    assert_eq!(m["heard"], false);
    assert_about(m["duration_ms"].as_i64().unwrap(), talked);
    let samples = fetch_audio(&api, m);
    let frames = samples.len() / 160;
    let tone = tone_frames(&samples, TALK_HZ);
    assert!(
        tone as u128 * 20 + 200 >= talked.as_millis() && tone * 10 >= frames * 8,
        "{tone} of {frames} frames carry the caller's tone ({talked:?} sent)"
    );

    // The record: redirected by the queue timeout, to the box.
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::RedirectedByQueueTimeout));
    assert_eq!(m["interaction_id"], json!(r.interaction_id.0));
    let shown = api
        .get(&format!("/api/interactions/{}", r.interaction_id.0))
        .json();
    assert_eq!(shown["TransferTarget"], format!("voicemail-{box_id}"));

    // Marked heard, then deleted with its file.
    let heard = api.put(
        &format!("/api/voicemail-messages/{}", m["id"]),
        &json!({"heard": true}),
    );
    assert_eq!(heard.status, 200, "{}", heard.body);
    assert_eq!(messages(&server, &api, box_id, 1)[0]["heard"], true);
    let gone = api.delete(&format!("/api/voicemail-messages/{}", m["id"]));
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert!(messages(&server, &api, box_id, 0).is_empty());
    let path = format!("/api/voicemail-messages/{}/audio", m["id"]);
    assert_problem(&api.get(&path), 404);
    let dir = server.dir.path().join("recordings/voicemail");
    let left: Vec<_> = walk(&dir);
    assert!(left.is_empty(), "files left: {left:?}");
    assert_eq!(
        server.metric("switchboard_call_voicemail_messages_total"),
        1
    );
}

#[test]
fn pound_ends_the_message_and_the_server_hangs_up_and_the_message_is_mailed() {
    let work = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(work.path());
    let mail = format!(
        "[mail]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"Switchboard <sb@example.com>\"\n\
         tls = \"none\"\n",
        smtp.port
    );
    let (server, api, box_id) = queue_to_voicemail_with(&mail, json!("desk@example.com"));
    let media = CallerMedia::start(Talk::ThenPound(Duration::from_secs(3)));
    let port = media.port.to_string();
    let run = call(
        &server,
        "queue_caller_rtp_until_bye.xml",
        DID,
        &["-key", "rtp_port", &port, "-recv_timeout", "90s"],
    );
    assert!(run.success, "the caller got no BYE: {}", run.output);
    let talked = media.talked();
    drop(media);
    let list = messages(&server, &api, box_id, 1);
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_about(list[0]["duration_ms"].as_i64().unwrap(), talked);
    let samples = fetch_audio(&api, &list[0]);
    assert!(
        tone_frames(&samples, TALK_HZ) >= 140,
        "the tone is in the message"
    );
    // Mailed to the box's address with the WAV attached, as it was fetched.
    let mails = smtp.wait_for(1);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0]["to"], "desk@example.com");
    let caller = list[0]["caller_number"].as_str().unwrap();
    assert!(
        mails[0]["subject"].as_str().unwrap().contains(caller),
        "{mails:#?}"
    );
    let files = mails[0]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{mails:#?}");
    let sha = sha2::Sha256::digest(fetch_wav(&api, &list[0]));
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(files[0]["sha256"], hex);

    // Who sees the box: an agent of the queue, not another user.
    let queue = demo_queue(&api);
    let agent = make_user(&api, "vm-agent", "pw-vm-agent-1", json!({}));
    make_user(&api, "vm-stranger", "pw-vm-stranger-1", json!({}));
    let put = api.put(
        &format!("/api/queues/{}/agents", queue["id"]),
        &json!([{"user_id": agent["id"], "mandatory": false}]),
    );
    assert!(put.status < 300, "{}", put.body);
    let as_agent = as_user(&server, &token(&server, "vm-agent", "pw-vm-agent-1", None));
    let seen = as_agent.get("/api/voicemail-boxes").json();
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    let own = as_agent.get(&format!("/api/voicemail-boxes/{box_id}/messages"));
    assert_eq!(own.status, 200, "{}", own.body);
    let as_stranger = as_user(
        &server,
        &token(&server, "vm-stranger", "pw-vm-stranger-1", None),
    );
    assert!(as_stranger
        .get("/api/voicemail-boxes")
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert_problem(
        &as_stranger.get(&format!("/api/voicemail-boxes/{box_id}/messages")),
        404,
    );
}

#[test]
fn a_message_under_a_second_is_not_kept() {
    let (server, api, box_id) = queue_to_voicemail();
    let media = CallerMedia::start(Talk::ThenPound(Duration::from_millis(300)));
    let port = media.port.to_string();
    let run = call(
        &server,
        "queue_caller_rtp_until_bye.xml",
        DID,
        &["-key", "rtp_port", &port, "-recv_timeout", "90s"],
    );
    assert!(run.success, "the caller got no BYE: {}", run.output);
    drop(media);
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.metric("switchboard_call_voicemail_discarded_total") == 0 {
        assert!(
            Instant::now() < deadline,
            "the short message was not discarded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(messages(&server, &api, box_id, 0).is_empty());
    let dir = server.dir.path().join("recordings/voicemail");
    assert!(walk(&dir).is_empty(), "no file is left");
}

/// A menu whose fallback is the box: a caller who presses no key is taken
/// to voicemail and leaves a message there; the record carries the walk, and
/// the box cannot be deleted while the menu leads to it.
#[test]
fn a_menu_leads_the_caller_to_a_voicemail_box_that_is_kept_while_named() {
    const MENU_DID: &str = "+15550112";
    let (server, api) = demo("");
    let queue = demo_queue(&api);
    let project = &queue["project_id"];
    let made = api.post(
        "/api/voicemail-boxes",
        &json!({"project_id": project, "name": "After hours",
                "queue_id": queue["id"], "max_message_secs": 60}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let box_id = made.json()["id"].as_i64().unwrap();
    let menu = api.post(
        "/api/ivr-menus",
        &json!({"project_id": project, "name": "Main",
                "prompt": "prompts/en/thank-you-for-holding",
                "timeout_secs": 1, "repeat_count": 0,
                "fallback": {"kind": "voicemail", "voicemail_id": box_id}}),
    );
    assert_eq!(menu.status, 201, "{}", menu.body);
    assert_eq!(menu.json()["fallback"]["voicemail_id"], box_id);
    let route = api.post(
        "/api/routes",
        &json!({"number": MENU_DID,
                "destination": {"kind": "menu", "menu_id": menu.json()["id"]}}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    std::thread::sleep(Duration::from_millis(300));

    let talked = leave_message(&server, MENU_DID, "14000");
    let list = messages(&server, &api, box_id, 1);
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_about(list[0]["duration_ms"].as_i64().unwrap(), talked);
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.ivr_event.as_deref(), Some("Main:timeout,Main:fallback"));
    assert_eq!(list[0]["interaction_id"], json!(r.interaction_id.0));

    let refused = api.delete(&format!("/api/voicemail-boxes/{box_id}"));
    assert_problem(&refused, 409);
    assert!(refused.body.contains("Main"), "{}", refused.body);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk(&p)
            } else {
                vec![p]
            }
        })
        .collect()
}
