//! Who may do what: every operation of the OpenAPI document (its paths ×
//! methods, so a new route is covered as soon as it is documented), as each
//! kind of caller, against the real server with real objects. The callers are
//! the admin token, a supervisor whose profile names some screens and some
//! queues (a cookie session), an agent, another project's agent, and nobody.
//! What each may expect is one function of the operation and the caller
//! ([`expected`]), not a list of rows.
//!
//! An operation under a queue, or naming one, runs twice: once against a queue
//! the supervisor may see, once against one it may not. An operation that
//! takes an id runs against an object made for it (the agent panel's call is a
//! real call in after-call work: SIPp plays the agent's phone and the caller).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::calls::{call, change_demo_queue, demo, demo_queue, Phones, DID};
use common::http::{request_bytes, Api, Reply};
use common::users::{id, make_profile, make_user, profile_id, token};
use common::TestServer;
use serde_json::{json, Value};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    Admin,
    /// Some screens ([`SUPERVISOR_SCREENS`]) and the queues of `Scope::Seen`.
    Supervisor,
    /// An agent of another project than the agent's.
    Stranger,
    /// The agent of the demo project, whose call is in after-call work.
    Agent,
}

/// The agent comes last: its result closes the call the others are refused.
const EVERYONE: [Who; 5] = [
    Who::Nobody,
    Who::Admin,
    Who::Supervisor,
    Who::Stranger,
    Who::Agent,
];

/// The queue an operation is under or names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The operation reaches no queue.
    Free,
    /// A queue the supervisor may see.
    Seen,
    /// A queue the supervisor may not see.
    Hidden,
}

/// The Menu permissions of the supervisor's profile.
const SUPERVISOR_SCREENS: &[&str] = &[
    "menu.queues",
    "menu.queue_groups",
    "menu.tags",
    "menu.dial_plan",
    "menu.users",
    "menu.result_codes",
];

/// The screen (Menu permission) a path belongs to; none for what every
/// logged-in caller may use.
fn screen(template: &str) -> Option<&'static str> {
    Some(match template.split('/').nth(2).unwrap_or("") {
        "projects" => "menu.projects",
        "statuses" => "menu.statuses",
        "queues" => "menu.queues",
        "queue-groups" => "menu.queue_groups",
        "result-codes" | "deliveries" => "menu.result_codes",
        "tags" => "menu.tags",
        "users" => "menu.users",
        "profiles" | "permissions" => "menu.profiles",
        "agent-groups" => "menu.agent_groups",
        "pickup-groups" => "menu.pickup_groups",
        "trunks" | "routes" | "outbound-routes" | "ivr-menus" | "time-conditions" | "blacklist"
        | "announcements" => "menu.dial_plan",
        "interactions" | "recording-listens" => "menu.reports",
        "callbacks" | "supervisor" | "wallboard" => "menu.supervisor_panel",
        "reports" => "menu.reports",
        "agent" => "menu.agent_panel",
        _ => return None,
    })
}

/// Operations whose permitted answers need live state this world does not
/// keep (an agent on a call, a supervisor's phone, a WebSocket, a day of
/// records): here every caller without the permission is refused; what the
/// permitted get is tested in tests/supervisor.rs, tests/monitor.rs,
/// tests/wallboard.rs and tests/reports.rs.
fn permitted_elsewhere(template: &str) -> bool {
    ["/api/supervisor/", "/api/wallboard", "/api/reports/"]
        .iter()
        .any(|p| template.starts_with(p))
}

/// Items that name queues, hidden with any queue they name.
const NAMING_QUEUES: &[&str] = &["queue-groups", "tags", "routes"];

/// Whether the operation is under a queue, or names one in its item or body.
fn reaches_a_queue(method: &str, template: &str) -> bool {
    let resource = template.split('/').nth(2).unwrap_or("");
    let item = template.ends_with("/{id}");
    let collection = template.matches('/').count() == 2;
    template.starts_with("/api/queues/{id}")
        || (NAMING_QUEUES.contains(&resource) && (item || method == "POST"))
        // A queue's exit queue, a user's queues.
        || (method == "POST" && collection && ["queues", "users"].contains(&resource))
        || (method == "PUT" && template == "/api/users/{id}")
}

/// The status `who` gets for `method template` in `scope`; `success` is the
/// one 2xx status the document lists for the operation.
fn expected(method: &str, template: &str, who: Who, scope: Scope, success: u16) -> u16 {
    if template == "/api/login" {
        return success;
    }
    if who == Who::Nobody {
        return 401;
    }
    if template.starts_with("/api/deliveries/{id}") {
        // The world keeps no delivery (see `World::path`): a caller let in
        // finds none.
        let base = expected(method, "/api/deliveries", who, scope, success);
        return if base == success { 404 } else { base };
    }
    let screen = screen(template);
    if screen == Some("menu.agent_panel") {
        return panel(method, template, who, success);
    }
    match who {
        // The case's call was not recorded.
        Who::Admin if template == "/api/interactions/{id}/recording" => 404,
        Who::Admin => success,
        Who::Agent | Who::Stranger if screen.is_some() => 403,
        Who::Supervisor if screen.is_some_and(|s| !SUPERVISOR_SCREENS.contains(&s)) => 403,
        Who::Supervisor if scope == Scope::Hidden => {
            let resource = template.split('/').nth(2).unwrap_or("");
            let hidden_item = template.starts_with("/api/queues/{id}")
                || (NAMING_QUEUES.contains(&resource) && template.contains("{id}"));
            if hidden_item {
                404
            } else {
                // Naming a hidden queue is naming no queue.
                422
            }
        }
        _ => success,
    }
}

/// The agent panel: a user's session with `menu.agent_panel`, and only the
/// agent's own project and calls.
fn panel(method: &str, template: &str, who: Who, success: u16) -> u16 {
    match who {
        Who::Admin | Who::Supervisor => 403,
        // The agent's call is in after-call work, the stranger never had
        // it: neither is connected to it, so neither may transfer it nor
        // record it.
        Who::Agent | Who::Stranger
            if template == "/api/agent/calls/{id}/transfer"
                || template == "/api/agent/calls/{id}/recording" =>
        {
            409
        }
        Who::Stranger if template.contains("{id}") => 404,
        // The world keeps no follow-up (see `World::path`).
        Who::Agent if template.starts_with("/api/agent/follow-ups/") => 404,
        Who::Stranger if method == "POST" && template == "/api/agent/login" => 422,
        _ => success,
    }
}

/// The id the agent panel's follow-up operations and the outbox's delivery
/// operations are tried with: no follow-up or delivery has it.
const NO_FOLLOW_UP: u64 = 777;

/// A request body.
enum Body {
    None,
    Json(Value),
    Csv(String),
    /// An announcement's audio file (a WAV).
    Wav(Vec<u8>),
}

/// A short WAV: a second of a 440 Hz tone at 8 kHz.
fn wav() -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
    for i in 0..8000 {
        let t = i as f64 / 8000.0;
        w.write_sample(((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    out.into_inner()
}

/// The server, its callers and the objects the cases share.
struct World {
    server: TestServer,
    admin: Api,
    /// The demo project: the agent's.
    project: i64,
    /// The demo queue the agent serves.
    queue: i64,
    agent_user: i64,
    agent_profile: i64,
    /// Queues named by the items of `Scope::Seen` and `Scope::Hidden`.
    seen: i64,
    hidden: i64,
    supervisor_profile: i64,
    granted: Vec<String>,
    stranger_project: i64,
    done: i64,
    sessions: [(Who, String); 3],
    /// The agent's call in after-call work, while it lasts.
    call: Option<u64>,
    _phones: Phones,
    n: u32,
}

impl World {
    fn new() -> World {
        let (server, admin) = demo("");
        let q = demo_queue(&admin);
        let queue = id(&q);
        let project = q["project_id"].as_i64().unwrap();
        let done = id(&created(admin.post(
            "/api/result-codes",
            &json!({"category": "other", "type": "call", "display_name": "Done"}),
        )));
        change_demo_queue(
            &admin,
            json!({"after_call_work_secs": 3600, "result_codes": [done]}),
        );
        let agent_profile = profile_id(&admin, "Agent");
        let agent_user = admin
            .get("/api/users")
            .json()
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "1001")
            .map(id)
            .unwrap();
        let put = admin.put(
            &format!("/api/users/{agent_user}"),
            &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                    "password": "agent password", "profiles": [agent_profile],
                    "projects": [project], "queues": [queue]}),
        );
        assert_eq!(put.status, 200, "{}", put.body);

        let number = |n: &str| json!({"project_id": project, "name": n, "number": n});
        let seen = id(&created(admin.post("/api/queues", &number("7001"))));
        let hidden = id(&created(admin.post("/api/queues", &number("7002"))));
        let mut granted: Vec<String> = SUPERVISOR_SCREENS.iter().map(|s| s.to_string()).collect();
        granted.push(format!("queue.{seen}"));
        let supervisor_profile = make_profile(&admin, "Some queues", &granted);
        make_user(
            &admin,
            "supervisor",
            "supervisor password",
            json!({"profiles": [supervisor_profile]}),
        );

        let stranger_project = common::http::project(&admin, "Elsewhere");
        let theirs = common::http::queue(&admin, stranger_project, "Theirs", "7100");
        make_user(
            &admin,
            "stranger",
            "stranger password",
            json!({"projects": [stranger_project], "queues": [theirs]}),
        );
        make_user(&admin, "visitor", "visitor password", json!({}));

        let sessions = [
            (
                Who::Supervisor,
                token(&server, "supervisor", "supervisor password", None),
            ),
            (
                Who::Stranger,
                token(&server, "stranger", "stranger password", None),
            ),
            (Who::Agent, token(&server, "1001", "agent password", None)),
        ];
        let phones = Phones::start(&server, &["1001"], "agent_answer.xml");
        World {
            server,
            admin,
            project,
            queue,
            agent_user,
            agent_profile,
            seen,
            hidden,
            supervisor_profile,
            granted,
            stranger_project,
            done,
            sessions,
            call: None,
            _phones: phones,
            n: 0,
        }
    }

    fn next(&mut self) -> u32 {
        self.n += 1;
        self.n
    }

    fn session(&self, who: Who) -> Option<&str> {
        self.sessions
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, t)| t.as_str())
    }

    /// Sends a request as `who`: the supervisor by cookie, the agents by
    /// bearer session token, the admin by the admin token.
    fn send(&self, who: Who, method: &str, path: &str, body: &Body) -> Reply {
        let (kind, bytes) = match body {
            Body::None => ("application/json", None),
            Body::Json(v) => ("application/json", Some(v.to_string().into_bytes())),
            Body::Csv(text) => ("text/csv", Some(text.clone().into_bytes())),
            Body::Wav(bytes) => ("audio/wav", Some(bytes.clone())),
        };
        let header = match who {
            Who::Nobody => None,
            Who::Admin => Some(("Authorization", format!("Bearer {}", self.admin.token))),
            Who::Supervisor => Some((
                "Cookie",
                format!("switchboard_session={}", self.session(who).unwrap()),
            )),
            Who::Stranger | Who::Agent => Some((
                "Authorization",
                format!("Bearer {}", self.session(who).unwrap()),
            )),
        };
        let headers: Vec<(&str, &str)> = header.iter().map(|(k, v)| (*k, v.as_str())).collect();
        request_bytes(
            self.server.http,
            method,
            path,
            &headers,
            kind,
            bytes.as_deref(),
        )
    }

    /// A new session for `who` after theirs ended.
    fn renew(&mut self, who: Who) {
        let (username, password) = match who {
            Who::Supervisor => ("supervisor", "supervisor password"),
            Who::Stranger => ("stranger", "stranger password"),
            Who::Agent => ("1001", "agent password"),
            _ => return,
        };
        let t = token(&self.server, username, password, None);
        for (w, old) in self.sessions.iter_mut() {
            if *w == who {
                *old = t.clone();
            }
        }
    }

    /// The queue an item or body of `scope` names.
    fn named(&self, scope: Scope) -> Option<i64> {
        match scope {
            Scope::Free => None,
            Scope::Seen => Some(self.seen),
            Scope::Hidden => Some(self.hidden),
        }
    }

    /// The body of `method template`.
    fn body(&mut self, method: &str, template: &str, scope: Scope) -> Body {
        let n = self.next();
        let named = self.named(scope);
        let queues: Vec<i64> = named.into_iter().collect();
        let resource = template.split('/').nth(2).unwrap_or("");
        // What follows the resource and the ids: `agents`, `login`, `calls`...
        let sub = template
            .split('/')
            .skip(3)
            .find(|segment| !segment.starts_with('{'));
        Body::Json(match (method, resource, sub) {
            ("GET" | "DELETE", _, _) => return Body::None,
            ("POST", "login", _) => json!({"username": "visitor", "password": "visitor password"}),
            ("POST", "logout", _) => return Body::None,
            ("POST", "announcements", None) => return Body::Wav(wav()),
            ("PUT", "announcements", None) => json!({"name": format!("Prompt {n}")}),
            ("POST", "projects", None) | ("PUT", "projects", None) => {
                json!({"name": format!("Project {n}")})
            }
            (_, "statuses", None) => json!({"category": "break", "name": format!("Status {n}")}),
            (_, "queues", None | Some("check")) => {
                let mut q = json!({"project_id": self.project, "name": format!("Queue {n}"),
                                   "number": format!("8{n:05}")});
                if let Some(exit) = named {
                    q["exit_queue_id"] = json!(exit);
                }
                q
            }
            ("PUT", "queues", Some("agents")) => json!([{"user_id": self.agent_user}]),
            (_, "queue-groups", None) => json!({"name": format!("Group {n}"), "queues": queues}),
            (_, "result-codes", None) => {
                json!({"category": "other", "type": "call", "display_name": format!("Code {n}")})
            }
            (_, "tags", None | Some("check")) => {
                json!({"name": format!("Tag {n}"), "colour": "#123456", "queues": queues})
            }
            (_, "trunks", None) => {
                json!({"name": format!("Trunk {n}"), "addresses": [format!("192.0.2.{}", n % 250)]})
            }
            (_, "routes", None) => json!({"number": format!("+1555{n:07}"),
                                          "queue_id": named.unwrap_or(self.seen)}),
            (_, "profiles", None) => {
                json!({"name": format!("Profile {n}"), "permissions": ["menu.reports"]})
            }
            (_, "ivr-menus", None) => {
                let options = match named {
                    Some(q) => json!({"1": {"kind": "queue", "queue_id": q}}),
                    None => json!({}),
                };
                json!({"project_id": self.project, "name": format!("Menu {n}"),
                       "prompt": "prompts/en/goodbye", "options": options})
            }
            (_, "time-conditions", None) => {
                let open = match named {
                    Some(q) => json!({"kind": "queue", "queue_id": q}),
                    None => json!({"kind": "hangup"}),
                };
                json!({"project_id": self.project, "name": format!("Hours {n}"),
                       "open": open, "closed": {"kind": "hangup"}})
            }
            (_, "blacklist", None) => {
                json!({"project_id": self.project, "number": format!("+1666{n:07}")})
            }
            (_, "outbound-routes", None) => {
                let trunk = created(self.admin.post(
                    "/api/trunks",
                    &json!({"name": format!("Carrier {n}"),
                            "addresses": [format!("198.51.100.{}", n % 250)]}),
                ));
                json!({"project_id": self.project, "name": format!("Route {n}"),
                       "pattern": "_X.", "trunk_id": id(&trunk)})
            }
            ("POST", "users", Some("import")) => {
                return Body::Csv(format!(
                    "username,first_name,last_name,profiles\nimported-{n},I,M,Agent\n"
                ))
            }
            ("PUT", "users", Some(_)) => json!({"password": "extension password"}),
            (_, "users", None) => json!({"username": format!("user-{n}"), "first_name": "U",
                                         "last_name": "N", "profiles": [self.agent_profile],
                                         "queues": queues}),
            (_, "agent-groups" | "pickup-groups", None) => {
                json!({"name": format!("Group {n}"), "members": [self.agent_user]})
            }
            (_, "callbacks", None) => json!({"queue_id": named.unwrap_or(self.seen),
                                             "number": format!("+1555{n:07}")}),
            ("POST", "agent", Some("login")) => json!({"project": self.project}),
            ("POST", "agent", Some("logout")) => return Body::None,
            ("POST", "agent", Some("status")) => json!({"status": 1}),
            ("POST", "agent", Some("calls")) if template.ends_with("/transfer") => {
                json!({"target": "7001"})
            }
            ("POST", "agent", Some("calls")) => json!({"code": self.done}),
            ("POST", "agent", Some("follow-ups")) => json!({}),
            ("POST", "deliveries", _) => return Body::None,
            ("PUT", "result-codes", Some("integration")) => {
                json!({"http": {"url": "http://127.0.0.1:9/finished"}})
            }
            (_, "supervisor" | "reports", _) => json!({}),
            _ => panic!("no body for {method} {template}: add one to World::body"),
        })
    }

    /// A new item of `resource` in `scope`; its id.
    fn fresh(&mut self, resource: &str, scope: Scope) -> i64 {
        // A user serves no queue yet, so that a replace naming one adds it.
        let scope = if resource == "users" {
            Scope::Free
        } else {
            scope
        };
        let collection = format!("/api/{resource}");
        if resource == "announcements" {
            // Uploaded as audio, named in the query.
            let path = self.path(&collection, scope);
            let headers = [("Authorization", format!("Bearer {}", self.admin.token))];
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reply = request_bytes(
                self.server.http,
                "POST",
                &path,
                &headers,
                "audio/wav",
                Some(&wav()),
            );
            return id(&created(reply));
        }
        let Body::Json(body) = self.body("POST", &collection, scope) else {
            unreachable!()
        };
        let made = id(&created(self.admin.post(&collection, &body)));
        if resource == "queues" && scope == Scope::Seen {
            self.granted.push(format!("queue.{made}"));
            let put = self.admin.put(
                &format!("/api/profiles/{}", self.supervisor_profile),
                &json!({"name": "Some queues", "permissions": self.granted}),
            );
            assert_eq!(put.status, 200, "{}", put.body);
        }
        made
    }

    /// `template` with its ids replaced by objects made for the case.
    fn path(&mut self, template: &str, scope: Scope) -> String {
        if template == "/api/interactions" {
            return format!("{template}?has_recording=true");
        }
        if template == "/api/announcements" {
            // An upload's project and name (a list takes the project too).
            let n = self.next();
            return format!("{template}?project_id={}&name=Prompt-{n}", self.project);
        }
        if template == "/api/outbound-routes/match" {
            return format!("{template}?project_id={}&number=5551234", self.project);
        }
        if !template.contains('{') {
            return template.to_owned();
        }
        let resource = template.split('/').nth(2).unwrap_or("");
        if resource == "supervisor" {
            return template
                .replace("{id}", &self.agent_user.to_string())
                .replace("{call}", "1");
        }
        if resource == "deliveries" {
            // Deliveries are made by finished calls, not by the API; they
            // are answered in tests/webhooks.rs.
            return template.replace("{id}", &NO_FOLLOW_UP.to_string());
        }
        if resource == "interactions" {
            // The record of the agent's call.
            let id = self.call();
            return template.replace("{id}", &id.to_string());
        }
        if resource == "agent" {
            let id = if template.starts_with("/api/agent/projects/") {
                self.project as u64
            } else if template.starts_with("/api/agent/calls/") {
                self.call()
            } else if template.starts_with("/api/agent/follow-ups/") {
                // No follow-up: closing a real one is answered in
                // tests/results.rs.
                NO_FOLLOW_UP
            } else {
                panic!("no object for {template}: add one to World::path")
            };
            return template.replace("{id}", &id.to_string());
        }
        let made = self.fresh(resource, scope);
        let mut path = template.replace("{id}", &made.to_string());
        if template.contains("{sip_username}") {
            let name = format!("x{}", self.next());
            let at = format!("/api/users/{made}/extensions/{name}");
            let put = self
                .admin
                .put(&at, &json!({"password": "extension password"}));
            assert_eq!(put.status, 200, "{}", put.body);
            path = path.replace("{sip_username}", &name);
        }
        assert!(!path.contains('{'), "no object for {template}");
        path
    }

    /// Logs `who` in to dispatch, in their own project, if they are not.
    fn on_duty(&self, who: Who) {
        let project = match who {
            Who::Agent => self.project,
            Who::Stranger => self.stranger_project,
            _ => return,
        };
        let me = self.send(who, "GET", "/api/agent/me", &Body::None).json();
        if !me["session"].is_null() {
            return;
        }
        // Dispatch learns of a new project with the reload that follows a write.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let reply = self.send(
                who,
                "POST",
                "/api/agent/login",
                &Body::Json(json!({"project": project})),
            );
            if reply.status == 200 {
                return;
            }
            assert!(Instant::now() < deadline, "{who:?} login: {}", reply.body);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The agent's call in after-call work: a caller reaches the demo queue,
    /// the agent's phone answers, the caller hangs up.
    fn call(&mut self) -> u64 {
        if let Some(call) = self.call {
            return call;
        }
        // Available in the demo queue, whatever the cases before left.
        let login = self.send(
            Who::Agent,
            "POST",
            "/api/agent/login",
            &Body::Json(json!({"project": self.project, "queues": [self.queue]})),
        );
        assert_eq!(login.status, 200, "{}", login.body);
        let run = call(&self.server, "queue_caller.xml", DID, &["-d", "1000"]);
        assert!(run.success, "{}", run.output);
        let deadline = Instant::now() + Duration::from_secs(30);
        let call = loop {
            let me = self.send(Who::Agent, "GET", "/api/agent/me", &Body::None);
            if let Some(call) = me.json()["session"]["wrapup"]["call"].as_u64() {
                break call;
            }
            assert!(Instant::now() < deadline, "no after-call work: {}", me.body);
            std::thread::sleep(Duration::from_millis(100));
        };
        self.call = Some(call);
        call
    }

    /// What an answer changed that later cases depend on.
    fn after(&mut self, who: Who, method: &str, template: &str, status: u16) {
        if !(200..300).contains(&status) {
            return;
        }
        match (method, template) {
            ("POST", "/api/logout") => self.renew(who),
            ("POST", "/api/agent/calls/{id}/result") => self.call = None,
            // A new login in dispatch may end the after-call work.
            ("POST", "/api/agent/login") if who == Who::Agent => self.call = None,
            _ => {}
        }
    }
}

fn created(reply: Reply) -> Value {
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()
}

/// The one 2xx (or 101) status the document lists for an operation.
fn success_of(operation: &Value) -> u16 {
    let codes: Vec<u16> = operation["responses"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.parse().ok())
        // A WebSocket's success is its upgrade.
        .filter(|s| (200..300).contains(s) || *s == 101)
        .collect();
    assert_eq!(codes.len(), 1, "{operation}");
    codes[0]
}

#[test]
fn every_operation_answers_each_caller_as_its_permissions_say() {
    let mut world = World::new();
    let doc = world.admin.get("/api/openapi.json").json();
    let operations: Vec<(String, String, Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(template, item)| {
            ["get", "put", "post", "delete", "patch"]
                .into_iter()
                .filter(|m| item[*m].is_object())
                .map(|m| (m.to_uppercase(), template.clone(), item[m].clone()))
        })
        .collect();
    assert!(operations.len() > 70, "{} operations", operations.len());

    let mut failures = Vec::new();
    let mut hidden_cases = BTreeSet::new();
    let mut cases = 0;
    for (method, template, operation) in &operations {
        // Who sees which voicemail box (their own, their queues') is
        // answered in tests/voicemail.rs.
        if template.starts_with("/api/voicemail-") {
            continue;
        }
        let success = success_of(operation);
        let scopes: &[Scope] = if reaches_a_queue(method, template) {
            &[Scope::Seen, Scope::Hidden]
        } else {
            &[Scope::Free]
        };
        for &scope in scopes {
            for who in EVERYONE {
                if who == Who::Admin && permitted_elsewhere(template) {
                    continue;
                }
                if screen(template) == Some("menu.agent_panel") {
                    world.on_duty(who);
                }
                let path = world.path(template, scope);
                let body = world.body(method, template, scope);
                let reply = world.send(who, method, &path, &body);
                let want = expected(method, template, who, scope, success);
                cases += 1;
                if scope == Scope::Hidden && who == Who::Supervisor {
                    hidden_cases.insert(format!("{method} {template}"));
                }
                if reply.status != want {
                    failures.push(format!(
                        "{method} {template} ({scope:?}) as {who:?}: {} instead of {want}: {}",
                        reply.status, reply.body
                    ));
                } else if want >= 400
                    && reply.header("content-type") != Some("application/problem+json")
                {
                    failures.push(format!(
                        "{method} {template} ({scope:?}) as {who:?}: {want} is no problem+json"
                    ));
                }
                world.after(who, method, template, reply.status);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Everything beneath a queue was tried against a hidden one.
    for op in [
        "GET /api/queues/{id}",
        "PUT /api/queues/{id}",
        "DELETE /api/queues/{id}",
        "GET /api/queues/{id}/agents",
        "PUT /api/queues/{id}/agents",
        "GET /api/queues/{id}/offered-result-codes",
        "PUT /api/routes/{id}",
        "POST /api/tags",
    ] {
        assert!(
            hidden_cases.contains(op),
            "{op} not tried: {hidden_cases:?}"
        );
    }
}
