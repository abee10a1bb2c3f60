//! The agent panel's part of the stored rules: queue groups chosen at login
//! (API and browser) and the chime of a status with Play Sound (browser).

use std::time::Duration;

use serde_json::{json, Value};

use super::change_user;
use crate::common::browser::{browser_agent, Browser};
use crate::common::calls::*;
use crate::common::http::{assert_problem, created, fields, Api};
use crate::common::users::{as_user, id, profile_id, token};
use crate::common::TestServer;

const MINUTE: Duration = Duration::from_secs(60);

/// The demo project with two more queues 1001 serves (Sales and Billing, not
/// mandatory; Support stays mandatory) and a queue group "Sales desk" of
/// Sales (and Chat, a queue 1001 does not serve). Ids: (project, support,
/// sales, billing, group).
fn grouped_demo(server: &TestServer, api: &Api) -> (i64, i64, i64, i64, i64) {
    let support = demo_queue(api);
    let project = support["project_id"].as_i64().unwrap();
    let support = support["id"].as_i64().unwrap();
    let make = |name: &str, number: &str| {
        id(&created(api.post(
            "/api/queues",
            &json!({"project_id": project, "name": name, "number": number}),
        )))
    };
    let (sales, billing, chat) = (
        make("Sales", "610"),
        make("Billing", "611"),
        make("Chat", "612"),
    );
    let group = id(&created(api.post(
        "/api/queue-groups",
        &json!({"name": "Sales desk", "queues": [sales, chat]}),
    )));
    change_user(
        server,
        api,
        "1001",
        json!({"password": "secret-1001", "profiles": [profile_id(api, "Agent")],
               "queues": [support, sales, billing]}),
    );
    (project, support, sales, billing, group)
}

fn queue_ids(state: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = state["queues"].as_array().unwrap().iter().map(id).collect();
    ids.sort();
    ids
}

#[test]
fn an_agent_chooses_queue_groups_at_login_and_serves_only_their_queues() {
    let (server, api) = demo("");
    let (project, support, sales, _billing, group) = grouped_demo(&server, &api);
    let me = as_user(&server, &token(&server, "1001", "secret-1001", None));

    let offered = me
        .get(&format!("/api/agent/projects/{project}/queue-groups"))
        .json();
    assert_eq!(
        offered,
        json!([{"id": group, "name": "Sales desk", "queues": [sales]}]),
        "only the served queues of the group"
    );

    let p = assert_problem(
        &me.post(
            "/api/agent/login",
            &json!({"project": project, "queue_groups": [group, 999_999]}),
        ),
        422,
    );
    assert_eq!(fields(&p), ["queue_groups[1]"], "{p}");

    let reply = me.post(
        "/api/agent/login",
        &json!({"project": project, "queue_groups": [group]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut want = vec![support, sales];
    want.sort();
    assert_eq!(
        queue_ids(&reply.json()),
        want,
        "the group's queue and the mandatory one"
    );
}

#[test]
fn the_panel_offers_queue_groups_at_login_in_the_browser() {
    let (server, api) = demo("");
    let (_project, support, sales, _billing, group) = grouped_demo(&server, &api);
    let agent = browser_agent(&server, &api, "1001");
    let mut browser = Browser::start(
        &server,
        "queue_groups.mjs",
        &[&agent],
        json!({"group": group}),
    );
    let working = browser.expect("working", MINUTE);
    let mut want = vec![support, sales];
    want.sort();
    let sorted = |v: &Value| {
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(sorted(&working["ticked"]), want, "{working}");
    assert_eq!(sorted(&working["served"]), want, "{working}");
    browser.finish(MINUTE);
}

#[test]
fn the_panel_chimes_on_entering_a_status_that_plays_a_sound() {
    let (server, api) = demo("");
    let status = |name: &str, play_sound: bool| {
        created(api.post(
            "/api/statuses",
            &json!({"category": "break", "name": name, "agent_changeable": true,
                    "play_sound": play_sound}),
        ))
    };
    status("Paperwork", false);
    let loud = status("Urgent break", true);
    assert_eq!(loud["play_sound"], true);
    let agent = browser_agent(&server, &api, "1001");
    let mut browser = Browser::start(
        &server,
        "status_sound.mjs",
        &[&agent],
        json!({"quiet": "Paperwork", "loud": "Urgent break"}),
    );
    let chimed = browser.expect("chimed", MINUTE);
    assert_eq!(chimed["chimes"], 1, "{chimed}");
    assert!(chimed["played"].as_u64().unwrap() >= 1, "{chimed}");
    assert!(
        chimed["playedSeconds"].as_f64().unwrap() > 0.2,
        "the whole chime: {chimed}"
    );
    browser.finish(MINUTE);
}
