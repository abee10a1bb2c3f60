//! Login passwords as argon2 PHC strings (argon2id with the `argon2`
//! crate's default parameters, a fresh salt each), hashed and verified on the
//! blocking threads since each takes tens of milliseconds by design.
//!
//! Each computation needs about 19 MiB of working memory. Left to the
//! allocator, a burst of failed logins from anyone on the network grows the
//! process by that much per login in flight and does not give it back. So
//! the computations are bounded, one per core ([`Passwords`] holds that many
//! permits), and each permit owns one reused memory buffer: memory spent on
//! passwords is constant, whatever arrives. A login that cannot get a permit
//! within [`WAIT`] is refused as busy, to be tried again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use super::AdminError;
use crate::store::StoreError;

/// How long a verification waits for a free permit before it is refused.
pub const WAIT: Duration = Duration::from_secs(1);

/// The largest working memory a stored hash may ask for (in 1 KiB blocks);
/// a hash asking more does not match.
const MAX_BLOCKS: usize = 256 * 1024;

/// A stored hash to verify against when the username is unknown, so both
/// failures take the same work: the default parameters, a salt, and an
/// output no password gives in practice.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$\
     c3dpdGNoYm9hcmRkZWNveQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The computations in flight could not start within [`WAIT`].
#[derive(Debug, thiserror::Error)]
#[error("too many password checks in progress")]
pub struct Busy;

/// The bounded, memory-reusing password hasher of one store.
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// One working memory per permit, allocated on first use and kept.
    memories: Mutex<Vec<Vec<Block>>>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("free", &self.permits.available_permits())
            .finish()
    }
}

impl Passwords {
    /// At most `parallel` computations at once (at least one).
    pub fn new(parallel: usize) -> Passwords {
        Passwords {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            memories: Mutex::new(Vec::new()),
        }
    }

    /// One computation per core.
    pub fn per_core() -> Passwords {
        Passwords::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Runs `f` with a permit and its working memory on a blocking thread,
    /// waiting at most `wait` for the permit.
    async fn run<T: Send + 'static>(
        &self,
        wait: Option<Duration>,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit = match wait {
            Some(wait) => tokio::time::timeout(wait, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| Busy)?,
            None => self.permits.clone().acquire_owned().await,
        }
        .map_err(|_| Busy)?;
        let mut memory = self
            .memories
            .lock()
            .expect("password memory lock")
            .pop()
            .unwrap_or_default();
        let (result, memory) = tokio::task::spawn_blocking(move || {
            let result = f(&mut memory);
            (result, memory)
        })
        .await
        .map_err(|_| Busy)?;
        self.memories
            .lock()
            .expect("password memory lock")
            .push(memory);
        drop(permit);
        Ok(result)
    }

    /// An argon2 PHC string of `password` (with a fresh salt). An
    /// administrator's act, so it waits for its turn however long.
    pub async fn hash(&self, password: String) -> Result<String, AdminError> {
        self.run(None, move |memory| hash_with(memory, password.as_bytes()))
            .await
            .map_err(|e| AdminError::Store(StoreError::Invalid(e.to_string())))?
            .map_err(|e| AdminError::Store(StoreError::Invalid(e.to_string())))
    }

    /// Whether `password` matches the PHC string `hash` (false when either is
    /// unreadable), or [`Busy`] when no permit came free within [`WAIT`].
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Busy> {
        self.run(Some(WAIT), move |memory| {
            verify_with(memory, password.as_bytes(), &hash)
        })
        .await
    }
}

/// `memory` grown to `blocks` when smaller; its first `blocks` blocks.
fn working(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    &mut memory[..blocks]
}

fn hash_with(
    memory: &mut Vec<Block>,
    password: &[u8],
) -> Result<String, argon2::password_hash::Error> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let blocks = params.block_count();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt_bytes, &mut out, working(memory, blocks))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out)?),
    };
    Ok(phc.to_string())
}

fn verify_with(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt_bytes, &mut out, working(memory, blocks))
        .is_ok()
        // Output compares in constant time.
        && Output::new(&out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_the_crate_agrees() {
        let p = Passwords::new(2);
        let phc = p.hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(p.verify("correct horse".into(), phc.clone()).await.unwrap());
        assert!(!p.verify("wrong horse".into(), phc.clone()).await.unwrap());
        // Hashes made by the crate's own allocating path (earlier releases)
        // still verify, and ours verify there.
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let old = Argon2::default()
            .hash_password(b"old one", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(p.verify("old one".into(), old).await.unwrap());
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
    }

    #[tokio::test]
    async fn the_decoy_is_readable_and_matches_nothing() {
        let p = Passwords::new(1);
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!p.verify("".into(), DECOY_HASH.into()).await.unwrap());
        assert!(!p.verify("x".into(), "not a hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn the_working_memory_is_one_buffer_per_permit_reused() {
        let p = Passwords::new(2);
        for _ in 0..6 {
            p.verify("x".into(), DECOY_HASH.into()).await.unwrap();
        }
        let memories = p.memories.lock().unwrap();
        assert_eq!(memories.len(), 1);
        assert_eq!(memories[0].len(), Params::default().block_count());
    }
}
