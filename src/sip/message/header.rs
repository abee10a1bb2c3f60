//! Header names, the ordered header list and generic parameters
//! (RFC 3261 sections 7.3, 7.3.1, 7.3.3 compact forms, 20 and 25.1 `generic-param`).
//!
//! Names are recognised once, when the message is split, so lookups compare enum
//! values. Values stay zero-copy slices of the received buffer until a typed
//! accessor parses them.

use bytes::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A SIP header name. Known names compare by variant; [`HeaderName::Other`] compares
/// case-insensitively. Compact forms (`v`, `i`, `m`, ...) map to their full name,
/// including those without a variant here (`s` is `Other("Subject")`).
#[derive(Debug, Clone)]
pub enum HeaderName {
    Via,
    From,
    To,
    CallId,
    CSeq,
    Contact,
    MaxForwards,
    ContentLength,
    ContentType,
    Expires,
    MinExpires,
    Require,
    ProxyRequire,
    Supported,
    Unsupported,
    Allow,
    Accept,
    AcceptEncoding,
    AcceptLanguage,
    Authorization,
    WwwAuthenticate,
    ProxyAuthorization,
    ProxyAuthenticate,
    Route,
    RecordRoute,
    UserAgent,
    Server,
    Date,
    RetryAfter,
    Event,
    Other(Bytes),
}

impl HeaderName {
    /// Recognises a header name (case-insensitive, compact forms included).
    /// Unknown names are copied; the parser keeps them as slices of the message.
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        Self::recognise(name).unwrap_or_else(|| HeaderName::Other(Bytes::copy_from_slice(name)))
    }

    pub(crate) fn from_slice_of(src: &Bytes, name: &[u8]) -> HeaderName {
        Self::recognise(name).unwrap_or_else(|| HeaderName::Other(src.slice_ref(name)))
    }

    fn recognise(name: &[u8]) -> Option<HeaderName> {
        use HeaderName::*;
        if name.len() == 1 {
            let other = |s: &'static str| Some(Other(Bytes::from_static(s.as_bytes())));
            return match name[0].to_ascii_lowercase() {
                b'v' => Some(Via),
                b'f' => Some(From),
                b't' => Some(To),
                b'i' => Some(CallId),
                b'm' => Some(Contact),
                b'l' => Some(ContentLength),
                b'c' => Some(ContentType),
                b'k' => Some(Supported),
                b'o' => Some(Event),
                b'e' => other("Content-Encoding"),
                b's' => other("Subject"),
                b'u' => other("Allow-Events"),
                b'r' => other("Refer-To"),
                b'b' => other("Referred-By"),
                b'x' => other("Session-Expires"),
                b'y' => other("Identity"),
                b'a' => other("Accept-Contact"),
                b'j' => other("Reject-Contact"),
                b'd' => other("Request-Disposition"),
                b'n' => other("Identity-Info"),
                _ => None,
            };
        }
        if name.len() > 19 {
            return None;
        }
        let mut buf = [0u8; 19];
        let low = &mut buf[..name.len()];
        for (d, s) in low.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        Some(match &*low {
            b"via" => Via,
            b"from" => From,
            b"to" => To,
            b"call-id" => CallId,
            b"cseq" => CSeq,
            b"contact" => Contact,
            b"max-forwards" => MaxForwards,
            b"content-length" => ContentLength,
            b"content-type" => ContentType,
            b"expires" => Expires,
            b"min-expires" => MinExpires,
            b"require" => Require,
            b"proxy-require" => ProxyRequire,
            b"supported" => Supported,
            b"unsupported" => Unsupported,
            b"allow" => Allow,
            b"accept" => Accept,
            b"accept-encoding" => AcceptEncoding,
            b"accept-language" => AcceptLanguage,
            b"authorization" => Authorization,
            b"www-authenticate" => WwwAuthenticate,
            b"proxy-authorization" => ProxyAuthorization,
            b"proxy-authenticate" => ProxyAuthenticate,
            b"route" => Route,
            b"record-route" => RecordRoute,
            b"user-agent" => UserAgent,
            b"server" => Server,
            b"date" => Date,
            b"retry-after" => RetryAfter,
            b"event" => Event,
            _ => return None,
        })
    }

    /// The canonical spelling (RFC 3261 section 20), or the name as received.
    pub fn as_str(&self) -> &str {
        use HeaderName::*;
        match self {
            Via => "Via",
            From => "From",
            To => "To",
            CallId => "Call-ID",
            CSeq => "CSeq",
            Contact => "Contact",
            MaxForwards => "Max-Forwards",
            ContentLength => "Content-Length",
            ContentType => "Content-Type",
            Expires => "Expires",
            MinExpires => "Min-Expires",
            Require => "Require",
            ProxyRequire => "Proxy-Require",
            Supported => "Supported",
            Unsupported => "Unsupported",
            Allow => "Allow",
            Accept => "Accept",
            AcceptEncoding => "Accept-Encoding",
            AcceptLanguage => "Accept-Language",
            Authorization => "Authorization",
            WwwAuthenticate => "WWW-Authenticate",
            ProxyAuthorization => "Proxy-Authorization",
            ProxyAuthenticate => "Proxy-Authenticate",
            Route => "Route",
            RecordRoute => "Record-Route",
            UserAgent => "User-Agent",
            Server => "Server",
            Date => "Date",
            RetryAfter => "Retry-After",
            Event => "Event",
            Other(b) => std::str::from_utf8(b).unwrap_or("X-Invalid"),
        }
    }

    /// An extension header by name (`HeaderName::other("Subject")`).
    pub fn other(name: &str) -> HeaderName {
        Self::from_bytes(name.as_bytes())
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}
impl Eq for HeaderName {}

impl Hash for HeaderName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        if let HeaderName::Other(b) = self {
            for c in b.iter() {
                state.write_u8(c.to_ascii_lowercase());
            }
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The header fields of a message in received order. Values are the raw field
/// values (leading and trailing white space removed, folds kept) as zero-copy slices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<(HeaderName, Bytes)>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    pub(crate) fn with_capacity(n: usize) -> Headers {
        Headers {
            list: Vec::with_capacity(n),
        }
    }

    /// The first value of `n`.
    pub fn get(&self, n: &HeaderName) -> Option<&Bytes> {
        self.list.iter().find(|(k, _)| k == n).map(|(_, v)| v)
    }

    /// The first value of `n` as text, if it is UTF-8 (folds not removed).
    pub fn get_str(&self, n: &HeaderName) -> Option<&str> {
        self.get(n).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of `n` as text with folds replaced by single spaces
    /// (invalid UTF-8 replaced), for display-only headers such as Subject.
    pub fn get_unfolded(&self, n: &HeaderName) -> Option<std::borrow::Cow<'_, str>> {
        self.get(n).map(|v| super::lex::unfold(v))
    }

    /// Every field value of `n`, in order (comma lists are not split).
    pub fn get_all<'a>(&'a self, n: &'a HeaderName) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.list
            .iter()
            .filter(move |(k, _)| k == n)
            .map(|(_, v)| v)
    }

    pub fn push(&mut self, n: HeaderName, v: impl Into<Bytes>) {
        self.list.push((n, v.into()));
    }

    /// Replaces every field of `n` with one value, at the position of the first.
    pub fn set(&mut self, n: HeaderName, v: impl Into<Bytes>) {
        let v = v.into();
        match self.list.iter().position(|(k, _)| *k == n) {
            Some(i) => {
                self.list[i].1 = v;
                let mut j = 0;
                self.list.retain(|(k, _)| {
                    j += 1;
                    j - 1 == i || *k != n
                });
            }
            None => self.list.push((n, v)),
        }
    }

    /// Inserts a field before all others (for example a new top Via).
    pub fn push_front(&mut self, n: HeaderName, v: impl Into<Bytes>) {
        self.list.insert(0, (n, v.into()));
    }

    pub fn remove(&mut self, n: &HeaderName) {
        self.list.retain(|(k, _)| k != n);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &Bytes)> {
        self.list.iter().map(|(k, v)| (k, v))
    }

    pub fn count(&self, n: &HeaderName) -> usize {
        self.list.iter().filter(|(k, _)| k == n).count()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn list_mut(&mut self) -> &mut Vec<(HeaderName, Bytes)> {
        &mut self.list
    }
}

/// Ordered `;name[=value]` parameters. Names compare case-insensitively; values are
/// kept as written (a quoted value keeps its quotes, so printing is faithful).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    list: Vec<(String, Option<String>)>,
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// `Some(None)` for a flag parameter, `Some(Some(v))` for a valued one.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.list
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// Like `get`, with the quotes and quoted-pairs of a quoted value removed.
    pub fn get_unquoted(&self, name: &str) -> Option<Option<String>> {
        self.get(name).map(|v| {
            v.map(
                |v| match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                    Some(inner) => {
                        String::from_utf8_lossy(&super::lex::unquote(inner.as_bytes())).into_owned()
                    }
                    None => v.to_string(),
                },
            )
        })
    }

    /// Sets a parameter, replacing an existing one in place.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_string);
        match self
            .list
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.list.push((name.to_string(), value)),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.list.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.list.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn push(&mut self, name: String, value: Option<String>) {
        self.list.push((name, value));
    }
}

impl fmt::Display for Params {
    /// Writes `;name=value` for each parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.list {
            write!(f, ";{k}")?;
            if let Some(v) = v {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}
