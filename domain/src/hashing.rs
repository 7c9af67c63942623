//! The server's hash of auth keys: Argon2id, stored as a PHC string. The auth key already
//! carries 256 bits of entropy (it is derived from the password in the browser); this hash only
//! makes a stolen database slow to test guesses against.
//!
//! Every hash runs under a budget ([`Hasher`]): at most `hash_concurrency` at once (each holds
//! 19 MiB), at most `hash_queue` more waiting, and anything beyond that is refused at once with
//! [`DomainError::Busy`]. So the memory hashing can take is bounded by design, whatever the
//! number of logins in flight, and a flood is answered quickly instead of queued without end.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::Semaphore;

use crate::DomainError;

/// Runs auth-key hashes under the budget (see the module documentation).
pub(crate) struct Hasher {
    slots: Semaphore,
    /// Requests holding or waiting for a slot.
    admitted: AtomicUsize,
    /// Most requests that may hold or wait for a slot.
    capacity: usize,
}

/// Gives back an admission when the request ends, however it ends.
struct Admission<'a>(&'a AtomicUsize);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hasher {
    /// `concurrency` hashes at once (at least one), `queue` more waiting.
    pub(crate) fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        Hasher {
            slots: Semaphore::new(concurrency),
            admitted: AtomicUsize::new(0),
            capacity: concurrency.saturating_add(queue),
        }
    }

    /// Runs `work` (a hash) on the blocking pool when a slot is free, or refuses at once when
    /// the queue is full.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DomainError> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let _admission = Admission(&self.admitted);
        if before >= self.capacity {
            return Err(DomainError::Busy { retry_after: 1 });
        }
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| DomainError::internal("hashing: slots closed", e))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| DomainError::internal("hashing: task failed", e))
    }
}

fn server_argon2() -> Argon2<'static> {
    // OWASP's minimum setting: enough against guesses at a 256-bit key.
    let params = Params::new(19 * 1024, 2, 1, Some(32)).expect("valid Argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The stored form of an auth key: an Argon2id PHC string.
pub fn hash_auth_key(auth_key: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(server_argon2().hash_password(auth_key, &salt)?.to_string())
}

pub(crate) fn verify_auth_key(auth_key: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| server_argon2().verify_password(auth_key, &hash).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_never_more_run_at_a_time() {
        let hasher = Arc::new(Hasher::new(2, 3));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (hasher, running, most) = (hasher.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        let mut busy = 0;
        for task in tasks {
            if matches!(task.await.unwrap(), Err(DomainError::Busy { .. })) {
                busy += 1;
            }
        }
        assert_eq!(busy, 12 - 5, "2 running and 3 waiting are admitted");
        assert_eq!(most.load(Ordering::SeqCst), 2);
        // Everything given back: the next request runs.
        assert!(hasher.run(|| ()).await.is_ok());
    }

    #[test]
    fn a_stored_auth_hash_verifies_only_the_same_key() {
        let phc = hash_auth_key(&[7u8; 32]).unwrap();
        assert!(verify_auth_key(&[7u8; 32], &phc));
        assert!(!verify_auth_key(&[8u8; 32], &phc));
        assert!(!phc.contains(&hex::encode([7u8; 32])));
    }

    #[test]
    fn a_corrupt_stored_hash_never_verifies() {
        assert!(!verify_auth_key(&[7u8; 32], "not a hash"));
    }
}
