//! The outbox's start-up configuration: `[outbox]` (how deliveries are
//! retried and how many run at once), `[mail]` (the SMTP server) and `[sms]`
//! (the HTTP SMS gateway). Every key has a default.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::schedule::RetryPolicy;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Attempts made at once, at most.
    pub concurrency: usize,
    /// Attempts in a round before a delivery fails (a retry through the API
    /// starts a new round).
    pub max_attempts: u32,
    /// The delay after the first failed attempt, doubled after each further
    /// one (with jitter), in milliseconds.
    pub retry_base_ms: u64,
    /// The longest delay between two attempts.
    pub retry_max_secs: u64,
    /// One attempt's time limit (connect, send, answer).
    pub timeout_secs: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            concurrency: 8,
            max_attempts: 12,
            retry_base_ms: 10_000,
            retry_max_secs: 3600,
            timeout_secs: 15,
        }
    }
}

impl OutboxConfig {
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(self.retry_base_ms.max(1)),
            max_delay: Duration::from_secs(self.retry_max_secs.max(1)),
            max_attempts: self.max_attempts.max(1),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    /// What is wrong with the values, if anything.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.concurrency == 0 {
            out.push("outbox.concurrency must be at least 1".to_owned());
        }
        if self.max_attempts == 0 {
            out.push("outbox.max_attempts must be at least 1".to_owned());
        }
        out
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTls {
    /// Plain SMTP.
    None,
    /// STARTTLS when the server offers it, plain otherwise.
    #[default]
    Opportunistic,
    /// STARTTLS, or no mail.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// The SMTP server (a relay) mail is handed to.
    pub host: String,
    pub port: u16,
    /// The sender: `switchboard@example.com` or `Name <address>`.
    pub from: String,
    pub tls: MailTls,
    /// Log in with these when both are set.
    pub username: String,
    pub password: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            host: "localhost".into(),
            port: 25,
            from: "switchboard@localhost".into(),
            tls: MailTls::default(),
            username: String::new(),
            password: String::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// The gateway's URL; `{to}` and `{text}` are filled in (percent-encoded).
    /// Empty: no gateway, and SMS deliveries fail saying so.
    pub url: String,
    /// `POST` (or `PUT`) with the body, or `GET` without one.
    pub method: String,
    /// The body; `{to}` and `{text}` are filled in, escaped for
    /// `content_type` (inside JSON strings for JSON, percent-encoded for a
    /// form).
    pub body: String,
    pub content_type: String,
    /// Extra headers (an API key, say).
    pub headers: BTreeMap<String, String>,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            url: String::new(),
            method: "POST".into(),
            body: r#"{"to": "{to}", "text": "{text}"}"#.into(),
            content_type: "application/json".into(),
            headers: BTreeMap::new(),
        }
    }
}
