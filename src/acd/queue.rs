//! One queue's state: its waiting interactions in arrival order, its strategy's
//! index of eligible agents, its members, the day's counters and the recent
//! handle time the wait estimate uses.
//!
//! Waiting interactions are keyed by a sequence number the engine hands out in
//! arrival order, so a call that goes back to the queue after a missed offer
//! takes its old place, and comparing sequence numbers across queues compares
//! how long calls have waited overall. A callback that replaces a waiting
//! caller takes the caller's number, and so their place.

use std::collections::BTreeSet;
use std::time::Duration;

use super::config::QueueConfig;
use super::ids::{AgentId, CallId};
use super::strategy::{self, Strategy};

/// A queue's position in the engine's table.
pub(crate) type QIdx = usize;

/// The day's counters of one queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounters {
    /// Interactions that entered the queue.
    pub offered: u64,
    pub answered: u64,
    /// Answered within the queue's service-level threshold.
    pub answered_in_time: u64,
    pub abandoned: u64,
    /// Abandoned by the queue-exit key (also counted in `abandoned`).
    pub queue_exits: u64,
    pub redirected: u64,
    /// Callers who left by asking for a callback; the callback keeps their
    /// place and is counted again when it ends (answered or failed), so it is
    /// neither an abandon nor a second interaction offered.
    pub callbacks_requested: u64,
    /// Callbacks that ended without reaching their customer (unreachable,
    /// expired or cancelled).
    pub callbacks_failed: u64,
    /// Times an agent took a call of a higher-priority queue while this one
    /// had a call waiting that they could have taken.
    pub bypassed: u64,
}

pub(crate) struct Queue {
    pub cfg: QueueConfig,
    pub waiting: BTreeSet<(u64, CallId)>,
    pub strategy: Box<dyn Strategy>,
    pub members: BTreeSet<AgentId>,
    pub counters: QueueCounters,
    /// Callback entries not yet out of the queue: waiting, ringing, waiting
    /// out a retry delay or being dialled.
    pub callbacks: usize,
    /// Callback entries waiting out their retry delay (out of `waiting`).
    pub retrying: usize,
    /// Exponentially weighted mean of recent handle times (talk plus
    /// after-call work), in milliseconds.
    pub handle_ms: f64,
}

/// Weight of the newest handle time in the running mean: about the last 100
/// interactions count. A shorter memory reacts faster but makes the wait
/// estimate run high, because a run of long calls is also what builds a
/// queue: with the last 20, callers were told 7% more than they waited in
/// simulation at 80% load; with the last 100, 3%.
const HANDLE_TIME_WEIGHT: f64 = 0.01;

impl Queue {
    pub fn new(cfg: QueueConfig, seed: u64) -> Self {
        Queue {
            strategy: strategy::build(cfg.strategy, seed ^ cfg.id.0),
            handle_ms: cfg.expected_handle_time.as_millis() as f64,
            cfg,
            waiting: BTreeSet::new(),
            members: BTreeSet::new(),
            counters: QueueCounters::default(),
            callbacks: 0,
            retrying: 0,
        }
    }

    pub fn weight(&self) -> u16 {
        self.cfg.channel.weight()
    }

    pub fn record_handle_time(&mut self, handled: Duration) {
        let ms = handled.as_millis() as f64;
        self.handle_ms += HANDLE_TIME_WEIGHT * (ms - self.handle_ms);
    }

    pub fn handle_time(&self) -> Duration {
        Duration::from_millis(self.handle_ms.max(0.0) as u64)
    }
}
