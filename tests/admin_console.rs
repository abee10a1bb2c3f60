//! The administration console at `/admin/`, end to end: the real server, the
//! console it serves driven in Debian's headless Chromium by the scripts
//! tests/browser/admin_console*.mjs, logged in as an administrator made
//! through the API. What the pages save is read back through the API and
//! compared with what was typed; refusals and warnings must show beside the
//! fields they name; the menu follows the Menu permission. Screenshots of
//! each screen are kept under target/tmp/admin/.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::browser::{Agent, Browser};
use common::http::{project, queue, server, Api};
use common::users::{make_profile, make_user, profile_id};
use common::TestServer;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(120);

/// Where the screenshots are kept.
fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("admin");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An administrator (the Admin profile) who logs in to the console.
fn administrator(api: &Api) -> (Agent, Value) {
    let user = make_user(
        api,
        "ada",
        "console-secret-1",
        json!({"profiles": [profile_id(api, "Admin")], "state": "active"}),
    );
    (
        Agent {
            login: "ada".into(),
            password: "console-secret-1".into(),
        },
        user,
    )
}

fn start(server: &TestServer, script: &str, who: &Agent, extra: Value) -> Browser {
    let mut extra = extra;
    extra["shots"] = json!(shots());
    Browser::start(server, script, &[who], extra)
}

fn get(api: &Api, path: &str) -> Value {
    let reply = api.get(path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}

/// Checks that `item` holds each of `want`'s fields.
fn holds(item: &Value, want: Value) {
    for (k, v) in want.as_object().unwrap() {
        assert_eq!(&item[k], v, "{k} of {item}");
    }
}

fn id(v: &Value, name: &str) -> i64 {
    v[name]
        .as_i64()
        .unwrap_or_else(|| panic!("no id {name} in {v}"))
}

#[test]
fn what_the_pages_save_is_what_was_typed() {
    let (server, api) = server();
    let (admin, me) = administrator(&api);
    let mut b = start(
        &server,
        "admin_console_create.mjs",
        &admin,
        json!({"agentLabel": "Ada Lovelace (ada)"}),
    );
    let created = b.expect("created", WAIT);
    b.finish(WAIT);
    let ids = &created["ids"];

    let p = id(ids, "project");
    holds(
        &get(&api, &format!("/api/projects/{p}")),
        json!({"name": "Riverside", "time_zone": "Europe/Berlin", "default_profile": "Agent",
               "break_minutes": 45, "caller_id": "+15550199"}),
    );
    holds(
        &get(&api, &format!("/api/statuses/{}", id(ids, "lunch"))),
        json!({"name": "Lunch", "category": "break", "active": true, "agent_changeable": true,
               "supervisor_only": false, "show_on_dashboard": true, "transferable": false,
               "play_sound": true, "crm_card_trigger": false}),
    );
    holds(
        &get(&api, &format!("/api/statuses/{}", id(ids, "coaching"))),
        json!({"name": "Coaching", "category": "offline", "active": true,
               "agent_changeable": false, "supervisor_only": true, "show_on_dashboard": false,
               "transferable": true, "play_sound": false, "crm_card_trigger": true}),
    );
    let (sold, later) = (id(ids, "sold"), id(ids, "later"));
    let flags = |code: &Value| -> Vec<String> {
        let mut on: Vec<String> = code["flags"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| **v == json!(true))
            .map(|(k, _)| k.clone())
            .collect();
        on.sort();
        on
    };
    let code = get(&api, &format!("/api/result-codes/{sold}"));
    holds(
        &code,
        json!({"display_name": "Sold", "category": "success", "type": "call"}),
    );
    assert_eq!(flags(&code), ["final_result", "show_on_dashboard"]);
    let code = get(&api, &format!("/api/result-codes/{later}"));
    holds(
        &code,
        json!({"display_name": "Call later", "category": "schedule", "type": "written_channel"}),
    );
    assert_eq!(flags(&code), ["call_again", "note_required", "remind"]);

    let overflow = id(ids, "overflow");
    holds(
        &get(&api, &format!("/api/queues/{overflow}")),
        json!({"name": "Overflow", "number": "7001", "project_id": p, "type": "voice"}),
    );
    let sales = id(ids, "sales");
    let q = get(&api, &format!("/api/queues/{sales}"));
    holds(
        &q,
        json!({"name": "Sales chat", "number": "7002", "project_id": p, "type": "text",
               "channel_weight": 40, "call_mode": "chat", "priority": 8,
               "strategy": "fewest_calls", "agent_timeout_secs": 25, "after_call_work_secs": 45,
               "auto_answer": true, "profile": "Agent", "position_announcement": "both",
               "announcement_frequency_secs": 60, "hold_music": "default",
               "queue_timeout_secs": 600, "exit_kind": "queue", "exit_queue_id": overflow,
               "service_level_secs": 30, "service_level_target": 90, "recording": "on_demand",
               "caller_id": "+15550142"}),
    );
    assert_eq!(
        q["result_codes"],
        json!([sold, later]),
        "the queue's result codes, in the order ticked"
    );
    let agents = get(&api, &format!("/api/queues/{sales}/agents"));
    assert!(
        agents
            .as_array()
            .unwrap()
            .contains(&json!({"user_id": me["id"], "mandatory": true})),
        "the agent assigned on the queue's panel: {agents}"
    );

    let tag = get(&api, &format!("/api/tags/{}", id(ids, "tag")));
    holds(
        &tag,
        json!({"name": "VIP", "colour": "#b3261e", "category": "customer"}),
    );
    let mut queues: Vec<i64> = tag["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_i64().unwrap())
        .collect();
    queues.sort();
    let mut want = vec![sales, overflow];
    want.sort();
    assert_eq!(queues, want, "the tag's queues");

    let user = get(&api, &format!("/api/users/{}", id(ids, "user")));
    holds(
        &user,
        json!({"username": "grace", "first_name": "Grace", "last_name": "Hopper",
               "state": "active", "priority": 3, "has_password": true,
               "profiles": [profile_id(&api, "Agent")], "projects": [p], "queues": [sales]}),
    );

    // The lists: search and the project filter found the queue; the
    // category filter kept the offline status only.
    assert_eq!(created["rows"], json!([sales]));
    assert_eq!(
        created["sorted"],
        json!([sales, overflow]),
        "the project's queues by number, descending"
    );
    let offline = created["offline"].as_array().unwrap();
    assert!(offline.contains(&json!(id(ids, "coaching"))), "{offline:?}");
    assert!(!offline.contains(&json!(id(ids, "lunch"))), "{offline:?}");
    let agents = created["forAgents"].as_array().unwrap();
    assert!(agents.contains(&json!(id(ids, "lunch"))), "{agents:?}");
    assert!(
        !agents.contains(&json!(id(ids, "coaching"))),
        "a supervisor-only status is not an Agent's: {agents:?}"
    );
}

#[test]
fn refusals_show_beside_what_they_name() {
    let (server, api) = server();
    let (admin, _) = administrator(&api);
    let p = project(&api, "Harbour");
    queue(&api, p, "Front desk", "7200");
    let mut b = start(
        &server,
        "admin_console_refusals.mjs",
        &admin,
        json!({"project": p, "projectName": "Harbour"}),
    );
    let refused = b.expect("refused", WAIT);
    b.finish(WAIT);
    let reason = refused["reason"].as_str().unwrap();
    assert!(
        reason.contains("still has 1 queue") && reason.contains("Front desk"),
        "the refused delete shows why: {reason}"
    );
    assert_eq!(
        refused["still"],
        json!(format!("#/projects/{p}")),
        "the form stays open"
    );
    assert_eq!(
        api.get(&format!("/api/projects/{p}")).status,
        200,
        "not deleted"
    );
    assert!(
        !refused["numberError"].as_str().unwrap().is_empty(),
        "{refused}"
    );
    assert_eq!(refused["beside"], "number", "the error sits by its field");
    assert_eq!(
        refused["focused"], "number",
        "focus goes to the first error"
    );
    assert_eq!(
        refused["duplicate"], "already in use",
        "the duplicate name's 409 sits by the name"
    );
}

#[test]
fn warnings_appear_as_the_user_types() {
    let (server, api) = server();
    let (admin, _) = administrator(&api);
    let p = project(&api, "Typing");
    let mut b = start(
        &server,
        "admin_console_warning.mjs",
        &admin,
        json!({"project": p}),
    );
    let warned = b.expect("warned", WAIT);
    b.finish(WAIT);
    assert!(
        warned["timeout"].as_str().unwrap().contains("30"),
        "{warned}"
    );
    assert!(!warned["tag"].as_str().unwrap().is_empty(), "{warned}");
    assert!(
        api.get("/api/queues").json().as_array().unwrap().is_empty(),
        "a check saves nothing"
    );
}

#[test]
fn a_screen_without_its_menu_key_is_neither_listed_nor_opened() {
    let (server, api) = server();
    let profile = make_profile(
        &api,
        "Status keeper",
        &["menu.statuses".into(), "menu.tags".into()],
    );
    make_user(
        &api,
        "keeper",
        "keeper-secret-1",
        json!({"profiles": [profile], "state": "active"}),
    );
    let keeper = Agent {
        login: "keeper".into(),
        password: "keeper-secret-1".into(),
    };
    let mut b = start(&server, "admin_console_menu.mjs", &keeper, json!({}));
    let menu = b.expect("menu", WAIT);
    b.finish(WAIT);
    assert_eq!(menu["screens"], json!(["statuses", "tags"]));
    assert_eq!(menu["text"], "You may not open this screen.");
}

#[test]
fn every_screen_lists_and_opens_at_desktop_and_tablet_width() {
    let (server, api) = server();
    let (admin, me) = administrator(&api);
    // One item of each entity, so every list has a row and an edit form.
    let p = project(&api, "Screens");
    let q = queue(&api, p, "Billing", "7300");
    let post = |path: &str, body: Value| {
        let reply = api.post(path, &body);
        assert_eq!(reply.status, 201, "{path}: {}", reply.body);
        reply.json()
    };
    post(
        "/api/queue-groups",
        json!({"name": "Finance", "queues": [q]}),
    );
    post(
        "/api/statuses",
        json!({"name": "Training", "category": "break"}),
    );
    let code = post(
        "/api/result-codes",
        json!({"display_name": "Paid", "category": "success", "type": "call",
               "flags": {"final_result": true}}),
    );
    post(
        "/api/tags",
        json!({"name": "Refund", "colour": "#1b8a3a", "queues": [q]}),
    );
    post(
        "/api/agent-groups",
        json!({"name": "Day shift", "members": [me["id"]]}),
    );
    post(
        "/api/pickup-groups",
        json!({"name": "Floor 2", "members": [me["id"]]}),
    );
    let trunk = post(
        "/api/trunks",
        json!({"name": "Carrier", "addresses": ["192.0.2.10"]}),
    );
    post("/api/routes", json!({"number": "+15550300", "queue_id": q}));
    post(
        "/api/outbound-routes",
        json!({"project_id": p, "name": "National", "pattern": "_NXXNXXXXXX",
               "trunk_id": trunk["id"]}),
    );
    let mut queue_input = get(&api, &format!("/api/queues/{q}"));
    queue_input["result_codes"] = json!([code["id"]]);
    assert_eq!(
        api.put(&format!("/api/queues/{q}"), &queue_input).status,
        200
    );

    let mut b = start(
        &server,
        "admin_console_screens.mjs",
        &admin,
        json!({"queue": q}),
    );
    let seen = b.expect("screens", Duration::from_secs(240));
    b.finish(WAIT);
    let screens: Vec<&str> = seen["screens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        screens,
        [
            "projects",
            "queues",
            "queue-groups",
            "statuses",
            "result-codes",
            "tags",
            "users",
            "profiles",
            "agent-groups",
            "pickup-groups",
            "trunks",
            "routes",
            "outbound-routes"
        ],
        "the Admin profile opens every screen"
    );
    for s in &screens {
        let one = &seen["seen"][s];
        assert!(one["rows"].as_u64().unwrap() >= 1, "{s}: {one}");
        assert_eq!(
            one["unlabelled"],
            json!([]),
            "{s}: controls without a label"
        );
        for kind in ["list", "new", "edit"] {
            let file = shots().join(format!("{s}-{kind}.png"));
            assert!(file.exists(), "no screenshot {}", file.display());
        }
    }
    // At 800 px the menu is a strip above the screen, the page no wider
    // than the window.
    let (menu, screen) = (&seen["menu"], &seen["screen"]);
    assert!(menu["width"].as_f64().unwrap() >= 780.0, "{menu}");
    assert!(
        screen["y"].as_f64().unwrap()
            >= menu["y"].as_f64().unwrap() + menu["height"].as_f64().unwrap() - 1.0,
        "{menu} {screen}"
    );
    assert_eq!(
        seen["overflow"], false,
        "the page scrolls sideways at 800 px"
    );
}
