//! SIP over TLS for desk phones against the real server, with a certificate
//! made at test time (the HTTPS one) and a phone written here in raw SIP over
//! a real TLS connection: registering with digest over `sips:`, a trunk's
//! call ringing the agent back over the phone's own TLS connection and
//! answered there, a phone whose connection closed passed over, a stream
//! that cannot be framed answered 400 and closed, and a client speaking plain
//! TCP to the TLS port turned away without harm to anyone else.

mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use common::calls::{agent_id, completed_records, demo, DID};
use common::raw::{md5_hex, param};
use common::tls::{metric, sip_tls, Certificate, SipTls};
use common::TestServer;
use switchboard::cdr::Disposition;

const WAIT: Duration = Duration::from_secs(10);

fn status(message: &str) -> u16 {
    message
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {message:?}"))
}

fn header<'a>(message: &'a str, name: &str) -> Vec<&'a str> {
    message
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .collect()
}

/// The Contact URIs a 200 to REGISTER lists: the bindings in force.
fn bindings(ok: &str) -> Vec<String> {
    assert_eq!(status(ok), 200, "{ok}");
    let mut found: Vec<String> = header(ok, "Contact")
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|v| Some(v.split_once('<')?.1.split_once('>')?.0.to_owned()))
        .collect();
    found.sort();
    found
}

/// A desk phone registering over its TLS connection, with `scheme` (`sip`
/// or `sips`) in its Request-URI and To.
struct Phone {
    conn: SipTls,
    user: String,
    password: String,
    scheme: &'static str,
    contact: String,
    call_id: String,
    cseq: u32,
}

impl Phone {
    fn connect(
        server: &TestServer,
        certificate: &Certificate,
        user: &str,
        scheme: &'static str,
    ) -> Phone {
        let conn = SipTls::connect(server, certificate);
        let port = conn.local_addr().port();
        let contact = match scheme {
            "sips" => format!("sips:{user}@127.0.0.1:{port}"),
            _ => format!("sip:{user}@127.0.0.1:{port};transport=tls"),
        };
        Phone {
            conn,
            user: user.into(),
            password: format!("pw-{user}"),
            scheme,
            contact,
            call_id: format!("reg-{user}-{port}"),
            cseq: 0,
        }
    }

    fn via(&self) -> String {
        let port = self.conn.local_addr().port();
        format!(
            "SIP/2.0/TLS 127.0.0.1:{port};branch=z9hG4bK{}{};rport",
            self.call_id, self.cseq
        )
    }

    fn register_request(&mut self, contact: bool, auth: Option<String>) -> String {
        self.cseq += 1;
        let (user, scheme, cseq, call_id) = (&self.user, self.scheme, self.cseq, &self.call_id);
        let via = self.via();
        let contact = if contact {
            format!("Contact: <{}>;expires=600\r\n", self.contact)
        } else {
            String::new()
        };
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        format!(
            "REGISTER {scheme}:switchboard.local SIP/2.0\r\nVia: {via}\r\n\
             Max-Forwards: 70\r\nTo: <{scheme}:{user}@switchboard.local>\r\n\
             From: <{scheme}:{user}@switchboard.local>;tag=t{cseq}\r\nCall-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n{contact}{auth}Content-Length: 0\r\n\r\n"
        )
    }

    /// REGISTERs (with this phone's Contact, or none: a query), answers the
    /// digest challenge and returns the final response.
    fn register(&mut self, contact: bool) -> String {
        let first = self.register_request(contact, None);
        self.conn.send(&first);
        let challenge = self.conn.recv(WAIT).expect("an answer to REGISTER");
        assert_eq!(status(&challenge), 401, "{challenge}");
        let www = header(&challenge, "WWW-Authenticate")
            .into_iter()
            .find(|v| v.contains("MD5"))
            .expect("an MD5 challenge");
        let (realm, nonce) = (param(www, "realm"), param(www, "nonce"));
        let uri = format!("{}:switchboard.local", self.scheme);
        let ha1 = md5_hex(&format!("{}:{realm}:{}", self.user, self.password));
        let ha2 = md5_hex(&format!("REGISTER:{uri}"));
        let response = md5_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
        let auth = format!(
            "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"",
            self.user
        );
        let second = self.register_request(contact, Some(auth));
        self.conn.send(&second);
        self.conn
            .recv(WAIT)
            .expect("an answer to the REGISTER with credentials")
    }

    /// The next request the server sends with `method`, skipping others.
    fn next_request(&mut self, method: &str, wait: Duration) -> String {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let message = self
                .conn
                .recv(left)
                .unwrap_or_else(|| panic!("no {method} over the phone's TLS connection"));
            if message.starts_with(&format!("{method} ")) {
                return message;
            }
        }
    }

    /// Our response to `request`, with a To tag and our Contact.
    fn respond(&mut self, request: &str, code: &str, body: Option<&str>) {
        let mut out = format!("SIP/2.0 {code}\r\n");
        for name in ["Via", "From", "Call-ID", "CSeq"] {
            for value in header(request, name) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        let to = header(request, "To")[0];
        if to.contains(";tag=") {
            out.push_str(&format!("To: {to}\r\n"));
        } else {
            out.push_str(&format!("To: {to};tag=deskphone\r\n"));
        }
        out.push_str(&format!("Contact: <{}>\r\n", self.contact));
        match body {
            Some(sdp) => out.push_str(&format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            )),
            None => out.push_str("Content-Length: 0\r\n\r\n"),
        }
        self.conn.send(&out);
    }
}

/// A trunk's caller (SIPp over UDP) into the demo queue, on its own thread;
/// it hangs up after `hold_ms`.
fn caller(server: &TestServer, hold_ms: u32) -> std::thread::JoinHandle<common::Sipp> {
    let server_udp = server.udp;
    let dir = server.dir.path().to_owned();
    let hold = hold_ms.to_string();
    std::thread::spawn(move || {
        let inf = dir.join("caller.csv");
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        common::sipp(
            "queue_caller.xml",
            server_udp,
            &inf,
            &["-s", DID, "-m", "1", "-d", &hold],
        )
    })
}

#[test]
fn a_phone_registers_over_tls_with_digest_and_its_binding_is_listed() {
    let certificate = Certificate::new();
    let server = TestServer::start(&certificate.http_table(), &[("1001", "pw-1001")]);
    assert_eq!(sip_tls(&server).ip().to_string(), "127.0.0.1");

    let mut phone = Phone::connect(&server, &certificate, "1001", "sips");
    let ok = phone.register(true);
    assert_eq!(bindings(&ok), [phone.contact.clone()], "{ok}");
    // Our Via comes back as sent, with where the request really came from.
    let via = header(&ok, "Via")[0];
    assert!(via.starts_with("SIP/2.0/TLS 127.0.0.1:"), "{via}");
    assert!(via.contains("received=127.0.0.1"), "{via}");

    // Another connection of the same user asks which bindings are in force.
    let mut observer = Phone::connect(&server, &certificate, "1001", "sip");
    let ok = observer.register(false);
    assert_eq!(bindings(&ok), [phone.contact.clone()], "{ok}");
    assert_eq!(
        metric(&server, &certificate, "switchboard_sip_registrations_total"),
        1
    );
}

/// Our answer to the agent leg's offer: PCMU to a port that is ours.
fn answer_sdp(rtp: &UdpSocket) -> String {
    let port = rtp.local_addr().unwrap().port();
    format!(
        "v=0\r\no=desk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )
}

#[test]
fn a_trunk_call_rings_the_agent_over_its_tls_connection_and_is_answered() {
    let certificate = Certificate::new();
    let (server, _api) = demo(&certificate.http_table());
    let mut phone = Phone::connect(&server, &certificate, "1001", "sip");
    let ok = phone.register(true);
    assert_eq!(bindings(&ok), [phone.contact.clone()]);
    // Registration logs the agent in to dispatch right after.
    std::thread::sleep(Duration::from_millis(500));

    let call = caller(&server, 4000);
    let invite = phone.next_request("INVITE", Duration::from_secs(20));
    let request_line = invite.lines().next().unwrap();
    assert_eq!(request_line, format!("INVITE {} SIP/2.0", phone.contact));
    let via = header(&invite, "Via")[0];
    let tls = sip_tls(&server);
    assert!(via.starts_with(&format!("SIP/2.0/TLS {tls};")), "{invite}");
    let contact = header(&invite, "Contact")[0];
    assert!(contact.ends_with(";transport=tls>"), "{invite}");
    assert!(contact.contains(&tls.to_string()), "{invite}");

    phone.respond(&invite, "180 Ringing", None);
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    phone.respond(&invite, "200 OK", Some(&answer_sdp(&rtp)));
    // The ACK and, when the caller hangs up, the BYE come over the same
    // connection.
    let ack = phone.next_request("ACK", WAIT);
    assert!(header(&ack, "Via")[0].starts_with("SIP/2.0/TLS "), "{ack}");
    let bye = phone.next_request("BYE", Duration::from_secs(20));
    phone.respond(&bye, "200 OK", None);

    let run = call.join().unwrap();
    assert!(run.success, "the caller: {}", run.output);
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(
        r.agent.map(|a| a.0),
        Some(agent_id(&server, "1001")),
        "{r:#?}"
    );
}

#[test]
fn a_phone_whose_tls_connection_closed_is_not_rung() {
    let certificate = Certificate::new();
    let (server, _api) = demo(&certificate.http_table());
    let mut phone = Phone::connect(&server, &certificate, "1001", "sip");
    phone.register(true);
    std::thread::sleep(Duration::from_millis(500));
    drop(phone);

    // The binding stays (a TLS phone's is not bound to its connection), but
    // there is no way to it: the INVITE cannot be sent and no one answers.
    let run = caller(&server, 3000).join().unwrap();
    assert!(run.success, "the caller: {}", run.output);
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_ne!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert!(metric(&server, &certificate, "switchboard_sip_send_failures_total") >= 1);
}

#[test]
fn a_message_that_cannot_be_framed_over_tls_gets_400_and_the_connection_closes() {
    let certificate = Certificate::new();
    let server = TestServer::start(&certificate.http_table(), &[]);
    let mut conn = SipTls::connect(&server, &certificate);
    conn.send(
        "OPTIONS sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKncl\r\n\
         Max-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\n\
         Call-ID: no-length\r\nCSeq: 1 OPTIONS\r\n\r\n",
    );
    let answer = conn.recv(WAIT).expect("an answer before the close");
    assert!(
        answer.starts_with("SIP/2.0 400 Missing Content-Length\r\n"),
        "{answer}"
    );
    assert!(conn.wait_closed(WAIT), "the connection stayed open");
    assert_eq!(
        metric(
            &server,
            &certificate,
            "switchboard_sip_stream_framing_errors_total"
        ),
        1
    );
}

fn options(via: &str, call_id: &str) -> String {
    format!(
        "OPTIONS sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/{via};branch=z9hG4bK{call_id};rport\r\n\
         Max-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:probe@example.net>;tag=1\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

#[test]
fn plain_tcp_on_the_tls_port_fails_the_handshake_and_harms_no_one() {
    let certificate = Certificate::new();
    let server = TestServer::start(&certificate.http_table(), &[]);
    // A TLS client is connected before, and stays connected throughout.
    let mut before = SipTls::connect(&server, &certificate);

    let mut plain = TcpStream::connect(sip_tls(&server)).unwrap();
    plain.set_read_timeout(Some(WAIT)).unwrap();
    plain
        .write_all(options("TCP 127.0.0.1:9", "plain").as_bytes())
        .unwrap();
    let mut got = Vec::new();
    // The server closes it (after a TLS alert, at most): never a SIP answer.
    let _ = plain.read_to_end(&mut got);
    assert!(
        !String::from_utf8_lossy(&got).contains("SIP/2.0"),
        "{got:?}"
    );
    assert_eq!(
        metric(
            &server,
            &certificate,
            "switchboard_sip_tls_handshakes_failed_total"
        ),
        1
    );

    for (conn, id) in [
        (&mut before, "before"),
        (&mut SipTls::connect(&server, &certificate), "after"),
    ] {
        conn.send(&options("TLS 127.0.0.1:9", id));
        let answer = conn.recv(WAIT).expect("an answer over TLS");
        assert_eq!(status(&answer), 200, "{answer}");
    }
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(WAIT)).unwrap();
    let port = udp.local_addr().unwrap().port();
    udp.send_to(
        options(&format!("UDP 127.0.0.1:{port}"), "udp").as_bytes(),
        server.udp,
    )
    .unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = udp.recv_from(&mut buf).expect("an answer over UDP");
    assert_eq!(status(&String::from_utf8_lossy(&buf[..n])), 200);
}
