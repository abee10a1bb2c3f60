//! Who works, and why: the staffing policy of the dispatch task as a sans-IO
//! core. It turns registrations, panel logins and logouts, panel WebSockets
//! and the clock into "log this agent in by registration" and "log this agent
//! out", which the dispatch task carries out on the dispatch core.
//!
//! Agents of desk phones work by registration: an agent with a queue
//! assignment is logged in to the project of those queues, Available, when
//! their extension has a registered contact, and logged out when the last
//! contact goes (unregistered, expired or found unusable). An agent who is not
//! registered is therefore never offered a call.
//!
//! Agents of the agent panel log in through the API instead. From then on the
//! panel, not registration, decides whether they work:
//! - their registrations neither log them out nor in: a page reload drops the
//!   browser's SIP connection and registers again seconds later, and must
//!   neither end their work nor put them in their assigned queues instead of
//!   the chosen ones;
//! - they are logged out after the grace period with no panel WebSocket open
//!   and no registered contact (the browser is gone for good);
//! - a panel logout logs them out and keeps them out while the browser stays
//!   registered; once their last contact goes, a desk phone that registers
//!   logs them in by registration again.
//!
//! Like the dispatch core it takes the time with every input and keeps no
//! clock: `handle(now, input)`, `handle_timeout(now)`, `poll_action()`,
//! `poll_timeout()`.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::acd::{AgentId, Millis};

/// How long a panel agent may be without a panel WebSocket and without a
/// registered contact before they are logged out.
pub const PANEL_GRACE: Duration = Duration::from_secs(30);

/// What the staffing policy is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The agent's extension has this many registered contacts now.
    Registered { agent: AgentId, contacts: usize },
    /// The dispatch core accepted the agent's panel login.
    PanelLogin { agent: AgentId },
    /// The agent logged out through the panel.
    PanelLogout { agent: AgentId },
    /// A panel WebSocket of the agent opened or closed.
    Socket { agent: AgentId, open: bool },
    /// The configuration was reloaded: the agent's queue assignment may have
    /// changed, and their extension has this many registered contacts (an
    /// extension that became an agent's was not followed before).
    Reassigned { agent: AgentId, contacts: usize },
    /// The dispatch core refused a login by registration (no assignment, or
    /// a configuration it does not know).
    LoginRefused { agent: AgentId },
}

/// Why an agent is logged out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutReason {
    /// Their last registered contact went.
    Unregistered,
    /// They logged out through the panel.
    Panel,
    /// Their browser has been gone (no panel, no phone) for the grace period.
    PanelGone,
}

/// What the dispatch task must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Log the agent in by registration: Available, in their assigned queues.
    LogIn { agent: AgentId },
    /// Put the agent, logged in by registration, in their assigned queues
    /// again (the assignment changed).
    Rejoin { agent: AgentId },
    LogOut {
        agent: AgentId,
        reason: LogoutReason,
    },
}

/// How an agent works now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Logged in because they are registered.
    Registration,
    /// Logged in through the panel; `gone_since` is when they last had
    /// neither a panel WebSocket nor a registered contact.
    Panel {
        sockets: u32,
        gone_since: Option<Millis>,
    },
    /// Logged out through the panel while still registered.
    PanelOut,
}

/// The staffing policy's state.
#[derive(Debug)]
pub struct Staffing {
    grace: Duration,
    contacts: HashMap<AgentId, usize>,
    modes: HashMap<AgentId, Mode>,
    actions: VecDeque<Action>,
}

impl Default for Staffing {
    fn default() -> Self {
        Staffing::new(PANEL_GRACE)
    }
}

impl Staffing {
    pub fn new(grace: Duration) -> Staffing {
        Staffing {
            grace,
            contacts: HashMap::new(),
            modes: HashMap::new(),
            actions: VecDeque::new(),
        }
    }

    /// Whether the agent's extension has a registered contact.
    pub fn registered(&self, agent: AgentId) -> bool {
        self.contacts.get(&agent).is_some_and(|&n| n > 0)
    }

    pub fn handle(&mut self, now: Millis, input: Input) {
        match input {
            Input::Registered { agent, contacts } => self.on_registered(now, agent, contacts),
            Input::PanelLogin { agent } => {
                let sockets = match self.modes.get(&agent) {
                    Some(Mode::Panel { sockets, .. }) => *sockets,
                    _ => 0,
                };
                self.modes.insert(
                    agent,
                    Mode::Panel {
                        sockets,
                        gone_since: None,
                    },
                );
                self.watch_presence(now, agent);
            }
            Input::PanelLogout { agent } => {
                if matches!(
                    self.modes.get(&agent),
                    Some(Mode::Panel { .. } | Mode::Registration)
                ) {
                    self.actions.push_back(Action::LogOut {
                        agent,
                        reason: LogoutReason::Panel,
                    });
                }
                if self.registered(agent) {
                    self.modes.insert(agent, Mode::PanelOut);
                } else {
                    self.modes.remove(&agent);
                }
            }
            Input::Socket { agent, open } => {
                if let Some(Mode::Panel { sockets, .. }) = self.modes.get_mut(&agent) {
                    *sockets = if open {
                        sockets.saturating_add(1)
                    } else {
                        sockets.saturating_sub(1)
                    };
                    self.watch_presence(now, agent);
                }
            }
            Input::Reassigned { agent, contacts } => {
                let following = self.modes.get(&agent) == Some(&Mode::Registration);
                if following && contacts > 0 {
                    self.contacts.insert(agent, contacts);
                    self.actions.push_back(Action::Rejoin { agent });
                } else {
                    self.on_registered(now, agent, contacts);
                }
            }
            Input::LoginRefused { agent } => {
                if self.modes.get(&agent) == Some(&Mode::Registration) {
                    self.modes.remove(&agent);
                }
            }
        }
    }

    fn on_registered(&mut self, now: Millis, agent: AgentId, contacts: usize) {
        if contacts == 0 {
            self.contacts.remove(&agent);
        } else {
            self.contacts.insert(agent, contacts);
        }
        match self.modes.get(&agent) {
            // The panel decides; see the module documentation.
            Some(Mode::Panel { .. }) => self.watch_presence(now, agent),
            Some(Mode::PanelOut) => {
                if contacts == 0 {
                    self.modes.remove(&agent);
                }
            }
            Some(Mode::Registration) => {
                if contacts == 0 {
                    self.modes.remove(&agent);
                    self.actions.push_back(Action::LogOut {
                        agent,
                        reason: LogoutReason::Unregistered,
                    });
                }
            }
            None => {
                if contacts > 0 {
                    self.modes.insert(agent, Mode::Registration);
                    self.actions.push_back(Action::LogIn { agent });
                }
            }
        }
    }

    /// Starts or stops the grace period of a panel agent as they lose or
    /// regain both their panel and their phone.
    fn watch_presence(&mut self, now: Millis, agent: AgentId) {
        let registered = self.registered(agent);
        if let Some(Mode::Panel {
            sockets,
            gone_since,
        }) = self.modes.get_mut(&agent)
        {
            if *sockets > 0 || registered {
                *gone_since = None;
            } else if gone_since.is_none() {
                *gone_since = Some(now);
            }
        }
    }

    /// Logs out the panel agents whose grace period is over at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        let grace = self.grace;
        let mut gone: Vec<AgentId> = self
            .modes
            .iter()
            .filter_map(|(&agent, mode)| match mode {
                Mode::Panel {
                    gone_since: Some(since),
                    ..
                } if now.since(*since) >= grace => Some(agent),
                _ => None,
            })
            .collect();
        gone.sort_unstable();
        for agent in gone {
            self.modes.remove(&agent);
            self.actions.push_back(Action::LogOut {
                agent,
                reason: LogoutReason::PanelGone,
            });
        }
    }

    /// When [`Staffing::handle_timeout`] has something to do.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.modes
            .values()
            .filter_map(|mode| match mode {
                Mode::Panel {
                    gone_since: Some(since),
                    ..
                } => Some(*since + self.grace),
                _ => None,
            })
            .min()
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

#[cfg(test)]
mod tests;
