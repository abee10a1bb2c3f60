//! Registering a trunk to its carrier (RFC 3261 section 10.2, the UAC side),
//! as a sans-IO core like the transaction layer: the shell feeds it the
//! responses to its REGISTERs and the transaction layer's timeouts
//! ([`Registration::handle`]), calls [`Registration::handle_timeout`] at
//! [`Registration::poll_timeout`], and sends what [`Registration::poll_action`]
//! gives. It owns no socket and reads no clock.
//!
//! What it does:
//! - one REGISTER at a time, all with the same Call-ID and From tag and an
//!   increasing CSeq (section 10.2.4);
//! - a 401 or 407 is answered once per nonce with digest credentials (RFC
//!   7616: SHA-256 preferred over MD5, `qop=auth` when offered); later
//!   REGISTERs carry credentials for the same nonce with the next nonce
//!   count, and a new challenge (`stale=true` or not) is answered again. A
//!   second non-stale challenge straight after our credentials means they are
//!   wrong: the registration stops and says so;
//! - a 2xx grants the expiry of our Contact (its `expires` parameter, else
//!   the Expires header, else what we asked); the binding is refreshed at
//!   half that time;
//! - 423 Interval Too Brief is answered by asking again for its Min-Expires;
//! - 403, 404 and other final refusals stop it (an operator must act); 5xx,
//!   408, 480 and the transaction's timeout are retried after a back-off
//!   doubling from [`RETRY_FIRST`] to [`RETRY_MAX`] (a 503's Retry-After is
//!   honoured);
//! - [`Input::Stop`] removes the binding (`Expires: 0`) when there is one,
//!   then the registration is over.

use std::time::{Duration, Instant};

use super::message::{HeaderName, Headers, Method, Request, Response, Uri};
use super::uac_auth::{Account, Challenge, Challenged};

/// The first wait before retrying after a failure.
pub const RETRY_FIRST: Duration = Duration::from_secs(2);
/// The longest wait between retries.
pub const RETRY_MAX: Duration = Duration::from_secs(300);
/// The shortest registration we ask for or accept as granted.
pub const MIN_EXPIRES: u32 = 10;

/// What a registration is for: the shell's view of the trunk and of itself.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// The registrar: the REGISTER's Request-URI (`sip:carrier.example`).
    pub registrar: Uri,
    /// The address of record registered (To and From): `sip:user@domain`.
    pub aor: Uri,
    /// Our Contact URI, where the carrier sends the trunk's calls.
    pub contact: Uri,
    /// Our Via (sent-by, transport); the transaction layer adds the branch.
    pub via: String,
    pub username: String,
    pub password: String,
    /// The expiry asked for, in seconds.
    pub expires: u32,
    pub call_id: String,
    pub from_tag: String,
    /// The client nonce of our digest credentials.
    pub cnonce: String,
    /// User-Agent.
    pub user_agent: String,
}

/// What the shell feeds the core.
#[derive(Debug, Clone)]
pub enum Input {
    /// A final response to our REGISTER (provisional ones may be fed; they
    /// are ignored).
    Response(Response),
    /// The REGISTER got no final response (Timer F) or could not be sent.
    NoAnswer,
    /// Remove the binding and finish (graceful stop, trunk changed or gone).
    Stop,
}

/// What the core asks of the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this REGISTER in a new client transaction.
    Send(Request),
}

/// Where a registration stands, as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A REGISTER is on its way and no binding is known to hold.
    Registering,
    /// The carrier holds our binding (until `expires_at`).
    Registered,
    /// The last attempt failed; another follows after a back-off.
    Retrying,
    /// Refused for good (403, wrong credentials...): nothing more is tried.
    Failed,
    /// Removing the binding on stop.
    Unregistering,
    /// Stopped; no binding is held.
    Stopped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Registering => "registering",
            State::Registered => "registered",
            State::Retrying => "retrying",
            State::Failed => "failed",
            State::Unregistering => "unregistering",
            State::Stopped => "stopped",
        }
    }
}

/// The registration core; see the module documentation.
#[derive(Debug)]
pub struct Registration {
    config: RegistrationConfig,
    state: State,
    cseq: u32,
    /// The CSeq of the REGISTER awaiting its answer.
    pending: Option<u32>,
    /// Whether the pending REGISTER removes the binding.
    pending_removal: bool,
    /// The pending REGISTER answered a challenge that had not been answered.
    answered_fresh: bool,
    challenge: Option<Challenge>,
    expires: u32,
    expires_at: Option<Instant>,
    last_error: Option<String>,
    /// When to send the next REGISTER (refresh or retry).
    next: Option<Instant>,
    failures: u32,
    stopping: bool,
    actions: Vec<Action>,
}

impl Registration {
    /// A registration that sends its first REGISTER at once.
    pub fn new(config: RegistrationConfig) -> Registration {
        let expires = config.expires.max(MIN_EXPIRES);
        let mut r = Registration {
            config,
            state: State::Registering,
            cseq: 0,
            pending: None,
            pending_removal: false,
            answered_fresh: false,
            challenge: None,
            expires,
            expires_at: None,
            last_error: None,
            next: None,
            failures: 0,
            stopping: false,
            actions: Vec::new(),
        };
        r.send(false);
        r
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// When the carrier's binding runs out, while it holds.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// Why the last attempt failed, until one succeeds.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Whether nothing more will happen (stopped or failed for good).
    pub fn is_over(&self) -> bool {
        matches!(self.state, State::Stopped | State::Failed) && self.pending.is_none()
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        if self.actions.is_empty() {
            None
        } else {
            Some(self.actions.remove(0))
        }
    }

    /// When [`Registration::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let lapse = self.expires_at.filter(|_| self.state == State::Registered);
        match (self.next, lapse) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.expires_at.is_some_and(|at| at <= now) {
            self.expires_at = None;
            if self.state == State::Registered {
                self.state = State::Retrying;
            }
        }
        if self.next.is_some_and(|at| at <= now) && self.pending.is_none() {
            self.next = None;
            if self.state != State::Registered {
                self.state = State::Registering;
            }
            self.send(false);
        }
    }

    pub fn handle(&mut self, now: Instant, input: Input) {
        match input {
            Input::Stop => self.stop(),
            Input::NoAnswer => {
                if self.pending.take().is_some() {
                    self.failed(now, "no answer from the registrar".into(), None);
                }
            }
            Input::Response(resp) => self.response(now, resp),
        }
    }

    fn stop(&mut self) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.next = None;
        if self.pending.is_some() {
            // The answer to the REGISTER in flight decides what is left to remove.
            return;
        }
        self.unregister();
    }

    /// Removes the binding if one may be held, else finishes.
    fn unregister(&mut self) {
        if self.expires_at.is_some() && self.state != State::Failed {
            self.state = State::Unregistering;
            self.send(true);
        } else {
            self.finish();
        }
    }

    fn finish(&mut self) {
        self.next = None;
        self.expires_at = None;
        if self.state != State::Failed {
            self.state = State::Stopped;
        }
    }

    fn response(&mut self, now: Instant, resp: Response) {
        if resp.status < 200 {
            return;
        }
        let Ok(cseq) = resp.cseq() else { return };
        if self.pending != Some(cseq.seq) || cseq.method != Method::Register {
            return;
        }
        self.pending = None;
        let removal = self.pending_removal;
        match resp.status {
            200..=299 if removal => self.finish(),
            200..=299 => {
                let granted = self.granted(&resp).max(1);
                self.state = State::Registered;
                self.failures = 0;
                self.last_error = None;
                self.expires_at = Some(now + Duration::from_secs(granted.into()));
                self.next = Some(now + Duration::from_secs(u64::from(granted).div_ceil(2)));
                if self.stopping {
                    self.unregister();
                }
            }
            401 | 407 => {
                if self.take_challenge(&resp) {
                    self.send(removal);
                } else if removal {
                    self.finish();
                } else {
                    self.state = State::Failed;
                    self.expires_at = None;
                    self.next = None;
                    self.last_error = Some(format!(
                        "{} {}: the credentials were refused",
                        resp.status,
                        resp.reason_str()
                    ));
                }
            }
            _ if removal => self.finish(),
            423 => {
                let min = resp
                    .headers
                    .get(&HeaderName::MinExpires)
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.trim().parse::<u32>().ok());
                match min {
                    Some(min) if min > self.expires => {
                        self.expires = min;
                        self.send(false);
                    }
                    _ => self.failed(
                        now,
                        "423 Interval Too Brief without a longer Min-Expires".into(),
                        None,
                    ),
                }
            }
            408 | 480 | 500..=599 => {
                let retry_after = resp
                    .headers
                    .get(&HeaderName::RetryAfter)
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.split(';').next()?.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let why = format!("{} {}", resp.status, resp.reason_str());
                self.failed(now, why, retry_after);
            }
            _ => {
                self.state = State::Failed;
                self.expires_at = None;
                self.next = None;
                self.last_error = Some(format!("{} {}", resp.status, resp.reason_str()));
            }
        }
        if self.stopping && self.pending.is_none() && !self.is_over() {
            self.unregister();
        }
    }

    /// A failure worth retrying: back off, then register again.
    fn failed(&mut self, now: Instant, why: String, retry_after: Option<Duration>) {
        self.last_error = Some(why);
        if self.stopping {
            self.finish();
            return;
        }
        let backoff = RETRY_FIRST
            .saturating_mul(1 << self.failures.min(16))
            .min(RETRY_MAX);
        self.failures = self.failures.saturating_add(1);
        let wait = retry_after.map_or(backoff, |r| r.clamp(RETRY_FIRST, RETRY_MAX));
        self.next = Some(now + wait);
        if self.state != State::Registered || self.expires_at.is_none_or(|at| at <= now) {
            self.state = State::Retrying;
        }
    }

    /// The expiry the registrar granted our Contact, in seconds.
    fn granted(&self, resp: &Response) -> u32 {
        let ours = self.config.contact.to_string();
        let from_contact = match resp.contacts() {
            Ok(super::message::Contacts::List(list)) => {
                let mine = list
                    .iter()
                    .find(|c| c.uri.to_string() == ours)
                    .or_else(|| list.first().filter(|_| list.len() == 1));
                mine.and_then(|c| c.params.get("expires").flatten()?.trim().parse().ok())
            }
            _ => None,
        };
        from_contact
            .or_else(|| resp.expires().ok().flatten())
            .unwrap_or(self.expires)
    }

    /// Takes the challenge of a 401/407; false when it must not be answered
    /// (none we understand, or our fresh credentials were just refused).
    fn take_challenge(&mut self, resp: &Response) -> bool {
        let Challenged::Digest {
            challenge: new,
            stale,
        } = Challenged::of(resp)
        else {
            self.last_error = Some("no digest challenge this server can answer".into());
            return false;
        };
        let same_nonce = self
            .challenge
            .as_ref()
            .is_some_and(|c| c.nonce == new.nonce);
        if (same_nonce || self.answered_fresh) && !stale {
            return false;
        }
        self.challenge = Some(new);
        true
    }

    /// Queues the next REGISTER (`removal`: with `Expires: 0`).
    fn send(&mut self, removal: bool) {
        self.cseq += 1;
        let c = &self.config;
        let mut headers = Headers::new();
        headers.push(HeaderName::Via, c.via.clone());
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::From, format!("<{}>;tag={}", c.aor, c.from_tag));
        headers.push(HeaderName::To, format!("<{}>", c.aor));
        headers.push(HeaderName::CallId, c.call_id.clone());
        headers.push(HeaderName::CSeq, format!("{} REGISTER", self.cseq));
        headers.push(HeaderName::Contact, format!("<{}>", c.contact));
        let expires = if removal { 0 } else { self.expires };
        headers.push(HeaderName::Expires, expires.to_string());
        headers.push(HeaderName::UserAgent, c.user_agent.clone());
        self.answered_fresh = false;
        if let Some(ch) = &mut self.challenge {
            self.answered_fresh = ch.count == 0;
            let account = Account {
                username: &c.username,
                password: &c.password,
                cnonce: &c.cnonce,
            };
            let (name, value) = ch.authorize("REGISTER", &c.registrar.to_string(), account);
            headers.push(name, value);
        }
        self.pending = Some(self.cseq);
        self.pending_removal = removal;
        self.actions.push(Action::Send(Request {
            method: Method::Register,
            uri: c.registrar.clone(),
            headers,
            body: bytes::Bytes::new(),
        }));
    }
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;
