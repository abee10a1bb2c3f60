//! Scanners and floods against the real server, from raw UDP and TCP sockets
//! bound to other loopback addresses (127.0.0.x standing for other hosts;
//! 127.0.0.1 itself is allowed by default): a scanner's User-Agent blocks its
//! source, which is then unanswered, and answered again once the block ends;
//! a REGISTER flood is refused with 503 and then blocked while another
//! source is served; 404 and failed-digest answers block a prober; an
//! allowed source is never blocked; and an unknown user gets exactly the
//! answer a known one with a wrong password gets.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::raw::{connect_from, read_head};
use common::TestServer;
use switchboard::sip::auth::{ha1, Algorithm, DigestCredentials};

const DOMAIN: &str = "switchboard.local";

/// A phone (or a scanner) at one loopback address.
struct Client {
    socket: UdpSocket,
    local: SocketAddr,
    server: SocketAddr,
}

/// What one request says about itself.
struct Req<'a> {
    method: &'a str,
    /// The user of the From (and, for REGISTER, of the To).
    user: &'a str,
    /// For REGISTER, the To URI; by default the user's address-of-record.
    to: Option<String>,
    user_agent: &'a str,
    authorization: Option<String>,
}

impl<'a> Req<'a> {
    fn new(method: &'a str, user: &'a str) -> Req<'a> {
        Req {
            method,
            user,
            to: None,
            user_agent: "Yealink SIP-T46S 66.86.0.15",
            authorization: None,
        }
    }
}

fn unique() -> u32 {
    static N: AtomicU32 = AtomicU32::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

impl Client {
    fn at(ip: &str, server: &TestServer) -> Client {
        let socket = UdpSocket::bind((ip, 0)).expect("binding a loopback address");
        let local = socket.local_addr().unwrap();
        Client {
            socket,
            local,
            server: server.udp,
        }
    }

    /// Sends `req` with a new Call-ID and returns that Call-ID.
    fn send(&self, req: &Req) -> String {
        let n = unique();
        let call_id = format!("{n}-{}@flood.test", self.local.port());
        let (uri, to, body, content_type) = if req.method == "INVITE" {
            let sdp = format!(
                "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
                 m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                ip = self.local.ip()
            );
            (
                format!("sip:600@{}", self.server),
                format!("<sip:600@{DOMAIN}>"),
                sdp,
                "Content-Type: application/sdp\r\n",
            )
        } else {
            let to = req
                .to
                .clone()
                .unwrap_or_else(|| format!("sip:{}@{DOMAIN}", req.user));
            (
                format!("sip:{}", self.server),
                format!("<{to}>"),
                String::new(),
                "",
            )
        };
        let authorization = req
            .authorization
            .as_ref()
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let expires = if req.method == "REGISTER" {
            "Expires: 60\r\n"
        } else {
            ""
        };
        let msg = format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK{n}x;rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@{DOMAIN}>;tag=f{n}\r\n\
             To: {to}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: 1 {method}\r\n\
             Contact: <sip:{user}@{local}>\r\n\
             User-Agent: {ua}\r\n\
             {expires}{authorization}{content_type}\
             Content-Length: {len}\r\n\r\n{body}",
            method = req.method,
            local = self.local,
            user = req.user,
            ua = req.user_agent,
            len = body.len(),
        );
        self.socket.send_to(msg.as_bytes(), self.server).unwrap();
        call_id
    }

    /// Every response that arrives until none has for `quiet`.
    fn responses(&self, quiet: Duration) -> Vec<String> {
        self.socket.set_read_timeout(Some(quiet)).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok((n, _)) = self.socket.recv_from(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }

    /// The final response to `req`, or `None` when nothing answers it
    /// within `wait` (retransmissions of earlier answers are skipped).
    fn ask_within(&self, req: &Req, wait: Duration) -> Option<String> {
        let call_id = self.send(req);
        let deadline = Instant::now() + wait;
        let mut buf = [0u8; 8192];
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.socket
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let Ok((n, _)) = self.socket.recv_from(&mut buf) else {
                return None;
            };
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if header(&text, "Call-ID") == Some(call_id.as_str()) && status(&text) >= 200 {
                return Some(text);
            }
        }
    }

    /// The final response to `req`; a missing answer fails the test.
    fn ask(&self, req: &Req) -> String {
        self.ask_within(req, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no answer to {} from {}", req.method, self.local))
    }

    /// Whether `req` goes unanswered (for a second: a blocked source's
    /// requests are dropped, so nothing could prove it sooner).
    fn unanswered(&self, req: &Req) -> bool {
        self.ask_within(req, Duration::from_secs(1)).is_none()
    }

    /// Answers a challenge for `req` as `user` with `password`.
    fn answer(&self, req: &mut Req, challenge: &str, user: &str, password: &str) {
        let www = header(challenge, "WWW-Authenticate").expect("a challenge");
        let nonce = www
            .split("nonce=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a nonce");
        let uri = if req.method == "INVITE" {
            format!("sip:600@{}", self.server)
        } else {
            format!("sip:{}", self.server)
        };
        let draft = format!(
            "Digest username=\"{user}\", realm=\"{DOMAIN}\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"0\", algorithm=MD5"
        );
        let response = DigestCredentials::parse(&draft)
            .unwrap()
            .expected_response(req.method, &ha1(Algorithm::Md5, user, DOMAIN, password))
            .unwrap();
        req.authorization =
            Some(draft.replace("response=\"0\"", &format!("response=\"{response}\"")));
    }
}

fn status(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A response with what necessarily differs between two requests (tags,
/// Call-ID, branch, address, nonce, length) taken out: what is left must be
/// the same for a known user and an unknown one.
fn shape(response: &str) -> Vec<String> {
    let head = response.split("\r\n\r\n").next().unwrap_or("");
    head.lines()
        .map(|l| match l.split_once(':') {
            Some((name, value)) => {
                let name = name.trim();
                let value = match name.to_ascii_lowercase().as_str() {
                    "via" | "from" | "to" | "call-id" | "contact" => "-".to_owned(),
                    "www-authenticate" => value
                        .split(',')
                        .map(|p| {
                            let p = p.trim();
                            if p.starts_with("nonce=") || p.starts_with("opaque=") {
                                "-"
                            } else {
                                p
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => value.trim().to_owned(),
                };
                format!("{name}: {value}")
            }
            None => l.to_owned(),
        })
        .collect()
}

fn blocks(server: &TestServer, reason: &str) -> u64 {
    server.metric(&format!(
        "switchboard_sip_blocks_total{{reason=\"{reason}\"}}"
    ))
}

fn scanner_options() -> Req<'static> {
    Req {
        user_agent: "friendly-scanner",
        ..Req::new("OPTIONS", "100")
    }
}

#[test]
fn a_scanner_is_blocked_over_udp_and_tcp_while_others_are_served() {
    let server = TestServer::start("[sip]\nblock_secs = 600\nmax_block_secs = 600\n", &[]);
    let scanner = Client::at("127.0.0.3", &server);
    assert!(scanner.unanswered(&scanner_options()));
    assert_eq!(blocks(&server, "scanner"), 1);
    // Whatever it says of itself now, it goes unanswered.
    assert!(scanner.unanswered(&Req::new("OPTIONS", "100")));
    assert!(scanner.unanswered(&Req::new("REGISTER", "2001")));
    // A new connection from it is refused before it can say anything.
    let mut tcp = connect_from("127.0.0.3", server.tcp, Duration::from_secs(5));
    use std::io::Write;
    let _ = tcp.write_all(
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.3:5060;branch=z9hG4bKt\r\n\
          From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: tcp@test\r\nCSeq: 1 OPTIONS\r\n\
          Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(
        read_head(&mut tcp),
        "",
        "a blocked source's connection was served"
    );
    // Another host is answered all along.
    let phone = Client::at("127.0.0.4", &server);
    assert_eq!(status(&phone.ask(&Req::new("OPTIONS", "100"))), 200);
    assert!(server.metric("switchboard_sip_dropped_total{reason=\"blocked\"}") >= 2);
    assert!(server.metric("switchboard_sip_dropped_total{reason=\"connection\"}") >= 1);
    assert_eq!(server.metric("switchboard_sip_blocked_sources"), 1);
}

#[test]
fn a_block_ends_by_itself_after_its_time() {
    let server = TestServer::start("[sip]\nblock_secs = 1\nmax_block_secs = 1\n", &[]);
    let scanner = Client::at("127.0.0.3", &server);
    assert!(scanner.unanswered(&scanner_options()));
    assert_eq!(blocks(&server, "scanner"), 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(answer) =
            scanner.ask_within(&Req::new("OPTIONS", "100"), Duration::from_secs(1))
        {
            assert_eq!(status(&answer), 200, "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "the block never ended");
    }
}

#[test]
fn a_register_flood_is_refused_then_blocked_while_another_source_registers() {
    let server = TestServer::start(
        "[sip]\nregister_rate = 5\nregister_burst = 5\nblock_secs = 600\nmax_block_secs = 600\n",
        &[("2001", "right")],
    );
    let flood = Client::at("127.0.0.5", &server);
    for _ in 0..60 {
        flood.send(&Req::new("REGISTER", "2001"));
    }
    let answers = flood.responses(Duration::from_secs(2));
    let count = |code: u16| answers.iter().filter(|a| status(a) == code).count();
    let (challenged, refused) = (count(401), count(503));
    eprintln!(
        "60 REGISTERs: {challenged} x 401, {refused} x 503, {} answers",
        answers.len()
    );
    assert!(challenged >= 1, "{answers:?}");
    assert!(refused >= 1, "{answers:?}");
    assert!(
        answers.len() < 60,
        "every request of the flood was answered"
    );
    for a in answers.iter().filter(|a| status(a) == 503) {
        let secs: u64 = header(a, "Retry-After")
            .and_then(|v| v.parse().ok())
            .expect(a);
        assert!(secs >= 1, "{a}");
    }
    assert_eq!(blocks(&server, "flood"), 1);
    assert!(server.metric("switchboard_sip_rate_limited_total{method=\"REGISTER\"}") >= 1);
    // The flooding source is now unanswered; another one registers.
    assert!(flood.unanswered(&Req::new("REGISTER", "2001")));
    let phone = Client::at("127.0.0.6", &server);
    let mut req = Req::new("REGISTER", "2001");
    let challenge = phone.ask(&req);
    assert_eq!(status(&challenge), 401, "{challenge}");
    phone.answer(&mut req, &challenge, "2001", "right");
    let ok = phone.ask(&req);
    assert_eq!(status(&ok), 200, "{ok}");
}

#[test]
fn probing_answers_block_the_prober() {
    let server = TestServer::start(
        "[sip]\nprobe_limit = 3\nblock_secs = 600\nmax_block_secs = 600\n",
        &[("2001", "right")],
    );
    // Registering an address-of-record without a user part: 404, three times.
    let prober = Client::at("127.0.0.7", &server);
    for _ in 0..3 {
        let mut req = Req {
            to: Some(format!("sip:{DOMAIN}")),
            ..Req::new("REGISTER", "2001")
        };
        let challenge = prober.ask(&req);
        assert_eq!(status(&challenge), 401, "{challenge}");
        prober.answer(&mut req, &challenge, "2001", "right");
        let answer = prober.ask(&req);
        assert_eq!(status(&answer), 404, "{answer}");
    }
    assert_eq!(blocks(&server, "probes"), 1);
    assert!(prober.unanswered(&Req::new("REGISTER", "2001")));
    // Guessing passwords counts the same way.
    let guesser = Client::at("127.0.0.8", &server);
    let mut answers = Vec::new();
    for guess in ["a", "b", "c", "d"] {
        let mut req = Req::new("REGISTER", "2001");
        let Some(challenge) = guesser.ask_within(&req, Duration::from_secs(2)) else {
            break;
        };
        guesser.answer(&mut req, &challenge, "2001", guess);
        answers.push(
            guesser
                .ask_within(&req, Duration::from_secs(2))
                .map(|a| status(&a)),
        );
    }
    assert_eq!(
        answers[..3],
        [Some(401), Some(401), Some(401)],
        "{answers:?}"
    );
    assert_eq!(blocks(&server, "probes"), 2);
    assert!(guesser.unanswered(&Req::new("REGISTER", "2001")));
}

#[test]
fn an_allowed_source_is_never_blocked() {
    let server = TestServer::start(
        "[sip]\nallow_networks = [\"127.0.0.9/32\"]\nregister_rate = 1\nregister_burst = 1\n\
         probe_limit = 1\n",
        &[],
    );
    let trusted = Client::at("127.0.0.9", &server);
    for _ in 0..3 {
        assert_eq!(status(&trusted.ask(&scanner_options())), 200);
    }
    for _ in 0..20 {
        trusted.send(&Req::new("REGISTER", "2001"));
    }
    let answers = trusted.responses(Duration::from_secs(2));
    assert_eq!(answers.len(), 20, "{answers:?}");
    assert!(answers.iter().all(|a| status(a) == 401), "{answers:?}");
    for reason in ["scanner", "flood", "probes"] {
        assert_eq!(blocks(&server, reason), 0, "{reason}");
    }
    assert_eq!(server.metric("switchboard_sip_tracked_sources"), 0);
}

#[test]
fn an_unknown_user_is_answered_like_a_known_user_with_a_wrong_password() {
    let server = TestServer::start("", &[("2001", "right")]);
    let stranger = Client::at("127.0.0.10", &server);
    for method in ["REGISTER", "INVITE"] {
        // Without credentials.
        let known = stranger.ask(&Req::new(method, "2001"));
        let unknown = stranger.ask(&Req::new(method, "7777"));
        assert_eq!(status(&known), 401, "{known}");
        assert_eq!(
            shape(&known),
            shape(&unknown),
            "{method}:\n{known}\n{unknown}"
        );
        // With a wrong password for a known user, and any for an unknown one.
        let mut known_req = Req::new(method, "2001");
        stranger.answer(&mut known_req, &known, "2001", "wrong");
        let mut unknown_req = Req::new(method, "7777");
        stranger.answer(&mut unknown_req, &unknown, "7777", "wrong");
        let known = stranger.ask(&known_req);
        let unknown = stranger.ask(&unknown_req);
        assert_eq!(status(&known), 401, "{known}");
        assert_eq!(
            shape(&known),
            shape(&unknown),
            "{method}:\n{known}\n{unknown}"
        );
    }
}
