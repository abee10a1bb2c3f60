//! SIP, SIPS and tel URIs and their comparison (RFC 3261 sections 19.1.1, 19.1.2,
//! 19.1.4 and the `SIP-URI` grammar of section 25.1; RFC 3966 for `tel`).
//!
//! A [`Uri`] keeps its text exactly as received and the offsets of its parts, so
//! accessors are slices and printing is the original text. Other schemes
//! (`isbn:`, `http:`, `soap.beep:`) are kept opaque: everything after the colon is the host.

use super::error::ParseError;
use super::lex::{escapes_ok, unescape};
use bytes::Bytes;
use std::fmt;

/// Longest URI accepted.
pub const MAX_URI_LEN: usize = 8192;

/// A URI scheme; `sip`, `sips` and `tel` are recognised case-insensitively.
#[derive(Debug, Clone)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    Other(Bytes),
}

impl Scheme {
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(b) => std::str::from_utf8(b).unwrap_or(""),
        }
    }
}

impl PartialEq for Scheme {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Scheme::Other(a), Scheme::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}
impl Eq for Scheme {}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Span = (u32, u32);

/// A parsed URI. Equality (`==`) is textual; use [`Uri::equivalent`] for the
/// RFC 3261 19.1.4 comparison.
#[derive(Debug, Clone)]
pub struct Uri {
    raw: Bytes,
    scheme: Scheme,
    user: Option<Span>,
    password: Option<Span>,
    host: Span,
    port: Option<u16>,
    params: Option<Span>,
    headers: Option<Span>,
}

impl PartialEq for Uri {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl Eq for Uri {}

const fn uri_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0x21;
    while c < 0x7f {
        t[c] = !matches!(
            c as u8,
            b'<' | b'>' | b'"' | b'\\' | b'{' | b'}' | b'|' | b'^' | b'`'
        );
        c += 1;
    }
    t
}

static URI_CHARS: [bool; 256] = uri_table();

#[inline]
fn uri_char(c: u8) -> bool {
    URI_CHARS[c as usize]
}
fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}
fn user_char(c: u8) -> bool {
    unreserved(c)
        || matches!(
            c,
            b'%' | b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/'
        )
}
fn password_char(c: u8) -> bool {
    unreserved(c) || matches!(c, b'%' | b'&' | b'=' | b'+' | b'$' | b',')
}
fn param_char(c: u8) -> bool {
    unreserved(c) || matches!(c, b'%' | b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}
fn header_char(c: u8) -> bool {
    unreserved(c) || matches!(c, b'%' | b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}
fn host_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')
}

fn bad_uri() -> ParseError {
    ParseError::bad("Malformed URI")
}

impl Uri {
    /// Parses a URI (no surrounding `<>` or white space).
    pub fn parse(raw: Bytes) -> Result<Uri, ParseError> {
        if raw.is_empty() || raw.len() > MAX_URI_LEN || !raw.iter().all(|&c| uri_char(c)) {
            return Err(bad_uri());
        }
        let colon = raw.iter().position(|&c| c == b':').ok_or_else(bad_uri)?;
        let sch = &raw[..colon];
        if sch.is_empty()
            || !sch[0].is_ascii_alphabetic()
            || !sch
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            return Err(bad_uri());
        }
        let scheme = if sch.eq_ignore_ascii_case(b"sip") {
            Scheme::Sip
        } else if sch.eq_ignore_ascii_case(b"sips") {
            Scheme::Sips
        } else if sch.eq_ignore_ascii_case(b"tel") {
            Scheme::Tel
        } else {
            Scheme::Other(raw.slice(..colon))
        };
        let len = raw.len() as u32;
        let start = colon as u32 + 1;
        if start >= len {
            return Err(bad_uri());
        }
        let mut uri = Uri {
            scheme,
            user: None,
            password: None,
            host: (start, len),
            port: None,
            params: None,
            headers: None,
            raw: Bytes::new(),
        };
        match uri.scheme {
            Scheme::Sip | Scheme::Sips => uri.parse_sip(&raw, start as usize)?,
            Scheme::Tel => {
                let b = &raw[start as usize..];
                match b.iter().position(|&c| c == b';') {
                    Some(0) => return Err(bad_uri()),
                    Some(p) => {
                        uri.host = (start, start + p as u32);
                        uri.params = Some((start + p as u32 + 1, len));
                        check_params(&raw[(start as usize + p + 1)..])?;
                    }
                    None => {}
                }
            }
            Scheme::Other(_) => {}
        }
        uri.raw = raw;
        Ok(uri)
    }

    fn parse_sip(&mut self, b: &[u8], start: usize) -> Result<(), ParseError> {
        let mut i = start;
        if let Some(at) = memchr::memchr(b'@', &b[start..]) {
            let ui = &b[start..start + at];
            let (u, p) = match ui.iter().position(|&c| c == b':') {
                Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                None => (ui, None),
            };
            if u.is_empty() || !u.iter().all(|&c| user_char(c)) || !escapes_ok(u) {
                return Err(bad_uri());
            }
            self.user = Some((start as u32, (start + u.len()) as u32));
            if let Some(p) = p {
                if !p.iter().all(|&c| password_char(c)) || !escapes_ok(p) {
                    return Err(bad_uri());
                }
                let ps = start + u.len() + 1;
                self.password = Some((ps as u32, (ps + p.len()) as u32));
            }
            i = start + at + 1;
        }
        let hs = i;
        if b.get(i) == Some(&b'[') {
            let close = memchr::memchr(b']', &b[i..]).ok_or_else(bad_uri)?;
            let inner = &b[i + 1..i + close];
            if inner.is_empty()
                || !inner
                    .iter()
                    .all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
            {
                return Err(bad_uri());
            }
            i += close + 1;
        } else {
            while i < b.len() && host_char(b[i]) {
                i += 1;
            }
            if i == hs {
                return Err(bad_uri());
            }
        }
        self.host = (hs as u32, i as u32);
        if b.get(i) == Some(&b':') {
            let ds = i + 1;
            i = ds;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let port = super::lex::parse_u64(&b[ds..i])
                .filter(|&p| p <= 65535)
                .ok_or_else(bad_uri)?;
            self.port = Some(port as u16);
        }
        if b.get(i) == Some(&b';') {
            let ps = i + 1;
            let pe = memchr::memchr(b'?', &b[ps..]).map_or(b.len(), |q| ps + q);
            check_params(&b[ps..pe])?;
            self.params = Some((ps as u32, pe as u32));
            i = pe;
        }
        if b.get(i) == Some(&b'?') {
            let hs = i + 1;
            let h = &b[hs..];
            for pair in h.split(|&c| c == b'&') {
                let (n, v) = match pair.iter().position(|&c| c == b'=') {
                    Some(e) => (&pair[..e], &pair[e + 1..]),
                    None => return Err(bad_uri()),
                };
                if n.is_empty()
                    || !n.iter().all(|&c| header_char(c))
                    || !v.iter().all(|&c| header_char(c))
                    || !escapes_ok(pair)
                {
                    return Err(bad_uri());
                }
            }
            self.headers = Some((hs as u32, b.len() as u32));
            i = b.len();
        }
        if i != b.len() {
            return Err(bad_uri());
        }
        Ok(())
    }

    fn s(&self, (a, b): Span) -> &str {
        std::str::from_utf8(&self.raw[a as usize..b as usize]).unwrap_or("")
    }

    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The user part as written (still %-escaped).
    pub fn user(&self) -> Option<&str> {
        self.user.map(|s| self.s(s))
    }

    /// The user part with %-escapes decoded (`None` if absent or not UTF-8 once decoded).
    pub fn user_unescaped(&self) -> Option<String> {
        let u = unescape(self.user()?.as_bytes())?;
        String::from_utf8(u).ok()
    }

    pub fn password(&self) -> Option<&str> {
        self.password.map(|s| self.s(s))
    }

    /// The host (with brackets for IPv6); for `tel` the number, for other schemes
    /// everything after the colon.
    pub fn host(&self) -> &str {
        self.s(self.host)
    }

    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The parameters as written, without the leading `;`.
    pub fn params_str(&self) -> Option<&str> {
        self.params.map(|s| self.s(s))
    }

    /// URI parameters in order, as written (names and values still escaped).
    pub fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params_str()
            .unwrap_or("")
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            })
    }

    /// A URI parameter by case-insensitive name (escaped names are decoded for the
    /// comparison); `Some(None)` for a flag such as `lr`.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params()
            .find(|(n, _)| name_eq(n, name))
            .map(|(_, v)| v)
    }

    pub fn transport(&self) -> Option<&str> {
        self.param("transport").flatten()
    }

    pub fn has_headers(&self) -> bool {
        self.headers.is_some()
    }

    /// URI headers (`?name=value&...`) as written.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .map_or("", |s| self.s(s))
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
    }

    /// The first URI header called `name` (case-insensitive), its `%XX`
    /// escapes undone (RFC 3261 section 19.1.1: a Refer-To's `Replaces=`).
    pub fn header_unescaped(&self, name: &str) -> Option<String> {
        let (_, value) = self.headers().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        String::from_utf8(unescape(value.as_bytes())?).ok()
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.raw).unwrap_or("")
    }

    pub fn as_bytes(&self) -> &Bytes {
        &self.raw
    }

    /// The same URI without its `?headers` part (what a registrar stores as a
    /// binding and what a Request-URI may carry).
    pub fn without_headers(&self) -> Uri {
        match self.headers {
            None => self.clone(),
            Some((a, _)) => {
                let mut u = self.clone();
                u.raw = self.raw.slice(..a as usize - 1);
                u.headers = None;
                u
            }
        }
    }

    /// RFC 3261 19.1.4 comparison: scheme, user and password case-sensitive after
    /// unescaping, host case-insensitive, port present or absent alike, `user`,
    /// `ttl`, `method`, `maddr` and `transport` must agree if either has them, other
    /// parameters only if both have them, and URI headers must all match.
    pub fn equivalent(&self, other: &Uri) -> bool {
        if self.scheme != other.scheme {
            return false;
        }
        if !matches!(self.scheme, Scheme::Sip | Scheme::Sips) {
            let a = unescape(&self.raw[self.host.0 as usize..]);
            let b = unescape(&other.raw[other.host.0 as usize..]);
            return match self.scheme {
                Scheme::Tel => {
                    a.map(|v| v.to_ascii_lowercase()) == b.map(|v| v.to_ascii_lowercase())
                }
                _ => a == b,
            };
        }
        let un =
            |u: &Uri, s: Option<Span>| s.map(|(a, b)| unescape(&u.raw[a as usize..b as usize]));
        if un(self, self.user) != un(other, other.user)
            || un(self, self.password) != un(other, other.password)
        {
            return false;
        }
        if !self.host().eq_ignore_ascii_case(other.host()) || self.port != other.port {
            return false;
        }
        // a repeated parameter counts once, by its first occurrence
        let decode = |u: &Uri| -> Vec<(String, Option<String>)> {
            let mut out: Vec<(String, Option<String>)> = Vec::new();
            for (n, v) in u.params() {
                let n = lower_unescaped(n);
                if !out.iter().any(|(m, _)| *m == n) {
                    out.push((n, v.map(lower_unescaped)));
                }
            }
            out
        };
        let (pa, pb) = (decode(self), decode(other));
        for (n, v) in &pa {
            match pb.iter().find(|(m, _)| m == n) {
                Some((_, w)) if w != v => return false,
                None if matches!(
                    n.as_str(),
                    "user" | "ttl" | "method" | "maddr" | "transport"
                ) =>
                {
                    return false
                }
                _ => {}
            }
        }
        for (n, _) in &pb {
            if matches!(
                n.as_str(),
                "user" | "ttl" | "method" | "maddr" | "transport"
            ) && !pa.iter().any(|(m, _)| m == n)
            {
                return false;
            }
        }
        let heads = |u: &Uri| -> Vec<(String, Vec<u8>)> {
            let mut v: Vec<_> = u
                .headers()
                .map(|(n, v)| {
                    (
                        lower_unescaped(n),
                        unescape(v.as_bytes()).unwrap_or_default(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        heads(self) == heads(other)
    }

    /// Builds `sip:[user@]host[:port]`; an IPv6 host gets brackets, and octets not
    /// allowed in a user part are %-escaped (an existing `%` is kept as an escape).
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        let mut s = String::from("sip:");
        let mut u = None;
        if let Some(user) = user {
            // octets a user part cannot hold are %-escaped (RFC 3261 25.1 `user`)
            for c in user.bytes() {
                if user_char(c) {
                    s.push(c as char);
                } else {
                    s.push_str(&format!("%{c:02X}"));
                }
            }
            u = Some((4, s.len() as u32));
            s.push('@');
        }
        let hs = s.len() as u32;
        if host.contains(':') && !host.starts_with('[') {
            s.push('[');
            s.push_str(host);
            s.push(']');
        } else {
            s.push_str(host);
        }
        let he = s.len() as u32;
        if let Some(p) = port {
            s.push(':');
            s.push_str(&p.to_string());
        }
        Uri {
            raw: Bytes::from(s),
            scheme: Scheme::Sip,
            user: u,
            password: None,
            host: (hs, he),
            port,
            params: None,
            headers: None,
        }
    }

    /// Returns the URI with parameter `name` set (replacing an existing one). If the
    /// result would not be a valid URI the URI is returned unchanged.
    pub fn with_param(self, name: &str, value: Option<&str>) -> Uri {
        let mut s = String::with_capacity(self.raw.len() + name.len() + 8);
        let head_end = self.params.map_or_else(
            || self.headers.map_or(self.raw.len(), |(a, _)| a as usize - 1),
            |(a, _)| a as usize - 1,
        );
        s.push_str(std::str::from_utf8(&self.raw[..head_end]).unwrap_or(""));
        for (n, v) in self.params() {
            if !name_eq(n, name) {
                s.push(';');
                s.push_str(n);
                if let Some(v) = v {
                    s.push('=');
                    s.push_str(v);
                }
            }
        }
        s.push(';');
        s.push_str(name);
        if let Some(v) = value {
            s.push('=');
            s.push_str(v);
        }
        if let Some(h) = self.headers {
            s.push('?');
            s.push_str(self.s(h));
        }
        Uri::parse(Bytes::from(s)).unwrap_or(self)
    }
}

fn check_params(p: &[u8]) -> Result<(), ParseError> {
    for one in p.split(|&c| c == b';') {
        let (n, v) = match one.iter().position(|&c| c == b'=') {
            Some(e) => (&one[..e], Some(&one[e + 1..])),
            None => (one, None),
        };
        if n.is_empty() || !n.iter().all(|&c| param_char(c)) {
            return Err(bad_uri());
        }
        if let Some(v) = v {
            if v.is_empty() || !v.iter().all(|&c| param_char(c)) {
                return Err(bad_uri());
            }
        }
        if !escapes_ok(one) {
            return Err(bad_uri());
        }
    }
    Ok(())
}

fn name_eq(raw: &str, name: &str) -> bool {
    raw.eq_ignore_ascii_case(name)
        || (raw.contains('%')
            && unescape(raw.as_bytes()).is_some_and(|u| u.eq_ignore_ascii_case(name.as_bytes())))
}

fn lower_unescaped(s: &str) -> String {
    let u = unescape(s.as_bytes()).unwrap_or_else(|| s.as_bytes().to_vec());
    String::from_utf8_lossy(&u).to_lowercase()
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Uri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Uri, ParseError> {
        Uri::parse(Bytes::copy_from_slice(s.as_bytes()))
    }
}
