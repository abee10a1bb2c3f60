//! Character classes and a small byte cursor shared by the lazy header parsers
//! (RFC 3261 section 25.1: token, LWS, SWS, quoted-string, quoted-pair, separators).
//!
//! Header values are stored exactly as received, folds included. Every parser here
//! treats CR and LF as linear white space, which is the same as unfolding first: a
//! value can only hold a CRLF when the next octet is SP or HT (RFC 3261 section 7.3.1).

const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        c += 1;
    }
    t
}

static TOKEN: [bool; 256] = token_table();

/// RFC 3261 `token` characters: alphanum and `-.!%*_+`'~`.
#[inline]
pub(crate) fn is_token(c: u8) -> bool {
    TOKEN[c as usize]
}

/// `word` characters (Call-ID): token plus `()<>:\"/[]?{}`.
pub(crate) fn is_word(c: u8) -> bool {
    is_token(c)
        || matches!(
            c,
            b'(' | b')'
                | b'<'
                | b'>'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'{'
                | b'}'
        )
}

pub(crate) fn is_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

pub(crate) fn all_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&c| is_token(c))
}

/// Trims SP, HT, CR and LF from both ends.
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| !is_lws(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|&c| !is_lws(c)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Offsets of `s` trimmed, as a range into `s`.
pub(crate) fn trim_range(s: &[u8]) -> std::ops::Range<usize> {
    let start = s.iter().position(|&c| !is_lws(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|&c| !is_lws(c)).map_or(start, |e| e + 1);
    start..end
}

/// A header value with its folds (CRLF followed by white space) replaced by one
/// space each (RFC 3261 7.3.1); borrowed when there is nothing to unfold.
pub(crate) fn unfold(v: &[u8]) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !v.contains(&b'\n') {
        return String::from_utf8_lossy(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\r' || v[i] == b'\n' {
            while out.last().is_some_and(|&c| c == b' ' || c == b'\t') {
                out.pop();
            }
            while i < v.len() && is_lws(v[i]) {
                i += 1;
            }
            out.push(b' ');
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Where the comma-separated element starting at `from` ends: the next comma
/// outside quoted strings and `<...>`, or the end of `s`.
fn element_end(s: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut in_quote = false;
    let mut in_angle = false;
    while i < s.len() {
        let c = s[i];
        if in_quote {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_quote = false;
            }
        } else {
            match c {
                b'"' => in_quote = true,
                b'<' => in_angle = true,
                b'>' => in_angle = false,
                b',' if !in_angle => return i,
                _ => {}
            }
        }
        i += 1;
    }
    s.len()
}

/// The first comma-separated element of a header value (see [`split_commas`]),
/// without building the whole list.
pub(crate) fn first_element(s: &[u8]) -> std::ops::Range<usize> {
    trim_range(&s[..element_end(s, 0)])
}

/// Splits a header value at commas that are outside quoted strings and `<...>`,
/// returning trimmed ranges; empty elements are kept (callers decide).
pub(crate) fn split_commas(s: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let end = element_end(s, start);
        let r = trim_range(&s[start..end]);
        out.push(start + r.start..start + r.end);
        if end >= s.len() {
            return out;
        }
        start = end + 1;
    }
}

/// Parses decimal digits into a u64, refusing empty input, non-digits and overflow.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// Decodes RFC 3986 %-escapes; `None` if an escape is malformed.
pub(crate) fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let h = hex(*s.get(i + 1)?)?;
            let l = hex(*s.get(i + 2)?)?;
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// True when every `%` in `s` starts a valid two-hex-digit escape.
pub(crate) fn escapes_ok(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            match (s.get(i + 1), s.get(i + 2)) {
                (Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => i += 3,
                _ => return false,
            }
        } else {
            i += 1;
        }
    }
    true
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A cursor over one header value.
pub(crate) struct Cursor<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Cursor { b, i: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips LWS (SP, HT and the CRLF of a fold).
    pub fn ws(&mut self) {
        while self.i < self.b.len() && is_lws(self.b[self.i]) {
            self.i += 1;
        }
    }

    /// Consumes `c` after optional LWS on both sides (RFC 3261 SEMI, EQUAL, SLASH...).
    pub fn sep(&mut self, c: u8) -> bool {
        let save = self.i;
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            self.ws();
            true
        } else {
            self.i = save;
            false
        }
    }

    /// Consumes a run of bytes matching `f`; returns its range (possibly empty).
    pub fn take(&mut self, f: impl Fn(u8) -> bool) -> std::ops::Range<usize> {
        let s = self.i;
        while self.i < self.b.len() && f(self.b[self.i]) {
            self.i += 1;
        }
        s..self.i
    }

    pub fn token(&mut self) -> Option<std::ops::Range<usize>> {
        let r = self.take(is_token);
        (!r.is_empty()).then_some(r)
    }

    /// Consumes a quoted-string starting at `"`; returns the range including the
    /// quotes, or `None` if it is not terminated (RFC 3261 25.1 quoted-pair rules).
    pub fn quoted(&mut self) -> Option<std::ops::Range<usize>> {
        let s = self.i;
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => {
                    // quoted-pair excludes CR and LF
                    match self.b.get(self.i + 1) {
                        Some(b'\r') | Some(b'\n') | None => return None,
                        _ => self.i += 2,
                    }
                }
                b'"' => {
                    self.i += 1;
                    return Some(s..self.i);
                }
                // CR and LF only as part of a fold (qdtext = LWS / ...)
                b'\r' if self.b.get(self.i + 1) == Some(&b'\n') => self.i += 1,
                b'\r' => return None,
                b'\n' if matches!(self.b.get(self.i + 1), Some(b' ' | b'\t')) => self.i += 1,
                b'\n' => return None,
                _ => self.i += 1,
            }
        }
        self.i = s;
        None
    }
}

/// Resolves the quoted-pairs of a quoted string given without its quotes.
pub(crate) fn unquote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            out.push(s[i + 1]);
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Writes `s` as a quoted-string, escaping `"` and `\` and control characters;
/// CR and LF cannot be escaped in SIP and are written as spaces.
pub(crate) fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if (c as u32) < 0x20 && c != '\t' || c as u32 == 0x7f => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
