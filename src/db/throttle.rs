//! The shared `throttles` table: failures counted per keyed hash and the lock they earn.
//! Plain storage used by more than one feature (`auth` throttles sign-ins, `reviews` the
//! instance's wrong-receipt budget), so it lives here rather than in either's store. What a
//! count means, and when it locks, is each feature's own rule.

use diesel::prelude::*;
use diesel::sql_types::Text;
use time::PrimitiveDateTime;

use super::schema::throttles;
use super::DbConnection;

/// Failures so far and the end of the current lockout, for a throttled key.
pub fn get_throttle(
    conn: &mut DbConnection,
    key_hash: &str,
) -> QueryResult<Option<(i32, Option<PrimitiveDateTime>)>> {
    throttles::table
        .find(key_hash)
        .select((throttles::failures, throttles::locked_until))
        .first(conn)
        .optional()
}

pub fn put_throttle(
    conn: &mut DbConnection,
    key_hash: &str,
    failures: i32,
    locked_until: Option<PrimitiveDateTime>,
) -> QueryResult<usize> {
    let updated = diesel::update(throttles::table.find(key_hash))
        .set((
            throttles::failures.eq(failures),
            throttles::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(throttles::table)
        .values((
            throttles::key_hash.eq(key_hash),
            throttles::failures.eq(failures),
            throttles::locked_until.eq(locked_until),
        ))
        .execute(conn)
}

pub fn clear_throttle(conn: &mut DbConnection, key_hash: &str) -> QueryResult<usize> {
    diesel::delete(throttles::table.find(key_hash)).execute(conn)
}

/// Holds a throttle's row for the rest of the transaction on PostgreSQL, so concurrent
/// failures are all counted (no lost update). The row is created first if missing, without
/// a unique-violation error. SQLite's single writer already serialises them.
pub fn lock_throttle(conn: &mut DbConnection, key_hash: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            diesel::sql_query(
                "INSERT INTO throttles (key_hash, failures, locked_until) VALUES ($1, 0, NULL) \
                 ON CONFLICT (key_hash) DO NOTHING",
            )
            .bind::<Text, _>(key_hash)
            .execute(c)?;
            diesel::sql_query("SELECT key_hash FROM throttles WHERE key_hash = $1 FOR UPDATE")
                .bind::<Text, _>(key_hash)
                .execute(c)?;
            Ok(())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}
