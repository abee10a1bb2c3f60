//! A user's SIP extensions: the credentials phones register with, kept as
//! the digest HA1s for the registrar's realm (RFC 7616 section 3.4.2), never
//! the password. An extension belongs to one user.

use super::users::{get_in, User};
use super::{duplicate, now_ms, AdminError};
use crate::store::Store;

/// A SIP username: 1 to 32 letters, digits, `.`, `_` or `-`.
pub fn extension_problem(sip_username: &str) -> Option<&'static str> {
    let ok = !sip_username.is_empty()
        && sip_username.len() <= 32
        && sip_username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    (!ok).then_some("must be 1 to 32 letters, digits, '.', '_' or '-'")
}

/// Gives user `id` the extension `sip_username` with the digest HA1s of its
/// SIP password, or replaces them. As with `switchboard extension set`, new
/// SIP credentials end a run of failed logins and unlock a locked user. An
/// extension of another user is a conflict.
pub async fn set_extension(
    store: &Store,
    id: i64,
    sip_username: &str,
    realm: &str,
    ha1_md5: &str,
    ha1_sha256: &str,
) -> Result<User, AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "users", id).await? {
        return Err(AdminError::NotFound("user"));
    }
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM extensions WHERE sip_username = $1")
            .bind(sip_username)
            .fetch_optional(&mut *tx)
            .await?;
    if owner.is_some_and(|o| o != id) {
        return Err(duplicate("sip_username", "extension", sip_username));
    }
    let now = now_ms();
    crate::store::users::write_credentials(
        &mut tx,
        id,
        sip_username,
        realm,
        (ha1_md5, ha1_sha256),
        now,
    )
    .await?;
    let user = get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(user)
}

/// Takes the extension `sip_username` from user `id`.
pub async fn remove_extension(
    store: &Store,
    id: i64,
    sip_username: &str,
) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM extensions WHERE user_id = $1 AND sip_username = $2")
        .bind(id)
        .bind(sip_username)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("extension"));
    }
    Ok(())
}
