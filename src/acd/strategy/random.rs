//! Random: any free agent of the highest priority, uniformly, from a seeded
//! generator so that a run can be replayed.

use std::collections::BTreeMap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{AgentFacts, Strategy};
use crate::acd::ids::{AgentId, IdMap};

pub struct Random {
    /// Priority tier -> its agents, the highest priority first; no tier is
    /// left empty.
    tiers: BTreeMap<u8, Vec<AgentId>>,
    /// Agent -> (tier, place in it).
    at: IdMap<AgentId, (u8, usize)>,
    rng: SmallRng,
}

impl Random {
    pub fn new(seed: u64) -> Self {
        Random {
            tiers: BTreeMap::new(),
            at: IdMap::default(),
            rng: SmallRng::seed_from_u64(seed),
        }
    }
}

impl Strategy for Random {
    fn insert(&mut self, agent: AgentId, facts: &AgentFacts) {
        let tier = facts.tier();
        match self.at.get(&agent).map(|&(t, _)| t) {
            Some(t) if t == tier => return,
            Some(_) => self.remove(agent),
            None => {}
        }
        let agents = self.tiers.entry(tier).or_default();
        self.at.insert(agent, (tier, agents.len()));
        agents.push(agent);
    }

    fn remove(&mut self, agent: AgentId) {
        let Some((tier, i)) = self.at.remove(&agent) else {
            return;
        };
        let agents = self.tiers.get_mut(&tier).expect("indexed tier exists");
        agents.swap_remove(i);
        if let Some(&moved) = agents.get(i) {
            self.at.insert(moved, (tier, i));
        }
        if agents.is_empty() {
            self.tiers.remove(&tier);
        }
    }

    fn len(&self) -> usize {
        self.at.len()
    }

    fn pick(&mut self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId> {
        for agents in self.tiers.values() {
            let n = agents.len();
            // A random starting point, then the rest in turn: uniform when
            // nobody is skipped, and still finds the one agent left when most
            // are.
            let start = self.rng.gen_range(0..n);
            if let Some(a) = (0..n).map(|i| agents[(start + i) % n]).find(|&a| !skip(a)) {
                return Some(a);
            }
        }
        None
    }

    fn for_each(&self, f: &mut dyn FnMut(AgentId)) {
        self.tiers.values().flatten().for_each(|&a| f(a));
    }
}
