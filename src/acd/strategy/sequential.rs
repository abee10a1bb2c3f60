//! Sequential: round-robin over the queue's agents in id order, with memory,
//! among the free agents of the highest priority. Each choice starts after
//! the agent chosen last time and wraps around, so agents who were busy on
//! their turn wait for the next round.

use std::collections::BTreeSet;
use std::ops::Bound;

use super::{AgentFacts, Strategy};
use crate::acd::ids::{AgentId, IdMap};

#[derive(Default)]
pub struct Sequential {
    /// (priority tier, agent): the highest priority first, then by id.
    set: BTreeSet<(u8, AgentId)>,
    tiers: IdMap<AgentId, u8>,
    last: Option<AgentId>,
}

impl Strategy for Sequential {
    fn insert(&mut self, agent: AgentId, facts: &AgentFacts) {
        let tier = facts.tier();
        if let Some(old) = self.tiers.insert(agent, tier) {
            self.set.remove(&(old, agent));
        }
        self.set.insert((tier, agent));
    }

    fn remove(&mut self, agent: AgentId) {
        if let Some(old) = self.tiers.remove(&agent) {
            self.set.remove(&(old, agent));
        }
    }

    fn len(&self) -> usize {
        self.set.len()
    }

    fn pick(&mut self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId> {
        // The first agent not skipped names the priority the turn is taken in.
        let &(tier, first) = self.set.iter().find(|&&(_, a)| !skip(a))?;
        let chosen = match self.last {
            // After the last one chosen, wrapping round to end with them.
            Some(last) => {
                let after = self.set.range((
                    Bound::Excluded((tier, last)),
                    Bound::Included((tier, AgentId(u64::MAX))),
                ));
                let up_to = self.set.range((
                    Bound::Included((tier, AgentId(0))),
                    Bound::Included((tier, last)),
                ));
                after
                    .chain(up_to)
                    .map(|&(_, a)| a)
                    .find(|&a| !skip(a))
                    .unwrap_or(first)
            }
            None => first,
        };
        self.last = Some(chosen);
        Some(chosen)
    }

    fn for_each(&self, f: &mut dyn FnMut(AgentId)) {
        self.set.iter().for_each(|&(_, a)| f(a));
    }
}
