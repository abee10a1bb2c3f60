//! A result code's integrations: the HTTP request (webhook), the e-mail and
//! the SMS sent when an agent closes an interaction with that code, each used
//! while the code's flag (`http`, `send_email`, `send_sms`) is on.
//!
//! [`enqueue_finished`] runs inside the transaction that completes the
//! interaction record, so the deliveries exist exactly when the completed
//! record does: a crash before the commit loses neither, a crash after it
//! leaves both for the delivery worker. Templates (the URL, the e-mail's
//! recipients, subject and body, the SMS's number and text) are filled from
//! the finish_interaction payload there and then (`crate::cdr::template`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;

use super::{insert, DeliveryKind, NewDelivery};
use crate::cdr::payload::{self, PayloadNames};
use crate::cdr::template::{self, Escape};
use crate::cdr::InteractionRecord;
use crate::store::admin::result_codes::ResultCodeFlags;
use crate::store::admin::{new_id, now_ms, AdminError, Check};
use crate::store::{Store, StoreError};

/// The methods a webhook may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpMethod {
    /// The payload is the JSON body.
    #[default]
    #[serde(rename = "POST")]
    Post,
    /// No body: the URL's placeholders carry what the receiver needs.
    #[serde(rename = "GET")]
    Get,
}

/// A webhook as stored (the secret included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpIntegration {
    pub url: String,
    pub method: HttpMethod,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub secret: Option<String>,
}

/// An e-mail template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    /// Recipients, separated by commas; may name payload fields.
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// An SMS template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsTemplate {
    /// The number; `{RemoteNumber}` (the caller) when left out.
    #[serde(default = "caller")]
    pub to: String,
    pub text: String,
}

fn caller() -> String {
    "{RemoteNumber}".into()
}

/// A webhook as the API shows it: whether a secret is set, not the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpView {
    pub url: String,
    pub method: HttpMethod,
    pub headers: BTreeMap<String, String>,
    pub signed: bool,
}

/// A result code's integrations as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationView {
    pub result_code_id: i64,
    pub http: Option<HttpView>,
    pub email: Option<EmailTemplate>,
    pub sms: Option<SmsTemplate>,
}

/// A webhook as a client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpInput {
    pub url: String,
    #[serde(default)]
    pub method: HttpMethod,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The signing secret: left out keeps the one stored, `""` removes it.
    #[serde(default)]
    pub secret: Option<String>,
}

/// What a client sends to replace a result code's integrations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    #[serde(default)]
    pub http: Option<HttpInput>,
    #[serde(default)]
    pub email: Option<EmailTemplate>,
    #[serde(default)]
    pub sms: Option<SmsTemplate>,
}

/// Headers the server sets itself.
const RESERVED: &[&str] = &[
    "content-length",
    "content-type",
    "host",
    "transfer-encoding",
    "connection",
];

const MAX_TEXT: usize = 8192;

fn check_template(c: &mut Check, field: &str, text: &str, known: &[String]) {
    for name in template::placeholders(text) {
        if !known.iter().any(|k| k == name) {
            c.fail(field, format!("{{{name}}} names no field of the payload"));
        }
    }
}

fn check(input: &IntegrationInput) -> Result<(), AdminError> {
    let known = payload::field_names();
    let mut c = Check::default();
    if let Some(h) = &input.http {
        c.text("http.url", &h.url, 2048);
        let lower = h.url.trim().to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://"))
            || h.url.trim().len() <= "https://".len()
            || h.url.trim().contains(char::is_whitespace)
        {
            c.fail("http.url", "must be an http:// or https:// URL");
        }
        check_template(&mut c, "http.url", &h.url, &known);
        for (name, value) in &h.headers {
            let field = format!("http.headers.{name}");
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                c.fail(&field, "not a header name");
            } else if RESERVED.contains(&name.to_ascii_lowercase().as_str())
                || name.to_ascii_lowercase().starts_with("x-switchboard-")
            {
                c.fail(&field, "set by the server");
            }
            if value.len() > MAX_TEXT || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                c.fail(&field, "not a header value");
            }
        }
        if let Some(secret) = &h.secret {
            if secret.len() > 512 {
                c.fail("http.secret", "at most 512 bytes");
            }
        }
    }
    if let Some(e) = &input.email {
        c.text("email.to", &e.to, 1024);
        check_template(&mut c, "email.to", &e.to, &known);
        if e.subject.contains(['\r', '\n']) {
            c.fail("email.subject", "one line");
        }
        if e.subject.len() > 998 {
            c.fail("email.subject", "at most 998 bytes");
        }
        check_template(&mut c, "email.subject", &e.subject, &known);
        if e.body.len() > MAX_TEXT * 8 {
            c.fail("email.body", "at most 64 KiB");
        }
        check_template(&mut c, "email.body", &e.body, &known);
    }
    if let Some(s) = &input.sms {
        c.text("sms.to", &s.to, 256);
        check_template(&mut c, "sms.to", &s.to, &known);
        c.text("sms.text", &s.text, 1600);
        check_template(&mut c, "sms.text", &s.text, &known);
    }
    c.finish()
}

#[derive(Default)]
struct Stored {
    http: Option<HttpIntegration>,
    email: Option<EmailTemplate>,
    sms: Option<SmsTemplate>,
}

fn parse<T: for<'de> Deserialize<'de>>(text: Option<String>) -> Result<Option<T>, StoreError> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("stored integration: {e}")))
}

async fn stored(conn: &mut crate::store::DbConnection, code: i64) -> Result<Stored, StoreError> {
    let row = sqlx::query(
        "SELECT http, email, sms FROM result_code_integrations WHERE result_code_id = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(Stored::default());
    };
    Ok(Stored {
        http: parse(row.try_get(0)?)?,
        email: parse(row.try_get(1)?)?,
        sms: parse(row.try_get(2)?)?,
    })
}

fn view(code: i64, s: Stored) -> IntegrationView {
    IntegrationView {
        result_code_id: code,
        http: s.http.map(|h| HttpView {
            url: h.url,
            method: h.method,
            headers: h.headers,
            signed: h.secret.is_some_and(|s| !s.is_empty()),
        }),
        email: s.email,
        sms: s.sms,
    }
}

/// The integrations of result code `code`.
pub async fn get(store: &Store, code: i64) -> Result<IntegrationView, AdminError> {
    let mut conn = store.pool().acquire().await?;
    if !crate::store::admin::exists(&mut conn, "result_codes", code).await? {
        return Err(AdminError::NotFound("result code"));
    }
    Ok(view(code, stored(&mut conn, code).await?))
}

/// Replaces the integrations of result code `code`.
pub async fn set(
    store: &Store,
    code: i64,
    input: IntegrationInput,
) -> Result<IntegrationView, AdminError> {
    let mut tx = store.begin().await?;
    if !crate::store::admin::exists(&mut tx, "result_codes", code).await? {
        return Err(AdminError::NotFound("result code"));
    }
    check(&input)?;
    let old = stored(&mut tx, code).await?;
    let http = input.http.map(|h| HttpIntegration {
        url: h.url.trim().to_owned(),
        method: h.method,
        headers: h.headers,
        secret: match h.secret {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
            None => old.http.as_ref().and_then(|o| o.secret.clone()),
        },
    });
    let saved = Stored {
        http,
        email: input.email,
        sms: input.sms,
    };
    sqlx::query(
        "INSERT INTO result_code_integrations (result_code_id, http, email, sms, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (result_code_id) DO UPDATE SET \
         http = excluded.http, email = excluded.email, sms = excluded.sms, \
         updated_at = excluded.updated_at",
    )
    .bind(code)
    .bind(to_text(&saved.http))
    .bind(to_text(&saved.email))
    .bind(to_text(&saved.sms))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(view(code, saved))
}

/// An optional part as its JSON text.
fn to_text<T: Serialize>(part: &Option<T>) -> Option<String> {
    part.as_ref().and_then(|v| serde_json::to_string(v).ok())
}

/// Queues the deliveries the result code of a just-completed `record` asks
/// for, inside the transaction that completed it; returns how many.
pub(crate) async fn enqueue_finished(
    conn: &mut crate::store::DbConnection,
    record: &InteractionRecord,
    now: i64,
) -> Result<usize, StoreError> {
    let Some(code) = record.verdict else {
        return Ok(0);
    };
    let code = code.0 as i64;
    let row = sqlx::query(
        "SELECT c.display_name, c.category, c.kind, c.flags, i.http, i.email, i.sms \
         FROM result_codes c LEFT JOIN result_code_integrations i ON i.result_code_id = c.id \
         WHERE c.id = $1",
    )
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(0);
    };
    let flags: ResultCodeFlags = serde_json::from_str(row.try_get::<&str, _>(3)?)
        .map_err(|e| StoreError::Invalid(format!("stored result code flags: {e}")))?;
    let http: Option<HttpIntegration> = parse(row.try_get(4)?)?.filter(|_| flags.http);
    let email: Option<EmailTemplate> = parse(row.try_get(5)?)?.filter(|_| flags.send_email);
    let sms: Option<SmsTemplate> = parse(row.try_get(6)?)?.filter(|_| flags.send_sms);
    if http.is_none() && email.is_none() && sms.is_none() {
        return Ok(0);
    }
    let mut names = names(conn, record).await?;
    names.result_code = Some(row.try_get(0)?);
    names.result_category = Some(row.try_get(1)?);
    names.result_type = Some(row.try_get(2)?);
    let interaction = Some(record.interaction_id.0 as i64);
    let mut made: Vec<(DeliveryKind, Value, Value, i64)> = Vec::new();
    if let Some(h) = http {
        let id = new_id();
        let body = payload::finish_interaction(record, &names, id);
        let target = json!({
            "url": template::render(&h.url, &body, Escape::Url),
            "method": h.method,
            "headers": h.headers,
            "secret": h.secret,
        });
        made.push((DeliveryKind::Webhook, target, body, id));
    }
    if let Some(e) = email {
        let id = new_id();
        let fields = payload::finish_interaction(record, &names, id);
        let to: Vec<String> = template::render(&e.to, &fields, Escape::None)
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        let message = json!({
            "subject": template::render(&e.subject, &fields, Escape::None).replace(['\r', '\n'], " "),
            "body": template::render(&e.body, &fields, Escape::None),
            "attachments": [],
        });
        made.push((DeliveryKind::Email, json!({"to": to}), message, id));
    }
    if let Some(s) = sms {
        let id = new_id();
        let fields = payload::finish_interaction(record, &names, id);
        let to = template::render(&s.to, &fields, Escape::None);
        let text = template::render(&s.text, &fields, Escape::None);
        made.push((
            DeliveryKind::Sms,
            json!({"to": to.trim()}),
            json!({"text": text}),
            id,
        ));
    }
    for (kind, target, payload, id) in &made {
        let new = NewDelivery {
            id: *id,
            kind: *kind,
            interaction_id: interaction,
            result_code_id: Some(code),
            target,
            payload,
        };
        insert(&mut *conn, new, now).await?;
    }
    Ok(made.len())
}

/// The names behind the record's agent, queue, project and tags.
async fn names(
    conn: &mut crate::store::DbConnection,
    record: &InteractionRecord,
) -> Result<PayloadNames, StoreError> {
    let mut names = PayloadNames::default();
    if let Some(agent) = record.agent {
        let row = sqlx::query("SELECT username, first_name, last_name FROM users WHERE id = $1")
            .bind(agent.0 as i64)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            let first: String = row.try_get(1)?;
            let last: String = row.try_get(2)?;
            names.agent_login = Some(row.try_get(0)?);
            names.agent_name = Some(format!("{first} {last}").trim().to_owned());
        }
    }
    if let Some(queue) = record.queue {
        names.queue_name = sqlx::query_scalar("SELECT name FROM queues WHERE id = $1")
            .bind(queue.0 as i64)
            .fetch_optional(&mut *conn)
            .await?;
    }
    if let Some(project) = record.project {
        names.project_name = sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
            .bind(project.0 as i64)
            .fetch_optional(&mut *conn)
            .await?;
    }
    for tag in &record.user_tags {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM tags WHERE id = $1")
            .bind(*tag as i64)
            .fetch_optional(&mut *conn)
            .await?;
        names.user_tag_names.extend(name);
    }
    Ok(names)
}
