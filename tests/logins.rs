//! Logins under attack, over real HTTP against the real server: a burst of
//! failed logins leaves memory where it was and is refused with Retry-After
//! past the bounds; a stranger failing from another address (127.0.0.2,
//! standing for another host) never keeps the real user out of its own
//! address, and its back-off ends by itself; an unknown name is answered like
//! a wrong password; an empty database file is refused at start-up.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::http::{assert_problem, Api, Reply};
use common::users::make_user;
use common::TestServer;
use serde_json::{json, Value};

const STRANGER: &str = "127.0.0.2";

fn admin(server: &TestServer) -> Api {
    Api {
        addr: server.http,
        token: server.admin_token.clone(),
    }
}

/// `POST /api/login` from the local address `source`.
fn login_from(server: &TestServer, source: &str, username: &str, password: &str) -> Reply {
    let mut s = common::raw::connect_from(source, server.http, Duration::from_secs(20));
    let body = json!({"username": username, "password": password}).to_string();
    write!(
        s,
        "POST /api/login HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.http,
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    Reply {
        status,
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

/// The Retry-After seconds of a refusal, which must carry one.
fn retry_after(reply: &Reply) -> u64 {
    reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After on {} {:?}", reply.status, reply.headers))
}

/// The server's resident memory in KiB.
fn rss_kib(server: &TestServer) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

#[test]
fn a_burst_of_failed_logins_is_refused_past_the_bounds_and_memory_comes_back() {
    // Limits high enough that half the burst reaches the password check.
    let server = TestServer::start(
        "[auth]\nfailures_per_source_per_minute = 100\nfailures_per_user_per_minute = 1000\n\
         max_failed_attempts = 500\n",
        &[],
    );
    let api = admin(&server);
    let known: Vec<String> = (0..4).map(|i| format!("agent{i}")).collect();
    for name in &known {
        make_user(&api, name, "the right password", json!({}));
    }
    let baseline = rss_kib(&server);
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let server = &server;
                let name = if i % 2 == 0 {
                    known[i % known.len()].clone()
                } else {
                    format!("nobody{i}")
                };
                scope.spawn(move || login_from(server, "127.0.0.1", &name, "a wrong guess"))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let count = |status: u16| replies.iter().filter(|r| r.status == status).count();
    let (failed, refused, busy) = (count(401), count(429), count(503));
    eprintln!("burst: {failed} x 401, {refused} x 429, {busy} x 503");
    assert_eq!(failed + refused + busy, 200, "other answers: {replies:?}");
    assert!(failed >= 1, "no password was checked");
    assert!(refused + busy >= 100, "{refused} + {busy}");
    for r in replies.iter().filter(|r| r.status != 401) {
        assert!(retry_after(r) >= 1);
        let kind = if r.status == 429 {
            "too-many-attempts"
        } else {
            "busy"
        };
        assert_eq!(
            assert_problem(r, r.status)["type"],
            format!("/api/problems/{kind}")
        );
    }
    // Back under baseline + 100 MiB once the burst is over (it grew by
    // gigabytes when each check had its own working memory).
    let bound = baseline + 100 * 1024;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut now = rss_kib(&server);
    while now > bound {
        assert!(
            Instant::now() < deadline,
            "VmRSS {now} KiB stays above {bound} KiB (baseline {baseline} KiB)"
        );
        std::thread::sleep(Duration::from_millis(200));
        now = rss_kib(&server);
    }
    eprintln!("VmRSS: {baseline} KiB before the burst, {now} KiB after");
    // And the real users still log in, from their own address (the burst's
    // may be refused for the rest of its minute).
    let ok = login_from(&server, "127.0.0.2", "agent0", "the right password");
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[test]
fn a_real_agent_logs_in_from_its_address_while_a_stranger_fails_from_another() {
    let server = TestServer::start("[auth]\nmax_failed_attempts = 3\n", &[]);
    let api = admin(&server);
    make_user(&api, "ada", "ada's password", json!({}));
    for _ in 0..3 {
        let r = login_from(&server, STRANGER, "ada", "a guess");
        assert_problem(&r, 401);
    }
    for _ in 0..5 {
        let r = login_from(&server, STRANGER, "ada", "another guess");
        let p = assert_problem(&r, 429);
        assert_eq!(p["type"], "/api/problems/too-many-attempts");
        assert!(retry_after(&r) >= 1);
    }
    // Even the right password waits out the back-off at the stranger's address...
    assert_problem(&login_from(&server, STRANGER, "ada", "ada's password"), 429);
    // ...but at the agent's own address it logs in, and stays a normal user.
    let ok = login_from(&server, "127.0.0.1", "ada", "ada's password");
    assert_eq!(ok.status, 200, "{}", ok.body);
    let users = api.get("/api/users").json();
    let ada = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ada")
        .unwrap();
    assert_eq!(ada["state"], "active");
}

#[test]
fn a_back_off_ends_by_itself() {
    let server = TestServer::start(
        "[auth]\nmax_failed_attempts = 2\nbackoff_secs = 1\nmax_backoff_secs = 2\n",
        &[],
    );
    make_user(&admin(&server), "ada", "ada's password", json!({}));
    for _ in 0..2 {
        assert_problem(&login_from(&server, STRANGER, "ada", "a guess"), 401);
    }
    let first = login_from(&server, STRANGER, "ada", "ada's password");
    assert_problem(&first, 429);
    // No administrator: once the back-off is over the right password works
    // from that address too.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = login_from(&server, STRANGER, "ada", "ada's password");
        if r.status == 200 {
            break;
        }
        assert_problem(&r, 429);
        assert!(Instant::now() < deadline, "the back-off never ended");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_unknown_name_is_answered_like_a_wrong_password() {
    let server = TestServer::start("[auth]\nmax_failed_attempts = 2\n", &[]);
    make_user(&admin(&server), "ada", "ada's password", json!({}));
    let shape = |r: &Reply| -> (u16, Value, Option<String>, Option<String>) {
        (
            r.status,
            r.json(),
            r.header("set-cookie").map(str::to_owned),
            r.header("retry-after").map(str::to_owned),
        )
    };
    // Answer by answer, through the back-off too: the same status and body.
    for _ in 0..4 {
        let known = login_from(&server, STRANGER, "ada", "a guess");
        let unknown = login_from(&server, STRANGER, "nobody", "a guess");
        let (k, u) = (shape(&known), shape(&unknown));
        assert_eq!((k.0, &k.1, &k.2), (u.0, &u.1, &u.2));
        assert_eq!(k.3.is_some(), u.3.is_some());
    }
}

#[test]
fn an_empty_database_file_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchboard.db");
    std::fs::File::create(&db).unwrap();
    let stderr = common::refused_start(dir.path(), "[http]\nlisten = \"127.0.0.1:0\"\n");
    assert!(
        stderr.contains(&db.display().to_string()) && stderr.contains("empty"),
        "{stderr}"
    );
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
}
