//! Closing a review and deleting its text when retention runs out: the queries that make
//! the order rows were written in, and who was invited, unrecoverable.

use diesel::prelude::*;
use rand::seq::SliceRandom;
use time::Date;

use super::{
    count_accounts, find_review, AccountRow, FollowupRow, ReviewId, ReviewRow, ReviewStatus,
};
use crate::clock::recorded_at;
use crate::db::schema::{accounts, followups, members, reviews};
use crate::db::DbConnection;
use crate::secret::new_id;

/// Rewrites a review's accounts and follow-ups in random order with new random ids, all
/// released: whatever order the rows were written in (physical order, PostgreSQL's xmin)
/// is gone. Receipt hashes stay on their account, so receipts keep working.
fn rewrite_shuffled(conn: &mut DbConnection, review_id: &ReviewId) -> QueryResult<()> {
    let mut rows: Vec<AccountRow> = accounts::table
        .filter(accounts::review_id.eq(review_id.as_str()))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|a| a.id.as_str()).collect();
    let mut threads: Vec<FollowupRow> = followups::table
        .filter(followups::account_id.eq_any(&ids))
        .load(conn)?;
    diesel::delete(followups::table.filter(followups::account_id.eq_any(&ids))).execute(conn)?;
    diesel::delete(accounts::table.filter(accounts::review_id.eq(review_id.as_str())))
        .execute(conn)?;
    let mut rng = rand::rng();
    rows.shuffle(&mut rng);
    threads.shuffle(&mut rng);
    let mut renamed = std::collections::HashMap::new();
    for a in rows {
        let id = new_id();
        diesel::insert_into(accounts::table)
            .values((
                accounts::id.eq(&id),
                accounts::review_id.eq(review_id.as_str()),
                accounts::body.eq(&a.body),
                accounts::receipt_hash.eq(&a.receipt_hash),
                // Held accounts stay held: closing is not a reason to show them.
                accounts::released.eq(a.released),
                // The order facilitators read in survives the rewrite.
                accounts::position.eq(a.position),
            ))
            .execute(conn)?;
        renamed.insert(a.id, id);
    }
    for f in threads {
        let Some(account_id) = renamed.get(&f.account_id) else {
            continue;
        };
        diesel::insert_into(followups::table)
            .values((
                followups::id.eq(new_id()),
                followups::account_id.eq(account_id.as_str()),
                followups::position.eq(f.position),
                followups::question.eq(&f.question),
                followups::reply.eq(&f.reply),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `(accounts, follow-ups asked, follow-ups answered)` for a review.
pub fn count_threads(
    conn: &mut DbConnection,
    review_id: &ReviewId,
) -> QueryResult<(i64, i64, i64)> {
    let (received, _) = count_accounts(conn, review_id)?;
    let asked = followups::table
        .inner_join(accounts::table)
        .filter(accounts::review_id.eq(review_id.as_str()))
        .count()
        .get_result(conn)?;
    let answered = followups::table
        .inner_join(accounts::table)
        .filter(accounts::review_id.eq(review_id.as_str()))
        .filter(followups::reply.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((received, asked, answered))
}

/// A review's invitees exist for it alone (G12): once it closes their links can do nothing,
/// so their rows, labels and links are deleted with its frozen roster. The count stays on the
/// review (`invited`). Writers come back with receipts, which do not depend on these rows.
fn forget_invitees(conn: &mut DbConnection, review_id: &ReviewId) -> QueryResult<()> {
    use crate::db::schema::eligibility;
    let ids: Vec<String> = eligibility::table
        .filter(eligibility::scope_id.eq(review_id.as_str()))
        .select(eligibility::member_id)
        .load(conn)?;
    diesel::delete(eligibility::table.filter(eligibility::scope_id.eq(review_id.as_str())))
        .execute(conn)?;
    diesel::delete(
        members::table
            .filter(members::id.eq_any(&ids))
            .filter(members::team_id.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// Closes a review's rows in the caller's transaction, which already holds the review's row
/// lock, checked it open and closed its token scope (`issued` is what that left): everything
/// is rewritten in random order (G1), the invitees are forgotten (G12), and the counts that
/// outlive the text are kept on the review. The caller scrubs after commit.
pub fn close_review(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    today: Date,
    issued: i64,
) -> QueryResult<ReviewRow> {
    forget_invitees(conn, review_id)?;
    rewrite_shuffled(conn, review_id)?;
    let (received, asked, answered) = count_threads(conn, review_id)?;
    diesel::update(reviews::table.find(review_id.as_str()))
        .set((
            reviews::status.eq(ReviewStatus::Closed.as_str()),
            reviews::closed_on.eq(Some(today)),
            reviews::issued.eq(Some(issued as i32)),
            reviews::accounts_total.eq(Some(received as i32)),
            reviews::followups_asked.eq(Some(asked as i32)),
            reviews::followups_answered.eq(Some(answered as i32)),
        ))
        .execute(conn)?;
    crate::db::scrub::request(conn, recorded_at())?;
    find_review(conn, review_id)
}

/// Deletes the accounts and follow-ups of every closed review whose retention has run out
/// by `today`, keeping the counts stored at close. Returns how many reviews were purged.
/// Called from the server's periodic tick and at the start of the reviews list.
pub fn apply_retention(conn: &mut DbConnection, today: Date) -> QueryResult<usize> {
    let closed: Vec<ReviewRow> = reviews::table
        .filter(reviews::status.eq(ReviewStatus::Closed.as_str()))
        .filter(reviews::purged_on.is_null())
        .load(conn)?;
    let mut purged = 0;
    for r in closed
        .iter()
        .filter(|r| r.purge_day().is_some_and(|d| d <= today))
    {
        let ids: Vec<String> = accounts::table
            .filter(accounts::review_id.eq(r.id.as_str()))
            .select(accounts::id)
            .load(conn)?;
        diesel::delete(followups::table.filter(followups::account_id.eq_any(&ids)))
            .execute(conn)?;
        diesel::delete(accounts::table.filter(accounts::review_id.eq(r.id.as_str())))
            .execute(conn)?;
        diesel::update(reviews::table.find(r.id.as_str()))
            .set(reviews::purged_on.eq(Some(today)))
            .execute(conn)?;
        purged += 1;
    }
    if purged > 0 {
        crate::db::scrub::request(conn, recorded_at())?;
    }
    Ok(purged)
}

/// Moves a closed review's close date, for tests of retention and for operators correcting
/// a record. Only the day is stored.
pub fn set_closed_on(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    day: Date,
) -> QueryResult<usize> {
    diesel::update(
        reviews::table
            .find(review_id.as_str())
            .filter(reviews::status.eq(ReviewStatus::Closed.as_str())),
    )
    .set(reviews::closed_on.eq(Some(day)))
    .execute(conn)
}
