//! Users and their SIP credentials (extensions), and the login-failure
//! counter behind the product's `locked` user state.

use std::time::SystemTime;

use sqlx::Row;

use super::{unix_ms, Store, StoreError};

/// The product's user states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserState {
    /// Created, never logged in yet.
    New,
    Active,
    /// Locked by an administrator; a password reset unlocks.
    Locked,
    /// Kept for history; cannot log in.
    Passive,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::New => "new",
            UserState::Active => "active",
            UserState::Locked => "locked",
            UserState::Passive => "passive",
        }
    }

    fn parse(s: &str) -> Result<UserState, StoreError> {
        match s {
            "new" => Ok(UserState::New),
            "active" => Ok(UserState::Active),
            "locked" => Ok(UserState::Locked),
            "passive" => Ok(UserState::Passive),
            other => Err(StoreError::Invalid(format!("unknown user state {other:?}"))),
        }
    }

    /// Whether a user in this state may authenticate at all.
    pub fn may_log_in(self) -> bool {
        matches!(self, UserState::New | UserState::Active)
    }
}

/// What the registrar needs to check a digest response for one SIP username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipCredential {
    pub user_id: i64,
    pub sip_username: String,
    pub realm: String,
    pub ha1_md5: String,
    pub ha1_sha256: String,
    pub state: UserState,
    /// Failed logins in a row so far.
    pub failed_logins: u32,
}

impl Store {
    /// Looks up the credential of a SIP username.
    pub async fn sip_credential(
        &self,
        sip_username: &str,
    ) -> Result<Option<SipCredential>, StoreError> {
        let row = sqlx::query(
            "SELECT e.user_id, e.sip_username, e.realm, e.ha1_md5, e.ha1_sha256, u.state, u.failed_logins \
             FROM extensions e JOIN users u ON u.id = e.user_id WHERE e.sip_username = $1",
        )
        .bind(sip_username)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(SipCredential {
                user_id: row.try_get(0)?,
                sip_username: row.try_get(1)?,
                realm: row.try_get(2)?,
                ha1_md5: row.try_get(3)?,
                ha1_sha256: row.try_get(4)?,
                state: UserState::parse(row.try_get::<&str, _>(5)?)?,
                failed_logins: u32::try_from(row.try_get::<i64, _>(6)?).unwrap_or(u32::MAX),
            })
        })
        .transpose()
    }

    /// Creates the extension `sip_username` (and its user, of the same username,
    /// when missing) or replaces its credentials. This is the administrator's
    /// password reset: it clears the failure counter and unlocks a locked user.
    /// Returns the user's id.
    pub async fn set_extension(
        &self,
        sip_username: &str,
        realm: &str,
        ha1_md5: &str,
        ha1_sha256: &str,
    ) -> Result<i64, StoreError> {
        let now = unix_ms(SystemTime::now());
        let mut tx = self.pool().begin().await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM extensions WHERE sip_username = $1")
                .bind(sip_username)
                .fetch_optional(&mut *tx)
                .await?;
        let user_id = match existing {
            Some(id) => id,
            None => {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                        .bind(sip_username)
                        .fetch_optional(&mut *tx)
                        .await?;
                match found {
                    Some(id) => id,
                    None => {
                        sqlx::query_scalar(
                            "INSERT INTO users (username, state, created_at, updated_at) \
                             VALUES ($1, 'new', $2, $3) RETURNING id",
                        )
                        .bind(sip_username)
                        .bind(now)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                }
            }
        };
        write_credentials(
            &mut tx,
            user_id,
            sip_username,
            realm,
            (ha1_md5, ha1_sha256),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Counts one failed login of a user, for the administrator to see
    /// (`failed_logins`, failures in a row). It changes no state: repeated
    /// failures are answered by the login guard's back-off, which expires,
    /// not by a lock a stranger could impose.
    pub async fn record_login_failure(&self, user_id: i64) -> Result<(), StoreError> {
        let now = unix_ms(SystemTime::now());
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(user_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// How many users exist (a new database has none).
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?)
    }

    /// A successful login ends a run of failures and makes a new user active.
    pub async fn record_login_success(&self, user_id: i64) -> Result<(), StoreError> {
        let now = unix_ms(SystemTime::now());
        sqlx::query(
            "UPDATE users SET failed_logins = 0, state = 'active', updated_at = $1 \
             WHERE id = $2 AND (failed_logins <> 0 OR state = 'new')",
        )
        .bind(now)
        .bind(user_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// Writes the SIP credentials of `sip_username` for `user_id` (creating the
/// extension or replacing its HA1 values) and unlocks the user: the one way
/// an extension's password is set, from the CLI and from the admin API.
pub(crate) async fn write_credentials(
    conn: &mut crate::store::DbConnection,
    user_id: i64,
    sip_username: &str,
    realm: &str,
    (ha1_md5, ha1_sha256): (&str, &str),
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO extensions (user_id, sip_username, realm, ha1_md5, ha1_sha256, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (sip_username) DO UPDATE SET realm = excluded.realm, \
         ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(sip_username)
    .bind(realm)
    .bind(ha1_md5)
    .bind(ha1_sha256)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE users SET failed_logins = 0, updated_at = $1, \
         state = CASE WHEN state = 'locked' THEN 'active' ELSE state END WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    #[tokio::test]
    async fn an_extension_is_found_with_its_credentials() {
        let (store, _dir) = temp_store().await;
        assert_eq!(store.sip_credential("1001").await.unwrap(), None);
        let user = store
            .set_extension("1001", "example.com", "aa", "bb")
            .await
            .unwrap();
        let cred = store.sip_credential("1001").await.unwrap().unwrap();
        assert_eq!(cred.user_id, user);
        assert_eq!(cred.realm, "example.com");
        assert_eq!(
            (cred.ha1_md5.as_str(), cred.ha1_sha256.as_str()),
            ("aa", "bb")
        );
        assert_eq!(cred.state, UserState::New);
    }

    #[tokio::test]
    async fn failures_are_counted_but_lock_no_one() {
        let (store, _dir) = temp_store().await;
        let user = store.set_extension("1001", "r", "a", "b").await.unwrap();
        for _ in 0..10 {
            store.record_login_failure(user).await.unwrap();
        }
        let cred = store.sip_credential("1001").await.unwrap().unwrap();
        assert_eq!(cred.failed_logins, 10);
        assert_eq!(cred.state, UserState::New);
    }

    #[tokio::test]
    async fn a_success_ends_the_run_of_failures_and_a_reset_unlocks() {
        let (store, _dir) = temp_store().await;
        let user = store.set_extension("1001", "r", "a", "b").await.unwrap();
        store.record_login_failure(user).await.unwrap();
        store.record_login_failure(user).await.unwrap();
        store.record_login_success(user).await.unwrap();
        let cred = store.sip_credential("1001").await.unwrap().unwrap();
        assert_eq!((cred.failed_logins, cred.state), (0, UserState::Active));
        // Locked by hand, the user is unlocked by the password reset.
        sqlx::query("UPDATE users SET state = 'locked' WHERE id = $1")
            .bind(user)
            .execute(store.pool())
            .await
            .unwrap();
        store.set_extension("1001", "r", "c", "d").await.unwrap();
        let cred = store.sip_credential("1001").await.unwrap().unwrap();
        assert_eq!(cred.state, UserState::Active);
        assert_eq!(cred.ha1_md5, "c");
    }
}
