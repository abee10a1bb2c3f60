//! Switchboard: a contact-center softswitch in one process.
//!
//! The modules follow the path a call takes through the server (see
//! `ARCHITECTURE.md` in the shared design notes): `sip` speaks the signalling
//! protocol, `media` moves the audio, `acd` decides which agent takes which
//! interaction, and `store` keeps what must survive a restart. `server` wires
//! them together; `config` holds what the process needs to start.

pub mod acd;
pub mod api;
pub mod call;
pub mod cdr;
pub mod config;
// The media engine's batched socket calls, pacing clock and thread scheduling
// call libc; every other module is safe Rust (Cargo.toml denies unsafe code).
#[allow(unsafe_code)]
pub mod media;
pub mod outbox;
pub mod server;
pub mod sip;
pub mod store;
