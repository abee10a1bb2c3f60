//! The web pages `switchboard serve` ships: the agent panel at `/agent/`.
//!
//! The files under `web/agent/` are compiled into the binary as they are in
//! the repository (plain HTML, CSS and ES modules, with JsSIP bundled once by
//! `tools/build-web` and committed), so serving them needs no build step and
//! no folder beside the binary. Every answer carries its Content-Type, an
//! ETag (a hash of the file) and `Cache-Control: no-cache`: browsers keep the
//! files but ask again each time, so a new server version is picked up at the
//! next load and an unchanged file costs a 304.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// One file of a page.
struct Asset {
    /// The path under `/agent/`; "" is the page itself.
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/agent/", $file)),
        }
    };
}

const AGENT: &[Asset] = &[
    asset!("", "index.html", "text/html; charset=utf-8"),
    asset!("panel.js", "panel.js", "text/javascript; charset=utf-8"),
    asset!("phone.js", "phone.js", "text/javascript; charset=utf-8"),
    asset!(
        "callbacks.js",
        "callbacks.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("panel.css", "panel.css", "text/css; charset=utf-8"),
    asset!(
        "vendor/jssip.js",
        "vendor/jssip.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "vendor/jssip.LICENSES.txt",
        "vendor/jssip.LICENSES.txt",
        "text/plain; charset=utf-8"
    ),
];

/// The page's own rules for the browser: scripts and styles only from this
/// server, connections only back to it (the API and the two WebSockets).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; media-src 'self' blob:; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// The routes of the web pages, to be merged into the server's router.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut r = Router::new().route("/agent", get(|| async { Redirect::permanent("/agent/") }));
    for (i, asset) in AGENT.iter().enumerate() {
        r = r.route(
            &format!("/agent/{}", asset.path),
            get(move |headers: HeaderMap| async move { serve(i, &headers) }),
        );
    }
    r
}

/// Strong ETags of the files, computed once.
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        AGENT
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..32]))
            .collect()
    })
}

fn serve(i: usize, headers: &HeaderMap) -> Response {
    let asset = &AGENT[i];
    let etag = &etags()[i];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.path.is_empty() {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &str) -> &'static str {
        let asset = AGENT.iter().find(|a| a.path == path).expect(path);
        std::str::from_utf8(asset.body).unwrap()
    }

    #[test]
    fn every_file_has_a_type_and_the_page_links_them() {
        let page = text("");
        assert!(page.contains("panel.js") && page.contains("panel.css"));
        assert!(text("panel.js").contains("./phone.js"));
        assert!(
            text("phone.js").contains("./vendor/jssip.js"),
            "the softphone imports JsSIP"
        );
        assert_eq!(etags().len(), AGENT.len());
        for a in AGENT {
            assert!(!a.body.is_empty(), "{} is empty", a.path);
        }
    }

    #[test]
    fn an_unchanged_file_is_not_sent_again() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&etags()[1]).unwrap(),
        );
        assert_eq!(serve(1, &headers).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve(1, &HeaderMap::new()).status(), StatusCode::OK);
    }
}
