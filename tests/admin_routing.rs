//! The routing part of the administration API over real HTTP against the real
//! server and a real SQLite file: trunks (credentials stored only as digest
//! HA1 values, never answered), routes (one per number, to an existing queue),
//! a queue's assigned agents, queue exit kinds, and the refusal to delete a
//! queue a route or an assignment still names.

mod common;

use common::http::{assert_problem, created, fields, project, queue, server};
use common::TestServer;
use serde_json::{json, Value};
use switchboard::sip::auth::{ha1, Algorithm};
use switchboard::store::Store;

/// The server's store, opened beside it (SQLite in WAL mode allows that).
fn with_store<T>(server: &TestServer, f: impl AsyncFnOnce(&Store) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open(&server.database_url).await.unwrap();
        let out = f(&store).await;
        store.close().await;
        out
    })
}

#[test]
fn trunks_keep_only_digest_hashes_and_never_answer_secrets() {
    let (server, api) = server();
    let made = created(api.post(
        "/api/trunks",
        &json!({"name": "Carrier", "addresses": ["192.0.2.10", "10.0.0.0/8", "::1"],
                "username": "carrier", "password": "s3cret", "codecs": ["PCMA"]}),
    ));
    assert_eq!(made["username"], "carrier");
    assert_eq!(made["codecs"], json!(["PCMA"]));
    assert_eq!(made["enabled"], true);
    let id = made["id"].as_i64().unwrap();
    for answer in [made.clone(), api.get(&format!("/api/trunks/{id}")).json()] {
        let text = answer.to_string();
        assert!(answer.get("password").is_none(), "{text}");
        assert!(!text.contains("s3cret") && !text.contains("ha1"), "{text}");
    }
    assert!(!api.get("/api/trunks").body.contains("s3cret"));

    let stored = with_store(&server, async |s: &Store| s.trunks().await.unwrap());
    let t = &stored[0];
    let realm = t.realm.clone().unwrap();
    assert_eq!(
        t.ha1_md5.as_deref(),
        Some(ha1(Algorithm::Md5, "carrier", &realm, "s3cret").as_str())
    );
    assert_eq!(
        t.ha1_sha256.as_deref(),
        Some(ha1(Algorithm::Sha256, "carrier", &realm, "s3cret").as_str())
    );
    assert_eq!(t.addresses, ["192.0.2.10", "10.0.0.0/8", "::1"]);

    // Replacing without a password keeps the credentials; a new username needs one.
    let keep = api.put(
        &format!("/api/trunks/{id}"),
        &json!({"name": "Carrier", "addresses": ["192.0.2.10"], "username": "carrier",
                "enabled": false}),
    );
    assert_eq!(keep.status, 200, "{}", keep.body);
    assert_eq!(keep.json()["codecs"], json!(["PCMU", "PCMA"]));
    let stored = with_store(&server, async |s: &Store| s.trunks().await.unwrap());
    assert_eq!(stored[0].ha1_md5, t.ha1_md5);
    assert!(!stored[0].enabled);
    let renamed = assert_problem(
        &api.put(
            &format!("/api/trunks/{id}"),
            &json!({"name": "Carrier", "addresses": ["192.0.2.10"], "username": "other"}),
        ),
        422,
    );
    assert_eq!(fields(&renamed), ["password"]);

    let bad = assert_problem(
        &api.post(
            "/api/trunks",
            &json!({"name": " ", "addresses": ["example.com", "10.0.0.0/40"],
                    "codecs": ["G722"], "password": "x"}),
        ),
        422,
    );
    assert_eq!(
        fields(&bad),
        [
            "name",
            "addresses[0]",
            "addresses[1]",
            "codecs[0]",
            "password"
        ]
    );
    let dup = assert_problem(
        &api.post(
            "/api/trunks",
            &json!({"name": "Carrier", "addresses": ["127.0.0.1"]}),
        ),
        409,
    );
    assert_eq!(fields(&dup), ["name"]);
    assert_eq!(api.delete(&format!("/api/trunks/{id}")).status, 204);
    assert_problem(&api.delete(&format!("/api/trunks/{id}")), 404);
    assert_eq!(api.get("/api/trunks").json(), json!([]));
}

#[test]
fn routes_lead_numbers_to_queues_that_cannot_then_be_deleted() {
    let (_server, api) = server();
    let p = project(&api, "Demo");
    let support = queue(&api, p, "Support", "600");
    let sales = queue(&api, p, "Sales", "601");
    let route = created(api.post(
        "/api/routes",
        &json!({"number": "+15550100", "queue_id": support}),
    ));
    let rid = route["id"].as_i64().unwrap();
    let dup = assert_problem(
        &api.post(
            "/api/routes",
            &json!({"number": "+15550100", "queue_id": sales}),
        ),
        409,
    );
    assert_eq!(fields(&dup), ["number"]);
    let missing = assert_problem(
        &api.post("/api/routes", &json!({"number": "700", "queue_id": 4242})),
        422,
    );
    assert_eq!(fields(&missing), ["queue_id"]);
    let bad = assert_problem(
        &api.post(
            "/api/routes",
            &json!({"number": "555-0100", "queue_id": sales}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["number"]);

    let blocked = assert_problem(&api.delete(&format!("/api/queues/{support}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("+15550100"),
        "{blocked}"
    );
    let moved = api.put(
        &format!("/api/routes/{rid}"),
        &json!({"number": "+15550100", "queue_id": sales}),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(api.delete(&format!("/api/queues/{support}")).status, 204);
    assert_eq!(
        api.get("/api/routes").json(),
        json!([{"id": rid, "number": "+15550100", "queue_id": sales,
                 "destination": {"kind": "queue", "queue_id": sales}}])
    );
    assert_eq!(api.delete(&format!("/api/routes/{rid}")).status, 204);
    assert_eq!(api.delete(&format!("/api/queues/{sales}")).status, 204);
}

#[test]
fn a_queue_s_agents_are_real_users_and_hold_the_queue() {
    let (server, api) = server();
    let users = with_store(&server, async |s: &Store| {
        s.agent_extensions().await.unwrap()
    });
    assert!(users.len() >= 2, "the demo extensions: {users:?}");
    let (u1, u2) = (users[0].0, users[1].0);
    let p = project(&api, "Demo");
    let q = queue(&api, p, "Support", "600");
    let path = format!("/api/queues/{q}/agents");
    assert_eq!(api.get(&path).json(), json!([]));
    assert_problem(&api.get("/api/queues/4242/agents"), 404);
    assert_problem(&api.put("/api/queues/4242/agents", &json!([])), 404);
    let unknown = assert_problem(
        &api.put(
            &path,
            &json!([{"user_id": u1, "mandatory": true}, {"user_id": 987654321}]),
        ),
        422,
    );
    assert_eq!(fields(&unknown), ["[1].user_id"]);
    assert_eq!(api.get(&path).json(), json!([]), "nothing half-saved");
    let set = api.put(
        &path,
        &json!([{"user_id": u2}, {"user_id": u1, "mandatory": true}]),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let mut expected = vec![
        json!({"user_id": u1, "mandatory": true}),
        json!({"user_id": u2, "mandatory": false}),
    ];
    expected.sort_by_key(|v| v["user_id"].as_i64());
    assert_eq!(api.get(&path).json(), Value::Array(expected));
    let stored = with_store(&server, async |s: &Store| s.queue_agents().await.unwrap());
    assert_eq!(stored.len(), 2);

    let blocked = assert_problem(&api.delete(&format!("/api/queues/{q}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("agent"),
        "{blocked}"
    );
    assert_eq!(api.put(&path, &json!([])).status, 200);
    assert_eq!(api.delete(&format!("/api/queues/{q}")).status, 204);
}

#[test]
fn queue_exit_kinds_are_checked_and_kept() {
    let (_server, api) = server();
    let p = project(&api, "Demo");
    let overflow = queue(&api, p, "Overflow", "602");
    let legacy = created(api.post(
        "/api/queues",
        &json!({"project_id": p, "name": "Old", "number": "603", "exit_queue_id": overflow}),
    ));
    assert_eq!(legacy["exit_kind"], "queue");
    let callback = created(api.post(
        "/api/queues",
        &json!({"project_id": p, "name": "Callback", "number": "604",
                "exit_kind": "callback"}),
    ));
    assert_eq!(callback["exit_kind"], "callback");
    assert_eq!(callback["exit_queue_id"], Value::Null);
    let plain = api.get(&format!("/api/queues/{overflow}")).json();
    assert_eq!(plain["exit_kind"], "none");
    let needs_queue = assert_problem(
        &api.post(
            "/api/queues",
            &json!({"project_id": p, "name": "X", "number": "605", "exit_kind": "queue"}),
        ),
        422,
    );
    assert_eq!(fields(&needs_queue), ["exit_queue_id"]);
    let stray = assert_problem(
        &api.post(
            "/api/queues",
            &json!({"project_id": p, "name": "X", "number": "605", "exit_kind": "prompt",
                    "exit_queue_id": overflow}),
        ),
        422,
    );
    assert_eq!(fields(&stray), ["exit_queue_id"]);
    assert_problem(
        &api.post(
            "/api/queues",
            &json!({"project_id": p, "name": "X", "number": "605", "exit_kind": "fax"}),
        ),
        400,
    );
}
