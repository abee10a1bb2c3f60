//! Printing messages (RFC 3261 section 7: start line, `Name: value` fields, blank
//! line, body). Header values are written as stored; Content-Length is always
//! written from the body length (RFC 3261 18.3 makes it mandatory on streams).

use super::header::{HeaderName, Headers};
use super::{Message, Request, Response};
use bytes::{BufMut, Bytes, BytesMut};

fn encode_headers(headers: &Headers, body: &Bytes, out: &mut BytesMut) {
    let mut wrote_len = false;
    for (n, v) in headers.iter() {
        if *n == HeaderName::ContentLength {
            if !wrote_len {
                write_len(body.len(), out);
                wrote_len = true;
            }
            continue;
        }
        out.put_slice(n.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(v);
        out.put_slice(b"\r\n");
    }
    if !wrote_len {
        write_len(body.len(), out);
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
}

fn write_len(n: usize, out: &mut BytesMut) {
    out.put_slice(b"Content-Length: ");
    out.put_slice(n.to_string().as_bytes());
    out.put_slice(b"\r\n");
}

fn size_hint(headers: &Headers, body: &Bytes) -> usize {
    headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + body.len()
        + 64
}

impl Request {
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(size_hint(&self.headers, &self.body) + self.uri.as_bytes().len());
        out.put_slice(self.method.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.uri.as_bytes());
        out.put_slice(b" SIP/2.0\r\n");
        encode_headers(&self.headers, &self.body, out);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }
}

impl Response {
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(size_hint(&self.headers, &self.body) + self.reason.len());
        out.put_slice(b"SIP/2.0 ");
        out.put_slice(self.status.to_string().as_bytes());
        out.put_u8(b' ');
        out.put_slice(&self.reason);
        out.put_slice(b"\r\n");
        encode_headers(&self.headers, &self.body, out);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }
}

impl Message {
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Message::Request(r) => r.encode(out),
            Message::Response(r) => r.encode(out),
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
