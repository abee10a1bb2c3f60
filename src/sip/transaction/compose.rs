//! Responses the transaction layer writes on the TU's behalf (100 Trying,
//! RFC 3261 section 17.2.1; 200 to a CANCEL and 487 to the INVITE, section
//! 9.2; 481 to an unmatched CANCEL; 503 when the table is full), and where
//! responses go (section 18.2.2 with RFC 3581 rport). The ACK for a non-2xx
//! (section 17.1.1.3) and the CANCEL (section 9.1) come from the message
//! layer's `Request::ack_for` and `Request::cancel`.

use std::net::SocketAddr;

use crate::sip::message::{Request, Response};
use crate::sip::peer::Peer;

/// A response the layer writes itself. Every status but 100 carries `to_tag`
/// (section 8.2.6.2).
pub(crate) fn response(req: &Request, status: u16, reason: &'static str, to_tag: &str) -> Response {
    let mut resp = Response::for_request(req, status, reason);
    if status != 100 && to_tag_of(&resp).is_none() {
        resp.set_to_tag(to_tag);
    }
    resp
}

pub(crate) fn to_tag_of(resp: &Response) -> Option<String> {
    resp.to()
        .ok()
        .and_then(|to| to.tag().map(|t| t.to_string()))
}

/// Section 18.2.2 and RFC 3581: on a stream, back over the connection the
/// request came on; on UDP to the source address when the Via asked for
/// rport, else to the source IP and the port in the Via (5060 by default,
/// 5061 for TLS, section 18.2.2 and 19.1.2).
pub fn reply_peer(req: &Request, from: Peer) -> Peer {
    if from.transport.is_reliable() {
        return from;
    }
    let Ok(via) = req.top_via() else {
        return from;
    };
    if via.rport().is_some() {
        return from;
    }
    let tls = via.transport.eq_ignore_ascii_case(b"TLS");
    let port = via.port.unwrap_or(if tls { 5061 } else { 5060 });
    Peer {
        addr: SocketAddr::new(from.addr.ip(), port),
        ..from
    }
}
