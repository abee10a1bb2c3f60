//! The shape of Authorization, Proxy-Authorization, WWW-Authenticate and
//! Proxy-Authenticate values: `scheme auth-param *(, auth-param)` (RFC 3261
//! sections 20.7, 20.27, 20.28, 20.44 and the `challenge` / `credentials` rules of
//! 25.1; RFC 7616 for Digest). What the parameters mean is the digest module's job.

use super::error::ParseError;
use super::header::{HeaderName, Params};
use super::lex::{self, Cursor};
use super::{Request, Response};
use bytes::Bytes;
use std::fmt;

/// A challenge or credentials: the scheme (`Digest`, or anything else) and its
/// comma-separated parameters. Quoted values keep their quotes in `params`; read
/// them with [`Params::get_unquoted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthValue {
    pub scheme: String,
    pub params: Params,
}

impl AuthValue {
    pub fn parse(b: &Bytes) -> Result<AuthValue, ParseError> {
        let bad = || ParseError::bad("Malformed authentication header");
        let mut c = Cursor::new(b);
        c.ws();
        let s = c.token().ok_or_else(bad)?;
        let scheme = std::str::from_utf8(&b[s]).map_err(|_| bad())?.to_string();
        let mut params = Params::new();
        let mut first = true;
        loop {
            c.ws();
            if c.at_end() {
                break;
            }
            if !first && !c.sep(b',') {
                return Err(bad());
            }
            first = false;
            c.ws();
            let n = c.token().ok_or_else(bad)?;
            if !c.sep(b'=') {
                return Err(bad());
            }
            let v = if c.peek() == Some(b'"') {
                c.quoted().ok_or_else(bad)?
            } else {
                c.token().ok_or_else(bad)?
            };
            let name = std::str::from_utf8(&b[n]).map_err(|_| bad())?;
            let value = std::str::from_utf8(&b[v]).map_err(|_| bad())?;
            params.push(name.to_string(), Some(value.to_string()));
        }
        Ok(AuthValue { scheme, params })
    }

    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }
}

impl fmt::Display for AuthValue {
    /// `scheme name=value, name=value` (values as stored, quotes included).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        for (i, (n, v)) in self.params.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{n}={}", v.unwrap_or("\"\""))?;
        }
        Ok(())
    }
}

/// Writes `s` as a quoted-string (for building challenges and credentials).
pub fn quoted_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    lex::quote(s, &mut out);
    out
}

fn all(h: &super::Headers, n: &HeaderName) -> Result<Vec<AuthValue>, ParseError> {
    h.get_all(n).map(AuthValue::parse).collect()
}

impl Request {
    /// Every Authorization (or, for `proxy`, Proxy-Authorization) value.
    pub fn credentials(&self, proxy: bool) -> Result<Vec<AuthValue>, ParseError> {
        let n = if proxy {
            HeaderName::ProxyAuthorization
        } else {
            HeaderName::Authorization
        };
        all(&self.headers, &n)
    }
}

impl Response {
    /// Every WWW-Authenticate (or, for `proxy`, Proxy-Authenticate) value.
    pub fn challenges(&self, proxy: bool) -> Result<Vec<AuthValue>, ParseError> {
        let n = if proxy {
            HeaderName::ProxyAuthenticate
        } else {
            HeaderName::WwwAuthenticate
        };
        all(&self.headers, &n)
    }
}
