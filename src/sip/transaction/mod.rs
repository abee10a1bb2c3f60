//! The SIP transaction layer: RFC 3261 section 17 (with sections 9.1 and 9.2
//! for CANCEL, and RFC 6026 for 2xx handling), as a sans-IO core.
//!
//! The layer owns no socket and no clock. Transports feed it messages with
//! [`TransactionLayer::handle_incoming`]; the TU (the call and registrar code)
//! sends requests and answers server transactions; the shell calls
//! [`TransactionLayer::handle_timeout`] at [`TransactionLayer::poll_timeout`].
//! What to send comes out of [`TransactionLayer::poll_transmit`] and what the TU
//! must hear out of [`TransactionLayer::poll_event`]:
//!
//! ```text
//! transports --handle_incoming--> [ TransactionLayer ] --poll_event--> TU
//!          <--poll_transmit------                    <--send_request / send_response / cancel
//!   shell timer --handle_timeout-->                  --poll_timeout--> shell timer
//! ```
//!
//! A shell drives it like this (one task owns the layer):
//!
//! ```text
//! loop {
//!     select! {
//!         (msg, from) = transports.recv() => layer.handle_incoming(Instant::now(), msg, from),
//!         cmd = from_tu.recv() => /* send_request, send_response or cancel */,
//!         _ = sleep_until(layer.poll_timeout()) => layer.handle_timeout(Instant::now()),
//!     }
//!     while let Some(t) = layer.poll_transmit() { transports.send(t.to, t.data) }
//!     while let Some(e) = layer.poll_event() { to_tu.send(e) }
//! }
//! ```
//!
//! The four state machines live in `client` and `server`, matching in `key`,
//! the table in `layer` (with its server side in `uas` and client side in
//! `uac`), and the messages the layer writes itself (ACK for non-2xx, CANCEL,
//! 100, 487, 481, 503) in `compose`.
//!
//! Contract with the TU:
//! - Every [`Event::Request`] must be answered with a final response through
//!   [`TransactionLayer::send_response`]; the server transaction lives until
//!   then. The layer itself sends 100 Trying for an INVITE at once, and adds
//!   a To tag (one per transaction) to any response but 100 that lacks one.
//! - A CANCEL is answered by the layer: 200 to the CANCEL and, if the INVITE
//!   had no final response yet, 487 to the INVITE, followed by
//!   [`Event::Cancelled`]. A CANCEL that matches nothing gets 481. The TU never
//!   sees a CANCEL request.
//! - An ACK for a non-2xx is absorbed. Every other ACK (for a 2xx, or one that
//!   matches no transaction) goes up as [`Event::Ack`] for the dialog.
//! - A 2xx to an INVITE is retransmitted by the layer (T1 doubling to T2) until
//!   its ACK arrives or 64*T1 passes ([`Event::ServerTimeout`]).
//! - Requests sent with [`TransactionLayer::send_request`] must carry a top Via
//!   with our sent-by; when it has no branch the layer adds one (`z9hG4bK` and
//!   16 random characters). An ACK for a 2xx is sent once, without a
//!   transaction; the TU re-sends it for each 2xx retransmission it hears of.
//! - [`TransactionLayer::cancel`] sends a CANCEL for a pending INVITE as soon
//!   as a provisional response has arrived (section 9.1). An INVITE still in
//!   Proceeding after Timer C (3 minutes) is cancelled by the layer itself.
//! - Responses matching no client transaction are dropped and counted
//!   ([`Counters::stray_responses`]), as RFC 6026 section 8 asks of a UA.
//! - When a transport cannot reach a peer it calls
//!   [`TransactionLayer::handle_transport_error`]; the transactions to that
//!   peer end with [`Event::TransportError`].
//! - At most [`Config::max_transactions`] live at once: a new request beyond
//!   that is answered 503 with Retry-After and counted, without a
//!   transaction. CANCELs the layer sends are never refused.
//!
//! Responses go where section 18.2.2 and RFC 3581 say: over the connection the
//! request came on for streams; for UDP to the source address when the Via has
//! `rport`, else to the source IP and the Via port.

mod client;
mod compose;
mod key;
mod layer;
mod server;
mod timer;
mod uac;
mod uas;

#[cfg(test)]
mod tests;

use std::fmt;

use bytes::Bytes;

use crate::sip::message::{Request, Response};
use crate::sip::peer::Peer;

pub use client::{ClientState, InviteClientState, NonInviteClientState};
pub use compose::reply_peer;
pub use key::{is_rfc3261_branch, MAGIC_COOKIE};
pub use layer::{Sizes, TransactionLayer};
pub use server::{InviteServerState, NonInviteServerState, ServerState};
pub use timer::Timers;

/// A client transaction (a request we sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(pub u64);

/// A server transaction (a request we received).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(pub u64);

impl fmt::Display for ClientTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ctx-{}", self.0)
    }
}

impl fmt::Display for ServerTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stx-{}", self.0)
    }
}

/// Either kind of transaction, where an event may concern both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxId {
    Client(ClientTxId),
    Server(ServerTxId),
}

/// The layer's configuration; every field has a working default.
#[derive(Debug, Clone)]
pub struct Config {
    pub timers: Timers,
    /// Live transactions (client and server) at most. A new server
    /// transaction beyond it is refused with 503 and Retry-After; a new client
    /// transaction with [`SendError::Full`].
    pub max_transactions: usize,
    /// Retry-After, in seconds, on the 503 sent when full.
    pub retry_after_secs: u32,
    /// Seed for branch and tag generation; None seeds from the OS. Tests fix
    /// it to get the same bytes on every run.
    pub seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timers: Timers::default(),
            max_transactions: 65_536,
            retry_after_secs: 5,
            seed: None,
        }
    }
}

/// Bytes to send, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub to: Peer,
    pub data: Bytes,
}

/// What the TU hears from the layer.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new server transaction: the TU must answer it with a final response.
    Request {
        tx: ServerTxId,
        request: Request,
        from: Peer,
    },
    /// An ACK for a 2xx (or one matching no transaction): it belongs to a
    /// dialog. ACKs for non-2xx responses are absorbed by the layer.
    Ack { request: Request, from: Peer },
    /// A CANCEL matched this INVITE server transaction while it had no final
    /// response: the layer has answered the CANCEL 200 and the INVITE 487.
    Cancelled { tx: ServerTxId },
    /// A provisional or final response to one of our requests. For an INVITE
    /// every 2xx retransmission comes up too, so the TU can ACK it again.
    Response { tx: ClientTxId, response: Response },
    /// Timer B or F fired, or a cancelled INVITE got no final response within
    /// 64*T1: the request failed (treat as 408).
    Timeout { tx: ClientTxId },
    /// Timer H fired (no ACK for our non-2xx), or no ACK came for our 2xx
    /// within 64*T1 (the UAS should end the session with a BYE).
    ServerTimeout { tx: ServerTxId },
    /// The transport reported that it cannot reach the peer of this
    /// transaction (sections 17.1.4 and 17.2.4); the transaction has ended.
    /// For a client transaction treat it as 503.
    TransportError { tx: TxId },
}

/// Why [`TransactionLayer::send_request`] or [`TransactionLayer::cancel`]
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the request has no Via header to carry a branch")]
    NoVia,
    #[error("the request has no CSeq or Call-ID")]
    Malformed,
    #[error("the transaction table is full")]
    Full,
    #[error("a transaction with this branch and method already exists")]
    DuplicateBranch,
    #[error("no such transaction")]
    UnknownTransaction,
    #[error("only a pending INVITE client transaction can be cancelled")]
    NotCancellable,
}

/// Why [`TransactionLayer::send_response`] did not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("no such server transaction (it may have ended)")]
    UnknownTransaction,
    #[error("the transaction already sent a final response")]
    AlreadyFinal,
}

/// Counts of what the layer dropped, absorbed or refused, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Responses matching no client transaction (dropped).
    pub stray_responses: u64,
    /// Requests that were retransmissions of a live server transaction.
    pub retransmitted_requests: u64,
    /// ACKs for non-2xx responses absorbed by their INVITE transaction.
    pub absorbed_acks: u64,
    /// CANCELs that matched no INVITE (answered 481).
    pub unmatched_cancels: u64,
    /// New server transactions refused with 503 because the table was full.
    pub refused_full: u64,
    /// Messages without a usable Via, CSeq or Call-ID (dropped).
    pub malformed: u64,
    /// Client transactions that timed out (Timer B, F or the CANCEL wait).
    pub client_timeouts: u64,
    /// Server transactions that timed out (Timer H, or no ACK for a 2xx).
    pub server_timeouts: u64,
    /// Transactions ended by a transport error.
    pub transport_errors: u64,
}
