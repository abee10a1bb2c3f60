//! One agent's state: the status they chose, the queues they serve, the
//! interactions they hold (ringing, connected or in after-call work), and the
//! facts the strategies order by.
//!
//! An agent has 100 units of capacity. A voice interaction holds all of it; a
//! text session holds its queue's channel weight. Ringing offers hold their
//! weight too, so an agent can never be offered past capacity. An internal
//! transfer (which call control places, not the engine) takes the whole agent
//! while it lasts.

use std::time::Duration;

use super::config::{Category, CAPACITY};
use super::event::Presence;
use super::ids::{CallId, Millis, ProjectId, ResultCodeId, StatusId};
use super::queue::{QIdx, Queue};
use super::strategy::AgentFacts;

/// Where one of the agent's interactions stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Ringing,
    Connected,
    Wrapup,
}

/// One interaction an agent holds.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub call: CallId,
    pub queue: QIdx,
    pub weight: u16,
    pub voice: bool,
    pub phase: Phase,
    pub answered_at: Millis,
    pub ended_at: Millis,
    pub result_code: Option<ResultCodeId>,
    /// When after-call work ends; meaningful in `Phase::Wrapup`.
    pub until: Millis,
}

pub(crate) struct Agent {
    /// `None` while logged out.
    pub project: Option<ProjectId>,
    /// The project whose working day the agent's day counts (break time,
    /// calls today) follow: the one they last logged in to.
    pub day_project: Option<ProjectId>,
    pub status: StatusId,
    pub category: Category,
    pub transferable: bool,
    pub queues: Vec<QIdx>,
    pub sessions: Vec<Session>,
    /// Capacity units held by `sessions`.
    pub used: u16,
    pub last_activity: Millis,
    pub last_call_end: Millis,
    pub calls_today: u32,
    pub missed_in_row: u32,
    pub break_used: Duration,
    /// Set while in a Break-category status.
    pub break_since: Option<Millis>,
    /// Bumped whenever a pending break timer must be ignored.
    pub break_gen: u32,
    pub break_exceeded: bool,
    /// An internal transfer the agent is on (ringing or talking); it takes
    /// the whole agent, like a voice call.
    pub transfer: Option<CallId>,
    /// The presence last reported, so a notice goes out only on change.
    pub reported: Option<(StatusId, Presence)>,
    /// Dispatch priority: the strategies offer to higher priorities first.
    pub priority: u8,
}

impl Agent {
    pub fn new(status: StatusId, now: Millis) -> Self {
        Agent {
            project: None,
            day_project: None,
            status,
            category: Category::Offline,
            transferable: false,
            queues: Vec::new(),
            sessions: Vec::new(),
            used: 0,
            last_activity: now,
            last_call_end: now,
            calls_today: 0,
            missed_in_row: 0,
            break_used: Duration::ZERO,
            break_since: None,
            break_gen: 0,
            break_exceeded: false,
            transfer: None,
            reported: None,
            priority: 0,
        }
    }

    pub fn facts(&self) -> AgentFacts {
        AgentFacts {
            last_activity: self.last_activity,
            last_call_end: self.last_call_end,
            calls_today: self.calls_today,
            priority: self.priority,
        }
    }

    pub fn logged_in(&self) -> bool {
        self.project.is_some()
    }

    fn has_voice(&self) -> bool {
        self.sessions.iter().any(|s| s.voice)
    }

    /// May be offered a new call of `queue` now.
    pub fn eligible_for(&self, queue: &Queue) -> bool {
        self.logged_in()
            && self.category == Category::Available
            && self.transfer.is_none()
            && !self.has_voice()
            && self.used + queue.weight() <= CAPACITY
    }

    /// May be offered an internal transfer now: Available or in a Transferable
    /// status, and holding nothing.
    pub fn takes_transfer(&self) -> bool {
        self.logged_in()
            && (self.category == Category::Available || self.transferable)
            && self.sessions.is_empty()
            && self.transfer.is_none()
    }

    pub fn session(&self, call: CallId) -> Option<usize> {
        self.sessions.iter().position(|s| s.call == call)
    }

    pub fn presence(&self) -> Presence {
        if !self.logged_in() {
            return Presence::Offline;
        }
        let has = |p| self.sessions.iter().any(|s| s.phase == p);
        if has(Phase::Connected) || self.transfer.is_some() {
            Presence::InCall
        } else if has(Phase::Ringing) {
            Presence::Ringing
        } else if has(Phase::Wrapup) {
            Presence::AfterCallWork
        } else {
            match self.category {
                Category::Available => Presence::Available,
                Category::Offline => Presence::Offline,
                Category::Break => Presence::Break,
                Category::InCall => Presence::InCall,
            }
        }
    }
}
