//! Digest authentication of INVITEs from users, with the registrar's
//! authenticator and accounts: one guard against guessing for both.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use crate::call::Authorize;
use crate::sip::authenticator::{Account, AuthOutcome, Authenticator, Directory, DirectoryError};

use super::StoreDirectory;

pub struct InviteAuth {
    pub auth: Arc<Authenticator>,
    pub directory: Arc<StoreDirectory>,
}

impl Authorize for InviteAuth {
    fn check<'a>(
        &'a self,
        authorizations: Vec<String>,
        method: &'a str,
        source: IpAddr,
        now_ms: u64,
        trunk: Option<(String, String, String)>,
    ) -> Pin<Box<dyn Future<Output = AuthOutcome> + Send + 'a>> {
        Box::pin(async move {
            let values: Vec<&str> = authorizations.iter().map(String::as_str).collect();
            match trunk {
                Some((username, ha1_md5, ha1_sha256)) => {
                    let trunk = TrunkAccount(Account {
                        user_id: 0,
                        username,
                        ha1_md5,
                        ha1_sha256,
                        may_log_in: true,
                        success_changes_state: false,
                    });
                    self.auth
                        .check(&trunk, &values, method, source, now_ms)
                        .await
                }
                None => {
                    self.auth
                        .check(&*self.directory, &values, method, source, now_ms)
                        .await
                }
            }
        })
    }

    fn challenges(&self, stale: bool, now_ms: u64) -> Vec<String> {
        self.auth.challenges(stale, now_ms)
    }
}

/// A trunk's credentials as the authenticator's directory: one account that
/// nothing is noted against (a carrier is not a person; the guard's limits
/// per source address still apply).
struct TrunkAccount(Account);

impl Directory for TrunkAccount {
    async fn account(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
        Ok((username == self.0.username).then(|| self.0.clone()))
    }

    fn login_failed(&self, _user_id: i64) {}

    async fn login_succeeded(&self, _user_id: i64) -> Result<(), DirectoryError> {
        Ok(())
    }
}
