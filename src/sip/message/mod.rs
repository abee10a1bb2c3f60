//! SIP messages: parsing, printing and checking requests and responses
//! (RFC 3261 sections 7, 18.3, 19, 20 and 25; the cases of RFC 4475).
//!
//! [`parse`] does the cheap, always-needed work eagerly: the start line, the split
//! into header fields and the recognition of header names. Header values stay
//! zero-copy slices of the received [`Bytes`] and are parsed only when a typed
//! accessor asks for them (`vias()`, `from()`, `cseq()`, ...). [`validate_request`]
//! performs the checks a UAS makes before handing a request on, and says which
//! error response to send. Stream transports cut messages with [`frame`].
//!
//! ```text
//! bytes --parse--> Message --validate_request--> transaction layer
//!                     \--to_bytes/encode--> bytes (Content-Length rewritten)
//! ```

mod access;
mod auth;
mod construct;
mod error;
mod header;
mod lex;
mod parse;
mod print;
mod typed;
mod uri;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_typed;

pub use access::MAX_RESPONSE_VIAS;
pub use auth::{quoted_string, AuthValue};
pub use error::{FrameError, ParseError};
pub use header::{HeaderName, Headers, Params};
pub use parse::{frame, header_end, parse, skip_keepalive, MAX_HEADERS, MAX_LINE, MAX_MESSAGE};
pub use typed::{CSeq, Contacts, Method, NameAddr, Via};
pub use uri::{Scheme, Uri, MAX_URI_LEN};
pub use validate::{validate_request, Rejection};

use bytes::Bytes;

/// A SIP request. `body` is exactly Content-Length octets when the header was present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Bytes,
}

/// A SIP response. `reason` is UTF-8 (possibly empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: Bytes,
    pub headers: Headers,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Request {
    /// An empty request (no headers, no body).
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// A response to this request with the default reason phrase; see
    /// [`Response::for_request`].
    pub fn response(&self, status: u16) -> Response {
        Response::for_request(self, status, Response::reason_for(status))
    }

    /// Appends a header field (builder style).
    pub fn with_header(mut self, n: HeaderName, v: impl Into<Bytes>) -> Request {
        self.headers.push(n, v);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn with_body(mut self, content_type: &str, body: impl Into<Bytes>) -> Request {
        self.headers.set(
            HeaderName::ContentType,
            Bytes::copy_from_slice(content_type.as_bytes()),
        );
        self.body = body.into();
        self
    }
}

impl Response {
    /// A response with no headers; see [`Response::for_request`] for the usual start.
    pub fn new(status: u16, reason: &str) -> Response {
        Response {
            status,
            reason: Bytes::copy_from_slice(reason.as_bytes()),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    pub fn reason_str(&self) -> &str {
        std::str::from_utf8(&self.reason).unwrap_or("")
    }

    /// Appends a header field (builder style).
    pub fn with_header(mut self, n: HeaderName, v: impl Into<Bytes>) -> Response {
        self.headers.push(n, v);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn with_body(mut self, content_type: &str, body: impl Into<Bytes>) -> Response {
        self.headers.set(
            HeaderName::ContentType,
            Bytes::copy_from_slice(content_type.as_bytes()),
        );
        self.body = body.into();
        self
    }
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    pub fn call_id(&self) -> Option<&str> {
        access::call_id(self.headers())
    }

    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// The CSeq of either kind (responses always have a valid one after `parse`).
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        access::cseq(self.headers())
    }

    pub fn top_via(&self) -> Result<Via, ParseError> {
        match self {
            Message::Request(r) => r.top_via(),
            Message::Response(r) => r.top_via(),
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self, Message::Request(_))
    }
}
