//! The web pages `switchboard serve` ships: the agent panel at `/agent/`,
//! the recordings page at `/recordings/`, the supervisor panel at
//! `/supervisor/`, the wallboard at `/wallboard/`, the reports at
//! `/reports/` and the administration console at `/admin/`; what they share
//! (the session with its one login form, the strip of links between the
//! pages, API calls, the base style sheet) is under `/shared/`.
//!
//! The files under `web/<page>/` are compiled into the binary as they are in
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
    /// The path under the page's folder; "" is the page itself.
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:literal) => {
        asset!("agent", $path, $file, $type)
    };
    ($page:literal, $path:literal, $file:literal, $type:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/web/",
                $page,
                "/",
                $file
            )),
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
    asset!("dialpad.js", "dialpad.js", "text/javascript; charset=utf-8"),
    asset!("results.js", "results.js", "text/javascript; charset=utf-8"),
    asset!("panel.css", "panel.css", "text/css; charset=utf-8"),
    asset!("status-sound.wav", "status-sound.wav", "audio/wav"),
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

/// The recordings page: the recorded calls with a player and a download each.
const RECORDINGS: &[Asset] = &[
    asset!("recordings", "", "index.html", "text/html; charset=utf-8"),
    asset!(
        "recordings",
        "recordings.js",
        "recordings.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "recordings",
        "recordings.css",
        "recordings.css",
        "text/css; charset=utf-8"
    ),
];

/// The supervisor panel: the agents of the user's queues, live.
const SUPERVISOR: &[Asset] = &[
    asset!("supervisor", "", "index.html", "text/html; charset=utf-8"),
    asset!(
        "supervisor",
        "supervisor.js",
        "supervisor.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "supervisor",
        "supervisor.css",
        "supervisor.css",
        "text/css; charset=utf-8"
    ),
];

/// The wallboard: a tile per queue and queue group, updated live.
const WALLBOARD: &[Asset] = &[
    asset!("wallboard", "", "index.html", "text/html; charset=utf-8"),
    asset!(
        "wallboard",
        "wallboard.js",
        "wallboard.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "wallboard",
        "wallboard.css",
        "wallboard.css",
        "text/css; charset=utf-8"
    ),
];

/// The reports page: the Call Detail Report, the interval report and charts.
const REPORTS: &[Asset] = &[
    asset!("reports", "", "index.html", "text/html; charset=utf-8"),
    asset!(
        "reports",
        "reports.js",
        "reports.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "reports",
        "reports.css",
        "reports.css",
        "text/css; charset=utf-8"
    ),
];

/// The administration console: lists and forms of every entity of the admin
/// API, drawn by one generic engine (crud.js) from entities.js.
const ADMIN: &[Asset] = &[
    asset!("admin", "", "index.html", "text/html; charset=utf-8"),
    asset!(
        "admin",
        "admin.js",
        "admin.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "crud.js",
        "crud.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "entities.js",
        "entities.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "people.js",
        "people.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "users.js",
        "users.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "csv.js",
        "csv.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "profiles.js",
        "profiles.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "admin",
        "people.css",
        "people.css",
        "text/css; charset=utf-8"
    ),
    asset!(
        "admin",
        "queue_agents.js",
        "queue_agents.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("admin", "admin.css", "admin.css", "text/css; charset=utf-8"),
];

/// What the pages share: the session and login form, the strip of links.
const SHARED: &[Asset] = &[
    asset!(
        "shared",
        "page.js",
        "page.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("shared", "page.css", "page.css", "text/css; charset=utf-8"),
    asset!(
        "shared",
        "nav.js",
        "nav.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("shared", "nav.css", "nav.css", "text/css; charset=utf-8"),
];

/// The pages: the folder each is served under and its files.
const PAGES: &[(&str, &[Asset])] = &[
    ("agent", AGENT),
    ("shared", SHARED),
    ("recordings", RECORDINGS),
    ("supervisor", SUPERVISOR),
    ("wallboard", WALLBOARD),
    ("reports", REPORTS),
    ("admin", ADMIN),
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
    let mut r = Router::new();
    for (p, (page, assets)) in PAGES.iter().enumerate() {
        if assets.iter().any(|a| a.path.is_empty()) {
            let home = format!("/{page}/");
            r = r.route(
                &format!("/{page}"),
                get(move || async move { Redirect::permanent(&home) }),
            );
        }
        for (i, asset) in assets.iter().enumerate() {
            r = r.route(
                &format!("/{page}/{}", asset.path),
                get(move |headers: HeaderMap| async move { serve(p, i, &headers) }),
            );
        }
    }
    r
}

/// Strong ETags of the files of each page, computed once.
fn etags() -> &'static [Vec<String>] {
    static TAGS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    TAGS.get_or_init(|| {
        PAGES
            .iter()
            .map(|(_, assets)| {
                assets
                    .iter()
                    .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..32]))
                    .collect()
            })
            .collect()
    })
}

fn serve(page: usize, i: usize, headers: &HeaderMap) -> Response {
    let asset = &PAGES[page].1[i];
    let etag = &etags()[page][i];
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
        assert!(text("panel.js").contains("./dialpad.js"));
        assert!(
            text("phone.js").contains("./vendor/jssip.js"),
            "the softphone imports JsSIP"
        );
        assert_eq!(etags()[0].len(), AGENT.len());
        for a in PAGES.iter().flat_map(|(_, assets)| assets.iter()) {
            assert!(!a.body.is_empty(), "{} is empty", a.path);
        }
        let recordings = std::str::from_utf8(RECORDINGS[0].body).unwrap();
        assert!(recordings.contains("recordings.js") && recordings.contains("recordings.css"));
        let supervisor = std::str::from_utf8(SUPERVISOR[0].body).unwrap();
        assert!(supervisor.contains("supervisor.js") && supervisor.contains("supervisor.css"));
        let wallboard = std::str::from_utf8(WALLBOARD[0].body).unwrap();
        assert!(wallboard.contains("wallboard.js") && wallboard.contains("wallboard.css"));
        // The session, API calls and base style come from /shared/, once.
        let shared = |a: &Asset| {
            std::str::from_utf8(a.body)
                .unwrap()
                .contains("/shared/page.")
        };
        for page in [AGENT, RECORDINGS, SUPERVISOR, WALLBOARD, REPORTS, ADMIN] {
            assert!(shared(&page[1]), "{} imports /shared/page.js", page[1].path);
            let html = std::str::from_utf8(page[0].body).unwrap();
            assert!(
                html.contains("/shared/nav.css"),
                "{} links the strip's style",
                page[1].path
            );
            assert!(
                !html.contains("login-form"),
                "{} leaves the login form to /shared/page.js",
                page[1].path
            );
        }
        for page in [RECORDINGS, SUPERVISOR, REPORTS, ADMIN] {
            assert!(shared(&page[0]), "{} links /shared/page.css", page[1].path);
        }
        let reports = std::str::from_utf8(REPORTS[0].body).unwrap();
        assert!(reports.contains("reports.js") && reports.contains("reports.css"));
        assert!(
            !reports.contains("style="),
            "the CSP allows no inline style"
        );
        // The console's page links its modules; each module it imports is served.
        let admin = std::str::from_utf8(ADMIN[0].body).unwrap();
        assert!(admin.contains("admin.js") && admin.contains("admin.css"));
        assert!(!admin.contains("style="), "the CSP allows no inline style");
        for a in &ADMIN[1..] {
            let text = std::str::from_utf8(a.body).unwrap();
            for import in text.match_indices("from \"./").map(|(i, _)| &text[i + 8..]) {
                let file = &import[..import.find('"').unwrap()];
                assert!(
                    ADMIN.iter().any(|b| b.path == file),
                    "{} imports {file}, which is not served",
                    a.path
                );
            }
        }
    }

    /// The strip offers a page only with a permission its API accepts.
    #[test]
    fn the_strip_names_the_permissions_the_server_checks() {
        use crate::api::admin::{auth::menu_of, recordings, wallboard};
        let nav = std::str::from_utf8(
            SHARED
                .iter()
                .find(|a| a.path == "nav.js")
                .expect("nav.js")
                .body,
        )
        .unwrap();
        let quoted = |key: &str| nav.contains(&format!("\"{key}\""));
        let admin = crate::api::admin::RESOURCES.iter().map(|r| r.path);
        for screen in admin.chain(["supervisor", "reports"]) {
            let key = menu_of(&format!("/api/{screen}")).expect(screen);
            assert!(quoted(key), "nav.js names {key}");
        }
        for key in wallboard::SEE
            .iter()
            .chain(&[recordings::LISTEN, "menu.agent_panel"])
        {
            assert!(quoted(key), "nav.js names {key}");
        }
    }

    #[test]
    fn an_unchanged_file_is_not_sent_again() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&etags()[0][1]).unwrap(),
        );
        assert_eq!(serve(0, 1, &headers).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve(0, 1, &HeaderMap::new()).status(), StatusCode::OK);
    }
}
