//! The worker task: claims due deliveries, makes the attempts (at most
//! `outbox.concurrency` at once, each in its own task), records them, and
//! sleeps until the next one is due or a new one is queued.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};

use super::config::{OutboxConfig, SmsConfig};
use super::mail::Mailer;
use super::schedule::{self, Next, Outcome, RetryPolicy};
use crate::store::admin::now_ms;
use crate::store::outbox::{AttemptEnd, Claimed, DeliveryKind};
use crate::store::Store;

/// How long a claim lasts past an attempt's time limit: a worker that has
/// not recorded its attempt by then is taken for dead.
const LEASE_MARGIN: Duration = Duration::from_secs(60);

/// The longest sleep between two looks at the table (a delivery queued by
/// another process, or a clock step, is seen within it).
const IDLE_POLL: Duration = Duration::from_secs(5);

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Tried {
    pub outcome: Outcome,
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Tried {
    pub fn unusable(error: String) -> Tried {
        Tried {
            outcome: Outcome::Unusable,
            status: None,
            error: Some(error),
        }
    }
}

/// The worker's counters, shown on `/metrics`.
#[derive(Debug, Default)]
pub struct OutboxMetrics {
    pub attempts: AtomicU64,
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    /// Attempts whose outcome could not be stored (the lease lapses and the
    /// delivery is made again).
    pub store_errors: AtomicU64,
    pub in_flight: AtomicU64,
}

impl OutboxMetrics {
    /// The Prometheus text of the counters.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        for (name, kind, help, value) in [
            (
                "switchboard_outbox_attempts_total",
                "counter",
                "delivery attempts made",
                get(&self.attempts),
            ),
            (
                "switchboard_outbox_delivered_total",
                "counter",
                "deliveries accepted by their receiver",
                get(&self.delivered),
            ),
            (
                "switchboard_outbox_retries_total",
                "counter",
                "attempts followed by another one later",
                get(&self.retried),
            ),
            (
                "switchboard_outbox_failed_total",
                "counter",
                "deliveries given up",
                get(&self.failed),
            ),
            (
                "switchboard_outbox_store_errors_total",
                "counter",
                "attempts whose outcome could not be stored",
                get(&self.store_errors),
            ),
            (
                "switchboard_outbox_in_flight",
                "gauge",
                "attempts in progress",
                get(&self.in_flight),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
    }
}

struct Worker {
    store: Store,
    policy: RetryPolicy,
    timeout: Duration,
    http: reqwest::Client,
    mailer: Mailer,
    sms: SmsConfig,
    metrics: Arc<OutboxMetrics>,
}

/// Starts the worker; it runs until the process ends. Claims left by a
/// previous run are released first, so its pending deliveries are due now.
pub fn start(
    store: Store,
    outbox: &OutboxConfig,
    mail: &super::MailConfig,
    sms: &SmsConfig,
) -> Arc<OutboxMetrics> {
    let metrics = Arc::new(OutboxMetrics::default());
    let worker = Arc::new(Worker {
        store,
        policy: outbox.policy(),
        timeout: outbox.timeout(),
        http: super::http::client(outbox.timeout()),
        mailer: Mailer::new(mail, outbox.timeout()),
        sms: sms.clone(),
        metrics: metrics.clone(),
    });
    tokio::spawn(run(worker, outbox.concurrency.max(1)));
    metrics
}

async fn run(worker: Arc<Worker>, concurrency: usize) {
    match worker.store.release_delivery_claims().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deliveries = n,
            "outbox: attempts cut by the last stop are due again"
        ),
        Err(e) => tracing::error!(error = %e, "outbox: claims not released"),
    }
    let slots = Arc::new(Semaphore::new(concurrency));
    let finished = Arc::new(Notify::new());
    loop {
        let free = slots.available_permits();
        if free == 0 {
            let _ = slots.clone().acquire_owned().await;
            continue;
        }
        let now = now_ms();
        let lease = now + (worker.timeout + LEASE_MARGIN).as_millis() as i64;
        let claimed = match worker.store.claim_deliveries(now, lease, free as u32).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "outbox: due deliveries not claimed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let full = claimed.len() == free;
        for c in claimed {
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                break;
            };
            let worker = worker.clone();
            let finished = finished.clone();
            tokio::spawn(async move {
                worker.attempt(c).await;
                drop(slot);
                finished.notify_one();
            });
        }
        if full {
            // More may be due: look again once a slot frees.
            continue;
        }
        let wait = match worker.store.next_delivery_due().await {
            Ok(Some(at)) => {
                Duration::from_millis((at - now_ms()).clamp(0, IDLE_POLL.as_millis() as i64) as u64)
            }
            Ok(None) => IDLE_POLL,
            Err(e) => {
                tracing::error!(error = %e, "outbox: next due delivery not read");
                IDLE_POLL
            }
        };
        if wait.is_zero() {
            // Due but claimed: wait for an attempt to end.
            tokio::select! {
                _ = finished.notified() => {}
                _ = worker.store.outbox_wake().notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = worker.store.outbox_wake().notified() => {}
            _ = finished.notified() => {}
        }
    }
}

impl Worker {
    async fn attempt(&self, c: Claimed) {
        let bump = |counter: &AtomicU64| counter.fetch_add(1, Ordering::Relaxed);
        bump(&self.metrics.attempts);
        self.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        let started_at = now_ms();
        let clock = Instant::now();
        let tried = match c.kind {
            DeliveryKind::Webhook => super::http::webhook(&self.http, &c).await,
            DeliveryKind::Sms => super::http::sms(&self.http, &self.sms, &c).await,
            DeliveryKind::Email => self.mailer.send(&c).await,
        };
        let took = clock.elapsed().as_millis() as i64;
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
        let next = schedule::next(
            &self.policy,
            c.round_attempt,
            &tried.outcome,
            now_ms().max(0) as u64,
            rand::random::<f64>(),
        );
        let end = match next {
            Next::Delivered => AttemptEnd::Delivered,
            Next::RetryAt(at) => AttemptEnd::RetryAt(at as i64),
            Next::GiveUp => AttemptEnd::Failed,
        };
        let stored = self
            .store
            .finish_attempt(
                &c,
                started_at,
                took,
                tried.status,
                tried.error.as_deref(),
                end,
            )
            .await;
        if let Err(e) = stored {
            bump(&self.metrics.store_errors);
            tracing::error!(delivery = c.id, error = %e, "outbox: attempt not recorded; it will be made again");
            return;
        }
        match end {
            AttemptEnd::Delivered => {
                bump(&self.metrics.delivered);
                tracing::debug!(
                    delivery = c.id,
                    kind = c.kind.as_str(),
                    attempt = c.attempt,
                    "delivered"
                );
            }
            AttemptEnd::RetryAt(at) => {
                bump(&self.metrics.retried);
                tracing::info!(delivery = c.id, kind = c.kind.as_str(), attempt = c.attempt,
                    status = ?tried.status, error = ?tried.error, retry_in_ms = at - now_ms(),
                    "delivery attempt failed; retrying");
            }
            AttemptEnd::Failed => {
                bump(&self.metrics.failed);
                tracing::warn!(delivery = c.id, kind = c.kind.as_str(), attempt = c.attempt,
                    status = ?tried.status, error = ?tried.error, "delivery failed; retry it through the API");
            }
        }
    }
}

/// An error with its causes, which the HTTP and SMTP clients keep apart.
pub(super) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
