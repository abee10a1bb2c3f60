//! Events per second through the dispatch core, and how the cost per event
//! grows with the size of the contact center.
//!
//! The steady state is a busy center: every agent is in a call and thousands
//! of interactions wait (5 per agent; 50,000 for 10,000 agents in 500
//! queues). Each agent serves 3 queues of mixed priorities. One cycle is
//! three inputs, as call control would send them: a connected call hangs up
//! (the agent is free, takes the best waiting call of their queues by
//! priority and arrival, and is offered it), the agent answers the offer,
//! and a new call arrives in a random queue. Actions and notices are drained
//! and `poll_timeout` is asked after every cycle, as the shell would.
//!
//! A second run keeps half the agents free, so every arrival is offered at
//! once through the queue's strategy instead of waiting.
//!
//! Run with `cargo bench --bench acd_engine [-- AGENTS...]`; `ACD_BENCH_CYCLES`
//! sets the number of measured cycles (default 1,000,000). Wall time per
//! event also grows with how much of the center still fits in the CPU caches;
//! to see the algorithmic cost alone, count instructions for two cycle counts
//! and divide the difference by the extra events:
//! `ACD_BENCH_CYCLES=N perf stat -e instructions target/release/deps/acd_engine-* AGENTS`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchboard::acd::*;

const AVAILABLE: StatusId = StatusId(1);
const PROJECT: ProjectId = ProjectId(1);
const QUEUES_PER_AGENT: usize = 3;

struct Center {
    acd: Engine,
    rng: SmallRng,
    queues: u64,
    connected: Vec<CallId>,
    answered: u64,
    next_call: u64,
    now: u64,
}

impl Center {
    /// A center where `busy` agents are in calls and `waiting` calls wait.
    fn new(agents: u64, queues: u64, busy: u64, waiting: u64) -> Center {
        let mut rng = SmallRng::seed_from_u64(42);
        let queue_cfgs = (0..queues)
            .map(|q| {
                let mut cfg = QueueConfig::new(QueueId(q), PROJECT);
                cfg.priority = (q % 4) as u32;
                cfg
            })
            .collect();
        let mut acd = Engine::new(Config {
            projects: vec![ProjectConfig::new(PROJECT)],
            statuses: vec![StatusConfig {
                id: AVAILABLE,
                name: "Available".into(),
                category: Category::Available,
                transferable: false,
            }],
            queues: queue_cfgs,
            seed: 1,
            ..Config::default()
        });
        for a in 0..agents {
            let serves = (0..QUEUES_PER_AGENT)
                .map(|_| QueueId(rng.gen_range(0..queues)))
                .collect();
            acd.handle(
                Millis::ZERO,
                Event::AgentLogin {
                    agent: AgentId(a),
                    project: PROJECT,
                    status: AVAILABLE,
                    queues: serves,
                },
            )
            .unwrap();
        }
        let mut center = Center {
            acd,
            rng,
            queues,
            connected: Vec::new(),
            answered: 0,
            next_call: 0,
            now: 0,
        };
        center.drain();
        // Fill the agents, then the queues.
        while (center.connected.len() as u64) < busy || center.waiting() < waiting {
            center.arrive();
            center.drain();
            if center.next_call > 20 * (agents + waiting) {
                break;
            }
        }
        center
    }

    fn waiting(&self) -> u64 {
        self.next_call - self.answered
    }

    fn arrive(&mut self) {
        self.next_call += 1;
        let queue = QueueId(self.rng.gen_range(0..self.queues));
        self.acd
            .handle(
                Millis(self.now),
                Event::CallArrived {
                    call: CallId(self.next_call),
                    queue,
                },
            )
            .unwrap();
    }

    /// Answers every offer at once; returns how many inputs that took.
    fn drain(&mut self) -> u64 {
        let mut inputs = 0;
        while let Some(action) = self.acd.poll_action() {
            if let Action::Offer { call, agent, .. } = action {
                self.acd
                    .handle(Millis(self.now), Event::OfferAccepted { call, agent })
                    .unwrap();
                self.connected.push(call);
                self.answered += 1;
                inputs += 1;
            }
        }
        while let Some(n) = self.acd.poll_notice() {
            black_box(n);
        }
        inputs
    }

    /// One hang-up, the answer to the offer it causes, one arrival.
    fn cycle(&mut self) -> u64 {
        self.now += 1;
        let i = self.rng.gen_range(0..self.connected.len());
        let call = self.connected.swap_remove(i);
        self.acd
            .handle(Millis(self.now), Event::Hangup { call })
            .unwrap();
        let mut inputs = 1 + self.drain();
        self.arrive();
        inputs += 1 + self.drain();
        black_box(self.acd.poll_timeout());
        inputs
    }
}

fn measure(agents: u64, cycles: u64, full: bool) -> (f64, Duration) {
    let queues = (agents / 20).max(1);
    // Full: every agent busy, 5 calls waiting per agent. Half: half the
    // agents free, so each arrival is offered at once by the queue's strategy.
    let (busy, waiting) = if full {
        (agents, agents * 5)
    } else {
        (agents / 2, 0)
    };
    let built = Instant::now();
    let mut center = Center::new(agents, queues, busy, waiting);
    let setup = built.elapsed();
    for _ in 0..cycles / 10 {
        center.cycle();
    }
    let start = Instant::now();
    let mut events = 0;
    for _ in 0..cycles {
        events += center.cycle();
    }
    let elapsed = start.elapsed();
    assert!(
        center.waiting() >= waiting,
        "the queues stayed as they were"
    );
    let per_event = elapsed.as_nanos() as f64 / events as f64;
    println!(
        "{agents:>7} agents {queues:>5} queues {:>7} waiting {:>6} busy: {:>6.0} ns/event, {:>9.0} events/s (setup {:.1?})",
        center.waiting(),
        busy,
        per_event,
        1e9 / per_event,
        setup
    );
    (per_event, elapsed)
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument picks sizes.
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 3_000, 10_000, 30_000, 100_000]
    } else {
        sizes
    };
    let cycles = std::env::var("ACD_BENCH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);
    // ACD_BENCH_ONLY=full or =half runs one of the two.
    let only = std::env::var("ACD_BENCH_ONLY").unwrap_or_default();
    if only != "half" {
        println!("dispatch core: hang-up, answer, arrival cycles in a full center");
        for &agents in &sizes {
            measure(agents, cycles, true);
        }
    }
    if only != "full" {
        println!("and with half the agents free (arrivals offered at once)");
        for &agents in &sizes {
            measure(agents, cycles, false);
        }
    }
}
