//! Typed accessors on requests and responses, parsing raw values on demand
//! (RFC 3261 section 20 header by header; 7.3.1 comma lists across fields), and
//! the response helpers of a UAS (8.2.6: copying Via, From, To, Call-ID, CSeq and
//! adding the To tag; 21: default reason phrases).

use super::error::ParseError;
use super::header::{HeaderName, Headers};
use super::lex;
use super::typed::{self, CSeq, Contacts, NameAddr, Via};
use super::{Request, Response};
use bytes::Bytes;

pub(crate) fn call_id(h: &Headers) -> Option<&str> {
    h.get(&HeaderName::CallId)
        .and_then(|v| std::str::from_utf8(lex::trim(v)).ok())
        .filter(|s| !s.is_empty())
}

fn split_all<'a>(h: &'a Headers, n: &'a HeaderName) -> impl Iterator<Item = Bytes> + 'a {
    h.get_all(n)
        .flat_map(|v| lex::split_commas(v).into_iter().map(move |r| v.slice(r)))
}

pub(crate) fn vias(h: &Headers) -> Result<Vec<Via>, ParseError> {
    split_all(h, &HeaderName::Via)
        .map(|v| typed::parse_via(&v))
        .collect()
}

pub(crate) fn top_via(h: &Headers) -> Result<Via, ParseError> {
    let v = h
        .get(&HeaderName::Via)
        .ok_or_else(|| ParseError::bad("Missing Via header"))?;
    typed::parse_via(&v.slice(lex::first_element(v)))
}

fn set_top_via(h: &mut Headers, via: &Via) {
    match h.position(&HeaderName::Via) {
        None => h.push_front(HeaderName::Via, via.to_string()),
        Some(i) => {
            let v = h.iter().nth(i).map(|(_, v)| v.clone()).unwrap_or_default();
            let parts = lex::split_commas(&v);
            let new = if parts.len() > 1 {
                let mut s = via.to_string().into_bytes();
                s.extend_from_slice(b", ");
                s.extend_from_slice(&v[parts[1].start..]);
                Bytes::from(s)
            } else {
                Bytes::from(via.to_string())
            };
            h.replace_at(i, new);
        }
    }
}

fn name_addr(
    h: &Headers,
    n: &HeaderName,
    missing: &'static str,
    what: &'static str,
) -> Result<NameAddr, ParseError> {
    let v = h.get(n).ok_or_else(|| ParseError::bad(missing))?;
    typed::parse_name_addr(v, what)
}

pub(crate) fn cseq(h: &Headers) -> Result<CSeq, ParseError> {
    let v = h
        .get(&HeaderName::CSeq)
        .ok_or_else(|| ParseError::bad("Missing CSeq header"))?;
    typed::parse_cseq(v)
}

pub(crate) fn contacts(h: &Headers) -> Result<Contacts, ParseError> {
    let all: Vec<Bytes> = split_all(h, &HeaderName::Contact).collect();
    if all.len() == 1 && &all[0][..] == b"*" {
        return Ok(Contacts::Star);
    }
    all.iter()
        .map(|v| {
            if &v[..] == b"*" {
                Err(ParseError::bad("Contact * mixed with addresses"))
            } else {
                typed::parse_name_addr(v, "Malformed Contact header")
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Contacts::List)
}

pub(crate) fn name_addrs(
    h: &Headers,
    n: &HeaderName,
    what: &'static str,
) -> Result<Vec<NameAddr>, ParseError> {
    split_all(h, n)
        .map(|v| typed::parse_name_addr(&v, what))
        .collect()
}

fn scalar(
    h: &Headers,
    n: &HeaderName,
    max: u64,
    what: &'static str,
) -> Result<Option<u32>, ParseError> {
    h.get(n)
        .map(|v| typed::parse_scalar(v, max, what))
        .transpose()
}

pub(crate) fn tokens<'a>(h: &'a Headers, n: &HeaderName) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (_, v) in h.iter().filter(|(k, _)| *k == n) {
        for part in v.split(|&c| c == b',') {
            let t = lex::trim(part);
            if !t.is_empty() {
                if let Ok(s) = std::str::from_utf8(t) {
                    out.push(s);
                }
            }
        }
    }
    out
}

fn media_type(v: &[u8]) -> &[u8] {
    let end = v.iter().position(|&c| c == b';').unwrap_or(v.len());
    let t = lex::trim(&v[..end]);
    t
}

/// Media types we name often, so `content_type()` can return them lowercased
/// without allocating when a peer writes them in another case.
const KNOWN_TYPES: &[&str] = &[
    "application/sdp",
    "application/dtmf-relay",
    "application/pidf+xml",
    "application/simple-message-summary",
    "message/sipfrag",
    "multipart/mixed",
    "multipart/alternative",
    "text/plain",
];

fn content_type(h: &Headers) -> Option<&str> {
    let v = h.get(&HeaderName::ContentType)?;
    let t = std::str::from_utf8(media_type(v)).ok()?;
    if t.is_empty() {
        return None;
    }
    if t.bytes().any(|c| c.is_ascii_uppercase()) {
        if let Some(k) = KNOWN_TYPES.iter().find(|k| k.eq_ignore_ascii_case(t)) {
            return Some(k);
        }
    }
    Some(t)
}

fn accept(h: &Headers) -> Vec<String> {
    let mut out = Vec::new();
    for v in h.get_all(&HeaderName::Accept) {
        for part in v.split(|&c| c == b',') {
            let t = media_type(part);
            if !t.is_empty() {
                out.push(String::from_utf8_lossy(t).to_ascii_lowercase());
            }
        }
    }
    out
}

/// Most Via fields a response we build carries (a request can hold up to
/// `MAX_HEADERS` fields; the response adds its own and Content-Length).
pub const MAX_RESPONSE_VIAS: usize = super::MAX_HEADERS - 16;

macro_rules! accessors {
    ($t:ty) => {
        impl $t {
            /// Every Via value, across fields and comma lists, top first.
            pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
                vias(&self.headers)
            }
            pub fn top_via(&self) -> Result<Via, ParseError> {
                top_via(&self.headers)
            }
            /// Replaces the topmost Via value (or adds one if there is none).
            pub fn set_top_via(&mut self, via: Via) {
                set_top_via(&mut self.headers, &via)
            }
            /// Adds a Via value on top (a request we send or forward).
            pub fn push_via(&mut self, via: Via) {
                self.headers.push_front(HeaderName::Via, via.to_string());
            }
            pub fn from(&self) -> Result<NameAddr, ParseError> {
                name_addr(
                    &self.headers,
                    &HeaderName::From,
                    "Missing From header",
                    "Malformed From header",
                )
            }
            pub fn to(&self) -> Result<NameAddr, ParseError> {
                name_addr(
                    &self.headers,
                    &HeaderName::To,
                    "Missing To header",
                    "Malformed To header",
                )
            }
            pub fn call_id(&self) -> Option<&str> {
                call_id(&self.headers)
            }
            pub fn cseq(&self) -> Result<CSeq, ParseError> {
                cseq(&self.headers)
            }
            pub fn contacts(&self) -> Result<Contacts, ParseError> {
                contacts(&self.headers)
            }
            /// Max-Forwards (0-255); `None` when absent.
            pub fn max_forwards(&self) -> Result<Option<u32>, ParseError> {
                scalar(
                    &self.headers,
                    &HeaderName::MaxForwards,
                    255,
                    "Bad Max-Forwards",
                )
            }
            /// Expires in seconds (up to 2^32 - 1); `None` when absent.
            pub fn expires(&self) -> Result<Option<u32>, ParseError> {
                scalar(
                    &self.headers,
                    &HeaderName::Expires,
                    u32::MAX as u64,
                    "Bad Expires",
                )
            }
            /// `type/subtype` without parameters. Lowercase when the peer wrote it so
            /// or it is a common type; otherwise as written (compare ignoring case).
            pub fn content_type(&self) -> Option<&str> {
                content_type(&self.headers)
            }
            /// Comma-separated tokens across all fields of `n` (Require, Supported,
            /// Allow, Proxy-Require, Unsupported, ...).
            pub fn tokens(&self, n: &HeaderName) -> Vec<&str> {
                tokens(&self.headers, n)
            }
            /// Accepted media ranges, lowercase, without parameters.
            pub fn accept(&self) -> Vec<String> {
                accept(&self.headers)
            }
            pub fn routes(&self) -> Result<Vec<NameAddr>, ParseError> {
                name_addrs(&self.headers, &HeaderName::Route, "Malformed Route header")
            }
            pub fn record_routes(&self) -> Result<Vec<NameAddr>, ParseError> {
                name_addrs(
                    &self.headers,
                    &HeaderName::RecordRoute,
                    "Malformed Record-Route header",
                )
            }
        }
    };
}

accessors!(Request);
accessors!(Response);

impl Response {
    /// A response to `req` carrying its Via fields, From, To, Call-ID and CSeq
    /// (RFC 3261 8.2.6.2), with an empty body. Add a To tag with `set_to_tag`.
    /// Only the first [`MAX_RESPONSE_VIAS`] Via fields are copied, so the response
    /// stays within [`super::MAX_HEADERS`].
    pub fn for_request(req: &Request, status: u16, reason: &str) -> Response {
        let mut r = Response::new(status, reason);
        for (n, v) in req.headers.iter() {
            let copy = match n {
                HeaderName::Via => r.headers.count(n) < MAX_RESPONSE_VIAS,
                // RFC 3261 8.2.6.1
                HeaderName::Other(o) if status == 100 => o.eq_ignore_ascii_case(b"Timestamp"),
                HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::CSeq => {
                    r.headers.count(n) == 0
                }
                _ => false,
            };
            if copy {
                r.headers.push(n.clone(), v.clone());
            }
        }
        r
    }

    /// Adds `;tag=` to the To header unless it already has a tag.
    pub fn set_to_tag(&mut self, tag: &str) {
        let Some(v) = self.headers.get(&HeaderName::To) else {
            return;
        };
        match typed::parse_name_addr(v, "To") {
            Ok(na) if na.tag().is_some() => return,
            Ok(mut na) if na.params.get("tag").is_some() => {
                // a `tag` without a value: replace it rather than add a second one
                na.params.set("tag", Some(tag));
                self.headers.set(HeaderName::To, na.to_string());
                return;
            }
            _ => {}
        }
        let mut s = v.to_vec();
        s.extend_from_slice(b";tag=");
        s.extend_from_slice(tag.as_bytes());
        self.headers.set(HeaderName::To, s);
    }

    /// The RFC 3261 section 21 reason phrase for `status` (or a class default).
    pub fn reason_for(status: u16) -> &'static str {
        exact_reason(status).unwrap_or(match status {
            100..=199 => "Trying",
            200..=299 => "OK",
            300..=399 => "Redirected",
            400..=499 => "Client Error",
            500..=599 => "Server Error",
            _ => "Global Failure",
        })
    }
}

fn exact_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        423 => "Interval Too Brief",
        429 => "Provide Referrer Identity",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => return None,
    })
}
