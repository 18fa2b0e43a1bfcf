//! Anonymous accounts, their follow-up threads and the release of held accounts. (The
//! receipt throttle's row is `crate::receipt::throttle`'s.)

use diesel::prelude::*;
use rand::seq::SliceRandom;
use time::PrimitiveDateTime;

use super::{AccountId, AccountRow, FollowupId, FollowupRow, ReviewId, ReviewRow};
use crate::db::schema::{accounts, followups};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::reviews::model::{release_due, Account};
use crate::secret::new_id;

// ---------------------------------------------------------------- accounts

pub fn insert_account(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    account: &Account,
    receipt_hash: &str,
) -> Result<AccountId, AppError> {
    let id = new_id();
    let body =
        serde_json::to_string(account).map_err(|e| AppError::caused("encoding an account", e))?;
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::review_id.eq(review_id.as_str()),
            accounts::body.eq(&body),
            accounts::receipt_hash.eq(receipt_hash),
            accounts::released.eq(false),
        ))
        .execute(conn)?;
    Ok(AccountId::from(id))
}

/// `(received, released)` for a review.
pub fn count_accounts(conn: &mut DbConnection, review_id: &ReviewId) -> QueryResult<(i64, i64)> {
    let received = accounts::table
        .filter(accounts::review_id.eq(review_id.as_str()))
        .count()
        .get_result(conn)?;
    let released = accounts::table
        .filter(accounts::review_id.eq(review_id.as_str()))
        .filter(accounts::released.eq(true))
        .count()
        .get_result(conn)?;
    Ok((received, released))
}

/// Releases the pending accounts, all together, when the release rule says so. Returns
/// `(received, released)` afterwards.
pub fn release_if_due(
    conn: &mut DbConnection,
    review: &ReviewRow,
    at: PrimitiveDateTime,
) -> QueryResult<(i64, i64)> {
    let (received, released) = count_accounts(conn, &review.id)?;
    let due = release_due(
        received - released,
        released,
        review.threshold,
        review.deadline_passed(at),
    );
    if !due {
        return Ok((received, released));
    }
    // The batch is shuffled once, here, and numbered after what was released before: the
    // order then stays put (issue 15: "Account 2" must not mean another account on reload).
    let mut batch: Vec<String> = accounts::table
        .filter(accounts::review_id.eq(review.id.as_str()))
        .filter(accounts::released.eq(false))
        .select(accounts::id)
        .load(conn)?;
    batch.shuffle(&mut rand::rng());
    let first = i32::try_from(released).unwrap_or(i32::MAX - 1_000_000);
    for (i, id) in batch.iter().enumerate() {
        let position = first
            .saturating_add(i32::try_from(i).unwrap_or(0))
            .saturating_add(1);
        diesel::update(accounts::table.find(id))
            .set((accounts::released.eq(true), accounts::position.eq(position)))
            .execute(conn)?;
    }
    Ok((received, received))
}

/// Released accounts with their threads, in the order fixed at release.
pub fn released_accounts(
    conn: &mut DbConnection,
    review_id: &ReviewId,
) -> Result<Vec<(AccountRow, Vec<FollowupRow>)>, AppError> {
    let rows: Vec<AccountRow> = accounts::table
        .filter(accounts::review_id.eq(review_id.as_str()))
        .filter(accounts::released.eq(true))
        .order((accounts::position, accounts::id))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|a| a.id.as_str()).collect();
    let threads: Vec<FollowupRow> = followups::table
        .filter(followups::account_id.eq_any(&ids))
        .order((followups::account_id, followups::position))
        .load(conn)?;
    let out: Vec<(AccountRow, Vec<FollowupRow>)> = rows
        .into_iter()
        .map(|a| {
            let t = threads
                .iter()
                .filter(|f| f.account_id == a.id)
                .cloned()
                .collect();
            (a, t)
        })
        .collect();
    Ok(out)
}

pub fn find_account(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    account_id: &AccountId,
) -> QueryResult<AccountRow> {
    accounts::table
        .find(account_id.as_str())
        .filter(accounts::review_id.eq(review_id.as_str()))
        .first(conn)
}

pub fn account_by_receipt(
    conn: &mut DbConnection,
    receipt_hash: &str,
) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .filter(accounts::receipt_hash.eq(receipt_hash))
        .first(conn)
        .optional()
}

pub fn set_account_body(
    conn: &mut DbConnection,
    account_id: &AccountId,
    account: &Account,
) -> Result<(), AppError> {
    let body =
        serde_json::to_string(account).map_err(|e| AppError::caused("encoding an account", e))?;
    diesel::update(accounts::table.find(account_id.as_str()))
        .set(accounts::body.eq(body))
        .execute(conn)?;
    Ok(())
}

pub fn thread_of(conn: &mut DbConnection, account_id: &AccountId) -> QueryResult<Vec<FollowupRow>> {
    followups::table
        .filter(followups::account_id.eq(account_id.as_str()))
        .order(followups::position)
        .load(conn)
}

/// Adds a facilitator's question to the end of an account's thread.
pub fn insert_question(
    conn: &mut DbConnection,
    account_id: &AccountId,
    question: &str,
) -> QueryResult<FollowupRow> {
    let last: Option<i32> = followups::table
        .filter(followups::account_id.eq(account_id.as_str()))
        .select(diesel::dsl::max(followups::position))
        .first(conn)?;
    let row = FollowupRow {
        id: FollowupId::from(new_id()),
        account_id: account_id.clone(),
        position: last.unwrap_or(0) + 1,
        question: question.to_owned(),
        reply: None,
    };
    diesel::insert_into(followups::table)
        .values((
            followups::id.eq(row.id.as_str()),
            followups::account_id.eq(row.account_id.as_str()),
            followups::position.eq(row.position),
            followups::question.eq(&row.question),
            followups::reply.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(row)
}

pub fn set_reply(
    conn: &mut DbConnection,
    followup_id: &FollowupId,
    reply: &str,
) -> QueryResult<usize> {
    diesel::update(followups::table.find(followup_id.as_str()))
        .set(followups::reply.eq(Some(reply)))
        .execute(conn)
}

/// The review an account belongs to, whatever its state.
pub fn review_of_account(conn: &mut DbConnection, account_id: &AccountId) -> QueryResult<ReviewId> {
    let id: String = accounts::table
        .find(account_id.as_str())
        .select(accounts::review_id)
        .first(conn)?;
    Ok(ReviewId::from(id))
}
