//! Interaction records: one per interaction (a call or a text session), with
//! its moments, lengths, outcome and service-level classification, in the
//! field names of the product's finish_interaction payload.
//!
//! Like the dispatch core this module does no I/O and reads no clock. Call
//! control feeds a [`RecordBuilder`] the call's [`CallEvent`]s with the moment
//! each happened; the builder keeps the [`InteractionRecord`] that `store`
//! writes when the call arrives and completes when it ends (see
//! `Store::open_interaction` and `Store::complete_interaction`). The rules
//! for outcomes and classification are at the top of `builder.rs`;
//! [`CallEvent::from_notice`] turns the dispatch core's notices into events;
//! [`ServiceLevel`] computes the service level over records, with or without
//! short abandons. The agent's result ([`CallEvent::Result`]: the result code
//! as Verdict, a note, an action date and their tags) is taken while the
//! agent is connected or in after-call work, and the end of the after-call
//! work completes the record with it.
//!
//! ```
//! use std::time::Duration;
//! use switchboard::acd::{AgentId, Millis, ProjectId, QueueId};
//! use switchboard::cdr::*;
//!
//! let arrival = Arrival {
//!     id: InteractionId(7),
//!     interaction_type: InteractionType::Call,
//!     direction: Direction::Inbound,
//!     domain: "example.com".into(),
//!     remote_number: "+15550100".into(),
//!     local_number: "+15550199".into(),
//! };
//! let t = Millis::from_secs;
//! let mut call = RecordBuilder::new(t(100), arrival, RecordConfig::default());
//! call.handle(t(100), CallEvent::EnteredQueue { queue: QueueId(1), project: ProjectId(1),
//!                                               service_level: Duration::from_secs(20) }).unwrap();
//! call.handle(t(110), CallEvent::Offered { agent: AgentId(3) }).unwrap();
//! call.handle(t(114), CallEvent::AgentAnswered { agent: AgentId(3) }).unwrap();
//! call.handle(t(200), CallEvent::CallerHungUp).unwrap();
//! call.handle(t(230), CallEvent::AcwEnded).unwrap();
//! let record = call.completed().expect("the call and its after-call work are over");
//! assert_eq!(record.disposition, Some(Disposition::Answered));
//! assert_eq!(record.classification, Some(Classification::AnsweredWithinServiceLevel));
//! assert_eq!(record.queue_wait_length, Duration::from_secs(14));
//! ```

mod builder;
pub mod day;
mod notices;
pub mod payload;
mod record;
mod service_level;
pub mod template;

#[cfg(test)]
mod tests;

pub use builder::{CallEvent, CallResult, IgnoreReason, Ignored, RecordBuilder, RecordConfig};
pub use notices::exit_target;
pub use record::{
    Arrival, Classification, Direction, Disposition, InteractionId, InteractionRecord,
    InteractionType, Tag, TerminateSide, TransferType,
};
pub use service_level::{ServiceLevel, ShortAbandons};
