//! The dispatch task's share of the working day ([`DayTurn`]): turning each
//! project's day at its local midnight, and the break time that must survive
//! a restart (given back at login, saved when a break ends).

use std::time::Duration;

use tokio::sync::mpsc;

use super::Dispatch;
use crate::acd::{self, AgentId, Millis, ProjectId};
use crate::store::break_days::BreakDay;

impl Dispatch {
    /// Break time stored before this start, and where new figures go.
    pub fn keep_breaks(mut self, stored: Vec<BreakDay>, writer: mpsc::Sender<BreakDay>) -> Self {
        self.days.keep_breaks(stored, writer);
        self
    }

    /// Starts the new day of every project whose local midnight has passed.
    pub(super) fn turn_days(&mut self, now: Millis) {
        for project in self.days.due(now) {
            tracing::info!(%project, day = ?self.days.today(project), "a new working day");
            self.apply(acd::Event::DayStarted { project });
        }
    }

    /// Gives `agent`, just logged in to `project`, the break time they used
    /// earlier today before a restart.
    pub(super) fn restore_break(&mut self, agent: AgentId, project: ProjectId) {
        if let Some(used) = self.days.restore(agent, project) {
            tracing::info!(%agent, used_secs = used.as_secs(), "break time used today restored");
            self.apply(acd::Event::BreakUsedToday { agent, used });
        }
    }

    /// A break of `agent` ended: their day's figure is saved, in the project
    /// the hub shows them in (still set while a logout ends the break).
    pub(super) fn keep_break(&mut self, agent: AgentId, used: Duration) {
        if let Some(project) = self.hub.view(agent, super::now()).project {
            self.days.break_ended(agent, project, used);
        }
    }
}
