//! Queries for what members and the public may see: the signing keys of rounds and reviews
//! open now or closed since a date.

use diesel::prelude::*;
use time::Date;

use crate::db::schema::{reviews, rounds, signing_keys};
use crate::db::DbConnection;

/// A listed key's scope id, its scope's status and its public key (DER, base64).
pub type KeyRow = (String, String, String);

/// Rounds open now or closed on or after `cutoff`, with their public keys.
pub fn list_round_keys(conn: &mut DbConnection, cutoff: Date) -> QueryResult<Vec<KeyRow>> {
    rounds::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(rounds::id)))
        .filter(
            rounds::status.eq("open").or(rounds::status
                .eq("closed")
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
                .eq(crate::reviews::store::OPEN)
                .or(reviews::status
                    .eq(crate::reviews::store::CLOSED)
                    .and(reviews::closed_on.ge(cutoff))),
        )
        .select((reviews::id, reviews::status, signing_keys::public_der))
        .load(conn)
}
