//! What the call tests share: a demo server with known agent passwords,
//! SIPp playing agents' phones and callers, and the interaction records read
//! from the server's database file.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::acd::Millis;
use switchboard::media::g711::Law;
use switchboard::store::{RowState, Store, StoredInteraction};

use super::http::Api;
use super::{free_port, sipp, Sipp, TestServer};

pub const DID: &str = "+15550100";

/// A demo server (queue Support, number 600, DID +15550100, agents 1001
/// and 1002) with known agent passwords.
pub fn demo(extra: &str) -> (TestServer, Api) {
    demo_with_agents(extra, &[])
}

/// [`demo`] with more extensions; each password is `pw-` and the name.
pub fn demo_with_agents(extra: &str, more: &[String]) -> (TestServer, Api) {
    let names: Vec<String> = ["1001", "1002", "1003"]
        .iter()
        .map(|s| s.to_string())
        .chain(more.iter().cloned())
        .collect();
    let users: Vec<(String, String)> = names
        .iter()
        .map(|u| (u.clone(), format!("pw-{u}")))
        .collect();
    let pairs: Vec<(&str, &str)> = users
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_str()))
        .collect();
    let server = TestServer::start(&format!("demo = true\n{extra}"), &pairs);
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    (server, api)
}

/// One SIPp process playing agents' phones: it registers them, then each
/// INVITE it is sent is handled by `behaviour` (an agent_*.xml scenario).
pub struct Phones {
    child: Child,
    log: PathBuf,
}

impl Phones {
    pub fn start(server: &TestServer, users: &[&str], behaviour: &str) -> Phones {
        Phones::start_with(server, users, behaviour, &[])
    }

    /// Like [`Phones::start`], with more SIPp arguments (`-key name value`
    /// for what the behaviour's scenario reads as `[name]`).
    pub fn start_with(
        server: &TestServer,
        users: &[&str],
        behaviour: &str,
        extra: &[&str],
    ) -> Phones {
        let before = server.metric("switchboard_sip_registrations_total");
        let n = users.len() as u64;
        Phones::start_to(server, server.udp, users, behaviour, extra, || {
            server.metric("switchboard_sip_registrations_total") >= before + n
        })
    }

    /// Like [`Phones::start_with`], registering at `target` (a SIP edge in
    /// front of the server, say) until `registered` says they all are.
    pub fn start_to(
        server: &TestServer,
        target: SocketAddr,
        users: &[&str],
        behaviour: &str,
        extra: &[&str],
        registered: impl Fn() -> bool,
    ) -> Phones {
        let pairs: Vec<(&str, String)> = users.iter().map(|u| (*u, format!("pw-{u}"))).collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(u, p)| (*u, p.as_str())).collect();
        let name = format!("phones-{}-{}-{}.csv", users[0], users.len(), behaviour);
        let inf = server.sipp_users(&name, &pairs);
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp");
        let log = server.dir.path().join(format!("{name}.log"));
        let spawn = || {
            Command::new("sipp")
                .arg("-sf")
                .arg(dir.join("agent_register.xml"))
                .arg("-oocsf")
                .arg(dir.join(behaviour))
                .arg("-inf")
                .arg(&inf)
                .args(["-i", "127.0.0.1", "-p", &free_port().to_string()])
                .args(["-mp", &(free_port() & !1).to_string()])
                .args(["-m", &users.len().to_string(), "-r", "50"])
                .args(["-d", "600000", "-nostdin", "-timeout", "600s"])
                .args(extra)
                .arg(target.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("running sipp (install Debian's sip-tester; tools/test does)")
        };
        let mut phones = Phones {
            child: spawn(),
            log: log.clone(),
        };
        let mut restarts = 0;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !registered() {
            let text = || std::fs::read_to_string(&phones.log).unwrap_or_default();
            // Ports free_port found may be taken before SIPp binds them: it
            // then stops at start-up, and starts again on other ports.
            let stopped = matches!(phones.child.try_wait(), Ok(Some(_)));
            if stopped && restarts < 3 && text().contains("Address already in use") {
                restarts += 1;
                phones.child = spawn();
                continue;
            }
            assert!(
                Instant::now() < deadline,
                "phones did not register: {}",
                text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Registration logs the agents in to dispatch right after.
        std::thread::sleep(Duration::from_millis(300));
        phones
    }
}

impl Drop for Phones {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A SIPp run of one call that went through.
pub fn assert_sipp_ok(run: &Sipp, what: &str) {
    assert!(
        run.success && run.successful_calls == 1,
        "{what}: {}",
        run.output
    );
}

/// Runs a caller scenario from this machine (the demo's trunk) to `number`.
pub fn call(server: &TestServer, scenario: &str, number: &str, extra: &[&str]) -> Sipp {
    let inf = server.dir.path().join("caller.csv");
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let mut args = vec!["-s", number, "-m", "1"];
    args.extend_from_slice(extra);
    sipp(scenario, server.udp, &inf, &args)
}

pub fn store_of(server: &TestServer) -> (tokio::runtime::Runtime, Store) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt
        .block_on(Store::open(&server.database_url))
        .expect("opening the server's database");
    (rt, store)
}

/// Waits until `n` records are complete and returns every record, oldest first.
pub fn completed_records(server: &TestServer, n: usize) -> Vec<StoredInteraction> {
    let (rt, store) = store_of(server);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = rt
            .block_on(store.interactions_between(Millis(0), Millis(u64::MAX >> 1)))
            .unwrap();
        let done = all.iter().filter(|r| r.state == RowState::Complete).count();
        if done >= n {
            rt.block_on(store.close());
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {n} records complete: {all:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The user id behind an extension (the agent id in records).
pub fn agent_id(server: &TestServer, username: &str) -> u64 {
    let (rt, store) = store_of(server);
    let id = rt
        .block_on(store.agent_extensions())
        .unwrap()
        .into_iter()
        .find(|(_, u)| u == username)
        .map(|(id, _)| id as u64)
        .expect("extension exists");
    rt.block_on(store.close());
    id
}

pub fn demo_queue(api: &Api) -> Value {
    api.get("/api/queues")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["number"] == "600")
        .cloned()
        .expect("the demo queue")
}

/// Replaces the demo queue's settings with `changes` (the rest kept).
pub fn change_demo_queue(api: &Api, changes: Value) -> Value {
    let mut q = demo_queue(api);
    let id = q["id"].as_i64().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        q[k] = v.clone();
    }
    let body = queue_input(&q);
    let reply = api.put(&format!("/api/queues/{id}"), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The change reaches dispatch through the reload that follows.
    std::thread::sleep(Duration::from_millis(300));
    reply.json()
}

/// A stored queue as the input of a PUT: its writable fields.
pub fn queue_input(q: &Value) -> Value {
    let mut body = q.clone();
    let obj = body.as_object_mut().unwrap();
    for k in ["id", "warnings", "created_at", "updated_at"] {
        obj.remove(k);
    }
    body
}

/// The caller's media end, in the test: it receives what the server sends
/// the caller (keeping the decoded audio) and answers with a 440 Hz PCMA tone
/// from the same port (the server latches on to it, as it does with any
/// caller behind NAT). Its port goes in `queue_caller_rtp.xml`'s SDP.
pub struct CallerAudio {
    pub port: u16,
    received: Arc<AtomicU64>,
    samples: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The tone [`CallerAudio`] sends, in Hz.
pub const CALLER_TONE_HZ: f64 = 440.0;

impl CallerAudio {
    pub fn start() -> CallerAudio {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let received = Arc::new(AtomicU64::new(0));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, kept, s) = (received.clone(), samples.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut server: Option<SocketAddr> = None;
            let mut next_send = Instant::now();
            let (mut seq, mut ts, mut phase) = (0u16, 0u32, 0f64);
            while !s.load(Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    // RTP version 2, not RTCP (payload types 72 to 79 with the marker).
                    if n > 12 && buf[0] >> 6 == 2 && !(200..=204).contains(&buf[1]) {
                        r.fetch_add(1, Ordering::Relaxed);
                        server.get_or_insert(from);
                        let law = match buf[1] & 0x7f {
                            0 => Some(Law::Mu),
                            8 => Some(Law::A),
                            _ => None,
                        };
                        if let Some(law) = law {
                            let mut kept = kept.lock().unwrap();
                            kept.extend(buf[12..n].iter().map(|&b| law.decode(b)));
                        }
                    }
                }
                if let Some(to) = server {
                    if Instant::now() >= next_send {
                        next_send += Duration::from_millis(20);
                        let mut packet = vec![0x80, 8];
                        packet.extend_from_slice(&seq.to_be_bytes());
                        packet.extend_from_slice(&ts.to_be_bytes());
                        packet.extend_from_slice(&0x5eed_cafe_u32.to_be_bytes());
                        for _ in 0..160 {
                            phase += 2.0 * std::f64::consts::PI * CALLER_TONE_HZ / 8000.0;
                            let sample = (phase.sin() * 12_000.0) as i16;
                            packet.push(Law::A.encode(sample));
                        }
                        let _ = socket.send_to(&packet, to);
                        seq = seq.wrapping_add(1);
                        ts = ts.wrapping_add(160);
                    }
                }
            }
        });
        CallerAudio {
            port,
            received,
            samples,
            stop,
            thread: Some(thread),
        }
    }

    /// RTP packets received so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Every G.711 sample received so far, decoded.
    pub fn samples(&self) -> Vec<i16> {
        self.samples.lock().unwrap().clone()
    }
}

impl Drop for CallerAudio {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How many 20 ms frames of `samples` (8 kHz) carry mostly a tone of `hz`:
/// its Goertzel power is over half the frame's energy, and the frame is not
/// near-silent.
pub fn tone_frames(samples: &[i16], hz: f64) -> usize {
    tone_share_frames(samples, hz, 0.5)
}

/// How many 20 ms frames of `samples` carry a tone of `hz` in more than
/// `share` of their energy (a mix of two equal tones gives each about half),
/// the frame not near-silent.
pub fn tone_share_frames(samples: &[i16], hz: f64, share: f64) -> usize {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / 8000.0).cos();
    samples
        .chunks_exact(160)
        .filter(|frame| {
            let (mut s1, mut s2, mut energy) = (0.0f64, 0.0f64, 0.0f64);
            for &x in *frame {
                let x = x as f64;
                let s0 = x + coeff * s1 - s2;
                s2 = s1;
                s1 = s0;
                energy += x * x;
            }
            let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
            // A pure tone's Goertzel power is energy * N / 2.
            let rms = (energy / 160.0).sqrt();
            rms > 500.0 && power / (energy * 80.0) > share
        })
        .count()
}
