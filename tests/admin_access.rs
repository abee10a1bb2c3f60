//! Profiles, permissions and sessions over real HTTP against the real server
//! and a real SQLite file: the default profiles and profile rules, the union
//! of permissions with their sources, login with back-off, locks by hand,
//! reset and passive users, the Menu permission of each screen, queue data limited to the
//! user's queues, and one project at a time.

mod common;

use common::http::{
    assert_problem, created, fields, project, queue, request, request_typed, request_with, server,
    Api,
};
use common::users::{
    as_user, id, keys, login, login_on, make_profile, make_user, profile_id, token,
};
use common::TestServer;
use serde_json::{json, Value};

#[test]
fn default_profiles_come_with_their_menus_and_profiles_keep_their_rules() {
    let (_server, api) = server();
    let catalogue = api.get("/api/permissions").json();
    let groups: Vec<&str> = catalogue
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "status",
            "result_code",
            "queue",
            "ivr",
            "directory",
            "dial_plan",
            "menu",
            "crm",
            "report",
            "other"
        ]
    );
    let profiles = api.get("/api/profiles").json();
    let by_name = |name: &str| -> Vec<String> {
        profiles
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect()
    };
    let agent = by_name("Agent");
    assert!(agent.contains(&"menu.agent_panel".to_owned()));
    assert!(!agent.iter().any(|k| k == "menu.users" || k == "queue.all"));
    let supervisor = by_name("Supervisor");
    assert!(supervisor.contains(&"menu.supervisor_panel".to_owned()));
    assert!(supervisor.contains(&"menu.reports".to_owned()));
    let admin = by_name("Admin");
    for key in ["menu.users", "menu.profiles", "menu.queues", "queue.all"] {
        assert!(admin.contains(&key.to_owned()), "{key}");
    }

    let bad = assert_problem(
        &api.post(
            "/api/profiles",
            &json!({"name": "Odd", "permissions": ["menu.users", "menu.everything", "queue.0"]}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["permissions[1]", "permissions[2]"]);
    let dup = assert_problem(&api.post("/api/profiles", &json!({"name": "Agent"})), 409);
    assert_eq!(fields(&dup), ["name"]);

    // A project's default profile must name a profile, and follows a rename.
    let bad = assert_problem(
        &api.post(
            "/api/projects",
            &json!({"name": "P", "default_profile": "Nobody"}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["default_profile"]);
    let night = make_profile(&api, "Night", &["menu.reports".into()]);
    let p = id(&created(api.post(
        "/api/projects",
        &json!({"name": "P", "default_profile": "Night"}),
    )));
    let q = id(&created(api.post(
        "/api/queues",
        &json!({"project_id": p, "name": "Q", "number": "5001", "profile": "Night"}),
    )));
    let renamed = api.put(
        &format!("/api/profiles/{night}"),
        &json!({"name": "Late", "permissions": ["menu.reports", format!("queue.{q}"), "queue.99"]}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let renamed = renamed.json();
    assert_eq!(
        renamed["warnings"].as_array().unwrap().len(),
        1,
        "{renamed}"
    );
    assert_eq!(
        api.get(&format!("/api/projects/{p}")).json()["default_profile"],
        "Late"
    );
    assert_eq!(
        api.get(&format!("/api/queues/{q}")).json()["profile"],
        "Late"
    );
    let blocked = assert_problem(&api.delete(&format!("/api/profiles/{night}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("P"),
        "{blocked}"
    );
    let spare = make_profile(&api, "Spare", &[]);
    assert_eq!(api.delete(&format!("/api/profiles/{spare}")).status, 204);
    assert_problem(&api.get(&format!("/api/profiles/{spare}")), 404);
}

#[test]
fn effective_permissions_are_the_union_of_three_sources() {
    let (_server, api) = server();
    let p = project(&api, "Sales");
    let other = project(&api, "Other");
    let q1 = queue(&api, p, "Inbound", "3001");
    let q2 = queue(&api, other, "Elsewhere", "3002");
    let own = make_profile(&api, "Own", &["menu.users".into(), "other.listen".into()]);
    make_profile(
        &api,
        "ProjectDefault",
        &["menu.reports".into(), "other.listen".into()],
    );
    make_profile(
        &api,
        "QueueProfile",
        &["menu.tags".into(), format!("queue.{q1}")],
    );
    make_profile(&api, "ElsewhereProfile", &["menu.statuses".into()]);
    let put = api.put(
        &format!("/api/projects/{p}"),
        &json!({"name": "Sales", "default_profile": "ProjectDefault"}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    for (q, name, number, profile) in [
        (q1, "Inbound", "3001", "QueueProfile"),
        (q2, "Elsewhere", "3002", "ElsewhereProfile"),
    ] {
        let project = if q == q1 { p } else { other };
        let put = api.put(
            &format!("/api/queues/{q}"),
            &json!({"project_id": project, "name": name, "number": number, "profile": profile}),
        );
        assert_eq!(put.status, 200, "{}", put.body);
    }
    let user = id(&created(api.post(
        "/api/users",
        &json!({"username": "union", "first_name": "U", "last_name": "N",
                "profiles": [own], "projects": [p, other], "queues": [q1, q2]}),
    )));

    let eff = api.get(&format!("/api/users/{user}/permissions?project={p}"));
    assert_eq!(eff.status, 200, "{}", eff.body);
    let eff = eff.json();
    assert_eq!(eff["project_id"], p);
    let perms = eff["permissions"].as_array().unwrap();
    assert_eq!(
        keys(&eff["permissions"]),
        [
            "menu.reports",
            "menu.tags",
            "menu.users",
            "other.listen",
            &format!("queue.{q1}")
        ]
    );
    let sources =
        |key: &str| -> Value { perms.iter().find(|g| g["key"] == key).unwrap()["sources"].clone() };
    assert_eq!(
        sources("menu.users"),
        json!([{"kind": "user_profile", "profile": "Own"}])
    );
    assert_eq!(
        sources("other.listen"),
        json!([{"kind": "user_profile", "profile": "Own"},
               {"kind": "project_default", "profile": "ProjectDefault", "project_id": p}])
    );
    assert_eq!(
        sources("menu.tags"),
        json!([{"kind": "queue_profile", "profile": "QueueProfile", "queue_id": q1,
                "queue": "Inbound"}])
    );
    // One key: which sources granted it, or nothing.
    let one = api
        .get(&format!(
            "/api/users/{user}/permissions?project={p}&key=other.listen"
        ))
        .json();
    assert_eq!(one["permissions"].as_array().unwrap().len(), 1);
    assert_eq!(
        one["permissions"][0]["sources"].as_array().unwrap().len(),
        2
    );
    let none = api
        .get(&format!(
            "/api/users/{user}/permissions?project={p}&key=menu.profiles"
        ))
        .json();
    assert_eq!(none["permissions"], json!([]));
    // The queue of another project does not count in this one.
    assert!(perms.iter().all(|g| g["key"] != "menu.statuses"));

    // In the other project: its queue's profile, no Sales default.
    let there = api
        .get(&format!("/api/users/{user}/permissions?project={other}"))
        .json();
    assert_eq!(
        keys(&there["permissions"]),
        ["menu.statuses", "menu.users", "other.listen"]
    );
    // Without a project: own profiles and every served queue's profile.
    let none = api.get(&format!("/api/users/{user}/permissions")).json();
    assert_eq!(none["project_id"], Value::Null);
    assert!(keys(&none["permissions"]).contains(&"menu.statuses".to_owned()));
    assert!(!keys(&none["permissions"]).contains(&"menu.reports".to_owned()));

    let stranger = project(&api, "Stranger");
    let p422 = assert_problem(
        &api.get(&format!("/api/users/{user}/permissions?project={stranger}")),
        422,
    );
    assert_eq!(fields(&p422), ["project"]);
    assert_problem(
        &api.get(&format!("/api/users/{user}/permissions?project=x")),
        400,
    );
    assert_problem(&api.get("/api/users/4242/permissions"), 404);

    // A logged-in session carries the same union.
    let server_user = api.put(
        &format!("/api/users/{user}"),
        &json!({"username": "union", "first_name": "U", "last_name": "N",
                "password": "union-password", "profiles": [own], "projects": [p, other],
                "queues": [q1, q2]}),
    );
    assert_eq!(server_user.status, 200, "{}", server_user.body);
    let session = login_on(&api, "union", "union-password", Some(p));
    let me = request(api.addr, "GET", "/api/session", Some(&session), None).json();
    assert_eq!(me["project_id"], p);
    assert_eq!(
        me["permissions"],
        json!([
            "menu.reports",
            "menu.tags",
            "menu.users",
            "other.listen",
            format!("queue.{q1}")
        ])
    );
}

#[test]
fn failed_logins_back_off_an_administrator_locks_a_reset_unlocks_and_passive_users_stay_out() {
    let server = TestServer::start("[auth]\nmax_failed_attempts = 3", &[]);
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    let user = make_user(&api, "grace", "first password", json!({}));
    let uid = id(&user);

    let ok = login(&server, "grace", "first password", None);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let cookie = ok.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("switchboard_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    // Plain HTTP: a Secure cookie would never come back.
    assert!(!cookie.contains("Secure"), "{cookie}");
    let session = ok.json()["token"].as_str().unwrap().to_owned();
    assert!(cookie.contains(&session));
    assert_eq!(
        api.get(&format!("/api/users/{uid}")).json()["state"],
        "active"
    );
    // The bearer token and the cookie both work.
    let me = request(server.http, "GET", "/api/session", Some(&session), None).json();
    assert_eq!(me["username"], "grace");
    assert_eq!(me["superuser"], false);
    let pair = format!("switchboard_session={session}");
    let by_cookie = request_with(
        server.http,
        "GET",
        "/api/session",
        &[("Cookie", &pair)],
        "application/json",
        None,
    );
    assert_eq!(by_cookie.status, 200, "{}", by_cookie.body);

    let unknown = assert_problem(&login(&server, "nobody", "whatever1", None), 401);
    assert_eq!(unknown["type"], "/api/problems/unauthorized");
    for _ in 0..3 {
        assert_problem(&login(&server, "grace", "wrong password", None), 401);
    }
    // Three failures in a row from this address: grace is refused from it
    // for a while (even with the right password), not locked.
    let refused = assert_problem(&login(&server, "grace", "first password", None), 429);
    assert_eq!(refused["type"], "/api/problems/too-many-attempts");
    let retry: u64 = refused_retry(&login(&server, "grace", "first password", None));
    assert!((1..=3600).contains(&retry), "{retry}");
    // The count is written behind the answer (so an answer does not tell
    // whether the name exists): it arrives shortly after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let stored = loop {
        let stored = api.get(&format!("/api/users/{uid}")).json();
        if stored["failed_logins"] == 3 || std::time::Instant::now() > deadline {
            break stored;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(stored["state"], "active");
    assert_eq!(stored["failed_logins"], 3);
    // Her session goes on working.
    let me = request(server.http, "GET", "/api/session", Some(&session), None);
    assert_eq!(me.status, 200, "{}", me.body);

    // An administrator locks her by hand: told only with the right password,
    // and her sessions stop working. A password reset ends the back-off too.
    let agent = profile_id(&api, "Agent");
    let base = json!({"username": "grace", "first_name": "Ada", "last_name": "Lovelace",
                      "profiles": [agent]});
    let mut lock = base.clone();
    lock["state"] = json!("locked");
    let locked = api.put(&format!("/api/users/{uid}"), &lock);
    assert_eq!(locked.status, 200, "{}", locked.body);
    assert_problem(
        &request(server.http, "GET", "/api/session", Some(&session), None),
        401,
    );
    // Setting the state is not enough: the password must be reset.
    let mut active = base.clone();
    active["state"] = json!("active");
    let refused = assert_problem(&api.put(&format!("/api/users/{uid}"), &active), 422);
    assert_eq!(fields(&refused), ["state"]);
    let mut reset = base.clone();
    reset["state"] = json!("locked");
    reset["password"] = json!("second password");
    let reset = api.put(&format!("/api/users/{uid}"), &reset);
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(reset.json()["state"], "active");
    assert_eq!(reset.json()["failed_logins"], 0);
    assert_problem(&login(&server, "grace", "first password", None), 401);
    let mut relock = base.clone();
    relock["state"] = json!("locked");
    assert_eq!(api.put(&format!("/api/users/{uid}"), &relock).status, 200);
    // Without the password, the state is not told.
    assert_problem(&login(&server, "grace", "wrong password", None), 401);
    let locked = assert_problem(&login(&server, "grace", "second password", None), 403);
    assert_eq!(locked["type"], "/api/problems/user-locked");
    let mut unlock = base.clone();
    unlock["password"] = json!("second password");
    assert_eq!(api.put(&format!("/api/users/{uid}"), &unlock).status, 200);
    let again = token(&server, "grace", "second password", None);

    // Passive: no login, and the open session ends.
    let mut passive = base.clone();
    passive["state"] = json!("passive");
    assert_eq!(api.put(&format!("/api/users/{uid}"), &passive).status, 200);
    let refused = assert_problem(&login(&server, "grace", "second password", None), 403);
    assert_eq!(refused["type"], "/api/problems/user-passive");
    assert_problem(
        &request(server.http, "GET", "/api/session", Some(&again), None),
        401,
    );

    // Logging out ends a session.
    let other = make_user(&api, "hopper", "hopper password", json!({}));
    let t = token(&server, "hopper", "hopper password", None);
    let out = request(server.http, "POST", "/api/logout", Some(&t), None);
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_problem(
        &request(server.http, "GET", "/api/session", Some(&t), None),
        401,
    );
    assert_eq!(other["state"], "new");
    // Malformed logins.
    assert_problem(&request(server.http, "GET", "/api/login", None, None), 405);
    assert_problem(
        &request(
            server.http,
            "POST",
            "/api/login",
            None,
            Some(&json!({"username": "x"})),
        ),
        400,
    );
    assert_problem(
        &request_typed(
            server.http,
            "POST",
            "/api/login",
            None,
            "text/plain",
            Some("x"),
        ),
        415,
    );
}

#[test]
fn each_screen_needs_its_menu_permission_and_queues_are_limited() {
    let (server, api) = server();
    let p = project(&api, "Support");
    let q1 = queue(&api, p, "Mine", "4001");
    let q2 = queue(&api, p, "Theirs", "4002");
    make_user(&api, "agent", "agent password", json!({}));
    let agent = as_user(&server, &token(&server, "agent", "agent password", None));
    for path in [
        "/api/users",
        "/api/queues",
        "/api/profiles",
        "/api/projects",
        "/api/statuses",
        "/api/tags",
        "/api/users/export",
        "/api/permissions",
    ] {
        let p = assert_problem(&agent.get(path), 403);
        assert_eq!(p["type"], "/api/problems/forbidden", "{path}");
    }
    assert_problem(
        &agent.post("/api/projects", &json!({"name": "Sneaky"})),
        403,
    );
    assert_eq!(api.get("/api/projects").json().as_array().unwrap().len(), 1);
    // The session itself is open to everyone logged in.
    assert_eq!(agent.get("/api/session").status, 200);

    let some = make_profile(
        &api,
        "Some queues",
        &[
            "menu.queues".into(),
            "menu.queue_groups".into(),
            "menu.tags".into(),
            format!("queue.{q1}"),
        ],
    );
    let all = make_profile(
        &api,
        "All queues",
        &[
            "menu.queues".into(),
            "menu.queue_groups".into(),
            "queue.all".into(),
        ],
    );
    make_user(&api, "some", "some password", json!({"profiles": [some]}));
    make_user(&api, "all", "all password", json!({"profiles": [all]}));
    let some = as_user(&server, &token(&server, "some", "some password", None));
    let all = as_user(&server, &token(&server, "all", "all password", None));
    let listed: Vec<i64> = some
        .get("/api/queues")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(listed, [q1]);
    assert_eq!(some.get(&format!("/api/queues/{q1}")).status, 200);
    assert_problem(&some.get(&format!("/api/queues/{q2}")), 404);
    assert_problem(&some.delete(&format!("/api/queues/{q2}")), 404);
    assert_problem(
        &some.put(
            &format!("/api/queues/{q2}"),
            &json!({"project_id": p, "name": "Taken", "number": "4002"}),
        ),
        404,
    );
    assert_eq!(
        api.get(&format!("/api/queues/{q2}")).json()["name"],
        "Theirs"
    );
    assert_eq!(all.get("/api/queues").json().as_array().unwrap().len(), 2);
    assert_problem(&all.get("/api/users"), 403);

    // What names a hidden queue is hidden too, and cannot name one.
    let mine = id(&created(api.post(
        "/api/queue-groups",
        &json!({"name": "Mine only", "queues": [q1]}),
    )));
    let both = id(&created(api.post(
        "/api/queue-groups",
        &json!({"name": "Both", "queues": [q1, q2]}),
    )));
    let general = id(&created(api.post(
        "/api/tags",
        &json!({"name": "General", "colour": "#123456"}),
    )));
    let theirs = id(&created(api.post(
        "/api/tags",
        &json!({"name": "Theirs", "colour": "#654321", "queues": [q2]}),
    )));
    let ids = |reply: common::http::Reply| -> Vec<i64> {
        let v = reply.json();
        v.as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(id)
            .collect()
    };
    assert_eq!(ids(some.get("/api/queue-groups")), [mine]);
    assert_eq!(ids(some.get("/api/tags")), [general]);
    assert_problem(&some.get(&format!("/api/queue-groups/{both}")), 404);
    assert_problem(&some.delete(&format!("/api/tags/{theirs}")), 404);
    assert_problem(
        &some.put(
            &format!("/api/queue-groups/{both}"),
            &json!({"name": "Both", "queues": [q1]}),
        ),
        404,
    );
    let named = assert_problem(
        &some.post(
            "/api/queue-groups",
            &json!({"name": "Sneaky", "queues": [q1, q2]}),
        ),
        422,
    );
    assert_eq!(fields(&named), ["queues[1]"]);
    let put = some.put(
        &format!("/api/queue-groups/{mine}"),
        &json!({"name": "Mine", "queues": [q1]}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        api.get(&format!("/api/queue-groups/{both}")).json()["queues"],
        json!([q1, q2])
    );
    assert_eq!(ids(all.get("/api/queue-groups")).len(), 2);
}

#[test]
fn an_agent_works_in_one_project_at_a_time() {
    let (server, api) = server();
    let a = project(&api, "A");
    let b = project(&api, "B");
    let c = project(&api, "C");
    make_user(&api, "agent", "agent password", json!({"projects": [a, b]}));
    let first = token(&server, "agent", "agent password", Some(a));
    let session = |t: &str| request(server.http, "GET", "/api/session", Some(t), None).json();
    assert_eq!(session(&first)["project_id"], a);
    let second = token(&server, "agent", "agent password", Some(b));
    assert_eq!(session(&second)["project_id"], b);
    assert_eq!(session(&first)["project_id"], b);
    let not_mine = assert_problem(&login(&server, "agent", "agent password", Some(c)), 422);
    assert_eq!(fields(&not_mine), ["project"]);
    // With one project only, the login takes it.
    make_user(&api, "single", "single password", json!({"projects": [c]}));
    let t = token(&server, "single", "single password", None);
    assert_eq!(session(&t)["project_id"], c);
}

/// The Retry-After seconds of a 429.
fn refused_retry(reply: &common::http::Reply) -> u64 {
    assert_eq!(reply.status, 429, "{}", reply.body);
    reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in {:?}", reply.headers))
}

#[test]
fn nothing_under_or_naming_a_hidden_queue_is_reached() {
    let (server, api) = server();
    let p = project(&api, "Support");
    let seen = queue(&api, p, "Seen", "4101");
    let hidden = queue(&api, p, "Hidden", "4102");
    let profile = make_profile(
        &api,
        "Seen only",
        &[
            "menu.queues".into(),
            "menu.dial_plan".into(),
            "menu.users".into(),
            format!("queue.{seen}"),
        ],
    );
    make_user(
        &api,
        "super",
        "super password",
        json!({"profiles": [profile]}),
    );
    let agent = make_user(&api, "worker", "worker password", json!({}));
    let worker = id(&agent);
    let me = as_user(&server, &token(&server, "super", "super password", None));

    // The queue's agents and offered result codes, as the queue itself.
    for path in [
        format!("/api/queues/{hidden}/agents"),
        format!("/api/queues/{hidden}/offered-result-codes"),
        format!("/api/queues/{hidden}/anything-added-later"),
    ] {
        let p = assert_problem(&me.get(&path), 404);
        assert_eq!(p["detail"], "no such queue", "{path}");
    }
    assert_problem(
        &me.put(
            &format!("/api/queues/{hidden}/agents"),
            &json!([{"user_id": worker}]),
        ),
        404,
    );
    assert_eq!(
        api.get(&format!("/api/queues/{hidden}/agents")).json(),
        json!([])
    );
    let put = me.put(
        &format!("/api/queues/{seen}/agents"),
        &json!([{"user_id": worker}]),
    );
    assert_eq!(put.status, 200, "{}", put.body);

    // A route to a hidden queue is hidden, and none can be made to one.
    let route = id(&created(api.post(
        "/api/routes",
        &json!({"number": "+15550111", "queue_id": hidden}),
    )));
    assert_eq!(me.get("/api/routes").json(), json!([]));
    assert_problem(&me.get(&format!("/api/routes/{route}")), 404);
    assert_problem(&me.delete(&format!("/api/routes/{route}")), 404);
    let refused = assert_problem(
        &me.post(
            "/api/routes",
            &json!({"number": "+15550112", "queue_id": hidden}),
        ),
        422,
    );
    assert_eq!(fields(&refused), ["queue_id"]);
    // Nor may a seen queue send its callers to a hidden one.
    let refused = assert_problem(
        &me.put(
            &format!("/api/queues/{seen}"),
            &json!({"project_id": p, "name": "Seen", "number": "4101",
                    "exit_queue_id": hidden}),
        ),
        422,
    );
    assert_eq!(fields(&refused), ["exit_queue_id"]);

    // A user serving a hidden queue is shown without it, cannot be given
    // one, and a replace keeps it.
    let both = api.put(
        &format!("/api/users/{worker}"),
        &json!({"username": "worker", "first_name": "W", "last_name": "K",
                "profiles": agent["profiles"], "queues": [seen, hidden]}),
    );
    assert_eq!(both.status, 200, "{}", both.body);
    let shown = me.get(&format!("/api/users/{worker}")).json();
    assert_eq!(shown["queues"], json!([seen]));
    let listed = me.get("/api/users").json();
    let listed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "worker")
        .unwrap()
        .clone();
    assert_eq!(listed["queues"], json!([seen]));
    let refused = assert_problem(
        &me.post(
            "/api/users",
            &json!({"username": "sneaky", "first_name": "S", "last_name": "N",
                    "profiles": agent["profiles"], "queues": [hidden]}),
        ),
        422,
    );
    assert_eq!(fields(&refused), ["queues[0]"]);
    let renamed = me.put(
        &format!("/api/users/{worker}"),
        &json!({"username": "worker", "first_name": "Renamed", "last_name": "K",
                "profiles": agent["profiles"], "queues": [seen]}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["queues"], json!([seen]));
    let stored = api.get(&format!("/api/users/{worker}")).json();
    assert_eq!(stored["first_name"], "Renamed");
    let mut queues: Vec<i64> = stored["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q.as_i64().unwrap())
        .collect();
    queues.sort_unstable();
    let mut expected = vec![seen, hidden];
    expected.sort_unstable();
    assert_eq!(queues, expected, "the hidden queue is kept");
}
