//! A traffic simulator that drives the real engine on a virtual clock, so a
//! planner can ask "how many agents for this traffic?" and so the engine can
//! be checked against queueing theory.
//!
//! Callers arrive as a Poisson process, each handle time is exponential, and
//! with a patience set each caller hangs up after an exponential time if not
//! yet answered. Every agent serves the one queue and answers each offer at
//! once. The report gives service level, average speed of answer, abandon
//! rate and occupancy over the callers who arrived after the warm-up; with no
//! patience it should agree with [`erlang::ErlangC`], with patience with
//! [`erlang::ErlangA`].
//!
//! A scenario is a small TOML file (see `tools/acd-scenarios/`) run by
//! `tools/simulate-acd SCENARIO.toml`:
//!
//! ```toml
//! agents = 20
//! calls_per_hour = 360
//! handle_time_secs = 180
//! patience_secs = 120        # leave out for callers who never give up
//! service_level_secs = 20
//! hours = 1000
//! ```

pub mod erlang;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use super::{
    AgentId, CallId, Category, Config, Engine, Event, Millis, Notice, Outcome, ProjectConfig,
    ProjectId, QueueConfig, QueueId, StatusConfig, StatusId, StrategyKind,
};

/// The traffic to simulate.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub agents: u32,
    pub calls_per_hour: f64,
    pub handle_time_secs: f64,
    /// Mean patience of a waiting caller; `None` waits for ever.
    #[serde(default)]
    pub patience_secs: Option<f64>,
    #[serde(default)]
    pub after_call_work_secs: f64,
    #[serde(default = "default_service_level")]
    pub service_level_secs: f64,
    /// Simulated time measured, after the warm-up.
    #[serde(default = "default_hours")]
    pub hours: f64,
    #[serde(default = "default_warmup")]
    pub warmup_hours: f64,
    #[serde(default)]
    pub seed: u64,
}

fn default_service_level() -> f64 {
    20.0
}
fn default_hours() -> f64 {
    1000.0
}
fn default_warmup() -> f64 {
    2.0
}

impl Scenario {
    /// Offered load per agent (handle time including after-call work).
    pub fn load(&self) -> f64 {
        self.calls_per_hour / 3600.0 * (self.handle_time_secs + self.after_call_work_secs)
            / f64::from(self.agents)
    }

    /// The Erlang C model of this scenario (patience ignored).
    pub fn erlang_c(&self) -> erlang::ErlangC {
        erlang::ErlangC {
            agents: self.agents,
            arrival_rate: self.calls_per_hour / 3600.0,
            handle_time: self.handle_time_secs + self.after_call_work_secs,
        }
    }

    /// The Erlang A model, if callers have a patience.
    pub fn erlang_a(&self) -> Option<erlang::ErlangA> {
        self.patience_secs.map(|patience| erlang::ErlangA {
            agents: self.agents,
            arrival_rate: self.calls_per_hour / 3600.0,
            handle_time: self.handle_time_secs + self.after_call_work_secs,
            patience,
        })
    }
}

/// What a run measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Callers who arrived in the measured period.
    pub calls: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Answered within the threshold, over all callers.
    pub service_level: f64,
    /// Share of callers who had to wait at all.
    pub p_wait: f64,
    /// Average speed of answer of the answered callers, seconds.
    pub asa: f64,
    /// Average wait of every caller, seconds.
    pub mean_wait: f64,
    pub abandon_rate: f64,
    /// Busy time (talk plus after-call work) over staffed time.
    pub occupancy: f64,
    /// Average of the engine's estimated wait for each caller's position on
    /// arrival, seconds: compare with `mean_wait`.
    pub mean_estimate: f64,
    /// Inputs handed to the engine, including timeouts.
    pub engine_events: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SimEvent {
    Arrival,
    End(CallId),
    Patience(CallId),
}

const PROJECT: ProjectId = ProjectId(1);
const QUEUE: QueueId = QueueId(1);
const AVAILABLE: StatusId = StatusId(1);

fn exp_ms(rng: &mut SmallRng, mean_secs: f64) -> u64 {
    let u: f64 = rng.gen();
    (-mean_secs * (1.0 - u).ln() * 1000.0).round() as u64
}

/// Runs `scenario` through a fresh engine.
pub fn run(scenario: &Scenario) -> Report {
    let mut queue = QueueConfig::new(QUEUE, PROJECT);
    queue.strategy = StrategyKind::LongestIdle;
    queue.agent_timeout = Duration::from_secs(3600);
    queue.after_call_work = Duration::from_secs_f64(scenario.after_call_work_secs);
    queue.service_level = Duration::from_secs_f64(scenario.service_level_secs);
    let mut acd = Engine::new(Config {
        projects: vec![ProjectConfig::new(PROJECT)],
        statuses: vec![StatusConfig {
            id: AVAILABLE,
            name: "Available".into(),
            category: Category::Available,
            transferable: false,
        }],
        queues: vec![queue],
        seed: scenario.seed,
        ..Config::default()
    });
    for n in 0..scenario.agents {
        acd.handle(
            Millis::ZERO,
            Event::AgentLogin {
                agent: AgentId(u64::from(n) + 1),
                project: PROJECT,
                status: AVAILABLE,
                queues: vec![QUEUE],
            },
        )
        .expect("simulator configuration is valid");
    }
    let mut rng = SmallRng::seed_from_u64(scenario.seed);
    let mean_gap = 3600.0 / scenario.calls_per_hour;
    let start = (scenario.warmup_hours * 3_600_000.0) as u64;
    let end = start + (scenario.hours * 3_600_000.0) as u64;
    let threshold = (scenario.service_level_secs * 1000.0) as u64;

    let mut pending: BinaryHeap<Reverse<(u64, u64, SimEvent)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut schedule = |pending: &mut BinaryHeap<_>, at: u64, ev: SimEvent| {
        seq += 1;
        pending.push(Reverse((at, seq, ev)));
    };
    schedule(&mut pending, exp_ms(&mut rng, mean_gap), SimEvent::Arrival);

    let mut arrived_at: HashMap<CallId, u64> = HashMap::new();
    let mut answered_at: HashMap<CallId, u64> = HashMap::new();
    let mut next_call = 0u64;
    let mut report = Report::default();
    let (mut answered_in_time, mut waited_some, mut wait_answered, mut wait_all) =
        (0u64, 0u64, 0u64, 0u64);
    let mut busy_ms = 0u64;
    let (mut waiting, mut estimate_ms) = (0u32, 0u64);
    let measured = |at: u64| at >= start && at < end;

    loop {
        let sim_next = pending.peek().map(|Reverse((at, _, _))| *at);
        let engine_next = acd.poll_timeout().map(|m| m.0);
        let now = match (sim_next, engine_next) {
            (None, None) => break,
            (Some(s), Some(e)) if e <= s => {
                acd.handle_timeout(Millis(e));
                report.engine_events += 1;
                e
            }
            (None, Some(e)) => {
                acd.handle_timeout(Millis(e));
                report.engine_events += 1;
                e
            }
            (Some(_), _) => {
                let Reverse((now, _, ev)) = pending.pop().expect("peeked");
                let t = Millis(now);
                match ev {
                    SimEvent::Arrival => {
                        if now < end {
                            next_call += 1;
                            let call = CallId(next_call);
                            arrived_at.insert(call, now);
                            waiting += 1;
                            if measured(now) {
                                let estimate = acd.estimated_wait(QUEUE, waiting);
                                estimate_ms += estimate.unwrap_or_default().as_millis() as u64;
                            }
                            acd.handle(t, Event::CallArrived { call, queue: QUEUE })
                                .expect("known queue");
                            report.engine_events += 1;
                            if let Some(p) = scenario.patience_secs {
                                schedule(
                                    &mut pending,
                                    now + exp_ms(&mut rng, p),
                                    SimEvent::Patience(call),
                                );
                            }
                            schedule(
                                &mut pending,
                                now + exp_ms(&mut rng, mean_gap),
                                SimEvent::Arrival,
                            );
                        }
                    }
                    SimEvent::End(call) => {
                        acd.handle(t, Event::Hangup { call }).expect("hang-up");
                        report.engine_events += 1;
                    }
                    SimEvent::Patience(call) => {
                        if !answered_at.contains_key(&call) && arrived_at.contains_key(&call) {
                            acd.handle(t, Event::Hangup { call }).expect("hang-up");
                            report.engine_events += 1;
                        }
                    }
                }
                now
            }
        };
        // Every agent answers at once.
        while let Some(action) = acd.poll_action() {
            if let super::Action::Offer { call, agent, .. } = action {
                acd.handle(Millis(now), Event::OfferAccepted { call, agent })
                    .expect("offer just made");
                report.engine_events += 1;
            }
        }
        while let Some(notice) = acd.poll_notice() {
            match notice {
                Notice::LeftQueue {
                    call,
                    outcome,
                    waited,
                    ..
                } => {
                    let arrived = arrived_at[&call];
                    let waited = waited.as_millis() as u64;
                    waiting -= 1;
                    let answered = matches!(outcome, Outcome::Answered { .. });
                    if answered {
                        answered_at.insert(call, now);
                        let handle = exp_ms(&mut rng, scenario.handle_time_secs);
                        schedule(&mut pending, now + handle, SimEvent::End(call));
                    } else {
                        arrived_at.remove(&call);
                    }
                    if measured(arrived) {
                        report.calls += 1;
                        wait_all += waited;
                        if waited > 0 {
                            waited_some += 1;
                        }
                        if answered {
                            report.answered += 1;
                            wait_answered += waited;
                            if waited <= threshold {
                                answered_in_time += 1;
                            }
                        } else {
                            report.abandoned += 1;
                        }
                    }
                }
                Notice::WrapupEnded { call, .. } => {
                    let from = answered_at.remove(&call).expect("answered").max(start);
                    let to = now.min(end);
                    busy_ms += to.saturating_sub(from);
                    arrived_at.remove(&call);
                }
                _ => {}
            }
        }
    }
    let calls = report.calls.max(1) as f64;
    report.service_level = answered_in_time as f64 / calls;
    report.p_wait = waited_some as f64 / calls;
    report.asa = wait_answered as f64 / 1000.0 / report.answered.max(1) as f64;
    report.mean_wait = wait_all as f64 / 1000.0 / calls;
    report.abandon_rate = report.abandoned as f64 / calls;
    report.mean_estimate = estimate_ms as f64 / 1000.0 / calls;
    report.occupancy = busy_ms as f64 / (f64::from(scenario.agents) * (end - start) as f64);
    report
}

#[cfg(test)]
mod tests;
