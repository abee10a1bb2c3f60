//! Typed header values, parsed on demand from the raw field values: Method,
//! name-addr / addr-spec (RFC 3261 sections 20.10, 20.20, 20.39 and 25.1), Via
//! (20.42, with RFC 3581 `rport`), CSeq (20.16) and Contact (20.10, `*`).
//!
//! The parsers treat CR and LF as white space, which unfolds folded values.
//! In the addr-spec form (no `<>`), everything after the first `;` is a header
//! parameter, never a URI parameter (RFC 3261 20.10), and a URI with `?` or `,`
//! must be enclosed in `<>`.

use super::error::ParseError;
use super::header::Params;
use super::lex::{self, Cursor};
use super::uri::Uri;
use bytes::Bytes;
use std::fmt;

/// A request method. Methods are case-sensitive (RFC 3261 7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Info,
    Prack,
    Update,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    Other(Bytes),
}

impl Method {
    pub fn as_str(&self) -> &str {
        use Method::*;
        match self {
            Invite => "INVITE",
            Ack => "ACK",
            Bye => "BYE",
            Cancel => "CANCEL",
            Options => "OPTIONS",
            Register => "REGISTER",
            Info => "INFO",
            Prack => "PRACK",
            Update => "UPDATE",
            Subscribe => "SUBSCRIBE",
            Notify => "NOTIFY",
            Refer => "REFER",
            Message => "MESSAGE",
            Publish => "PUBLISH",
            Other(b) => std::str::from_utf8(b).unwrap_or(""),
        }
    }

    /// Recognises a method token (case-sensitive); anything else is `Other`.
    pub fn from_token(t: &[u8]) -> Method {
        Self::known(t).unwrap_or_else(|| Method::Other(Bytes::copy_from_slice(t)))
    }

    pub(crate) fn from_slice_of(src: &Bytes, t: &[u8]) -> Method {
        Self::known(t).unwrap_or_else(|| Method::Other(src.slice_ref(t)))
    }

    fn known(t: &[u8]) -> Option<Method> {
        use Method::*;
        Some(match t {
            b"INVITE" => Invite,
            b"ACK" => Ack,
            b"BYE" => Bye,
            b"CANCEL" => Cancel,
            b"OPTIONS" => Options,
            b"REGISTER" => Register,
            b"INFO" => Info,
            b"PRACK" => Prack,
            b"UPDATE" => Update,
            b"SUBSCRIBE" => Subscribe,
            b"NOTIFY" => Notify,
            b"REFER" => Refer,
            b"MESSAGE" => Message,
            b"PUBLISH" => Publish,
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[display] <uri> *(;param)` or `uri *(;param)` (To, From, Contact, Route...).
/// `params` are header parameters (tag, expires, q, ...), never URI parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name without quotes and with quoted-pairs resolved.
    pub display: Option<String>,
    pub uri: Uri,
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Params::new(),
        }
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").flatten()
    }

    pub fn parse(b: Bytes) -> Result<NameAddr, ParseError> {
        parse_name_addr(&b, "Malformed name-addr")
    }
}

impl fmt::Display for NameAddr {
    /// Always the `<uri>` form, with a quoted display name when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            let mut q = String::with_capacity(d.len() + 2);
            lex::quote(d, &mut q);
            write!(f, "{q} ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

fn gen_value_char(c: u8) -> bool {
    lex::is_token(c) || matches!(c, b':' | b'[' | b']')
}

/// Parses `*(SEMI generic-param)` up to the end of the cursor.
pub(crate) fn parse_params(c: &mut Cursor<'_>, what: &'static str) -> Result<Params, ParseError> {
    let bad = || ParseError::bad(what);
    let mut params = Params::new();
    loop {
        c.ws();
        if c.at_end() {
            return Ok(params);
        }
        if c.peek() != Some(b';') {
            return Err(bad());
        }
        c.i += 1;
        c.ws();
        let n = c.token().ok_or_else(bad)?;
        let name = std::str::from_utf8(&c.b[n]).map_err(|_| bad())?.to_string();
        let value = if c.sep(b'=') {
            let r = if c.peek() == Some(b'"') {
                c.quoted().ok_or_else(bad)?
            } else {
                let r = c.take(gen_value_char);
                if r.is_empty() {
                    return Err(bad());
                }
                r
            };
            Some(std::str::from_utf8(&c.b[r]).map_err(|_| bad())?.to_string())
        } else {
            None
        };
        params.push(name, value);
    }
}

pub(crate) fn parse_name_addr(src: &Bytes, what: &'static str) -> Result<NameAddr, ParseError> {
    let bad = || ParseError::bad(what);
    let b = &src[..];
    let mut c = Cursor::new(b);
    c.ws();
    let mut display = None;
    let angle = if c.peek() == Some(b'"') {
        let q = c.quoted().ok_or_else(bad)?;
        // a fold inside the quotes reads as one space (RFC 3261 7.3.1)
        let inner = lex::unquote(lex::unfold(&b[q.start + 1..q.end - 1]).as_bytes());
        display = Some(String::from_utf8(inner).map_err(|_| bad())?);
        c.ws();
        if c.peek() != Some(b'<') {
            return Err(bad());
        }
        true
    } else {
        // A display name is tokens and LWS up to `<`; any other octet first means
        // the addr-spec form (a `<` later on sits in a parameter value).
        let d = c.b[c.i..]
            .iter()
            .take_while(|&&ch| lex::is_token(ch) || lex::is_lws(ch))
            .count();
        if b.get(c.i + d) == Some(&b'<') {
            let words: Vec<&str> = std::str::from_utf8(&b[c.i..c.i + d])
                .map_err(|_| bad())?
                .split(|ch: char| ch.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .collect();
            if !words.is_empty() {
                display = Some(words.join(" "));
            }
            c.i += d;
            true
        } else {
            false
        }
    };
    let uri = if angle {
        let start = c.i + 1;
        let gt = memchr::memchr(b'>', &b[start..]).ok_or_else(bad)?;
        let uri = Uri::parse(src.slice(start..start + gt)).map_err(|_| bad())?;
        c.i = start + gt + 1;
        uri
    } else {
        let r = c.take(|ch| !lex::is_lws(ch) && ch != b';');
        let raw = &b[r.clone()];
        if raw.contains(&b'?') || raw.contains(&b',') {
            return Err(bad());
        }
        Uri::parse(src.slice(r)).map_err(|_| bad())?
    };
    let params = parse_params(&mut c, what)?;
    Ok(NameAddr {
        display,
        uri,
        params,
    })
}

/// One Via value (`sent-protocol sent-by *(;via-params)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The transport token as sent: "UDP", "TCP", "TLS", "WS", "WSS", "SCTP", ...
    pub transport: Bytes,
    /// Host name or address, IPv6 in brackets.
    pub host: Bytes,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    /// A Via for a request we send, with the given branch.
    pub fn new(transport: &str, host: &str, port: Option<u16>, branch: &str) -> Via {
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let mut params = Params::new();
        params.set("branch", Some(branch));
        Via {
            transport: Bytes::copy_from_slice(transport.as_bytes()),
            host: Bytes::from(host),
            port,
            params,
        }
    }

    pub fn parse(b: Bytes) -> Result<Via, ParseError> {
        parse_via(&b)
    }

    pub fn transport_str(&self) -> &str {
        std::str::from_utf8(&self.transport).unwrap_or("")
    }

    pub fn host_str(&self) -> &str {
        std::str::from_utf8(&self.host).unwrap_or("")
    }

    /// `host[:port]` as sent, for transaction matching (RFC 3261 17.2.3).
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host_str()),
            None => self.host_str().to_string(),
        }
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").flatten()
    }

    pub fn received(&self) -> Option<&str> {
        self.params.get("received").flatten()
    }

    /// `None`: no rport; `Some(None)`: rport requested; `Some(Some(p))`: filled in.
    /// An unparsable value reads as requested.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|v| v.parse().ok()))
    }

    /// True when the branch starts with `z9hG4bK` and has something after it
    /// (RFC 3261 8.1.1.7; a bare cookie is treated as RFC 2543, RFC 4475 3.2.1).
    pub fn has_magic_cookie(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }

    pub fn set_received(&mut self, ip: &str) {
        self.params.set("received", Some(ip));
    }

    pub fn set_rport(&mut self, port: u16) {
        self.params.set("rport", Some(&port.to_string()));
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport_str(), self.host_str())?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

pub(crate) fn parse_via(src: &Bytes) -> Result<Via, ParseError> {
    let bad = || ParseError::bad("Malformed Via header");
    let b = &src[..];
    let mut c = Cursor::new(b);
    c.ws();
    c.token().ok_or_else(bad)?;
    // sent-protocol = protocol-name / protocol-version / transport, all tokens;
    // any version is read so that a 505 can still be routed back (RFC 4475 3.1.2.16)
    if !c.sep(b'/') {
        return Err(bad());
    }
    c.token().ok_or_else(bad)?;
    if !c.sep(b'/') {
        return Err(bad());
    }
    let t = c.token().ok_or_else(bad)?;
    c.ws();
    let hs = c.i;
    if c.peek() == Some(b'[') {
        let close = memchr::memchr(b']', &b[hs..]).ok_or_else(bad)?;
        let inner = &b[hs + 1..hs + close];
        if inner.is_empty()
            || !inner
                .iter()
                .all(|&ch| ch.is_ascii_hexdigit() || ch == b':' || ch == b'.')
        {
            return Err(bad());
        }
        c.i = hs + close + 1;
    } else {
        let r = c.take(|ch| ch.is_ascii_alphanumeric() || matches!(ch, b'-' | b'.' | b'_'));
        if r.is_empty() {
            return Err(bad());
        }
    }
    let host = src.slice(hs..c.i);
    let mut port = None;
    if c.sep(b':') {
        let r = c.take(|ch| ch.is_ascii_digit());
        let p = lex::parse_u64(&b[r])
            .filter(|&p| p <= 65535)
            .ok_or_else(bad)?;
        port = Some(p as u16);
    }
    let params = parse_params(&mut c, "Malformed Via header")?;
    Ok(Via {
        transport: src.slice(t),
        host,
        port,
        params,
    })
}

/// CSeq: sequence number (at most 2^31 - 1, RFC 3261 8.1.1.5) and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

pub(crate) fn parse_cseq(src: &Bytes) -> Result<CSeq, ParseError> {
    let bad = || ParseError::bad("Malformed CSeq header");
    let b = &src[..];
    let mut c = Cursor::new(b);
    c.ws();
    let d = c.take(|ch| ch.is_ascii_digit());
    let seq = lex::parse_u64(&b[d]).ok_or_else(bad)?;
    if seq > (1 << 31) - 1 {
        return Err(ParseError::bad("CSeq number too large"));
    }
    let before = c.i;
    c.ws();
    if c.i == before {
        return Err(bad());
    }
    let m = c.token().ok_or_else(bad)?;
    c.ws();
    if !c.at_end() {
        return Err(bad());
    }
    Ok(CSeq {
        seq: seq as u32,
        method: Method::from_slice_of(src, &b[m]),
    })
}

/// The Contact header: `*` (remove all bindings) or a list of addresses whose
/// params carry `expires` and `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contacts {
    Star,
    List(Vec<NameAddr>),
}

/// Parses a decimal header value bounded by `max`.
pub(crate) fn parse_scalar(src: &Bytes, max: u64, what: &'static str) -> Result<u32, ParseError> {
    let v = lex::trim(src);
    match lex::parse_u64(v) {
        Some(n) if n <= max => Ok(n as u32),
        _ => Err(ParseError::bad(what)),
    }
}
