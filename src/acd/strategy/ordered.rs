//! Strategies that order agents by one number: Least Recently Called (last
//! activity), Longest Idle (last call end), Fewest Calls (calls today), and
//! Ring-All (which rings everyone, listed longest idle first), each within
//! the agents' priority. Ties go to the lower agent id, so the order is
//! deterministic.

use std::collections::BTreeSet;

use super::{AgentFacts, Strategy};
use crate::acd::ids::{AgentId, IdMap};

/// A sorted index of agents by priority tier, then a key taken from their
/// facts.
#[derive(Default)]
struct Index {
    set: BTreeSet<((u8, u64), AgentId)>,
    keys: IdMap<AgentId, (u8, u64)>,
}

impl Index {
    fn insert(&mut self, agent: AgentId, key: (u8, u64)) {
        if let Some(old) = self.keys.insert(agent, key) {
            self.set.remove(&(old, agent));
        }
        self.set.insert((key, agent));
    }

    fn remove(&mut self, agent: AgentId) {
        if let Some(old) = self.keys.remove(&agent) {
            self.set.remove(&(old, agent));
        }
    }

    fn pick(&self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId> {
        self.set.iter().map(|&(_, a)| a).find(|&a| !skip(a))
    }
}

macro_rules! ordered {
    ($(#[$doc:meta])* $name:ident, $key:expr, $ring_all:literal) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $name(Index);

        impl Strategy for $name {
            fn insert(&mut self, agent: AgentId, facts: &AgentFacts) {
                let key: fn(&AgentFacts) -> u64 = $key;
                self.0.insert(agent, (facts.tier(), key(facts)));
            }
            fn remove(&mut self, agent: AgentId) {
                self.0.remove(agent);
            }
            fn len(&self) -> usize {
                self.0.keys.len()
            }
            fn pick(&mut self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId> {
                self.0.pick(skip)
            }
            fn rings_all(&self) -> bool {
                $ring_all
            }
            fn for_each(&self, f: &mut dyn FnMut(AgentId)) {
                self.0.set.iter().for_each(|&(_, a)| f(a));
            }
        }
    };
}

ordered!(
    /// The agent whose last activity (call, status change, break) is oldest.
    LeastRecentlyCalled,
    |f| f.last_activity.0,
    false
);
ordered!(
    /// The agent who has gone longest without a call.
    LongestIdle,
    |f| f.last_call_end.0,
    false
);
ordered!(
    /// The agent with the fewest calls today.
    FewestCalls,
    |f| u64::from(f.calls_today),
    false
);
ordered!(
    /// Every eligible agent at once; the first to answer wins.
    RingAll,
    |f| f.last_call_end.0,
    true
);
