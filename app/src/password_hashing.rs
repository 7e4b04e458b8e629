//! Password hashing with a bound. Each argon2id hash takes 19 MiB and tens of milliseconds of one
//! CPU: run unbounded, a burst of sign-in or sign-up requests is a lever on the server's memory
//! and on every other request's latency. At most `permits` hashes run at once (about the CPU
//! count); a request that finds no permit free within a short wait is answered at once with
//! [`AppError::Busy`] (503 with `Retry-After`) instead of queueing without end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// What a busy answer tells the client to wait before trying again.
pub const RETRY_AFTER_SECS: u32 = 2;

/// The one gate every password hash of this server instance goes through (held in `AppState`).
#[derive(Clone)]
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
    capacity: usize,
    wait: Duration,
    counters: Arc<Counters>,
}

/// Observed, not enforced: tests read them to prove the bound (RSS is too noisy to assert on).
#[derive(Default)]
struct Counters {
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    runs: AtomicU64,
}

/// Leaves the in-flight count right even when the hashing task panics.
struct InFlight<'a>(&'a Counters);

impl<'a> InFlight<'a> {
    fn enter(counters: &'a Counters) -> Self {
        let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        counters.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        counters.runs.fetch_add(1, Ordering::SeqCst);
        Self(counters)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn argon2() -> Argon2<'static> {
    // Argon2id v19 with the crate's defaults (19 MiB, 2 passes): OWASP's recommended minimum.
    Argon2::default()
}

impl PasswordHashing {
    /// `permits` hashes at once (0: one per CPU); a request waits at most `wait` for a permit.
    pub fn new(permits: usize, wait: Duration) -> Self {
        let capacity = if permits == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            permits
        };
        Self {
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            wait,
            counters: Arc::default(),
        }
    }

    /// How many hashes may run at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most hashes that have run at the same time since start.
    pub fn peak_in_flight(&self) -> usize {
        self.counters.peak_in_flight.load(Ordering::SeqCst)
    }

    /// How many hashes (new or verified) have run since start.
    pub fn runs(&self) -> u64 {
        self.counters.runs.load(Ordering::SeqCst)
    }

    /// Runs `work` on a blocking thread once a permit is free; `Busy` when none frees in time.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit =
            match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(closed)) => return Err(AppError::internal(closed)),
                Err(_) => {
                    tracing::warn!(capacity = self.capacity, "password hashing is saturated");
                    return Err(AppError::Busy {
                        retry_after_secs: RETRY_AFTER_SECS,
                    });
                }
            };
        let counters = self.counters.clone();
        // Hashing is CPU-bound for tens of milliseconds: keep it off the async workers. The
        // permit moves into the task, so it is held until the hash is done even if the request
        // that asked for it is dropped meanwhile.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _in_flight = InFlight::enter(&counters);
            work()
        })
        .await
        .map_err(AppError::internal)
    }

    /// A new argon2id hash of `password`, in PHC string form.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_owned();
        self.bounded(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(AppError::internal)
        })
        .await?
    }

    /// Whether `password` matches `hash` (a malformed hash matches nothing).
    pub async fn verify(&self, hash: String, password: &str) -> Result<bool, AppError> {
        let password = password.to_owned();
        self.bounded(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
    }
}

/// A hash made once per process outside the gate (at first use, not per request), for the
/// unknown-email path to verify against.
pub fn unbounded_hash_once(password: &[u8]) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_permits() {
        let hashing = PasswordHashing::new(2, Duration::from_secs(60));
        let hash = hashing.hash("correct horse battery").await.unwrap();
        let checks = (0..8).map(|_| {
            let hashing = hashing.clone();
            let hash = hash.clone();
            tokio::spawn(async move { hashing.verify(hash, "correct horse battery").await })
        });
        for check in futures::future::join_all(checks).await {
            assert_eq!(check.unwrap(), Ok(true));
        }
        assert_eq!(hashing.runs(), 9);
        assert!(
            hashing.peak_in_flight() <= 2,
            "{}",
            hashing.peak_in_flight()
        );
    }

    #[tokio::test]
    async fn a_request_finding_no_free_permit_in_time_is_told_to_retry() {
        let hashing = PasswordHashing::new(1, Duration::from_millis(1));
        let held = hashing.permits.clone().acquire_owned().await.unwrap();
        let busy = hashing.hash("correct horse battery").await.unwrap_err();
        assert_eq!(
            busy,
            AppError::Busy {
                retry_after_secs: RETRY_AFTER_SECS
            }
        );
        assert_eq!(busy.status(), 503);
        assert_eq!(hashing.runs(), 0);
        drop(held);
        assert!(hashing.hash("correct horse battery").await.is_ok());
    }
}
