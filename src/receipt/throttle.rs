//! The instance's budget of wrong receipts, kept in the shared `throttles` table
//! (`db::throttle`), and `lookup`: the one way every receipt endpoint (review accounts, pulse comments)
//! finds what a receipt opens, inside the caller's write transaction.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::{after_wrong_receipt, receipt_wait, ReceiptWindow};
use crate::db::{throttle, DbConnection};
use crate::error::AppError;
use crate::secret::Keys;

fn throttle_key(keys: &Keys) -> String {
    keys.keyed_hash("throttle", b"receipt:global")
}

/// The instance's window of wrong receipts, if one was ever started.
pub fn receipt_window(conn: &mut DbConnection, keys: &Keys) -> QueryResult<Option<ReceiptWindow>> {
    Ok(throttle::get_throttle(conn, &throttle_key(keys))?
        .and_then(|(failures, ends)| ends.map(|ends| ReceiptWindow { failures, ends })))
}

/// Stores the window after a wrong receipt.
pub fn put_receipt_window(
    conn: &mut DbConnection,
    keys: &Keys,
    w: ReceiptWindow,
) -> QueryResult<usize> {
    throttle::put_throttle(conn, &throttle_key(keys), w.failures, Some(w.ends))
}

/// Holds the budget's row for the rest of the transaction on PostgreSQL, so concurrent wrong
/// receipts are all counted (no lost update) and none can slip past a spent budget.
pub fn lock_receipt_budget(conn: &mut DbConnection, keys: &Keys) -> QueryResult<()> {
    throttle::lock_throttle(conn, &throttle_key(keys))
}

/// Finds what a receipt opens, in the caller's write transaction: first the instance's
/// budget (every lookup waits while it is spent, a right receipt too), then `find`; when
/// `find` finds nothing the wrong receipt is counted. `None` must be answered the same way
/// whatever was typed (no "almost").
pub fn lookup<T>(
    conn: &mut DbConnection,
    keys: &Keys,
    now: PrimitiveDateTime,
    find: impl FnOnce(&mut DbConnection) -> Result<Option<T>, AppError>,
) -> Result<Option<T>, AppError> {
    lock_receipt_budget(conn, keys)?;
    if let Some(retry_after) = receipt_wait(receipt_window(conn, keys)?, now) {
        return Err(AppError::TooManyAttempts { retry_after });
    }
    let found = find(conn)?;
    if found.is_none() {
        let w = after_wrong_receipt(receipt_window(conn, keys)?, now);
        put_receipt_window(conn, keys, w)?;
    }
    Ok(found)
}
