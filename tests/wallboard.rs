//! The wallboard's API and WebSocket against the real server, SIPp callers
//! and agents' phones, and the real database file: the day's figures equal
//! those computed from the raw interaction rows of the same calls, survive a
//! restart, move live on the WebSocket, and are shown only to whom may see
//! them, for the queues they see.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::calls::*;
use common::http::{assert_problem, conformance, request, Api};
use common::users::{as_user, make_profile, make_user, token};
use common::TestServer;
use serde_json::{json, Value};
use switchboard::cdr::{Disposition, InteractionRecord, ServiceLevel, ShortAbandons};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// The tile `key` of `GET /api/wallboard`.
fn tile(api: &Api, key: &str) -> Value {
    let reply = api.get("/api/wallboard");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("no tile {key}: {}", reply.body))
}

/// Polls the tile until `check` holds (the figures follow the records
/// within the writer's commit).
fn tile_where(api: &Api, key: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = tile(api, key);
        if check(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "the tile never got there: {t:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The day's figures of `queue`, computed here from the raw rows.
struct Raw {
    answered: u64,
    abandoned: u64,
    sl: Option<f64>,
    sl_without_short: Option<f64>,
    asa: Option<f64>,
    aht: Option<f64>,
}

fn raw(records: &[InteractionRecord], queue: u64) -> Raw {
    let of: Vec<&InteractionRecord> = records
        .iter()
        .filter(|r| r.queue.map(|q| q.0) == Some(queue))
        .collect();
    let answered: Vec<&&InteractionRecord> = of
        .iter()
        .filter(|r| r.disposition == Some(Disposition::Answered))
        .collect();
    let mean = |f: &dyn Fn(&InteractionRecord) -> Duration| {
        (!answered.is_empty()).then(|| {
            let total: Duration = answered.iter().map(|r| f(r)).sum();
            (total / answered.len() as u32).as_secs_f64()
        })
    };
    Raw {
        answered: answered.len() as u64,
        abandoned: of
            .iter()
            .filter(|r| r.disposition == Some(Disposition::Abandoned))
            .count() as u64,
        sl: ServiceLevel::of(of.iter().copied(), ShortAbandons::Included).ratio(),
        sl_without_short: ServiceLevel::of(of.iter().copied(), ShortAbandons::Excluded).ratio(),
        asa: mean(&|r| r.queue_wait_length),
        aht: mean(&|r| r.connected_length + r.acw_length),
    }
}

fn close(shown: &Value, computed: Option<f64>) -> bool {
    match computed {
        None => shown.is_null(),
        // Tiles round lengths to a tenth of a second.
        Some(c) => shown.as_f64().is_some_and(|s| (s - c).abs() <= 0.051),
    }
}

/// Whether tile `t` shows the figures computed from the rows.
fn agrees(t: &Value, raw: &Raw) -> bool {
    t["answered"] == raw.answered
        && t["abandoned"] == raw.abandoned
        && close(&t["service_level"], raw.sl)
        && close(
            &t["service_level_without_short_abandons"],
            raw.sl_without_short,
        )
        && close(&t["asa"], raw.asa)
        && close(&t["aht"], raw.aht)
}

/// The live wallboard: a WebSocket client on `/api/wallboard/socket`.
struct Board {
    ws: tungstenite::WebSocket<TcpStream>,
    tiles: std::collections::HashMap<String, Value>,
    messages: Vec<Value>,
}

impl Board {
    fn open(server: &TestServer, bearer: &str) -> Board {
        let mut request = format!("ws://{}/api/wallboard/socket", server.http)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {bearer}").parse().unwrap());
        let stream = TcpStream::connect(server.http).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let (ws, response) = tungstenite::client::client(request, stream).unwrap();
        assert_eq!(response.status(), 101);
        Board {
            ws,
            tiles: Default::default(),
            messages: Vec::new(),
        }
    }

    /// Applies messages until tile `key` satisfies `check`.
    fn until(&mut self, key: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = self.tiles.get(key).filter(|t| check(t)) {
                return t.clone();
            }
            assert!(
                Instant::now() < deadline,
                "tile {key} never got there: {:#?}",
                self.tiles.get(key)
            );
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    let m: Value = serde_json::from_str(text.as_str()).unwrap();
                    assert!(m["type"] == "snapshot" || m["type"] == "update", "{m}");
                    assert!(
                        m["type"] == "snapshot"
                            || !m["tiles"].as_array().unwrap().is_empty()
                            || !m["removed"].as_array().unwrap().is_empty(),
                        "an update with nothing in it: {m}"
                    );
                    for t in m["tiles"].as_array().unwrap() {
                        self.tiles
                            .insert(t["key"].as_str().unwrap().to_owned(), t.clone());
                    }
                    self.messages.push(m);
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("websocket: {e}"),
            }
        }
    }
}

#[test]
fn the_days_figures_equal_the_raw_rows_and_survive_a_restart() {
    let (mut server, api) = demo("[calls]\nshort_abandon_secs = 1\n");
    let queue = demo_queue(&api)["id"].as_u64().unwrap();
    let key = format!("queue-{queue}");
    let doc = api.get("/api/openapi.json").json();
    let first = api.get("/api/wallboard");
    assert!(
        conformance(&doc, "GET", "/api/wallboard", &first).is_empty(),
        "{:?}",
        conformance(&doc, "GET", "/api/wallboard", &first)
    );
    let empty = tile(&api, &key);
    assert_eq!(
        (empty["answered"].clone(), empty["waiting"].clone()),
        (json!(0), json!(0))
    );
    assert!(empty["service_level"].is_null() && empty["asa"].is_null());
    assert_eq!(empty["name"], "Support");

    let mut board = Board::open(&server, &api.token);
    board.until(&key, |t| t["answered"] == 0);

    // Nobody works yet: the caller waits (the socket shows it), then gives up.
    let waiting = std::thread::spawn({
        let udp = server.udp;
        let dir = server.dir.path().to_owned();
        move || {
            let inf = dir.join("abandon.csv");
            std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
            common::sipp(
                "queue_caller.xml",
                udp,
                &inf,
                &["-s", "600", "-m", "1", "-d", "2500"],
            )
        }
    });
    let w = board.until(&key, |t| t["waiting"] == 1);
    assert!(w["longest_wait_since"].is_u64(), "{w:#}");
    assert_sipp_ok(&waiting.join().unwrap(), "the caller who gives up");
    board.until(&key, |t| t["abandoned"] == 1 && t["waiting"] == 0);

    // An agent answers two calls.
    let phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    board.until(&key, |t| t["agents"]["available"] == 1);
    for _ in 0..2 {
        let run = call(&server, "queue_caller.xml", DID, &["-d", "1500"]);
        assert_sipp_ok(&run, "an answered caller");
    }
    drop(phones);

    let rows: Vec<InteractionRecord> = completed_records(&server, 3)
        .into_iter()
        .map(|s| s.record)
        .collect();
    let computed = raw(&rows, queue);
    assert_eq!((computed.answered, computed.abandoned), (2, 1));
    assert!(computed.sl.is_some() && computed.asa.is_some() && computed.aht.is_some());
    // Pushed, and answered alike, once the last record is in.
    board.until(&key, |t| agrees(t, &computed));
    let shown = tile_where(&api, &key, |t| agrees(t, &computed));
    assert!(shown["longest_wait"].is_number(), "{shown:#}");

    // A restart reads today's rows again.
    drop(board);
    server.restart();
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    let again = tile(&api, &key);
    assert!(agrees(&again, &computed), "after a restart: {again:#}");
}

#[test]
fn only_supervisors_and_report_readers_see_it_and_only_their_queues() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let project = support["project_id"].as_i64().unwrap();
    let sales = common::http::queue(&api, project, "Sales", "610");
    let group = api.post(
        "/api/queue-groups",
        &json!({"name": "Front", "queues": [support["id"], sales]}),
    );
    assert_eq!(group.status, 201, "{}", group.body);

    let nothing = make_profile(&api, "Nothing", &["menu.agent_panel".into()]);
    make_user(
        &api,
        "nora",
        "nora-secret-123",
        json!({"profiles": [nothing]}),
    );
    let nora = as_user(&server, &token(&server, "nora", "nora-secret-123", None));
    let refused = nora.get("/api/wallboard");
    let p = assert_problem(&refused, 403);
    assert_eq!(p["type"], "/api/problems/forbidden");
    assert_problem(&nora.get("/api/wallboard/socket"), 403);

    let reader = make_profile(
        &api,
        "Sales reports",
        &["report.queues".into(), format!("queue.{sales}")],
    );
    make_user(
        &api,
        "rita",
        "rita-secret-123",
        json!({"profiles": [reader]}),
    );
    let rita_token = token(&server, "rita", "rita-secret-123", None);
    let rita = as_user(&server, &rita_token);
    let seen = rita.get("/api/wallboard").json();
    let keys: Vec<&str> = seen["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [format!("queue-{sales}")], "{seen:#}");
    let mut board = Board::open(&server, &rita_token);
    board.until(&format!("queue-{sales}"), |t| t["name"] == "Sales");
    assert_eq!(board.tiles.len(), 1, "{:#?}", board.tiles);

    // The admin sees every queue and the group, which adds them up.
    let all = api.get("/api/wallboard").json();
    let group_tile = all["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "group")
        .cloned()
        .unwrap();
    assert_eq!(group_tile["name"], "Front");
    assert_eq!(group_tile["queues"].as_array().unwrap().len(), 2);

    // Not a WebSocket: a problem, not a hang.
    let plain = request(
        server.http,
        "GET",
        "/api/wallboard/socket",
        Some(&api.token),
        None,
    );
    let p = assert_problem(&plain, 400);
    assert_eq!(p["type"], "/api/problems/malformed-request");
}
