//! Cutting a byte stream (TCP, TLS) into SIP messages, with no socket and no
//! clock: the connection task feeds it what it reads and takes out whole
//! messages, keep-alive pings, or the one framing failure that ends the stream.
//!
//! - RFC 3261 section 7.5: CRLFs before a start line are skipped, so a CRLF
//!   between two messages (RFC 4475 `dblreq`) costs nothing.
//! - RFC 5626 section 4.4.1: a double CRLF between messages is a keep-alive
//!   ping, which the connection answers with one CRLF (the pong).
//! - Section 18.3: on a stream, Content-Length is the only way to find where a
//!   message ends. A message without one, or with one that is malformed,
//!   negative, contradicted by a second field, or over the size limit, cannot
//!   be framed, and neither can anything after it on that stream. The framer
//!   gives back the refused message's header section, when it has all of it,
//!   so the request can be answered ([`FrameError::response`]) before the
//!   connection closes.

use bytes::{Buf, Bytes, BytesMut};

use crate::sip::message::{frame, header_end, FrameError};

/// What the framer made of the bytes fed to it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// One whole message, leading CRLFs removed.
    Message(Bytes),
    /// A double-CRLF keep-alive ping (RFC 5626): answer with one CRLF.
    Ping,
    /// The stream cannot be framed from here on. `head` is the refused
    /// message's header section when it was all there (and within the size
    /// limit): what is left to answer. Nothing more comes out of the framer.
    Refused {
        error: FrameError,
        head: Option<Bytes>,
    },
}

/// A stream's framing state: the bytes of the message being received, and how
/// far into a CRLFCRLF ping the bytes between messages are.
#[derive(Debug)]
pub struct Framer {
    buf: BytesMut,
    max_message_size: usize,
    /// Octets of `\r\n\r\n` matched since the last message or ping (0..=3).
    ping: u8,
    refused: bool,
}

impl Framer {
    /// A framer for messages of at most `max_message_size` octets.
    pub fn new(max_message_size: usize) -> Framer {
        Framer {
            buf: BytesMut::with_capacity(8 * 1024),
            max_message_size,
            ping: 0,
            refused: false,
        }
    }

    /// Feeds bytes read from the stream. Once the stream was refused, what
    /// follows is ignored.
    pub fn push(&mut self, data: &[u8]) {
        if !self.refused {
            self.buf.extend_from_slice(data);
        }
    }

    /// Whether part of a message is waiting for more bytes (CRLFs between
    /// messages do not count): the connection's message deadline runs.
    pub fn in_message(&self) -> bool {
        !self.buf.is_empty()
    }

    /// The next thing the bytes fed so far make, or `None` until more are fed.
    pub fn poll(&mut self) -> Option<Framed> {
        if self.refused {
            return None;
        }
        let mut skipped = 0;
        while let Some(&c) = self.buf.get(skipped) {
            if c != b'\r' && c != b'\n' {
                self.ping = 0;
                break;
            }
            skipped += 1;
            self.ping = match (self.ping, c) {
                (0 | 2, b'\r') | (1 | 3, b'\n') => self.ping + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if self.ping == 4 {
                self.ping = 0;
                self.buf.advance(skipped);
                return Some(Framed::Ping);
            }
        }
        self.buf.advance(skipped);
        if self.buf.is_empty() {
            return None;
        }
        match frame(&self.buf, self.max_message_size) {
            Ok(Some(n)) => Some(Framed::Message(self.buf.split_to(n).freeze())),
            Ok(None) => None,
            Err(error) => {
                self.refused = true;
                let head = header_end(&self.buf)
                    .filter(|&n| n <= self.max_message_size)
                    .map(|n| self.buf.split_to(n).freeze());
                self.buf = BytesMut::new();
                Some(Framed::Refused { error, head })
            }
        }
    }
}

#[cfg(test)]
#[path = "framer_tests.rs"]
mod tests;
