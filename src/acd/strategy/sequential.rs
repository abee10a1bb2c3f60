//! Sequential: round-robin over the queue's agents in id order, with memory.
//! Each choice starts after the agent chosen last time and wraps around, so
//! agents who were busy on their turn wait for the next round.

use std::collections::BTreeSet;
use std::ops::Bound;

use super::{AgentFacts, Strategy};
use crate::acd::ids::AgentId;

#[derive(Default)]
pub struct Sequential {
    set: BTreeSet<AgentId>,
    last: Option<AgentId>,
}

impl Strategy for Sequential {
    fn insert(&mut self, agent: AgentId, _: &AgentFacts) {
        self.set.insert(agent);
    }

    fn remove(&mut self, agent: AgentId) {
        self.set.remove(&agent);
    }

    fn len(&self) -> usize {
        self.set.len()
    }

    fn pick(&mut self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId> {
        let chosen = match self.last {
            // After the last one chosen, wrapping round to end with them.
            Some(last) => {
                let after = self.set.range((Bound::Excluded(last), Bound::Unbounded));
                let up_to = self.set.range((Bound::Unbounded, Bound::Included(last)));
                after.chain(up_to).copied().find(|&a| !skip(a))
            }
            None => self.set.iter().copied().find(|&a| !skip(a)),
        }?;
        self.last = Some(chosen);
        Some(chosen)
    }

    fn for_each(&self, f: &mut dyn FnMut(AgentId)) {
        self.set.iter().for_each(|&a| f(a));
    }
}
