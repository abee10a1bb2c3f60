//! Webhooks and the SMS gateway: one HTTP request per attempt.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, Method, RequestBuilder};
use serde_json::{json, Value};

use super::config::SmsConfig;
use super::schedule::Outcome;
use super::worker::{describe, Tried};
use super::{sign, DELIVERY_HEADER};
use crate::cdr::payload::FINISH_INTERACTION;
use crate::cdr::template::{self, Escape};
use crate::store::outbox::Claimed;

/// The HTTP client every attempt shares (its connections are kept).
pub fn client(timeout: Duration) -> Client {
    Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client's settings are valid")
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn with_headers<'a>(
    mut request: RequestBuilder,
    headers: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<RequestBuilder, String> {
    for (name, value) in headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header {name}: {e}"))?;
        let value = HeaderValue::from_str(value).map_err(|e| format!("header {name}: {e}"))?;
        request = request.header(name, value);
    }
    Ok(request)
}

/// Posts (or gets) a webhook.
pub async fn webhook(client: &Client, c: &Claimed) -> Tried {
    let url = c.target["url"].as_str().unwrap_or("");
    let post = c.target["method"].as_str() != Some("GET");
    let body: &[u8] = if post { c.payload.as_bytes() } else { b"" };
    let mut request = client
        .request(if post { Method::POST } else { Method::GET }, url)
        .header(DELIVERY_HEADER, c.id.to_string())
        .header("X-Switchboard-Attempt", c.attempt.to_string())
        .header("X-Switchboard-Event", FINISH_INTERACTION);
    if post {
        request = request
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
    }
    if let Some(secret) = c.target["secret"].as_str().filter(|s| !s.is_empty()) {
        request = request.header(
            sign::HEADER,
            sign::signature(secret.as_bytes(), unix_secs(), body),
        );
    }
    let extra = c.target["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)));
    match with_headers(request, extra) {
        Ok(request) => send(request).await,
        Err(e) => Tried::unusable(e),
    }
}

/// Sends an SMS through the configured gateway.
pub async fn sms(client: &Client, gateway: &SmsConfig, c: &Claimed) -> Tried {
    if gateway.url.trim().is_empty() {
        return Tried::unusable("no SMS gateway configured (sms.url)".into());
    }
    let fields = json!({
        "to": c.target["to"].as_str().unwrap_or(""),
        "text": serde_json::from_str::<Value>(&c.payload)
            .ok()
            .and_then(|p| p["text"].as_str().map(str::to_owned))
            .unwrap_or_default(),
    });
    let Ok(method) = Method::from_bytes(gateway.method.trim().to_ascii_uppercase().as_bytes())
    else {
        return Tried::unusable(format!("sms.method {:?} is not a method", gateway.method));
    };
    let url = template::render(gateway.url.trim(), &fields, Escape::Url);
    let mut request = client
        .request(method.clone(), url)
        .header(DELIVERY_HEADER, c.id.to_string());
    if method != Method::GET {
        let escape = if gateway.content_type.contains("json") {
            Escape::Json
        } else if gateway.content_type.contains("x-www-form-urlencoded") {
            Escape::Url
        } else {
            Escape::None
        };
        request = request
            .header(CONTENT_TYPE, gateway.content_type.as_str())
            .body(template::render(&gateway.body, &fields, escape));
    }
    let extra = gateway
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    match with_headers(request, extra) {
        Ok(request) => send(request).await,
        Err(e) => Tried::unusable(e),
    }
}

async fn send(request: RequestBuilder) -> Tried {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // The body is read (and dropped) so the connection can be kept.
            let _ = response.bytes().await;
            let error = (!(200..300).contains(&status)).then(|| format!("answered {status}"));
            Tried {
                outcome: Outcome::Answered {
                    status,
                    retry_after,
                },
                status: Some(status),
                error,
            }
        }
        Err(e) if e.is_builder() => Tried::unusable(describe(&e)),
        Err(e) => Tried {
            outcome: Outcome::Unreachable,
            status: None,
            error: Some(describe(&e)),
        },
    }
}
