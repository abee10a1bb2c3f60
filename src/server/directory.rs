//! The store seen through the SIP layer's traits: accounts for digest
//! authentication and durable registrar bindings. The SIP layer knows nothing
//! of SQL; this adapter is where the two meet.
//!
//! Accounts are cached for a few seconds: a phone re-registering or a burst
//! of registrations then costs no database round trip. Every change the
//! server itself makes (a failure, a successful login) drops the
//! entry at once; a password set by another process (`switchboard extension
//! set`) takes effect within [`ACCOUNT_TTL`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sip::authenticator::{Account, Directory, DirectoryError};
use crate::sip::location::Binding;
use crate::sip::peer::{Peer, Transport};
use crate::sip::registrar::BindingStore;
use crate::store::{BindingRow, Store, StoreError, UserState};

/// How long a cached account is trusted.
pub const ACCOUNT_TTL: Duration = Duration::from_secs(5);

/// The most accounts cached; past it the cache is cleared.
const CACHE_LIMIT: usize = 100_000;

pub struct StoreDirectory {
    store: Store,
    accounts: Mutex<HashMap<String, (Instant, Account)>>,
}

impl StoreDirectory {
    pub fn new(store: Store) -> StoreDirectory {
        StoreDirectory {
            store,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    fn forget(&self, user_id: i64) {
        self.accounts
            .lock()
            .expect("account cache lock")
            .retain(|_, (_, a)| a.user_id != user_id);
    }
}

fn unavailable(e: StoreError) -> DirectoryError {
    DirectoryError(e.to_string())
}

impl Directory for StoreDirectory {
    async fn account(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
        if let Some((at, account)) = self
            .accounts
            .lock()
            .expect("account cache lock")
            .get(username)
        {
            if at.elapsed() < ACCOUNT_TTL {
                return Ok(Some(account.clone()));
            }
        }
        let credential = self
            .store
            .sip_credential(username)
            .await
            .map_err(unavailable)?;
        let account = credential.map(|c| Account {
            user_id: c.user_id,
            username: c.sip_username,
            ha1_md5: c.ha1_md5,
            ha1_sha256: c.ha1_sha256,
            may_log_in: c.state.may_log_in(),
            success_changes_state: c.failed_logins > 0 || c.state == UserState::New,
        });
        // Only accounts in good standing are cached: a locked, new or failing
        // user, or an unknown name, is read afresh each time, so an unlock
        // or a new extension takes effect at once.
        if let Some(a) = account
            .as_ref()
            .filter(|a| a.may_log_in && !a.success_changes_state)
        {
            let mut cache = self.accounts.lock().expect("account cache lock");
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(username.to_owned(), (Instant::now(), a.clone()));
        }
        Ok(account)
    }

    fn is_cached(&self, username: &str) -> bool {
        self.accounts
            .lock()
            .expect("account cache lock")
            .get(username)
            .is_some_and(|(at, _)| at.elapsed() < ACCOUNT_TTL)
    }

    fn login_failed(&self, user_id: i64) {
        self.forget(user_id);
        // Written behind the answer: an unknown name writes nothing, and the
        // two must not be told apart by their time.
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.record_login_failure(user_id).await {
                tracing::error!(error = %e, "recording a failed login failed");
            }
        });
    }

    async fn login_succeeded(&self, user_id: i64) -> Result<(), DirectoryError> {
        self.forget(user_id);
        self.store
            .record_login_success(user_id)
            .await
            .map_err(unavailable)
    }
}

impl BindingStore for StoreDirectory {
    async fn save(&self, sets: Vec<(String, Vec<Binding>)>) -> Result<(), DirectoryError> {
        let rows: Vec<(String, Vec<BindingRow>)> = sets
            .into_iter()
            .map(|(aor, bindings)| {
                let rows = bindings.iter().map(|b| to_row(&aor, b)).collect();
                (aor, rows)
            })
            .collect();
        self.store
            .replace_bindings(&rows)
            .await
            .map_err(unavailable)
    }
}

fn to_row(aor: &str, b: &Binding) -> BindingRow {
    BindingRow {
        aor: aor.to_owned(),
        contact: b.contact.clone(),
        expires_at_ms: i64::try_from(b.expires_at_ms).unwrap_or(i64::MAX),
        q: b.q,
        call_id: b.call_id.clone(),
        cseq: b.cseq,
        transport: b.source.transport.as_str().to_owned(),
        source: b.source.addr.to_string(),
        user_agent: b.user_agent.clone(),
    }
}

/// A stored binding back in the location service. Stream connections do not
/// survive a restart, so the binding keeps only the transport and address; a
/// row that cannot be read is skipped and logged.
pub fn from_row(row: BindingRow) -> Option<(String, Binding)> {
    let transport = Transport::from_token(&row.transport);
    let addr: Option<SocketAddr> = row.source.parse().ok();
    let (Some(transport), Some(addr)) = (transport, addr) else {
        tracing::warn!(aor = %row.aor, contact = %row.contact, "stored binding with an unreadable source skipped");
        return None;
    };
    Some((
        row.aor,
        Binding {
            contact: row.contact,
            expires_at_ms: u64::try_from(row.expires_at_ms).unwrap_or(0),
            q: row.q,
            call_id: row.call_id,
            cseq: row.cseq,
            source: Peer {
                transport,
                addr,
                connection: None,
            },
            user_agent: row.user_agent,
        },
    ))
}
