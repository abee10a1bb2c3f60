//! Reports against the real server: a small day of calls driven by SIPp
//! (answered, abandoned, a short abandon, a queue exit by DTMF and a queue
//! timeout), whose figures are computed here from the raw interaction rows
//! of the database file and compared with the interval report, the Call
//! Detail Report (JSON and CSV) and the queue_log export. Also: who may read
//! reports, bad filters answered with 422 naming the parameter, and the
//! saved filter.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::calls::*;
use common::http::{assert_problem, fields, request_with, Reply};
use common::users::{as_user, make_profile, make_user, token};
use common::TestServer;
use serde_json::json;

/// The figures of the day, from the rows.
#[derive(Debug, Default)]
struct Raw {
    offered: i64,
    answered: i64,
    abandoned: i64,
    short: i64,
    exits: i64,
    timeouts: i64,
    within: i64,
    counted: i64,
    wait_answered_ms: i64,
    rows: i64,
}

/// Reads the completed rows of the server's database with plain SQL.
fn raw_rows(server: &TestServer) -> (Raw, Vec<(i64, String, i64)>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&server.database_url).await.unwrap();
        let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT interaction_id, disposition, classification, queue_wait_length_ms, \
             queue_wait_start FROM interactions WHERE state = 'complete' \
             ORDER BY queue_wait_start, interaction_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        let mut raw = Raw::default();
        let mut order = Vec::new();
        for (id, disposition, classification, wait, start) in rows {
            raw.rows += 1;
            order.push((id, disposition.clone(), start));
            if classification != "not counted" {
                raw.offered += 1;
            }
            match (disposition.as_str(), classification.as_str()) {
                ("answered", _) => {
                    raw.answered += 1;
                    raw.wait_answered_ms += wait;
                }
                ("abandoned", "short abandon") => raw.short += 1,
                ("abandoned", _) => raw.abandoned += 1,
                ("abandoned by queue exit", _) => raw.exits += 1,
                ("redirected by queue timeout", _) => raw.timeouts += 1,
                _ => {}
            }
            if classification == "answered within service level" {
                raw.within += 1;
            }
            if [
                "answered within service level",
                "answered outside service level",
                "abandoned",
                "redirected",
            ]
            .contains(&classification.as_str())
            {
                raw.counted += 1;
            }
        }
        (raw, order)
    })
}

/// The body of a chunked answer, put back together.
fn dechunk(reply: &Reply) -> String {
    if reply.header("transfer-encoding") != Some("chunked") {
        return reply.body.clone();
    }
    let mut out = String::new();
    let mut rest = reply.body.as_str();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

/// Runs one caller scenario in a thread.
fn in_background(
    server: &TestServer,
    scenario: &'static str,
    extra: Vec<String>,
) -> std::thread::JoinHandle<common::Sipp> {
    let inf = server.dir.path().join("caller-bg.csv");
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let udp = server.udp;
    std::thread::spawn(move || {
        let mut args: Vec<&str> = vec!["-s", DID, "-m", "1"];
        args.extend(extra.iter().map(String::as_str));
        common::sipp(scenario, udp, &inf, &args)
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.011
}

#[test]
fn a_days_reports_match_the_raw_records() {
    let (server, api) = demo("[calls]\nshort_abandon_secs = 1\n");
    let queue = change_demo_queue(
        &api,
        json!({"exit_kind": "prompt", "queue_timeout_secs": 30, "service_level_secs": 20}),
    );
    let queue_id = queue["id"].as_i64().unwrap();
    // Nobody works yet: the first caller waits for the queue timeout while
    // the others abandon, give up at once, and leave by DTMF.
    let timeout = in_background(
        &server,
        "queue_caller_waits.xml",
        vec!["-recv_timeout".into(), "100s".into()],
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_sipp_ok(
        &call(&server, "queue_caller.xml", DID, &["-d", "2500"]),
        "the caller who abandons",
    );
    assert_sipp_ok(
        &call(&server, "queue_caller.xml", DID, &["-d", "200"]),
        "the short abandon",
    );
    assert_sipp_ok(
        &call(&server, "queue_caller_dtmf.xml", DID, &["-d", "1500"]),
        "the caller who leaves by DTMF",
    );
    let run = timeout.join().unwrap();
    assert!(
        run.success,
        "the caller sent on by the timeout: {}",
        run.output
    );
    // Then an agent answers two callers.
    let _phones = Phones::start(&server, &["1001"], "agent_answer.xml");
    for d in ["1500", "1000"] {
        assert_sipp_ok(
            &call(&server, "queue_caller.xml", DID, &["-d", d]),
            "an answered caller",
        );
    }
    completed_records(&server, 6);
    let (raw, order) = raw_rows(&server);
    assert_eq!(
        (
            raw.answered,
            raw.abandoned,
            raw.short,
            raw.exits,
            raw.timeouts
        ),
        (2, 1, 1, 1, 1),
        "{raw:?}"
    );

    // The interval report: the day, and its hours, agree with the rows.
    let day = api.get("/api/reports/intervals?step=1d");
    assert_eq!(day.status, 200, "{}", day.body);
    let day = day.json();
    let total = &day["total"];
    assert_eq!(total["offered"], raw.offered, "{total}");
    assert_eq!(total["answered"], raw.answered);
    assert_eq!(total["abandoned"], raw.abandoned);
    assert_eq!(total["short_abandoned"], raw.short);
    assert_eq!(total["queue_exits"], raw.exits);
    assert_eq!(total["timeouts"], raw.timeouts);
    let sl = raw.within as f64 / raw.counted as f64;
    assert!(
        close(total["service_level"].as_f64().unwrap(), sl),
        "{total} vs {sl}"
    );
    let sl_short = raw.within as f64 / (raw.counted + raw.short) as f64;
    assert!(close(
        total["service_level_with_short_abandons"].as_f64().unwrap(),
        sl_short
    ));
    let asa = raw.wait_answered_ms as f64 / raw.answered as f64 / 1000.0;
    assert!(
        close(total["asa_secs"].as_f64().unwrap(), asa),
        "{total} vs {asa}"
    );
    assert!(
        total["longest_wait_secs"].as_f64().unwrap() >= 30.0,
        "{total}"
    );
    let hours = api.get("/api/reports/intervals?step=1h").json();
    let buckets = hours["buckets"].as_array().unwrap();
    assert!(buckets.len() >= 23, "{}", buckets.len());
    let summed: i64 = buckets.iter().map(|b| b["offered"].as_i64().unwrap()).sum();
    assert_eq!(summed, raw.offered);
    // The agent worked: their time and the presence over the day are there.
    let agent = agent_id(&server, "1001") as i64;
    let mine = day["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == agent)
        .unwrap_or_else(|| panic!("agent 1001 in {}", day["agents"]))
        .clone();
    // The callers' pauses include their wait: about a second and a half talked.
    assert!(mine["in_call_secs"].as_i64().unwrap() >= 1, "{mine}");
    assert!(mine["occupancy"].as_f64().unwrap() > 0.0, "{mine}");

    // The Call Detail Report: every row, and the filters narrow it.
    let all = api.get("/api/reports/interactions").json();
    assert_eq!(all["total"], raw.rows, "{all}");
    let abandoned = api
        .get("/api/reports/interactions?disposition=abandoned")
        .json();
    assert_eq!(abandoned["total"], raw.abandoned + raw.short);
    let short = api
        .get("/api/reports/interactions?classification=short%20abandon")
        .json();
    assert_eq!(short["total"], raw.short);
    let long_waits = api.get("/api/reports/interactions?min_wait=25").json();
    assert_eq!(long_waits["total"], 1, "the timeout: {long_waits}");
    let answered = api
        .get(&format!(
            "/api/reports/interactions?agent={agent}&queue={queue_id}&min_talk=0.5"
        ))
        .json();
    assert_eq!(answered["total"], raw.answered);
    assert_eq!(answered["items"][0]["QueueName"], "Support");
    let paged = api.get("/api/reports/interactions?limit=2&offset=2").json();
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    assert_eq!(paged["total"], raw.rows);

    // CSV: a header and a line per record, the same as the JSON.
    let csv = request_with(
        server.http,
        "GET",
        "/api/reports/interactions",
        &[
            ("Authorization", &format!("Bearer {}", api.token)),
            ("Accept", "text/csv"),
        ],
        "",
        None,
    );
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = dechunk(&csv);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("InteractionID,InitMoment,"), "{text}");
    assert_eq!(lines.len() as i64, raw.rows + 1, "{text}");
    let ids: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InteractionID"].to_string())
        .collect();
    let csv_ids: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(csv_ids, ids);

    // The queue_log: each call's lines in order, the whole log in time order.
    let log = api.get("/api/reports/queue_log");
    assert_eq!(log.status, 200, "{}", log.body);
    assert!(log
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let log_lines: Vec<Vec<&str>> = log.body.lines().map(|l| l.split('|').collect()).collect();
    let epochs: Vec<i64> = log_lines.iter().map(|f| f[0].parse().unwrap()).collect();
    assert!(epochs.windows(2).all(|w| w[0] <= w[1]), "{}", log.body);
    let mut per_call: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut entered = Vec::new();
    for f in &log_lines {
        if f[1] != "NONE" {
            per_call.entry(f[1].to_owned()).or_default().push(f[4]);
            if f[4] == "ENTERQUEUE" {
                assert_eq!(f[2], "Support", "{f:?}");
                assert!(f[6].starts_with("+1555"), "the caller id: {f:?}");
                entered.push(f[1].to_owned());
            }
        }
    }
    let expected_order: Vec<String> = order.iter().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(entered, expected_order, "{}", log.body);
    for (id, disposition, _) in &order {
        let expected: &[&str] = match disposition.as_str() {
            "answered" => &["ENTERQUEUE", "CONNECT", "COMPLETECALLER"],
            "abandoned" => &["ENTERQUEUE", "ABANDON"],
            "abandoned by queue exit" => &["ENTERQUEUE", "EXITWITHKEY"],
            "redirected by queue timeout" => &["ENTERQUEUE", "EXITWITHTIMEOUT"],
            other => panic!("unexpected {other}"),
        };
        assert_eq!(per_call[&id.to_string()], expected, "{id}: {}", log.body);
    }
    let connect = log_lines
        .iter()
        .find(|f| f[4] == "CONNECT")
        .expect("a CONNECT");
    assert_eq!(connect[3], "1001", "the agent: {connect:?}");
    let timed_out = log_lines
        .iter()
        .find(|f| f[4] == "EXITWITHTIMEOUT")
        .unwrap();
    assert!(timed_out[7].parse::<i64>().unwrap() >= 30, "{timed_out:?}");
    assert!(
        log_lines
            .iter()
            .any(|f| f[4] == "ADDMEMBER" && f[3] == "1001" && f[2] == "Support"),
        "the agent joined the queue: {}",
        log.body
    );
}

#[test]
fn reports_need_their_permissions_and_bad_filters_are_named() {
    let (server, api) = common::http::server();
    // No report permission at all, and report.own only.
    let looker = make_profile(&api, "Looker", &["menu.reports".into()]);
    make_user(&api, "lou", "lou-looks-123", json!({"profiles": [looker]}));
    let lou = as_user(&server, &token(&server, "lou", "lou-looks-123", None));
    for path in [
        "/api/reports/interactions",
        "/api/reports/intervals",
        "/api/reports/queue_log",
        "/api/reports/filter",
    ] {
        let p = assert_problem(&lou.get(path), 403);
        assert!(p["detail"].as_str().unwrap().contains("report."), "{p}");
    }
    let own = make_profile(&api, "Own", &["menu.reports".into(), "report.own".into()]);
    make_user(&api, "oli", "oli-owns-1234", json!({"profiles": [own]}));
    let oli = as_user(&server, &token(&server, "oli", "oli-owns-1234", None));
    assert_eq!(oli.get("/api/reports/interactions").status, 200);
    assert_problem(&oli.get("/api/reports/intervals"), 403);
    // Without menu.reports the screen is closed whatever else.
    let nomenu = make_profile(&api, "NoMenu", &["report.queues".into()]);
    make_user(&api, "nia", "nia-nomenu-12", json!({"profiles": [nomenu]}));
    let nia = as_user(&server, &token(&server, "nia", "nia-nomenu-12", None));
    assert_problem(&nia.get("/api/reports/interactions"), 403);

    // Bad filters: 422, each failing parameter named.
    let p = assert_problem(
        &api.get("/api/reports/interactions?from=yesterday&queue=x&disposition=lost&min_wait=-1&colour=red"),
        422,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(
        named,
        ["colour", "disposition", "from", "min_wait", "queue"],
        "{p}"
    );
    let p = assert_problem(
        &api.get("/api/reports/intervals?step=week&from=2026-12-06&to=2026-12-01"),
        422,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, ["step", "to"], "{p}");
    assert_problem(&api.get("/api/reports/queue_log?to=soon"), 422);

    // Every JSON answer, and the refusals, are as the OpenAPI document says.
    let doc = api.get("/api/openapi.json").json();
    let mut failures = Vec::new();
    for (method, path, reply) in [
        (
            "GET",
            "/api/reports/interactions",
            api.get("/api/reports/interactions?limit=5"),
        ),
        (
            "GET",
            "/api/reports/interactions",
            api.get("/api/reports/interactions?queue=x"),
        ),
        (
            "GET",
            "/api/reports/intervals",
            api.get("/api/reports/intervals?step=15m"),
        ),
        (
            "GET",
            "/api/reports/intervals",
            oli.get("/api/reports/intervals"),
        ),
        ("GET", "/api/reports/filter", api.get("/api/reports/filter")),
        (
            "GET",
            "/api/reports/queue_log",
            api.get("/api/reports/queue_log?from=x"),
        ),
    ] {
        for f in common::http::conformance(&doc, method, path, &reply) {
            failures.push(format!("{method} {path} {}: {f}", reply.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The saved filter: stored per user, checked like the query.
    assert_eq!(oli.get("/api/reports/filter").json(), json!({}));
    let saved = oli.put(
        "/api/reports/filter",
        &json!({"disposition": ["answered"], "min_wait": 5, "caller": "+1555"}),
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        oli.get("/api/reports/filter").json(),
        json!({"disposition": ["answered"], "min_wait": 5, "caller": "+1555"})
    );
    assert_eq!(api.get("/api/reports/filter").json(), json!({}), "per user");
    let p = assert_problem(
        &oli.put(
            "/api/reports/filter",
            &json!({"disposition": "lost", "limit": 3}),
        ),
        422,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, ["disposition", "limit"], "{p}");
    let found = common::http::conformance(&doc, "PUT", "/api/reports/filter", &saved);
    assert!(found.is_empty(), "PUT /api/reports/filter: {found:?}");
}
