//! IVR menus end to end: menus and a route made through the admin API, SIPp
//! as the caller pressing keys with RFC 4733 events, SIPp as the agent's
//! phone, and the record each call leaves in the real database file
//! (IvrWaitLength, IvrEvent).

mod common;

use std::time::Duration;

use common::calls::*;
use common::http::Api;
use serde_json::{json, Value};
use switchboard::cdr::{Disposition, TerminateSide};

/// The number routed to the main menu.
const MENU_DID: &str = "+15550111";

/// Makes the menus Main (1: the demo queue, 2: Sales) and Sales (3: hang
/// up), with Main's timeout, repeat count and invalid-key prompt as given,
/// and routes [`MENU_DID`] to Main. Returns Main's id.
fn menus(api: &Api, main: Value) -> i64 {
    let queue = demo_queue(api);
    let project = &queue["project_id"];
    let sales = api.post(
        "/api/ivr-menus",
        &json!({"project_id": project, "name": "Sales",
                "prompt": "prompts/en/press-1-callback",
                "options": {"3": {"kind": "hangup"}}}),
    );
    assert_eq!(sales.status, 201, "{}", sales.body);
    let sales = sales.json()["id"].as_i64().unwrap();
    let mut body = json!({"project_id": project, "name": "Main",
        "prompt": "prompts/en/thank-you-for-holding",
        "options": {"1": {"kind": "queue", "queue_id": queue["id"]},
                    "2": {"kind": "menu", "menu_id": sales}},
        "fallback": {"kind": "hangup"}});
    for (k, v) in main.as_object().unwrap() {
        body[k] = v.clone();
    }
    let made = api.post("/api/ivr-menus", &body);
    assert_eq!(made.status, 201, "{}", made.body);
    let main = made.json()["id"].as_i64().unwrap();
    let route = api.post(
        "/api/routes",
        &json!({"number": MENU_DID, "destination": {"kind": "menu", "menu_id": main}}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    // The change reaches call control through the reload that follows.
    std::thread::sleep(Duration::from_millis(300));
    main
}

#[test]
fn key_1_leads_to_the_queue_and_the_answered_record_carries_the_walk() {
    let (server, api) = demo("");
    menus(&api, json!({}));
    let _phones = Phones::start(&server, &["1001"], "agent_hangup.xml");
    let run = call(&server, "queue_caller_dtmf.xml", MENU_DID, &["-d", "1500"]);
    assert_sipp_ok(&run, "the caller (answered, then the agent hangs up)");
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.ivr_event.as_deref(), Some("Main:1"));
    assert!(r.ivr_wait_length >= Duration::from_secs(1), "{r:#?}");
    assert_eq!(r.local_number, MENU_DID);
    assert_eq!(r.queue.map(|q| q.0 as i64), demo_queue(&api)["id"].as_i64());
    assert_eq!(server.metric("switchboard_call_ivr_calls_total"), 1);
}

#[test]
fn key_2_leads_to_the_sub_menu_whose_key_3_hangs_up() {
    let (server, api) = demo("");
    menus(&api, json!({}));
    let run = call(&server, "ivr_caller_2_3.xml", MENU_DID, &["-d", "1000"]);
    assert_sipp_ok(&run, "the caller (who hears goodbye and a BYE)");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.ivr_event.as_deref(), Some("Main:2,Sales:3"), "{r:#?}");
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
    assert_eq!(r.queue, None);
    assert!(r.ivr_wait_length >= Duration::from_secs(3), "{r:#?}");
}

#[test]
fn no_key_replays_the_menu_then_takes_the_fallback() {
    let (server, api) = demo("");
    menus(&api, json!({"timeout_secs": 1, "repeat_count": 1}));
    // The menu plays twice with its timeouts, then the goodbye: longer
    // than SIPp's default wait for one message.
    let run = call(
        &server,
        "queue_caller_waits.xml",
        MENU_DID,
        &["-recv_timeout", "60s"],
    );
    assert_sipp_ok(&run, "the caller (who hears the menu twice, then a BYE)");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(
        r.ivr_event.as_deref(),
        Some("Main:timeout,Main:timeout,Main:fallback"),
        "{r:#?}"
    );
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
}

#[test]
fn a_wrong_key_hears_the_invalid_prompt_then_the_fallback() {
    let (server, api) = demo("");
    menus(
        &api,
        json!({"repeat_count": 0, "invalid_prompt": "prompts/en/beep",
               "fallback": {"kind": "hangup"}}),
    );
    let run = call(&server, "ivr_caller_9.xml", MENU_DID, &["-d", "1000"]);
    assert_sipp_ok(&run, "the caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(
        r.ivr_event.as_deref(),
        Some("Main:invalid,Main:fallback"),
        "{r:#?}"
    );
}

#[test]
fn menus_are_checked_and_kept_while_named() {
    let (_server, api) = demo("");
    let main = menus(&api, json!({}));
    let bad = api.post(
        "/api/ivr-menus",
        &json!({"project_id": demo_queue(&api)["project_id"], "name": "Bad",
                "prompt": "../secret", "timeout_secs": 0,
                "options": {"x": {"kind": "queue", "queue_id": 1}}}),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.header("content-type"), Some("application/problem+json"));
    let mut fields: Vec<String> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["options.x", "options.x.queue_id", "prompt", "timeout_secs"]
    );
    let gone = api.delete(&format!("/api/ivr-menus/{main}"));
    assert_eq!(gone.status, 409, "a routed menu stays: {}", gone.body);
    let listed = api.get("/api/ivr-menus").json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let main_menu = api.get(&format!("/api/ivr-menus/{main}")).json();
    assert_eq!(main_menu["options"]["2"]["kind"], "menu");
}

/// Routes `number` to a time condition of the demo project with `weekly`
/// hours: open leads to the demo queue, closed to a goodbye and hang-up.
fn condition(api: &Api, number: &str, weekly: Value) {
    let queue = demo_queue(api);
    let made = api.post(
        "/api/time-conditions",
        &json!({"project_id": queue["project_id"], "name": format!("Hours {number}"),
                "weekly": weekly, "holidays": ["2020-01-01"],
                "open": {"kind": "queue", "queue_id": queue["id"]},
                "closed": {"kind": "hangup"}}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_i64().unwrap();
    let route = api.post(
        "/api/routes",
        &json!({"number": number, "destination": {"kind": "condition", "condition_id": id}}),
    );
    assert_eq!(route.status, 201, "{}", route.body);
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn a_closed_time_condition_says_goodbye_and_an_open_one_leads_to_the_queue() {
    let (server, api) = demo("");
    let every_day: serde_json::Map<String, Value> = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|d| (d.to_string(), json!(["00:00-24:00"])))
    .collect();
    condition(&api, "+15550121", json!({}));
    condition(&api, "+15550122", Value::Object(every_day));

    let closed = call(&server, "queue_caller_waits.xml", "+15550121", &[]);
    assert_sipp_ok(&closed, "the caller (goodbye and BYE while closed)");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.ivr_event.as_deref(), Some("Hours +15550121:closed"));
    assert_eq!(r.queue, None);

    let _phones = Phones::start(&server, &["1001"], "agent_hangup.xml");
    let open = call(&server, "queue_caller_waits.xml", "+15550122", &[]);
    assert_sipp_ok(&open, "the caller (answered while open)");
    let records = completed_records(&server, 2);
    let r = &records
        .iter()
        .find(|r| r.record.local_number == "+15550122")
        .expect("the open call's record")
        .record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.ivr_event.as_deref(), Some("Hours +15550122:open"));
}

#[test]
fn a_blacklisted_caller_is_refused_or_hears_a_prompt() {
    let (server, api) = demo("");
    let queue = demo_queue(&api);
    let project = &queue["project_id"];
    // The SIPp caller is +15551.
    let refuse = api.post(
        "/api/blacklist",
        &json!({"project_id": project, "number": "+1555*"}),
    );
    assert_eq!(refuse.status, 201, "{}", refuse.body);
    std::thread::sleep(Duration::from_millis(300));
    let run = call(&server, "caller_forbidden.xml", DID, &[]);
    assert_sipp_ok(&run, "the blacklisted caller (403)");
    assert_eq!(server.metric("switchboard_call_blacklisted_total"), 1);

    let id = refuse.json()["id"].as_i64().unwrap();
    let prompt = api.put(
        &format!("/api/blacklist/{id}"),
        &json!({"project_id": project, "number": "+15551", "action": "prompt",
                "prompt": "prompts/en/goodbye"}),
    );
    assert_eq!(prompt.status, 200, "{}", prompt.body);
    let bad = api.post(
        "/api/blacklist",
        &json!({"project_id": project, "number": "anonymous", "action": "prompt"}),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    std::thread::sleep(Duration::from_millis(300));
    let run = call(&server, "queue_caller_waits.xml", DID, &[]);
    assert_sipp_ok(&run, "the blacklisted caller (a prompt and BYE)");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.ivr_event.as_deref(), Some("blacklist"));
    assert_eq!(r.queue, None);
    assert_eq!(server.metric("switchboard_call_blacklisted_total"), 2);
}

/// The demo queue's timeout sends its waiting caller, still connected, to a
/// menu: the queue's record says so, the menu's walk has a record of its
/// own, and the menu cannot be deleted while the queue exits to it.
#[test]
fn a_queue_timeout_takes_the_waiting_caller_to_a_menu() {
    let (server, api) = demo("");
    let queue = demo_queue(&api);
    let made = api.post(
        "/api/ivr-menus",
        &json!({"project_id": queue["project_id"], "name": "After",
                "prompt": "prompts/en/thank-you-for-holding",
                "timeout_secs": 1, "repeat_count": 0, "fallback": {"kind": "hangup"}}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let menu = made.json()["id"].as_i64().unwrap();
    let changed = change_demo_queue(
        &api,
        json!({"exit_kind": "menu", "exit_menu_id": menu,
               "queue_timeout_secs": 30, "position_announcement": "none"}),
    );
    assert_eq!(changed["exit_menu_id"], menu);
    let mut without = demo_queue(&api);
    without["exit_menu_id"] = Value::Null;
    let refused = api.put(
        &format!("/api/queues/{}", without["id"]),
        &queue_input(&without),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    std::thread::sleep(Duration::from_millis(300));

    let run = call(
        &server,
        "queue_caller_waits.xml",
        DID,
        &["-recv_timeout", "60s"],
    );
    assert_sipp_ok(&run, "the caller (queue, then the menu, then a BYE)");
    let mut records = completed_records(&server, 2);
    records.sort_by_key(|r| r.record.init_moment);
    assert_eq!(records.len(), 2, "{records:#?}");
    let (queued, walked) = (&records[0].record, &records[1].record);
    assert_eq!(
        queued.disposition,
        Some(Disposition::RedirectedByQueueTimeout),
        "{queued:#?}"
    );
    let shown = api
        .get(&format!("/api/interactions/{}", queued.interaction_id.0))
        .json();
    assert_eq!(shown["TransferTarget"], format!("menu-{menu}"));
    assert_eq!(
        walked.ivr_event.as_deref(),
        Some("After:timeout,After:fallback")
    );
    assert_eq!(walked.queue, None);
    assert_eq!(walked.terminate_side, Some(TerminateSide::System));
    assert_ne!(queued.interaction_id, walked.interaction_id);

    let kept = api.delete(&format!("/api/ivr-menus/{menu}"));
    assert_eq!(kept.status, 409, "{}", kept.body);
    assert!(kept.body.contains("exit to it"), "{}", kept.body);
}

/// Key 1 leads to agent 1001's extension: their phone rings, answers and
/// hangs up, and the caller is hung up in turn. Then key 1 leads to a
/// number no outbound route takes: goodbye. The record's walk says how each went.
#[test]
fn a_key_rings_an_extension_and_connects_the_caller() {
    let (server, api) = demo("");
    let main = menus(
        &api,
        json!({"options": {"1": {"kind": "extension", "extension": "1001"}}}),
    );
    let _phones = Phones::start(&server, &["1001"], "agent_hangup.xml");
    let run = call(&server, "queue_caller_dtmf.xml", MENU_DID, &["-d", "1500"]);
    assert_sipp_ok(&run, "the caller (connected to 1001, who hangs up)");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(
        r.ivr_event.as_deref(),
        Some("Main:1,extension-1001:answered"),
        "{r:#?}"
    );
    assert_eq!(r.terminate_side, Some(TerminateSide::System));

    let path = format!("/api/ivr-menus/{main}");
    let mut menu = api.get(&path).json();
    menu["options"]["1"] = json!({"kind": "number", "number": "+4930123456"});
    let changed = api.put(&path, &menu);
    assert_eq!(changed.status, 200, "{}", changed.body);
    std::thread::sleep(Duration::from_millis(300));
    let run = call(&server, "queue_caller_dtmf.xml", MENU_DID, &["-d", "1500"]);
    assert_sipp_ok(&run, "the caller (who hears goodbye and a BYE)");
    let records = completed_records(&server, 2);
    let events: Vec<_> = records
        .iter()
        .filter_map(|r| r.record.ivr_event.clone())
        .collect();
    assert!(
        events.contains(&"Main:1,external-+4930123456:unreachable".to_owned()),
        "{events:?}"
    );
    assert_eq!(server.metric("switchboard_call_ivr_unreachable_total"), 1);
}
