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
//!   within a minute of the first one, every request from that address gets
//!   403 until that minute ends. Scanners trying usernames are stopped the
//!   same way.

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
    /// Per source address: when its current minute-long window began (Unix
    /// ms) and the failures in it. The window opens at the first failure, so
    /// a burst is never split across two windows.
    failures: Mutex<HashMap<IpAddr, (u64, u32)>>,
    metrics: Arc<SipMetrics>,
}

const TRACKED_NONCES: usize = 200_000;
const TRACKED_SOURCES: usize = 100_000;
const FAILURE_WINDOW_MS: u64 = 60_000;

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
        let failures = self.failures.lock().expect("failure table lock");
        matches!(failures.get(&source), Some(&(start, n))
            if now_ms.saturating_sub(start) < FAILURE_WINDOW_MS
                && n >= self.settings.failures_per_source_per_minute)
    }

    fn source_failed(&self, source: IpAddr, now_ms: u64) {
        let mut failures = self.failures.lock().expect("failure table lock");
        if failures.len() >= TRACKED_SOURCES {
            failures.retain(|_, (start, _)| now_ms.saturating_sub(*start) < FAILURE_WINDOW_MS);
        }
        let entry = failures.entry(source).or_insert((now_ms, 0));
        if now_ms.saturating_sub(entry.0) >= FAILURE_WINDOW_MS {
            *entry = (now_ms, 0);
        }
        entry.1 += 1;
        if entry.1 == self.settings.failures_per_source_per_minute {
            tracing::warn!(%source, "source refused for a minute: too many failed authentications");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::ha1;
    use std::net::Ipv4Addr;

    /// An in-memory directory with one user, counting failures like the store.
    struct OneUser {
        account: Mutex<Account>,
        failures: Mutex<u32>,
    }

    impl OneUser {
        fn new() -> OneUser {
            OneUser {
                account: Mutex::new(Account {
                    user_id: 7,
                    username: "1001".into(),
                    ha1_md5: ha1(Algorithm::Md5, "1001", "test.local", "pw"),
                    ha1_sha256: ha1(Algorithm::Sha256, "1001", "test.local", "pw"),
                    may_log_in: true,
                    success_changes_state: false,
                }),
                failures: Mutex::new(0),
            }
        }
    }

    impl Directory for OneUser {
        async fn account(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
            let a = self.account.lock().unwrap().clone();
            Ok((a.username == username).then_some(a))
        }
        async fn login_failed(&self, _: i64, max: u32) -> Result<bool, DirectoryError> {
            let mut f = self.failures.lock().unwrap();
            *f += 1;
            let locked = *f >= max;
            if locked {
                self.account.lock().unwrap().may_log_in = false;
            }
            Ok(locked)
        }
        async fn login_succeeded(&self, _: i64) -> Result<(), DirectoryError> {
            *self.failures.lock().unwrap() = 0;
            Ok(())
        }
    }

    fn authenticator(per_source: u32) -> Authenticator {
        Authenticator::new(
            AuthSettings {
                realm: "test.local".into(),
                algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
                nonce_lifetime_ms: 10_000,
                max_failed_in_a_row: 3,
                failures_per_source_per_minute: per_source,
            },
            Arc::new(SipMetrics::default()),
        )
    }

    /// The Authorization a client computes for the first challenge offered.
    fn answer(auth: &Authenticator, user: &str, password: &str, now: u64) -> String {
        let challenge = auth.challenges(false, now).remove(0);
        let nonce = challenge
            .split("nonce=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let creds = DigestCredentials {
            username: user.into(),
            realm: "test.local".into(),
            nonce: nonce.into(),
            uri: "sip:test.local".into(),
            response: String::new(),
            algorithm: Some("SHA-256".into()),
            cnonce: Some("abc".into()),
            opaque: None,
            qop: Some("auth".into()),
            nc: Some("00000001".into()),
        };
        let h = ha1(Algorithm::Sha256, user, "test.local", password);
        let response = creds.expected_response("REGISTER", &h).unwrap();
        format!(
            "Digest username=\"{user}\", realm=\"test.local\", nonce=\"{nonce}\", uri=\"sip:test.local\", \
             response=\"{response}\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"abc\""
        )
    }

    const HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

    #[tokio::test]
    async fn challenges_come_in_the_configured_order() {
        let auth = authenticator(100);
        let values = auth.challenges(false, 0);
        assert!(values[0].contains("algorithm=SHA-256"));
        assert!(values[1].contains("algorithm=MD5"));
        assert!(auth.challenges(true, 0)[0].ends_with("stale=true"));
    }

    #[tokio::test]
    async fn the_right_password_authenticates_and_a_replay_does_not() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        let value = answer(&auth, "1001", "pw", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        assert!(matches!(outcome, AuthOutcome::Authenticated(a) if a.user_id == 7));
        let again = auth.check(&dir, &[&value], "REGISTER", HOST, 1_001).await;
        assert_eq!(again, AuthOutcome::Challenge { stale: false });
    }

    #[tokio::test]
    async fn an_old_nonce_is_stale_not_a_failure() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        let value = answer(&auth, "1001", "pw", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 20_000).await;
        assert_eq!(outcome, AuthOutcome::Challenge { stale: true });
        assert_eq!(*dir.failures.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn failures_in_a_row_lock_the_user() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        for _ in 0..2 {
            let value = answer(&auth, "1001", "wrong", 1_000);
            let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
            assert_eq!(outcome, AuthOutcome::Challenge { stale: false });
        }
        let value = answer(&auth, "1001", "wrong", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        assert_eq!(outcome, AuthOutcome::Forbidden("User locked or inactive"));
        let value = answer(&auth, "1001", "pw", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        assert_eq!(outcome, AuthOutcome::Forbidden("User locked or inactive"));
    }

    #[tokio::test]
    async fn a_guessing_source_is_refused_until_the_minute_ends() {
        let (auth, dir) = (authenticator(2), OneUser::new());
        for user in ["x1", "x2"] {
            let value = answer(&auth, user, "guess", 1_000);
            auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        }
        let value = answer(&auth, "1001", "pw", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 2_000).await;
        assert_eq!(outcome, AuthOutcome::Forbidden("Too many failed attempts"));
        // Another address is not affected, and the next minute starts clean.
        let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let value = answer(&auth, "1001", "pw", 2_000);
        assert!(matches!(
            auth.check(&dir, &[&value], "REGISTER", other, 2_000).await,
            AuthOutcome::Authenticated(_)
        ));
        let value = answer(&auth, "1001", "pw", 61_000);
        assert!(matches!(
            auth.check(&dir, &[&value], "REGISTER", HOST, 61_000).await,
            AuthOutcome::Authenticated(_)
        ));
    }

    #[tokio::test]
    async fn credentials_for_another_realm_are_not_ours() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        let value =
            answer(&auth, "1001", "pw", 1_000).replace("test.local\", nonce", "elsewhere\", nonce");
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        assert_eq!(outcome, AuthOutcome::Challenge { stale: false });
    }
}
