//! Announcements end to end: audio files made with sox (WAV, Ogg Vorbis,
//! FLAC) and lame (MP3) uploaded to the real server as raw bodies, listed
//! with their length, fetched back as 8 kHz WAV, renamed and deleted; bad
//! uploads refused with the right problem; and an IVR menu whose prompt is
//! an uploaded MP3 heard by a SIPp caller whose media is the test's own RTP
//! end, without a restart.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::calls::{call, completed_records, demo, demo_queue, tone_frames, CallerAudio};
use common::http::{assert_problem, created, fields, project, Api};
use common::TestServer;
use serde_json::{json, Value};

/// The limit the first test's server takes uploads up to.
const MAX_BYTES: usize = 1_000_000;

/// One answer: its status, headers (lower case) and body bytes.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// As the shared client's reply, for its assertions.
    fn reply(&self) -> common::http::Reply {
        common::http::Reply {
            status: self.status,
            headers: self.headers.clone(),
            body: String::from_utf8_lossy(&self.body).into_owned(),
        }
    }
}

/// `method path` with the admin token and a binary body of `content_type`.
/// The body is sent whole even when the server answers first (a refusal by
/// its length), and the answer read as far as it came.
fn send(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    kind: &str,
    body: &[u8],
) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer to {method} {path}: {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn upload(api: &Api, project: i64, name: &str, kind: &str, body: &[u8]) -> Answer {
    let path = format!("/api/announcements?project_id={project}&name={name}");
    send(api.addr, &api.token, "POST", &path, kind, body)
}

/// Runs `program args`, which must succeed.
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program} (see tools/test): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A sine of `hz` lasting `secs`, made by sox as `dir/name` (its extension
/// chooses the format) at `rate` Hz and `channels`.
fn tone(dir: &Path, name: &str, hz: u32, secs: f64, rate: u32, channels: u32) -> PathBuf {
    let path = dir.join(name);
    let (rate, channels, secs, hz) = (
        rate.to_string(),
        channels.to_string(),
        secs.to_string(),
        format!("sine {hz}"),
    );
    let mut args = vec!["-n", "-r", &rate, "-c", &channels];
    if name.ends_with(".wav") || name.ends_with(".flac") {
        args.extend(["-b", "16"]);
    }
    let out = path.to_str().unwrap();
    args.extend([out, "synth", &secs]);
    args.extend(hz.split(' '));
    args.extend(["vol", "0.5"]);
    run("sox", &args);
    path
}

/// An MP3 of a sine (sox writes the WAV, lame encodes it).
fn mp3_tone(dir: &Path, name: &str, hz: u32, secs: f64) -> PathBuf {
    let wav = tone(dir, &format!("{name}.wav"), hz, secs, 22_050, 1);
    let mp3 = dir.join(format!("{name}.mp3"));
    run(
        "lame",
        &[
            "--quiet",
            "-b",
            "64",
            wav.to_str().unwrap(),
            mp3.to_str().unwrap(),
        ],
    );
    mp3
}

/// The WAV of announcement `a`: its spec and samples.
fn audio(api: &Api, a: &Value) -> (hound::WavSpec, Vec<i16>) {
    let path = format!("/api/announcements/{}/audio", a["id"]);
    let got = send(api.addr, &api.token, "GET", &path, "application/json", b"");
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("audio/wav"));
    let mut r = hound::WavReader::new(std::io::Cursor::new(got.body)).unwrap();
    let spec = r.spec();
    (spec, r.samples::<i16>().map(Result::unwrap).collect())
}

fn assert_length(a: &Value, ms: i64) {
    let listed = a["length_ms"].as_i64().unwrap();
    // An MP3 decoder adds its own delay and padding (tens of ms).
    assert!(
        (listed - ms).abs() <= 100,
        "listed {listed} ms for {ms} ms: {a}"
    );
}

fn server_with_limit() -> (TestServer, Api) {
    let server = TestServer::start(&format!("[media]\nmax_upload_bytes = {MAX_BYTES}\n"), &[]);
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    (server, api)
}

#[test]
fn wav_mp3_ogg_and_flac_uploads_are_listed_with_their_length_and_served_as_8_khz_wav() {
    let (server, api) = server_with_limit();
    let p = project(&api, "Home");
    let dir = server.dir.path();
    let files = [
        (
            "wav",
            "audio/wav",
            tone(dir, "a.wav", 440, 2.0, 44_100, 2),
            2000,
        ),
        ("mp3", "audio/mpeg", mp3_tone(dir, "b", 660, 1.5), 1500),
        (
            "ogg",
            "audio/ogg",
            tone(dir, "c.ogg", 880, 1.0, 48_000, 1),
            1000,
        ),
        (
            "flac",
            "audio/flac",
            tone(dir, "d.flac", 1000, 0.5, 16_000, 1),
            500,
        ),
    ];
    let mut made = Vec::new();
    for (format, kind, file, ms) in &files {
        let body = std::fs::read(file).unwrap();
        let a = created(upload(&api, p, &format!("Prompt-{format}"), kind, &body).reply());
        assert_eq!(a["format"], *format);
        assert_eq!(a["project_id"], p);
        assert_eq!(a["library_name"], format!("uploads/{p}/{}", a["id"]), "{a}");
        assert_length(&a, *ms);
        let (spec, samples) = audio(&api, &a);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 8000, 16)
        );
        assert_eq!(samples.len() as i64 / 8, a["length_ms"].as_i64().unwrap());
        // The tone survives the conversion.
        let hz = [440.0, 660.0, 880.0, 1000.0][made.len()];
        let frames = tone_frames(&samples, hz);
        assert!(
            frames as i64 * 20 >= ms * 8 / 10,
            "{format}: {frames} tone frames"
        );
        made.push(a);
    }
    // Every answer so far is the one the OpenAPI document describes.
    let doc = api.get("/api/openapi.json").json();
    let conform = |method: &str, path: &str, reply: &common::http::Reply| {
        let failures = common::http::conformance(&doc, method, path, reply);
        assert!(failures.is_empty(), "{method} {path}: {failures:?}");
    };
    let item = "/api/announcements/{id}";
    conform(
        "POST",
        "/api/announcements",
        &upload(&api, p, "Prompt-wav", "audio/wav", b"").reply(),
    );
    conform("GET", "/api/announcements", &api.get("/api/announcements"));
    conform(
        "GET",
        item,
        &api.get(&format!("/api/announcements/{}", made[0]["id"])),
    );
    conform("GET", item, &api.get("/api/announcements/777"));
    let listed = api
        .get(&format!("/api/announcements?project_id={p}"))
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 4, "{listed}");
    assert_eq!(api.get("/api/announcements?project_id=1").json(), json!([]));

    // What GET reads, PUT takes back with another name; the rest is read-only.
    let at = format!("/api/announcements/{}", made[0]["id"]);
    let read = api.get(&at).json();
    assert_eq!(api.put(&at, &read).status, 200);
    let mut renamed = read.clone();
    renamed["name"] = json!("Welcome");
    assert_eq!(api.put(&at, &renamed).json()["name"], "Welcome");
    assert_eq!(api.get(&at).json(), renamed);
    let mut wrong = renamed.clone();
    wrong["length_ms"] = json!(1);
    assert_eq!(
        fields(&assert_problem(&api.put(&at, &wrong), 422)),
        ["length_ms"]
    );
    let mut taken = renamed.clone();
    taken["name"] = json!("Prompt-mp3");
    assert_problem(&api.put(&at, &taken), 409);

    // Refusals: each a problem naming why, nothing listed.
    let wav = std::fs::read(&files[0].2).unwrap();
    conform("PUT", item, &api.put(&at, &wrong));
    let p409 = assert_problem(
        &upload(&api, p, "Prompt-mp3", "audio/wav", &wav).reply(),
        409,
    );
    assert_eq!(fields(&p409), ["name"]);
    let p415 = assert_problem(
        &upload(&api, p, "x", "application/json", b"{}").reply(),
        415,
    );
    assert!(
        p415["detail"].as_str().unwrap().contains("audio/mpeg"),
        "{p415}"
    );
    let missing = assert_problem(&upload(&api, 777, "", "audio/wav", &wav).reply(), 422);
    assert_eq!(fields(&missing), ["name", "project_id"]);
    let corrupt = b"RIFF\x24\x00\x00\x00WAVEfmt garbage that is no audio at all".repeat(20);
    let bad = assert_problem(&upload(&api, p, "bad", "audio/wav", &corrupt).reply(), 422);
    assert_eq!(bad["type"], "/api/problems/unplayable-audio");
    assert_eq!(fields(&bad), ["body"]);
    let not_mp3 = assert_problem(
        &upload(&api, p, "bad", "audio/mpeg", &[0x55; 4000]).reply(),
        422,
    );
    assert_eq!(
        not_mp3["type"], "/api/problems/unplayable-audio",
        "{not_mp3}"
    );
    let octets = assert_problem(
        &upload(&api, p, "bad", "application/octet-stream", b"no audio here").reply(),
        422,
    );
    assert!(
        octets["detail"].as_str().unwrap().contains("not a WAV"),
        "{octets}"
    );
    let empty = assert_problem(&upload(&api, p, "bad", "audio/flac", b"").reply(), 422);
    assert!(
        empty["detail"].as_str().unwrap().contains("empty"),
        "{empty}"
    );
    // Ten minutes and a second of silence: small as FLAC.
    let long = dir.join("long.flac");
    run(
        "sox",
        &[
            "-n",
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            long.to_str().unwrap(),
            "trim",
            "0",
            "601",
        ],
    );
    let long = std::fs::read(long).unwrap();
    assert!(long.len() < MAX_BYTES, "{} bytes", long.len());
    let too_long = assert_problem(&upload(&api, p, "long", "audio/flac", &long).reply(), 422);
    assert!(
        too_long["detail"]
            .as_str()
            .unwrap()
            .contains("longer than 600 s"),
        "{too_long}"
    );
    let big = vec![0u8; MAX_BYTES + 1];
    let too_big = assert_problem(&upload(&api, p, "big", "audio/wav", &big).reply(), 413);
    assert_eq!(too_big["type"], "/api/problems/too-large");
    assert_eq!(
        api.get("/api/announcements")
            .json()
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(server.metric("switchboard_announcements_uploaded_total"), 4);
    assert_eq!(
        server.metric("switchboard_announcements_refused_audio_total"),
        5
    );
    assert_eq!(
        server.metric("switchboard_announcements_refused_size_total"),
        1
    );
    assert_eq!(
        server.metric("switchboard_announcements_refused_type_total"),
        1
    );

    // Deleting an unused one removes its file too.
    let file = dir
        .join("recordings/announcements")
        .join(p.to_string())
        .join(format!("{}.wav", made[1]["id"]));
    assert!(file.is_file(), "{}", file.display());
    let gone = format!("/api/announcements/{}", made[1]["id"]);
    assert_eq!(api.delete(&gone).status, 204);
    assert!(!file.exists());
    assert_problem(&api.get(&gone), 404);
    assert_problem(&api.get(&format!("{gone}/audio")), 404);

    // Sent as plain octets, the file's first bytes tell its format.
    let flac = std::fs::read(&files[3].2).unwrap();
    let sniffed = created(upload(&api, p, "Octets", "application/octet-stream", &flac).reply());
    assert_eq!(sniffed["format"], "flac");
}

/// The number routed to the menu.
const MENU_DID: &str = "+15550112";

#[test]
fn a_menu_plays_an_uploaded_mp3_at_once_keeps_it_from_deletion_and_after_a_restart() {
    let (mut server, api) = demo("");
    let queue = demo_queue(&api);
    let p = queue["project_id"].as_i64().unwrap();
    let mp3 = std::fs::read(mp3_tone(server.dir.path(), "welcome", 1200, 2.0)).unwrap();
    let a = created(upload(&api, p, "Welcome", "audio/mpeg", &mp3).reply());
    let name = a["library_name"].as_str().unwrap();
    let menu = created(api.post(
        "/api/ivr-menus",
        &json!({"project_id": p, "name": "Main", "prompt": name, "timeout_secs": 5,
                "options": {"1": {"kind": "queue", "queue_id": queue["id"]}},
                "fallback": {"kind": "hangup"}}),
    ));
    let route = api.post(
        "/api/routes",
        &json!({"number": MENU_DID, "destination": {"kind": "menu", "menu_id": menu["id"]}}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    std::thread::sleep(Duration::from_millis(300));

    let caller = CallerAudio::start();
    let port = caller.port.to_string();
    let run = call(
        &server,
        "queue_caller_rtp.xml",
        MENU_DID,
        &["-d", "3000", "-key", "rtp_port", &port],
    );
    assert!(run.success, "the caller: {}", run.output);
    let heard = tone_frames(&caller.samples(), 1200.0);
    drop(caller);
    assert!(
        heard >= 75,
        "the caller heard {heard} frames of the announcement"
    );
    let records = completed_records(&server, 1);
    assert_eq!(records[0].record.local_number, MENU_DID);

    // Named by the menu, by a queue's hold music, a blacklist entry and a
    // voicemail box, it stays; each is named.
    let mut q = queue.clone();
    q["hold_music"] = json!(name);
    let body = common::calls::queue_input(&q);
    let put = api.put(&format!("/api/queues/{}", queue["id"]), &body);
    assert_eq!(put.status, 200, "{}", put.body);
    created(api.post(
        "/api/blacklist",
        &json!({"project_id": p, "number": "+1666*", "action": "prompt", "prompt": name}),
    ));
    created(api.post(
        "/api/voicemail-boxes",
        &json!({"project_id": p, "name": "Support box", "queue_id": queue["id"],
                "greeting": name}),
    ));
    let at = format!("/api/announcements/{}", a["id"]);
    let refused = assert_problem(&api.delete(&at), 409);
    let detail = refused["detail"].as_str().unwrap();
    for user in [
        "IVR menu \"Main\"",
        "blacklist entry \"+1666*\"",
        "voicemail box \"Support box\"",
        "queue \"Support\"",
    ] {
        assert!(detail.contains(user), "{user} not in {detail}");
    }
    assert_eq!(api.get(&at).status, 200);
    assert_problem(&api.delete(&format!("/api/projects/{p}")), 409);

    // After a restart the menu still plays it; a file no row lists (an
    // upload a crash cut short) is removed.
    let folder = server
        .dir
        .path()
        .join(format!("recordings/announcements/{p}"));
    let stray = folder.join("123.wav.part");
    std::fs::write(&stray, b"half a file").unwrap();
    server.restart();
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    assert!(!stray.exists());
    assert!(folder.join(format!("{}.wav", a["id"])).is_file());
    let caller = CallerAudio::start();
    let port = caller.port.to_string();
    let run = call(
        &server,
        "queue_caller_rtp.xml",
        MENU_DID,
        &["-d", "3000", "-key", "rtp_port", &port],
    );
    assert!(run.success, "the caller after the restart: {}", run.output);
    let heard = tone_frames(&caller.samples(), 1200.0);
    assert!(
        heard >= 75,
        "after the restart the caller heard {heard} frames"
    );
    assert_eq!(api.get(&at).json()["name"], "Welcome");
}
