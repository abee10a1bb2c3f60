//! The server against what an attacker on the network, or another site's page
//! in a visitor's browser, would try: cross-origin WebSockets to `/sip`, trunk
//! trust borrowed through a WebSocket, slow-drip connections (slowloris) on
//! SIP TCP and HTTP, one address taking every connection slot, and SDP that
//! points media at a broadcast or multicast address.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use common::calls::{demo, DID};
use common::raw::{self, md5_hex, param, read_head};
use common::{free_port, TestServer};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {response:?}"))
}

fn options(call_id: &str) -> String {
    format!(
        "OPTIONS sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\nTo: <sip:switchboard.local>\r\nFrom: <sip:probe@example.net>;tag=1\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

/// A TCP connection to `to` from the local address `from` (127.0.0.x).
fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    raw::connect_from(from, to, Duration::from_secs(5))
}

/// Whether the server answers OPTIONS on this connection.
fn answers(stream: &mut TcpStream, call_id: &str) -> bool {
    if stream.write_all(options(call_id).as_bytes()).is_err() {
        return false;
    }
    let head = read_head(stream);
    !head.is_empty() && status(&head) == 200
}

/// Whether the server has closed this connection (waits up to its read timeout).
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(stream.read(&mut buf), Ok(0))
        || matches!(stream.read(&mut buf), Err(e) if e.kind() == ErrorKind::ConnectionReset)
}

/// Registers `user` over a new TCP connection with digest; the final status.
fn register_over_tcp(server: &TestServer, user: &str, password: &str, tag: &str) -> u16 {
    let mut s = TcpStream::connect(server.tcp).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let local = s.local_addr().unwrap();
    let register = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:switchboard.local SIP/2.0\r\nVia: SIP/2.0/TCP {local};branch=z9hG4bK{tag}{cseq}\r\n\
             Max-Forwards: 70\r\nTo: <sip:{user}@switchboard.local>\r\nFrom: <sip:{user}@switchboard.local>;tag={tag}\r\n\
             Call-ID: reg-{tag}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@{local};transport=tcp>;expires=600\r\n\
             {auth}Content-Length: 0\r\n\r\n"
        )
    };
    s.write_all(register(1, "").as_bytes()).unwrap();
    let challenge = read_head(&mut s);
    assert_eq!(status(&challenge), 401, "{challenge}");
    let www = challenge
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate:"))
        .expect("a challenge");
    let (realm, nonce) = (param(www, "realm"), param(www, "nonce"));
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5_hex("REGISTER:sip:switchboard.local");
    let response = md5_hex(&format!("{ha1}:{nonce}:00000001:5eed:auth:{ha2}"));
    let auth = format!(
        "Authorization: Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", \
         uri=\"sip:switchboard.local\", response=\"{response}\", algorithm=MD5, qop=auth, \
         nc=00000001, cnonce=\"5eed\"\r\n"
    );
    s.write_all(register(2, &auth).as_bytes()).unwrap();
    status(&read_head(&mut s))
}

/// An upgrade of `/sip` with the sip subprotocol and, when given, an Origin:
/// the HTTP status the server answered (101 when it upgraded).
async fn sip_upgrade(server: &TestServer, origin: Option<&str>) -> u16 {
    let mut request = format!("ws://{}/sip", server.http)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
    if let Some(origin) = origin {
        headers.insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(WsError::Http(response)) => {
            if response.status() == 403 {
                let body =
                    String::from_utf8_lossy(response.body().as_deref().unwrap_or(&[])).into_owned();
                assert!(body.contains("foreign-origin"), "{body}");
            }
            response.status().as_u16()
        }
        Err(e) => panic!("upgrade failed: {e}"),
    }
}

#[tokio::test]
async fn sip_over_websocket_is_for_pages_of_allowed_origins() {
    let server = TestServer::start(
        "[http]\nlisten = \"127.0.0.1:0\"\nallowed_origins = [\"https://panel.example\"]\n",
        &[],
    );
    let own = format!("http://{}", server.http);
    assert_eq!(sip_upgrade(&server, None).await, 101, "no Origin (a phone)");
    assert_eq!(sip_upgrade(&server, Some(&own)).await, 101, "our own pages");
    assert_eq!(
        sip_upgrade(&server, Some("https://panel.example")).await,
        101,
        "an allowed origin"
    );
    for foreign in [
        "http://evil.example",
        "null",
        &format!("https://{}", server.http),
        &format!("http://127.0.0.1:{}", free_port()),
    ] {
        assert_eq!(sip_upgrade(&server, Some(foreign)).await, 403, "{foreign}");
    }
}

/// An INVITE for `number` from `user`, over UDP or a WebSocket: the first
/// answer after 100 Trying.
async fn invite_over(server: &TestServer, websocket: bool, user: &str, number: &str) -> String {
    let invite = |transport: &str, sent_by: &str| {
        format!(
            "INVITE sip:{number}@switchboard.local SIP/2.0\r\n\
             Via: SIP/2.0/{transport} {sent_by};branch=z9hG4bK{n}\r\nMax-Forwards: 70\r\n\
             From: <sip:{user}@switchboard.local>;tag=t{n}\r\nTo: <sip:{number}@switchboard.local>\r\n\
             Call-ID: {n}@trust\r\nCSeq: 1 INVITE\r\nContact: <sip:{user}@{sent_by}>\r\n\
             Content-Length: 0\r\n\r\n",
            n = free_port()
        )
    };
    if websocket {
        let mut request = format!("ws://{}/sip", server.http)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        ws.send(WsMessage::text(invite("WS", "k2j3.invalid")))
            .await
            .unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                Ok(Some(Ok(WsMessage::Text(t)))) if status(&t) != 100 => return t.to_string(),
                Ok(Some(Ok(_))) => continue,
                other => panic!("no answer over the websocket: {other:?}"),
            }
        }
    } else {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let local = socket.local_addr().unwrap().to_string();
        socket
            .send_to(invite("UDP", &local).as_bytes(), server.udp)
            .unwrap();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.recv(&mut buf).expect("an answer over UDP");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if status(&text) != 100 {
                return text;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_websocket_from_the_trunk_machine_is_not_the_trunk() {
    // The demo trunk is this machine (127.0.0.1 and ::1).
    let (server, _api) = tokio::task::spawn_blocking(|| demo("")).await.unwrap();
    // Over UDP from 127.0.0.1 the trunk is trusted: the INVITE is routed
    // (and the unknown number found unknown) without any credentials.
    let udp = invite_over(&server, false, "1001", "+15559999").await;
    assert_eq!(status(&udp), 404, "{udp}");
    // The same from a WebSocket on 127.0.0.1 must authenticate as a user.
    let ws = invite_over(&server, true, "1001", "+15559999").await;
    assert_eq!(status(&ws), 401, "{ws}");
    assert!(ws.contains("WWW-Authenticate: Digest"), "{ws}");
    let ws = invite_over(&server, true, "1001", DID).await;
    assert_eq!(status(&ws), 401, "{ws}");
    // Someone who is no user of ours is challenged alike: the answer does
    // not tell which names are users.
    let stranger = invite_over(&server, true, "mallory", DID).await;
    assert_eq!(status(&stranger), 401, "{stranger}");
}

#[test]
fn a_slow_sip_connection_is_closed_at_its_deadline_while_others_are_served() {
    let server = TestServer::start("[sip]\nmessage_deadline_secs = 2\n", &[("4001", "pw-4001")]);
    let mut slow = TcpStream::connect(server.tcp).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let message = options("slow");
    let mut sent = 0;
    let mut closed = false;
    for (i, byte) in message.bytes().enumerate() {
        if slow.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        // Waits about a second for the server to say anything (it closes).
        let mut buf = [0u8; 64];
        match slow.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => panic!("an answer to a message not yet complete"),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Err(_) => {}
        }
        // Meanwhile others connect and are served.
        if i % 2 == 0 {
            let mut other = TcpStream::connect(server.tcp).unwrap();
            other
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            assert!(answers(&mut other, &format!("other{i}")), "client {i}");
        }
    }
    assert!(
        closed,
        "the slow connection was still open after the whole message"
    );
    assert!(sent < message.len(), "closed only after {sent} bytes");
    assert_eq!(
        server.metric("switchboard_sip_connections_deadline_closed_total"),
        1
    );
    assert_eq!(register_over_tcp(&server, "4001", "pw-4001", "after"), 200);
    // A whole message sent in pieces within the deadline is fine.
    let mut split = TcpStream::connect(server.tcp).unwrap();
    split
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (head, tail) = message.split_at(40);
    split.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    split.write_all(tail.as_bytes()).unwrap();
    assert_eq!(status(&read_head(&mut split)), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_address_cannot_take_every_connection() {
    let server = TestServer::start("[sip]\nmax_connections_per_source = 3\n", &[]);
    let mut held: Vec<TcpStream> = (0..3)
        .map(|i| {
            let mut s = connect_from("127.0.0.1", server.tcp);
            assert!(answers(&mut s, &format!("held{i}")), "connection {i}");
            s
        })
        .collect();
    // The fourth from 127.0.0.1 is closed at once, over TCP or WebSocket.
    let mut fourth = connect_from("127.0.0.1", server.tcp);
    assert!(
        closed_by_server(&mut fourth),
        "a fourth connection was kept"
    );
    assert_eq!(sip_upgrade(&server, None).await, 503);
    assert!(server.metric("switchboard_sip_connections_refused_per_source_total") >= 2);
    // Another address is not affected.
    let mut other = connect_from("127.0.0.2", server.tcp);
    assert!(answers(&mut other, "other-address"));
    // A closed connection frees its slot.
    drop(held.pop());
    let mut again = None;
    for attempt in 0..50 {
        let mut s = connect_from("127.0.0.1", server.tcp);
        if answers(&mut s, &format!("again{attempt}")) {
            again = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(again.is_some(), "the freed slot was never given back");
}

#[test]
fn a_slow_http_header_is_cut_off_while_others_are_served() {
    let server = TestServer::start(
        "[http]\nlisten = \"127.0.0.1:0\"\nheader_read_timeout_secs = 2\n",
        &[],
    );
    let mut slow = TcpStream::connect(server.http).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nUser-Agent: a-very-slow-client-indeed\r\n\r\n",
        server.http
    );
    let mut sent = 0;
    let mut closed = false;
    for byte in request.bytes() {
        if slow.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        let mut buf = [0u8; 256];
        match slow.read(&mut buf) {
            // hyper may say 408 before it closes.
            Ok(0) | Ok(_) => {
                closed = true;
                break;
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Err(_) => {}
        }
        assert_eq!(common::http_get(server.http, "/healthz"), "ok\n");
    }
    assert!(closed, "the slow request was still being read at its end");
    assert!(sent < request.len(), "cut off only after {sent} bytes");
}

#[test]
fn sdp_pointing_media_at_broadcast_or_multicast_is_refused() {
    let (server, _api) = demo("");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    for (i, (ip_version, address)) in [
        ("IP4", "255.255.255.255"),
        ("IP4", "224.0.0.1/1"),
        ("IP4", "239.1.2.3/16"),
        ("IP6", "ff0e::1"),
    ]
    .into_iter()
    .enumerate()
    {
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN {ip_version} {address}\r\nt=0 0\r\n\
             m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        );
        let invite = format!(
            "INVITE sip:{DID}@switchboard.local SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKsdp{i}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:carrier@127.0.0.1>;tag=s{i}\r\nTo: <sip:{DID}@switchboard.local>\r\n\
             Call-ID: sdp{i}@test\r\nCSeq: 1 INVITE\r\nContact: <sip:carrier@{local}>\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        socket.send_to(invite.as_bytes(), server.udp).unwrap();
        let mut buf = [0u8; 4096];
        let answer = loop {
            let n = socket.recv(&mut buf).expect("an answer");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if status(&text) != 100 {
                break text;
            }
        };
        assert_eq!(status(&answer), 488, "{address}: {answer}");
    }
}
