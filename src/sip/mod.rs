//! SIP: messages, transports, transactions, dialogs, digest authentication, the
//! registrar and the location service, and the core task that joins them.

pub mod auth;
pub mod authenticator;
pub mod core;
pub mod dialog;
pub mod location;
pub mod login_guard;
pub mod message;
pub mod metrics;
pub mod net;
pub mod peer;
pub mod registrar;
pub mod registration;
pub mod source_guard;
pub mod transaction;
pub mod transport;
pub mod tu;
pub mod uac_auth;
pub mod uas;
