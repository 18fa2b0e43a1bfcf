//! The rounds' row locks on PostgreSQL: exclusive for a close, shared for answers, so a
//! close that races an answer either includes it or refuses it. SQLite's single writer
//! already serialises them, so there they only read.

use diesel::prelude::*;

use super::super::model::{RoundId, RoundStatus};
use crate::db::schema::rounds;
use crate::db::DbConnection;

/// Takes the round's row lock on PostgreSQL: exclusive for close, shared for submissions, so
/// a close that races a submission either includes it or refuses it. SQLite's single
/// writer already serialises them.
pub fn lock_round(conn: &mut DbConnection, round_id: &RoundId, exclusive: bool) -> QueryResult<()> {
    match conn {
        // Typed, so diesel keeps the statement prepared (a `sql_query` is prepared per call).
        DbConnection::Pg(c) => {
            let q = rounds::table.find(round_id.as_str()).select(rounds::id);
            if exclusive {
                q.for_update().execute(c)
            } else {
                q.for_share().execute(c)
            }
            .map(|_| ())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Takes the shared row lock of each of `ids` on PostgreSQL, in one statement, and returns
/// each round's status; a missing round is missing from the answer. The answers' group
/// commit checks every round of a batch with it (one round trip, however many rounds).
pub fn lock_open_rounds(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<(String, bool)>> {
    let q = rounds::table
        .filter(rounds::id.eq_any(ids.to_vec()))
        .select((rounds::id, rounds::status));
    let rows: Vec<(String, String)> = match conn {
        // Typed, so diesel keeps the statement prepared (`= ANY($1)`: one statement for any
        // number of rounds).
        DbConnection::Pg(c) => q.for_share().load(c)?,
        DbConnection::Sqlite(c) => q.load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, status)| (id, status == RoundStatus::Open.as_str()))
        .collect())
}
