//! Digest authentication of INVITEs from users, with the registrar's
//! authenticator and accounts: one lockout and one per-source limit for both.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use crate::call::Authorize;
use crate::sip::authenticator::{AuthOutcome, Authenticator};

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
    ) -> Pin<Box<dyn Future<Output = AuthOutcome> + Send + 'a>> {
        Box::pin(async move {
            let values: Vec<&str> = authorizations.iter().map(String::as_str).collect();
            self.auth
                .check(&*self.directory, &values, method, source, now_ms)
                .await
        })
    }

    fn challenges(&self, stale: bool, now_ms: u64) -> Vec<String> {
        self.auth.challenges(stale, now_ms)
    }
}
