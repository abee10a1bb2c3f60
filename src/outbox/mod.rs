//! The outbox's delivery worker: it makes the deliveries the store keeps
//! (webhooks, e-mail, SMS) and records each attempt, so telling other
//! systems never blocks a call and nothing asked for is lost across a
//! restart.
//!
//! Deliveries are queued in the database by what causes them: an agent
//! closing an interaction with a result code that has integrations (in the
//! transaction that completes the record, `store::outbox::integrations`), or
//! any part of the server that wants a mail sent ([`enqueue_mail`]). One
//! worker task ([`start`]) claims due deliveries, makes up to
//! `outbox.concurrency` attempts at once, and records each with what follows
//! it, as [`schedule::next`] decides: delivered (a 2xx, or 250 from the mail
//! server), tried again later with exponential backoff and jitter, or failed
//! for good. At start-up it picks up whatever was pending.
//!
//! Each delivery keeps one id for its whole life, sent as
//! `X-Switchboard-Delivery` (and in an e-mail's Message-ID), so a receiver
//! that got an attempt whose answer was lost can drop the repeat. Webhooks
//! with a secret are signed ([`sign`]).

mod config;
mod http;
mod mail;
pub mod schedule;
pub mod sign;
mod worker;

pub use config::{MailConfig, MailTls, OutboxConfig, SmsConfig};
pub use worker::{start, OutboxMetrics};

pub use crate::store::outbox::MailInput;
use crate::store::{Store, StoreError};

/// The header that carries a delivery's id.
pub const DELIVERY_HEADER: &str = "X-Switchboard-Delivery";

/// Queues an e-mail (with its attachments, by path) for the worker to send
/// through the `[mail]` server; returns the delivery's id, which the admin
/// API lists under `/api/deliveries`.
pub async fn enqueue_mail(store: &Store, mail: MailInput) -> Result<i64, StoreError> {
    store.enqueue_mail(mail).await
}
