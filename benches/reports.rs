//! Report query times over a big interaction table: fills a fresh database
//! file with ROWS interaction records (ten days of 100,000 each by default)
//! and AGENT_EVENTS agent history events in bulk, then times, over one day,
//! the interval report (hours and 15 minutes, with agent presence), the
//! Call Detail Report's first page (with and without filters) and the CSV
//! export of the whole day. Each figure is the median of five runs.
//!
//! Run through `tools/bench-reports [ROWS]`; it lives among the benchmarks
//! so that it is built in release mode.

use std::time::{Duration, Instant};

use switchboard::api::admin::reports::csv;
use switchboard::cdr::day::Zone;
use switchboard::store::reports::intervals::{IntervalQuery, Step};
use switchboard::store::reports::{CdrFilter, Visibility};
use switchboard::store::Store;

/// 2026-11-23T00:00:00Z: the first day of the data.
const DAY0: i64 = 1_795_392_000_000;
const DAY: i64 = 86_400_000;
const DAYS: i64 = 10;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

async fn time<F, Fut, T>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        last = Some(f().await);
        runs.push(t.elapsed());
    }
    println!("{what:<58} {:>9.1} ms", median(runs).as_secs_f64() * 1000.0);
    last.unwrap()
}

async fn fill(path: &std::path::Path, rows: i64, events: i64) {
    let url = format!("sqlite://{}", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let step = DAYS * DAY / rows;
    let t = Instant::now();
    sqlx::query(&format!(
        "INSERT INTO interactions (interaction_id, state, interaction_type, agent_id, domain, \
         queue_id, project_id, direction, init_moment, connection_moment, terminate_moment, \
         call_duration_ms, remote_number, local_number, queue_wait_length_ms, queue_wait_start, \
         queue_wait_end, connected_length_ms, acw_length_ms, disposition, terminate_side, \
         classification, short_abandon, answered_within_sl, verdict, closed_at) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {rows} - 1), \
         r AS (SELECT i, {DAY0} + i * {step} AS t, (i * 7919) % 90000 AS w, \
               (i * 104729) % 600000 AS c, i % 10 AS k FROM n) \
         SELECT i + 1, 'complete', 'call', CASE WHEN k < 7 THEN 100 + i % 200 END, 'bench', \
         1 + i % 10, 1, 'inbound', t, CASE WHEN k < 7 THEN t + w END, t + w + c, w + c, \
         '+1555' || (i % 100000), '600', w, t, t + w, CASE WHEN k < 7 THEN c ELSE 0 END, \
         CASE WHEN k < 7 THEN 20000 ELSE 0 END, \
         CASE WHEN k < 7 THEN 'answered' WHEN k < 9 THEN 'abandoned' \
              ELSE 'redirected by queue timeout' END, 'caller', \
         CASE WHEN k < 7 AND w <= 20000 THEN 'answered within service level' \
              WHEN k < 7 THEN 'answered outside service level' \
              WHEN k = 8 THEN 'short abandon' WHEN k = 7 THEN 'abandoned' \
              ELSE 'redirected' END, \
         CASE WHEN k = 8 THEN 1 ELSE 0 END, CASE WHEN k < 7 AND w <= 20000 THEN 1 ELSE 0 END, \
         CASE WHEN k < 7 THEN 1 + i % 5 END, t + w + c FROM r"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let estep = DAYS * DAY / events.max(1);
    sqlx::query(&format!(
        "INSERT INTO agent_events (at, agent_id, kind, status_id, detail) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {events} - 1) \
         SELECT {DAY0} + i * {estep}, 100 + i % 200, 'presence', 1, \
         CASE (i / 200) % 4 WHEN 0 THEN 'available' WHEN 1 THEN 'ringing' \
              WHEN 2 THEN 'in_call' ELSE 'after_call_work' END FROM n"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
    println!(
        "filled {rows} interaction rows and {events} agent events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let rows: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let events = rows / 2;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.db");
        let store = Store::open_path(&path).await.unwrap();
        fill(&path, rows, events).await;
        let zone = Zone::utc();
        let (from, to) = (DAY0 + 4 * DAY, DAY0 + 5 * DAY);
        let per_day = rows / DAYS;
        println!("one day: {per_day} records, {} agent events", events / DAYS);
        for (step, name) in [(Step::Hour, "hours"), (Step::Quarter, "15 minutes")] {
            let q = IntervalQuery {
                from,
                to,
                step,
                visible: Visibility::All,
                queues: Vec::new(),
                project: None,
                agents: Some(None),
                now: i64::MAX,
            };
            let r = time(
                &format!("interval report, a day in {name}, with agents"),
                || store.interval_report(&zone, &q),
            )
            .await
            .unwrap();
            assert_eq!(r.total.offered, per_day);
        }
        let scoped = IntervalQuery {
            from,
            to,
            step: Step::Hour,
            visible: Visibility::Queues(vec![1, 2, 3]),
            queues: Vec::new(),
            project: Some(1),
            agents: None,
            now: i64::MAX,
        };
        time("interval report, a day in hours, three queues", || {
            store.interval_report(&zone, &scoped)
        })
        .await
        .unwrap();
        let day = CdrFilter {
            from,
            to,
            ..CdrFilter::default()
        };
        let page = time("CDR first page (50), the day, no filter", || {
            store.cdr_page(&day, &Visibility::All, 50, 0)
        })
        .await
        .unwrap();
        assert_eq!(page.total, per_day);
        let filtered = CdrFilter {
            queues: vec![3],
            dispositions: vec!["answered".into()],
            min_wait_ms: Some(10_000),
            caller: Some("55512".into()),
            ..day.clone()
        };
        time(
            "CDR first page, queue + disposition + wait + caller",
            || store.cdr_page(&filtered, &Visibility::All, 50, 0),
        )
        .await
        .unwrap();
        let agent = CdrFilter {
            agents: vec![150],
            ..day.clone()
        };
        time("CDR first page, one agent's day", || {
            store.cdr_page(&agent, &Visibility::All, 50, 0)
        })
        .await
        .unwrap();
        let bytes = time("CSV export of the whole day", || async {
            let (tx, mut rx) = tokio::sync::mpsc::channel(512);
            let s = store.clone();
            let d = day.clone();
            let reader = tokio::spawn(async move { s.cdr_send(&d, &Visibility::All, tx).await });
            let mut out = csv::header();
            let mut total = 0usize;
            while let Some(row) = rx.recv().await {
                csv::line(&mut out, &row);
                if out.len() > 64 * 1024 {
                    total += out.len();
                    out.clear();
                }
            }
            reader.await.unwrap().unwrap();
            total + out.len()
        })
        .await;
        println!("  ({:.1} MB of CSV)", bytes as f64 / 1e6);
        store.close().await;
    });
}
