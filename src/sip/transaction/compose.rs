//! Messages the transaction layer writes itself: the ACK for a non-2xx final
//! response (RFC 3261 section 17.1.1.3), the CANCEL of a pending INVITE
//! (section 9.1), the responses it answers on the TU's behalf (100 Trying,
//! section 17.2.1; 200 to a CANCEL and 487 to the INVITE, section 9.2; 481 to
//! an unmatched CANCEL; 503 when the table is full), and where responses go
//! (section 18.2.2 with RFC 3581 rport).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::sip::message::{HeaderName, Headers, Method, Request, Response};
use crate::sip::peer::Peer;

/// Copies every value of `name` from `from` to `to`, in order.
fn copy_all(from: &Request, to: &mut Request, name: HeaderName) {
    let values: Vec<Bytes> = from.headers.get_all(&name).cloned().collect();
    for v in values {
        to.headers.push(name.clone(), v);
    }
}

fn copy_one(from: &Request, to: &mut Request, name: HeaderName) {
    if let Some(v) = from.headers.get(&name).cloned() {
        to.headers.push(name, v);
    }
}

/// A request sharing the original's Request-URI, top Via, From, To, Call-ID,
/// CSeq number and Route set, with a new method: the common part of the
/// section 17.1.1.3 ACK and the section 9.1 CANCEL.
fn hop_request(original: &Request, method: Method) -> Request {
    let mut req = Request {
        method: method.clone(),
        uri: original.uri.clone(),
        headers: Headers::new(),
        body: Bytes::new(),
    };
    copy_one(original, &mut req, HeaderName::Via);
    req.headers
        .push(HeaderName::MaxForwards, Bytes::from_static(b"70"));
    copy_one(original, &mut req, HeaderName::From);
    copy_one(original, &mut req, HeaderName::To);
    copy_one(original, &mut req, HeaderName::CallId);
    let seq = original.cseq().map(|c| c.seq).unwrap_or(0);
    req.headers
        .push(HeaderName::CSeq, Bytes::from(format!("{seq} {method}")));
    copy_all(original, &mut req, HeaderName::Route);
    req
}

/// The ACK the INVITE client transaction sends for a 300-699 response: To
/// from the response (it carries the UAS's tag), everything else from the
/// INVITE.
pub(crate) fn ack_for(invite: &Request, response: &Response) -> Request {
    let mut ack = hop_request(invite, Method::Ack);
    if let Some(to) = response.headers.get(&HeaderName::To).cloned() {
        ack.headers.set(HeaderName::To, to);
    }
    ack
}

/// The CANCEL for a pending INVITE (section 9.1).
pub(crate) fn cancel_for(invite: &Request) -> Request {
    hop_request(invite, Method::Cancel)
}

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
/// rport, else to the source IP and the port in the Via (5060 by default).
pub(crate) fn reply_peer(req: &Request, from: Peer) -> Peer {
    if from.transport.is_reliable() {
        return from;
    }
    let Ok(via) = req.top_via() else {
        return from;
    };
    if via.rport().is_some() {
        return from;
    }
    let port = via.port.unwrap_or(5060);
    Peer {
        addr: SocketAddr::new(from.addr.ip(), port),
        ..from
    }
}
