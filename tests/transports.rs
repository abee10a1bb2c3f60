//! The transports through the real server with raw sockets: IPv6, TCP
//! framing and its failures, the stream size limit, keep-alive pings, the
//! connection limit,
//! and SIP over WebSocket (RFC 7118) including a digest registration.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use common::raw::{md5_hex, param, read_head};
use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn options(via: &str, call_id: &str) -> String {
    format!(
        "OPTIONS sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/{via};branch=z9hG4bK{call_id};rport\r\n\
         Max-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:probe@example.net>;tag=1\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {response:?}"))
}

#[test]
fn options_over_ipv6_udp_and_tcp() {
    let server = TestServer::start(
        "[sip]\nudp = [\"127.0.0.1:0\", \"[::1]:0\"]\ntcp = [\"127.0.0.1:0\", \"[::1]:0\"]\n",
        &[],
    );
    let v6 = |kind: &str| {
        server
            .listeners
            .iter()
            .find(|(k, a)| k == kind && a.is_ipv6())
            .map(|(_, a)| *a)
            .expect("an IPv6 listener")
    };
    let socket = UdpSocket::bind("[::1]:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let msg = options(&format!("UDP [::1]:{port}"), "v6udp");
    socket.send_to(msg.as_bytes(), v6("sip/udp")).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = socket
        .recv_from(&mut buf)
        .expect("a response over IPv6 UDP");
    assert_eq!(status(&String::from_utf8_lossy(&buf[..n])), 200);

    let mut stream = TcpStream::connect(v6("sip/tcp")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(options("TCP [::1]:9", "v6tcp").as_bytes())
        .unwrap();
    assert_eq!(status(&read_head(&mut stream)), 200);
}

#[test]
fn tcp_frames_by_content_length_across_segments_and_answers_pings() {
    let server = TestServer::start("", &[]);
    let mut stream = TcpStream::connect(server.tcp).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // A keep-alive ping (RFC 5626 section 3.5.1) gets a pong.
    stream.write_all(b"\r\n\r\n").unwrap();
    let mut pong = [0u8; 2];
    stream.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"\r\n");
    // One message in two segments, then two messages in one segment.
    let first = options("TCP 127.0.0.1:9", "split");
    let (a, b) = first.split_at(first.len() / 2);
    stream.write_all(a.as_bytes()).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    stream.write_all(b.as_bytes()).unwrap();
    assert!(read_head(&mut stream).contains("Call-ID: split"));
    let two = options("TCP 127.0.0.1:9", "one") + &options("TCP 127.0.0.1:9", "two");
    stream.write_all(two.as_bytes()).unwrap();
    let r1 = read_head(&mut stream);
    let r2 = read_head(&mut stream);
    assert!(r1.contains("Call-ID: one") && r2.contains("Call-ID: two"));
}

#[test]
fn a_stream_message_over_the_limit_closes_the_connection() {
    let server = TestServer::start("", &[]);
    let mut stream = TcpStream::connect(server.tcp).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let body = "a".repeat(70 * 1024);
    let msg = format!(
        "MESSAGE sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKbig\r\n\
         Max-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:p@example.net>;tag=1\r\n\
         Call-ID: big\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // The server may close before taking all of it.
    let _ = stream.write_all(msg.as_bytes());
    let mut rest = Vec::new();
    let closed = match stream.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(closed, "the connection stayed open");
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("200 OK"), "the message was accepted");
    // Its header section is answered as a datagram over the limit would be.
    assert!(
        rest.starts_with("SIP/2.0 513 Message Too Large\r\n") && rest.contains("Call-ID: big\r\n"),
        "{rest:?}"
    );
    assert_eq!(server.metric("switchboard_sip_messages_too_large_total"), 1);
    // The server is fine and takes new connections.
    let mut stream = TcpStream::connect(server.tcp).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(options("TCP 127.0.0.1:9", "after").as_bytes())
        .unwrap();
    assert_eq!(status(&read_head(&mut stream)), 200);
}

#[test]
fn a_stream_request_that_cannot_be_framed_is_answered_then_the_connection_closes() {
    let server = TestServer::start("", &[]);
    let mut stream = TcpStream::connect(server.tcp).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // A good request, one without Content-Length (RFC 3261 section 18.3),
    // and one after it that can no longer be found in the stream.
    let good = options("TCP 127.0.0.1:9", "before");
    let unframeable = options("TCP 127.0.0.1:9", "nolength").replace("Content-Length: 0\r\n", "");
    let after = options("TCP 127.0.0.1:9", "after");
    stream
        .write_all(format!("{good}{unframeable}{after}").as_bytes())
        .unwrap();
    let mut text = Vec::new();
    let closed = match stream.read_to_end(&mut text) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(closed, "the connection stayed open");
    let text = String::from_utf8_lossy(&text);
    let answer = |call_id: &str| {
        text.split("SIP/2.0 ")
            .find(|r| r.contains(&format!("Call-ID: {call_id}\r\n")))
            .map(|r| r.lines().next().unwrap_or("").to_owned())
    };
    assert_eq!(answer("before").as_deref(), Some("200 OK"), "{text:?}");
    assert_eq!(
        answer("nolength").as_deref(),
        Some("400 Missing Content-Length"),
        "{text:?}"
    );
    assert_eq!(answer("after"), None, "{text:?}");
    assert_eq!(
        server.metric("switchboard_sip_stream_framing_errors_total"),
        1
    );
}

#[test]
fn connections_beyond_the_limit_are_refused_and_idle_ones_reaped() {
    let server = TestServer::start("[sip]\nmax_connections = 2\nidle_timeout_secs = 1\n", &[]);
    let keep: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(server.tcp).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(server.tcp).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(third.read(&mut buf), Ok(0) | Err(_)),
        "a third connection was kept"
    );
    assert!(server.metric("switchboard_sip_connections_refused_total") >= 1);
    // Idle connections are closed after the idle timeout, freeing the slots.
    for mut s in keep {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
    }
    assert_eq!(
        server.metric("switchboard_sip_connections_idle_closed_total"),
        2
    );
    let mut fresh = TcpStream::connect(server.tcp).unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    fresh
        .write_all(options("TCP 127.0.0.1:9", "fresh").as_bytes())
        .unwrap();
    assert_eq!(status(&read_head(&mut fresh)), 200);
}

fn ws_url(http: SocketAddr) -> String {
    format!("ws://{http}/sip")
}

#[tokio::test]
async fn a_browser_registers_over_websocket() {
    let server = TestServer::start("", &[("3001", "webpw")]);

    // Without the sip subprotocol the upgrade is refused.
    let plain = tokio_tungstenite::connect_async(ws_url(server.http)).await;
    assert!(
        plain.is_err(),
        "upgrade without the sip subprotocol accepted"
    );

    let mut request = ws_url(server.http).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "sip"
    );

    let register = |cseq: u32, auth: Option<String>| {
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        format!(
            "REGISTER sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKws{cseq};rport\r\n\
             Max-Forwards: 70\r\nTo: <sip:3001@switchboard.local>\r\nFrom: <sip:3001@switchboard.local>;tag=ws1\r\n\
             Call-ID: ws-register\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:k3l2@df7jal23ls0d.invalid;transport=ws>;expires=600\r\n\
             {auth}Content-Length: 0\r\n\r\n"
        )
    };
    let next_text = async |ws: &mut tokio_tungstenite::WebSocketStream<_>| loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) => return t.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no SIP message over the websocket: {other:?}"),
        }
    };
    ws.send(WsMessage::text(register(1, None))).await.unwrap();
    let challenge = next_text(&mut ws).await;
    assert_eq!(status(&challenge), 401);
    let www = challenge
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate:") && l.contains("MD5"))
        .expect("an MD5 challenge");
    let (realm, nonce) = (param(www, "realm"), param(www, "nonce"));
    let ha1 = md5_hex(&format!("3001:{realm}:webpw"));
    let ha2 = md5_hex("REGISTER:sip:switchboard.local");
    let response = md5_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
    let auth = format!(
        "Digest username=\"3001\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"sip:switchboard.local\", \
         response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\""
    );
    ws.send(WsMessage::text(register(2, Some(auth))))
        .await
        .unwrap();
    let ok = next_text(&mut ws).await;
    assert_eq!(status(&ok), 200, "{ok}");
    assert!(ok.contains("df7jal23ls0d.invalid"), "{ok}");
    assert_eq!(server.metric("switchboard_sip_registrations_total"), 1);
}
