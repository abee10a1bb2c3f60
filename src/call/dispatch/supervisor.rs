//! Supervision of the dispatch task: a panic in it must not leave a server
//! that answers calls nobody will be offered.
//!
//! The supervisor owns the dispatch channel's receiver and runs the dispatch
//! task inside `catch_unwind`, so the senders every call holds keep working
//! across a failure. When the task panics, the failure is logged and counted
//! (`switchboard_call_dispatch_failures_total`), and, within the restart
//! budget ([`RestartBudget`]), a fresh core is built the way start-up builds
//! it ([`DispatchParts::build`]) and given what is live ([`resume`]); each
//! restart is counted (`switchboard_call_dispatch_restarts_total`). Past the
//! budget the node stops taking calls: new INVITEs get 503 with Retry-After
//! (as while draining), calls in progress may end, and the process exits
//! non-zero so that a process supervisor or the SIP edge fails over
//! ([`Supervision::failed`]).

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{mpsc, Notify};

use crate::acd::Millis;
use crate::call::agents::AgentHub;
use crate::call::metrics::CallMetrics;
use crate::call::wallboard::Wallboard;
use crate::call::{now, Registry, RoutingHandle};
use crate::sip::location::Location;
use crate::store::Store;

use super::resume::Live;
use super::{Dispatch, DispatchInput};

/// Restarts allowed within [`RESTART_WINDOW`]; one more failure in that
/// time stops the node.
pub const MAX_RESTARTS: usize = 3;
/// The window [`MAX_RESTARTS`] counts in.
pub const RESTART_WINDOW: Duration = Duration::from_secs(60);

/// What to do about a failure of the dispatch task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Restart,
    /// Failing too often: stop the node.
    GiveUp,
}

/// The restart policy, on the caller's clock: at most `max` restarts within
/// any `window`.
#[derive(Debug, Clone)]
pub struct RestartBudget {
    max: usize,
    window: Duration,
    recent: VecDeque<Millis>,
}

impl Default for RestartBudget {
    fn default() -> Self {
        RestartBudget::new(MAX_RESTARTS, RESTART_WINDOW)
    }
}

impl RestartBudget {
    pub fn new(max: usize, window: Duration) -> RestartBudget {
        RestartBudget {
            max,
            window,
            recent: VecDeque::new(),
        }
    }

    /// The task failed at `now`.
    pub fn on_failure(&mut self, now: Millis) -> Verdict {
        while self
            .recent
            .front()
            .is_some_and(|&at| now.since(at) >= self.window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.max {
            return Verdict::GiveUp;
        }
        self.recent.push_back(now);
        Verdict::Restart
    }
}

/// What building a dispatch task takes: the owners it works with and the
/// store its configuration is read from.
#[derive(Clone)]
pub struct DispatchParts {
    pub store: Store,
    pub registry: Arc<Registry>,
    pub routing: Arc<RoutingHandle>,
    pub location: Arc<Location>,
    pub hub: Arc<AgentHub>,
    pub wallboard: Arc<Wallboard>,
    pub metrics: Arc<CallMetrics>,
}

impl DispatchParts {
    /// A dispatch task on the stored configuration, as at start-up.
    pub async fn build(&self) -> Result<Dispatch, String> {
        let config = crate::store::admin::dispatch::load(&self.store, rand::random())
            .await
            .map_err(|e| format!("loading the dispatch configuration: {e}"))?;
        let dispatch = Dispatch::new(
            config,
            self.registry.clone(),
            self.routing.clone(),
            self.location.clone(),
            self.hub.clone(),
        )
        .map_err(|e| format!("dispatch configuration: {e}"))?
        .with_wallboard(self.wallboard.clone())
        .with_history(crate::call::history::AgentHistory::start(
            self.store.clone(),
            self.metrics.clone(),
        ));
        let (days, writer) = crate::call::day_turn::break_store(&self.store)
            .await
            .map_err(|e| format!("reading the break time used today: {e}"))?;
        Ok(dispatch.keep_breaks(days, writer))
    }
}

/// What the rest of the server sees of the supervisor.
#[derive(Default)]
pub struct Supervision {
    failed: AtomicBool,
    stop: Notify,
}

impl Supervision {
    /// Whether dispatch failed past its restart budget.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Returns once dispatch has failed past its restart budget.
    pub async fn stopped(&self) {
        let notified = self.stop.notified();
        if self.failed() {
            return;
        }
        notified.await;
    }

    fn give_up(&self) {
        self.failed.store(true, Ordering::Relaxed);
        self.stop.notify_waiters();
    }
}

/// Runs `first`, and fresh dispatch tasks after it fails, until every
/// sender is gone or the budget is spent (then the inputs are read and
/// dropped until the process ends, so no sender waits on a full channel).
pub async fn supervise(
    first: Dispatch,
    mut inputs: mpsc::Receiver<DispatchInput>,
    parts: DispatchParts,
    supervision: Arc<Supervision>,
) {
    let mut budget = RestartBudget::default();
    let mut next = Some(first);
    let mut live = None;
    loop {
        let dispatch = match next.take() {
            Some(d) => d,
            None => match parts.build().await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "dispatch could not be rebuilt");
                    break;
                }
            },
        };
        let run = AssertUnwindSafe(dispatch.run(&mut inputs, live.take()));
        let Err(panic) = run.catch_unwind().await else {
            return;
        };
        CallMetrics::bump(&parts.metrics.dispatch_failures);
        let why = panic_message(&*panic);
        match budget.on_failure(now()) {
            Verdict::Restart => {
                tracing::error!(
                    panic = %why,
                    "the dispatch task panicked: rebuilding it from the stored configuration and the live calls"
                );
                live = Some(Live::gather(&parts.registry, &parts.hub, &parts.store).await);
                CallMetrics::bump(&parts.metrics.dispatch_restarts);
            }
            Verdict::GiveUp => {
                tracing::error!(
                    panic = %why,
                    max_restarts = MAX_RESTARTS,
                    window_secs = RESTART_WINDOW.as_secs(),
                    "the dispatch task keeps panicking: the node stops taking calls and exits once calls in progress end"
                );
                break;
            }
        }
    }
    parts.registry.start_draining();
    supervision.give_up();
    while inputs.recv().await.is_some() {}
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> Millis {
        Millis::from_secs(1_000 + secs)
    }

    #[test]
    fn restarts_within_the_budget_then_gives_up() {
        let mut b = RestartBudget::new(3, Duration::from_secs(60));
        assert_eq!(b.on_failure(t(0)), Verdict::Restart);
        assert_eq!(b.on_failure(t(10)), Verdict::Restart);
        assert_eq!(b.on_failure(t(20)), Verdict::Restart);
        assert_eq!(b.on_failure(t(30)), Verdict::GiveUp);
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let mut b = RestartBudget::new(3, Duration::from_secs(60));
        for s in [0, 10, 20] {
            assert_eq!(b.on_failure(t(s)), Verdict::Restart);
        }
        // The first has left the window: room for one more.
        assert_eq!(b.on_failure(t(60)), Verdict::Restart);
        assert_eq!(b.on_failure(t(65)), Verdict::GiveUp);
        // A node failing once an hour restarts for ever.
        let mut b = RestartBudget::new(3, Duration::from_secs(60));
        for hour in 0..100 {
            assert_eq!(b.on_failure(t(hour * 3600)), Verdict::Restart);
        }
    }

    #[test]
    fn no_restart_allowed_gives_up_at_once() {
        let mut b = RestartBudget::new(0, Duration::from_secs(60));
        assert_eq!(b.on_failure(t(0)), Verdict::GiveUp);
    }

    #[test]
    fn an_injected_message_is_read_back() {
        let panic = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!(panic_message(&*panic), "boom 7");
        let panic = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(&*panic), "static");
    }
}
