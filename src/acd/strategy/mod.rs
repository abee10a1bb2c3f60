//! Strategies: how a queue chooses among the agents who could take a call now.
//!
//! Each strategy is a small type behind [`Strategy`] that keeps its own index of
//! the queue's *eligible* agents (logged in, Available, with room for the
//! queue's channel weight). The engine inserts an agent when they become
//! eligible for the queue and removes them when they stop being so, passing the
//! [`AgentFacts`] the order depends on; choosing is then a walk from the front
//! of the index, so its cost grows with the logarithm of the staff, not with
//! the staff.
//!
//! Every strategy puts agents of higher [`AgentFacts::priority`] first: it
//! chooses among the free agents of the highest priority present, in its own
//! order, and reaches lower priorities only when none of those can take the
//! call. With every agent at the same priority (the default, 0) a strategy
//! behaves exactly as it would without priorities.
//!
//! Ring-All rings every eligible agent for whom the interaction is the best
//! one waiting (an agent with a higher-priority call waiting elsewhere takes
//! that instead). An agent who becomes free while a Ring-All offer is
//! ringing is not added to it; the next interaction rings them.

mod ordered;
mod random;
mod sequential;

use super::config::StrategyKind;
use super::ids::{AgentId, Millis};

pub use ordered::{FewestCalls, LeastRecentlyCalled, LongestIdle, RingAll};
pub use random::Random;
pub use sequential::Sequential;

/// What a strategy may order agents by, as of their insertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentFacts {
    /// The last activity of any kind: call, status change, break.
    pub last_activity: Millis,
    /// When the agent's last call ended (their login time before the first).
    pub last_call_end: Millis,
    pub calls_today: u32,
    /// The user's dispatch priority, 0 (lowest) to 100: higher goes first.
    pub priority: u8,
}

impl AgentFacts {
    /// The rank an index sorts by ahead of anything else: higher priority
    /// first.
    pub(crate) fn tier(&self) -> u8 {
        u8::MAX - self.priority
    }
}

/// One queue's choice of agent.
pub trait Strategy: Send {
    /// Adds an eligible agent. The engine removes an agent before inserting it
    /// again, so facts never go stale inside the index.
    fn insert(&mut self, agent: AgentId, facts: &AgentFacts);
    /// Removes an agent; removing an absent agent does nothing.
    fn remove(&mut self, agent: AgentId);
    /// How many agents are eligible.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The next agent to offer a call to, passing over those for which `skip`
    /// answers true. A strategy with memory remembers the agent it returns.
    fn pick(&mut self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId>;
    /// Offer to every eligible agent at once instead of one.
    fn rings_all(&self) -> bool {
        false
    }
    /// Every eligible agent, in the strategy's order.
    fn for_each(&self, f: &mut dyn FnMut(AgentId));
}

/// The strategy for `kind`; `seed` feeds the Random strategy.
pub fn build(kind: StrategyKind, seed: u64) -> Box<dyn Strategy> {
    match kind {
        StrategyKind::Sequential => Box::new(Sequential::default()),
        StrategyKind::LeastRecentlyCalled => Box::new(LeastRecentlyCalled::default()),
        StrategyKind::LongestIdle => Box::new(LongestIdle::default()),
        StrategyKind::FewestCalls => Box::new(FewestCalls::default()),
        StrategyKind::Random => Box::new(Random::new(seed)),
        StrategyKind::RingAll => Box::new(RingAll::default()),
    }
}
