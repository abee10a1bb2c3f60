//! The supervisor panel's API against the real server: desk-phone agents
//! (SIPp) logged in by registration, supervisors with their own profiles,
//! projects and queue permissions, answers checked against the OpenAPI
//! document; and the working day: break time used today survives a real
//! restart, and follows the project's time zone as edited through the API.

mod common;

use std::time::{Duration, Instant};

use common::calls::*;
use common::http::{assert_problem, conformance, created, Api, Reply};
use common::users::{as_user, id, make_profile, make_user, profile_id, token};
use common::TestServer;
use serde_json::{json, Value};

/// The demo with a second project: 1001 and 1002 serve the demo queue (1001
/// is in agent group "Team A"), 1003 serves a queue of the other project; all
/// three are logged in by their desk phones.
struct Floor {
    server: TestServer,
    api: Api,
    project: i64,
    queue: i64,
    other_queue: i64,
    team: i64,
    lunch: i64,
    coaching: i64,
    a1: u64,
    a2: u64,
    a3: u64,
    _phones: Phones,
}

fn floor() -> Floor {
    let (server, api) = demo("");
    let q = demo_queue(&api);
    let (queue, project) = (id(&q), q["project_id"].as_i64().unwrap());
    let other = common::http::project(&api, "Elsewhere");
    let other_queue = common::http::queue(&api, other, "Elsewhere queue", "700");
    let a3 = agent_id(&server, "1003");
    let reply = api.put(
        &format!("/api/users/{a3}"),
        &json!({"username": "1003", "first_name": "Grace", "last_name": "Hopper",
                "projects": [other], "queues": [other_queue],
                "profiles": [profile_id(&api, "Agent")]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let a1 = agent_id(&server, "1001");
    let a2 = agent_id(&server, "1002");
    let team = id(&created(api.post(
        "/api/agent-groups",
        &json!({"name": "Team A", "members": [a1]}),
    )));
    let status = |name: &str, supervisor_only: bool| {
        id(&created(api.post(
            "/api/statuses",
            &json!({"category": "break", "name": name, "agent_changeable": !supervisor_only,
                    "supervisor_only": supervisor_only, "active": true}),
        )))
    };
    let lunch = status("Lunch", false);
    let coaching = status("Coaching", true);
    std::thread::sleep(Duration::from_millis(500));
    let phones = Phones::start(&server, &["1001", "1002", "1003"], "agent_answer.xml");
    let floor = Floor {
        server,
        api,
        project,
        queue,
        other_queue,
        team,
        lunch,
        coaching,
        a1,
        a2,
        a3,
        _phones: phones,
    };
    floor.wait_agents(&floor.api, &[a1, a2, a3]);
    floor
}

impl Floor {
    /// A user with `permissions` (and the demo project), logged in.
    fn user(&self, name: &str, permissions: &[String]) -> Api {
        let profile = make_profile(&self.api, &format!("{name} profile"), permissions);
        let password = format!("{name}-password-1");
        make_user(
            &self.api,
            name,
            &password,
            json!({"profiles": [profile], "projects": [self.project]}),
        );
        as_user(&self.server, &token(&self.server, name, &password, None))
    }

    /// A supervisor of the demo queue: status.change_others, without
    /// status.supervisor_only.
    fn supervisor(&self) -> Api {
        self.user(
            "boss",
            &[
                "menu.supervisor_panel".into(),
                "status.change_others".into(),
                format!("queue.{}", self.queue),
            ],
        )
    }

    /// Waits until `who` lists exactly `agents` (by id).
    fn wait_agents(&self, who: &Api, agents: &[u64]) -> Value {
        let mut want: Vec<u64> = agents.to_vec();
        want.sort();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let list = who.get("/api/supervisor/agents").json();
            let ids: Vec<u64> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_u64().unwrap())
                .collect();
            if ids == want {
                return list;
            }
            assert!(Instant::now() < deadline, "wanted {want:?}, listed {list}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn row(list: &Value, agent: u64) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == agent)
        .cloned()
        .unwrap_or_else(|| panic!("{agent} not in {list}"))
}

/// Checks an answer against the OpenAPI document, and passes it on.
fn documented(doc: &Value, method: &str, path: &str, reply: Reply) -> Reply {
    let failures = conformance(doc, method, path, &reply);
    assert!(failures.is_empty(), "{method} {path}: {failures:?}");
    reply
}

#[test]
fn a_supervisor_sees_and_changes_only_the_agents_of_their_queues_and_projects() {
    let f = floor();
    let doc = f.api.get("/api/openapi.json").json();
    let boss = f.supervisor();

    // The admin token sees every agent; the supervisor those of their queue.
    f.wait_agents(&f.api, &[f.a1, f.a2, f.a3]);
    let list = documented(
        &doc,
        "get",
        "/api/supervisor/agents",
        boss.get("/api/supervisor/agents"),
    )
    .json();
    let mine = row(&list, f.a1);
    assert_eq!(mine["presence"], "available", "{mine}");
    assert_eq!(mine["login"], "1001", "{mine}");
    assert_eq!(mine["calls_today"], 0, "{mine}");
    assert_eq!(mine["queues"][0]["id"], f.queue, "{mine}");
    assert_eq!(mine["agent_groups"][0]["name"], "Team A", "{mine}");
    assert!(mine["call"].is_null(), "{mine}");
    f.wait_agents(&boss, &[f.a1, f.a2]);

    // Filters.
    let by_group = boss.get(&format!("/api/supervisor/agents?agent_group={}", f.team));
    let ids: Vec<Value> = by_group
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids, [json!(f.a1)]);
    let by_queue = boss.get(&format!("/api/supervisor/agents?queue={}", f.other_queue));
    assert_eq!(by_queue.json(), json!([]));
    let by_queue = f
        .api
        .get(&format!("/api/supervisor/agents?queue={}", f.other_queue));
    assert_eq!(row(&by_queue.json(), f.a3)["project"]["name"], "Elsewhere");
    assert_problem(&boss.get("/api/supervisor/agents?queue=abc"), 400);

    // Without the menu permission: not even the list.
    let agent = f.user("plain", &["menu.agent_panel".into()]);
    documented(
        &doc,
        "get",
        "/api/supervisor/agents",
        agent.get("/api/supervisor/agents"),
    );
    let p = assert_problem(&agent.get("/api/supervisor/agents"), 403);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("menu.supervisor_panel"),
        "{p}"
    );
    // The menu alone shows agents, changes none.
    let watcher = f.user(
        "watcher",
        &["menu.supervisor_panel".into(), format!("queue.{}", f.queue)],
    );
    f.wait_agents(&watcher, &[f.a1, f.a2]);
    assert_eq!(watcher.get("/api/supervisor/statuses").json(), json!([]));
    let status = json!({"status": f.lunch});
    let p = assert_problem(
        &watcher.put(&format!("/api/supervisor/agents/{}/status", f.a1), &status),
        403,
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("status.change_others"),
        "{p}"
    );
    assert_problem(
        &watcher.post(
            &format!("/api/supervisor/agents/{}/logout", f.a1),
            &json!({}),
        ),
        403,
    );

    // Refusals: out of scope, unknown, bad status, supervisor-only.
    let put = |who: &Api, agent: u64, status: i64| {
        let path = format!("/api/supervisor/agents/{agent}/status");
        let reply = who.put(&path, &json!({ "status": status }));
        documented(&doc, "put", "/api/supervisor/agents/{id}/status", reply)
    };
    let p = assert_problem(&put(&boss, f.a3, f.lunch), 403);
    assert!(p["detail"].as_str().unwrap().contains("outside"), "{p}");
    assert_problem(&put(&boss, 987_654, f.lunch), 404);
    let p = assert_problem(&put(&boss, f.a1, 987_654), 422);
    assert_eq!(p["errors"][0]["field"], "status", "{p}");
    assert_problem(&put(&boss, f.a1, f.coaching), 422);
    let settable = boss.get("/api/supervisor/statuses").json();
    let names: Vec<&str> = settable
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Lunch") && !names.contains(&"Coaching"),
        "{settable}"
    );
    let reply = boss.put(
        &format!("/api/supervisor/agents/{}/status", f.a1),
        &json!({"status": "lunch"}),
    );
    assert_problem(&reply, 400);

    // A status set by the supervisor: the agent's row shows it at once.
    let changed = put(&boss, f.a1, f.lunch).json();
    assert_eq!(changed["status"]["name"], "Lunch", "{changed}");
    assert_eq!(changed["presence"], "break", "{changed}");
    // A supervisor-only status needs status.supervisor_only (the token has all).
    let changed = put(&f.api, f.a1, f.coaching).json();
    assert_eq!(changed["status"]["id"], f.coaching, "{changed}");

    // Logout: gone from the list; then they are not logged in.
    let logout = |who: &Api, agent: u64| {
        let path = format!("/api/supervisor/agents/{agent}/logout");
        documented(
            &doc,
            "post",
            "/api/supervisor/agents/{id}/logout",
            who.post(&path, &json!({})),
        )
    };
    assert_problem(&logout(&boss, f.a3), 403);
    assert_problem(&logout(&boss, 987_654), 404);
    assert_eq!(logout(&boss, f.a2).status, 204);
    f.wait_agents(&boss, &[f.a1]);
    let p = assert_problem(&put(&boss, f.a2, f.lunch), 409);
    assert!(
        p["detail"].as_str().unwrap().contains("not logged in"),
        "{p}"
    );
    assert_problem(&logout(&boss, f.a2), 409);
    documented(
        &doc,
        "get",
        "/api/supervisor/statuses",
        boss.get("/api/supervisor/statuses"),
    );
}

#[test]
fn the_list_shows_the_call_an_agent_is_on_and_counts_calls_today() {
    let f = floor();
    let boss = f.supervisor();
    let logout = |agent: u64| {
        let reply = boss.post(
            &format!("/api/supervisor/agents/{agent}/logout"),
            &json!({}),
        );
        assert_eq!(reply.status, 204, "{}", reply.body);
    };
    // Only 1001 takes the call.
    logout(f.a2);
    f.wait_agents(&boss, &[f.a1]);
    let caller = std::thread::spawn({
        let server_udp = f.server.udp;
        let dir = f.server.dir.path().to_owned();
        move || {
            let inf = dir.join("caller.csv");
            std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
            common::sipp(
                "queue_caller.xml",
                server_udp,
                &inf,
                &["-s", DID, "-m", "1", "-d", "4000"],
            )
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let on_call = loop {
        let a = row(&boss.get("/api/supervisor/agents").json(), f.a1);
        if a["presence"] == "in_call" {
            break a;
        }
        assert!(Instant::now() < deadline, "never in call: {a}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        on_call["call"]["caller"]
            .as_str()
            .unwrap()
            .starts_with("+1555"),
        "{on_call}"
    );
    assert_eq!(on_call["call"]["queue"]["id"], f.queue, "{on_call}");
    assert_eq!(on_call["calls_today"], 1, "{on_call}");
    let run = caller.join().unwrap();
    assert!(run.success, "{}", run.output);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let a = row(&boss.get("/api/supervisor/agents").json(), f.a1);
        if a["call"].is_null() && a["presence"] != "in_call" {
            assert_eq!(a["calls_today"], 1, "{a}");
            break;
        }
        assert!(Instant::now() < deadline, "call never over: {a}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The break allowance left, in ms, as the list shows it.
fn break_left(f: &Floor, who: &Api, agent: u64) -> i64 {
    row(&f.wait_agents_containing(who, agent), agent)["break_left_ms"]
        .as_i64()
        .unwrap()
}

impl Floor {
    fn wait_agents_containing(&self, who: &Api, agent: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let list = who.get("/api/supervisor/agents").json();
            if list.as_array().unwrap().iter().any(|a| a["id"] == agent) {
                return list;
            }
            assert!(Instant::now() < deadline, "{agent} never listed: {list}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sets the demo project's break allowance and time zone.
    fn project_day(&self, break_minutes: i64, time_zone: &str) {
        let p = self
            .api
            .get(&format!("/api/projects/{}", self.project))
            .json();
        let reply = self.api.put(
            &format!("/api/projects/{}", self.project),
            &json!({"name": p["name"], "break_minutes": break_minutes, "time_zone": time_zone}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        std::thread::sleep(Duration::from_millis(500));
    }

    /// A break of `agent` of about `secs`, set and ended by the admin token.
    fn take_break(&self, agent: u64, secs: u64) {
        let path = format!("/api/supervisor/agents/{agent}/status");
        let reply = self.api.put(&path, &json!({"status": self.lunch}));
        assert_eq!(reply.status, 200, "{}", reply.body);
        std::thread::sleep(Duration::from_secs(secs));
        let reply = self.api.put(&path, &json!({"status": 1}));
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

#[test]
fn break_time_used_today_survives_a_restart() {
    let mut f = floor();
    f.project_day(30, "UTC");
    let full = 30 * 60 * 1000;
    assert_eq!(break_left(&f, &f.api, f.a1), full);
    f.take_break(f.a1, 2);
    let left = break_left(&f, &f.api, f.a1);
    assert!(left <= full - 1500, "{left}");
    // The figure is written behind the answer: give it a moment.
    std::thread::sleep(Duration::from_millis(500));

    f.server.restart();
    f.api = Api {
        addr: f.server.http,
        token: f.server.admin_token.clone(),
    };
    // The desk phone's registration survives; it logs 1001 in again.
    assert_eq!(
        break_left(&f, &f.api, f.a1),
        left,
        "the same allowance left as before the restart"
    );
    // 1002 took no break.
    assert_eq!(break_left(&f, &f.api, f.a2), full);
}

#[test]
fn the_working_day_follows_the_project_time_zone_set_through_the_api() {
    use switchboard::cdr::day::Zone;
    let f = floor();
    // A zone whose local date differs from UTC's now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let utc = Zone::utc().day_at(now).date;
    let zone = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]
        .into_iter()
        .find(|z| Zone::named(z).unwrap().day_at(now).date != utc)
        .unwrap();
    f.project_day(30, zone);
    f.take_break(f.a1, 1);
    let expected = Zone::named(zone).unwrap().day_at(now).date;
    let (rt, store) = store_of(&f.server);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = rt
            .block_on(switchboard::store::break_days::recent(&store, now))
            .unwrap();
        if let Some(r) = rows.iter().find(|r| r.user_id == f.a1 as i64) {
            assert_eq!(r.day, expected, "{rows:?}");
            assert_eq!(r.project_id, f.project);
            break;
        }
        assert!(Instant::now() < deadline, "no break saved: {rows:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
