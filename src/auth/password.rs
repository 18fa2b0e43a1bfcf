//! Password hashing with argon2id at OWASP parameters, on a bounded pool.
//!
//! Each hash costs ~38 ms of one core and 19 MiB. Hashing runs on a few dedicated threads,
//! never on the async workers or the shared blocking pool: at most `permits` hashes at once,
//! so a flood of logins queues here instead of starving answer submission (performance
//! target P7), and only those threads ever hold the 19 MiB blocks, so memory stays flat
//! instead of every pool thread's allocator keeping one (P6). A request that cannot get a
//! slot quickly is refused.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::secret::random_bytes;

/// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&random_bytes(16))
        .map_err(|e| AppError::internal(format!("salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("hash: {e}")))
}

fn verify_now(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    jobs: std::sync::mpsc::Sender<Job>,
    /// Verified against when the email is unknown, so both cases cost the same.
    dummy: Arc<String>,
}

impl Hasher {
    pub fn new(permits: usize) -> Result<Self, AppError> {
        let permits = permits.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..permits {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("candor-hash-{i}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .map_err(|e| AppError::caused("hash thread", e))?;
        }
        Ok(Self {
            slots: Arc::new(Semaphore::new(permits)),
            jobs,
            dummy: Arc::new(hash_now("candor-dummy-password-for-timing")?),
        })
    }

    /// Runs `f` on one of the hashing threads.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // The request that asked may have gone away (the client hung up): then there
                // is nobody to hand the result to, and nothing to undo.
                if tx.send(f()).is_err() {
                    tracing::debug!(target: "candor", "a hashing result had no one waiting");
                }
            }))
            .map_err(|_| AppError::internal("the hashing threads stopped"))?;
        rx.await
            .map_err(|_| AppError::internal("a hashing job was lost"))
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(Duration::from_secs(5), self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::TooManyAttempts { retry_after: 5 }),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.slot().await?;
        self.run(move || hash_now(&password)).await?
    }

    /// Checks a password against a stored hash, or against the dummy when there is none.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, AppError> {
        let _permit = self.slot().await?;
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = self.run(move || verify_now(&hash, &password)).await?;
        Ok(ok && known)
    }
}
