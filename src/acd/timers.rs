//! The engine's timers: one min-heap of deadlines. Cancelling is lazy: a timer
//! carries enough to tell whether the state it was set for still holds, and
//! stale timers are dropped when they reach the top of the heap. Staleness
//! must therefore be final: a timer judged stale before its deadline could
//! never have been needed at it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::ids::{AgentId, CallId, Millis};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// The offer numbered `offer` rang for the agent timeout.
    Offer {
        call: CallId,
        offer: u64,
    },
    QueueTimeout {
        call: CallId,
    },
    Announce {
        call: CallId,
    },
    /// An agent's re-offer delay for this call passed.
    Reoffer {
        call: CallId,
    },
    Wrapup {
        agent: AgentId,
        call: CallId,
    },
    /// A callback's retry delay passed: back to its place.
    CallbackRetry {
        call: CallId,
    },
    /// A callback's expiry passed.
    CallbackExpiry {
        call: CallId,
    },
    /// The break allowance runs out.
    Break {
        agent: AgentId,
        gen: u32,
    },
}

#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Millis, u64, Timer)>>,
    seq: u64,
}

impl Timers {
    pub fn set(&mut self, at: Millis, timer: Timer) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, timer)));
    }

    pub fn peek(&self) -> Option<(Millis, Timer)> {
        self.heap.peek().map(|Reverse((at, _, t))| (*at, *t))
    }

    pub fn pop(&mut self) -> Option<(Millis, Timer)> {
        self.heap.pop().map(|Reverse((at, _, t))| (at, t))
    }
}
