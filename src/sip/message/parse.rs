//! Splitting received octets into a message: start line (RFC 3261 sections 7.1,
//! 7.2, 25.1 `Request-Line` / `Status-Line`), header fields with folding (7.3.1),
//! and the body delimited by Content-Length (7.4.2, 18.3), plus stream framing
//! and RFC 5626 CRLF keep-alives.
//!
//! Only the start line, the header split and header-name recognition happen
//! here; header values are parsed later, when asked for. A response's CSeq is
//! checked too, since a response that cannot be matched is useless (RFC 4475 3.1.2.5).

use super::error::{FrameError, ParseError};
use super::header::{HeaderName, Headers};
use super::lex;
use super::typed::Method;
use super::uri::Uri;
use super::{Message, Request, Response};
use bytes::Bytes;

/// Largest message accepted (datagram or framed), RFC 3261 18.1.1 / 18.3.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// At most this many header fields per message, Content-Length not counted.
pub const MAX_HEADERS: usize = 256;
/// Content-Length fields, which do not count towards `MAX_HEADERS`, are limited
/// separately (a request with more than one is refused by `validate_request`).
const MAX_LENGTH_FIELDS: usize = 8;
/// At most this many octets in the start line or in one header field (folds included).
pub const MAX_LINE: usize = 16 * 1024;

/// Number of leading CR/LF octets (keep-alives, and the CRLFs RFC 3261 7.5 says
/// to ignore before a start line).
pub fn skip_keepalive(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&c| c == b'\r' || c == b'\n')
        .count()
}

/// The end of the line starting at `i`: (end without CR/LF, start of next line).
fn line_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let lf = i + memchr::memchr(b'\n', &b[i..])?;
    let end = if lf > i && b[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    Some((end, lf + 1))
}

/// Parses one message: a whole datagram, or one message cut out by [`frame`].
/// Octets after the Content-Length body are ignored; without Content-Length the
/// rest of the buffer is the body (datagram rule, RFC 3261 18.3).
pub fn parse(buf: Bytes) -> Result<Message, ParseError> {
    parse_inner(&buf).map_err(|e| e.with_raw(buf.clone()))
}

fn parse_inner(buf: &Bytes) -> Result<Message, ParseError> {
    let b = &buf[..];
    let mut i = skip_keepalive(b);
    if i >= b.len() {
        return Err(ParseError::drop("Empty message"));
    }
    let (le, next) = line_at(b, i).ok_or_else(|| ParseError::drop("No start line"))?;
    let too_big = b.len() > MAX_MESSAGE;
    if le - i > MAX_LINE {
        return Err(ParseError::drop("Start line too long"));
    }
    let line = &b[i..le];
    let is_response = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/");
    enum Start {
        Req(Method, Uri),
        Resp(u16, Bytes),
    }
    // Once a request line is recognisable, failures are answered (400).
    let fail_status = if is_response { None } else { Some(400) };
    let start = if is_response {
        let (code, reason) = status_line(buf, line)?;
        Start::Resp(code, reason)
    } else {
        let (m, u) = request_line(buf, line)?;
        Start::Req(m, u)
    };
    if too_big {
        return Err(ParseError::bad("Message Too Large").with_status(fail_status.map(|_| 513)));
    }
    i = next;
    let mut headers = Headers::over(buf.clone(), 16);
    let mut content_length: Option<(usize, usize)> = None;
    let mut lengths = 0;
    loop {
        let (le, next) = line_at(b, i).ok_or_else(|| {
            ParseError::bad("Header section not terminated").with_status(fail_status)
        })?;
        if le == i {
            i = next;
            break;
        }
        let name_r = i..i + b[i..le].iter().take_while(|&&c| lex::is_token(c)).count();
        if name_r.is_empty() {
            return Err(ParseError::bad("Malformed header line").with_status(fail_status));
        }
        let mut j = name_r.end;
        while j < le && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        if j >= le || b[j] != b':' {
            return Err(ParseError::bad("Malformed header line").with_status(fail_status));
        }
        let vs = j + 1;
        let mut ve = le;
        let mut next = next;
        // continuation lines (folding)
        while next < b.len() && (b[next] == b' ' || b[next] == b'\t') {
            let (le2, n2) = line_at(b, next).ok_or_else(|| {
                ParseError::bad("Header section not terminated").with_status(fail_status)
            })?;
            ve = le2;
            next = n2;
        }
        if ve - i > MAX_LINE {
            return Err(
                ParseError::bad("Header line too long").with_status(fail_status.map(|_| 513))
            );
        }
        let vr = lex::trim_range(&b[vs..ve]);
        let (start, end) = (vs + vr.start, vs + vr.end);
        let name = HeaderName::from_slice_of(buf, &b[name_r]);
        if name == HeaderName::ContentLength {
            lengths += 1;
            if content_length.is_none() {
                content_length = Some((start, end));
            }
        }
        // Content-Length fields are counted apart, so that printing (which always
        // writes one) never takes a message over the limit
        if headers.len() + 1 - lengths > MAX_HEADERS || lengths > MAX_LENGTH_FIELDS {
            return Err(
                ParseError::bad("Too many header fields").with_status(fail_status.map(|_| 513))
            );
        }
        headers.push_range(name, start, end);
        i = next;
    }
    let rest = b.len() - i;
    let body = match content_length {
        Some((start, end)) => {
            let n = lex::parse_u64(&b[start..end]).ok_or_else(|| {
                ParseError::bad("Malformed Content-Length").with_status(fail_status)
            })?;
            if n > rest as u64 {
                return Err(
                    ParseError::bad("Body shorter than Content-Length").with_status(fail_status)
                );
            }
            buf.slice(i..i + n as usize)
        }
        None => buf.slice(i..),
    };
    Ok(match start {
        Start::Req(method, uri) => Message::Request(Request {
            method,
            uri,
            headers,
            body,
        }),
        Start::Resp(status, reason) => {
            let cseq = headers
                .get(&HeaderName::CSeq)
                .ok_or_else(|| ParseError::drop("Response without CSeq"))?;
            super::typed::parse_cseq(cseq)
                .map_err(|_| ParseError::drop("Response with a bad CSeq"))?;
            Message::Response(Response {
                status,
                reason,
                headers,
                body,
            })
        }
    })
}

/// `SIP-Version` well-formedness: `Some(true)` for SIP/2.0, `Some(false)` for
/// another well-formed version, `None` for garbage.
fn version(v: &[u8]) -> Option<bool> {
    if v.len() < 7 || !v[..4].eq_ignore_ascii_case(b"SIP/") {
        return None;
    }
    let (maj, min) = v[4..].split_at(v[4..].iter().position(|&c| c == b'.')?);
    let min = &min[1..];
    if maj.is_empty() || min.is_empty() || !maj.iter().chain(min).all(u8::is_ascii_digit) {
        return None;
    }
    Some(maj == b"2" && min == b"0")
}

fn request_line(buf: &Bytes, line: &[u8]) -> Result<(Method, Uri), ParseError> {
    let sp = memchr::memchr(b' ', line).ok_or_else(|| ParseError::drop("Not a SIP message"))?;
    let m = &line[..sp];
    if !lex::all_token(m) {
        return Err(ParseError::drop("Not a SIP message"));
    }
    let rest = &line[sp + 1..];
    let sp2 =
        memchr::memrchr(b' ', rest).ok_or_else(|| ParseError::bad("Malformed Request-Line"))?;
    match version(&rest[sp2 + 1..]) {
        Some(true) => {}
        Some(false) => {
            return Err(ParseError::bad("SIP Version Not Supported").with_status(Some(505)));
        }
        None => return Err(ParseError::bad("Malformed Request-Line")),
    }
    let u = &rest[..sp2];
    if u.is_empty() || u.contains(&b' ') {
        return Err(ParseError::bad("Malformed Request-Line"));
    }
    if u.len() > super::uri::MAX_URI_LEN {
        return Err(ParseError::bad("Request-URI Too Long").with_status(Some(414)));
    }
    let uri = Uri::parse(buf.slice_ref(u)).map_err(|_| ParseError::bad("Malformed Request-URI"))?;
    if uri.has_headers() {
        return Err(ParseError::bad("Request-URI with headers"));
    }
    Ok((Method::from_slice_of(buf, m), uri))
}

fn status_line(buf: &Bytes, line: &[u8]) -> Result<(u16, Bytes), ParseError> {
    let bad = || ParseError::drop("Malformed Status-Line");
    let sp = memchr::memchr(b' ', line).ok_or_else(bad)?;
    if version(&line[..sp]) != Some(true) {
        return Err(bad());
    }
    let rest = &line[sp + 1..];
    let code_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let code = &rest[..code_end];
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let status =
        (code[0] - b'0') as u16 * 100 + (code[1] - b'0') as u16 * 10 + (code[2] - b'0') as u16;
    if !(100..=699).contains(&status) {
        return Err(bad());
    }
    let reason = if code_end < rest.len() {
        &rest[code_end + 1..]
    } else {
        &[][..]
    };
    if std::str::from_utf8(reason).is_err()
        || reason.iter().any(|&c| c < 0x20 && c != b'\t' || c == 0x7f)
    {
        return Err(bad());
    }
    Ok((status, buf.slice_ref(reason)))
}

/// Where the header section of the first message in a stream buffer ends
/// (after its blank line, counting the leading keep-alives), when it is all
/// there: what is left to answer of a message [`frame`] refused.
pub fn header_end(buf: &[u8]) -> Option<usize> {
    let start = skip_keepalive(buf);
    let b = &buf[start..];
    let mut i = 0;
    loop {
        let (le, next) = line_at(b, i)?;
        if le == i {
            return Some(start + next);
        }
        i = next;
    }
}

/// Finds where the first message of a stream buffer ends. `Some(n)`: the first `n`
/// octets are any leading CRLF keep-alives followed by one whole message (strip the
/// keep-alives with [`skip_keepalive`]); `None`: read more. Streams require
/// Content-Length (RFC 3261 18.3), one value however many fields carry it; a
/// message (or an unterminated header section) longer than `max` is
/// [`FrameError::TooLarge`].
pub fn frame(buf: &[u8], max: usize) -> Result<Option<usize>, FrameError> {
    let start = skip_keepalive(buf);
    let b = &buf[start..];
    if b.is_empty() {
        return Ok(None);
    }
    // The first Content-Length problem is only reported once the header
    // section is whole, so that the request can be answered however the
    // stream was cut into segments.
    let mut cl: Result<Option<u64>, FrameError> = Ok(None);
    let mut i = 0;
    let head_end = loop {
        if i > max {
            return Err(FrameError::TooLarge);
        }
        let Some((le, next)) = line_at(b, i) else {
            return if b.len() > max {
                Err(FrameError::TooLarge)
            } else {
                Ok(None)
            };
        };
        if le == i {
            break next;
        }
        let line = &b[i..le];
        let n = line.iter().take_while(|&&c| lex::is_token(c)).count();
        let named = &line[..n];
        if i > 0
            && (named.eq_ignore_ascii_case(b"l") || named.eq_ignore_ascii_case(b"content-length"))
        {
            cl = match (cl, length_value(&line[n..])) {
                (Err(e), _) | (Ok(_), Err(e)) => Err(e),
                (Ok(Some(c)), Ok(v)) if c != v => Err(FrameError::ConflictingContentLength),
                (Ok(_), Ok(v)) => Ok(Some(v)),
            };
        }
        i = next;
    };
    if head_end > max {
        return Err(FrameError::TooLarge);
    }
    let cl = cl?.ok_or(FrameError::MissingContentLength)?;
    let total = (head_end as u64).saturating_add(cl);
    if total > max as u64 {
        return Err(FrameError::TooLarge);
    }
    let total = total as usize;
    Ok((b.len() >= total).then_some(start + total))
}

/// The value of a Content-Length field, from what follows its name.
fn length_value(rest: &[u8]) -> Result<u64, FrameError> {
    let colon = rest
        .iter()
        .position(|&c| c == b':')
        .ok_or(FrameError::BadContentLength)?;
    let value = lex::trim(&rest[colon + 1..]);
    lex::parse_u64(value).ok_or_else(|| match value {
        [b'-', digits @ ..] if lex::parse_u64(digits).is_some() => {
            FrameError::NegativeContentLength
        }
        _ => FrameError::BadContentLength,
    })
}
