//! Who may use the server: digest authentication of requests (RFC 7616 over
//! RFC 3261 section 22) against the accounts of a [`Directory`], with the
//! limits on guessing of a [`LoginGuard`] (shared with the HTTP login).
//!
//! - A request without credentials is challenged (401), once per algorithm the
//!   server offers, in the configured order (section 3.7 of RFC 7616: the
//!   client takes the first it supports).
//! - A stale nonce is challenged again with `stale=true`; it is not a failure.
//! - A wrong response, for a known user or an unknown one, is challenged
//!   again after the same work (a response computed against a decoy for an
//!   unknown name, and one database read either way: an account answered
//!   from the directory's memory is read again), so neither the answer nor
//!   its time tells which names exist. It counts
//!   in the guard: failures in a row put that user into a growing back-off
//!   from that address, a source failing too often is refused for the rest of
//!   its minute; both are answered 403 until they end.
//! - Each wrong response also counts as a probe in the flood guard, when one
//!   is set ([`Authenticator::with_source_guard`]).
//! - Users an administrator locked, and passive users, get 403 only once
//!   their password is right; with a wrong one they are challenged like
//!   anyone else.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use super::auth::{challenge, Algorithm, DigestCredentials, NonceStatus, Nonces};
use super::login_guard::LoginGuard;
use super::metrics::SipMetrics;
use super::source_guard::shell::SharedGuard;

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

/// Where accounts live and where failures are noted. The store implements
/// it; the SIP layer knows nothing of SQL.
pub trait Directory: Send + Sync + 'static {
    fn account(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Account>, DirectoryError>> + Send;
    /// Notes a failed login of a user for the administrator. It must not
    /// make the answer wait (an unknown name has nothing to write, and the
    /// two must take the same time), and it changes no state.
    fn login_failed(&self, user_id: i64);
    fn login_succeeded(
        &self,
        user_id: i64,
    ) -> impl Future<Output = Result<(), DirectoryError>> + Send;
    /// Whether [`Directory::account`] would answer `username` from memory,
    /// without the database. A failed attempt on such an account reads the
    /// database once more, so that it takes the path of an unknown name.
    fn is_cached(&self, _username: &str) -> bool {
        false
    }
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

/// The reason phrase of a 403 to a guessing source or a user backing off.
pub const TOO_MANY_FAILURES: &str = "Too many failed attempts";

/// Settings of the authenticator.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub realm: String,
    /// Offered in this order.
    pub algorithms: Vec<Algorithm>,
    pub nonce_lifetime_ms: u64,
}

pub struct Authenticator {
    settings: AuthSettings,
    nonces: Nonces,
    guard: Arc<LoginGuard>,
    metrics: Arc<SipMetrics>,
    /// Told of every digest response that did not verify.
    sources: Option<Arc<SharedGuard>>,
}

const TRACKED_NONCES: usize = 200_000;

/// What a response is checked against when the username is unknown: the
/// same computation as for a real account, which no response matches.
const DECOY_HA1_MD5: &str = "00000000000000000000000000000000";
const DECOY_HA1_SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl Authenticator {
    pub fn new(
        settings: AuthSettings,
        guard: Arc<LoginGuard>,
        metrics: Arc<SipMetrics>,
    ) -> Authenticator {
        Authenticator {
            nonces: Nonces::new(settings.nonce_lifetime_ms, TRACKED_NONCES),
            settings,
            guard,
            metrics,
            sources: None,
        }
    }

    /// Counts each digest response that does not verify as a probe of its
    /// source in `sources`, the flood guard.
    pub fn with_source_guard(mut self, sources: Arc<SharedGuard>) -> Authenticator {
        self.sources = Some(sources);
        self
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
        if self.guard.source_refused(source, now_ms).is_some() {
            SipMetrics::bump(&self.metrics.auth_rate_limited);
            return AuthOutcome::Forbidden(TOO_MANY_FAILURES);
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
            // Unreadable credentials count against the address alone.
            let _ = self.guard.admit("", source, now_ms);
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
                let _ = self.guard.admit("", source, now_ms);
                return AuthOutcome::Challenge { stale: false };
            }
        }
        let user = credentials.username.as_str();
        if let Err(refusal) = self.guard.admit(user, source, now_ms) {
            SipMetrics::bump(&self.metrics.auth_rate_limited);
            tracing::debug!(%source, %user, ?refusal, "authentication refused: too many failures");
            return AuthOutcome::Forbidden(TOO_MANY_FAILURES);
        }
        let cached = directory.is_cached(user);
        let account = match directory.account(user).await {
            Ok(account) => account,
            Err(e) => {
                tracing::error!(error = %e, "account lookup failed");
                // Our failure, not the client's.
                self.guard.withdraw(user, source);
                return AuthOutcome::Unavailable;
            }
        };
        let (ha1_md5, ha1_sha256) = match &account {
            Some(a) => (a.ha1_md5.as_str(), a.ha1_sha256.as_str()),
            None => (DECOY_HA1_MD5, DECOY_HA1_SHA256),
        };
        let ha1 = match algorithm {
            Algorithm::Md5 => ha1_md5,
            Algorithm::Sha256 => ha1_sha256,
        };
        let right = credentials.verify(method, ha1).unwrap_or(false);
        match account {
            Some(account) if right => {
                self.guard.succeeded(user, source, now_ms);
                if !account.may_log_in {
                    tracing::info!(%source, %user, "authentication by a locked or passive user");
                    return AuthOutcome::Forbidden("User locked or inactive");
                }
                if account.success_changes_state {
                    if let Err(e) = directory.login_succeeded(account.user_id).await {
                        tracing::error!(error = %e, "recording a successful login failed");
                    }
                }
                AuthOutcome::Authenticated(account)
            }
            account => {
                SipMetrics::bump(&self.metrics.auth_failures);
                match account {
                    Some(a) => {
                        directory.login_failed(a.user_id);
                        if cached {
                            // An unknown name cost a database read; so does this.
                            let _ = directory.account(user).await;
                        }
                    }
                    None => tracing::debug!(%source, %user, "authentication for unknown user"),
                }
                tracing::info!(%source, %user, "wrong digest response");
                if let Some(sources) = &self.sources {
                    sources.probed(source);
                }
                if self.guard.backing_off(user, source, now_ms) {
                    SipMetrics::bump(&self.metrics.auth_backoffs);
                    tracing::warn!(%source, %user, "user refused from this address for a while: failures in a row");
                    return AuthOutcome::Forbidden(TOO_MANY_FAILURES);
                }
                AuthOutcome::Challenge { stale: false }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::auth::ha1;
    use crate::sip::login_guard::GuardSettings;
    use std::net::Ipv4Addr;
    use std::sync::Mutex;

    /// An in-memory directory with one user, counting failures like the store.
    struct OneUser {
        account: Mutex<Account>,
        failures: Mutex<u32>,
        /// Whether it claims to hold the account in memory.
        cached: bool,
        /// Reads that reached "the database": every read not from memory.
        reads: Mutex<u32>,
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
                cached: false,
                reads: Mutex::new(0),
            }
        }
    }

    impl Directory for OneUser {
        async fn account(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
            if !self.is_cached(username) {
                *self.reads.lock().unwrap() += 1;
            }
            let a = self.account.lock().unwrap().clone();
            Ok((a.username == username).then_some(a))
        }
        fn is_cached(&self, username: &str) -> bool {
            // Cached until a failure drops it, as the store's directory does.
            self.cached && username == "1001" && *self.failures.lock().unwrap() == 0
        }
        fn login_failed(&self, _: i64) {
            *self.failures.lock().unwrap() += 1;
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
            },
            Arc::new(LoginGuard::new(GuardSettings {
                failures_before_backoff: 3,
                backoff_ms: 60_000,
                max_backoff_ms: 600_000,
                failures_per_source_per_minute: per_source,
                failures_per_user_per_minute: 100,
            })),
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
    async fn failures_in_a_row_back_off_that_address_only_and_expire() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        for _ in 0..2 {
            let value = answer(&auth, "1001", "wrong", 1_000);
            let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
            assert_eq!(outcome, AuthOutcome::Challenge { stale: false });
        }
        let value = answer(&auth, "1001", "wrong", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        assert_eq!(outcome, AuthOutcome::Forbidden(TOO_MANY_FAILURES));
        assert_eq!(*dir.failures.lock().unwrap(), 3);
        let value = answer(&auth, "1001", "pw", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 2_000).await;
        assert_eq!(outcome, AuthOutcome::Forbidden(TOO_MANY_FAILURES));
        // The user from another address, and from this one once the minute
        // of back-off is over, gets in.
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
    async fn an_unknown_user_is_answered_like_a_wrong_password() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        let mut outcomes = Vec::new();
        for user in ["1001", "9999"] {
            for _ in 0..3 {
                let value = answer(&auth, user, "wrong", 1_000);
                outcomes.push(auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await);
            }
        }
        assert_eq!(outcomes[..3], outcomes[3..]);
    }

    #[tokio::test]
    async fn a_wrong_password_reads_the_directory_once_like_an_unknown_name() {
        for cached in [false, true] {
            let auth = authenticator(100);
            let dir = OneUser {
                cached,
                ..OneUser::new()
            };
            for user in ["1001", "9999"] {
                let before = *dir.reads.lock().unwrap();
                let value = answer(&auth, user, "wrong", 1_000);
                auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
                assert_eq!(
                    *dir.reads.lock().unwrap() - before,
                    1,
                    "{user}, cached {cached}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_locked_user_is_told_so_only_with_the_right_password() {
        let (auth, dir) = (authenticator(100), OneUser::new());
        dir.account.lock().unwrap().may_log_in = false;
        let value = answer(&auth, "1001", "wrong", 1_000);
        let outcome = auth.check(&dir, &[&value], "REGISTER", HOST, 1_000).await;
        assert_eq!(outcome, AuthOutcome::Challenge { stale: false });
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
        assert_eq!(outcome, AuthOutcome::Forbidden(TOO_MANY_FAILURES));
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
