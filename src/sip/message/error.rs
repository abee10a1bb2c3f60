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

/// Framing of a stream transport (TCP, TLS) failed: nothing after this point
/// of the stream can be cut into messages, so the connection closes. When the
/// header section was read, the request is answered with [`FrameError::status`]
/// and [`FrameError::reason`] first (RFC 3261 section 18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message larger than the limit")]
    TooLarge,
    #[error("message on a stream without Content-Length")]
    MissingContentLength,
    #[error("unparsable Content-Length")]
    BadContentLength,
    #[error("negative Content-Length")]
    NegativeContentLength,
    #[error("Content-Length fields that disagree")]
    ConflictingContentLength,
}

impl FrameError {
    /// The status a UAS answers the refused request with: 513 for a message
    /// over the size limit (as over UDP), 400 for the rest.
    pub fn status(&self) -> u16 {
        match self {
            FrameError::TooLarge => 513,
            _ => 400,
        }
    }

    /// The reason phrase of that answer, naming the problem.
    pub fn reason(&self) -> &'static str {
        match self {
            FrameError::TooLarge => "Message Too Large",
            FrameError::MissingContentLength => "Missing Content-Length",
            FrameError::BadContentLength => "Malformed Content-Length",
            FrameError::NegativeContentLength => "Negative Content-Length",
            FrameError::ConflictingContentLength => "Conflicting Content-Length",
        }
    }
}
