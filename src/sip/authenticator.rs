//! Who may use the server: digest authentication of requests (RFC 7616 over
//! RFC 3261 section 22) against the accounts of a [`Directory`], with the
//! product's lockout and a per-source guard against guessing.
//!
//! - A request without credentials is challenged (401), once per algorithm the
//!   server offers, in the configured order (section 3.7 of RFC 7616: the
//!   client takes the first it supports).
//! - A stale nonce is challenged again with `stale=true`; it is not a failure.
//! - A wrong response counts against the user: the configured number of
//!   failures in a row locks the user (state `locked`) until an administrator
//!   resets the password. Locked and passive users get 403.
//! - It also counts against the source address: past the configured failures
//!   per minute, every request from that address gets 403 until the minute
//!   ends. Scanners trying usernames are stopped the same way.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::auth::{challenge, Algorithm, DigestCredentials, NonceStatus, Nonces};
use super::metrics::SipMetrics;

/// An account as the authenticator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: i64,
    pub username: String,
    pub ha1_md5: String,
    pub ha1_sha256: String,
    /// New and active users may log in; locked and passive users may not.
    pub may_log_in: bool,
    /// Whether a successful login changes anything (failures to forget, or a
    /// new user to make active); when not, nothing is written.
    pub success_changes_state: bool,
}

/// A failure of the directory (the database), not of the client.
#[derive(Debug, thiserror::Error)]
#[error("directory unavailable: {0}")]
pub struct DirectoryError(pub String);

/// Where accounts live and where failures are counted. The store implements
/// it; the SIP layer knows nothing of SQL.
pub trait Directory: Send + Sync + 'static {
    fn account(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Account>, DirectoryError>> + Send;
    /// Counts a failure in a row; returns whether the user is now locked.
    fn login_failed(
        &self,
        user_id: i64,
        max_in_a_row: u32,
    ) -> impl Future<Output = Result<bool, DirectoryError>> + Send;
    fn login_succeeded(
        &self,
        user_id: i64,
    ) -> impl Future<Output = Result<(), DirectoryError>> + Send;
}

/// What the authenticator decided about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    Authenticated(Account),
    /// Answer 401 with fresh challenges (`stale` marks a merely old nonce).
    Challenge {
        stale: bool,
    },
    /// Answer 403 with this reason phrase.
    Forbidden(&'static str),
    /// The directory failed: answer 500 with Retry-After.
    Unavailable,
}

/// Settings of the authenticator.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub realm: String,
    /// Offered in this order.
    pub algorithms: Vec<Algorithm>,
    pub nonce_lifetime_ms: u64,
    pub max_failed_in_a_row: u32,
    pub failures_per_source_per_minute: u32,
}

pub struct Authenticator {
    settings: AuthSettings,
    nonces: Nonces,
    /// Per source address: the minute (Unix ms / 60 000) and failures in it.
    failures: Mutex<HashMap<IpAddr, (u64, u32)>>,
    metrics: Arc<SipMetrics>,
}

const TRACKED_NONCES: usize = 200_000;
const TRACKED_SOURCES: usize = 100_000;

impl Authenticator {
    pub fn new(settings: AuthSettings, metrics: Arc<SipMetrics>) -> Authenticator {
        Authenticator {
            nonces: Nonces::new(settings.nonce_lifetime_ms, TRACKED_NONCES),
            settings,
            failures: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    pub fn realm(&self) -> &str {
        &self.settings.realm
    }

    /// The WWW-Authenticate values of a 401, one per offered algorithm.
    pub fn challenges(&self, stale: bool, now_ms: u64) -> Vec<String> {
        SipMetrics::bump(&self.metrics.auth_challenges);
        if stale {
            SipMetrics::bump(&self.metrics.auth_stale);
        }
        self.settings
            .algorithms
            .iter()
            .map(|&alg| challenge(&self.settings.realm, &self.nonces.issue(now_ms), alg, stale))
            .collect()
    }

    /// Checks the Authorization values of a request made with `method` from
    /// `source` at `now_ms`.
    pub async fn check<D: Directory>(
        &self,
        directory: &D,
        authorizations: &[&str],
        method: &str,
        source: IpAddr,
        now_ms: u64,
    ) -> AuthOutcome {
        if self.source_blocked(source, now_ms) {
            SipMetrics::bump(&self.metrics.auth_rate_limited);
            return AuthOutcome::Forbidden("Too many failed attempts");
        }
        // Credentials for another realm are not for us (RFC 3261 section 22.4).
        let credentials = authorizations.iter().find_map(|value| {
            DigestCredentials::parse(value)
                .ok()
                .filter(|c| c.realm == self.settings.realm)
        });
        let Some(credentials) = credentials else {
            return AuthOutcome::Challenge { stale: false };
        };
        let (Ok(algorithm), Ok(count)) = (credentials.algorithm(), credentials.nonce_count())
        else {
            self.source_failed(source, now_ms);
            return AuthOutcome::Challenge { stale: false };
        };
        if !self.settings.algorithms.contains(&algorithm) {
            return AuthOutcome::Challenge { stale: false };
        }
        match self.nonces.check(&credentials.nonce, count, now_ms) {
            NonceStatus::Fresh => {}
            NonceStatus::Stale => return AuthOutcome::Challenge { stale: true },
            NonceStatus::Replayed | NonceStatus::Forged => {
                tracing::info!(%source, user = %credentials.username, "digest nonce replayed or not ours");
                self.source_failed(source, now_ms);
                return AuthOutcome::Challenge { stale: false };
            }
        }
        let account = match directory.account(&credentials.username).await {
            Ok(Some(account)) => account,
            Ok(None) => {
                SipMetrics::bump(&self.metrics.auth_failures);
                tracing::info!(%source, user = %credentials.username, "authentication for unknown user");
                self.source_failed(source, now_ms);
                return AuthOutcome::Challenge { stale: false };
            }
            Err(e) => {
                tracing::error!(error = %e, "account lookup failed");
                return AuthOutcome::Unavailable;
            }
        };
        if !account.may_log_in {
            tracing::info!(%source, user = %account.username, "authentication by a locked or passive user");
            return AuthOutcome::Forbidden("User locked or inactive");
        }
        let ha1 = match algorithm {
            Algorithm::Md5 => &account.ha1_md5,
            Algorithm::Sha256 => &account.ha1_sha256,
        };
        if credentials.verify(method, ha1).unwrap_or(false) {
            if account.success_changes_state {
                if let Err(e) = directory.login_succeeded(account.user_id).await {
                    tracing::error!(error = %e, "recording a successful login failed");
                }
            }
            return AuthOutcome::Authenticated(account);
        }
        SipMetrics::bump(&self.metrics.auth_failures);
        self.source_failed(source, now_ms);
        match directory
            .login_failed(account.user_id, self.settings.max_failed_in_a_row)
            .await
        {
            Ok(true) => {
                SipMetrics::bump(&self.metrics.users_locked);
                tracing::warn!(%source, user = %account.username, "user locked after too many failed logins");
                AuthOutcome::Forbidden("User locked or inactive")
            }
            Ok(false) => {
                tracing::info!(%source, user = %account.username, "wrong digest response");
                AuthOutcome::Challenge { stale: false }
            }
            Err(e) => {
                tracing::error!(error = %e, "recording a failed login failed");
                AuthOutcome::Unavailable
            }
        }
    }

    fn source_blocked(&self, source: IpAddr, now_ms: u64) -> bool {
        let minute = now_ms / 60_000;
        let failures = self.failures.lock().expect("failure table lock");
        matches!(failures.get(&source), Some(&(m, n)) if m == minute && n >= self.settings.failures_per_source_per_minute)
    }

    fn source_failed(&self, source: IpAddr, now_ms: u64) {
        let minute = now_ms / 60_000;
        let mut failures = self.failures.lock().expect("failure table lock");
        if failures.len() >= TRACKED_SOURCES {
            failures.retain(|_, (m, _)| *m == minute);
        }
        let entry = failures.entry(source).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        if entry.1 == self.settings.failures_per_source_per_minute {
            tracing::warn!(%source, "source refused for the rest of the minute: too many failed authentications");
        }
    }
}
