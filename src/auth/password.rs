//! Password hashing with argon2id at OWASP parameters, on a bounded pool.
//!
//! Each hash costs ~38 ms of one core. Hashing runs off the async workers and at most
//! `permits` at a time, so a flood of logins queues here instead of starving answer
//! submission (performance target P7); a request that cannot get a slot quickly is refused.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::db::blocking;
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

#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both cases cost the same.
    dummy: Arc<String>,
}

impl Hasher {
    pub fn new(permits: usize) -> Result<Self, AppError> {
        Ok(Self {
            slots: Arc::new(Semaphore::new(permits.max(1))),
            dummy: Arc::new(hash_now("candor-dummy-password-for-timing")?),
        })
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(Duration::from_secs(5), self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::TooManyAttempts { retry_after: 5 }),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.slot().await?;
        blocking(move || hash_now(&password)).await
    }

    /// Checks a password against a stored hash, or against the dummy when there is none.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, AppError> {
        let _permit = self.slot().await?;
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = blocking(move || Ok(verify_now(&hash, &password))).await?;
        Ok(ok && known)
    }
}
