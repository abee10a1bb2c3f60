//! The administration console's users and profiles screens, end to end: the
//! real server serving `/admin/`, Debian's headless Chromium driven by the
//! scripts tests/browser/admin_people*.mjs, and the API read back here to
//! check that what the pages saved is what was typed. An administrator
//! makes a profile with chosen permissions and a user with it, gives the
//! user an extension and reads the user's effective permissions with their
//! sources; unlocks a locked user by a password reset; imports a CSV file
//! with a bad row (listed, nothing saved), then a good one, and exports.
//! Screenshots of each screen are kept under target/tmp/admin/.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::browser::{Agent, Browser};
use common::http::{project, queue, request_with, server, Api};
use common::users::{id, login, make_user, profile_id};
use common::TestServer;
use serde_json::{json, Value};

const MINUTE: Duration = Duration::from_secs(60);

/// Where the screenshots go.
fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("admin");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An administrator who logs in to the console: the Admin profile and a password.
fn administrator(api: &Api) -> Agent {
    let admin = profile_id(api, "Admin");
    make_user(api, "boss", "boss-password", json!({"profiles": [admin]}));
    Agent {
        login: "boss".into(),
        password: "boss-password".into(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("not text: {s}"))
                .to_owned()
        })
        .collect()
}

#[test]
fn a_profile_and_a_user_made_in_the_pages_are_saved_as_typed_with_the_sources_of_each_permission() {
    let (server, api) = server();
    let boss = administrator(&api);
    let sales = id(&common::http::created(api.post(
        "/api/projects",
        &json!({"name": "Sales", "default_profile": "Agent"}),
    )));
    let billing = queue(&api, sales, "Billing", "610");
    let _other = project(&api, "Backoffice");
    let mut browser = Browser::start(
        &server,
        "admin_people.mjs",
        &[&boss],
        json!({"shots": shots(), "project": sales, "queue": billing}),
    );

    // The profile: the keys ticked one by one, and the Report group by its
    // select-all box.
    let typed = browser.expect("profile", MINUTE);
    let profile = api.get(&format!("/api/profiles/{}", typed["id"])).json();
    assert_eq!(profile["name"], "Night shift", "{profile}");
    assert_eq!(profile["description"], "Evenings and weekends", "{profile}");
    let mut want = vec![
        "menu.users".to_owned(),
        "status.change".to_owned(),
        format!("queue.{billing}"),
        "report.own".to_owned(),
        "report.queues".to_owned(),
        "report.agents".to_owned(),
    ];
    want.sort();
    assert_eq!(strings(&profile["permissions"]), want, "{profile}");
    assert_eq!(
        strings(&typed["ticked"]),
        want,
        "the editor's boxes: {typed}"
    );
    let filtered = strings(&typed["filtered"]);
    assert!(
        filtered.contains(&format!("queue.{billing}"))
            && filtered.contains(&"menu.queues".to_owned())
            && !filtered.contains(&"menu.users".to_owned()),
        "the filter keeps the queue keys: {filtered:?}"
    );

    // The user with that profile.
    let typed = browser.expect("user", MINUTE);
    let user = api.get(&format!("/api/users/{}", typed["id"])).json();
    assert_eq!(user["username"], "nina", "{user}");
    assert_eq!(user["first_name"], "Nina", "{user}");
    assert_eq!(user["last_name"], "Simone", "{user}");
    assert_eq!(user["priority"], 7, "{user}");
    assert_eq!(user["profiles"], json!([profile["id"]]), "{user}");
    assert_eq!(user["projects"], json!([sales]), "{user}");
    assert_eq!(user["state"], "new", "{user}");
    let nina = id(&user);

    // An extension added in the page, with its SIP password.
    browser.expect("extension", MINUTE);
    let user = api.get(&format!("/api/users/{nina}")).json();
    assert_eq!(user["extensions"], json!(["nina.desk"]), "{user}");

    // The effective permissions in Sales: a key of her own profile, a key of
    // the project's default profile, each with its source.
    let seen = browser.expect("permissions", MINUTE);
    let api_view = api
        .get(&format!("/api/users/{nina}/permissions?project={sales}"))
        .json();
    let rows = seen["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        api_view["permissions"].as_array().unwrap().len(),
        "every effective key is listed: {seen}"
    );
    assert_eq!(
        seen["own"],
        json!({"key": "menu.users", "sources": ["profile Night shift (given to the user)"]}),
        "{seen}"
    );
    assert_eq!(
        seen["default"],
        json!({"key": "menu.agent_panel", "sources": ["profile Agent (default of project Sales)"]}),
        "{seen}"
    );
    assert_eq!(
        seen["searched"], 1,
        "a search for one key shows it alone: {seen}"
    );
    browser.finish(MINUTE);
}

/// Waits until the user's stored failed-login count reaches `n` (it is
/// written behind the login's answer).
fn wait_failures(api: &Api, user: i64, n: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stored = api.get(&format!("/api/users/{user}")).json();
        if stored["failed_logins"] == n || Instant::now() > deadline {
            return stored;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn usernames(api: &Api) -> Vec<String> {
    api.get("/api/users")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_locked_user_is_unlocked_by_a_reset_in_the_page_and_an_import_lists_its_bad_row() {
    let (server, api) = server();
    let boss = administrator(&api);
    let grace = id(&make_user(&api, "grace", "first password", json!({})));
    // Failed logins in a row, then an administrator locks her.
    for _ in 0..3 {
        assert_eq!(login(&server, "grace", "wrong password", None).status, 401);
    }
    let stored = wait_failures(&api, grace, 3);
    assert_eq!(stored["failed_logins"], 3, "{stored}");
    let agent = profile_id(&api, "Agent");
    let lock = json!({"username": "grace", "first_name": "Ada", "last_name": "Lovelace",
                      "profiles": [agent], "state": "locked"});
    let locked = api.put(&format!("/api/users/{grace}"), &lock);
    assert_eq!(locked.status, 200, "{}", locked.body);
    assert_eq!(
        login(&server, "grace", "first password", None).status,
        403,
        "locked"
    );

    let mut browser = Browser::start(
        &server,
        "admin_people_users.mjs",
        &[&boss],
        json!({"shots": shots(), "grace": grace}),
    );
    let listed = browser.expect("listed", MINUTE);
    assert_eq!(
        listed["badge"], "locked",
        "the list shows the state: {listed}"
    );
    let seen = browser.expect("locked", MINUTE);
    assert_eq!(seen["badge"], "locked", "{seen}");
    assert!(
        seen["failures"].as_str().unwrap_or("").contains('3'),
        "the failed logins are shown: {seen}"
    );
    let refused = browser.expect("reset-refused", MINUTE);
    assert_eq!(
        refused["reason"], "must be 8 to 256 characters",
        "{refused}"
    );
    assert_eq!(refused["badge"], "locked", "{refused}");
    let reset = browser.expect("reset", MINUTE);
    assert_eq!(reset["badge"], "active", "{reset}");
    let password = reset["password"].as_str().unwrap();
    assert!(password.len() >= 8, "{reset}");
    let stored = api.get(&format!("/api/users/{grace}")).json();
    assert_eq!(stored["state"], "active", "{stored}");
    assert_eq!(stored["failed_logins"], 0, "{stored}");
    assert_eq!(login(&server, "grace", "first password", None).status, 401);
    let ok = login(&server, "grace", password, None);
    assert_eq!(ok.status, 200, "the new password logs in: {}", ok.body);

    // The file with one bad row: that row listed, nothing imported.
    let bad = browser.expect("import-refused", MINUTE);
    assert_eq!(
        bad["rows"],
        json!([{"line": "3", "column": "profiles", "reason": "no such profile \"Nobody\""}]),
        "{bad}"
    );
    assert!(!usernames(&api).contains(&"ann".to_owned()));
    let good = browser.expect("imported", MINUTE);
    assert_eq!(good["created"], "2", "{good}");
    let names = usernames(&api);
    assert!(
        names.contains(&"ann".to_owned()) && names.contains(&"bob".to_owned()),
        "{names:?}"
    );
    assert!(
        good["listed"].as_u64().unwrap() >= 4,
        "the list shows the new users: {good}"
    );
    let exported = browser.expect("exported", MINUTE);
    assert_eq!(exported["name"], "users.csv", "{exported}");
    let lines = strings(&exported["lines"]);
    assert_eq!(
        lines[0],
        "username,first_name,last_name,state,priority,profiles,projects"
    );
    let api_csv = export(&server);
    assert_eq!(
        lines,
        api_csv.lines().map(str::to_owned).collect::<Vec<_>>(),
        "the download is the export"
    );
    browser.finish(MINUTE);
}

fn export(server: &TestServer) -> String {
    let auth = format!("Bearer {}", server.admin_token);
    let reply = request_with(
        server.http,
        "GET",
        "/api/users/export",
        &[("Authorization", &auth)],
        "application/json",
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}
