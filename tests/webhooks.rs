//! The outbox against the real server: an agent closes a queue call (SIPp
//! caller and phone) with a result code that has integrations, and a local
//! HTTP receiver gets the signed finish_interaction webhook exactly once as
//! accepted, though it first cannot be reached, then answers 503, and the
//! server is killed (SIGKILL) and restarted between attempts; a real SMTP
//! server (Python's aiosmtpd) gets the result code's e-mail and a queued
//! mail with its WAV attachment; the SMS gateway template reaches a local
//! HTTP receiver.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::calls::*;
use common::http::{assert_problem, fields, Api};
use common::smtp::Smtp;
use common::users::{as_user, id, token};
use common::{free_port, TestServer};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "s3cret-for-signing";

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
    answered: u16,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A local HTTP receiver: answers every request with the status it is set
/// to, and keeps each request.
struct Receiver {
    addr: SocketAddr,
    answer: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    fn start(addr: SocketAddr, answer: u16) -> Receiver {
        let listener = TcpListener::bind(addr).expect("binding the receiver");
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(AtomicU16::new(answer));
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, g, s) = (answer.clone(), got.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (a, g) = (a.clone(), g.clone());
                std::thread::spawn(move || serve(stream, &a, &g));
            }
        });
        Receiver {
            addr,
            answer,
            got,
            stop,
        }
    }

    fn set(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until a request satisfies `check`.
    fn wait_for(&self, what: &str, check: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let got = self.received();
            if check(&got) {
                return got;
            }
            assert!(Instant::now() < deadline, "no {what}; got {got:#?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(stream: TcpStream, answer: &AtomicU16, got: &Mutex<Vec<Received>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let status = answer.load(Ordering::SeqCst);
    got.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body,
        answered: status,
    });
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
}

/// What a receiver does with the signature header.
fn signature_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = "";
    let mut v1 = "";
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value,
            Some(("v1", value)) => v1 = value,
            _ => {}
        }
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    !t.is_empty() && hex::encode(mac.finalize().into_bytes()) == v1
}

/// A result code the demo queue offers, with `flags` and `integration`;
/// 1001's user gets a name, a password and the Agent profile. The code's id.
fn code_with(api: &Api, flags: Value, integration: Value) -> i64 {
    let reply = api.post(
        "/api/result-codes",
        &json!({"category": "success", "type": "call", "display_name": "Sale", "flags": flags}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let code = id(&reply.json());
    let reply = api.put(
        &format!("/api/result-codes/{code}/integration"),
        &integration,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let q = change_demo_queue(
        api,
        json!({"after_call_work_secs": 120, "result_codes": [code]}),
    );
    let (queue, project) = (id(&q), q["project_id"].as_i64().unwrap());
    let users = api.get("/api/users").json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .unwrap()
        .clone();
    let agent_profile = api
        .get("/api/profiles")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Agent")
        .map(id)
        .unwrap();
    let reply = api.put(
        &format!("/api/users/{}", id(&user)),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [agent_profile],
                "projects": [project], "queues": [queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    std::thread::sleep(Duration::from_millis(500));
    code
}

/// A queue call answered by 1001, closed in the panel with `code` and a
/// note; the call's id.
fn finished_call(server: &TestServer, code: i64) -> u64 {
    let me = as_user(server, &token(server, "1001", "secret-1001", None));
    let project = me.get("/api/agent/me").json()["projects"][0]["id"].clone();
    let queue = id(&me
        .get(&format!("/api/agent/projects/{project}/queues"))
        .json()[0]);
    let reply = me.post(
        "/api/agent/login",
        &json!({"project": project, "queues": [queue]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let _phones = Phones::start(server, &["1001"], "agent_answer.xml");
    let run = call(server, "queue_caller.xml", DID, &["-d", "2000"]);
    assert_sipp_ok(&run, "caller");
    let deadline = Instant::now() + Duration::from_secs(30);
    let call = loop {
        let me_now = me.get("/api/agent/me").json();
        if let Some(call) = me_now["session"]["wrapup"]["call"].as_u64() {
            break call;
        }
        assert!(Instant::now() < deadline, "no wrap-up: {me_now}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let reply = me.post(
        &format!("/api/agent/calls/{call}/result"),
        &json!({"code": code, "note": "Wants the \"premium\" plan"}),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    call
}

/// Waits until the deliveries of `call` satisfy `check`; returns them.
fn deliveries_of(api: &Api, call: u64, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let reply = api.get(&format!("/api/deliveries?interaction_id={call}"));
        if reply.status == 200 {
            let list = reply.json().as_array().cloned().unwrap_or_default();
            if check(&list) {
                return list;
            }
            assert!(Instant::now() < deadline, "deliveries: {list:#?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fresh_api(server: &TestServer) -> Api {
    Api {
        addr: server.http,
        token: server.admin_token.clone(),
    }
}

const FAST_RETRIES: &str = "[outbox]\nretry_base_ms = 1000\nretry_max_secs = 2\n";

#[test]
fn a_webhook_arrives_once_signed_across_failures_and_a_kill() {
    let port = free_port();
    let hook: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (mut server, api) = demo(FAST_RETRIES);
    let code = code_with(
        &api,
        json!({"http": true}),
        json!({"http": {"url": format!("http://{hook}/hook?call={{InteractionID}}&code={{ResultCode}}"),
                        "headers": {"X-Api-Key": "k-1"}, "secret": SECRET}}),
    );
    let shown = api
        .get(&format!("/api/result-codes/{code}/integration"))
        .json();
    assert_eq!(shown["http"]["signed"], true, "{shown}");
    assert!(shown["http"].get("secret").is_none(), "{shown}");

    let call = finished_call(&server, code);

    // Nobody listens yet: the first attempt cannot connect.
    let list = deliveries_of(&api, call, |l| {
        l.len() == 1 && l[0]["attempt_count"].as_u64() >= Some(1)
    });
    let delivery = list[0]["id"].as_i64().unwrap();
    assert_eq!(list[0]["kind"], "webhook");
    assert_eq!(list[0]["state"], "pending");
    assert_eq!(list[0]["target"]["signed"], true);
    assert!(list[0]["target"].get("secret").is_none());
    assert_eq!(list[0]["attempts"][0]["status"], Value::Null);
    assert!(list[0]["attempts"][0]["error"].is_string(), "{list:#?}");

    // The receiver answers 503; once that attempt is recorded the server is
    // killed and started again on the same database.
    let receiver = Receiver::start(hook, 503);
    receiver.wait_for("first request", |got| !got.is_empty());
    deliveries_of(&api, call, |l| l[0]["last_status"] == 503);
    server.restart();
    let api = fresh_api(&server);
    receiver.set(200);
    let got = receiver.wait_for("accepted request", |got| {
        got.iter().any(|r| r.answered == 200)
    });
    let list = deliveries_of(&api, call, |l| l[0]["state"] == "delivered");
    // Nothing more comes once it was accepted.
    std::thread::sleep(Duration::from_secs(3));
    let all = receiver.received();
    assert_eq!(
        all.len(),
        got.len(),
        "more requests after the 2xx: {all:#?}"
    );
    let accepted: Vec<&Received> = all.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(accepted.len(), 1, "accepted once: {all:#?}");
    assert!(all.iter().any(|r| r.answered == 503));
    let mut attempt = 0;
    for r in &all {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("x-switchboard-delivery"), delivery.to_string());
        assert_eq!(r.header("x-api-key"), "k-1");
        assert_eq!(r.header("content-type"), "application/json");
        assert!(
            signature_valid(SECRET, r.header("x-switchboard-signature"), &r.body),
            "{r:?}"
        );
        assert!(!signature_valid(
            "wrong",
            r.header("x-switchboard-signature"),
            &r.body
        ));
        // Counted on; the same number again only for an attempt the kill cut
        // before it was recorded.
        let n: usize = r.header("x-switchboard-attempt").parse().unwrap();
        assert!(n == attempt || n == attempt + 1 || attempt == 0, "{all:#?}");
        assert!(n >= 2, "the first attempt found nobody listening");
        attempt = n;
    }
    let last = accepted[0];
    assert_eq!(last.path, format!("/hook?call={call}&code=Sale"));
    let p = last.json();
    assert_eq!(p["InteractionID"], call);
    assert_eq!(p["DeliveryID"], delivery);
    assert_eq!(p["Event"], "finish_interaction");
    assert_eq!(p["Verdict"], code);
    assert_eq!(p["ResultCode"], "Sale");
    assert_eq!(p["ResultCategory"], "success");
    assert_eq!(p["Note"], "Wants the \"premium\" plan");
    assert_eq!(p["AgentName"], "Ada Lovelace");
    assert_eq!(p["AgentLogin"], "1001");
    assert_eq!(p["QueueName"], "Support");
    assert_eq!(p["IsOwner"], true);
    assert_eq!(p["Disposition"], "answered");
    assert!(
        p["RemoteNumber"].as_str().unwrap().starts_with("+1555"),
        "{p}"
    );
    assert!(p["StartTime"].as_str().unwrap().ends_with('Z'), "{p}");
    assert!(p["EndTime"].is_string(), "{p}");
    assert!(p["ConnectedLength"].as_f64().unwrap() > 0.0, "{p}");

    // Every attempt is visible, in order, the last one accepted.
    let d = &list[0];
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(
        d["attempt_count"].as_u64().unwrap() as usize,
        attempts.len()
    );
    assert_eq!(attempts.len(), attempt, "{d:#}");
    assert_eq!(attempts[0]["status"], Value::Null);
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["attempt"], i + 1);
    }
    assert_eq!(attempts.last().unwrap()["status"], 200);
    assert_eq!(d["last_status"], 200);
    assert!(d["delivered_at_ms"].is_i64());
    let one = api.get(&format!("/api/deliveries/{delivery}")).json();
    assert_eq!(one["attempts"], d["attempts"]);

    // Delivered: a retry is refused; an unknown delivery is not found.
    assert_problem(
        &api.post(&format!("/api/deliveries/{delivery}/retry"), &json!({})),
        409,
    );
    assert_problem(&api.get("/api/deliveries/12345"), 404);
    assert_eq!(
        server.metric("switchboard_outbox_delivered_total"),
        1,
        "counted by the restarted server"
    );
}

#[test]
fn integrations_are_checked_and_a_refused_webhook_fails_until_retried() {
    let receiver = Receiver::start("127.0.0.1:0".parse().unwrap(), 410);
    let (server, api) = demo(FAST_RETRIES);
    let reply = api.post(
        "/api/result-codes",
        &json!({"category": "other", "type": "call", "display_name": "X", "flags": {"http": true}}),
    );
    let x = id(&reply.json());
    let path = format!("/api/result-codes/{x}/integration");
    let p = assert_problem(
        &api.put(
            &path,
            &json!({"http": {"url": "ftp://x/{Nope}", "headers": {"Content-Type": "a", "ok": "a\r\nb"}},
                    "email": {"to": "a@b", "subject": "two\nlines", "body": "{AgentName}"},
                    "sms": {"text": ""}}),
        ),
        422,
    );
    assert_eq!(
        fields(&p),
        [
            "http.url",
            "http.url",
            "http.headers.Content-Type",
            "http.headers.ok",
            "email.subject",
            "sms.text"
        ],
        "{p}"
    );
    assert_problem(
        &api.put("/api/result-codes/999/integration", &json!({})),
        404,
    );
    assert_problem(&api.get("/api/deliveries?state=lost"), 400);
    assert_problem(&api.get("/api/deliveries?limit=0"), 400);

    let code = code_with(
        &api,
        json!({"http": true}),
        json!({"http": {"url": format!("http://{}/gone", receiver.addr), "method": "GET"}}),
    );
    let call = finished_call(&server, code);
    // 410 Gone will not change by itself: failed after one attempt.
    let list = deliveries_of(&api, call, |l| l.len() == 1 && l[0]["state"] == "failed");
    let delivery = list[0]["id"].as_i64().unwrap();
    assert_eq!(list[0]["attempt_count"], 1);
    assert_eq!(list[0]["last_status"], 410);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "GET");
    assert!(got[0].body.is_empty());
    assert_eq!(got[0].header("x-switchboard-signature"), "");
    // Fixed at the receiver, then retried through the API.
    receiver.set(204);
    let reply = api.post(&format!("/api/deliveries/{delivery}/retry"), &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let list = deliveries_of(&api, call, |l| l[0]["state"] == "delivered");
    assert_eq!(list[0]["attempt_count"], 2);
    assert_eq!(receiver.received().len(), 2);
    let failed = api.get("/api/deliveries?state=failed&kind=webhook").json();
    assert_eq!(failed, json!([]));
}

#[test]
fn mail_with_an_attachment_and_sms_go_through_the_outbox() {
    let work = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(work.path());
    let gateway = Receiver::start("127.0.0.1:0".parse().unwrap(), 202);
    let extra = format!(
        "{FAST_RETRIES}[mail]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"Switchboard <sb@example.com>\"\ntls = \"none\"\n\
         [sms]\nurl = \"http://{}/send?to={{to}}\"\nheaders = {{ Authorization = \"Bearer gw-key\" }}\n",
        smtp.port, gateway.addr
    );
    let (server, api) = demo(&extra);
    let code = code_with(
        &api,
        json!({"send_email": true, "send_sms": true}),
        json!({"email": {"to": "team@example.com, {AgentLogin}@example.com",
                         "subject": "{ResultCode} by {AgentName}",
                         "body": "Caller {RemoteNumber} in {QueueName}: {Note}"},
               "sms": {"text": "Thanks for calling, {AgentName} noted: {Note}"}}),
    );
    let call = finished_call(&server, code);
    let list = deliveries_of(&api, call, |l| {
        l.len() == 2 && l.iter().all(|d| d["state"] == "delivered")
    });
    let mail_id = list.iter().find(|d| d["kind"] == "email").unwrap()["id"].clone();

    let mails = smtp.wait_for(1);
    let m = &mails[0];
    assert_eq!(m["subject"], "Sale by Ada Lovelace", "{m}");
    assert_eq!(m["to"], "team@example.com, 1001@example.com", "{m}");
    assert_eq!(m["from"], "Switchboard <sb@example.com>");
    assert!(
        m["message_id"]
            .as_str()
            .unwrap()
            .contains(&format!("delivery-{mail_id}@")),
        "{m}"
    );
    // The text part ends with the line break MIME adds.
    let text = m["text"].as_str().unwrap().trim_end();
    assert!(text.starts_with("Caller +1555"), "{text}");
    assert!(
        text.ends_with("in Support: Wants the \"premium\" plan"),
        "{text}"
    );

    let sms = gateway.wait_for("SMS", |got| !got.is_empty());
    assert_eq!(sms.len(), 1);
    let caller = m["text"].as_str().unwrap()["Caller ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        sms[0].path,
        format!("/send?to={}", caller.replace('+', "%2B"))
    );
    assert_eq!(sms[0].header("authorization"), "Bearer gw-key");
    assert_eq!(
        sms[0].json(),
        json!({"to": caller, "text": "Thanks for calling, Ada Lovelace noted: Wants the \"premium\" plan"})
    );

    // A mail queued by another part of the server (voicemail): its WAV
    // arrives whole.
    let wav = work.path().join("message-7.wav");
    let bytes: Vec<u8> = (0..48_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&wav, &bytes).unwrap();
    let (rt, store) = store_of(&server);
    let queued = rt
        .block_on(switchboard::outbox::enqueue_mail(
            &store,
            switchboard::outbox::MailInput {
                to: vec!["Support <support@example.com>".into()],
                subject: "New voicemail from +15550111".into(),
                body: "A message was left.".into(),
                attachments: vec![wav.display().to_string()],
                interaction_id: None,
            },
        ))
        .unwrap();
    rt.block_on(store.close());
    let mails = smtp.wait_for(2);
    let m = mails
        .iter()
        .find(|m| m["subject"] == "New voicemail from +15550111")
        .expect("the voicemail mail");
    assert_eq!(m["to"], "Support <support@example.com>");
    assert_eq!(
        m["text"].as_str().unwrap().trim_end(),
        "A message was left."
    );
    let file = &m["files"][0];
    assert_eq!(file["name"], "message-7.wav");
    assert_eq!(file["type"], "audio/wav");
    assert_eq!(file["size"], bytes.len());
    use sha2::Digest;
    assert_eq!(file["sha256"], hex::encode(Sha256::digest(&bytes)));
    let d = api.get(&format!("/api/deliveries/{queued}")).json();
    assert_eq!(d["state"], "delivered", "{d}");
    assert_eq!(d["attempts"][0]["status"], 250);
}
