//! Call-flow tests of the whole layer on a virtual clock: messages in as text,
//! transmissions and events out, time moved by hand. RFC 3261 figures 5 to 8,
//! section 9 (CANCEL), RFC 6026 (2xx), RFC 4475 section 3.2.1 and 3.4.1 (RFC
//! 2543 matching).

mod client_flows;
mod legacy;
mod machines;
mod random;
mod server_flows;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::sip::message::{Message, Request};
use crate::sip::peer::{ConnectionId, Peer, Transport};

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(super) fn alice() -> Peer {
    Peer::udp("192.0.2.10:5060".parse::<SocketAddr>().unwrap())
}

pub(super) fn alice_tcp() -> Peer {
    Peer {
        transport: Transport::Tcp,
        addr: "192.0.2.10:40000".parse().unwrap(),
        connection: Some(ConnectionId(7)),
    }
}

pub(super) fn parse(text: &str) -> Message {
    let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    crate::sip::message::parse(Bytes::from(text)).expect("test message parses")
}

pub(super) fn request(text: &str) -> Request {
    match parse(text) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

/// A request from alice: `method`, Via branch, CSeq number, optional To tag.
pub(super) fn req_text(
    method: &str,
    branch: &str,
    cseq: u32,
    to_tag: Option<&str>,
    transport: &str,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let cseq_method = method;
    format!(
        "{method} sip:queue@switchboard.example SIP/2.0\n\
         Via: SIP/2.0/{transport} 192.0.2.10:5060;branch={branch}\n\
         Max-Forwards: 70\n\
         From: <sip:alice@example.com>;tag=a1\n\
         To: <sip:queue@switchboard.example>{to_tag}\n\
         Call-ID: call-1@192.0.2.10\n\
         CSeq: {cseq} {cseq_method}\n\
         Contact: <sip:alice@192.0.2.10:5060>\n\
         Content-Length: 0\n\n"
    )
}

pub(super) fn udp_req(method: &str, branch: &str, cseq: u32, to_tag: Option<&str>) -> Message {
    parse(&req_text(method, branch, cseq, to_tag, "UDP"))
}

/// An ACK built the way a UAC builds the ACK for a non-2xx: same branch, CSeq
/// number, To tag of the response.
pub(super) fn ack(branch: &str, cseq: u32, to_tag: &str) -> Message {
    let text = req_text("ACK", branch, cseq, Some(to_tag), "UDP");
    parse(&text)
}

/// A request we send to an agent.
pub(super) fn our_req(method: &str, branch: &str, transport: &str) -> Request {
    request(&format!(
        "{method} sip:agent1@192.0.2.50:5060 SIP/2.0\n\
         Via: SIP/2.0/{transport} 192.0.2.1:5060;branch={branch}\n\
         Max-Forwards: 70\n\
         From: <sip:queue@switchboard.example>;tag=sb1\n\
         To: <sip:agent1@switchboard.example>\n\
         Call-ID: agent-leg-1@192.0.2.1\n\
         CSeq: 1 {method}\n\
         Contact: <sip:queue@192.0.2.1:5060>\n\
         Content-Length: 0\n\n"
    ))
}

pub(super) fn agent() -> Peer {
    Peer::udp("192.0.2.50:5060".parse().unwrap())
}

/// The agent's answer to one of our requests.
pub(super) fn agent_resp(status: u16, branch: &str, method: &str, to_tag: Option<&str>) -> Message {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    parse(&format!(
        "SIP/2.0 {status} Whatever\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\n\
         From: <sip:queue@switchboard.example>;tag=sb1\n\
         To: <sip:agent1@switchboard.example>{to_tag}\n\
         Call-ID: agent-leg-1@192.0.2.1\n\
         CSeq: 1 {method}\n\
         Contact: <sip:agent1@192.0.2.50:5060>\n\
         Content-Length: 0\n\n"
    ))
}

pub(super) fn layer() -> TransactionLayer {
    TransactionLayer::with_config(Config {
        seed: Some(7),
        ..Config::default()
    })
}

pub(super) fn transmits(l: &mut TransactionLayer) -> Vec<Transmit> {
    std::iter::from_fn(|| l.poll_transmit()).collect()
}

pub(super) fn events(l: &mut TransactionLayer) -> Vec<Event> {
    std::iter::from_fn(|| l.poll_event()).collect()
}

/// The status line (or request line) of each transmission.
pub(super) fn first_lines(ts: &[Transmit]) -> Vec<String> {
    ts.iter()
        .map(|t| {
            let s = String::from_utf8_lossy(&t.data);
            s.lines().next().unwrap_or("").to_string()
        })
        .collect()
}

pub(super) fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    data.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Moves the clock from deadline to deadline until `end`, collecting what was
/// sent with its time since `t0`.
pub(super) fn run_until(
    l: &mut TransactionLayer,
    t0: Instant,
    end: Duration,
) -> Vec<(Duration, Transmit)> {
    let mut log = Vec::new();
    while let Some(at) = l.poll_timeout().filter(|&at| at <= t0 + end) {
        l.handle_timeout(at);
        for t in transmits(l) {
            log.push((at - t0, t));
        }
    }
    log
}

pub(super) fn new_request_tx(evs: &[Event]) -> ServerTxId {
    evs.iter()
        .find_map(|e| match e {
            Event::Request { tx, .. } => Some(*tx),
            _ => None,
        })
        .expect("an Event::Request")
}

pub(super) fn request_of(evs: &[Event]) -> Request {
    evs.iter()
        .find_map(|e| match e {
            Event::Request { request, .. } => Some(request.clone()),
            _ => None,
        })
        .expect("an Event::Request")
}
