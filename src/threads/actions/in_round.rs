//! What pulse calls inside its own transactions: a comment's thread stored with its answer,
//! swapped when the answer is replaced, rewritten at close, and read into the results. Kept
//! apart from the use cases in `mod.rs` (which read pulse's results), so pulse can call these
//! without an import cycle.

use crate::db::DbConnection;
use crate::error::AppError;
use crate::pulse::model::RoundId;
use crate::secret::Keys;
use crate::threads::model::{Author, CommentId, Reply, Thread, LOCATOR_PURPOSE, RECEIPT_PURPOSE};
use crate::threads::store;

/// A comment's receipt before its answer is stored: the receipt, shown once and never
/// stored, and its keyed hash, which is. Made before the write transaction, as review
/// receipts are.
pub struct NewReceipt {
    pub receipt: String,
    pub hash: String,
}

pub fn new_receipt(keys: &Keys) -> NewReceipt {
    let receipt = crate::receipt::new_receipt();
    let hash = crate::receipt::receipt_hash(keys, RECEIPT_PURPOSE, &receipt);
    NewReceipt { receipt, hash }
}

/// In the answer's transaction, right after the response is stored (or replaced): drops the
/// thread an earlier answer under the same token stored (`answer_locator`, blinded route
/// only), then stores this comment's thread under the receipt's hash. The thread holds the
/// comment's words, the round and the hash: nothing of the member, the link or the time; the
/// locator is kept, hashed, only until the round closes.
pub fn attach(
    c: &mut DbConnection,
    keys: &Keys,
    round_id: &RoundId,
    answer_locator: Option<&str>,
    comment: Option<&str>,
    receipt_hash: Option<&str>,
) -> Result<(), AppError> {
    let locator = answer_locator.map(|at| keys.keyed_hash(LOCATOR_PURPOSE, at.as_bytes()));
    if let Some(l) = &locator {
        store::delete_thread_at(c, round_id, l)?;
    }
    if let (Some(text), Some(hash)) = (comment, receipt_hash) {
        store::insert_thread(c, round_id, hash, text, locator.as_deref())?;
    }
    Ok(())
}

/// `attach` for an answer whose token was spent just now, in the same transaction: no earlier
/// answer, so no earlier thread under its locator (the spent set, the answers and their
/// threads change only together), and nothing to drop. An answer without a comment costs no
/// statement here (issue 13: the DELETE ran on every answer, one round trip each on
/// PostgreSQL).
pub fn attach_first(
    c: &mut DbConnection,
    keys: &Keys,
    round_id: &RoundId,
    answer_locator: &str,
    comment: Option<&str>,
    receipt_hash: Option<&str>,
) -> Result<(), AppError> {
    if let (Some(text), Some(hash)) = (comment, receipt_hash) {
        let locator = keys.keyed_hash(LOCATOR_PURPOSE, answer_locator.as_bytes());
        store::insert_thread(c, round_id, hash, text, Some(&locator))?;
    }
    Ok(())
}

/// At the round's close, in its transaction (see `store::rewrite_threads`).
pub fn close(c: &mut DbConnection, round_id: &RoundId) -> Result<(), AppError> {
    store::rewrite_threads(c, round_id)?;
    Ok(())
}

/// A round's threads with their replies, for results whose comments are shown. The caller
/// decides that; this only reads.
pub fn threads_of(c: &mut DbConnection, round_id: &RoundId) -> Result<Vec<Thread>, AppError> {
    let rows = store::threads_of_round(c, round_id)?;
    let ids: Vec<&CommentId> = rows.iter().map(|t| &t.id).collect();
    let replies = store::replies_of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|t| Thread {
            replies: replies
                .iter()
                .filter(|r| r.thread_id == t.id)
                .map(reply_view)
                .collect(),
            id: t.id,
            text: t.body,
        })
        .collect())
}

pub(super) fn reply_view(r: &store::ReplyRow) -> Reply {
    let from = Author::parse(&r.author);
    Reply {
        from,
        text: r.body.clone(),
        // A writer's reply never shows a day, even if one were stored.
        on: match from {
            Author::Staff => r.written_on.map(|d| d.to_string()),
            Author::Writer => None,
        },
    }
}
