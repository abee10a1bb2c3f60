//! SIP: messages, transports, transactions, registrar.

pub mod dialog;
pub mod message;
pub mod peer;
pub mod transaction;
