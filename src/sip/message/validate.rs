//! The checks a UAS makes on a parsed request before the transaction and core
//! layers see it (RFC 3261 sections 8.2.1 and 8.2.2.1, 8.1.1 mandatory header
//! fields, 7.3.1 single-valued fields; RFC 4475 sections 3.1.2 and 3.3), and the
//! error response for a request that did not parse at all, or that a stream
//! could not frame (section 18.3).
//!
//! Checks that need server policy (Require → 420, Content-Type → 415, Accept →
//! 406, authentication → 401, Max-Forwards 0 → 483) belong to the UAS core.

use super::error::{FrameError, ParseError};
use super::header::HeaderName;
use super::lex;
use super::parse::parse;
use super::typed::{Contacts, Method};
use super::uri::Scheme;
use super::{Message, Request, Response};
use bytes::Bytes;

/// Why a request is refused: the status, the reason phrase, and extra header fields
/// the response must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(HeaderName, String)>,
}

impl Rejection {
    fn bad(reason: &'static str) -> Rejection {
        Rejection {
            status: 400,
            reason,
            headers: Vec::new(),
        }
    }

    /// The response to send (without a To tag; add one with `set_to_tag`).
    pub fn to_response(&self, req: &Request) -> Response {
        let mut r = Response::for_request(req, self.status, self.reason);
        for (n, v) in &self.headers {
            r.headers.push(n.clone(), v.clone());
        }
        r
    }
}

fn missing(n: &HeaderName) -> &'static str {
    match n {
        HeaderName::To => "Missing To header",
        HeaderName::From => "Missing From header",
        HeaderName::CallId => "Missing Call-ID header",
        HeaderName::CSeq => "Missing CSeq header",
        _ => "Missing Via header",
    }
}

fn multiple(n: &HeaderName) -> &'static str {
    match n {
        HeaderName::To => "Multiple To headers",
        HeaderName::From => "Multiple From headers",
        HeaderName::CallId => "Multiple Call-ID headers",
        HeaderName::CSeq => "Multiple CSeq headers",
        HeaderName::MaxForwards => "Multiple Max-Forwards headers",
        HeaderName::ContentLength => "Multiple Content-Length headers",
        HeaderName::ContentType => "Multiple Content-Type headers",
        HeaderName::Expires => "Multiple Expires headers",
        _ => "Multiple Min-Expires headers",
    }
}

fn call_id_ok(v: &[u8]) -> bool {
    let v = lex::trim(v);
    let mut parts = v.split(|&c| c == b'@');
    let first = parts.next().unwrap_or(&[]);
    let second = parts.next();
    parts.next().is_none()
        && !first.is_empty()
        && first.iter().all(|&c| lex::is_word(c))
        && second.is_none_or(|s| !s.is_empty() && s.iter().all(|&c| lex::is_word(c)))
}

fn media_type_ok(v: &[u8]) -> bool {
    let end = v.iter().position(|&c| c == b';').unwrap_or(v.len());
    let t = lex::trim(&v[..end]);
    match t.iter().position(|&c| c == b'/') {
        Some(s) => lex::all_token(lex::trim(&t[..s])) && lex::all_token(lex::trim(&t[s + 1..])),
        None => false,
    }
}

/// Checks a parsed request: mandatory fields present and parsable, single-valued
/// fields not repeated, scalars in range, CSeq method equal to the request
/// method, and a Request-URI scheme we serve (sip, sips, tel; else 416).
pub fn validate_request(req: &Request) -> Result<(), Rejection> {
    let h = &req.headers;
    for n in [
        HeaderName::To,
        HeaderName::From,
        HeaderName::CallId,
        HeaderName::CSeq,
        HeaderName::Via,
    ] {
        if h.count(&n) == 0 {
            return Err(Rejection::bad(missing(&n)));
        }
    }
    for n in [
        HeaderName::To,
        HeaderName::From,
        HeaderName::CallId,
        HeaderName::CSeq,
        HeaderName::MaxForwards,
        HeaderName::ContentLength,
        HeaderName::ContentType,
        HeaderName::Expires,
        HeaderName::MinExpires,
    ] {
        if h.count(&n) > 1 {
            return Err(Rejection::bad(multiple(&n)));
        }
    }
    let bad = |e: ParseError| Rejection::bad(e.what());
    // tag-param = "tag" EQUAL token (RFC 3261 25.1)
    if req.to().map_err(bad)?.params.get("tag") == Some(None) {
        return Err(Rejection::bad("Malformed To header"));
    }
    if req.from().map_err(bad)?.params.get("tag") == Some(None) {
        return Err(Rejection::bad("Malformed From header"));
    }
    if !h.get(&HeaderName::CallId).is_some_and(|v| call_id_ok(v)) {
        return Err(Rejection::bad("Malformed Call-ID header"));
    }
    let cseq = req.cseq().map_err(bad)?;
    if cseq.method != req.method {
        return Err(Rejection::bad("CSeq method does not match the request"));
    }
    req.vias().map_err(bad)?;
    req.max_forwards().map_err(bad)?;
    req.expires().map_err(bad)?;
    if h.count(&HeaderName::Contact) > 0 {
        if let Contacts::List(list) = req.contacts().map_err(bad)? {
            for c in &list {
                if let Some(e) = c.params.get("expires") {
                    if e.and_then(|e| lex::parse_u64(e.as_bytes()))
                        .is_none_or(|e| e > u32::MAX as u64)
                    {
                        return Err(Rejection::bad("Bad Contact expires"));
                    }
                }
            }
        }
    }
    req.routes().map_err(bad)?;
    req.record_routes().map_err(bad)?;
    if let Some(ct) = h.get(&HeaderName::ContentType) {
        if !media_type_ok(ct) {
            return Err(Rejection::bad("Malformed Content-Type header"));
        }
    }
    if !matches!(req.uri.scheme(), Scheme::Sip | Scheme::Sips | Scheme::Tel) {
        return Err(Rejection {
            status: 416,
            reason: "Unsupported URI Scheme",
            headers: Vec::new(),
        });
    }
    Ok(())
}

impl ParseError {
    /// The error response for a request that failed to parse, when its Via, From,
    /// To, Call-ID and CSeq can be picked out of the raw octets and the top Via and
    /// CSeq are readable. `None`: drop it.
    /// The reason phrase names the problem. No To tag is added.
    pub fn response(&self) -> Option<Response> {
        let status = self.status()?;
        let raw = self.raw()?;
        let fields = lenient_fields(raw);
        // A request with so many Via fields that the answer would itself be
        // over the header limit is dropped, not answered with a message no
        // parser (ours included) would take.
        if fields.len() + 4 > super::parse::MAX_HEADERS {
            return None;
        }
        for n in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
        ] {
            if !fields.iter().any(|(k, _)| *k == n) {
                return None;
            }
        }
        let mut r = Response::new(status, self.what());
        for (n, v) in fields {
            r.headers.push(n, v);
        }
        // the response must reach the sender (top Via) and match its
        // transaction (CSeq); otherwise there is no point in sending it
        if r.top_via().is_err() || r.cseq().is_err() {
            return None;
        }
        Some(r)
    }
}

impl FrameError {
    /// The answer to a request of which only the header section `head` could
    /// be read before framing failed: [`FrameError::status`] with
    /// [`FrameError::reason`]. It is built from the request when the head
    /// parses, else from the fields picked out of it as for
    /// [`ParseError::response`]. `None` for a response, an ACK, or octets no
    /// answer can be built for: those are dropped.
    pub fn response(&self, head: Bytes) -> Option<Response> {
        let response = match parse(head.clone()) {
            Ok(Message::Request(req)) => Response::for_request(&req, self.status(), self.reason()),
            Ok(Message::Response(_)) => return None,
            // Recognisably a request, though the head alone does not parse
            // (its Content-Length is what could not be framed).
            Err(e) if e.status().is_some() => ParseError::bad(self.reason())
                .with_status(Some(self.status()))
                .with_raw(head)
                .response()?,
            Err(_) => return None,
        };
        (response.cseq().ok()?.method != Method::Ack).then_some(response)
    }
}

/// Picks Via (all), From, To, Call-ID and CSeq (first of each) out of a message
/// that did not parse, ignoring lines that make no sense.
fn lenient_fields(raw: &Bytes) -> Vec<(HeaderName, Bytes)> {
    let b = &raw[..];
    let mut out: Vec<(HeaderName, Bytes)> = Vec::new();
    let mut lines = Vec::new();
    let mut i = super::parse::skip_keepalive(b);
    while i < b.len() {
        let lf = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p);
        let end = if lf > i && b[lf - 1] == b'\r' {
            lf - 1
        } else {
            lf
        };
        if end == i {
            break;
        }
        lines.push(i..end);
        i = lf + 1;
    }
    let mut k = 1;
    while k < lines.len() {
        let l = lines[k].clone();
        let mut end = l.end;
        let mut next = k + 1;
        while next < lines.len() && matches!(b[lines[next].start], b' ' | b'\t') {
            end = lines[next].end;
            next += 1;
        }
        let line = &b[l.start..end];
        let n = line.iter().take_while(|&&c| lex::is_token(c)).count();
        let colon = line[n..].iter().position(|&c| c == b':');
        if let (true, Some(c)) = (n > 0, colon) {
            if lex::trim(&line[n..n + c]).is_empty() {
                let name = HeaderName::from_bytes(&line[..n]);
                let wanted = match name {
                    HeaderName::Via => {
                        out.iter().filter(|(k, _)| *k == HeaderName::Via).count()
                            < super::access::MAX_RESPONSE_VIAS
                    }
                    HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::CSeq => {
                        !out.iter().any(|(k, _)| *k == name)
                    }
                    _ => false,
                };
                let vs = l.start + n + c + 1;
                let r = lex::trim_range(&b[vs..end]);
                if wanted && !r.is_empty() {
                    out.push((name, raw.slice(vs + r.start..vs + r.end)));
                }
            }
        }
        k = next;
    }
    out
}
