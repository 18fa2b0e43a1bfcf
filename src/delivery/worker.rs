//! The outbox worker: claims due messages, sends them concurrently, and records each result
//! in one transaction per batch. Run by `schedule::deliver_forever` in every app process;
//! claims (`store::claim_due`) keep two processes from sending one message twice.
//!
//! It logs counts only, never a recipient, a subject or a body: a reminder goes to everyone
//! alike, but a log line per message would still be a list of addresses with times.

use super::model::{backoff_seconds, Sent, BATCH, LEASE_SECONDS};
use super::send::Senders;
use super::store;
use crate::error::AppError;
use crate::state::AppState;

/// What one drain did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends everything due, batch after batch, until nothing due is left.
pub async fn drain(state: &AppState, senders: &Senders) -> Result<Drained, AppError> {
    let mut total = Drained::default();
    let with_mail = senders.mail.is_some();
    loop {
        let batch = state
            .db
            .write(move |c| Ok(store::claim_due(c, BATCH, LEASE_SECONDS, with_mail)?))
            .await?;
        if batch.is_empty() {
            return Ok(total);
        }
        let results = futures_util::future::join_all(batch.iter().map(|m| senders.send(m))).await;
        let outcome: Vec<(String, i32, Sent)> = batch
            .into_iter()
            .zip(results)
            .map(|(m, r)| (m.id, m.attempts, r))
            .collect();
        let done = state
            .db
            .write(move |c| {
                let mut d = Drained::default();
                for (id, attempts, result) in &outcome {
                    match result {
                        Sent::Accepted => {
                            store::delete_sent(c, id)?;
                            d.sent += 1;
                        }
                        Sent::Retry(e) => {
                            store::record_failure(
                                c,
                                id,
                                *attempts,
                                e,
                                false,
                                backoff_seconds(*attempts),
                            )?;
                            if *attempts >= super::model::MAX_ATTEMPTS {
                                d.failed += 1;
                            } else {
                                d.retrying += 1;
                            }
                        }
                        Sent::Permanent(e) => {
                            store::record_failure(c, id, *attempts, e, true, 0)?;
                            d.failed += 1;
                        }
                    }
                }
                Ok(d)
            })
            .await?;
        total.sent += done.sent;
        total.retrying += done.retrying;
        total.failed += done.failed;
        if done.sent == 0 {
            // Nothing went out in this batch (the server is down): the rest waits for its
            // backoff rather than being hammered now.
            return Ok(total);
        }
    }
}
