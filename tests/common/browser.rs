//! The browser tests' driver: a scenario script in tests/browser run by
//! Node.js (playwright-core driving Debian's headless Chromium), the line
//! protocol it speaks with the Rust test, and the agents who log in to the
//! pages. Nothing is skipped: without Node.js, Chromium or the npm packages
//! (`npm ci` in web/) a test fails and says what to install; `tools/test`
//! installs them.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::calls::{agent_id, demo_queue};
use super::http::Api;
use super::users::profile_id;
use super::TestServer;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Fails the test, with what to install, when the browser tools are missing.
pub fn require_browser_tools() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "browser tests need Node.js (Debian: apt-get install nodejs npm); tools/test installs it"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "browser tests need Chromium at {chromium} (Debian: apt-get install chromium); tools/test installs it"
    );
    assert!(
        Path::new(MANIFEST)
            .join("web/node_modules/playwright-core")
            .exists(),
        "browser tests need playwright-core: run `npm ci` in web/ (tools/test does)"
    );
}

/// A fake microphone: 4 s of a two-tone chord, 48 kHz mono 16-bit, written
/// for Chromium's --use-file-for-fake-audio-capture (which loops it).
pub fn fake_audio(dir: &Path) -> PathBuf {
    let path = dir.join("microphone.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("writing the fake microphone");
    for i in 0..48_000 * 4 {
        let t = i as f64 / 48_000.0;
        let s = 0.3 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
            + 0.2 * (2.0 * std::f64::consts::PI * 660.0 * t).sin();
        w.write_sample((s * i16::MAX as f64) as i16).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// An agent who logs in to the panel: the demo user of an extension, given a
/// login password, the demo project and the Agent profile.
pub struct Agent {
    pub login: String,
    pub password: String,
}

pub fn browser_agent(server: &TestServer, api: &Api, username: &str) -> Agent {
    let id = agent_id(server, username);
    let user = api.get(&format!("/api/users/{id}")).json();
    let project = demo_queue(api)["project_id"].clone();
    let password = format!("panel-{username}-secret");
    let mut projects = user["projects"].as_array().cloned().unwrap_or_default();
    if !projects.contains(&project) {
        projects.push(project);
    }
    let mut profiles = user["profiles"].as_array().cloned().unwrap_or_default();
    let agent = json!(profile_id(api, "Agent"));
    if !profiles.contains(&agent) {
        profiles.push(agent);
    }
    let name = |key: &str, default: &str| match user[key].as_str() {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => default.to_owned(),
    };
    let body = json!({
        "username": user["username"], "first_name": name("first_name", "Agent"),
        "last_name": name("last_name", username),
        "password": password, "priority": user["priority"], "projects": projects,
        "profiles": profiles, "queues": user["queues"],
    });
    let reply = api.put(&format!("/api/users/{id}"), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    Agent {
        login: username.to_owned(),
        password,
    }
}

/// One browser scenario (a script in tests/browser) running in Node.js.
pub struct Browser {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
    stderr: Arc<std::sync::Mutex<String>>,
    seen: Vec<Value>,
}

impl Browser {
    pub fn start(server: &TestServer, script: &str, agents: &[&Agent], extra: Value) -> Browser {
        require_browser_tools();
        // Screenshots and the page's console of a failed run outlive the test.
        let test = std::thread::current()
            .name()
            .unwrap_or("browser")
            .replace("::", "-");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("browser")
            .join(test);
        std::fs::create_dir_all(&out).unwrap();
        let mut config = json!({
            "base": format!("http://{}", server.http),
            "wav": fake_audio(server.dir.path()),
            "out": out,
            "agents": agents.iter().map(|a| json!({"login": a.login, "password": a.password}))
                .collect::<Vec<_>>(),
        });
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        let mut child = Command::new("node")
            .arg(Path::new(MANIFEST).join("tests/browser").join(script))
            .env("SB_BROWSER", config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running node");
        let (tx, events) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let stderr = Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let stdin = child.stdin.take().unwrap();
        Browser {
            child,
            stdin,
            events,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Waits for the scenario to report `event`; fails with its output if it
    /// ends or stalls first.
    pub fn expect(&mut self, event: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == event {
                        return v;
                    }
                }
                Err(e) => {
                    // Let the script finish writing why it failed.
                    let _ = self.child.wait_timeout_ms(3000);
                    panic!(
                        "the browser scenario did not report {event:?} ({e}); it reported {:?}\n{}",
                        self.seen,
                        self.stderr.lock().unwrap()
                    );
                }
            }
        }
    }

    /// Tells the scenario `word` (a line on its stdin).
    #[allow(dead_code)]
    pub fn tell(&mut self, word: &str) {
        let _ = writeln!(self.stdin, "{word}");
    }

    /// Waits for the scenario to finish successfully.
    pub fn finish(mut self, within: Duration) {
        self.expect("done", within);
        let status = self.child.wait().expect("waiting for node");
        assert!(
            status.success(),
            "the browser scenario failed:\n{}",
            self.stderr.lock().unwrap()
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub trait WaitTimeout {
    fn wait_timeout_ms(&mut self, ms: u64) -> Option<std::process::ExitStatus>;
}

impl WaitTimeout for Child {
    fn wait_timeout_ms(&mut self, ms: u64) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_millis(ms);
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}
