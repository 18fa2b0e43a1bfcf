//! The review use cases, one function each, each one transaction through `Db::write` or
//! `Db::read`: what the handlers call. They take checked input from `model`, run the queries
//! in `store`, decide who may do what, and answer with domain results or an `AppError`.
//! Nothing here knows a request or a page.
//!
//! Ids are typed (`ReviewId`, `AccountId`, `FollowupId`) in every action's signature and in
//! every store function, so nothing can swap them; a review reaches `tokens` as its scope
//! (`ReviewId::scope`).
//!
//! `staff` holds what facilitators do (open, read, ask, close, export, invite), `member` what
//! writers do (the account form's context, submitting, the receipt-gated reads and writes);
//! both are re-exported here.

mod member;
mod staff;

pub use member::*;
pub use staff::*;

use crate::auth::model::StaffUser;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::reviews::model::{normalize_receipt, ReviewId, ReviewRow};
use crate::reviews::store;
use crate::secret::Keys;
use crate::state::AppState;
use crate::tokens::crypto::{self, KeyJson};
use crate::tokens::store::KeyRow;

/// The answer to anything sent to a closed review.
pub fn review_closed() -> AppError {
    AppError::Gone("this review is closed; nothing more can be added to it".into())
}

/// The one answer to a receipt that matches no account, whatever was typed (no "almost").
pub fn wrong_receipt() -> AppError {
    AppError::Forbidden(
        "This receipt does not match any account. Check it against what you wrote down and try again."
            .into(),
    )
}

fn not_invited() -> AppError {
    AppError::Forbidden("you are not invited to this review".into())
}

fn receipt_hash(keys: &Keys, receipt: &str) -> String {
    // Whatever was typed is hashed, even when it cannot be a receipt, so a malformed receipt
    // takes the same path as a wrong one. The empty string never matches a stored hash.
    let normalized = normalize_receipt(receipt).unwrap_or_default();
    keys.keyed_hash("receipt", normalized.as_bytes())
}

/// A review's public key as members and the API see it, from the shared key cache.
fn public_key(state: &AppState, row: &KeyRow) -> Result<KeyJson, AppError> {
    let pk = state.key_cache.public(&row.scope_id, &row.public_der)?;
    Ok(crypto::key_json(&pk))
}

/// The review, if this staff member may see it: admins see all, facilitators the reviews
/// they facilitate; leaders never (they must not read accounts).
pub fn review_for(
    conn: &mut DbConnection,
    user: &StaffUser,
    review_id: &ReviewId,
) -> Result<ReviewRow, AppError> {
    if !user.can_facilitate() {
        return Err(AppError::forbidden());
    }
    let review = store::find_review(conn, review_id)?;
    if user.is_admin() || store::is_facilitator(conn, review_id, &user.id)? {
        Ok(review)
    } else {
        Err(AppError::forbidden())
    }
}
