//! What keeping the wallboard current costs, in a center of 1,000 agents
//! (each in 3 of 100 queues) taking 200 calls a second, each talked 3 to 5 s.
//!
//! The dispatch core runs the calls on a virtual clock, as the dispatch task
//! would; the wallboard gets what the server gives it: every
//! `COUNTS_EVERY` (300 ms) the core's live metrics of every queue
//! (`LiveFeed::publish`), a checkpoint for every answer and a completed
//! record for every call (the records writer), and, for each open
//! WebSocket, a snapshot of every queue and group tile serialised to JSON at
//! most 4 times a second. Each part is timed apart; the CPU share is their
//! cost per simulated second.
//!
//! Run with `cargo bench --bench wallboard [-- SECONDS]` (default 60
//! simulated seconds, after 10 of warm-up).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchboard::acd::*;
use switchboard::call::wallboard::view::{GroupName, QueueName};
use switchboard::call::wallboard::{LiveFeed, Names, Wallboard};
use switchboard::cdr::{
    Arrival, Classification, Direction, Disposition, InteractionId, InteractionRecord,
    InteractionType,
};

const AGENTS: u64 = 1_000;
const QUEUES: u64 = 100;
const CALLS_PER_SECOND: u64 = 200;
const STEP_MS: u64 = 300;
const QUEUES_PER_AGENT: u64 = 3;
const PROJECT: ProjectId = ProjectId(1);
const AVAILABLE: StatusId = StatusId(1);
/// A Tuesday noon, so the day does not turn during the run.
const START: u64 = 1_780_000_000_000;

#[derive(Default)]
struct Cost {
    n: u64,
    total: Duration,
}

impl Cost {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.total += t.elapsed();
        self.n += 1;
        out
    }

    fn per(&self) -> Duration {
        self.total / self.n.max(1) as u32
    }
}

struct Center {
    acd: Engine,
    rng: SmallRng,
    board: Arc<Wallboard>,
    feed: LiveFeed,
    names: Names,
    now: u64,
    next_call: u64,
    /// Connected calls and when they hang up.
    talking: Vec<(CallId, QueueId, u64, u64)>,
    queue_of: std::collections::HashMap<CallId, (QueueId, u64)>,
    publish: Cost,
    checkpoint: Cost,
    complete: Cost,
    snapshot: Cost,
    snapshot_bytes: usize,
    measuring: bool,
}

fn record(call: CallId, queue: QueueId, arrived: u64, answered: Option<u64>) -> InteractionRecord {
    let mut r = InteractionRecord::new(
        Arrival {
            id: InteractionId(call.0),
            interaction_type: InteractionType::Call,
            direction: Direction::Inbound,
            domain: "bench".into(),
            remote_number: "+15550100".into(),
            local_number: "600".into(),
        },
        Millis(arrived),
    );
    r.queue = Some(queue);
    r.project = Some(PROJECT);
    r.connection_moment = answered.map(Millis);
    r.queue_wait_length = Duration::from_millis(answered.unwrap_or(arrived) - arrived);
    r
}

impl Center {
    fn new() -> Center {
        let mut rng = SmallRng::seed_from_u64(7);
        let queues: Vec<QueueConfig> = (1..=QUEUES)
            .map(|q| QueueConfig::new(QueueId(q), PROJECT))
            .collect();
        let mut acd = Engine::new(Config {
            projects: vec![ProjectConfig::new(PROJECT)],
            statuses: vec![StatusConfig {
                id: AVAILABLE,
                name: "Available".into(),
                category: Category::Available,
                transferable: false,
            }],
            queues,
            seed: 1,
            ..Config::default()
        });
        for a in 1..=AGENTS {
            let serves = (0..QUEUES_PER_AGENT)
                .map(|_| QueueId(rng.gen_range(1..=QUEUES)))
                .collect();
            acd.handle(
                Millis(START),
                Event::AgentLogin {
                    agent: AgentId(a),
                    project: PROJECT,
                    status: AVAILABLE,
                    queues: serves,
                },
            )
            .unwrap();
        }
        let names = Names {
            queues: (1..=QUEUES)
                .map(|q| QueueName {
                    id: QueueId(q),
                    name: format!("Queue {q}"),
                    project: PROJECT,
                    service_level: Duration::from_secs(20),
                    target: 0.8,
                })
                .collect(),
            // Ten groups of ten queues.
            groups: (0..10)
                .map(|g| GroupName {
                    id: QueueGroupId(g + 1),
                    name: format!("Group {g}"),
                    queues: (1..=10).map(|i| QueueId(g * 10 + i)).collect(),
                })
                .collect(),
            statuses: vec![(AVAILABLE, "Available".into())],
            result_codes: vec![(ResultCodeId(1), "Sale".into())],
        };
        let board = Arc::new(Wallboard::default());
        Center {
            acd,
            rng,
            feed: LiveFeed::new(board.clone()),
            board,
            names,
            now: START,
            next_call: 0,
            talking: Vec::new(),
            queue_of: Default::default(),
            publish: Cost::default(),
            checkpoint: Cost::default(),
            complete: Cost::default(),
            snapshot: Cost::default(),
            snapshot_bytes: 0,
            measuring: false,
        }
    }

    fn drain(&mut self) {
        while let Some(action) = self.acd.poll_action() {
            if let Action::Offer { call, agent, .. } = action {
                self.acd
                    .handle(Millis(self.now), Event::OfferAccepted { call, agent })
                    .unwrap();
                let (queue, arrived) = self.queue_of[&call];
                let talk = self.rng.gen_range(3_000..5_000);
                self.talking.push((call, queue, arrived, self.now + talk));
                let r = record(call, queue, arrived, Some(self.now));
                let board = &self.board;
                self.checkpoint.time(|| board.checkpoint(&r));
            }
        }
        while let Some(n) = self.acd.poll_notice() {
            black_box(n);
        }
        self.feed.touch();
    }

    /// One `STEP_MS` of the center's life, then the wallboard's tick.
    fn step(&mut self) {
        let arrivals = CALLS_PER_SECOND * STEP_MS / 1000;
        for _ in 0..arrivals {
            self.now += STEP_MS / arrivals;
            let now = self.now;
            let mut ended = Vec::new();
            self.talking.retain(|&(call, queue, arrived, until)| {
                let done = until <= now;
                if done {
                    ended.push((call, queue, arrived, until));
                }
                !done
            });
            for (call, queue, arrived, until) in ended {
                self.acd
                    .handle(Millis(self.now), Event::Hangup { call })
                    .unwrap();
                self.queue_of.remove(&call);
                let answered_at = until - 1;
                let mut r = record(call, queue, arrived, Some(answered_at.min(self.now)));
                r.disposition = Some(Disposition::Answered);
                r.terminate_moment = Some(Millis(self.now));
                r.classification = Some(Classification::AnsweredWithinServiceLevel);
                r.connected_length = Duration::from_millis(4_000);
                r.verdict = Some(ResultCodeId(1));
                let board = &self.board;
                self.complete.time(|| board.completed(&r));
                self.drain();
            }
            self.next_call += 1;
            let call = CallId(self.next_call);
            let queue = QueueId(self.rng.gen_range(1..=QUEUES));
            self.queue_of.insert(call, (queue, self.now));
            self.acd
                .handle(Millis(self.now), Event::CallArrived { call, queue })
                .unwrap();
            self.drain();
        }
        let (acd, feed, now) = (&self.acd, &mut self.feed, Millis(self.now));
        self.publish.time(|| feed.publish(acd, now));
        let (board, names) = (&self.board, &self.names);
        let json = self.snapshot.time(|| {
            let tiles = board.tiles(names, now, |_| true);
            serde_json::to_string(&tiles).unwrap()
        });
        self.snapshot_bytes = json.len();
        if !self.measuring {
            self.publish = Cost::default();
            self.checkpoint = Cost::default();
            self.complete = Cost::default();
            self.snapshot = Cost::default();
        }
    }
}

fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(60);
    let steps_per_second = 1000 / STEP_MS;
    let mut center = Center::new();
    for _ in 0..10 * steps_per_second {
        center.step();
    }
    center.measuring = true;
    let wall = Instant::now();
    let steps = seconds * 1000 / STEP_MS;
    for _ in 0..steps {
        center.step();
    }
    let wall = wall.elapsed();
    let simulated = Duration::from_millis(steps * STEP_MS);
    let c = &center;
    println!(
        "{AGENTS} agents, {QUEUES} queues, {CALLS_PER_SECOND} calls/s: {} calls over {:?} \
         simulated ({} talking at the end; whole simulation {:.2?} of wall time)",
        c.complete.n,
        simulated,
        c.talking.len(),
        wall
    );
    println!(
        "  publish (every {STEP_MS} ms):      {:>9.1?} each, {:>5} times",
        c.publish.per(),
        c.publish.n
    );
    println!(
        "  checkpoint (each answer):      {:>9.1?} each, {:>5} times",
        c.checkpoint.per(),
        c.checkpoint.n
    );
    println!(
        "  completed record (each call):  {:>9.1?} each, {:>5} times",
        c.complete.per(),
        c.complete.n
    );
    println!(
        "  snapshot of 110 tiles to JSON: {:>9.1?} each ({} bytes)",
        c.snapshot.per(),
        c.snapshot_bytes
    );
    let feed = c.publish.total + c.checkpoint.total + c.complete.total;
    let share = |d: Duration| 100.0 * d.as_secs_f64() / simulated.as_secs_f64();
    println!(
        "  CPU share of one core: feeding {:.3}%, plus {:.3}% per open wallboard \
         (4 snapshots a second)",
        share(feed),
        100.0 * 4.0 * c.snapshot.per().as_secs_f64()
    );
}
