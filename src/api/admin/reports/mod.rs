//! The reports screen's API under `/api/reports` (Menu permission
//! `menu.reports`):
//!
//! - `GET /api/reports/interactions`: the Call Detail Report, filtered
//!   ([`filter`]), a page at a time with the total, or every matching record
//!   as CSV (`format=csv` or `Accept: text/csv`), streamed as it is read;
//! - `GET`/`PUT /api/reports/filter`: the caller's saved filter;
//! - `GET /api/reports/intervals`: the interval report (15 minutes, hours
//!   or days in the project's time zone);
//! - `GET /api/reports/queue_log`: the Asterisk-compatible queue_log.
//!
//! Who sees what: `report.queues` or `report.agents` show the records of the
//! caller's queues (`queue.all` or `queue.<id>`), `report.own` only the
//! records the caller handled. The interval report and the queue_log need
//! `report.queues`; the agents' time in them needs `report.agents` (with
//! `report.own` alone, one's own). Without any `report.*`: 403.

pub mod csv;
pub mod filter;

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};

use super::auth::Principal;
use super::problem::Problem;
use super::recorded::scope_of;
use super::AdminState;
use crate::cdr::day::Zone;
use crate::store::admin::{projects, AdminError};
use crate::store::reports::intervals::{IntervalQuery, Step, PRESENCES};
use crate::store::reports::{CdrRow, Visibility, MAX_CDR_PAGE};
use filter::{Checker, Pairs};

/// A Call Detail Report page's length when the caller names none.
pub const DEFAULT_PAGE: i64 = 50;

/// What the caller may read.
struct Access {
    records: Visibility,
    /// Queue figures: the interval report and the queue_log.
    queues: bool,
    /// The agents' time: `None` no one's, `Some(None)` everyone's,
    /// `Some(Some(id))` one's own.
    agents: Option<Option<i64>>,
}

fn forbidden(what: &str) -> Problem {
    Problem::new("forbidden", format!("this needs the permission {what}"))
}

fn access(who: &Principal) -> Result<Access, Problem> {
    let me = match who {
        Principal::Superuser => {
            return Ok(Access {
                records: Visibility::All,
                queues: true,
                agents: Some(None),
            })
        }
        Principal::User { session, .. } => session.user_id,
    };
    let (queues, agents, own) = (
        who.has("report.queues"),
        who.has("report.agents"),
        who.has("report.own"),
    );
    let records = if queues || agents {
        match scope_of(who) {
            (true, _) => Visibility::All,
            (false, ids) => Visibility::Queues(ids),
        }
    } else if own {
        Visibility::Own(me)
    } else {
        return Err(forbidden("report.own, report.queues or report.agents"));
    };
    Ok(Access {
        records,
        queues,
        agents: if agents {
            Some(None)
        } else if own {
            Some(Some(me))
        } else {
            None
        },
    })
}

fn pairs_of(uri: &Uri) -> Result<Pairs, Problem> {
    Query::<Pairs>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| Problem::new("malformed-request", format!("the query string: {e}")))
}

fn store_failure(e: impl Into<AdminError>) -> Problem {
    Problem::from(e.into())
}

fn now_ms() -> i64 {
    crate::store::unix_ms(std::time::SystemTime::now())
}

/// The report's time zone and project: `project_id`, else the session's
/// project, else the only project there is; UTC without one.
async fn zone_of(
    s: &AdminState,
    who: &Principal,
    pairs: &Pairs,
    check: &mut Checker,
) -> Result<(Zone, Option<i64>), Problem> {
    let named = filter::ids(pairs, "project_id", check).first().copied();
    let session = match who {
        Principal::User { session, .. } => session.project_id,
        Principal::Superuser => None,
    };
    let project = match named.or(session) {
        Some(id) => match projects::get(&s.store, id).await {
            Ok(p) => Some(p),
            Err(AdminError::NotFound(_)) => {
                check.fail("project_id", "no such project");
                None
            }
            Err(e) => return Err(store_failure(e)),
        },
        None => {
            let all = projects::list(&s.store).await.map_err(store_failure)?;
            if all.len() == 1 {
                all.into_iter().next()
            } else {
                None
            }
        }
    };
    let zone = project
        .as_ref()
        .and_then(|p| Zone::named(&p.time_zone).ok())
        .unwrap_or_else(Zone::utc);
    Ok((zone, named.filter(|_| project.is_some())))
}

fn checked(check: Checker) -> Result<(), Problem> {
    if check.errors.is_empty() {
        Ok(())
    } else {
        Err(AdminError::Invalid(check.errors).into())
    }
}

/// Unknown parameters are refused, so a misspelt filter is not ignored.
fn known_only(pairs: &Pairs, known: &[&str], check: &mut Checker) {
    for (k, _) in pairs {
        if !known.contains(&k.as_str()) {
            check.fail(k, "no such parameter");
        }
    }
}

fn item(row: CdrRow) -> Value {
    let mut record = serde_json::to_value(&row.stored.record).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut record {
        map.insert("QueueName".into(), json!(row.queue_name));
        map.insert("AgentName".into(), json!(row.agent_name));
        map.insert("ResultCodeName".into(), json!(row.result_code));
        map.remove("RecordingFile");
        map.remove("Domain");
    }
    record
}

fn wants_csv(pairs: &Pairs, headers: &HeaderMap) -> bool {
    filter::value(pairs, "format") == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))
}

/// `GET /api/reports/interactions`.
pub async fn interactions(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Problem> {
    let access = access(&who)?;
    let pairs = pairs_of(&uri)?;
    let mut check = Checker::default();
    let mut known = filter::CDR_PARAMETERS.to_vec();
    known.extend(["limit", "offset", "format", "project_id"]);
    known_only(&pairs, &known, &mut check);
    if let Some(f) = filter::value(&pairs, "format") {
        if f != "csv" && f != "json" {
            check.fail("format", "csv or json");
        }
    }
    let (zone, _) = zone_of(&s, &who, &pairs, &mut check).await?;
    let cdr = filter::cdr_filter(&pairs, &zone, now_ms(), &mut check);
    let (limit, offset) = filter::paging(&pairs, DEFAULT_PAGE, MAX_CDR_PAGE, &mut check);
    checked(check)?;
    if wants_csv(&pairs, &headers) {
        return Ok(csv_response(s, cdr, access.records));
    }
    let page = s
        .store
        .cdr_page(&cdr, &access.records, limit, offset)
        .await
        .map_err(store_failure)?;
    Ok(Json(json!({
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "from": cdr.from,
        "to": cdr.to,
        "time_zone": zone.name(),
        "items": page.items.into_iter().map(item).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// The CSV of every matching record, written as the rows are read.
fn csv_response(
    s: Arc<AdminState>,
    cdr: crate::store::reports::CdrFilter,
    visible: Visibility,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<CdrRow>(512);
    let store = s.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.cdr_send(&cdr, &visible, tx).await {
            tracing::error!(error = %e, "CSV export failed");
        }
    });
    /// How much CSV one chunk of the answer carries, about.
    const CHUNK: usize = 64 * 1024;
    let state = (rx, Some(csv::header()));
    let body = futures_util::stream::unfold(state, |(mut rx, head)| async move {
        let mut out = head.unwrap_or_default();
        if out.is_empty() {
            let first = rx.recv().await?;
            csv::line(&mut out, &first);
        }
        while out.len() < CHUNK {
            match rx.try_recv() {
                Ok(row) => csv::line(&mut out, &row),
                Err(_) => break,
            }
        }
        Some((Ok::<_, Infallible>(Bytes::from(out)), (rx, None)))
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"interactions.csv\"",
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Whose saved filter: the user's, or the admin token's own (user 0).
fn owner(who: &Principal) -> i64 {
    match who {
        Principal::User { session, .. } => session.user_id,
        Principal::Superuser => 0,
    }
}

/// `GET /api/reports/filter`: the saved filter, `{}` when none is saved.
pub async fn saved_filter(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
) -> Result<Response, Problem> {
    access(&who)?;
    let saved = s
        .store
        .saved_report_filter(owner(&who))
        .await
        .map_err(store_failure)?;
    Ok(Json(saved.unwrap_or_else(|| json!({}))).into_response())
}

/// `PUT /api/reports/filter`: an object of the Call Detail Report's
/// parameters (each a string, a number or a list of them), checked like the
/// query; answers it as saved.
pub async fn save_filter(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    body: Bytes,
) -> Result<Response, Problem> {
    access(&who)?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::new("malformed-request", format!("the body: {e}")))?;
    let Value::Object(map) = value else {
        return Err(Problem::new(
            "malformed-request",
            "the body is an object of filter parameters",
        ));
    };
    let mut check = Checker::default();
    let mut pairs = Pairs::new();
    let mut kept = Map::new();
    for (k, v) in map {
        let texts: Vec<String> = match &v {
            Value::String(t) => vec![t.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Null => continue,
            Value::Array(items) => items
                .iter()
                .filter_map(|i| match i {
                    Value::String(t) => Some(t.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            _ => {
                check.fail(&k, "a string, a number or a list of them");
                continue;
            }
        };
        pairs.extend(texts.into_iter().map(|t| (k.clone(), t)));
        kept.insert(k, v);
    }
    known_only(&pairs, filter::CDR_PARAMETERS, &mut check);
    filter::cdr_filter(&pairs, &Zone::utc(), now_ms(), &mut check);
    checked(check)?;
    let saved = Value::Object(kept);
    s.store
        .save_report_filter(owner(&who), &saved)
        .await
        .map_err(store_failure)?;
    Ok(Json(saved).into_response())
}

fn ratio(r: Option<f64>) -> Value {
    r.map_or(Value::Null, |x| json!((x * 10_000.0).round() / 10_000.0))
}

fn secs(ms: Option<f64>) -> Value {
    ms.map_or(Value::Null, |x| json!((x / 10.0).round() / 100.0))
}

fn figures(t: &crate::store::reports::intervals::Tally) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("offered".into(), json!(t.offered));
    m.insert("answered".into(), json!(t.answered));
    m.insert("abandoned".into(), json!(t.abandoned));
    m.insert("short_abandoned".into(), json!(t.short_abandoned));
    m.insert("queue_exits".into(), json!(t.queue_exits));
    m.insert("timeouts".into(), json!(t.timeouts));
    m.insert("answered_within_sl".into(), json!(t.within_sl));
    m.insert("service_level".into(), ratio(t.service_level()));
    m.insert(
        "service_level_with_short_abandons".into(),
        ratio(t.service_level_with_short()),
    );
    m.insert("asa_secs".into(), secs(t.asa_ms()));
    m.insert("aht_secs".into(), secs(t.aht_ms()));
    m.insert(
        "longest_wait_secs".into(),
        secs(Some(t.longest_wait_ms as f64)),
    );
    m
}

/// `GET /api/reports/intervals`.
pub async fn intervals(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    uri: Uri,
) -> Result<Response, Problem> {
    let access = access(&who)?;
    if !access.queues {
        return Err(forbidden("report.queues"));
    }
    let pairs = pairs_of(&uri)?;
    let mut check = Checker::default();
    known_only(
        &pairs,
        &["from", "to", "step", "queue", "project_id"],
        &mut check,
    );
    let (zone, project) = zone_of(&s, &who, &pairs, &mut check).await?;
    let now = now_ms();
    let (from, to) = filter::range(&pairs, &zone, now, &mut check);
    let step = match filter::value(&pairs, "step") {
        None => Step::Hour,
        Some(t) => Step::parse(t).unwrap_or_else(|| {
            check.fail("step", "15m, 1h or 1d");
            Step::Hour
        }),
    };
    if step == Step::Quarter && to - from > 31 * 86_400_000 {
        check.fail("step", "15-minute buckets cover at most 31 days");
    }
    let queues = filter::ids(&pairs, "queue", &mut check);
    checked(check)?;
    let q = IntervalQuery {
        from,
        to,
        step,
        visible: access.records.clone(),
        queues,
        project,
        agents: access.agents,
        now,
    };
    let report = s
        .store
        .interval_report(&zone, &q)
        .await
        .map_err(store_failure)?;
    let buckets: Vec<Value> = report
        .buckets
        .iter()
        .zip(&report.presence)
        .map(|((b, t), p)| {
            let mut m = figures(t);
            m.insert("start".into(), json!(b.start));
            m.insert("end".into(), json!(b.end));
            m.insert("local".into(), json!(b.local));
            let agents: Map<String, Value> = PRESENCES
                .iter()
                .zip(p)
                .map(|(name, n)| ((*name).to_owned(), json!((n * 100.0).round() / 100.0)))
                .collect();
            m.insert("agents_by_presence".into(), Value::Object(agents));
            Value::Object(m)
        })
        .collect();
    let agents: Vec<Value> = report
        .agents
        .iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("agent".into(), json!(a.agent));
            m.insert("name".into(), json!(a.name));
            for (name, ms) in PRESENCES.iter().zip(a.ms) {
                m.insert(format!("{name}_secs"), json!(ms / 1000));
            }
            m.insert("occupancy".into(), ratio(a.occupancy()));
            Value::Object(m)
        })
        .collect();
    let mut by_category: Map<String, Value> = Map::new();
    let mut by_type: Map<String, Value> = Map::new();
    for c in &report.result_codes {
        for (map, key) in [(&mut by_category, &c.category), (&mut by_type, &c.kind)] {
            let n = map.get(key).and_then(Value::as_i64).unwrap_or(0);
            map.insert(key.clone(), json!(n + c.count));
        }
    }
    Ok(Json(json!({
        "from": from,
        "to": to,
        "step": match step { Step::Quarter => "15m", Step::Hour => "1h", Step::Day => "1d" },
        "time_zone": zone.name(),
        "buckets": buckets,
        "total": Value::Object(figures(&report.total)),
        "agents": agents,
        "result_codes": {
            "codes": report.result_codes,
            "by_category": by_category,
            "by_type": by_type,
        },
        "tags": report.tags,
    }))
    .into_response())
}

/// `GET /api/reports/queue_log`: plain text, one line per event.
pub async fn queue_log(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    uri: Uri,
) -> Result<Response, Problem> {
    let access = access(&who)?;
    if !access.queues {
        return Err(forbidden("report.queues"));
    }
    let pairs = pairs_of(&uri)?;
    let mut check = Checker::default();
    known_only(&pairs, &["from", "to", "project_id"], &mut check);
    let (zone, _) = zone_of(&s, &who, &pairs, &mut check).await?;
    let (from, to) = filter::range(&pairs, &zone, now_ms(), &mut check);
    checked(check)?;
    let lines = s
        .store
        .queue_log(from, to, &access.records, access.agents == Some(None))
        .await
        .map_err(store_failure)?;
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
