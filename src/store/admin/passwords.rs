//! Login passwords as argon2 PHC strings (the argon2id defaults of the
//! `argon2` crate, a fresh salt each), hashed and verified on the blocking
//! threads since each takes tens of milliseconds by design.

use super::AdminError;
use crate::store::StoreError;

/// An argon2 PHC string of `password` (with a fresh salt), computed off the
/// async threads since it takes tens of milliseconds by design.
pub async fn hash_password(password: String) -> Result<String, AdminError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AdminError::Store(StoreError::Invalid(e.to_string())))?
    .map_err(|e| AdminError::Store(StoreError::Invalid(e.to_string())))
}

/// Whether `password` matches the PHC string `hash` (false when either is unreadable).
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}
