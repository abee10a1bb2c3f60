//! Users over real HTTP against the real server and a real SQLite file: the
//! user rules with nothing half-saved, CSV import with bad rows (nothing
//! imported) and the export round trip, extensions, agent and pickup groups,
//! an extension the registrar then takes, and the answers of these
//! operations against the OpenAPI document.

mod common;

use common::http::{
    assert_problem, created, fields, project, queue, request, request_typed, server, Reply,
};
use common::users::{id, login, make_user, profile_id, token};
use serde_json::json;

#[test]
fn users_are_checked_and_nothing_is_half_saved() {
    let (_server, api) = server();
    let agent = profile_id(&api, "Agent");
    let bad = assert_problem(
        &api.post(
            "/api/users",
            &json!({"username": "a b", "first_name": "", "last_name": "L", "password": "short",
                    "priority": 101, "state": "sleepy", "profiles": []}),
        ),
        422,
    );
    assert_eq!(
        fields(&bad),
        [
            "username",
            "first_name",
            "password",
            "priority",
            "state",
            "profiles"
        ]
    );
    let missing = assert_problem(
        &api.post("/api/users", &json!({"username": "x", "first_name": "F"})),
        400,
    );
    assert_eq!(fields(&missing), ["last_name"]);
    let refs = assert_problem(
        &api.post(
            "/api/users",
            &json!({"username": "x", "first_name": "F", "last_name": "L",
                    "profiles": [agent, 424242], "projects": [5], "queues": [6]}),
        ),
        422,
    );
    assert_eq!(fields(&refs), ["projects[0]", "profiles[1]", "queues[0]"]);

    let user = make_user(&api, "ada", "correct horse", json!({"priority": 7}));
    assert_eq!(user["state"], "new");
    assert_eq!(user["priority"], 7);
    assert_eq!(user["has_password"], true);
    assert!(user.get("password").is_none() && !user.to_string().contains("argon2"));
    let uid = id(&user);
    let dup = assert_problem(
        &api.post(
            "/api/users",
            &json!({"username": "ada", "first_name": "A", "last_name": "B", "profiles": [agent]}),
        ),
        409,
    );
    assert_eq!(fields(&dup), ["username"]);

    // A refused replace changes nothing.
    let refused = api.put(
        &format!("/api/users/{uid}"),
        &json!({"username": "ada2", "first_name": "A", "last_name": "B",
                "profiles": [agent], "queues": [31337]}),
    );
    assert_problem(&refused, 422);
    let kept = api.get(&format!("/api/users/{uid}")).json();
    assert_eq!(kept["username"], "ada");
    assert_eq!(kept["first_name"], "Ada");

    assert_problem(&api.get("/api/users/999999"), 404);
    assert_problem(
        &api.put(
            "/api/users/999999",
            &json!({"username": "g", "first_name": "G", "last_name": "G", "profiles": [agent]}),
        ),
        404,
    );
    // A profile given to a user cannot be deleted.
    assert_problem(&api.delete(&format!("/api/profiles/{agent}")), 409);
    assert_eq!(api.delete(&format!("/api/users/{uid}")).status, 204);
    assert_problem(&api.delete(&format!("/api/users/{uid}")), 404);
}

const GOOD_AND_BAD: &str = "username,first_name,last_name,profiles,projects,priority,password\n\
    csv1,Ann,One,Agent,Import,5,password one\n\
    csv2,Bob,,Agent,Import,5,\n\
    csv3,Cid,Three,Nobody,,x,\n\
    csv1,Dup,Four,Agent;Supervisor,,,\n\
    \"csv5\",\"Eve, Jr.\",Five,,,,\n\
    csv6,Fay,Six\n";

#[test]
fn a_csv_import_with_bad_rows_imports_nothing_and_names_every_bad_row() {
    let (server, api) = server();
    project(&api, "Import");
    let before = api.get("/api/users").json().as_array().unwrap().len();
    let csv = |text: &str| {
        request_typed(
            server.http,
            "POST",
            "/api/users/import",
            Some(&api.token),
            "text/csv",
            Some(text),
        )
    };
    let bad = assert_problem(&csv(GOOD_AND_BAD), 422);
    assert_eq!(
        fields(&bad),
        [
            "line 3.last_name",
            "line 4.profiles",
            "line 4.priority",
            "line 5.username",
            "line 6.profiles",
            "line 7"
        ]
    );
    assert_eq!(
        api.get("/api/users").json().as_array().unwrap().len(),
        before
    );

    let header = assert_problem(&csv("username,first_name\nx,y\n"), 422);
    assert_eq!(fields(&header), ["line 1", "line 1"]);
    assert_problem(&csv(""), 422);
    assert_problem(
        &request_typed(
            server.http,
            "POST",
            "/api/users/import",
            Some(&api.token),
            "application/json",
            Some("{}"),
        ),
        415,
    );

    let good = "username,first_name,last_name,profiles,projects,priority,state,password\r\n\
        csv1,Ann,One,Agent,Import,5,,password one\r\n\
        csv2,\"Bob, \"\"B\"\"\",Two,Agent;Supervisor,,0,passive,\r\n";
    let done = csv(good);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.json()["imported"], 2);
    assert_eq!(
        api.get("/api/users").json().as_array().unwrap().len(),
        before + 2
    );
    // The imported password works.
    token(&server, "csv1", "password one", None);
    // Importing the same users again is refused as a whole.
    let again = assert_problem(&csv(good), 422);
    assert_eq!(fields(&again), ["line 2.username", "line 3.username"]);

    // Export, and the export imports into a fresh server as the same users.
    let export = api.get("/api/users/export");
    assert_eq!(export.status, 200);
    assert!(export
        .header("content-type")
        .unwrap()
        .starts_with("text/csv"));
    let ours = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("csv") || l.starts_with("username"))
            .map(str::to_owned)
            .collect()
    };
    let exported = ours(&export.body);
    assert_eq!(
        exported,
        [
            "username,first_name,last_name,state,priority,profiles,projects",
            "csv1,Ann,One,active,5,Agent,Import",
            "csv2,\"Bob, \"\"B\"\"\",Two,passive,0,Agent;Supervisor,",
        ]
    );
    let (fresh, fresh_api) = common::http::server();
    project(&fresh_api, "Import");
    let text = exported.join("\n");
    let imported = request_typed(
        fresh.http,
        "POST",
        "/api/users/import",
        Some(&fresh_api.token),
        "text/csv",
        Some(&text),
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(ours(&fresh_api.get("/api/users/export").body), exported);
}

#[test]
fn extensions_and_groups_belong_to_users() {
    let (_server, api) = server();
    let ada = id(&make_user(&api, "ada", "ada password", json!({})));
    let bob = id(&make_user(&api, "bob", "bob password", json!({})));
    let set = api.put(
        &format!("/api/users/{ada}/extensions/2001"),
        &json!({"password": "sip secret"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["extensions"], json!(["2001"]));
    let taken = assert_problem(
        &api.put(
            &format!("/api/users/{bob}/extensions/2001"),
            &json!({"password": "sip secret"}),
        ),
        409,
    );
    assert_eq!(fields(&taken), ["sip_username"]);
    let bad = assert_problem(
        &api.put(
            &format!("/api/users/{bob}/extensions/a%20b"),
            &json!({"password": "x"}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["sip_username", "password"]);
    assert_problem(
        &api.put(
            "/api/users/4242/extensions/2002",
            &json!({"password": "sip secret"}),
        ),
        404,
    );
    assert_eq!(
        api.delete(&format!("/api/users/{ada}/extensions/2001"))
            .status,
        204
    );
    assert_problem(
        &api.delete(&format!("/api/users/{ada}/extensions/2001")),
        404,
    );

    for resource in ["agent-groups", "pickup-groups"] {
        let path = format!("/api/{resource}");
        let g = created(api.post(&path, &json!({"name": "Day", "members": [ada, bob]})));
        assert_eq!(g["members"].as_array().unwrap().len(), 2);
        let dup = assert_problem(&api.post(&path, &json!({"name": "Day"})), 409);
        assert_eq!(fields(&dup), ["name"]);
        let bad = assert_problem(
            &api.post(&path, &json!({"name": "Night", "members": [ada, ada, 99]})),
            422,
        );
        assert_eq!(fields(&bad), ["members[1]", "members[2]"]);
    }
    assert_eq!(api.delete(&format!("/api/users/{bob}")).status, 204);
    for resource in ["agent-groups", "pickup-groups"] {
        let list = api.get(&format!("/api/{resource}")).json();
        assert_eq!(list[0]["members"], json!([ada]), "{resource}");
        let gid = id(&list[0]);
        assert_eq!(api.delete(&format!("/api/{resource}/{gid}")).status, 204);
        assert_problem(&api.get(&format!("/api/{resource}/{gid}")), 404);
    }
}

/// A list shows each item as the item's own address does: the lists read
/// their link tables (projects, profiles, queues, extensions, members,
/// result codes) once for all items, and must hand each item its own.
#[test]
fn every_list_shows_each_item_as_its_own_address_does() {
    let (_server, api) = server();
    let (p1, p2) = (project(&api, "North"), project(&api, "South"));
    let queues: Vec<i64> = (0..3)
        .map(|i| queue(&api, [p1, p2][i % 2], &format!("Q{i}"), &format!("70{i}")))
        .collect();
    let codes: Vec<i64> = ["Sold", "No answer"]
        .iter()
        .map(|name| {
            id(&created(api.post(
                "/api/result-codes",
                &json!({"category": "success", "type": "call", "display_name": name}),
            )))
        })
        .collect();
    let coded = api.get(&format!("/api/queues/{}", queues[1])).json();
    let mut replaced = coded.clone();
    replaced["result_codes"] = json!([codes[1], codes[0]]);
    replaced.as_object_mut().unwrap().remove("id");
    assert_eq!(
        api.put(&format!("/api/queues/{}", queues[1]), &replaced)
            .status,
        200
    );
    created(api.post(
        "/api/profiles",
        &json!({"name": "Night", "permissions": ["status.change", "menu.agent_panel"],
                "result_codes": [codes[0]]}),
    ));
    let (agent, supervisor) = (profile_id(&api, "Agent"), profile_id(&api, "Supervisor"));
    let mut users = Vec::new();
    for (i, name) in ["ada", "bob", "cy"].iter().enumerate() {
        let links = match i {
            0 => json!({"projects": [p1, p2], "profiles": [agent, supervisor], "queues": queues}),
            1 => json!({"projects": [p2], "profiles": [agent], "queues": [queues[2]]}),
            _ => json!({"profiles": [supervisor]}),
        };
        let user = id(&make_user(&api, name, &format!("{name} password"), links));
        for n in 0..(2 - i.min(2)) {
            let ext = format!("/api/users/{user}/extensions/{}{n}", 300 + i);
            assert_eq!(
                api.put(&ext, &json!({"password": "sip secret"})).status,
                200
            );
        }
        users.push(user);
    }
    created(api.post(
        "/api/tags",
        &json!({"name": "VIP", "colour": "#aa0000", "queues": [queues[2], queues[0]]}),
    ));
    created(api.post("/api/tags", &json!({"name": "Lost", "colour": "#00aa00"})));
    created(api.post(
        "/api/queue-groups",
        &json!({"name": "All", "queues": [queues[2], queues[0]]}),
    ));
    created(api.post(
        "/api/agent-groups",
        &json!({"name": "Day", "members": [users[1], users[0]]}),
    ));
    created(api.post(
        "/api/pickup-groups",
        &json!({"name": "Floor", "members": [users[2]]}),
    ));

    for resource in [
        "users",
        "queues",
        "tags",
        "profiles",
        "queue-groups",
        "agent-groups",
        "pickup-groups",
    ] {
        let list = api.get(&format!("/api/{resource}")).json();
        let items = list.as_array().unwrap();
        assert!(!items.is_empty(), "{resource}");
        for item in items {
            let one = api.get(&format!("/api/{resource}/{}", id(item))).json();
            assert_eq!(item, &one, "{resource}");
        }
    }
    let listed = api.get("/api/users").json();
    let ada = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ada")
        .unwrap();
    assert_eq!(ada["extensions"], json!(["3000", "3001"]));
    assert_eq!(ada["queues"].as_array().unwrap().len(), 3);
    let listed = api.get("/api/queues").json();
    let q1 = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|q| id(q) == queues[1])
        .unwrap();
    assert_eq!(q1["result_codes"], json!([codes[1], codes[0]]));
}

/// The answers of the operations this file covers match the OpenAPI document.
#[test]
fn the_user_operations_answer_what_the_document_says() {
    let (server, api) = server();
    let doc = api.get("/api/openapi.json").json();
    let mut failures = Vec::new();
    let mut check = |method: &str, path: &str, reply: &Reply| {
        if reply.header("content-type") == Some("text/csv; charset=utf-8") {
            return;
        }
        for f in common::http::conformance(&doc, method, path, reply) {
            failures.push(format!("{method} {path} {}: {f}", reply.status));
        }
    };
    let p = project(&api, "Doc");
    let agent = profile_id(&api, "Agent");
    let user = make_user(&api, "doc", "doc password", json!({"projects": [p]}));
    let uid = id(&user);
    check("GET", "/api/users", &api.get("/api/users"));
    check(
        "GET",
        "/api/users/{id}",
        &api.get(&format!("/api/users/{uid}")),
    );
    check("GET", "/api/profiles", &api.get("/api/profiles"));
    check("GET", "/api/permissions", &api.get("/api/permissions"));
    check(
        "GET",
        "/api/users/{id}/permissions",
        &api.get(&format!("/api/users/{uid}/permissions?project={p}")),
    );
    check(
        "PUT",
        "/api/users/{id}/extensions/{sip_username}",
        &api.put(
            &format!("/api/users/{uid}/extensions/3003"),
            &json!({"password": "sip secret"}),
        ),
    );
    check(
        "POST",
        "/api/users",
        &api.post("/api/users", &json!({"username": "", "profiles": [agent]})),
    );
    check(
        "POST",
        "/api/agent-groups",
        &api.post("/api/agent-groups", &json!({"name": "G", "members": [uid]})),
    );
    let login = login(&server, "doc", "doc password", Some(p));
    check("POST", "/api/login", &login);
    let t = login.json()["token"].as_str().unwrap().to_owned();
    let me = request(server.http, "GET", "/api/session", Some(&t), None);
    check("GET", "/api/session", &me);
    check("GET", "/api/session", &api.get("/api/session"));
    check(
        "GET",
        "/api/users",
        &request(server.http, "GET", "/api/users", Some(&t), None),
    );
    check(
        "POST",
        "/api/logout",
        &request(server.http, "POST", "/api/logout", Some(&t), None),
    );
    let import = request_typed(
        server.http,
        "POST",
        "/api/users/import",
        Some(&api.token),
        "text/csv",
        Some("username\nx\n"),
    );
    check("POST", "/api/users/import", &import);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_extension_set_through_the_api_registers_with_the_registrar() {
    let (server, api) = server();
    let ada = id(&make_user(&api, "ada", "ada password", json!({})));
    let set = api.put(
        &format!("/api/users/{ada}/extensions/2101"),
        &json!({"password": "sip-secret-1"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    // (SIPp's injection file cannot carry a space in a password.)
    let phone = server.sipp_users("phone.csv", &[("2101", "sip-secret-1")]);
    let run = common::sipp("register.xml", server.udp, &phone, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    assert_eq!(server.metric("switchboard_sip_registrations_total"), 1);
}

#[test]
fn a_project_with_authorised_users_is_not_deleted() {
    let (_server, api) = server();
    let retention = project(&api, "Retention");
    let user = make_user(
        &api,
        "ines",
        "a long secret",
        json!({"projects": [retention]}),
    );
    let blocked = assert_problem(&api.delete(&format!("/api/projects/{retention}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("ines"),
        "the refusal names the user: {blocked}"
    );
    assert_eq!(
        api.delete(&format!("/api/users/{}", user["id"])).status,
        204
    );
    assert_eq!(
        api.delete(&format!("/api/projects/{retention}")).status,
        204
    );
}

#[test]
fn the_codes_an_agent_sees_come_from_the_queue_else_the_profile_else_the_general_ones() {
    let (_server, api) = server();
    let code = |name: &str| -> i64 {
        created(api.post(
            "/api/result-codes",
            &json!({"category": "success", "type": "call", "display_name": name}),
        ))["id"]
            .as_i64()
            .unwrap()
    };
    let (sold, callback, general) = (code("Sold"), code("Call back"), code("Other"));
    let sales = created(api.post(
        "/api/profiles",
        &json!({"name": "Sales", "permissions": ["menu.agent_panel"], "result_codes": [callback]}),
    ));
    assert_eq!(sales["result_codes"], json!([callback]));
    let p = project(&api, "Outbound");
    let queue = |body: serde_json::Value| -> i64 {
        created(api.post("/api/queues", &body))["id"]
            .as_i64()
            .unwrap()
    };
    let own =
        queue(json!({"project_id": p, "name": "Own", "number": "8001", "result_codes": [sold]}));
    let by_profile =
        queue(json!({"project_id": p, "name": "Profiled", "number": "8002", "profile": "Sales"}));
    let plain = queue(json!({"project_id": p, "name": "Plain", "number": "8003"}));
    let offered = |queue: i64, user: Option<i64>| {
        let mut path = format!("/api/queues/{queue}/offered-result-codes");
        if let Some(u) = user {
            path.push_str(&format!("?user={u}"));
        }
        let got = api.get(&path).json();
        let ids: Vec<i64> = got["result_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        (got["source"].as_str().unwrap().to_owned(), ids)
    };
    assert_eq!(offered(own, None), ("queue".into(), vec![sold]));
    assert_eq!(
        offered(by_profile, None),
        ("profile".into(), vec![callback])
    );
    assert_eq!(
        offered(plain, None),
        ("general".into(), vec![general]),
        "the general codes are those no queue or profile names"
    );
    let seller = make_user(
        &api,
        "sam",
        "a long secret",
        json!({"profiles": [id(&sales)]}),
    );
    assert_eq!(
        offered(plain, Some(id(&seller))),
        ("profile".into(), vec![callback]),
        "the agent's own profile counts when the queue names none"
    );
    let blocked = assert_problem(&api.delete(&format!("/api/result-codes/{callback}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("Sales"),
        "{blocked}"
    );
}
