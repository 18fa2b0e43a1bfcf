//! Queries for comment threads and their replies. Queries only: when a thread may be
//! replied to, and by whom, is decided in `actions`.
//!
//! Every row is keyed by a random id (SQLite `WITHOUT ROWID`), carries no member, token,
//! link or time finer than the day, and is rewritten in random order with fresh ids whenever
//! the order rows were written in could say something: at a round's close (threads) and
//! after every writer's reply (the round's replies).

use diesel::prelude::*;
use rand::seq::SliceRandom;
use time::Date;

use super::model::{Author, CommentId};
use crate::db::schema::{comment_replies, comment_threads};
use crate::db::DbConnection;
use crate::pulse::model::RoundId;
use crate::secret::new_id;

#[derive(Queryable, Clone, Debug)]
pub struct ThreadRow {
    #[diesel(deserialize_as = String)]
    pub id: CommentId,
    #[diesel(deserialize_as = String)]
    pub round_id: RoundId,
    pub receipt_hash: String,
    pub body: String,
    pub locator: Option<String>,
}

#[derive(Queryable, Clone, Debug)]
pub struct ReplyRow {
    pub id: String,
    #[diesel(deserialize_as = String)]
    pub thread_id: CommentId,
    pub position: i32,
    pub author: String,
    pub body: String,
    pub written_on: Option<Date>,
}

/// Stores a comment's thread beside its response, in the answer's transaction.
pub fn insert_thread(
    conn: &mut DbConnection,
    round_id: &RoundId,
    receipt_hash: &str,
    body: &str,
    locator: Option<&str>,
) -> QueryResult<CommentId> {
    let id = new_id();
    diesel::insert_into(comment_threads::table)
        .values((
            comment_threads::id.eq(&id),
            comment_threads::round_id.eq(round_id.as_str()),
            comment_threads::receipt_hash.eq(receipt_hash),
            comment_threads::body.eq(body),
            comment_threads::locator.eq(locator),
        ))
        .execute(conn)?;
    Ok(id.into())
}

/// Deletes the thread an open round's answer stored under this locator (a replacement drops
/// the replaced comment's thread and receipt with it).
pub fn delete_thread_at(
    conn: &mut DbConnection,
    round_id: &RoundId,
    locator: &str,
) -> QueryResult<usize> {
    diesel::delete(
        comment_threads::table
            .filter(comment_threads::round_id.eq(round_id.as_str()))
            .filter(comment_threads::locator.eq(locator)),
    )
    .execute(conn)
}

pub fn thread_by_receipt(
    conn: &mut DbConnection,
    receipt_hash: &str,
) -> QueryResult<Option<ThreadRow>> {
    comment_threads::table
        .filter(comment_threads::receipt_hash.eq(receipt_hash))
        .first(conn)
        .optional()
}

pub fn find_thread(
    conn: &mut DbConnection,
    round_id: &RoundId,
    id: &CommentId,
) -> QueryResult<Option<ThreadRow>> {
    comment_threads::table
        .find(id.as_str())
        .filter(comment_threads::round_id.eq(round_id.as_str()))
        .first(conn)
        .optional()
}

/// A round's threads, in the order of their random ids: an order that says nothing.
pub fn threads_of_round(
    conn: &mut DbConnection,
    round_id: &RoundId,
) -> QueryResult<Vec<ThreadRow>> {
    comment_threads::table
        .filter(comment_threads::round_id.eq(round_id.as_str()))
        .order(comment_threads::id)
        .load(conn)
}

/// The replies of these threads, each thread's in its own order.
pub fn replies_of(
    conn: &mut DbConnection,
    thread_ids: &[&CommentId],
) -> QueryResult<Vec<ReplyRow>> {
    comment_replies::table
        .filter(comment_replies::thread_id.eq_any(thread_ids.iter().map(|id| id.as_str())))
        .order((comment_replies::thread_id, comment_replies::position))
        .load(conn)
}

pub fn count_replies(conn: &mut DbConnection, thread_id: &CommentId) -> QueryResult<i64> {
    comment_replies::table
        .filter(comment_replies::thread_id.eq(thread_id.as_str()))
        .count()
        .get_result(conn)
}

/// Adds a reply at the end of a thread.
pub fn insert_reply(
    conn: &mut DbConnection,
    thread_id: &CommentId,
    author: Author,
    body: &str,
    on: Option<Date>,
) -> QueryResult<()> {
    let last: Option<i32> = comment_replies::table
        .filter(comment_replies::thread_id.eq(thread_id.as_str()))
        .select(diesel::dsl::max(comment_replies::position))
        .first(conn)?;
    diesel::insert_into(comment_replies::table)
        .values((
            comment_replies::id.eq(new_id()),
            comment_replies::thread_id.eq(thread_id.as_str()),
            comment_replies::position.eq(last.unwrap_or(0) + 1),
            comment_replies::author.eq(author.as_str()),
            comment_replies::body.eq(body),
            comment_replies::written_on.eq(on),
        ))
        .execute(conn)?;
    Ok(())
}

fn thread_ids_of(conn: &mut DbConnection, round_id: &RoundId) -> QueryResult<Vec<String>> {
    comment_threads::table
        .filter(comment_threads::round_id.eq(round_id.as_str()))
        .select(comment_threads::id)
        .load(conn)
}

/// Rewrites a round's replies in random order with fresh ids, in the caller's transaction:
/// after it, every reply row of the round was written by the same transaction, so neither
/// physical order nor PostgreSQL's `xmin` says which reply came when. Each thread's own
/// order (`position`) stays.
pub fn rewrite_replies(conn: &mut DbConnection, round_id: &RoundId) -> QueryResult<()> {
    let ids = thread_ids_of(conn, round_id)?;
    let mut rows: Vec<ReplyRow> = comment_replies::table
        .filter(comment_replies::thread_id.eq_any(&ids))
        .load(conn)?;
    diesel::delete(comment_replies::table.filter(comment_replies::thread_id.eq_any(&ids)))
        .execute(conn)?;
    rows.shuffle(&mut rand::rng());
    for r in rows {
        diesel::insert_into(comment_replies::table)
            .values((
                comment_replies::id.eq(new_id()),
                comment_replies::thread_id.eq(r.thread_id.as_str()),
                comment_replies::position.eq(r.position),
                comment_replies::author.eq(&r.author),
                comment_replies::body.eq(&r.body),
                comment_replies::written_on.eq(r.written_on),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// At a round's close, in its transaction: every thread rewritten in random order with a
/// fresh random id and no locator, so no thread row keeps the transaction, the position or
/// the token locator of the answer it was stored with. Receipt hashes stay, so receipts keep
/// working. (Replies cannot exist yet: nobody may reply before comments are shown.)
pub fn rewrite_threads(conn: &mut DbConnection, round_id: &RoundId) -> QueryResult<usize> {
    let mut rows = threads_of_round(conn, round_id)?;
    let ids: Vec<&str> = rows.iter().map(|t| t.id.as_str()).collect();
    diesel::delete(comment_replies::table.filter(comment_replies::thread_id.eq_any(&ids)))
        .execute(conn)?;
    diesel::delete(comment_threads::table.filter(comment_threads::round_id.eq(round_id.as_str())))
        .execute(conn)?;
    rows.shuffle(&mut rand::rng());
    for t in &rows {
        diesel::insert_into(comment_threads::table)
            .values((
                comment_threads::id.eq(new_id()),
                comment_threads::round_id.eq(round_id.as_str()),
                comment_threads::receipt_hash.eq(&t.receipt_hash),
                comment_threads::body.eq(&t.body),
                comment_threads::locator.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// Deletes the threads (receipt hashes, words, replies) of these rounds. Returns how many
/// threads went.
pub fn delete_threads_of(conn: &mut DbConnection, round_ids: &[RoundId]) -> QueryResult<usize> {
    let rounds: Vec<&str> = round_ids.iter().map(RoundId::as_str).collect();
    let ids: Vec<String> = comment_threads::table
        .filter(comment_threads::round_id.eq_any(&rounds))
        .select(comment_threads::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(comment_replies::table.filter(comment_replies::thread_id.eq_any(&ids)))
        .execute(conn)?;
    diesel::delete(comment_threads::table.filter(comment_threads::id.eq_any(&ids))).execute(conn)
}
