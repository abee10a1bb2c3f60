//! Which web pages may drive the server from a visitor's browser.
//!
//! A browser sends the session cookie, and opens WebSockets, whatever site the
//! page that asks came from; what it cannot forge is the `Origin` header. So a
//! WebSocket upgrade (`/sip`, `/api/agent/ws`) or a state-changing request
//! that a browser could make with the cookie is refused with 403 when its
//! `Origin` is neither the server's own nor one of `http.allowed_origins`.
//! The server's own origin is the `Host` the request came to, with the scheme
//! of the listener (https with TLS, else http). A request without `Origin`
//! (curl, scripts, SIP phones) is not a browser acting for someone else's page
//! and passes.

use axum::http::{header, HeaderMap, Method};

use super::admin::problem::Problem;

/// The origins allowed besides the server's own, and the listener's scheme.
#[derive(Debug, Clone)]
pub struct Origins {
    scheme: &'static str,
    allowed: Vec<String>,
}

impl Origins {
    /// `allowed` as configured (checked by [`is_origin`]); `tls` when the
    /// listener serves HTTPS.
    pub fn new(allowed: &[String], tls: bool) -> Origins {
        let scheme = if tls { "https" } else { "http" };
        Origins {
            scheme,
            allowed: allowed.iter().filter_map(|o| normalize(o)).collect(),
        }
    }

    /// Whether a request with these headers may go on: it names no `Origin`,
    /// or every `Origin` it names is the server's own or an allowed one.
    pub fn permits(&self, headers: &HeaderMap) -> bool {
        let own = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|host| normalize(&format!("{}://{}", self.scheme, host.trim())));
        headers.get_all(header::ORIGIN).iter().all(|value| {
            let Some(origin) = value.to_str().ok().and_then(normalize) else {
                // `null` (a sandboxed page, a file) and anything unreadable.
                return false;
            };
            own.as_deref() == Some(origin.as_str()) || self.allowed.contains(&origin)
        })
    }

    /// [`Origins::permits`] as the answer to give: `Err` carries the 403.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Problem> {
        if self.permits(headers) {
            return Ok(());
        }
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?");
        tracing::info!(%origin, "request from a page of another site refused");
        Err(Problem::new(
            "foreign-origin",
            format!(
                "pages of {origin} may not use this server; an operator can allow the \
                 origin in http.allowed_origins"
            ),
        ))
    }
}

/// Whether a browser would carry cookies into this request or open a
/// WebSocket with it: anything but a plain GET, HEAD or OPTIONS, and every
/// upgrade.
pub fn changes_state(method: &Method, headers: &HeaderMap) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || headers.contains_key(header::UPGRADE)
}

/// Whether `text` is an origin as browsers send it: `scheme://host` or
/// `scheme://host:port`, with no path, query or credentials.
pub fn is_origin(text: &str) -> bool {
    normalize(text).is_some()
}

/// An origin in one spelling: lower case, and without the scheme's default port.
fn normalize(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    let (scheme, rest) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = rest.strip_suffix(default_port).unwrap_or(rest);
    if authority.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn the_own_origin_and_no_origin_pass_on_the_listener_scheme() {
        let plain = Origins::new(&[], false);
        assert!(plain.permits(&headers("127.0.0.1:8080", None)));
        assert!(plain.permits(&headers("127.0.0.1:8080", Some("http://127.0.0.1:8080"))));
        assert!(plain.permits(&headers("Switch.Example", Some("http://switch.example:80"))));
        assert!(!plain.permits(&headers("127.0.0.1:8080", Some("https://127.0.0.1:8080"))));
        assert!(!plain.permits(&headers("127.0.0.1:8080", Some("http://127.0.0.1:9090"))));
        let tls = Origins::new(&[], true);
        assert!(tls.permits(&headers("switch.example", Some("https://switch.example"))));
        assert!(!tls.permits(&headers("switch.example", Some("http://switch.example"))));
    }

    #[test]
    fn foreign_and_opaque_origins_are_refused_unless_listed() {
        let origins = Origins::new(&["https://Panel.example".into()], true);
        let host = "switch.example";
        assert!(origins.permits(&headers(host, Some("https://panel.example"))));
        assert!(origins.permits(&headers(host, Some("https://panel.example:443"))));
        assert!(!origins.permits(&headers(host, Some("https://evil.example"))));
        assert!(!origins.permits(&headers(host, Some("null"))));
        assert_eq!(
            origins
                .check(&headers(host, Some("https://evil.example")))
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn only_origins_are_origins() {
        assert!(is_origin("http://127.0.0.1:5173"));
        assert!(is_origin("https://[::1]:8443"));
        for bad in [
            "",
            "null",
            "*",
            "example.com",
            "https://",
            "https://a/b",
            "ftp://a",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

    #[test]
    fn safe_requests_change_nothing_but_upgrades_do() {
        let none = HeaderMap::new();
        assert!(!changes_state(&Method::GET, &none));
        assert!(changes_state(&Method::POST, &none));
        let mut upgrade = HeaderMap::new();
        upgrade.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(changes_state(&Method::GET, &upgrade));
    }
}
