//! Every RFC 4475 torture message sent to the real server over UDP, each
//! checked against what `../shared/testdata/rfc4475/README.md` says a server
//! must do with it; and again over TCP, where the answers are the same but
//! for framing: a stream needs Content-Length (RFC 3261 section 18.3), and a
//! message that cannot be framed gets 400 before the connection closes; and
//! over TLS, answered as over TCP.
//!
//! Responses go where RFC 3261 section 18.2.2 sends them: to the source
//! address and the port of the top Via (5060 by default, 5061 for TLS, 5050
//! in quotbal.dat), so the test listens on those ports of 127.0.0.1 and sends
//! from 5060.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::tls::{sip_tls, Certificate};
use common::TestServer;

/// What the server must do with one message.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A final response with one of these codes.
    Status(&'static [u16]),
    /// Any final response (the message is valid; what it asks for is the
    /// server's business).
    Answered,
    /// No response at all (a response message, or one that cannot be answered).
    Silence,
    /// Over a stream only: a message that cannot be framed (RFC 3261 section
    /// 18.3) gets 400 with this reason phrase, then the connection closes.
    Refused(&'static str),
}

use Expect::*;

const TABLE: &[(&str, Expect)] = &[
    // 3.1.1 valid messages: parsed and handled.
    ("wsinv.dat", Answered),
    ("intmeth.dat", Status(&[501])),
    ("esc01.dat", Answered),
    ("escnull.dat", Status(&[401])),
    ("esc02.dat", Status(&[501])),
    ("lwsdisp.dat", Status(&[200])),
    ("longreq.dat", Answered),
    ("dblreq.dat", Status(&[401])),
    ("semiuri.dat", Status(&[200])),
    ("transports.dat", Status(&[200])),
    ("mpart01.dat", Status(&[405])),
    ("unreason.dat", Silence),
    ("noreason.dat", Silence),
    // 3.1.2 invalid messages.
    ("badinv01.dat", Status(&[400])),
    ("clerr.dat", Status(&[400])),
    ("ncl.dat", Status(&[400])),
    ("scalar02.dat", Status(&[400])),
    ("scalarlg.dat", Silence),
    ("quotbal.dat", Status(&[400])),
    ("ltgtruri.dat", Status(&[400])),
    ("lwsruri.dat", Status(&[400])),
    ("lwsstart.dat", Status(&[400])),
    ("trws.dat", Status(&[400])),
    ("escruri.dat", Status(&[400])),
    ("baddate.dat", Answered),
    ("regbadct.dat", Status(&[400])),
    ("badaspec.dat", Status(&[400])),
    ("baddn.dat", Status(&[400])),
    ("badvers.dat", Status(&[505])),
    ("mismatch01.dat", Status(&[400])),
    ("mismatch02.dat", Status(&[400, 501])),
    ("bigcode.dat", Silence),
    // 3.2 transaction layer: no RFC 3261 branch.
    ("badbranch.dat", Status(&[200])),
    // 3.3 application layer semantics.
    ("insuf.dat", Status(&[400])),
    ("unkscm.dat", Status(&[416])),
    ("novelsc.dat", Status(&[416])),
    ("unksm2.dat", Status(&[401])),
    ("bext01.dat", Status(&[420])),
    ("invut.dat", Status(&[415])),
    ("regaut01.dat", Status(&[401])),
    ("multi01.dat", Status(&[400])),
    ("mcl01.dat", Status(&[400])),
    ("bcast.dat", Silence),
    ("zeromf.dat", Status(&[200])),
    ("cparam01.dat", Status(&[401])),
    ("cparam02.dat", Status(&[401])),
    ("regescrt.dat", Status(&[401])),
    ("sdp01.dat", Status(&[406, 415])),
    // 3.4 RFC 2543 compatibility.
    ("inv2543.dat", Answered),
];

/// Messages whose branch, sent-by and method equal an earlier message's
/// (cparam01/cparam02, escnull/regescrt): RFC 3261 section 17.2.3 matches
/// them to the earlier server transaction, whose response is retransmitted.
const REUSED_TRANSACTION: &[&str] = &["cparam02.dat", "regescrt.dat"];

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/rfc4475")
}

/// The Call-ID of a raw message, if it has exactly one.
fn call_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut found = head.lines().filter_map(|line| {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        (name.eq_ignore_ascii_case("call-id") || name.eq_ignore_ascii_case("i"))
            .then(|| value.trim().to_owned())
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

struct Listener {
    sockets: Vec<UdpSocket>,
}

impl Listener {
    fn bind() -> Listener {
        let sockets = [5060u16, 5061, 5050]
            .into_iter()
            .map(|port| {
                let s = UdpSocket::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
                    panic!("the torture test needs 127.0.0.1:{port} free (RFC 3261 default ports): {e}")
                });
                s.set_nonblocking(true).unwrap();
                s
            })
            .collect();
        Listener { sockets }
    }

    fn send(&self, to: SocketAddr, data: &[u8]) {
        self.sockets[0].send_to(data, to).unwrap();
    }

    /// Every datagram received until `deadline`.
    fn collect_until(&self, deadline: Instant, mut stop: impl FnMut(&str) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65_535];
        while Instant::now() < deadline {
            let mut any = false;
            for s in &self.sockets {
                if let Ok((n, _)) = s.recv_from(&mut buf) {
                    any = true;
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let done = stop(&text);
                    out.push(text);
                    if done {
                        return out;
                    }
                }
            }
            if !any {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        out
    }
}

/// What is wrong with the answers `got` to `file`, if anything.
fn judge(file: &str, expect: Expect, id: Option<&str>, got: &[String]) -> Option<String> {
    let finals: Vec<u16> = got
        .iter()
        .filter(|r| belongs(r, id))
        .filter_map(|r| status_of(r))
        .filter(|s| *s >= 200)
        .collect();
    let ok = match expect {
        Status(codes) => finals.first().is_some_and(|s| codes.contains(s)),
        Answered => !finals.is_empty(),
        Silence => !got.iter().any(|r| belongs(r, id)),
        Refused(reason) => got
            .iter()
            .filter(|r| belongs(r, id))
            .find(|r| status_of(r).is_some_and(|s| s >= 200))
            .is_some_and(|r| r.starts_with(&format!("SIP/2.0 400 {reason}\r\n"))),
    };
    (!ok).then(|| format!("{file}: expected {expect:?}, got {got:?}"))
}

fn status_of(response: &str) -> Option<u16> {
    let line = response.lines().next()?;
    let mut parts = line.split(' ');
    (parts.next()? == "SIP/2.0").then_some(())?;
    parts.next()?.parse().ok()
}

fn belongs(response: &str, call_id: Option<&str>) -> bool {
    match call_id {
        Some(id) => response.lines().any(|l| {
            l.split_once(':').is_some_and(|(n, v)| {
                (n.trim().eq_ignore_ascii_case("call-id") || n.trim().eq_ignore_ascii_case("i"))
                    && v.trim() == id
            })
        }),
        None => true,
    }
}

#[test]
fn every_torture_message_is_handled_as_rfc_4475_says() {
    let files: Vec<_> = std::fs::read_dir(testdata())
        .expect("../shared/testdata/rfc4475")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dat"))
        .collect();
    assert_eq!(files.len(), 49, "the testdata holds the 49 messages");
    for f in &files {
        assert!(
            TABLE.iter().any(|(n, _)| n == f),
            "{f} is missing from the table"
        );
    }

    let mut server = TestServer::start("", &[]);
    let listener = Listener::bind();
    let mut failures = Vec::new();
    for (file, expect) in TABLE {
        if REUSED_TRANSACTION.contains(file) {
            // Within its lifetime a server transaction would rightly take
            // this message for a retransmission: start from a clean slate.
            server = TestServer::start("", &[]);
        }
        let raw = std::fs::read(testdata().join(file)).unwrap();
        let id = call_id(&raw);
        // Anything still arriving from the previous message is not this one's.
        listener.collect_until(Instant::now() + Duration::from_millis(20), |_| false);
        listener.send(server.udp, &raw);
        let wait = match expect {
            Silence => Duration::from_millis(400),
            _ => Duration::from_secs(5),
        };
        let got = listener.collect_until(Instant::now() + wait, |r| {
            belongs(r, id.as_deref()) && status_of(r).is_some_and(|s| s >= 200)
        });
        failures.extend(judge(file, *expect, id.as_deref(), &got));
    }
    // The server is still alive and answering after all of it.
    let options = b"OPTIONS sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKalive;rport\r\nMax-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nCall-ID: alive-after-torture\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    listener.send(server.udp, options);
    let got = listener.collect_until(Instant::now() + Duration::from_secs(5), |r| {
        belongs(r, Some("alive-after-torture"))
    });
    assert!(
        got.iter().any(|r| status_of(r) == Some(200)),
        "server stopped answering"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Where TCP's answer differs from UDP's: what framing a stream changes.
fn over_tcp(file: &str, udp: Expect) -> Expect {
    match file {
        // No Content-Length: a datagram ends the message, a stream cannot.
        "inv2543.dat" => Refused("Missing Content-Length"),
        // Answered 400 over UDP too, but a stream cannot find where these
        // end, nor where a next message would start.
        "ncl.dat" => Refused("Negative Content-Length"),
        "mcl01.dat" => Refused("Conflicting Content-Length"),
        // Content-Length promises more body than was sent: a stream waits
        // for it (RFC 4475 section 3.1.2.7), until the message deadline.
        "clerr.dat" => Silence,
        // Two requests on one stream, both answered in either order; the
        // test below checks each of them.
        "dblreq.dat" => Answered,
        _ => udp,
    }
}

/// Sends `raw` on a new TCP connection and returns the responses read back
/// until `stop` accepts one, the server closes the connection, or `wait`;
/// and whether the server closed it.
fn over_connection(
    server: &TestServer,
    raw: &[u8],
    wait: Duration,
    stop: impl FnMut(&str) -> bool,
) -> (Vec<String>, bool) {
    let conn = TcpStream::connect(server.tcp).unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    over_stream(conn, raw, wait, stop)
}

/// [`over_connection`] on a connection already open (TCP or TLS), whose
/// reads time out every few milliseconds.
fn over_stream(
    mut conn: impl Read + Write,
    raw: &[u8],
    wait: Duration,
    mut stop: impl FnMut(&str) -> bool,
) -> (Vec<String>, bool) {
    conn.write_all(raw).unwrap();
    let deadline = Instant::now() + wait;
    let mut text = String::new();
    let mut buf = vec![0u8; 65_535];
    let mut closed = false;
    while Instant::now() < deadline {
        match conn.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => {
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                if responses(&text).iter().any(|r| stop(r)) {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    (responses(&text), closed)
}

/// The responses in a stream's text (ours carry no body but SDP, which
/// never holds a line starting "SIP/2.0 ").
fn responses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split_inclusive("\r\n") {
        match out.last_mut() {
            Some(last) if !line.starts_with("SIP/2.0 ") => last.push_str(line),
            _ => out.push(line.to_owned()),
        }
    }
    out.retain(|r| r.starts_with("SIP/2.0 "));
    out
}

#[test]
fn every_torture_message_over_tcp_is_answered_as_over_udp() {
    let mut server = TestServer::start("", &[]);
    let mut failures = Vec::new();
    for &(file, udp) in TABLE {
        if REUSED_TRANSACTION.contains(&file) {
            server = TestServer::start("", &[]);
        }
        let expect = over_tcp(file, udp);
        let raw = std::fs::read(testdata().join(file)).unwrap();
        let id = call_id(&raw);
        let wait = match expect {
            Silence => Duration::from_millis(400),
            _ => Duration::from_secs(5),
        };
        // A refused stream is read to its end: the server must close it.
        let until_closed = matches!(expect, Refused(_));
        let (got, closed) = over_connection(&server, &raw, wait, |r| {
            !until_closed && belongs(r, id.as_deref()) && status_of(r).is_some_and(|s| s >= 200)
        });
        failures.extend(judge(file, expect, id.as_deref(), &got));
        if until_closed && !closed {
            failures.push(format!("{file}: the connection stayed open after the 400"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_torture_message_over_tls_is_answered_as_over_tcp() {
    // SIP over TLS frames a stream exactly as TCP does.
    let certificate = Certificate::new();
    let start = || TestServer::start(&certificate.http_table(), &[]);
    let mut server = start();
    let mut failures = Vec::new();
    for &(file, udp) in TABLE {
        if REUSED_TRANSACTION.contains(&file) {
            server = start();
        }
        let expect = over_tcp(file, udp);
        let raw = std::fs::read(testdata().join(file)).unwrap();
        let id = call_id(&raw);
        let wait = match expect {
            Silence => Duration::from_millis(400),
            _ => Duration::from_secs(5),
        };
        let until_closed = matches!(expect, Refused(_));
        let conn = common::tls::connect(sip_tls(&server), &certificate);
        conn.sock
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let (got, closed) = over_stream(conn, &raw, wait, |r| {
            !until_closed && belongs(r, id.as_deref()) && status_of(r).is_some_and(|s| s >= 200)
        });
        failures.extend(judge(file, expect, id.as_deref(), &got));
        if until_closed && !closed {
            failures.push(format!("{file}: the connection stayed open after the 400"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn two_requests_on_one_connection_are_both_answered() {
    // dblreq.dat: a REGISTER, an extra CRLF, then an INVITE; on a stream
    // both are whole messages.
    let server = TestServer::start("", &[]);
    let raw = std::fs::read(testdata().join("dblreq.dat")).unwrap();
    // The answers come in either order (the REGISTER's after a database
    // lookup): read until both are in.
    let (mut register, mut invite) = (false, false);
    let (got, _) = over_connection(&server, &raw, Duration::from_secs(5), |r| {
        if status_of(r).is_some_and(|s| s >= 200) {
            register |= r.contains("CSeq: 8 REGISTER");
            invite |= r.contains("CSeq: 8 INVITE");
        }
        register && invite
    });
    let final_for = |method: &str| {
        got.iter()
            .filter(|r| r.contains(&format!("CSeq: 8 {method}")))
            .filter_map(|r| status_of(r))
            .find(|s| *s >= 200)
    };
    assert_eq!(final_for("REGISTER"), Some(401), "{got:?}");
    assert!(final_for("INVITE").is_some(), "{got:?}");
}

#[test]
fn requests_with_crlfs_and_pings_between_them_on_one_connection_are_all_answered() {
    // RFC 3261 section 7.5: CRLFs before a start line are skipped; a double
    // CRLF between messages is also an RFC 5626 ping, answered with a CRLF.
    let server = TestServer::start("", &[]);
    let options = |id: &str| {
        format!(
            "OPTIONS sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{id}\r\n\
             Max-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\n\
             Call-ID: {id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let stream = format!(
        "\r\n{}\r\n{}\r\n\r\n\r\n{}",
        options("crlf-a"),
        options("crlf-b"),
        options("crlf-c")
    );
    let (got, closed) = over_connection(&server, stream.as_bytes(), Duration::from_secs(5), |r| {
        belongs(r, Some("crlf-c")) && status_of(r).is_some_and(|s| s >= 200)
    });
    for id in ["crlf-a", "crlf-b", "crlf-c"] {
        let status = got
            .iter()
            .filter(|r| belongs(r, Some(id)))
            .find_map(|r| status_of(r));
        assert_eq!(status, Some(200), "{id}: {got:?}");
    }
    assert!(!closed, "the connection was closed");
}
