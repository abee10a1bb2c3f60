//! One login for every page, and the strip of links between them, in
//! Debian's headless Chromium (tests/browser/pages_nav.mjs): a supervisor who
//! is also an administrator logs in once and moves between the wallboard, the
//! supervisor panel, the reports, the recordings, the admin console and the
//! agent panel without logging in again, then logs out once for every page;
//! a plain agent is offered the agent panel only, and the supervisor panel
//! opened by its address says it is not theirs instead of breaking.
//! Screenshots of each page are kept under target/tmp/pages/.

mod common;

use std::path::Path;
use std::time::Duration;

use common::browser::{browser_agent, Agent, Browser};
use common::calls::{demo, demo_queue};
use common::users::{make_user, profile_id};
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn one_login_opens_every_page_the_user_may_use_and_the_strip_shows_only_those() {
    let (server, api) = demo("");
    let project = demo_queue(&api)["project_id"].clone();
    make_user(
        &api,
        "ada",
        "ada-runs-the-floor-1",
        json!({"profiles": [profile_id(&api, "Supervisor"), profile_id(&api, "Admin")],
               "projects": [project]}),
    );
    let ada = Agent {
        login: "ada".into(),
        password: "ada-runs-the-floor-1".into(),
    };
    let agent = browser_agent(&server, &api, "1001");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pages");
    std::fs::create_dir_all(&shots).unwrap();
    let mut browser = Browser::start(
        &server,
        "pages_nav.mjs",
        &[&ada, &agent],
        json!({"shots": shots}),
    );

    let links = browser.expect("links", MINUTE);
    assert_eq!(
        links["links"],
        json!([
            "nav-agent",
            "nav-supervisor",
            "nav-wallboard",
            "nav-reports",
            "nav-recordings",
            "nav-admin"
        ]),
        "every page is open to a supervisor-admin: {links}"
    );
    assert_eq!(
        links["hrefs"],
        json!([
            "/agent/",
            "/supervisor/",
            "/wallboard/",
            "/reports/",
            "/recordings/",
            "/admin/"
        ]),
        "{links}"
    );
    assert_eq!(links["current"], json!(["nav-wallboard"]), "{links}");

    for page in ["supervisor", "reports", "recordings", "admin", "agent"] {
        let visited = browser.expect("visited", MINUTE);
        assert_eq!(visited["page"], page, "{visited}");
        assert_eq!(
            visited["current"],
            json!([format!("nav-{page}")]),
            "{visited}"
        );
        assert_eq!(
            visited["sawLogin"], false,
            "no login form on {page}: {visited}"
        );
        assert!(
            !visited["user"].as_str().unwrap_or("").is_empty(),
            "the user's name on {page}: {visited}"
        );
    }

    let out = browser.expect("logged_out", MINUTE);
    assert_eq!(out["otherSawLogin"], false, "{out}");
    assert_eq!(
        out["notice"], "You logged out on another page.",
        "the other tab: {out}"
    );
    assert_eq!(out["navGone"], true, "{out}");
    assert_eq!(out["supervisorHidden"], true, "{out}");

    let only = browser.expect("agent_links", MINUTE);
    assert_eq!(only["links"], json!(["nav-agent"]), "{only}");
    assert_eq!(only["current"], json!(["nav-agent"]), "{only}");

    let denied = browser.expect("denied", MINUTE);
    assert_eq!(denied["links"], json!(["nav-agent"]), "{denied}");
    assert_eq!(denied["current"], json!([]), "{denied}");
    let reason = denied["reason"].as_str().unwrap();
    assert!(
        reason.contains("supervisor panel") && reason.contains("menu.supervisor_panel"),
        "{denied}"
    );
    assert_eq!(denied["sawLogin"], false, "still signed in: {denied}");
    assert_eq!(denied["view"], false, "{denied}");
    assert_eq!(denied["who"], true, "{denied}");
    browser.finish(MINUTE);

    for shot in [
        "wallboard",
        "supervisor",
        "reports",
        "recordings",
        "agent",
        "logged-out",
        "agent-only",
        "supervisor-denied",
    ] {
        assert!(
            shots.join(format!("{shot}.png")).exists(),
            "screenshot {shot}"
        );
    }
}
