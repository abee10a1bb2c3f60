//! The dispatch core: which waiting interaction goes to which agent, and when.
//!
//! A sans-IO state machine in the shape of `quinn-proto` and `str0m`: no async
//! runtime, no sockets, no clock. Call control feeds it [`Event`]s with the
//! current time, performs the [`Action`]s it returns, forwards its
//! [`Notice`]s (every state change) to monitoring and the history log, and
//! calls [`Engine::handle_timeout`] at [`Engine::poll_timeout`]:
//!
//! ```
//! use std::time::Duration;
//! use switchboard::acd::*;
//!
//! let (sales, p, avail) = (QueueId(1), ProjectId(1), StatusId(1));
//! let mut acd = Engine::new(Config {
//!     projects: vec![ProjectConfig::new(p)],
//!     statuses: vec![StatusConfig { id: avail, name: "Available".into(),
//!                                   category: Category::Available, transferable: false }],
//!     queues: vec![QueueConfig::new(sales, p)],
//!     ..Config::default()
//! });
//! let t0 = Millis::ZERO;
//! acd.handle(t0, Event::AgentLogin { agent: AgentId(1), project: p, status: avail,
//!                                    queues: vec![sales] }).unwrap();
//! acd.handle(t0, Event::CallArrived { call: CallId(7), queue: sales }).unwrap();
//! assert_eq!(acd.poll_action(), Some(Action::Offer { call: CallId(7), agent: AgentId(1),
//!            ring_for: Duration::from_secs(15), auto_answer: false }));
//! ```
//!
//! Each product rule is described at the top of the file that implements it:
//! `staff.rs` (login to one project, mandatory queues, statuses and their
//! categories), [`strategy`], `dispatch.rs` (priority across queues, FIFO,
//! passing over an agent who missed), `offers.rs` (ringing, answer, miss,
//! leaving the queue exactly once, internal transfers), `pickup.rs` (a
//! colleague takes an offer ringing another agent), `wrapup.rs`
//! (after-call work and result codes), `breaks.rs` (the daily allowance),
//! `agent.rs` (capacity and text channel weights), `announce.rs`
//! (announcements and queue timeout), `callbacks.rs` (callback requests that
//! keep the caller's place), `estimate.rs`, `metrics.rs` and `reconfig.rs`
//! (configuration changes, removals included: [`changes`]).
//! [`sim`] drives the engine with random traffic and compares it with
//! Erlang C and Erlang A.

mod agent;
mod announce;
mod breaks;
mod callbacks;
mod config;
mod dispatch;
mod engine;
mod estimate;
mod event;
mod ids;
mod metrics;
mod offers;
mod pickup;
mod queue;
mod reconfig;
pub mod sim;
mod staff;
pub mod strategy;
mod timers;
mod wrapup;

#[cfg(test)]
mod tests;

pub use config::{
    AnnouncementMode, Category, Channel, Config, ExitTarget, MissedOffers, ProjectConfig,
    QueueConfig, QueueGroupConfig, ResultCodeConfig, StatusConfig, StrategyKind, CAPACITY,
};
pub use engine::Engine;
pub use event::{
    AbandonReason, AcdError, Action, CallbackEnd, Event, Miss, Notice, Outcome, Presence,
};
pub use ids::{AgentId, CallId, Millis, ProjectId, QueueGroupId, QueueId, ResultCodeId, StatusId};
pub use metrics::QueueMetrics;
pub use queue::QueueCounters;
pub use reconfig::changes;
