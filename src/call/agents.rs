//! The agent hub: what each agent's panel shows, kept live from the dispatch
//! core's notices.
//!
//! The dispatch task feeds every notice and offer to the hub as it hands them
//! out ([`AgentHub::on_notice`], [`AgentHub::offered`]), so the hub is never
//! ahead of or behind the core by more than the notices still being drained.
//! Per agent it keeps the project, the status and presence with the moment
//! they began, the break allowance left, the queues served, the offer ringing
//! (queue and caller number), the connected call and the pending after-call
//! work. The dispatch task also reports the queues' waiting counts, at most a
//! few times a second ([`AgentHub::set_waiting`]).
//!
//! Clients (the agent panel's WebSocket) subscribe per agent: the snapshot and
//! the subscription are taken under one lock, so nothing happens between the
//! state a client starts from and the first event it receives. Watchers of
//! every agent (the supervisor panel) subscribe to all at once
//! ([`AgentHub::subscribe_all`]): they hear which agent changed, and look
//! again at that agent's view. A client that
//! reconnects (a page reload) starts again from the snapshot, which carries
//! the call in progress or the pending after-call work.
//!
//! The hub keeps ids only; names and the wrap-up form (result codes, tags)
//! are looked up by whoever renders them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::acd::{
    AgentId, CallId, Engine, Millis, Miss, Notice, Outcome, Presence, ProjectId, QueueId, StatusId,
};

/// How many events a slow client may fall behind before it must resync
/// from a snapshot.
const CLIENT_BACKLOG: usize = 64;

/// How many changed agents a watcher of all may fall behind before it must
/// resync.
const WATCH_BACKLOG: usize = 4096;

/// A call being offered to an agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub call: CallId,
    pub queue: Option<QueueId>,
    pub caller: String,
    pub ring_for: Duration,
    pub auto_answer: bool,
}

/// A call the agent is talking on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connected {
    pub call: CallId,
    pub queue: Option<QueueId>,
    pub caller: String,
}

/// After-call work waiting for the agent's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapup {
    pub call: CallId,
    pub queue: Option<QueueId>,
    /// When the after-call work ends by itself.
    pub until: Millis,
}

/// Why an offer stopped ringing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferEnd {
    Answered,
    /// Not answered in time, or the phone could not be reached.
    Missed,
    Rejected,
    /// Withdrawn: the caller left, another agent answered, or the agent
    /// logged out.
    Cancelled,
}

impl OfferEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferEnd::Answered => "answered",
            OfferEnd::Missed => "missed",
            OfferEnd::Rejected => "rejected",
            OfferEnd::Cancelled => "cancelled",
        }
    }
}

/// What happened to an agent, for their subscribed clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubEvent {
    /// The project, status or presence changed: take a new snapshot.
    State,
    /// The agent's queues or their waiting counts changed.
    Queues,
    Offer(Offer),
    OfferEnded {
        call: CallId,
        reason: OfferEnd,
    },
    Connected(Connected),
    /// After-call work started, or its end moved (a result code's extra time).
    Wrapup(Wrapup),
    WrapupEnded {
        call: CallId,
    },
}

/// One agent as the panel shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentView {
    pub agent: AgentId,
    pub project: Option<ProjectId>,
    pub status: Option<StatusId>,
    pub presence: Presence,
    /// When the current status or presence began (Unix ms).
    pub since: Millis,
    /// Break allowance left today, now.
    pub break_left: Duration,
    /// The queues served, with how many calls wait in each (waiting or
    /// being offered: not yet answered).
    pub queues: Vec<(QueueId, u32)>,
    pub offer: Option<Offer>,
    pub call: Option<Connected>,
    pub wrapup: Option<Wrapup>,
    /// Whether dispatch would give them an internal transfer now: logged
    /// in, holding nothing, and Available or in a Transferable status.
    pub takes_transfer: bool,
    /// Interactions answered today (their project's working day).
    pub calls_today: u32,
}

#[derive(Clone, Debug)]
struct Live {
    project: Option<ProjectId>,
    status: Option<StatusId>,
    presence: Presence,
    since: Millis,
    /// Break allowance left at `since`; it runs down while on a break.
    break_left: Duration,
    queues: Vec<QueueId>,
    offer: Option<Offer>,
    call: Option<Connected>,
    wrapup: Option<Wrapup>,
    takes_transfer: bool,
    calls_today: u32,
}

impl Live {
    fn new(now: Millis) -> Live {
        Live {
            project: None,
            status: None,
            presence: Presence::Offline,
            since: now,
            break_left: Duration::ZERO,
            queues: Vec::new(),
            offer: None,
            call: None,
            wrapup: None,
            takes_transfer: false,
            calls_today: 0,
        }
    }
}

#[derive(Default)]
struct Inner {
    agents: HashMap<AgentId, Live>,
    /// The queue each call the core holds is in (or was answered from).
    calls: HashMap<CallId, QueueId>,
    /// Which agents a call is ringing.
    offered: HashMap<CallId, Vec<AgentId>>,
    waiting: HashMap<QueueId, u32>,
    channels: HashMap<AgentId, broadcast::Sender<HubEvent>>,
    /// Watchers of every agent: which agent changed.
    all: Option<broadcast::Sender<AgentId>>,
    /// Agents logged in through the panel (not by registration), for a
    /// rebuilt dispatch core.
    panel: std::collections::HashSet<AgentId>,
}

impl Inner {
    fn live(&mut self, agent: AgentId, now: Millis) -> &mut Live {
        self.agents.entry(agent).or_insert_with(|| Live::new(now))
    }

    fn tell(&mut self, agent: AgentId, event: HubEvent) {
        if let Some(all) = &self.all {
            if all.send(agent).is_err() {
                self.all = None;
            }
        }
        if let Some(tx) = self.channels.get(&agent) {
            if tx.send(event).is_err() {
                // Nobody listens any more.
                self.channels.remove(&agent);
            }
        }
    }

    fn end_offer(&mut self, agent: AgentId, call: CallId, reason: OfferEnd) {
        let Some(live) = self.agents.get_mut(&agent) else {
            return;
        };
        if live.offer.as_ref().is_some_and(|o| o.call == call) {
            live.offer = None;
            self.tell(agent, HubEvent::OfferEnded { call, reason });
        }
        if let Some(list) = self.offered.get_mut(&call) {
            list.retain(|a| *a != agent);
            if list.is_empty() {
                self.offered.remove(&call);
            }
        }
    }

    fn view(&self, agent: AgentId, now: Millis) -> AgentView {
        let fresh;
        let live = match self.agents.get(&agent) {
            Some(l) => l,
            None => {
                fresh = Live::new(now);
                &fresh
            }
        };
        let break_left = if live.presence == Presence::Break {
            live.break_left.saturating_sub(now.since(live.since))
        } else {
            live.break_left
        };
        AgentView {
            agent,
            project: live.project,
            status: live.status,
            presence: live.presence,
            since: live.since,
            break_left,
            queues: live
                .queues
                .iter()
                .map(|q| (*q, self.waiting.get(q).copied().unwrap_or(0)))
                .collect(),
            offer: live.offer.clone(),
            call: live.call.clone(),
            wrapup: live.wrapup.clone(),
            takes_transfer: live.takes_transfer,
            calls_today: live.calls_today,
        }
    }

    /// Takes the agent's break allowance left and calls today from the core
    /// again (a new day, a changed allowance), telling their clients.
    fn recount(&mut self, agent: AgentId, engine: &Engine, now: Millis) {
        let left = engine.break_remaining(agent, now).unwrap_or_default();
        let calls_today = engine.calls_today(agent).unwrap_or(0);
        let live = self.live(agent, now);
        // The view runs a break in progress down from `since`.
        let left = if live.presence == Presence::Break {
            left + now.since(live.since)
        } else {
            left
        };
        if (live.break_left, live.calls_today) != (left, calls_today) {
            live.break_left = left;
            live.calls_today = calls_today;
            self.tell(agent, HubEvent::State);
        }
    }

    fn logged_in(&self, now: Millis) -> Vec<AgentView> {
        let mut list: Vec<AgentView> = self
            .agents
            .iter()
            .filter(|(_, live)| live.project.is_some())
            .map(|(agent, _)| self.view(*agent, now))
            .collect();
        list.sort_by_key(|v| v.agent);
        list
    }
}

/// See the module documentation.
#[derive(Default)]
pub struct AgentHub {
    inner: Mutex<Inner>,
}

impl AgentHub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends the hub's per-call tables as gauges in the Prometheus text
    /// format; both fall back to zero once calls and their wrap-ups are over.
    pub fn render_gauges(&self, out: &mut String) {
        use crate::sip::metrics::gauge;
        let (calls, offered) = {
            let inner = self.lock();
            (inner.calls.len(), inner.offered.len())
        };
        gauge(
            out,
            "agent_hub_calls",
            "Calls the agent panels' hub follows (queued, connected or in wrap-up).",
            calls as u64,
        );
        gauge(
            out,
            "agent_hub_offers",
            "Calls ringing agents, as the agent panels' hub knows them.",
            offered as u64,
        );
    }

    /// What `agent`'s panel shows at `now`.
    pub fn view(&self, agent: AgentId, now: Millis) -> AgentView {
        self.lock().view(agent, now)
    }

    /// The view at `now` and the events that follow it.
    pub fn subscribe(
        &self,
        agent: AgentId,
        now: Millis,
    ) -> (AgentView, broadcast::Receiver<HubEvent>) {
        let mut inner = self.lock();
        let rx = match inner.channels.get(&agent) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(CLIENT_BACKLOG);
                inner.channels.insert(agent, tx);
                rx
            }
        };
        (inner.view(agent, now), rx)
    }

    /// The agents logged in now, by id.
    pub fn logged_in(&self, now: Millis) -> Vec<AgentView> {
        self.lock().logged_in(now)
    }

    /// The agents logged in at `now`, and from then on the id of each agent
    /// whose view changed (as often as it changes: coalescing is the
    /// watcher's).
    pub fn subscribe_all(&self, now: Millis) -> (Vec<AgentView>, broadcast::Receiver<AgentId>) {
        let mut inner = self.lock();
        let rx = match &inner.all {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(WATCH_BACKLOG);
                inner.all = Some(tx);
                rx
            }
        };
        (inner.logged_in(now), rx)
    }

    /// Takes every logged-in agent's break allowance and calls today from
    /// the core again: after the projects' settings changed.
    pub fn recount(&self, engine: &Engine, now: Millis) {
        let mut inner = self.lock();
        let agents: Vec<AgentId> = inner
            .agents
            .iter()
            .filter(|(_, live)| live.project.is_some())
            .map(|(a, _)| *a)
            .collect();
        for agent in agents {
            inner.recount(agent, engine, now);
        }
    }

    /// Notes whether `agent` works through the panel (logged in there) or
    /// not (logged in by registration, or out).
    pub fn set_panel(&self, agent: AgentId, panel: bool) {
        let mut inner = self.lock();
        if panel {
            inner.panel.insert(agent);
        } else {
            inner.panel.remove(&agent);
        }
    }

    /// The agents logged in through the panel, with how many panel clients
    /// each has open now.
    pub fn panel_agents(&self) -> Vec<(AgentId, usize)> {
        let inner = self.lock();
        let mut list: Vec<(AgentId, usize)> = inner
            .panel
            .iter()
            .map(|a| {
                let open = inner.channels.get(a).map_or(0, |tx| tx.receiver_count());
                (*a, open)
            })
            .collect();
        list.sort();
        list
    }

    /// The queue of a call the core holds, if the hub has seen it queue.
    pub fn queue_of(&self, call: CallId) -> Option<QueueId> {
        self.lock().calls.get(&call).copied()
    }

    /// The dispatch core offered `call` to `agent` (the action, which knows
    /// how long it rings); `caller` is the caller's number.
    pub fn offered(
        &self,
        agent: AgentId,
        call: CallId,
        caller: String,
        ring_for: Duration,
        auto_answer: bool,
        now: Millis,
    ) {
        let mut inner = self.lock();
        let queue = inner.calls.get(&call).copied();
        let offer = Offer {
            call,
            queue,
            caller,
            ring_for,
            auto_answer,
        };
        inner.live(agent, now).offer = Some(offer.clone());
        inner.offered.entry(call).or_default().push(agent);
        inner.tell(agent, HubEvent::Offer(offer));
    }

    /// The core withdrew the offer of `call` to `agent`.
    pub fn offer_cancelled(&self, agent: AgentId, call: CallId) {
        self.lock().end_offer(agent, call, OfferEnd::Cancelled);
    }

    /// New waiting counts of some queues; each agent serving one of them is
    /// told once.
    pub fn set_waiting(&self, counts: &[(QueueId, u32)]) {
        let mut inner = self.lock();
        let mut changed = Vec::new();
        for &(queue, n) in counts {
            if inner.waiting.insert(queue, n) != Some(n) {
                changed.push(queue);
            }
        }
        if changed.is_empty() {
            return;
        }
        let told: Vec<AgentId> = inner
            .agents
            .iter()
            .filter(|(a, live)| {
                inner.channels.contains_key(a) && live.queues.iter().any(|q| changed.contains(q))
            })
            .map(|(a, _)| *a)
            .collect();
        for agent in told {
            inner.tell(agent, HubEvent::Queues);
        }
    }

    /// Applies one notice of the core; `engine` answers the break allowance.
    pub fn on_notice(&self, notice: &Notice, engine: &Engine, now: Millis) {
        let mut inner = self.lock();
        match notice {
            Notice::AgentLoggedIn { agent, project } => {
                inner.live(*agent, now).project = Some(*project);
                inner.tell(*agent, HubEvent::State);
            }
            Notice::AgentLoggedOut { agent } => {
                let live = inner.live(*agent, now);
                live.project = None;
                live.queues.clear();
                live.takes_transfer = false;
                if let Some(call) = live.offer.as_ref().map(|o| o.call) {
                    inner.end_offer(*agent, call, OfferEnd::Cancelled);
                }
                inner.tell(*agent, HubEvent::State);
            }
            Notice::AgentJoinedQueue { agent, queue } => {
                let live = inner.live(*agent, now);
                if !live.queues.contains(queue) {
                    live.queues.push(*queue);
                }
                inner.tell(*agent, HubEvent::Queues);
            }
            Notice::AgentLeftQueue { agent, queue } => {
                inner.live(*agent, now).queues.retain(|q| q != queue);
                inner.tell(*agent, HubEvent::Queues);
            }
            Notice::AgentPresence {
                agent,
                status,
                presence,
            } => {
                let left = engine.break_remaining(*agent, now).unwrap_or_default();
                // Whether they take a transfer changes only with their status
                // or with what they hold, and either changes the presence.
                let takes_transfer = engine.takes_transfer(*agent);
                let calls_today = engine.calls_today(*agent).unwrap_or(0);
                let live = inner.live(*agent, now);
                live.takes_transfer = takes_transfer;
                live.calls_today = calls_today;
                live.status = Some(*status);
                live.presence = *presence;
                live.since = now;
                live.break_left = left;
                inner.tell(*agent, HubEvent::State);
            }
            Notice::Queued { call, queue, .. } => {
                inner.calls.insert(*call, *queue);
            }
            Notice::DayStarted { project } => {
                let theirs: Vec<AgentId> = inner
                    .agents
                    .iter()
                    .filter(|(_, live)| live.project == Some(*project))
                    .map(|(a, _)| *a)
                    .collect();
                for agent in theirs {
                    inner.recount(agent, engine, now);
                }
            }
            Notice::OfferMissed { call, agent, miss } => {
                let reason = match miss {
                    Miss::Rejected => OfferEnd::Rejected,
                    Miss::Timeout | Miss::Failed => OfferEnd::Missed,
                };
                inner.end_offer(*agent, *call, reason);
            }
            Notice::LeftQueue {
                call,
                queue,
                outcome,
                ..
            } => {
                let ringing = inner.offered.get(call).cloned().unwrap_or_default();
                let answered_by = match outcome {
                    Outcome::Answered { agent } => Some(*agent),
                    _ => None,
                };
                let caller = answered_by
                    .and_then(|a| inner.agents.get(&a))
                    .and_then(|l| l.offer.as_ref())
                    .filter(|o| o.call == *call)
                    .map(|o| o.caller.clone());
                for agent in ringing {
                    let reason = if Some(agent) == answered_by {
                        OfferEnd::Answered
                    } else {
                        OfferEnd::Cancelled
                    };
                    inner.end_offer(agent, *call, reason);
                }
                match answered_by {
                    Some(agent) => {
                        inner.calls.insert(*call, *queue);
                        let live = inner.live(agent, now);
                        let connected = Connected {
                            call: *call,
                            queue: Some(*queue),
                            caller: caller.unwrap_or_default(),
                        };
                        live.call = Some(connected.clone());
                        inner.tell(agent, HubEvent::Connected(connected));
                    }
                    None => {
                        inner.calls.remove(call);
                        inner.offered.remove(call);
                    }
                }
            }
            Notice::WrapupStarted {
                agent, call, until, ..
            } => {
                let queue = inner.calls.get(call).copied();
                let live = inner.live(*agent, now);
                if live.call.as_ref().is_some_and(|c| c.call == *call) {
                    live.call = None;
                }
                let wrapup = Wrapup {
                    call: *call,
                    queue,
                    until: *until,
                };
                live.wrapup = Some(wrapup.clone());
                inner.tell(*agent, HubEvent::Wrapup(wrapup));
            }
            Notice::ResultCodeChosen {
                agent,
                call,
                until: Some(until),
                ..
            } => {
                let live = inner.live(*agent, now);
                if let Some(w) = live.wrapup.as_mut().filter(|w| w.call == *call) {
                    w.until = *until;
                    let w = w.clone();
                    inner.tell(*agent, HubEvent::Wrapup(w));
                }
            }
            Notice::WrapupEnded { agent, call } => {
                inner.calls.remove(call);
                let live = inner.live(*agent, now);
                if live.call.as_ref().is_some_and(|c| c.call == *call) {
                    live.call = None;
                }
                if live.wrapup.as_ref().is_some_and(|w| w.call == *call) {
                    live.wrapup = None;
                }
                inner.tell(*agent, HubEvent::WrapupEnded { call: *call });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::{Action, Category, Config, Event, ProjectConfig, QueueConfig, StatusConfig};

    const P: ProjectId = ProjectId(1);
    const SALES: QueueId = QueueId(10);
    const A1: AgentId = AgentId(101);
    const AVAILABLE: StatusId = StatusId(1);
    const LUNCH: StatusId = StatusId(4);

    fn t(s: u64) -> Millis {
        Millis::from_secs(s)
    }

    fn engine() -> Engine {
        let mut project = ProjectConfig::new(P);
        project.break_allowance = Duration::from_secs(600);
        let mut sales = QueueConfig::new(SALES, P);
        sales.after_call_work = Duration::from_secs(30);
        let status = |id, name: &str, category| StatusConfig {
            id,
            name: name.into(),
            category,
            transferable: false,
        };
        Engine::new(Config {
            projects: vec![project],
            statuses: vec![
                status(AVAILABLE, "Available", Category::Available),
                status(LUNCH, "Lunch", Category::Break),
            ],
            queues: vec![sales],
            ..Config::default()
        })
    }

    /// Feeds `event` to the engine and every notice and offer to the hub, as
    /// the dispatch task does.
    fn step(acd: &mut Engine, hub: &AgentHub, now: Millis, event: Event) {
        acd.handle(now, event).unwrap();
        while let Some(n) = acd.poll_notice() {
            hub.on_notice(&n, acd, now);
        }
        while let Some(a) = acd.poll_action() {
            if let Action::Offer {
                call,
                agent,
                ring_for,
                auto_answer,
            } = a
            {
                hub.offered(agent, call, "+15550123".into(), ring_for, auto_answer, now);
            }
        }
    }

    fn drain(rx: &mut broadcast::Receiver<HubEvent>) -> Vec<HubEvent> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[test]
    fn an_offer_answered_then_wrapped_up() {
        let (mut acd, hub) = (engine(), AgentHub::default());
        let (view, mut rx) = hub.subscribe(A1, t(0));
        assert_eq!(view.presence, Presence::Offline);
        let login = Event::AgentLogin {
            agent: A1,
            project: P,
            status: AVAILABLE,
            queues: vec![SALES],
        };
        step(&mut acd, &hub, t(1), login);
        let view = hub.view(A1, t(1));
        assert_eq!(view.project, Some(P));
        assert_eq!(view.presence, Presence::Available);
        assert_eq!(view.queues, [(SALES, 0)]);
        assert!(view.takes_transfer, "Available and holding nothing");
        drain(&mut rx);

        let call = CallId(7);
        step(
            &mut acd,
            &hub,
            t(2),
            Event::CallArrived { call, queue: SALES },
        );
        let events = drain(&mut rx);
        let offer = events.iter().find_map(|e| match e {
            HubEvent::Offer(o) => Some(o.clone()),
            _ => None,
        });
        let offer = offer.expect("offered");
        assert_eq!(offer.queue, Some(SALES));
        assert_eq!(offer.caller, "+15550123");

        step(
            &mut acd,
            &hub,
            t(4),
            Event::OfferAccepted { call, agent: A1 },
        );
        let events = drain(&mut rx);
        assert!(events.contains(&HubEvent::OfferEnded {
            call,
            reason: OfferEnd::Answered
        }));
        let view = hub.view(A1, t(4));
        assert_eq!(
            view.call.as_ref().map(|c| c.caller.as_str()),
            Some("+15550123")
        );
        assert_eq!(view.offer, None);
        assert!(!view.takes_transfer, "on a call");

        step(&mut acd, &hub, t(60), Event::Hangup { call });
        let view = hub.view(A1, t(61));
        assert_eq!(view.presence, Presence::AfterCallWork);
        assert_eq!(view.call, None);
        assert_eq!(
            view.wrapup,
            Some(Wrapup {
                call,
                queue: Some(SALES),
                until: t(90)
            }),
            "a client that connects now recovers the wrap-up"
        );
        step(&mut acd, &hub, t(70), Event::WrapupDone { agent: A1, call });
        assert!(drain(&mut rx).contains(&HubEvent::WrapupEnded { call }));
        assert_eq!(hub.view(A1, t(70)).wrapup, None);
        assert_eq!(hub.view(A1, t(70)).presence, Presence::Available);
        assert!(hub.view(A1, t(70)).takes_transfer);
    }

    #[test]
    fn a_break_runs_the_allowance_down() {
        let (mut acd, hub) = (engine(), AgentHub::default());
        let login = Event::AgentLogin {
            agent: A1,
            project: P,
            status: AVAILABLE,
            queues: vec![SALES],
        };
        step(&mut acd, &hub, t(0), login);
        step(
            &mut acd,
            &hub,
            t(100),
            Event::AgentStatus {
                agent: A1,
                status: LUNCH,
            },
        );
        let view = hub.view(A1, t(160));
        assert_eq!(view.presence, Presence::Break);
        assert!(!view.takes_transfer, "Lunch is no Transferable status");
        assert_eq!(view.since, t(100));
        assert_eq!(view.break_left, Duration::from_secs(540));
        step(
            &mut acd,
            &hub,
            t(200),
            Event::AgentStatus {
                agent: A1,
                status: AVAILABLE,
            },
        );
        let view = hub.view(A1, t(300));
        assert_eq!(
            view.break_left,
            Duration::from_secs(500),
            "stops while working"
        );
    }

    #[test]
    fn waiting_counts_reach_the_agents_of_the_queue_once() {
        let hub = AgentHub::default();
        let mut acd = engine();
        let login = Event::AgentLogin {
            agent: A1,
            project: P,
            status: LUNCH,
            queues: vec![SALES],
        };
        step(&mut acd, &hub, t(0), login);
        let (_, mut rx) = hub.subscribe(A1, t(0));
        hub.set_waiting(&[(SALES, 2), (QueueId(99), 5)]);
        hub.set_waiting(&[(SALES, 2)]);
        assert_eq!(
            drain(&mut rx),
            [HubEvent::Queues],
            "unchanged counts are not sent"
        );
        assert_eq!(hub.view(A1, t(1)).queues, [(SALES, 2)]);
    }
}
