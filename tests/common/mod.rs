//! What the integration tests share: the real `switchboard` binary started on
//! ephemeral ports with a real SQLite file in a temporary folder, and SIPp
//! runs against it.
#![allow(dead_code)]

pub mod browser;
pub mod calls;
pub mod http;
pub mod media;
pub mod phone;
pub mod raw;
pub mod smtp;
pub mod tls;
pub mod users;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// A running server; killed when dropped.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    /// The HTTP listener (`listening http`, or `listening https` with TLS).
    pub http: SocketAddr,
    /// Every listener the server reported, as `(kind, address)`.
    pub listeners: Vec<(String, SocketAddr)>,
    /// The admin API token the server printed (`admin-token ...`), if any.
    pub admin_token: String,
    /// The server's database: the file `switchboard.db` in `dir`, or a new
    /// PostgreSQL database when `SWITCHBOARD_TEST_POSTGRES` names a server.
    pub database_url: String,
    child: Child,
}

/// A new database for one server: see [`TestServer::database_url`].
pub fn new_database(dir: &Path) -> String {
    match std::env::var("SWITCHBOARD_TEST_POSTGRES") {
        Ok(server) => {
            use std::sync::atomic::{AtomicU32, Ordering};
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "it_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(switchboard::store::create_postgres_database(&server, &name))
                .expect("creating a PostgreSQL database")
        }
        Err(_) => format!("sqlite://{}", dir.join("switchboard.db").display()),
    }
}

impl TestServer {
    /// Starts a server whose configuration is the test defaults plus `extra`
    /// (TOML tables, e.g. "[auth]\nmax_failed_attempts = 3"), after creating
    /// the extensions `users` as `(username, password)`.
    pub fn start(extra: &str, users: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary folder");
        let database_url = new_database(dir.path());
        TestServer::start_in(dir, database_url, extra, users)
    }

    /// [`TestServer::start`] on the database `database_url`, which other
    /// servers may share (several nodes on one PostgreSQL database).
    pub fn start_on(database_url: &str, extra: &str, users: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestServer::start_in(dir, database_url.to_owned(), extra, users)
    }

    fn start_in(
        dir: tempfile::TempDir,
        database_url: String,
        extra: &str,
        users: &[(&str, &str)],
    ) -> TestServer {
        let config = dir.path().join("switchboard.toml");
        // The demo project only where a test asks for it.
        let demo = if extra.contains("demo =") {
            ""
        } else {
            "demo = false\n"
        };
        let toml = format!("log = \"warn\"\n{demo}{extra}\n[database]\nurl = \"{database_url}\"\n");
        let mut toml = merge_listen_defaults(&toml);
        if !database_url.starts_with("sqlite:") && !toml.contains("recordings_dir") {
            // Recordings stay in the test's folder, as they do beside a
            // SQLite file.
            let key = format!(
                "recordings_dir = \"{}\"\n",
                dir.path().join("recordings").display()
            );
            toml = match toml.find("\n[media]\n") {
                Some(at) => format!("{}{key}{}", &toml[..at + 9], &toml[at + 9..]),
                None => format!("{toml}\n[media]\n{key}"),
            };
        }
        std::fs::write(&config, toml).expect("writing the configuration");
        if !users.is_empty() {
            let csv = dir.path().join("users.csv");
            let mut f = std::fs::File::create(&csv).unwrap();
            for (u, p) in users {
                writeln!(f, "{u},{p}").unwrap();
            }
            let status = Command::new(BIN)
                .args(["--config"])
                .arg(&config)
                .args(["extension", "import"])
                .arg(&csv)
                .stdout(Stdio::null())
                .status()
                .expect("running switchboard extension import");
            assert!(status.success(), "extension import failed");
        }
        let (child, listeners, admin_token) = spawn(&config);
        let find = |kind: &str| {
            listeners
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, a)| *a)
                .unwrap_or_else(|| panic!("no {kind} listener"))
        };
        TestServer {
            udp: find("sip/udp"),
            tcp: find("sip/tcp"),
            http: listeners
                .iter()
                .find(|(k, _)| k == "http" || k == "https")
                .map(|(_, a)| *a)
                .expect("no http listener"),
            dir,
            config,
            listeners,
            admin_token,
            database_url,
            child,
        }
    }

    /// The server's process id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a service manager stops the server.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success());
    }

    /// Waits up to `timeout` for the server to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Stops the server at once (SIGKILL: nothing gets a chance to flush),
    /// as a machine that dies.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server (SIGKILL: nothing gets a chance to flush) and starts
    /// it again on the same database.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, listeners, admin_token) = spawn(&self.config);
        self.child = child;
        self.admin_token = admin_token;
        for (kind, addr) in &listeners {
            match kind.as_str() {
                "sip/udp" if addr.is_ipv4() => self.udp = *addr,
                "sip/tcp" if addr.is_ipv4() => self.tcp = *addr,
                "http" | "https" => self.http = *addr,
                _ => {}
            }
        }
        self.listeners = listeners;
    }

    /// Runs `switchboard extension set` against this server's database.
    pub fn set_password(&self, user: &str, password: &str) {
        let status = Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(["extension", "set", user, "--password", password])
            .stdout(Stdio::null())
            .status()
            .expect("running switchboard extension set");
        assert!(status.success());
    }

    /// The value of one counter from `/metrics`.
    pub fn metric(&self, name: &str) -> u64 {
        let body = http_get(self.http, "/metrics");
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in:\n{body}"))
    }

    /// An injection file for SIPp with `(username, password)` per line.
    pub fn sipp_users(&self, name: &str, users: &[(&str, &str)]) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "SEQUENTIAL").unwrap();
        for (u, p) in users {
            writeln!(f, "{u};[authentication username={u} password={p}]").unwrap();
        }
        path
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn merge_listen_defaults(toml: &str) -> String {
    let mut out = String::from(toml);
    if !toml.contains("[sip]") {
        out.push_str("[sip]\nudp = [\"127.0.0.1:0\"]\ntcp = [\"127.0.0.1:0\"]\n");
    } else if !toml.contains("udp =") {
        out = out.replace(
            "[sip]\n",
            "[sip]\nudp = [\"127.0.0.1:0\"]\ntcp = [\"127.0.0.1:0\"]\n",
        );
    }
    // SIP over TLS listens only with a certificate, and then on a port of
    // its own for each test.
    if !toml.contains("\ntls = ") {
        out = out.replacen("[sip]\n", "[sip]\ntls = [\"127.0.0.1:0\"]\n", 1);
    }
    if !toml.contains("[http]") {
        out.push_str("[http]\nlisten = \"127.0.0.1:0\"\n");
    }
    out
}

fn spawn(config: &Path) -> (Child, Vec<(String, SocketAddr)>, String) {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting switchboard serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let mut listeners = Vec::new();
    let mut admin_token = String::new();
    // The server reports its SIP listeners first, then a generated admin
    // token, and HTTP last.
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("switchboard did not report its listeners");
        if let Some(token) = line.strip_prefix("admin-token ") {
            admin_token = token.trim().to_owned();
            continue;
        }
        let mut parts = line.split_whitespace();
        if parts.next() != Some("listening") {
            continue;
        }
        let what = parts.next().unwrap_or("");
        let addr: SocketAddr = parts
            .next()
            .unwrap_or("")
            .parse()
            .expect("listener address");
        listeners.push((what.to_owned(), addr));
        if what == "http" || what == "https" {
            break;
        }
    }
    (child, listeners, admin_token)
}

/// Starts `switchboard serve` on the database `dir/switchboard.db` with
/// `http` as the `[http]` table; it must fail. Returns its standard error.
pub fn refused_start(dir: &Path, http: &str) -> String {
    let config = dir.join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "log = \"warn\"\ndemo = false\n[database]\nurl = \"sqlite://{}\"\n\
             [sip]\nudp = [\"127.0.0.1:0\"]\ntcp = [\"127.0.0.1:0\"]\n{http}",
            dir.join("switchboard.db").display()
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with {http}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    stderr
}

/// A minimal HTTP/1.1 GET over a raw socket.
pub fn http_get(addr: SocketAddr, path: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).expect("connecting to HTTP");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or(out)
}

/// A free local port (for SIPp's own sockets).
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The outcome of one SIPp run.
pub struct Sipp {
    pub success: bool,
    pub successful_calls: u64,
    pub failed_calls: u64,
    pub output: String,
}

/// Runs `scenario` (a file in tests/sipp) against `target`; `extra` adds
/// SIPp options such as `-m`, `-r`, `-t t1`.
pub fn sipp(scenario: &str, target: SocketAddr, users: &Path, extra: &[&str]) -> Sipp {
    sipp_from("127.0.0.1", scenario, target, users, extra)
}

/// [`sipp`] from the local address `source` (another loopback address, say,
/// to stand for another host).
pub fn sipp_from(
    source: &str,
    scenario: &str,
    target: SocketAddr,
    users: &Path,
    extra: &[&str],
) -> Sipp {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(scenario);
    // The ports free_port finds may be taken by another test before SIPp
    // binds them: SIPp then stops at start-up, having sent nothing, and is
    // started again on other ports.
    let mut run = sipp_once(source, &scenario, target, users, extra);
    for _ in 0..3 {
        let started = run.successful_calls + run.failed_calls > 0;
        if run.success || started || !run.output.contains("Address already in use") {
            break;
        }
        run = sipp_once(source, &scenario, target, users, extra);
    }
    run
}

fn sipp_once(
    source: &str,
    scenario: &Path,
    target: SocketAddr,
    users: &Path,
    extra: &[&str],
) -> Sipp {
    let port = free_port().to_string();
    let media = (free_port() & !1).to_string();
    let output = Command::new("sipp")
        .arg("-sf")
        .arg(scenario)
        .arg("-inf")
        .arg(users)
        .args(["-i", source, "-p", &port, "-mp", &media])
        .args(["-timeout", "120s", "-recv_timeout", "10s", "-nostdin"])
        .args(extra)
        .arg(target.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("running sipp (install Debian's sip-tester; tools/test does)");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let count = |label: &str| -> u64 {
        text.lines()
            .rev()
            .filter(|l| l.trim_start().starts_with(label))
            .find_map(|l| l.rsplit('|').next()?.trim().parse().ok())
            .unwrap_or(0)
    };
    Sipp {
        success: output.status.success(),
        successful_calls: count("Successful call"),
        failed_calls: count("Failed call"),
        output: text,
    }
}
