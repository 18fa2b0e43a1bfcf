//! What a round froze when it opened (its questions and its public key), cached per open
//! round so the answer path reads nothing before its write.
//!
//! Only open rounds are cached, and nothing here says whether a round is still open: every
//! write re-checks the round's status inside its transaction (`store::check_open`), so an
//! entry left behind by a close on another replica can only cost memory until the periodic
//! sweep (`actions::forget_closed_rounds`) drops it; the closing process drops it at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::model::{Question, RoundId};
use crate::teams::model::{TeamId, Threshold};
use crate::tokens::crypto::{KeyJson, PublicKey};

/// A round's frozen parts, as read once while it was open.
pub struct Frozen {
    pub team_id: TeamId,
    pub threshold: Threshold,
    pub questions: Vec<Question>,
    pub key: Arc<PublicKey>,
    pub key_json: KeyJson,
    /// The name warning's word list (`warn_names`), computed on the first form shown; the
    /// same for every member of the round, so their pages cannot differ by it (G14).
    pub names: OnceLock<Vec<String>>,
}

#[derive(Default)]
pub struct RoundCache {
    map: Mutex<HashMap<RoundId, Arc<Frozen>>>,
}

/// A poisoned map is emptied: every entry can be read again from the database.
fn lock(m: &Mutex<HashMap<RoundId, Arc<Frozen>>>) -> MutexGuard<'_, HashMap<RoundId, Arc<Frozen>>> {
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

impl RoundCache {
    pub fn get(&self, id: &RoundId) -> Option<Arc<Frozen>> {
        lock(&self.map).get(id).cloned()
    }

    /// Keeps `frozen` for an open round; an entry already there wins (they are equal).
    pub fn put(&self, id: &RoundId, frozen: Frozen) -> Arc<Frozen> {
        lock(&self.map)
            .entry(id.clone())
            .or_insert_with(|| Arc::new(frozen))
            .clone()
    }

    pub fn forget(&self, id: &RoundId) {
        lock(&self.map).remove(id);
    }

    /// The rounds held, for the sweep.
    pub fn held(&self) -> Vec<RoundId> {
        lock(&self.map).keys().cloned().collect()
    }

    /// Drops every round in `held` that is not in `open`.
    pub fn retain_open(&self, held: &[RoundId], open: &[String]) -> usize {
        let mut m = lock(&self.map);
        let before = m.len();
        m.retain(|id, _| !held.contains(id) || open.iter().any(|o| o == id.as_str()));
        before - m.len()
    }
}
