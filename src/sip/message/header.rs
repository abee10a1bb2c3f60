//! Header names, the ordered header list and generic parameters
//! (RFC 3261 sections 7.3, 7.3.1, 7.3.3 compact forms, 20 and 25.1 `generic-param`).
//!
//! Names are recognised once, when the message is split, so lookups compare enum
//! values. Values stay zero-copy slices of the received buffer until a typed
//! accessor parses them.

use bytes::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

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

/// One header field: its name, and its value either as a range of the received
/// buffer (made a `Bytes` the first time it is read) or as a value set in code.
#[derive(Clone)]
struct Field {
    name: HeaderName,
    at: (u32, u32),
    value: OnceLock<Bytes>,
}

/// The header fields of a message in received order. Values are the raw field
/// values (leading and trailing white space removed, folds kept) as zero-copy slices
/// of the received buffer; the slice is taken on first access, so parsing does no
/// reference counting per field.
#[derive(Clone, Default)]
pub struct Headers {
    src: Bytes,
    list: Vec<Field>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Fields that will be ranges of `src`.
    pub(crate) fn over(src: Bytes, capacity: usize) -> Headers {
        Headers {
            src,
            list: Vec::with_capacity(capacity),
        }
    }

    /// Adds a field whose value is `src[start..end]`.
    pub(crate) fn push_range(&mut self, n: HeaderName, start: usize, end: usize) {
        self.list.push(Field {
            name: n,
            at: (start as u32, end as u32),
            value: OnceLock::new(),
        });
    }

    fn value<'a>(&'a self, f: &'a Field) -> &'a Bytes {
        f.value
            .get_or_init(|| self.src.slice(f.at.0 as usize..f.at.1 as usize))
    }

    fn field(n: HeaderName, v: Bytes) -> Field {
        Field {
            name: n,
            at: (0, 0),
            value: OnceLock::from(v),
        }
    }

    /// The first value of `n`.
    pub fn get(&self, n: &HeaderName) -> Option<&Bytes> {
        self.list
            .iter()
            .find(|f| f.name == *n)
            .map(|f| self.value(f))
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
            .filter(move |f| f.name == *n)
            .map(|f| self.value(f))
    }

    pub fn push(&mut self, n: HeaderName, v: impl Into<Bytes>) {
        self.list.push(Self::field(n, v.into()));
    }

    /// Replaces every field of `n` with one value, at the position of the first.
    pub fn set(&mut self, n: HeaderName, v: impl Into<Bytes>) {
        let v = v.into();
        match self.list.iter().position(|f| f.name == n) {
            Some(i) => {
                self.list[i] = Self::field(n.clone(), v);
                let mut j = 0;
                self.list.retain(|f| {
                    j += 1;
                    j - 1 == i || f.name != n
                });
            }
            None => self.list.push(Self::field(n, v)),
        }
    }

    /// Inserts a field before all others (for example a new top Via).
    pub fn push_front(&mut self, n: HeaderName, v: impl Into<Bytes>) {
        self.list.insert(0, Self::field(n, v.into()));
    }

    pub fn remove(&mut self, n: &HeaderName) {
        self.list.retain(|f| f.name != *n);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &Bytes)> {
        self.list.iter().map(|f| (&f.name, self.value(f)))
    }

    pub fn count(&self, n: &HeaderName) -> usize {
        self.list.iter().filter(|f| f.name == *n).count()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Index of the first field named `n`.
    pub(crate) fn position(&self, n: &HeaderName) -> Option<usize> {
        self.list.iter().position(|f| f.name == *n)
    }

    /// Replaces the value of the field at `i`, keeping its name and place.
    pub(crate) fn replace_at(&mut self, i: usize, v: Bytes) {
        let name = self.list[i].name.clone();
        self.list[i] = Self::field(name, v);
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.list.len() == other.list.len()
            && self
                .list
                .iter()
                .zip(&other.list)
                .all(|(a, b)| a.name == b.name && self.value(a) == other.value(b))
    }
}
impl Eq for Headers {}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
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
