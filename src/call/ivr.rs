//! The IVR core: a caller's walk through menus, as a plain state machine
//! driven by `now`, the keys the caller presses and the end of prompts.
//!
//! A menu plays its prompt; a key pressed during or after it (barge-in)
//! takes the caller where the menu says. After the prompt the menu waits
//! `timeout` for a key. A timeout or a key the menu does not take counts as
//! a try: the menu is played again until `repeat` more tries are used, and
//! then the caller goes to the menu's fallback. A wrong key first hears the
//! menu's invalid-key prompt, if it has one, whether the menu or the
//! fallback follows. A key that leads to another menu
//! enters it; any other destination ends the walk with
//! [`Action::Leave`], for the shell to carry out.
//!
//! The walk is written down for the record (IvrEvent): one step per menu
//! decision, `Main:2`, `Sales:timeout`, `Sales:invalid`, `Sales:fallback`.
//! A walk that keeps falling back from menu to menu without the caller
//! choosing anything ends in a hang-up after [`MAX_ENTRIES`] menus.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::schedule::Schedule;
use crate::acd::{Millis, QueueId};

#[cfg(test)]
mod tests;

/// An IVR menu's id (its stored id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MenuId(pub u64);

/// A time condition's id (its stored id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConditionId(pub u64);

/// Where a route, a menu key or a menu's fallback sends the caller.
/// (Voicemail joins here as its own variant.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    Queue(QueueId),
    Menu(MenuId),
    /// The open or the closed destination of a time condition, by the clock.
    Condition(ConditionId),
    /// A voicemail box (its stored id): the caller leaves a message.
    Voicemail(i64),
    /// An agent's phones, by their extension.
    Extension(String),
    /// A number dialled out through the project's outbound routes.
    Number(String),
    Hangup,
}

/// A menu as the core plays it.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    pub id: MenuId,
    pub name: String,
    /// A file of the media library.
    pub prompt: String,
    pub invalid_prompt: Option<String>,
    pub timeout: Duration,
    pub repeat: u32,
    pub options: HashMap<char, Destination>,
    pub fallback: Destination,
}

/// A time condition as the core evaluates it.
#[derive(Debug, Clone)]
pub struct Condition {
    pub id: ConditionId,
    pub name: String,
    pub schedule: Schedule,
    pub open: Destination,
    pub closed: Destination,
}

/// Every menu and time condition, by id (part of the routing snapshot).
#[derive(Debug, Clone, Default)]
pub struct Menus {
    pub menus: HashMap<MenuId, Arc<Menu>>,
    pub conditions: HashMap<ConditionId, Arc<Condition>>,
}

impl Menus {
    /// Where `to` leads at `now`: a time condition is evaluated (and its
    /// condition's own targets, up to [`MAX_ENTRIES`]) into the destination
    /// it picks, with the steps taken (`Name:open`, `Name:closed`).
    pub fn resolve(&self, now: Millis, mut to: Destination) -> (Destination, Vec<String>) {
        let mut steps = Vec::new();
        for _ in 0..MAX_ENTRIES {
            let Destination::Condition(id) = to else {
                return (to, steps);
            };
            let Some(c) = self.conditions.get(&id) else {
                tracing::warn!(condition = id.0, "time condition not found: hang-up");
                steps.push(format!("condition {}:missing", id.0));
                return (Destination::Hangup, steps);
            };
            let at = jiff::Timestamp::from_millisecond(i64::try_from(now.0).unwrap_or(i64::MAX))
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let open = c.schedule.is_open(at);
            steps.push(format!(
                "{}:{}",
                c.name,
                if open { "open" } else { "closed" }
            ));
            to = if open {
                c.open.clone()
            } else {
                c.closed.clone()
            };
        }
        steps.push("loop".into());
        (Destination::Hangup, steps)
    }
}

/// How many menus a walk may enter: a fallback loop ends in a hang-up.
pub const MAX_ENTRIES: u32 = 32;

/// What the shell tells the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A key the caller pressed (RFC 4733, INFO or in-band).
    Digit(char),
    /// The prompt started under `tag` ended (or could not play).
    PromptDone { tag: u64 },
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Stop what the caller hears and play the media library file `name`;
    /// report [`Input::PromptDone`] with `tag` when it ends.
    Play { name: String, tag: u64 },
    /// The walk is over: send the caller to `destination`.
    Leave(Destination),
}

/// How the caller's time in the menus went, for the record of the queue
/// they reach (IvrWaitLength from `entered`, IvrEvent from `path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub entered: Millis,
    pub path: String,
    /// Whether the caller has ACKed our 200 already.
    pub acked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The menu's prompt plays.
    Prompt,
    /// The invalid-key prompt plays; the menu's prompt follows.
    Invalid,
    /// Waiting for a key until the deadline.
    Waiting,
    Left,
}

/// One caller's walk.
#[derive(Debug)]
pub struct Ivr {
    menus: Arc<Menus>,
    menu: Option<Arc<Menu>>,
    phase: Phase,
    tries: u32,
    entries: u32,
    tag: u64,
    deadline: Option<Millis>,
    path: Vec<String>,
    actions: VecDeque<Action>,
}

impl Ivr {
    /// A walk that starts at `start` at `now` (a menu or a time condition,
    /// usually: anything else leaves at once).
    pub fn new(now: Millis, menus: Arc<Menus>, start: Destination) -> Ivr {
        let mut ivr = Ivr {
            menus,
            menu: None,
            phase: Phase::Left,
            tries: 0,
            entries: 0,
            tag: 0,
            deadline: None,
            path: Vec::new(),
            actions: VecDeque::new(),
        };
        ivr.go(now, start);
        ivr
    }

    pub fn handle(&mut self, now: Millis, input: Input) {
        let Some(menu) = self.menu.clone() else {
            return;
        };
        match input {
            Input::PromptDone { tag } if tag == self.tag => match self.phase {
                Phase::Prompt => {
                    self.phase = Phase::Waiting;
                    self.deadline = Some(now + menu.timeout);
                }
                Phase::Invalid if self.tries > menu.repeat => self.fall_back(now, &menu),
                Phase::Invalid => self.play(Phase::Prompt, menu.prompt.clone()),
                Phase::Waiting | Phase::Left => {}
            },
            Input::PromptDone { .. } => {}
            Input::Digit(key) => {
                if self.phase == Phase::Left {
                    return;
                }
                match menu.options.get(&key) {
                    Some(d) => {
                        self.step(&menu, &key.to_string());
                        self.go(now, d.clone());
                    }
                    None => {
                        self.step(&menu, "invalid");
                        self.try_again(now, &menu, true);
                    }
                }
            }
        }
    }

    /// When [`Ivr::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.deadline
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        let Some(menu) = self.menu.clone() else {
            return;
        };
        if self.phase == Phase::Waiting && self.deadline.is_some_and(|d| now >= d) {
            self.step(&menu, "timeout");
            self.try_again(now, &menu, false);
        }
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The walk so far, as IvrEvent says it.
    pub fn path(&self) -> String {
        self.path.join(",")
    }

    /// Whether the walk is over.
    pub fn is_over(&self) -> bool {
        self.phase == Phase::Left
    }

    fn step(&mut self, menu: &Menu, what: &str) {
        self.path.push(format!("{}:{what}", menu.name));
    }

    /// A timeout or a wrong key: the menu again, or its fallback once the
    /// tries are used.
    /// A wrong key always hears the invalid-key prompt first, when the
    /// menu has one.
    fn try_again(&mut self, now: Millis, menu: &Arc<Menu>, invalid: bool) {
        self.tries += 1;
        match (&menu.invalid_prompt, invalid) {
            (Some(p), true) => self.play(Phase::Invalid, p.clone()),
            _ if self.tries > menu.repeat => self.fall_back(now, menu),
            _ => self.play(Phase::Prompt, menu.prompt.clone()),
        }
    }

    fn fall_back(&mut self, now: Millis, menu: &Menu) {
        self.step(menu, "fallback");
        self.go(now, menu.fallback.clone());
    }

    fn go(&mut self, now: Millis, to: Destination) {
        let (to, steps) = self.menus.resolve(now, to);
        self.path.extend(steps);
        let Destination::Menu(id) = to else {
            self.leave(to);
            return;
        };
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            tracing::warn!(path = %self.path(), "IVR walk too long: hang-up");
            self.path.push("loop".into());
            self.leave(Destination::Hangup);
            return;
        }
        let Some(menu) = self.menus.menus.get(&id).cloned() else {
            tracing::warn!(menu = id.0, "IVR menu not found: hang-up");
            self.path.push(format!("menu {}:missing", id.0));
            self.leave(Destination::Hangup);
            return;
        };
        self.tries = 0;
        self.play(Phase::Prompt, menu.prompt.clone());
        self.menu = Some(menu);
    }

    fn play(&mut self, phase: Phase, name: String) {
        self.phase = phase;
        self.deadline = None;
        self.tag += 1;
        self.actions.push_back(Action::Play {
            name,
            tag: self.tag,
        });
    }

    fn leave(&mut self, to: Destination) {
        self.phase = Phase::Left;
        self.deadline = None;
        self.actions.push_back(Action::Leave(to));
    }
}
