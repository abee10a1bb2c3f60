//! SIP: messages, transports, transactions, dialogs, digest authentication, the
//! registrar and the location service, and the core task that joins them.

pub mod auth;
pub mod dialog;
pub mod message;
pub mod peer;
pub mod transaction;
