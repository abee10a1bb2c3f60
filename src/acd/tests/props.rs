//! Property tests over random event sequences: no offer to an agent who is not
//! eligible, no agent over capacity, FIFO within a queue, every interaction
//! leaves its queue exactly once, and break time adds up. Callbacks are
//! among the traffic: asked for by waiting callers or arriving directly,
//! dialled, connected, unreachable (retried or not) and cancelled. The
//! configuration changes underneath: agents are taken off queues and queues
//! are deleted, and neither is offered anything from them again. Agents'
//! priorities change too (the rules above hold whatever the priorities).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;

use super::*;

const AGENTS: [AgentId; 4] = [A1, A2, A3, AgentId(104)];
const QUEUES: [QueueId; 3] = [SALES, SUPPORT, CHAT];
const STATUSES: [StatusId; 5] = [AVAILABLE, OFFLINE, BREAK, LUNCH, OUTBOUND];

#[derive(Clone, Debug)]
enum Op {
    Login(usize, u8),
    Logout(usize),
    Status(usize, usize),
    Arrive(usize),
    Accept(usize),
    Reject(usize),
    Fail(usize),
    Hangup(usize),
    QueueExit(usize),
    ResultCode(usize),
    WrapupDone(usize),
    Wait(u64),
    NewDay,
    Transfer(usize),
    Restrategy(usize, usize),
    RequestCallback(usize),
    CallbackArrive(usize, u64, u32),
    CallbackConnected(usize),
    CallbackUnreachable(usize, bool),
    CallbackCancel(usize),
    /// The agent is taken off the queue.
    Unassign(usize, usize),
    /// The queue is deleted (an index past the queues does nothing, to keep
    /// deletions rare).
    RemoveQueue(usize),
    /// The agent's dispatch priority changes.
    Priority(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..4usize, 1..8u8).prop_map(|(a, q)| Op::Login(a, q)),
        1 => (0..4usize).prop_map(Op::Logout),
        3 => (0..4usize, 0..5usize).prop_map(|(a, s)| Op::Status(a, s)),
        5 => (0..3usize).prop_map(Op::Arrive),
        4 => any::<usize>().prop_map(Op::Accept),
        1 => any::<usize>().prop_map(Op::Reject),
        1 => any::<usize>().prop_map(Op::Fail),
        3 => any::<usize>().prop_map(Op::Hangup),
        1 => any::<usize>().prop_map(Op::QueueExit),
        1 => any::<usize>().prop_map(Op::ResultCode),
        1 => any::<usize>().prop_map(Op::WrapupDone),
        4 => (0..40u64).prop_map(Op::Wait),
        1 => Just(Op::NewDay),
        1 => (0..4usize).prop_map(Op::Transfer),
        1 => (0..3usize, 0..6usize).prop_map(|(q, k)| Op::Restrategy(q, k)),
        2 => any::<usize>().prop_map(Op::RequestCallback),
        1 => (0..3usize, 0..300u64, 0..3u32).prop_map(|(q, ago, n)| Op::CallbackArrive(q, ago, n)),
        2 => any::<usize>().prop_map(Op::CallbackConnected),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(n, r)| Op::CallbackUnreachable(n, r)),
        1 => any::<usize>().prop_map(Op::CallbackCancel),
        1 => (0..4usize, 0..3usize).prop_map(|(a, q)| Op::Unassign(a, q)),
        1 => (0..8usize).prop_map(Op::RemoveQueue),
        2 => (0..4usize, 0..3u8).prop_map(|(a, p)| Op::Priority(a, p)),
    ]
}

fn strategy_kind() -> impl Strategy<Value = StrategyKind> {
    prop_oneof![
        Just(StrategyKind::Sequential),
        Just(StrategyKind::LeastRecentlyCalled),
        Just(StrategyKind::LongestIdle),
        Just(StrategyKind::FewestCalls),
        Just(StrategyKind::Random),
        Just(StrategyKind::RingAll),
    ]
}

fn world(kinds: [StrategyKind; 3], prio: [u32; 3]) -> Rig {
    let mut sales = queue(SALES);
    sales.after_call_work = secs(5);
    sales.announcements = AnnouncementMode::Both;
    sales.announce_every = secs(7);
    sales.queue_timeout = Some((secs(90), ExitTarget::Queue(SUPPORT)));
    sales.callback_retries = 1;
    sales.callback_retry_delay = secs(5);
    sales.callback_expiry = Some(secs(200));
    let mut support = queue(SUPPORT);
    support.callback_retry_delay = secs(0);
    let mut chat = QueueConfig::new(CHAT, P);
    chat.channel = Channel::Text { weight: 33 };
    chat.after_call_work = secs(3);
    let mut queues = vec![sales, support, chat];
    for (i, q) in queues.iter_mut().enumerate() {
        q.strategy = kinds[i];
        q.priority = prio[i];
    }
    let mut cfg = config(queues);
    cfg.projects[0].missed_offers = Some(MissedOffers {
        limit: 3,
        status: NOT_ANSWERING,
    });
    cfg.projects[0].reoffer_delay = secs(4);
    Rig::with(cfg)
}

fn category(s: StatusId) -> Category {
    match s {
        AVAILABLE => Category::Available,
        BREAK | LUNCH => Category::Break,
        OUTBOUND => Category::InCall,
        _ => Category::Offline,
    }
}

/// What the test itself knows, from its own inputs and the engine's outputs.
#[derive(Default)]
struct Model {
    now: u64,
    next_call: u64,
    /// Agent -> chosen status, while logged in.
    status: BTreeMap<AgentId, StatusId>,
    /// Agent -> (break time counted, break started at).
    breaks: BTreeMap<AgentId, (u64, Option<u64>)>,
    ringing: BTreeSet<(CallId, AgentId)>,
    connected: BTreeMap<CallId, AgentId>,
    wrapping: BTreeSet<(AgentId, CallId)>,
    arrived: BTreeSet<CallId>,
    transfers: BTreeSet<CallId>,
    left: BTreeMap<CallId, usize>,
    /// Per queue, the calls offered in order.
    offered: BTreeMap<QueueId, Vec<CallId>>,
    queue_of: BTreeMap<CallId, QueueId>,
    callbacks: BTreeSet<CallId>,
    /// Callbacks being dialled, by the agent dialling.
    dialling: BTreeMap<CallId, AgentId>,
    /// A callback's caller, whose place it took.
    took_place_of: BTreeMap<CallId, CallId>,
    /// Agents taken off a queue (until they log in to it again).
    taken_off: BTreeSet<(AgentId, QueueId)>,
    removed: BTreeSet<QueueId>,
}

impl Model {
    fn set_status(&mut self, agent: AgentId, status: Option<StatusId>) {
        let was = self.status.get(&agent).map(|&s| category(s)) == Some(Category::Break);
        let is = status.map(category) == Some(Category::Break);
        let b = self.breaks.entry(agent).or_default();
        if was && !is {
            b.0 += self.now - b.1.take().expect("in break");
        } else if !was && is {
            b.1 = Some(self.now);
        }
        match status {
            Some(s) => self.status.insert(agent, s),
            None => self.status.remove(&agent),
        };
    }

    fn pick<T: Copy>(items: impl Iterator<Item = T>, n: usize) -> Option<T> {
        let v: Vec<T> = items.collect();
        (!v.is_empty()).then(|| v[n % v.len()])
    }
}

/// Applies the engine's outputs to the model, checking each offer.
fn absorb(r: &mut Rig, m: &mut Model) {
    r.acd.check_invariants();
    for a in r.actions() {
        match a {
            Action::Offer { call, agent, .. } | Action::OfferCallback { call, agent, .. } => {
                assert_eq!(
                    matches!(a, Action::OfferCallback { .. }),
                    m.callbacks.contains(&call),
                    "{call} offered as the wrong kind"
                );
                let status = m.status.get(&agent).copied();
                assert!(
                    status.map(category) == Some(Category::Available),
                    "{call} offered to {agent} in {status:?}"
                );
                m.ringing.insert((call, agent));
                let q = m.queue_of[&call];
                assert!(!m.removed.contains(&q), "{call} of deleted {q} offered");
                assert!(
                    !m.taken_off.contains(&(agent, q)),
                    "{call} of {q} offered to {agent}, taken off it"
                );
                m.offered.entry(q).or_default().push(call);
            }
            Action::CancelOffer { call, agent } => {
                m.ringing.remove(&(call, agent));
            }
            Action::Announce { .. } | Action::Redirect { .. } => {}
        }
    }
    for n in r.notices() {
        match n {
            Notice::MovedForMissedOffers { agent, status } => m.set_status(agent, Some(status)),
            Notice::OfferMissed { call, agent, .. } => {
                m.ringing.remove(&(call, agent));
            }
            Notice::CallbackDialling { call, agent, .. } => {
                assert!(m.ringing.contains(&(call, agent)), "{call} dialled unrung");
                m.ringing.retain(|&(c, _)| c != call);
                m.dialling.insert(call, agent);
            }
            Notice::CallbackAttemptFailed { call, .. } => {
                m.dialling.remove(&call);
            }
            Notice::LeftQueue { call, outcome, .. } => {
                *m.left.entry(call).or_default() += 1;
                m.ringing.retain(|&(c, _)| c != call);
                m.dialling.remove(&call);
                if let Outcome::Answered { agent } = outcome {
                    m.connected.insert(call, agent);
                }
            }
            Notice::WrapupStarted { agent, call, .. } => {
                m.wrapping.insert((agent, call));
            }
            Notice::WrapupEnded { agent, call } => {
                m.wrapping.remove(&(agent, call));
            }
            _ => {}
        }
    }
    for (&call, &n) in &m.left {
        assert_eq!(n, 1, "{call} left its queue {n} times");
    }
}

fn step(r: &mut Rig, m: &mut Model, op: Op) {
    let now = Millis::from_secs(m.now);
    let ignore = |_r: Result<(), AcdError>| {};
    match op {
        Op::Login(a, mask) => {
            let agent = AGENTS[a];
            let queues: Vec<QueueId> = (0..3)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| QUEUES[i])
                .filter(|q| !m.removed.contains(q))
                .collect();
            m.taken_off
                .retain(|(a, q)| *a != agent || !queues.contains(q));
            m.set_status(agent, None);
            m.set_status(agent, Some(AVAILABLE));
            r.on(
                now,
                Event::AgentLogin {
                    agent,
                    project: P,
                    status: AVAILABLE,
                    queues,
                },
            );
        }
        Op::Logout(a) => {
            let agent = AGENTS[a];
            if r.acd.agent_presence(agent).is_some() {
                m.set_status(agent, None);
                r.on(now, Event::AgentLogout { agent });
            }
        }
        Op::Status(a, s) => {
            let agent = AGENTS[a];
            if m.status.contains_key(&agent) {
                m.set_status(agent, Some(STATUSES[s]));
                r.status(now, agent, STATUSES[s]);
            }
        }
        Op::Arrive(q) if m.removed.contains(&QUEUES[q]) => {}
        Op::Arrive(q) => {
            m.next_call += 1;
            let call = CallId(m.next_call);
            m.arrived.insert(call);
            m.queue_of.insert(call, QUEUES[q]);
            r.arrive(now, call, QUEUES[q]);
        }
        Op::Accept(n) => {
            if let Some((call, agent)) = Model::pick(m.ringing.iter().copied(), n) {
                r.accept(now, call, agent);
            }
        }
        Op::Reject(n) | Op::Fail(n) => {
            if let Some((call, agent)) = Model::pick(m.ringing.iter().copied(), n) {
                let e = if matches!(op, Op::Reject(_)) {
                    Event::OfferRejected { call, agent }
                } else {
                    Event::OfferFailed { call, agent }
                };
                r.on(now, e);
            }
        }
        Op::Hangup(n) | Op::QueueExit(n) => {
            let live = m
                .arrived
                .iter()
                .filter(|c| !m.left.contains_key(c) || m.connected.contains_key(c));
            if let Some(call) = Model::pick(live.copied(), n) {
                m.connected.remove(&call);
                m.transfers.remove(&call);
                let e = if matches!(op, Op::Hangup(_)) {
                    Event::Hangup { call }
                } else {
                    Event::QueueExit { call }
                };
                r.on(now, e);
            }
        }
        Op::ResultCode(n) => {
            if let Some((agent, call)) = Model::pick(m.wrapping.iter().copied(), n) {
                let code = ResultCodeId(1 + (n % 2) as u64);
                r.on(now, Event::ResultCode { agent, call, code });
            }
        }
        Op::WrapupDone(n) => {
            if let Some((agent, call)) = Model::pick(m.wrapping.iter().copied(), n) {
                ignore(r.acd.handle(now, Event::WrapupDone { agent, call }));
            }
        }
        Op::Wait(s) => {
            // A second at a time, so the model sees each timer's effects at
            // the second it happened (every configured time is whole seconds).
            for _ in 0..s {
                m.now += 1;
                r.wait_until(Millis::from_secs(m.now));
                absorb(r, m);
            }
        }
        Op::Transfer(a) => {
            let agent = AGENTS[a];
            m.next_call += 1;
            let call = CallId(m.next_call);
            let event = Event::TransferStarted { call, agent };
            if r.acd.takes_transfer(agent) {
                r.on(now, event);
                m.transfers.insert(call);
            } else {
                assert!(r.acd.handle(now, event).is_err());
            }
        }
        Op::Restrategy(q, _) | Op::CallbackArrive(q, _, _) if m.removed.contains(&QUEUES[q]) => {}
        Op::Restrategy(q, k) => {
            let kinds = [
                StrategyKind::Sequential,
                StrategyKind::LeastRecentlyCalled,
                StrategyKind::LongestIdle,
                StrategyKind::FewestCalls,
                StrategyKind::Random,
                StrategyKind::RingAll,
            ];
            let mut cfg = r.acd.queue_config(QUEUES[q]).expect("known queue").clone();
            cfg.strategy = kinds[k];
            r.on(now, Event::QueueConfigured(Box::new(cfg)));
        }
        Op::RequestCallback(n) => {
            let waiting = m.arrived.iter().filter(|c| {
                !m.left.contains_key(c)
                    && !m.callbacks.contains(c)
                    && !m.removed.contains(&m.queue_of[c])
            });
            if let Some(call) = Model::pick(waiting.copied(), n) {
                m.next_call += 1;
                let callback = CallId(m.next_call);
                m.arrived.insert(callback);
                m.callbacks.insert(callback);
                m.queue_of.insert(callback, m.queue_of[&call]);
                m.took_place_of.insert(callback, call);
                r.on(now, Event::CallbackRequested { call, callback });
            }
        }
        Op::CallbackArrive(q, ago, attempts) => {
            m.next_call += 1;
            let call = CallId(m.next_call);
            m.arrived.insert(call);
            m.callbacks.insert(call);
            m.queue_of.insert(call, QUEUES[q]);
            let requested = Millis::from_secs(m.now.saturating_sub(ago));
            r.on(
                now,
                Event::CallbackArrived {
                    call,
                    queue: QUEUES[q],
                    requested,
                    attempts,
                },
            );
        }
        Op::CallbackConnected(n) => {
            if let Some(call) = Model::pick(m.dialling.keys().copied(), n) {
                r.on(now, Event::CallbackConnected { call });
            }
        }
        Op::CallbackUnreachable(n, retry) => {
            if let Some(call) = Model::pick(m.dialling.keys().copied(), n) {
                r.on(now, Event::CallbackUnreachable { call, retry });
            }
        }
        Op::CallbackCancel(n) => {
            let open = m.callbacks.iter().filter(|c| !m.left.contains_key(c));
            if let Some(call) = Model::pick(open.copied(), n) {
                r.on(now, Event::CallbackCancelled { call });
            }
        }
        Op::Unassign(a, q) => {
            let (agent, queue) = (AGENTS[a], QUEUES[q]);
            if !m.removed.contains(&queue) {
                m.taken_off.insert((agent, queue));
                r.on(now, Event::AgentLeaveQueue { agent, queue });
            }
        }
        Op::RemoveQueue(q) => {
            if let Some(&queue) = QUEUES.get(q) {
                if m.removed.insert(queue) {
                    r.on(now, Event::QueueRemoved(queue));
                }
            }
        }
        Op::Priority(a, priority) => {
            r.on(
                now,
                Event::AgentPriority {
                    agent: AGENTS[a],
                    priority,
                },
            );
        }
        Op::NewDay => {
            for b in m.breaks.values_mut() {
                b.0 = 0;
                if b.1.is_some() {
                    b.1 = Some(m.now);
                }
            }
            r.on(now, Event::DayStarted { project: P });
            r.on(now, Event::DayStarted { project: P2 });
        }
    }
    absorb(r, m);
    let now = Millis::from_secs(m.now);
    for (agent, (used, since)) in &m.breaks {
        let expect = used + since.map_or(0, |s| m.now - s);
        assert_eq!(
            r.acd.break_used(*agent, now),
            Some(Duration::from_secs(expect)),
            "{agent} break time"
        );
    }
}

proptest! {
    #![proptest_config(super::proptest_config())]

    #[test]
    fn random_traffic_keeps_every_rule(
        kinds in [strategy_kind(), strategy_kind(), strategy_kind()],
        prio in [0..3u32, 0..3u32, 0..3u32],
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let mut r = world(kinds, prio);
        let mut m = Model::default();
        for op in ops {
            step(&mut r, &mut m, op);
        }
        // Everyone hangs up; after-call work runs out: every interaction has
        // left its queue exactly once and nothing is left behind.
        let calls: Vec<CallId> = m.arrived.iter().chain(&m.transfers).copied().collect();
        for call in calls {
            step(&mut r, &mut m, Op::Wait(0));
            r.hangup(Millis::from_secs(m.now), call);
            absorb(&mut r, &mut m);
        }
        step(&mut r, &mut m, Op::Wait(3600));
        prop_assert_eq!(m.left.len(), m.arrived.len());
        prop_assert_eq!(r.acd.interactions(), 0);
        if r.acd.poll_timeout().is_some() {
            prop_assert!(m.breaks.values().any(|b| b.1.is_some()), "only break timers outlive the calls");
        }
    }

    #[test]
    fn calls_are_offered_in_arrival_order_within_a_queue(
        kinds in [strategy_kind(), strategy_kind(), strategy_kind()],
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        let mut r = world(kinds, [1, 1, 1]);
        let mut m = Model::default();
        for op in ops {
            // Nobody misses an offer: every offer is answered at once.
            // (and waits are shorter than the agent timeout).
            let op = match op {
                Op::Reject(_) | Op::Fail(_) | Op::Logout(_) => continue,
                Op::Wait(s) => Op::Wait(s % 15),
                // A retried callback is offered again, later, at its place.
                Op::CallbackUnreachable(n, _) => Op::CallbackUnreachable(n, false),
                op => op,
            };
            step(&mut r, &mut m, op);
            while let Some(&(call, agent)) = m.ringing.iter().next() {
                r.accept(Millis::from_secs(m.now), call, agent);
                absorb(&mut r, &mut m);
            }
        }
        // A callback that took a caller's place is ranked by that caller.
        let rank = |call: &CallId| m.took_place_of.get(call).copied().unwrap_or(*call);
        for (queue, calls) in &m.offered {
            let ranks: Vec<CallId> = calls.iter().map(rank).collect();
            let mut sorted = ranks.clone();
            sorted.sort();
            prop_assert_eq!(&ranks, &sorted, "{} offered {:?}", queue, calls);
        }
    }
}
