//! E-mail over SMTP (lettre): one message per attempt, handed to the
//! `[mail]` relay, with the delivery's id in its Message-ID.

use std::path::Path;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use super::config::{MailConfig, MailTls};
use super::schedule::Outcome;
use super::worker::{describe, Tried};
use crate::store::outbox::Claimed;

/// The SMTP side of the worker.
pub struct Mailer {
    transport: Result<AsyncSmtpTransport<Tokio1Executor>, String>,
    from: Result<Mailbox, String>,
    host: String,
}

impl Mailer {
    pub fn new(config: &MailConfig, timeout: Duration) -> Mailer {
        let transport = transport(config, timeout);
        Mailer {
            transport,
            from: config
                .from
                .parse::<Mailbox>()
                .map_err(|e| format!("mail.from {:?}: {e}", config.from)),
            host: config.host.clone(),
        }
    }

    /// Sends the e-mail of delivery `c`.
    pub async fn send(&self, c: &Claimed) -> Tried {
        let transport = match &self.transport {
            Ok(t) => t,
            Err(e) => return Tried::unusable(format!("mail TLS settings: {e}")),
        };
        let message = match self.message(c).await {
            Ok(m) => m,
            Err(e) => return Tried::unusable(e),
        };
        match transport.send(message).await {
            Ok(response) => {
                let code = u16::from(response.code());
                Tried {
                    outcome: Outcome::smtp(code),
                    status: Some(code),
                    error: None,
                }
            }
            Err(e) => {
                let code = e.status().map(u16::from);
                let outcome = match code {
                    Some(code) => Outcome::smtp(code),
                    None if e.is_permanent() => Outcome::smtp(550),
                    None => Outcome::Unreachable,
                };
                Tried {
                    outcome,
                    status: code,
                    error: Some(describe(&e)),
                }
            }
        }
    }

    async fn message(&self, c: &Claimed) -> Result<Message, String> {
        let from = self.from.clone()?;
        let payload: Value =
            serde_json::from_str(&c.payload).map_err(|e| format!("stored mail: {e}"))?;
        let mut builder = Message::builder()
            .from(from)
            .subject(payload["subject"].as_str().unwrap_or(""))
            .message_id(Some(format!("<delivery-{}@{}>", c.id, self.host)));
        let to = c.target["to"].as_array().cloned().unwrap_or_default();
        if to.is_empty() {
            return Err("no recipient".into());
        }
        for address in to {
            let address = address.as_str().unwrap_or("");
            let mailbox = address
                .parse::<Mailbox>()
                .map_err(|e| format!("recipient {address:?}: {e}"))?;
            builder = builder.to(mailbox);
        }
        let text = SinglePart::plain(payload["body"].as_str().unwrap_or("").to_owned());
        let files: Vec<&str> = payload["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if files.is_empty() {
            return builder.singlepart(text).map_err(|e| e.to_string());
        }
        let mut parts = MultiPart::mixed().singlepart(text);
        for file in files {
            let bytes = tokio::fs::read(file)
                .await
                .map_err(|e| format!("attachment {file}: {e}"))?;
            let name = Path::new(file).file_name().map_or_else(
                || "attachment".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            );
            parts =
                parts.singlepart(Attachment::new(name.clone()).body(bytes, content_type(&name)));
        }
        builder.multipart(parts).map_err(|e| e.to_string())
    }
}

fn transport(
    config: &MailConfig,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let params = || TlsParameters::new(config.host.clone()).map_err(|e| e.to_string());
    let tls = match config.tls {
        MailTls::None => Tls::None,
        MailTls::Opportunistic => Tls::Opportunistic(params()?),
        MailTls::Starttls => Tls::Required(params()?),
        MailTls::Tls => Tls::Wrapper(params()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        .port(config.port)
        .tls(tls)
        .timeout(Some(timeout));
    if !config.username.is_empty() && !config.password.is_empty() {
        builder = builder.credentials(Credentials::new(
            config.username.clone(),
            config.password.clone(),
        ));
    }
    Ok(builder.build())
}

fn content_type(name: &str) -> ContentType {
    let lower = name.to_ascii_lowercase();
    let mime = match lower.rsplit_once('.').map(|(_, ext)| ext) {
        Some("wav") => "audio/wav",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    };
    ContentType::parse(mime).unwrap_or(ContentType::TEXT_PLAIN)
}
