//! What the dispatch core is told about Projects, Queues, Statuses and Result
//! Codes.
//!
//! These are the operator's settings as the store holds them; the engine copies
//! them at [`Engine::new`](super::Engine::new) and takes changes as typed
//! events ([`Event::QueueConfigured`](super::Event::QueueConfigured),
//! [`Event::QueueRemoved`](super::Event::QueueRemoved), ...), which
//! [`changes`](super::changes) works out from two configurations. Lengths of
//! time are [`Duration`]s; a zero length means "none" wherever the field says so.

use std::time::Duration;

use super::ids::{AgentId, ProjectId, QueueGroupId, QueueId, ResultCodeId, StatusId};

/// Everything the engine needs to start.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub projects: Vec<ProjectConfig>,
    pub statuses: Vec<StatusConfig>,
    pub queues: Vec<QueueConfig>,
    pub queue_groups: Vec<QueueGroupConfig>,
    pub result_codes: Vec<ResultCodeConfig>,
    /// Agents' dispatch priorities, 0 to 100, for agents above 0 (the rest
    /// are 0): [`Event::AgentPriority`](super::Event::AgentPriority).
    pub agent_priorities: Vec<(AgentId, u8)>,
    /// Seed for the Random strategy, so a run can be replayed exactly.
    pub seed: u64,
}

/// A Project: its agents, queues and daily break allowance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectConfig {
    pub id: ProjectId,
    /// Time an agent may spend in Break-category statuses per day.
    pub break_allowance: Duration,
    /// Move an agent who misses this many offers in a row; `None` (the default)
    /// never moves anyone.
    pub missed_offers: Option<MissedOffers>,
    /// After an agent misses an offer, the same call is not offered to that
    /// agent again until this much time has passed.
    pub reoffer_delay: Duration,
    /// The IANA time zone whose local midnight turns the project's working
    /// day. The engine never reads it: the shell that owns the clock sends
    /// [`Event::DayStarted`](super::Event::DayStarted) at that midnight.
    pub time_zone: String,
}

impl ProjectConfig {
    /// A project with no break allowance, no missed-offer rule, a 10 s
    /// re-offer delay, in UTC.
    pub fn new(id: ProjectId) -> Self {
        ProjectConfig {
            id,
            break_allowance: Duration::ZERO,
            missed_offers: None,
            reoffer_delay: Duration::from_secs(10),
            time_zone: "UTC".into(),
        }
    }
}

/// The missed-offer rule of a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissedOffers {
    /// How many offers in a row (timed out, rejected or failed) trigger the move.
    pub limit: u32,
    /// The status the agent is moved to.
    pub status: StatusId,
}

/// The category of a Status: what it means to dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Offered queue calls.
    Available,
    /// Not working.
    Offline,
    /// Paused; time here counts against the project's break allowance.
    Break,
    /// Busy on something the engine did not dispatch (an outbound call, say).
    InCall,
}

/// A Status an agent can choose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusConfig {
    pub id: StatusId,
    pub name: String,
    pub category: Category,
    /// An agent in this status may still be offered internal transfers (never
    /// new queue calls, unless the category is Available anyway).
    pub transferable: bool,
}

/// How a queue picks among its eligible agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StrategyKind {
    /// Round-robin with memory: continue after the last agent offered.
    Sequential,
    /// The agent whose last activity of any kind (call, status change, break)
    /// is oldest.
    LeastRecentlyCalled,
    /// The agent who has gone longest without a call.
    LongestIdle,
    /// The agent who has taken the fewest calls today.
    FewestCalls,
    /// Any eligible agent, uniformly.
    Random,
    /// Every eligible agent at once; the first to answer wins.
    RingAll,
}

/// Whether a queue carries calls or text sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A call takes the whole agent.
    Voice,
    /// A text session takes `weight` of the agent's 100 units: 100 is one
    /// session at a time, 50 two, 33 three.
    Text { weight: u8 },
}

impl Channel {
    /// Units of agent capacity one interaction of this channel holds.
    pub fn weight(self) -> u16 {
        match self {
            Channel::Voice => CAPACITY,
            Channel::Text { weight } => u16::from(weight.clamp(1, 100)),
        }
    }
}

/// An agent's whole capacity, in channel-weight units.
pub const CAPACITY: u16 = 100;

/// What waiting callers hear announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncementMode {
    None,
    /// Their position (and the estimated wait).
    Position,
    /// That they may leave the queue by pressing a key.
    QueueExit,
    Both,
}

impl AnnouncementMode {
    pub fn position(self) -> bool {
        matches!(self, AnnouncementMode::Position | AnnouncementMode::Both)
    }

    pub fn queue_exit(self) -> bool {
        matches!(self, AnnouncementMode::QueueExit | AnnouncementMode::Both)
    }
}

/// Where a call goes when its queue timeout passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitTarget {
    Queue(QueueId),
    /// A number or extension, dialled by call control.
    Number(String),
    /// Call control stores a callback request for the caller's number, plays
    /// a prompt saying so, and hangs up. Taken by the queue-exit key, the
    /// request keeps the caller's place
    /// ([`Event::CallbackRequested`](super::Event::CallbackRequested)).
    Callback,
    /// Call control plays a goodbye prompt and hangs up.
    Prompt,
    /// Call control lets the caller leave a message in this voicemail box.
    Voicemail(u64),
    /// Call control takes the caller through this IVR menu.
    Menu(u64),
}

/// A Queue and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    pub id: QueueId,
    pub project: ProjectId,
    pub strategy: StrategyKind,
    /// Higher numbers are served first by agents who serve several queues.
    pub priority: u32,
    /// How long an offer rings.
    pub agent_timeout: Duration,
    /// After-call work after each interaction; zero closes it at once.
    pub after_call_work: Duration,
    /// Leave for `exit` after this long waiting; `None` waits for ever.
    pub queue_timeout: Option<(Duration, ExitTarget)>,
    /// Answered within this counts towards the service level.
    pub service_level: Duration,
    pub announcements: AnnouncementMode,
    /// How often announcements repeat (the first comes this long after entry).
    pub announce_every: Duration,
    /// Carried in every offer: the agent's phone answers by itself.
    pub auto_answer: bool,
    pub channel: Channel,
    /// Agents who join this queue whenever they log in to its project.
    pub mandatory_agents: Vec<AgentId>,
    /// The agents assigned to serve this queue (mandatory or not). Call
    /// control chooses the queues an agent joins at login; the engine keeps
    /// the list so that [`changes`](super::changes) can tell who was taken
    /// off, and an agent taken off leaves the queue
    /// ([`Event::AgentLeaveQueue`](super::Event::AgentLeaveQueue)).
    pub assigned_agents: Vec<AgentId>,
    /// The handle time the wait estimate assumes before any call is handled.
    pub expected_handle_time: Duration,
    /// A callback whose customer could not be reached is tried again this
    /// many more times (so `1 + callback_retries` attempts in all).
    pub callback_retries: u32,
    /// An unreachable callback goes back to its place in the queue this long
    /// after the failed attempt; zero puts it back at once.
    pub callback_retry_delay: Duration,
    /// A callback not connected this long after it was requested ends as
    /// expired; `None` (the default) keeps it until it is served or cancelled.
    pub callback_expiry: Option<Duration>,
}

impl QueueConfig {
    /// A voice queue with Longest Idle, priority 0, 15 s agent timeout, no
    /// after-call work, no queue timeout, a 20 s service level, no
    /// announcements, a 3-minute expected handle time, and callbacks tried
    /// three times in all, 5 minutes apart, without expiry.
    pub fn new(id: QueueId, project: ProjectId) -> Self {
        QueueConfig {
            id,
            project,
            strategy: StrategyKind::LongestIdle,
            priority: 0,
            agent_timeout: Duration::from_secs(15),
            after_call_work: Duration::ZERO,
            queue_timeout: None,
            service_level: Duration::from_secs(20),
            announcements: AnnouncementMode::None,
            announce_every: Duration::from_secs(30),
            auto_answer: false,
            channel: Channel::Voice,
            mandatory_agents: Vec::new(),
            assigned_agents: Vec::new(),
            expected_handle_time: Duration::from_secs(180),
            callback_retries: 2,
            callback_retry_delay: Duration::from_secs(300),
            callback_expiry: None,
        }
    }
}

/// A Queue Group, for the live metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueGroupConfig {
    pub id: QueueGroupId,
    pub queues: Vec<QueueId>,
}

/// A Result Code and the after-call work it adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultCodeConfig {
    pub id: ResultCodeId,
    pub extra_time: Duration,
}
