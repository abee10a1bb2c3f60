//! UserAgent softphones over SIP over secure WebSocket (RFC 7118) against the
//! real server with a certificate made at test time: registering over WSS,
//! an agent call reaching the browser over its connection, a closed
//! connection taking its `*.invalid` binding along (a reload leaves only the
//! new one, so does a restart) while a desk phone's binding on TCP stays, and
//! a server that refuses to start on a certificate it cannot use.

mod common;

use std::time::{Duration, Instant};

use common::calls::{demo, DID};
use common::raw::{md5_hex, param};
use common::tls::Certificate;
use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::WebSocketStream;

type Wss = WebSocketStream<TlsStream<TcpStream>>;

/// Opens `wss://localhost:PORT/sip` with the `sip` subprotocol.
async fn connect(server: &TestServer, certificate: &Certificate) -> Wss {
    let tcp = TcpStream::connect(server.http).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(certificate.client.clone())
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .expect("TLS handshake with the server's certificate");
    let mut request = format!("wss://localhost:{}/sip", server.http.port())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
    let (ws, response) = tokio_tungstenite::client_async(request, tls)
        .await
        .expect("websocket upgrade over TLS");
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "sip"
    );
    ws
}

async fn next_text(ws: &mut Wss) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) => return t.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no SIP message over the websocket: {other:?}"),
        }
    }
}

fn status(message: &str) -> u16 {
    message
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {message:?}"))
}

fn header<'a>(message: &'a str, name: &str) -> Vec<&'a str> {
    message
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .collect()
}

/// One connection's way of carrying SIP messages.
trait Channel {
    async fn send_text(&mut self, text: String);
    async fn recv_text(&mut self) -> String;
}

impl Channel for Wss {
    async fn send_text(&mut self, text: String) {
        self.send(WsMessage::text(text)).await.unwrap();
    }

    async fn recv_text(&mut self) -> String {
        next_text(self).await
    }
}

/// SIP over a TCP connection; the responses read here carry no body.
struct Tcp(TcpStream);

impl Channel for Tcp {
    async fn send_text(&mut self, text: String) {
        use tokio::io::AsyncWriteExt;
        self.0.write_all(text.as_bytes()).await.unwrap();
    }

    async fn recv_text(&mut self) -> String {
        use tokio::io::AsyncReadExt;
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while !out.ends_with(b"\r\n\r\n") {
            let read = tokio::time::timeout(Duration::from_secs(10), self.0.read(&mut byte))
                .await
                .expect("no SIP message over TCP");
            assert_eq!(read.unwrap(), 1, "the server closed the connection");
            out.push(byte[0]);
        }
        String::from_utf8(out).unwrap()
    }
}

/// A SIP user agent registering on one connection: a browser with its
/// `*.invalid` host (SIP.js and JsSIP make one at random per page load), or a
/// desk phone with a real address.
struct UserAgent {
    user: String,
    password: String,
    via: String,
    contact: String,
    call_id: String,
    cseq: u32,
}

impl UserAgent {
    fn new(user: &str, password: &str, host: &str) -> UserAgent {
        UserAgent {
            user: user.into(),
            password: password.into(),
            via: format!("WSS {host}.invalid"),
            contact: format!("sip:{user}@{host}.invalid;transport=ws"),
            call_id: format!("reg-{host}"),
            cseq: 0,
        }
    }

    /// A user agent on TCP with `contact` as its Contact URI.
    fn over_tcp(user: &str, password: &str, contact: &str) -> UserAgent {
        UserAgent {
            user: user.into(),
            password: password.into(),
            via: "TCP 127.0.0.1:9".into(),
            contact: contact.into(),
            call_id: format!("reg-{}", md5_hex(contact)),
            cseq: 0,
        }
    }

    fn contact(&self) -> String {
        self.contact.clone()
    }

    fn request(&mut self, contact: bool, auth: Option<String>) -> String {
        self.cseq += 1;
        let (user, via, cseq, call_id) = (&self.user, &self.via, self.cseq, &self.call_id);
        let contact = if contact {
            format!("Contact: <{}>;expires=600\r\n", self.contact)
        } else {
            String::new()
        };
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let tag = md5_hex(call_id);
        format!(
            "REGISTER sip:switchboard.local SIP/2.0\r\n\
             Via: SIP/2.0/{via};branch=z9hG4bK{tag}{cseq};rport\r\n\
             Max-Forwards: 70\r\nTo: <sip:{user}@switchboard.local>\r\n\
             From: <sip:{user}@switchboard.local>;tag={tag}\r\nCall-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n{contact}{auth}Content-Length: 0\r\n\r\n"
        )
    }

    /// Sends a REGISTER (with this agent's Contact, or none: a query),
    /// answers the digest challenge, and returns the final response.
    async fn register(&mut self, channel: &mut impl Channel, contact: bool) -> String {
        let first = self.request(contact, None);
        channel.send_text(first).await;
        let challenge = channel.recv_text().await;
        assert_eq!(status(&challenge), 401, "{challenge}");
        let www = header(&challenge, "WWW-Authenticate")
            .into_iter()
            .find(|v| v.contains("MD5"))
            .expect("an MD5 challenge");
        let (realm, nonce) = (param(www, "realm"), param(www, "nonce"));
        let ha1 = md5_hex(&format!("{}:{realm}:{}", self.user, self.password));
        let ha2 = md5_hex("REGISTER:sip:switchboard.local");
        let response = md5_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
        let auth = format!(
            "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"sip:switchboard.local\", \
             response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"",
            self.user
        );
        let second = self.request(contact, Some(auth));
        channel.send_text(second).await;
        channel.recv_text().await
    }
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

/// One counter from `/metrics`, over HTTPS like everything on this listener.
async fn metric(server: &TestServer, certificate: &Certificate, name: &str) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = TcpStream::connect(server.http).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(certificate.client.clone())
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    // The server may close without close_notify; what arrived is complete.
    let _ = tls.read_to_end(&mut out).await;
    let body = String::from_utf8_lossy(&out);
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{body}"))
}

/// One request over HTTPS: the answer's head and body as text.
async fn https(
    server: &TestServer,
    certificate: &Certificate,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = TcpStream::connect(server.http).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(certificate.client.clone())
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_secure_over_https() {
    let certificate = Certificate::new();
    let server = TestServer::start(&certificate.http_table(), &[]);
    let token = server.admin_token.clone();
    let profiles = https(
        &server,
        &certificate,
        "GET",
        "/api/profiles",
        Some(&token),
        "",
    )
    .await;
    let agent = profiles
        .split("\"id\":")
        .skip(1)
        .find(|p| p.contains("\"name\":\"Agent\""))
        .and_then(|p| p.split(',').next())
        .expect("the Agent profile")
        .to_owned();
    let user = format!(
        r#"{{"username":"ada","first_name":"Ada","last_name":"L","password":"ada's password","profiles":[{agent}]}}"#
    );
    let made = https(
        &server,
        &certificate,
        "POST",
        "/api/users",
        Some(&token),
        &user,
    )
    .await;
    assert!(made.starts_with("HTTP/1.1 201"), "{made}");
    let login = r#"{"username":"ada","password":"ada's password"}"#;
    let answer = https(&server, &certificate, "POST", "/api/login", None, login).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let cookie = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("a session cookie");
    assert!(cookie.contains("switchboard_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

/// Waits (without asserting on time) until counter `name` reaches `value`.
async fn wait_for_metric(server: &TestServer, certificate: &Certificate, name: &str, value: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while metric(server, certificate, name).await < value {
        assert!(Instant::now() < deadline, "{name} never reached {value}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_registers_over_wss_and_takes_an_agent_call_over_its_connection() {
    let certificate = Certificate::new();
    let (server, _api) = demo(&certificate.http_table());

    // Plain HTTP on the TLS listener gets nowhere.
    let plain = tokio_tungstenite::connect_async(format!("ws://{}/sip", server.http)).await;
    assert!(
        plain.is_err(),
        "plain websocket accepted on the TLS listener"
    );

    let mut ws = connect(&server, &certificate).await;
    let mut agent = UserAgent::new("1001", "pw-1001", "df7jal23ls0d");
    let ok = agent.register(&mut ws, true).await;
    assert_eq!(bindings(&ok), [agent.contact()]);
    // Our Via comes back as sent, with where the request really came from.
    let via = header(&ok, "Via")[0];
    assert!(
        via.starts_with("SIP/2.0/WSS df7jal23ls0d.invalid;"),
        "{via}"
    );
    assert!(via.contains("received=127.0.0.1"), "{via}");

    // A caller reaches the demo queue; its agent is this browser.
    let caller = {
        let server_udp = server.udp;
        let dir = server.dir.path().to_owned();
        std::thread::spawn(move || {
            let inf = dir.join("caller.csv");
            std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
            common::sipp(
                "queue_caller.xml",
                server_udp,
                &inf,
                &["-s", DID, "-m", "1", "-d", "4000"],
            )
        })
    };
    let invite = loop {
        let message = next_text(&mut ws).await;
        if message.starts_with("INVITE ") {
            break message;
        }
    };
    let request_line = invite.lines().next().unwrap();
    assert_eq!(
        request_line,
        format!("INVITE {} SIP/2.0", agent.contact()),
        "{invite}"
    );
    let vias = header(&invite, "Via");
    assert!(vias[0].starts_with("SIP/2.0/WSS "), "{invite}");
    let contact = header(&invite, "Contact")[0];
    assert!(contact.contains("transport=wss"), "{invite}");

    // The browser declines; the caller stays queued and hangs up.
    let mut busy = String::from("SIP/2.0 486 Busy Here\r\n");
    for name in ["Via", "From", "Call-ID", "CSeq"] {
        for value in header(&invite, name) {
            busy.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    busy.push_str(&format!(
        "To: {};tag=browser\r\nContent-Length: 0\r\n\r\n",
        header(&invite, "To")[0]
    ));
    ws.send(WsMessage::text(busy)).await.unwrap();
    let run = tokio::task::spawn_blocking(move || caller.join().unwrap())
        .await
        .unwrap();
    assert!(run.success, "the caller: {}", run.output);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_connection_takes_its_binding_along_and_a_reload_leaves_only_the_new_one() {
    let certificate = Certificate::new();
    let mut server = TestServer::start(&certificate.http_table(), &[("1001", "pw")]);
    const REMOVED: &str = "switchboard_sip_bindings_connection_closed_total";

    // The page loads: one connection, one binding.
    let mut first_ws = connect(&server, &certificate).await;
    let mut first = UserAgent::new("1001", "pw", "a1b2c3");
    let ok = first.register(&mut first_ws, true).await;
    assert_eq!(bindings(&ok), [first.contact()]);

    // Another connection of the same user that only asks which bindings
    // are in force (a REGISTER without Contact).
    let mut observer_ws = connect(&server, &certificate).await;
    let mut observer = UserAgent::new("1001", "pw", "observer");
    let ok = observer.register(&mut observer_ws, false).await;
    assert_eq!(bindings(&ok), [first.contact()]);

    // The page reloads: the old connection closes, a new one registers a new
    // random host.
    first_ws.close(None).await.unwrap();
    drop(first_ws);
    let mut second_ws = connect(&server, &certificate).await;
    let mut second = UserAgent::new("1001", "pw", "d4e5f6");
    let ok = second.register(&mut second_ws, true).await;
    assert!(bindings(&ok).contains(&second.contact()), "{ok}");
    wait_for_metric(&server, &certificate, REMOVED, 1).await;
    let ok = observer.register(&mut observer_ws, false).await;
    assert_eq!(bindings(&ok), [second.contact()], "after the reload");

    // The browser goes away without a word (the connection just drops).
    drop(second_ws);
    wait_for_metric(&server, &certificate, REMOVED, 2).await;
    let ok = observer.register(&mut observer_ws, false).await;
    assert!(bindings(&ok).is_empty(), "{ok}");

    // A restart closes every connection: no browser binding survives it.
    let mut third_ws = connect(&server, &certificate).await;
    let mut third = UserAgent::new("1001", "pw", "g7h8i9");
    let ok = third.register(&mut third_ws, true).await;
    assert_eq!(bindings(&ok), [third.contact()]);
    server.restart();
    let mut after_ws = connect(&server, &certificate).await;
    let mut after = UserAgent::new("1001", "pw", "after");
    let ok = after.register(&mut after_ws, false).await;
    assert!(
        bindings(&ok).is_empty(),
        "a browser binding survived a restart: {ok}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn over_tcp_only_an_invalid_contact_goes_with_its_connection() {
    let server = TestServer::start("", &[("1001", "pw")]);
    const REMOVED: &str = "switchboard_sip_bindings_connection_closed_total";
    // A desk phone with a real address, and a client with an `.invalid`
    // one, each on its own connection.
    let mut phone_tcp = Tcp(TcpStream::connect(server.tcp).await.unwrap());
    let mut phone = UserAgent::over_tcp("1001", "pw", "sip:1001@127.0.0.1:5099;transport=tcp");
    phone.register(&mut phone_tcp, true).await;
    let mut client_tcp = Tcp(TcpStream::connect(server.tcp).await.unwrap());
    let mut client = UserAgent::over_tcp("1001", "pw", "sip:1001@k9x.invalid;transport=tcp");
    let ok = client.register(&mut client_tcp, true).await;
    assert_eq!(bindings(&ok).len(), 2, "{ok}");

    drop(phone_tcp);
    drop(client_tcp);
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.metric(REMOVED) < 1 {
        assert!(Instant::now() < deadline, "{REMOVED} never reached 1");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The phone can be reached at its address without that connection.
    let mut observer_tcp = Tcp(TcpStream::connect(server.tcp).await.unwrap());
    let mut observer = UserAgent::over_tcp("1001", "pw", "unused");
    let ok = observer.register(&mut observer_tcp, false).await;
    assert_eq!(bindings(&ok), [phone.contact()]);
    assert_eq!(server.metric(REMOVED), 1);
}

#[test]
fn the_server_refuses_to_start_on_a_certificate_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = Certificate::new();
    let key = certificate.key.display();

    let missing = dir.path().join("missing.pem");
    let stderr = common::refused_start(
        dir.path(),
        &format!(
            "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{key}\"\n",
            missing.display()
        ),
    );
    assert!(
        stderr.contains("http.tls_cert") && stderr.contains(&missing.display().to_string()),
        "{stderr}"
    );

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let stderr = common::refused_start(
        dir.path(),
        &format!(
            "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{key}\"\n",
            garbage.display()
        ),
    );
    assert!(
        stderr.contains("http.tls_cert") && stderr.contains("no certificate"),
        "{stderr}"
    );

    // The key of another certificate.
    let other = Certificate::new();
    let stderr = common::refused_start(
        dir.path(),
        &format!(
            "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            certificate.cert.display(),
            other.key.display()
        ),
    );
    assert!(stderr.contains("usable pair"), "{stderr}");

    // Half a pair is refused before anything is read.
    let stderr = common::refused_start(
        dir.path(),
        &format!(
            "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\n",
            certificate.cert.display()
        ),
    );
    assert!(stderr.contains("http.tls_key"), "{stderr}");
}
