//! The outbox's two costs: what queuing a webhook adds to completing an
//! interaction record (the finish path), and how many deliveries a second
//! the worker makes to a local HTTP receiver that accepts them all.
//!
//! It completes RECORDS records (default 5,000) in batches of 512 as the
//! record writer does, once with a result code that has no integration and
//! once with one whose webhook is on, and prints the difference per record;
//! then starts the worker at each concurrency and times until every webhook
//! is delivered. Run through `tools/bench-outbox [RECORDS]` (release), or
//! `cargo test --bench outbox` for the dev profile.

use std::time::{Duration, Instant};

use switchboard::acd::{AgentId, Millis, ProjectId, QueueId, ResultCodeId};
use switchboard::cdr::{
    Arrival, Classification, Direction, Disposition, InteractionId, InteractionRecord,
    InteractionType, TerminateSide,
};
use switchboard::outbox::{MailConfig, OutboxConfig, SmsConfig};
use switchboard::store::admin::result_codes::{
    self, ResultCategory, ResultCodeFlags, ResultCodeInput, ResultCodeType,
};
use switchboard::store::outbox::integrations::{self, HttpInput, IntegrationInput};
use switchboard::store::{InteractionWrite, Store};

const BATCH: usize = 512;

fn record(id: u64, code: i64) -> InteractionRecord {
    let t = 1_796_000_000_000 + id * 1000;
    let mut r = InteractionRecord::new(
        Arrival {
            id: InteractionId(id),
            interaction_type: InteractionType::Call,
            direction: Direction::Inbound,
            domain: "bench".into(),
            remote_number: format!("+1555{id:07}"),
            local_number: "600".into(),
        },
        Millis(t),
    );
    r.agent = Some(AgentId(1));
    r.queue = Some(QueueId(1));
    r.project = Some(ProjectId(1));
    r.connection_moment = Some(Millis(t + 5000));
    r.terminate_moment = Some(Millis(t + 65_000));
    r.call_duration = Duration::from_secs(65);
    r.connected_length = Duration::from_secs(60);
    r.disposition = Some(Disposition::Answered);
    r.terminate_side = Some(TerminateSide::Caller);
    r.classification = Some(Classification::AnsweredWithinServiceLevel);
    r.verdict = Some(ResultCodeId(code as u64));
    r.note = Some("bench".into());
    r
}

async fn code(store: &Store, name: &str, http: bool) -> i64 {
    let saved = result_codes::create(
        store,
        ResultCodeInput {
            category: ResultCategory::Success,
            kind: ResultCodeType::Call,
            display_name: name.into(),
            flags: ResultCodeFlags {
                http,
                ..ResultCodeFlags::default()
            },
            extra_time_secs: 0,
            follow_up_secs: 0,
        },
    )
    .await
    .unwrap();
    saved.item.id
}

/// Completes `n` records from `first` with `code`, in batches; the time.
async fn complete(store: &Store, first: u64, n: u64, code: i64) -> Duration {
    let writes: Vec<InteractionWrite> = (first..first + n)
        .map(|id| InteractionWrite::Complete(record(id, code)))
        .collect();
    let t = Instant::now();
    for chunk in writes.chunks(BATCH) {
        store.write_interactions(chunk).await.unwrap();
    }
    t.elapsed()
}

async fn count(pool: &sqlx::SqlitePool, state: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE state = ?")
        .bind(state)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn main() {
    let records: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = receiver.local_addr().unwrap();
        let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
        tokio::spawn(async move { axum::serve(receiver, app).await.unwrap() });

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.db");
        let store = Store::open_path(&path).await.unwrap();
        let plain = code(&store, "Plain", false).await;
        let hooked = code(&store, "Hooked", true).await;
        integrations::set(
            &store,
            hooked,
            IntegrationInput {
                http: Some(HttpInput {
                    url: format!("http://{addr}/hook?call={{InteractionID}}"),
                    method: Default::default(),
                    headers: Default::default(),
                    secret: Some("bench-secret".into()),
                }),
                email: None,
                sms: None,
            },
        )
        .await
        .unwrap();

        // Warm the table and the caches, then time both kinds alike.
        complete(&store, 1, 1000, plain).await;
        let without = complete(&store, 10_000, records, plain).await;
        let with = complete(&store, 10_000 + records, records, hooked).await;
        let per = |d: Duration| d.as_secs_f64() * 1e6 / records as f64;
        println!(
            "completing {records} records in batches of {BATCH}: {:.1} µs each without an \
             integration, {:.1} µs with a webhook queued: {:.1} µs per enqueue",
            per(without),
            per(with),
            per(with) - per(without)
        );

        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let pending = count(&pool, "pending").await;
        assert_eq!(pending as u64, records);
        let config = OutboxConfig {
            concurrency: 8,
            ..OutboxConfig::default()
        };
        let t = Instant::now();
        let _metrics = switchboard::outbox::start(
            store.clone(),
            &config,
            &MailConfig::default(),
            &SmsConfig::default(),
        );
        loop {
            let delivered = count(&pool, "delivered").await;
            if delivered as u64 >= records {
                break;
            }
            assert_eq!(count(&pool, "failed").await, 0, "deliveries failed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let took = t.elapsed();
        println!(
            "worker, concurrency {}: {records} webhooks delivered (signed, each attempt \
             recorded) in {:.2} s: {:.0} deliveries/s",
            config.concurrency,
            took.as_secs_f64(),
            records as f64 / took.as_secs_f64()
        );
        store.close().await;
    });
}
