//! Random: any eligible agent, uniformly, from a seeded generator so that a
//! run can be replayed.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{AgentFacts, Strategy};
use crate::acd::ids::{AgentId, IdMap};

pub struct Random {
    agents: Vec<AgentId>,
    at: IdMap<AgentId, usize>,
    rng: SmallRng,
}

impl Random {
    pub fn new(seed: u64) -> Self {
        Random {
            agents: Vec::new(),
            at: IdMap::default(),
            rng: SmallRng::seed_from_u64(seed),
        }
    }
}

impl Strategy for Random {
    fn insert(&mut self, agent: AgentId, _: &AgentFacts) {
        if !self.at.contains_key(&agent) {
            self.at.insert(agent, self.agents.len());
            self.agents.push(agent);
        }
    }

    fn remove(&mut self, agent: AgentId) {
        if let Some(i) = self.at.remove(&agent) {
            self.agents.swap_remove(i);
            if let Some(&moved) = self.agents.get(i) {
                self.at.insert(moved, i);
            }
        }
    }

    fn len(&self) -> usize {
        self.agents.len()
    }

    fn pick(&mut self, skip: &mut dyn FnMut(AgentId) -> bool) -> Option<AgentId> {
        let n = self.agents.len();
        if n == 0 {
            return None;
        }
        // A random starting point, then the rest in turn: uniform when nobody
        // is skipped, and still finds the one agent left when most are.
        let start = self.rng.gen_range(0..n);
        (0..n)
            .map(|i| self.agents[(start + i) % n])
            .find(|&a| !skip(a))
    }

    fn for_each(&self, f: &mut dyn FnMut(AgentId)) {
        self.agents.iter().for_each(|&a| f(a));
    }
}
