//! Unlinkable participation: one RFC 9474 blind token per member per round or review.
//!
//! Issuance knows the member (by their invite secret) but sees only a blinded message;
//! redemption sees the token but no member. Nothing joins the two (THREAT-MODEL G2).
pub mod crypto;
pub mod model;
pub mod routes;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::DbConnection;
use crate::error::AppError;
use model::ScopeId;

/// Parsed keys by scope, so signing and verification skip DER parsing. Whether a scope is
/// still open is always read from the database, never from here.
///
/// A private key must not outlive its scope's close in any process (G3): the process that
/// closes forgets it at once, signing forgets it whenever the row it reads has no secret,
/// and [`KeyCache::retain_open`] (run by every process's periodic job) drops any secret
/// whose row was destroyed by another replica.
#[derive(Default)]
pub struct KeyCache {
    secret: Mutex<HashMap<ScopeId, Arc<crypto::SecretKey>>>,
    public: Mutex<HashMap<ScopeId, Arc<crypto::PublicKey>>>,
}

/// Locks the secret map. A thread that panicked while holding it leaves it poisoned; rather
/// than skip the map from then on (and keep every secret in it for the life of the process,
/// beyond the reach of `forget`), the poison is cleared and the map emptied: a key dropped
/// here is only parsed again from its row, and only while the row still holds it.
fn lock_secrets(
    m: &Mutex<HashMap<ScopeId, Arc<crypto::SecretKey>>>,
) -> MutexGuard<'_, HashMap<ScopeId, Arc<crypto::SecretKey>>> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => {
            let mut g = poisoned.into_inner();
            g.clear();
            m.clear_poison();
            g
        }
    }
}

/// Locks the public map; public keys are not secret, so a poisoned map is just emptied too.
fn lock_public(
    m: &Mutex<HashMap<ScopeId, Arc<crypto::PublicKey>>>,
) -> MutexGuard<'_, HashMap<ScopeId, Arc<crypto::PublicKey>>> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => {
            let mut g = poisoned.into_inner();
            g.clear();
            m.clear_poison();
            g
        }
    }
}

impl KeyCache {
    /// The parsed secret key of an open scope. `der` is the row's `secret_der` as just read:
    /// `None` means the scope was closed (perhaps by another replica), so any cached copy is
    /// dropped and the scope answers 410.
    pub fn secret(
        &self,
        scope: &ScopeId,
        der: Option<&str>,
    ) -> Result<Arc<crypto::SecretKey>, AppError> {
        let Some(der) = der else {
            self.forget(scope);
            return Err(routes::closed());
        };
        if let Some(k) = lock_secrets(&self.secret).get(scope).cloned() {
            return Ok(k);
        }
        let k = Arc::new(crypto::parse_secret(der)?);
        lock_secrets(&self.secret).insert(scope.clone(), k.clone());
        Ok(k)
    }

    pub fn public(&self, scope: &ScopeId, der: &str) -> Result<Arc<crypto::PublicKey>, AppError> {
        if let Some(k) = lock_public(&self.public).get(scope).cloned() {
            return Ok(k);
        }
        let k = Arc::new(crypto::parse_public(der)?);
        lock_public(&self.public).insert(scope.clone(), k.clone());
        Ok(k)
    }

    /// Drops a closed scope's private key from memory.
    pub fn forget(&self, scope: &ScopeId) {
        lock_secrets(&self.secret).remove(scope);
    }

    /// Drops every cached private key whose row no longer holds its secret: closed by this
    /// process or another one on the same database. Returns how many were dropped.
    pub fn retain_open(&self, conn: &mut DbConnection) -> Result<usize, AppError> {
        let held: Vec<ScopeId> = lock_secrets(&self.secret).keys().cloned().collect();
        if held.is_empty() {
            return Ok(0);
        }
        let open: std::collections::HashSet<ScopeId> = store::find_keys(conn, &held)?
            .into_iter()
            .filter(|k| k.is_open())
            .map(|k| k.scope_id)
            .collect();
        let mut m = lock_secrets(&self.secret);
        let before = m.len();
        // A key cached after `held` was read is kept: the next sweep sees it.
        m.retain(|scope, _| open.contains(scope) || !held.contains(scope));
        Ok(before - m.len())
    }

    /// How many private keys this process holds in memory (for tests and diagnostics).
    pub fn secrets_held(&self) -> usize {
        lock_secrets(&self.secret).len()
    }

    /// Whether this process holds the private key of `scope` in memory. Takes the plain
    /// string because tests ask it with the id they read from the API.
    pub fn holds_secret(&self, scope: &str) -> bool {
        lock_secrets(&self.secret).contains_key(&ScopeId::from(scope))
    }
}

/// The periodic sweep of one process: forgets private keys closed anywhere. Errors are the
/// caller's to log; the next tick tries again.
pub async fn forget_closed_keys(
    db: &crate::db::Db,
    cache: &Arc<KeyCache>,
) -> Result<usize, AppError> {
    let cache = cache.clone();
    db.read(move |c| cache.retain_open(c)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_cache_keeps_no_secret_key() {
        let key = crypto::generate().expect("key");
        let cache = Arc::new(KeyCache::default());
        cache
            .secret(&ScopeId::from("scope-a"), Some(&key.secret_der))
            .expect("parsed");
        assert_eq!(cache.secrets_held(), 1);
        let c2 = cache.clone();
        let panicked = std::thread::spawn(move || {
            let _held = c2.secret.lock().expect("lock");
            panic!("a thread dies while holding the lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(cache.secret.is_poisoned());
        // The next use clears the map (and the poison) instead of skipping it forever.
        assert_eq!(cache.secrets_held(), 0);
        assert!(!cache.secret.is_poisoned());
        cache
            .secret(&ScopeId::from("scope-b"), Some(&key.secret_der))
            .expect("parsed");
        assert!(cache.holds_secret("scope-b"));
        cache.forget(&ScopeId::from("scope-b"));
        assert_eq!(cache.secrets_held(), 0);
    }

    #[test]
    fn a_scope_read_without_its_secret_is_forgotten_and_refused() {
        let key = crypto::generate().expect("key");
        let cache = KeyCache::default();
        cache
            .secret(&ScopeId::from("s"), Some(&key.secret_der))
            .expect("parsed");
        assert!(cache.holds_secret("s"));
        assert!(matches!(
            cache.secret(&ScopeId::from("s"), None),
            Err(AppError::Gone(_))
        ));
        assert!(!cache.holds_secret("s"));
    }
}
