//! Scenario tests, written as call flows on a virtual clock, and property
//! tests over random event sequences.

mod callbacks;
mod day_turn;
mod flows;
mod offers;
mod pickup;
mod priority;
mod props;
mod reconfig;
mod resumed;
mod strategies;
mod waiting;
mod wrapup_breaks;

use std::time::Duration;

use super::*;

/// The property tests' settings: 256 cases unless PROPTEST_CASES asks for
/// more; failures are turned into scenario tests rather than stored.
pub(super) fn proptest_config() -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

pub const P: ProjectId = ProjectId(1);
pub const P2: ProjectId = ProjectId(2);
pub const AVAILABLE: StatusId = StatusId(1);
pub const OFFLINE: StatusId = StatusId(2);
pub const BREAK: StatusId = StatusId(3);
pub const LUNCH: StatusId = StatusId(4);
/// In Call category, Transferable: an agent on an outbound call.
pub const OUTBOUND: StatusId = StatusId(5);
/// Where the missed-offer rule sends agents.
pub const NOT_ANSWERING: StatusId = StatusId(6);

pub const SALES: QueueId = QueueId(10);
pub const SUPPORT: QueueId = QueueId(11);
pub const CHAT: QueueId = QueueId(12);

pub const A1: AgentId = AgentId(101);
pub const A2: AgentId = AgentId(102);
pub const A3: AgentId = AgentId(103);

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn t(s: u64) -> Millis {
    Millis::from_secs(s)
}

pub fn c(n: u64) -> CallId {
    CallId(n)
}

fn status(id: StatusId, name: &str, category: Category, transferable: bool) -> StatusConfig {
    StatusConfig {
        id,
        name: name.into(),
        category,
        transferable,
    }
}

/// Two projects with the usual statuses; queues are added by each test.
pub fn config(queues: Vec<QueueConfig>) -> Config {
    let mut project = ProjectConfig::new(P);
    project.break_allowance = Duration::from_secs(30 * 60);
    let group = vec![SALES, SUPPORT]
        .into_iter()
        .filter(|q| queues.iter().any(|c| c.id == *q))
        .collect();
    Config {
        projects: vec![project, ProjectConfig::new(P2)],
        statuses: vec![
            status(AVAILABLE, "Available", Category::Available, false),
            status(OFFLINE, "Offline", Category::Offline, false),
            status(BREAK, "Break", Category::Break, false),
            status(LUNCH, "Lunch", Category::Break, false),
            status(OUTBOUND, "Outbound", Category::InCall, true),
            status(NOT_ANSWERING, "Not answering", Category::Offline, false),
        ],
        queues,
        queue_groups: vec![QueueGroupConfig {
            id: QueueGroupId(1),
            queues: group,
        }],
        result_codes: vec![
            ResultCodeConfig {
                id: ResultCodeId(1),
                extra_time: Duration::ZERO,
            },
            ResultCodeConfig {
                id: ResultCodeId(2),
                extra_time: Duration::from_secs(60),
            },
        ],
        agent_priorities: Vec::new(),
        seed: 7,
    }
}

pub fn queue(id: QueueId) -> QueueConfig {
    QueueConfig::new(id, P)
}

/// An engine plus the helpers the call flows read with.
pub struct Rig {
    pub acd: Engine,
}

impl Rig {
    pub fn new(queues: Vec<QueueConfig>) -> Self {
        Rig {
            acd: Engine::new(config(queues)),
        }
    }

    pub fn with(config: Config) -> Self {
        Rig {
            acd: Engine::new(config),
        }
    }

    pub fn on(&mut self, now: Millis, event: Event) {
        self.acd
            .handle(now, event)
            .unwrap_or_else(|e| panic!("event refused: {e}"));
    }

    pub fn login(&mut self, now: Millis, agent: AgentId, queues: &[QueueId]) {
        self.on(
            now,
            Event::AgentLogin {
                agent,
                project: P,
                status: AVAILABLE,
                queues: queues.to_vec(),
            },
        );
    }

    pub fn status(&mut self, now: Millis, agent: AgentId, status: StatusId) {
        self.on(now, Event::AgentStatus { agent, status });
    }

    pub fn arrive(&mut self, now: Millis, call: CallId, queue: QueueId) {
        self.on(now, Event::CallArrived { call, queue });
    }

    pub fn accept(&mut self, now: Millis, call: CallId, agent: AgentId) {
        self.on(now, Event::OfferAccepted { call, agent });
    }

    pub fn hangup(&mut self, now: Millis, call: CallId) {
        self.on(now, Event::Hangup { call });
    }

    /// Runs every timer up to and including `now`.
    pub fn wait_until(&mut self, now: Millis) {
        while let Some(at) = self.acd.poll_timeout() {
            if at > now {
                break;
            }
            self.acd.handle_timeout(at);
        }
        self.acd.handle_timeout(now);
    }

    pub fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.acd.poll_action()).collect()
    }

    pub fn notices(&mut self) -> Vec<Notice> {
        std::iter::from_fn(|| self.acd.poll_notice()).collect()
    }

    /// The offers among the pending actions, as (call, agent); other actions
    /// are dropped.
    pub fn offers(&mut self) -> Vec<(CallId, AgentId)> {
        self.actions()
            .into_iter()
            .filter_map(|a| match a {
                Action::Offer { call, agent, .. } => Some((call, agent)),
                _ => None,
            })
            .collect()
    }

    pub fn outcomes(&mut self) -> Vec<(CallId, Outcome)> {
        self.notices()
            .into_iter()
            .filter_map(|n| match n {
                Notice::LeftQueue { call, outcome, .. } => Some((call, outcome)),
                _ => None,
            })
            .collect()
    }

    pub fn presence(&self, agent: AgentId) -> Presence {
        self.acd.agent_presence(agent).expect("known agent").1
    }

    pub fn metrics(&self, queue: QueueId, now: Millis) -> QueueMetrics {
        self.acd.queue_metrics(queue, now).expect("known queue")
    }
}

pub fn offer(call: CallId, agent: AgentId) -> Action {
    Action::Offer {
        call,
        agent,
        ring_for: secs(15),
        auto_answer: false,
    }
}

/// One row of a call-flow table: at this time, this input (or, with `None`,
/// only the clock reaching it), then exactly these actions.
pub type Row = (Millis, Option<Event>, Vec<Action>);

/// Plays a call-flow table, checking each row's actions.
pub fn flow(r: &mut Rig, rows: Vec<Row>) {
    for (i, (at, event, expected)) in rows.into_iter().enumerate() {
        match event {
            Some(event) => {
                r.wait_until(at);
                r.on(at, event)
            }
            None => r.wait_until(at),
        }
        assert_eq!(r.actions(), expected, "row {} at {at}", i + 1);
    }
}

pub fn login(agent: AgentId, queues: &[QueueId]) -> Option<Event> {
    Some(Event::AgentLogin {
        agent,
        project: P,
        status: AVAILABLE,
        queues: queues.to_vec(),
    })
}

pub fn arrive(call: CallId, queue: QueueId) -> Option<Event> {
    Some(Event::CallArrived { call, queue })
}

pub fn answer(call: CallId, agent: AgentId) -> Option<Event> {
    Some(Event::OfferAccepted { call, agent })
}

pub fn hangup(call: CallId) -> Option<Event> {
    Some(Event::Hangup { call })
}

pub fn cancel(call: CallId, agent: AgentId) -> Action {
    Action::CancelOffer { call, agent }
}

pub const CLOCK: Option<Event> = None;
