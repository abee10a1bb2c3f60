//! Errors of the message layer: what went wrong, and whether (and how) the peer
//! should be answered (RFC 3261 sections 8.2, 16.3, 18.3 and 21.4/21.5).

use bytes::Bytes;

/// A message, or one of its header values, could not be parsed.
///
/// `status()` says what a UAS answers: 400, 414, 505 or 513 for a request whose start line
/// was recognisable, `None` for responses and for octets that are not a request at all
/// (those are dropped and counted).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what}")]
pub struct ParseError {
    what: &'static str,
    status: Option<u16>,
    raw: Option<Bytes>,
}

impl ParseError {
    /// A request-level problem answered with 400.
    pub(crate) fn bad(what: &'static str) -> ParseError {
        ParseError {
            what,
            status: Some(400),
            raw: None,
        }
    }

    /// Something that gets no answer (a broken response, or not SIP).
    pub(crate) fn drop(what: &'static str) -> ParseError {
        ParseError {
            what,
            status: None,
            raw: None,
        }
    }

    pub(crate) fn with_status(mut self, status: Option<u16>) -> ParseError {
        self.status = status;
        self
    }

    pub(crate) fn with_raw(mut self, raw: Bytes) -> ParseError {
        if self.status.is_some() {
            self.raw = Some(raw);
        }
        self
    }

    /// The status a UAS sends back, if any (400, 414, 505, 513).
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// A short description, also used as the reason phrase of the error response.
    pub fn what(&self) -> &'static str {
        self.what
    }

    pub(crate) fn raw(&self) -> Option<&Bytes> {
        self.raw.as_ref()
    }
}

/// Framing of a stream transport (TCP, TLS, WebSocket) failed; close the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message larger than the limit")]
    TooLarge,
    #[error("message on a stream without Content-Length")]
    MissingContentLength,
    #[error("unparsable Content-Length")]
    BadContentLength,
}
