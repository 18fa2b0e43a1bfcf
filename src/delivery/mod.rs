//! Delivery (issue 14): Candor mails each member their own link, reminds whole rosters alike
//! and posts counts to team chat, so the normal case is that no staff member ever holds a
//! member's link (G13).
//!
//! Everything goes through a durable outbox (`store`): queued in the transaction of the action
//! that caused it, sent by `worker` on the delivery loop (`schedule::deliver_forever`) with
//! retries and backoff, claimed so two replicas never send one message twice, and deleted
//! once the server accepted it, so a link's secret lives in the database only until then.

pub mod actions;
pub mod model;
pub mod pages;
pub mod reviews;
pub mod routes;
pub mod send;
pub mod staff;
pub mod store;
pub mod webhooks;
pub mod worker;

/// Wakes the delivery loop when something was queued, so a message does not wait for the
/// next poll. Held by `AppState`; several wakes before the loop runs count as one.
#[derive(Default)]
pub struct Wake(tokio::sync::Notify);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Waits for a wake or `timeout`, whichever comes first.
    pub async fn wait(&self, timeout: std::time::Duration) {
        // A timeout is the ordinary case (the poll); nothing to report either way.
        let _ = tokio::time::timeout(timeout, self.0.notified()).await;
    }
}
