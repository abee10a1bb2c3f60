//! Requests derived from other messages, as the transaction layer and UAC core
//! build them: the ACK for a non-2xx final response (RFC 3261 section 17.1.1.3)
//! and CANCEL (section 9.1). Both copy header values verbatim from the original.

use super::header::HeaderName;
use super::typed::Method;
use super::{Request, Response};
use bytes::Bytes;

impl Request {
    /// The request with the given method and CSeq number and selected header
    /// fields of `self`; the top Via only.
    fn derived(&self, method: Method, to: Option<&Bytes>) -> Request {
        let mut r = Request::new(method.clone(), self.uri.clone());
        let seq = self.cseq().map(|c| c.seq).unwrap_or(0);
        let mut via_done = false;
        for (n, v) in self.headers.iter() {
            match n {
                HeaderName::Via if !via_done => {
                    let first = super::lex::split_commas(v)
                        .into_iter()
                        .next()
                        .unwrap_or(0..0);
                    r.headers.push(HeaderName::Via, v.slice(first));
                    via_done = true;
                }
                HeaderName::From
                | HeaderName::CallId
                | HeaderName::Route
                | HeaderName::MaxForwards => r.headers.push(n.clone(), v.clone()),
                HeaderName::To => r.headers.push(HeaderName::To, to.unwrap_or(v).clone()),
                HeaderName::CSeq => r.headers.push(HeaderName::CSeq, format!("{seq} {method}")),
                _ => {}
            }
        }
        r
    }

    /// The ACK for a non-2xx final response to this INVITE: same Request-URI,
    /// Call-ID, From, top Via, Route and CSeq number; To from the response (it
    /// carries the tag).
    pub fn ack_for(&self, resp: &Response) -> Request {
        self.derived(Method::Ack, resp.headers.get(&HeaderName::To))
    }

    /// The CANCEL for this request: same Request-URI, Call-ID, From, To, top Via,
    /// Route and CSeq number.
    pub fn cancel(&self) -> Request {
        self.derived(Method::Cancel, None)
    }
}

impl Response {
    /// 1xx.
    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// 200 to 699.
    pub fn is_final(&self) -> bool {
        self.status >= 200
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    fn invite() -> Request {
        let text = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP proxy;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\n\
Route: <sip:p1.example.com;lr>\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\n";
        match parse(Bytes::from(text)) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ack_for_a_failure() {
        let inv = invite();
        let mut resp = inv.response(486);
        resp.set_to_tag("a6c85cf");
        assert!(resp.is_final() && !resp.is_success() && !resp.is_provisional());
        let ack = inv.ack_for(&resp);
        assert_eq!(ack.method, Method::Ack);
        assert_eq!(ack.uri, inv.uri);
        assert_eq!(
            ack.cseq().unwrap(),
            CSeq {
                seq: 314159,
                method: Method::Ack
            }
        );
        assert_eq!(ack.to().unwrap().tag(), Some("a6c85cf"));
        assert_eq!(ack.vias().unwrap().len(), 1);
        assert_eq!(ack.top_via().unwrap().branch(), Some("z9hG4bKnashds8"));
        assert_eq!(ack.routes().unwrap().len(), 1);
        assert!(ack.body.is_empty() && ack.headers.get(&HeaderName::Contact).is_none());
        assert_eq!(validate_request(&ack), Ok(()));
    }

    #[test]
    fn cancel_copies_the_invite() {
        let inv = invite();
        let c = inv.cancel();
        assert_eq!(
            c.cseq().unwrap(),
            CSeq {
                seq: 314159,
                method: Method::Cancel
            }
        );
        assert_eq!(c.to().unwrap().tag(), None);
        assert_eq!(c.call_id(), inv.call_id());
        assert_eq!(validate_request(&c), Ok(()));
        let printed = c.to_bytes();
        assert!(parse(printed).is_ok());
    }
}
