//! Queries for reviews, their facilitators and invitees, anonymous accounts and follow-ups,
//! release, close, retention and the counts the culture metrics read. Queries only: who may
//! do what, and what a use case does with the rows, is decided in `actions`.
//!
//! `accounts` holds the accounts and their follow-up threads,
//! `close` closing and retention, `invitees` the people a review invites; all re-exported here.

mod accounts;
mod close;
mod invitees;

pub use accounts::*;
pub use close::*;
pub use invitees::*;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::model::NewReview;
use crate::auth::model::{StaffId, StaffUser};
use crate::clock::recorded_at;
use crate::db::schema::{review_facilitators, reviews, staff_users};
use crate::db::DbConnection;

pub use super::model::ReviewStatus;
pub use super::model::{AccountId, AccountRow, FollowupId, FollowupRow, ReviewId, ReviewRow};

// ---------------------------------------------------------------- locking

// ---------------------------------------------------------------- locking

/// How a transaction holds the review row on PostgreSQL.
#[derive(Clone, Copy, Debug)]
pub enum Lock {
    /// Submissions, replies, questions: many may run together, none alongside a close.
    Share,
    /// Close: waits for submissions in flight and keeps new ones out until it commits.
    Update,
}

/// Takes a row lock on the review so a close racing a submission is well defined: either
/// the submission commits first and the close rewrites it with the rest, or the close
/// commits first and the submission finds the review closed. SQLite has one writer, which
/// already serialises them.
pub fn lock_review(conn: &mut DbConnection, review_id: &ReviewId, lock: Lock) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            let sql = match lock {
                Lock::Share => "SELECT id FROM reviews WHERE id = $1 FOR SHARE",
                Lock::Update => "SELECT id FROM reviews WHERE id = $1 FOR UPDATE",
            };
            diesel::sql_query(sql)
                .bind::<Text, _>(review_id.as_str())
                .execute(c)?;
            Ok(())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

// ---------------------------------------------------------------- reviews and access

pub fn find_review(conn: &mut DbConnection, id: &ReviewId) -> QueryResult<ReviewRow> {
    reviews::table.find(id.as_str()).first(conn)
}

pub fn is_facilitator(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    user_id: &StaffId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        review_facilitators::table.find((review_id.as_str(), user_id.as_str())),
    ))
    .get_result(conn)
}

pub fn list_reviews_for(conn: &mut DbConnection, user: &StaffUser) -> QueryResult<Vec<ReviewRow>> {
    if user.is_admin() {
        reviews::table
            .order((reviews::created_at.desc(), reviews::id))
            .load(conn)
    } else {
        reviews::table
            .inner_join(review_facilitators::table)
            .filter(review_facilitators::user_id.eq(user.id.as_str()))
            .select(reviews::all_columns)
            .order((reviews::created_at.desc(), reviews::id))
            .load(conn)
    }
}

pub fn insert_review(
    conn: &mut DbConnection,
    id: &ReviewId,
    r: &NewReview,
    invited: usize,
    created_by: &StaffId,
) -> QueryResult<usize> {
    diesel::insert_into(reviews::table)
        .values((
            reviews::id.eq(id.as_str()),
            reviews::title.eq(&r.title),
            reviews::incident_date.eq(r.incident_date),
            reviews::summary.eq(&r.summary),
            reviews::status.eq(ReviewStatus::Open.as_str()),
            reviews::threshold.eq(r.threshold.column()),
            reviews::deadline.eq(r.deadline),
            reviews::retention_days.eq(r.retention_days),
            reviews::invited.eq(invited as i32),
            reviews::created_by.eq(created_by.as_str()),
            reviews::created_at.eq(recorded_at()),
        ))
        .execute(conn)
}

pub fn add_facilitator(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    user_id: &StaffId,
) -> QueryResult<usize> {
    if is_facilitator(conn, review_id, user_id)? {
        return Ok(0);
    }
    diesel::insert_into(review_facilitators::table)
        .values((
            review_facilitators::review_id.eq(review_id.as_str()),
            review_facilitators::user_id.eq(user_id.as_str()),
        ))
        .execute(conn)
}

pub fn list_facilitators(
    conn: &mut DbConnection,
    review_id: &ReviewId,
) -> QueryResult<Vec<String>> {
    review_facilitators::table
        .inner_join(staff_users::table)
        .filter(review_facilitators::review_id.eq(review_id.as_str()))
        .select(staff_users::email)
        .order(staff_users::email)
        .load(conn)
}

// ---------------------------------------------------------------- culture signal

/// How much bad news is being shared, as counts only, for the culture metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CultureCounts {
    /// Reviews that have closed.
    pub reviews_held: i64,
    /// `(review_id, accounts)` for each of them.
    pub accounts_per_review: Vec<(ReviewId, i64)>,
    pub followups_asked: i64,
    pub followups_answered: i64,
}

/// `(review_id, accounts, follow-ups asked, follow-ups answered)` as stored at close.
type StoredCounts = (String, Option<i32>, Option<i32>, Option<i32>);

/// Counts over closed reviews (all, or those listed), read from the figures stored at close,
/// so they survive retention. Open reviews are left out: a count that ticks up as accounts
/// arrive would tell its readers when each one was written.
pub fn culture_counts(
    conn: &mut DbConnection,
    review_ids: Option<&[ReviewId]>,
) -> QueryResult<CultureCounts> {
    let mut q = reviews::table
        .filter(reviews::status.eq(ReviewStatus::Closed.as_str()))
        .select((
            reviews::id,
            reviews::accounts_total,
            reviews::followups_asked,
            reviews::followups_answered,
        ))
        .into_boxed();
    if let Some(ids) = review_ids {
        q = q.filter(reviews::id.eq_any(ids.iter().map(ReviewId::as_str).collect::<Vec<_>>()));
    }
    let rows: Vec<StoredCounts> = q.order(reviews::id).load(conn)?;
    let mut out = CultureCounts::default();
    for (id, accounts, asked, answered) in rows {
        out.reviews_held += 1;
        out.accounts_per_review
            .push((ReviewId::from(id), i64::from(accounts.unwrap_or(0))));
        out.followups_asked += i64::from(asked.unwrap_or(0));
        out.followups_answered += i64::from(answered.unwrap_or(0));
    }
    Ok(out)
}
