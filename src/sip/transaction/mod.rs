//! The SIP transaction layer (RFC 3261 section 17, updated by RFC 6026).

mod client;
mod server;
mod timer;

pub use client::{InviteClientState, NonInviteClientState};
pub use server::{InviteServerState, NonInviteServerState};
pub use timer::Timers;
