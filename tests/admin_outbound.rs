//! Outbound routes through the administration API, against the real server
//! and a real SQLite file: a project's ordered routes (dial pattern, number
//! rewriting, trunk, caller ID) as the running server routes a number
//! (`/api/outbound-routes/match`, which asks call control's own snapshot, so
//! a change shows without a restart), the Dial Plan permission of a user,
//! validation as problem+json, a trunk kept while a route leads to it, and
//! the caller IDs projects and queues set (the route's first, then the
//! queue's for calls made for it, then the project's).

mod common;

use std::time::{Duration, Instant};

use common::http::{assert_problem, created, fields, project, queue, Api};
use serde_json::{json, Value};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

fn trunk(api: &Api, name: &str) -> i64 {
    id(&created(api.post(
        "/api/trunks",
        &json!({"name": name, "addresses": ["192.0.2.10"]}),
    )))
}

/// The match of `number` in `project` (`extra` adds `&queue_id=..` and the like).
fn matched(api: &Api, project: i64, number: &str, extra: &str) -> Value {
    let number = number.replace('+', "%2B");
    let reply = api.get(&format!(
        "/api/outbound-routes/match?project_id={project}&number={number}{extra}"
    ));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// Asks until the running server routes as `expected` (the reload after a
/// write is asynchronous); fails with the last answer after a generous wait.
fn until_matched(api: &Api, project: i64, number: &str, expected: Value) {
    until_matched_with(api, project, number, "", expected)
}

/// As [`until_matched`], with `extra` query parameters (`&queue_id=..`).
fn until_matched_with(api: &Api, project: i64, number: &str, extra: &str, expected: Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = matched(api, project, number, extra);
        if got == expected || Instant::now() > deadline {
            assert_eq!(got, expected, "{number}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn routed(route: i64, trunk: i64, user: &str, caller_id: Option<&str>) -> Value {
    json!({"outcome": "routed", "route_id": route, "trunk_id": trunk,
           "request_uri_user": user, "caller_id": caller_id})
}

fn no_route() -> Value {
    json!({"outcome": "no_route", "route_id": null, "trunk_id": null,
           "request_uri_user": null, "caller_id": null})
}

#[test]
fn a_project_routes_numbers_through_its_first_matching_route() {
    let (_server, api) = common::http::server();
    let p = project(&api, "Outbound");
    let other = project(&api, "Elsewhere");
    let carrier = trunk(&api, "Carrier");
    let backup = trunk(&api, "Backup");

    until_matched(&api, p, "030123456", no_route());
    let national = id(&created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "National", "position": 20, "pattern": "_0N.",
                "strip_digits": 1, "prepend": "+49", "trunk_id": carrier,
                "caller_id": "+49302222"}),
    )));
    let international = id(&created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "International", "position": 10,
                "pattern": "_00.", "strip_digits": 2, "prepend": "+", "trunk_id": backup}),
    )));
    until_matched(
        &api,
        p,
        "030123456",
        routed(national, carrier, "+4930123456", Some("+49302222")),
    );
    // Each write reloads the routes on its own: wait for the last one too.
    until_matched(
        &api,
        p,
        "0049891234",
        routed(international, backup, "+49891234", None),
    );
    assert_eq!(matched(&api, p, "112", ""), no_route());
    assert_eq!(
        matched(&api, other, "030123456", ""),
        no_route(),
        "routes are the project's own"
    );

    // A catch-all placed first takes everything, until it is moved last.
    let all = created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "Everything", "position": 0, "pattern": "_!",
                "trunk_id": backup}),
    ));
    until_matched(
        &api,
        p,
        "030123456",
        routed(id(&all), backup, "030123456", None),
    );
    let mut moved = all.clone();
    moved["position"] = json!(99);
    moved.as_object_mut().unwrap().remove("warnings");
    let put = api.put(&format!("/api/outbound-routes/{}", id(&all)), &moved);
    assert_eq!(put.status, 200, "{}", put.body);
    until_matched(
        &api,
        p,
        "030123456",
        routed(national, carrier, "+4930123456", Some("+49302222")),
    );
    until_matched(&api, p, "112", routed(id(&all), backup, "112", None));

    // The list shows each project's routes in the order they are tried.
    let names: Vec<String> = api
        .get("/api/outbound-routes")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["International", "National", "Everything"]);

    // A trunk a route leads to stays; the refusal names the routes.
    let refused = assert_problem(&api.delete(&format!("/api/trunks/{carrier}")), 409);
    assert!(
        refused["detail"].as_str().unwrap().contains("National"),
        "{refused}"
    );
    assert_eq!(
        api.delete(&format!("/api/outbound-routes/{national}"))
            .status,
        204
    );
    assert_eq!(api.delete(&format!("/api/trunks/{carrier}")).status, 204);
    until_matched(
        &api,
        p,
        "030123456",
        routed(id(&all), backup, "030123456", None),
    );
}

#[test]
fn bad_routes_and_numbers_are_refused_with_the_failing_fields() {
    let (_server, api) = common::http::server();
    let p = project(&api, "Outbound");
    let carrier = trunk(&api, "Carrier");
    let bad = api.post(
        "/api/outbound-routes",
        &json!({"project_id": 424242, "name": "", "pattern": "_0[1-", "strip_digits": 40,
                "prepend": "9a", "trunk_id": 1, "caller_id": "+49 30"}),
    );
    let p422 = assert_problem(&bad, 422);
    assert_eq!(
        fields(&p422),
        [
            "name",
            "strip_digits",
            "pattern",
            "prepend",
            "caller_id",
            "project_id",
            "trunk_id"
        ]
    );
    let too_much = api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "Short", "pattern": "_9X.", "strip_digits": 3,
                "trunk_id": carrier}),
    );
    assert_eq!(fields(&assert_problem(&too_much, 422)), ["strip_digits"]);
    let unknown = api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "x", "pattern": "_X.", "trunk_id": carrier,
                "regex": ".*"}),
    );
    assert_problem(&unknown, 400);
    let body = json!({"project_id": p, "name": "Same", "pattern": "_X.", "trunk_id": carrier});
    created(api.post("/api/outbound-routes", &body));
    assert_problem(&api.post("/api/outbound-routes", &body), 409);

    let not_a_number = api.get(&format!(
        "/api/outbound-routes/match?project_id={p}&number=030%20123"
    ));
    assert_eq!(fields(&assert_problem(&not_a_number, 422)), ["number"]);
    assert_problem(
        &api.get("/api/outbound-routes/match?project_id=x&number=1"),
        400,
    );
    assert_problem(&api.get("/api/outbound-routes/match?number=1"), 400);
}

#[test]
fn a_user_dials_only_through_the_routes_their_profile_allows() {
    let (_server, api) = common::http::server();
    let p = project(&api, "Outbound");
    let carrier = trunk(&api, "Carrier");
    let local = id(&created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "Local", "position": 1, "pattern": "_[2-8]XXXXX",
                "trunk_id": carrier}),
    )));
    let premium = id(&created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "Premium", "position": 0, "pattern": "_900XXX",
                "trunk_id": carrier}),
    )));
    let profile = id(&created(api.post(
        "/api/profiles",
        &json!({"name": "Local caller",
                "permissions": ["other.outbound_calls", format!("dial_plan.route.{local}")]}),
    )));
    let user = id(&created(api.post(
        "/api/users",
        &json!({"username": "outbound", "first_name": "O", "last_name": "B",
                "profiles": [profile], "projects": [p]}),
    )));
    until_matched(&api, p, "900123", routed(premium, carrier, "900123", None));
    let as_user = format!("&user_id={user}");
    assert_eq!(
        matched(&api, p, "900123", &as_user)["outcome"],
        "not_allowed",
        "Premium takes the number first, and the user may not use it; Local does not take it"
    );
    assert_eq!(
        matched(&api, p, "555123", &as_user),
        routed(local, carrier, "555123", None)
    );

    let put = api.put(
        &format!("/api/profiles/{profile}"),
        &json!({"name": "Local caller",
                "permissions": ["other.outbound_calls", "dial_plan.route.all"]}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        matched(&api, p, "900123", &as_user),
        routed(premium, carrier, "900123", None)
    );
    let bad_key = api.put(
        &format!("/api/profiles/{profile}"),
        &json!({"name": "Local caller", "permissions": ["dial_plan.route.x"]}),
    );
    assert_problem(&bad_key, 422);
}

#[test]
fn projects_and_queues_set_the_caller_id_their_routes_leave_unset() {
    let (_server, api) = common::http::server();
    let p = project(&api, "Outbound");
    let q = queue(&api, p, "Sales", "6200");
    let carrier = trunk(&api, "Carrier");
    let national = id(&created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "National", "pattern": "_0N.", "trunk_id": carrier,
                "caller_id": "+49302222"}),
    )));
    let other = id(&created(api.post(
        "/api/outbound-routes",
        &json!({"project_id": p, "name": "Other", "position": 9, "pattern": "_X.",
                "trunk_id": carrier}),
    )));
    until_matched(&api, p, "5550100", routed(other, carrier, "5550100", None));

    let mut project_body = api.get(&format!("/api/projects/{p}")).json();
    assert_eq!(project_body["caller_id"], Value::Null);
    project_body["caller_id"] = json!("+49300000");
    let put = api.put(&format!("/api/projects/{p}"), &project_body);
    assert_eq!(put.status, 200, "{}", put.body);
    let mut queue_body = api.get(&format!("/api/queues/{q}")).json();
    queue_body["caller_id"] = json!("49307777");
    let put = api.put(&format!("/api/queues/{q}"), &queue_body);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        api.get(&format!("/api/queues/{q}")).json()["caller_id"],
        "49307777"
    );

    let for_queue = format!("&queue_id={q}");
    let table = [
        ("030123", "", national, "+49302222"),
        ("030123", for_queue.as_str(), national, "+49302222"),
        ("5550100", "", other, "+49300000"),
        ("5550100", for_queue.as_str(), other, "49307777"),
    ];
    for (number, extra, route, caller_id) in table {
        until_matched_with(
            &api,
            p,
            number,
            extra,
            routed(route, carrier, number, Some(caller_id)),
        );
    }

    // Unset again, the trunk decides.
    project_body["caller_id"] = Value::Null;
    let put = api.put(&format!("/api/projects/{p}"), &project_body);
    assert_eq!(put.status, 200, "{}", put.body);
    until_matched(&api, p, "5550100", routed(other, carrier, "5550100", None));

    for bad in [
        "+49 30",
        "",
        "0049-30",
        "+",
        "1234567890123456789012345678901234",
    ] {
        let mut body = project_body.clone();
        body["caller_id"] = json!(bad);
        let refused = assert_problem(&api.put(&format!("/api/projects/{p}"), &body), 422);
        assert_eq!(fields(&refused), ["caller_id"], "{bad:?}");
        let mut body = queue_body.clone();
        body["caller_id"] = json!(bad);
        let refused = assert_problem(&api.put(&format!("/api/queues/{q}"), &body), 422);
        assert_eq!(fields(&refused), ["caller_id"], "{bad:?}");
    }
    let refused = assert_problem(
        &api.post(
            "/api/projects",
            &json!({"name": "Bad", "caller_id": "call me"}),
        ),
        422,
    );
    assert_eq!(fields(&refused), ["caller_id"]);
}

#[test]
fn a_trunk_s_outbound_destination_is_kept_or_refused_with_its_field() {
    let (_server, api) = common::http::server();
    let made = created(api.post(
        "/api/trunks",
        &json!({"name": "Carrier", "addresses": ["192.0.2.10"],
                "outbound_destination": "sbc.carrier.example:5080;transport=tcp"}),
    ));
    assert_eq!(
        made["outbound_destination"],
        "sbc.carrier.example:5080;transport=tcp"
    );
    let at = format!("/api/trunks/{}", id(&made));
    let mut body = api.get(&at).json();
    assert_eq!(body["outbound_destination"], made["outbound_destination"]);
    for bad in [
        "sip:carrier",
        "carrier:0",
        "carrier:70000",
        "carrier;transport=tls",
        "2001:db8::1",
        "",
    ] {
        body["outbound_destination"] = json!(bad);
        let refused = assert_problem(&api.put(&at, &body), 422);
        assert_eq!(fields(&refused), ["outbound_destination"], "{bad:?}");
    }
    body["outbound_destination"] = Value::Null;
    let put = api.put(&at, &body);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(api.get(&at).json()["outbound_destination"], Value::Null);
}
