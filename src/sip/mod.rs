//! SIP: messages, transports, transactions, registrar.

pub mod message;
pub mod peer;
pub mod transaction;
