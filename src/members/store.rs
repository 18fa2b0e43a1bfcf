//! Queries for what members and the public may see: the signing keys of rounds and reviews
//! open now or closed since a date.

use diesel::prelude::*;
use time::Date;

use crate::db::schema::{reviews, rounds, signing_keys};
use crate::db::DbConnection;
use crate::pulse::model::RoundStatus;
use crate::reviews::model::ReviewStatus;

/// A listed key's scope id, its scope's status and its public key (DER, base64).
pub type KeyRow = (String, String, String);

/// Rounds open now or closed on or after `cutoff`, with their public keys.
pub fn list_round_keys(conn: &mut DbConnection, cutoff: Date) -> QueryResult<Vec<KeyRow>> {
    rounds::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(rounds::id)))
        .filter(
            rounds::status
                .eq(RoundStatus::Open.as_str())
                .or(rounds::status
                    .eq(RoundStatus::Closed.as_str())
                    .and(rounds::closed_on.ge(cutoff))),
        )
        .select((rounds::id, rounds::status, signing_keys::public_der))
        .load(conn)
}

/// Reviews open now or closed on or after `cutoff`, with their public keys.
pub fn list_review_keys(conn: &mut DbConnection, cutoff: Date) -> QueryResult<Vec<KeyRow>> {
    reviews::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(reviews::id)))
        .filter(
            reviews::status
                .eq(ReviewStatus::Open.as_str())
                .or(reviews::status
                    .eq(ReviewStatus::Closed.as_str())
                    .and(reviews::closed_on.ge(cutoff))),
        )
        .select((reviews::id, reviews::status, signing_keys::public_der))
        .load(conn)
}

/// What a bulletin says about its round or review besides the token hashes: status, invited,
/// issued (at close) and answered (at close; a round's answers include the no-JavaScript
/// route's, which spend no token).
pub type ScopeCounts = (String, i32, Option<i32>, Option<i32>);

pub fn find_round_counts(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ScopeCounts>> {
    rounds::table
        .find(id)
        .select((
            rounds::status,
            rounds::invited,
            rounds::issued,
            rounds::answered,
        ))
        .first(conn)
        .optional()
}

pub fn find_review_counts(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ScopeCounts>> {
    reviews::table
        .find(id)
        .select((
            reviews::status,
            reviews::invited,
            reviews::issued,
            reviews::accounts_total,
        ))
        .first(conn)
        .optional()
}

/// One closed round or review for the transparency page: id, the day it closed, issued and
/// answered at close.
pub type ClosedScope = (String, Option<Date>, Option<i32>, Option<i32>);

/// Every closed round that had a key (a round closed before it opened never did), newest
/// first.
pub fn list_closed_rounds(conn: &mut DbConnection) -> QueryResult<Vec<ClosedScope>> {
    rounds::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(rounds::id)))
        .filter(rounds::status.eq(RoundStatus::Closed.as_str()))
        .select((
            rounds::id,
            rounds::closed_on,
            rounds::issued,
            rounds::answered,
        ))
        .order((rounds::closed_on.desc(), rounds::id))
        .load(conn)
}

/// Every closed review, newest first.
pub fn list_closed_reviews(conn: &mut DbConnection) -> QueryResult<Vec<ClosedScope>> {
    reviews::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(reviews::id)))
        .filter(reviews::status.eq(ReviewStatus::Closed.as_str()))
        .select((
            reviews::id,
            reviews::closed_on,
            reviews::issued,
            reviews::accounts_total,
        ))
        .order((reviews::closed_on.desc(), reviews::id))
        .load(conn)
}

/// How many tokens each of these scopes counted (its spent set), by scope id.
pub fn count_spent_by_scope(
    conn: &mut DbConnection,
    scope_ids: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    use crate::db::schema::spent_tokens;
    spent_tokens::table
        .filter(spent_tokens::scope_id.eq_any(scope_ids))
        .group_by(spent_tokens::scope_id)
        .select((spent_tokens::scope_id, diesel::dsl::count_star()))
        .load(conn)
}
