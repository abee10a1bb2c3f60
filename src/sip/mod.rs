//! SIP: messages, transports, transactions, registrar.

pub mod auth;
pub mod message;
pub mod peer;
pub mod transaction;
