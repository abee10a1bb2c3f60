//! The UAS rules of RFC 3261 section 8.2 through the real server over UDP:
//! 405 with Allow, 501, 420 with Unsupported, 483 for an INVITE with
//! Max-Forwards 0, 481 for requests outside any dialog or transaction, and a
//! retransmitted request answered from its transaction, not twice.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use common::TestServer;

struct Client {
    socket: UdpSocket,
    port: u16,
}

impl Client {
    fn new() -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        Client { socket, port }
    }

    /// Sends a request and returns the first final response to it.
    fn ask(
        &self,
        server: &TestServer,
        method: &str,
        uri: &str,
        extra: &str,
        call_id: &str,
    ) -> String {
        let msg = format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK{call_id};rport\r\n\
             To: <sip:someone@switchboard.local>\r\nFrom: <sip:probe@example.net>;tag=9\r\n\
             Call-ID: {call_id}\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n",
            self.port
        );
        self.socket.send_to(msg.as_bytes(), server.udp).unwrap();
        self.final_response(call_id)
    }

    fn final_response(&self, call_id: &str) -> String {
        let mut buf = [0u8; 65_535];
        loop {
            let (n, _) = self
                .socket
                .recv_from(&mut buf)
                .unwrap_or_else(|_| panic!("no response for {call_id}"));
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if text.contains(&format!("Call-ID: {call_id}")) && !text.starts_with("SIP/2.0 100") {
                return text;
            }
        }
    }
}

fn status(response: &str) -> u16 {
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

#[test]
fn methods_extensions_and_hops_are_refused_with_the_right_codes() {
    let server = TestServer::start("", &[]);
    let c = Client::new();

    let r = c.ask(
        &server,
        "SUBSCRIBE",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\nEvent: presence\r\n",
        "sub1",
    );
    assert_eq!(status(&r), 405);
    assert!(header(&r, "Allow").is_some_and(|a| a.contains("INVITE") && a.contains("REGISTER")));

    let r = c.ask(
        &server,
        "FROBNICATE",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\n",
        "frob1",
    );
    assert_eq!(status(&r), 501);

    let r = c.ask(
        &server,
        "OPTIONS",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\nRequire: 100rel, foo\r\n",
        "req1",
    );
    assert_eq!(status(&r), 420);
    assert_eq!(header(&r, "Unsupported"), Some("100rel, foo"));

    // A B2BUA forwarding an INVITE elsewhere would need a hop it does not have.
    let r = c.ask(
        &server,
        "INVITE",
        "sip:bob@elsewhere.example",
        "Max-Forwards: 0\r\n",
        "hop1",
    );
    assert_eq!(status(&r), 483);
    // So would a call to one of our own numbers: it goes on to an agent.
    let r = c.ask(
        &server,
        "INVITE",
        "sip:600@switchboard.local",
        "Max-Forwards: 0\r\n",
        "hop0",
    );
    assert_eq!(status(&r), 483);
    assert!(r.starts_with("SIP/2.0 483 Too Many Hops\r\n"), "{r}");
    // OPTIONS is for the server itself, so Max-Forwards 0 is fine.
    let r = c.ask(
        &server,
        "OPTIONS",
        "sip:switchboard.local",
        "Max-Forwards: 0\r\n",
        "hop2",
    );
    assert_eq!(status(&r), 200);

    let r = c.ask(
        &server,
        "BYE",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\n",
        "bye1",
    );
    assert_eq!(status(&r), 481);
    let r = c.ask(
        &server,
        "CANCEL",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\n",
        "cancel1",
    );
    assert_eq!(status(&r), 481);
    assert!(header(&r, "To").is_some_and(|t| t.contains(";tag=")));
}

#[test]
fn a_retransmitted_request_gets_the_same_response_from_its_transaction() {
    let server = TestServer::start("", &[]);
    let c = Client::new();
    let first = c.ask(
        &server,
        "REGISTER",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\n",
        "rtx1",
    );
    assert_eq!(status(&first), 401);
    let again = c.ask(
        &server,
        "REGISTER",
        "sip:switchboard.local",
        "Max-Forwards: 70\r\n",
        "rtx1",
    );
    // The very same bytes: same To tag, same nonce, not a second challenge.
    assert_eq!(first, again);
    assert_eq!(server.metric("switchboard_sip_auth_challenges_total"), 1);
}
