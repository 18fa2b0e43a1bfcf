//! The state every handler shares: the database, the instance's keys and settings, the
//! login-hashing pool and the caches. No feature module is imported back from here except for
//! the cache types the state holds, so handlers can depend on it without a cycle.

use crate::auth::password::Hasher;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::secret::Keys;

pub struct AppState {
    pub db: Db,
    pub keys: Keys,
    pub settings: Settings,
    pub hasher: Hasher,
    pub key_cache: std::sync::Arc<crate::tokens::KeyCache>,
    /// What each open round froze at open, read once per process (`pulse::frozen`).
    pub rounds: std::sync::Arc<crate::pulse::frozen::RoundCache>,
    /// Anonymous answers are written in group commits (`db::batch`).
    pub answers: crate::db::batch::GroupCommit,
    pub metrics: std::sync::Arc<crate::metrics::Cache>,
    /// The time every action and periodic job reads; tests move it instead of sleeping.
    pub clock: Clock,
    /// Wakes the delivery loop when a message is queued (`schedule::deliver_forever`).
    pub delivery: std::sync::Arc<crate::delivery::Wake>,
    /// When member pages last looked for due rounds (`schedule::catch_up_rounds`).
    pub catch_up: std::sync::Arc<crate::clock::Throttle>,
}
