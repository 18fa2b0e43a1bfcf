//! Unlinkable participation: one RFC 9474 blind token per member per round or review.
//!
//! Issuance knows the member (by their invite secret) but sees only a blinded message;
//! redemption sees the token but no member. Nothing joins the two (THREAT-MODEL G2).
pub mod crypto;
pub mod routes;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::AppError;

/// Parsed keys by scope, so signing and verification skip DER parsing. Whether a scope is
/// still open is always read from the database, never from here.
#[derive(Default)]
pub struct KeyCache {
    secret: Mutex<HashMap<String, Arc<crypto::SecretKey>>>,
    public: Mutex<HashMap<String, Arc<crypto::PublicKey>>>,
}

impl KeyCache {
    pub fn secret(&self, scope: &str, der: &str) -> Result<Arc<crypto::SecretKey>, AppError> {
        if let Some(k) = self.secret.lock().ok().and_then(|m| m.get(scope).cloned()) {
            return Ok(k);
        }
        let k = Arc::new(crypto::parse_secret(der)?);
        if let Ok(mut m) = self.secret.lock() {
            m.insert(scope.to_owned(), k.clone());
        }
        Ok(k)
    }

    pub fn public(&self, scope: &str, der: &str) -> Result<Arc<crypto::PublicKey>, AppError> {
        if let Some(k) = self.public.lock().ok().and_then(|m| m.get(scope).cloned()) {
            return Ok(k);
        }
        let k = Arc::new(crypto::parse_public(der)?);
        if let Ok(mut m) = self.public.lock() {
            m.insert(scope.to_owned(), k.clone());
        }
        Ok(k)
    }

    /// Drops a closed scope's private key from memory.
    pub fn forget(&self, scope: &str) {
        if let Ok(mut m) = self.secret.lock() {
            m.remove(scope);
        }
    }
}
