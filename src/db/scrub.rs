//! The close-time scrub (THREAT-MODEL G15): after a round or review closes and its rows are
//! rewritten in random order, the old row images must become unreadable. SQLite keeps them
//! as page images in the WAL until a checkpoint copies the WAL back and truncates it;
//! PostgreSQL keeps them as dead tuples (and plain `VACUUM` only frees their slots: the
//! bytes stay on the page until overwritten, readable with `pageinspect`).
//!
//! A scrub can fail for reasons outside Candor: a reader holding a snapshot (a backup, a
//! `sqlite3` shell, a long report) makes the SQLite checkpoint return "busy"; a lock held on a
//! table makes `VACUUM FULL` wait. So the scrub is durable work, not a best effort:
//! - every close asks for it in its own transaction (`request`), so a crash right after the
//!   commit still leaves it owed;
//! - it runs right after the close and again on every scheduler tick until it completes,
//!   each failure logged with its cause and counted;
//! - admins see "scrub pending since ..." on the instance page and in `GET /api/v1/instance`
//!   until it has completed, and can retry it by hand.
//!
//! Requests are counted (`wanted`), so a close that commits while a scrub runs is not marked
//! done by a scrub that started before it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use time::PrimitiveDateTime;

use super::settings::{delete_setting, get_setting as get, put_setting as put};
use super::{Db, DbConnection};
use crate::error::AppError;

/// The tables whose old row images can link a member to an answer, order submissions, or
/// hold a destroyed private key: issuance rows, the spent set, responses, accounts and their
/// follow-ups, the keys, and comment threads (with their token locators until close) and
/// their replies.
pub const TABLES: [&str; 8] = [
    "issuances",
    "spent_tokens",
    "signing_keys",
    "responses",
    "accounts",
    "followups",
    "comment_threads",
    "comment_replies",
];

/// How long one scrub waits for a table lock (PostgreSQL) or for readers to move on
/// (SQLite) before giving up until the next tick. Short, because it holds the writer.
const WAIT_MS: u32 = 2_000;

const WANTED: &str = "scrub.wanted";
const DONE: &str = "scrub.done";
const SINCE: &str = "scrub.pending_since";
const ATTEMPTS: &str = "scrub.failed_attempts";
const LAST_ERROR: &str = "scrub.last_error";
/// PostgreSQL: the transaction id (xid8) of the latest close that asked for a scrub.
const CLOSE_XID: &str = "scrub.close_xid";

/// What admins see about the scrub.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ScrubStatus)]
pub struct Status {
    pub pending: bool,
    /// When the oldest un-scrubbed close committed (a staff action, audited anyway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<String>,
    pub failed_attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn number(conn: &mut DbConnection, name: &str) -> QueryResult<i64> {
    Ok(get(conn, name)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Records, in the closing transaction, that a scrub is owed.
pub fn request(conn: &mut DbConnection, at: PrimitiveDateTime) -> QueryResult<()> {
    let wanted = number(conn, WANTED)? + 1;
    put(conn, WANTED, &wanted.to_string())?;
    if get(conn, SINCE)?.is_none() {
        let at = at
            .assume_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        put(conn, SINCE, &at)?;
    }
    if let DbConnection::Pg(c) = conn {
        // VACUUM FULL keeps a deleted row that a transaction older than its deletion could
        // still see ("recently dead"), copying it into the new file; the scrub must wait for
        // every such transaction to end, so it needs to know which transaction closed.
        let xid: Xid =
            diesel::sql_query("SELECT pg_current_xact_id()::text AS xid").get_result(c)?;
        put(conn, CLOSE_XID, &xid.xid)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Xid {
    #[diesel(sql_type = diesel::sql_types::Text)]
    xid: String,
}

#[derive(QueryableByName)]
struct Holders {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// PostgreSQL: how many other sessions (in any database of the cluster: measured, `VACUUM
/// FULL` keeps what a session in another database could still see, too) and replication slots
/// hold a snapshot or a transaction that began before the close `xid` committed. While one
/// does, `VACUUM FULL` copies the rows the close deleted (pre-shuffle answers, answer
/// locators, issuances) into the new file as "recently dead". Sessions of other roles show no
/// `backend_xmin` unless Candor's role has `pg_read_all_stats` (docs/operations.md).
fn older_snapshots(c: &mut diesel::PgConnection, xid: &str) -> QueryResult<i64> {
    let held: Holders = diesel::sql_query(
        "WITH closed AS (SELECT ((($1::text::bigint) % 4294967296)::text::xid) AS x) \
         SELECT ((SELECT count(*) FROM pg_stat_activity, closed \
                  WHERE pid <> pg_backend_pid() AND ( \
                    (backend_xmin IS NOT NULL AND age(backend_xmin) >= age(closed.x)) \
                    OR (backend_xid IS NOT NULL AND age(backend_xid) >= age(closed.x)))) \
               + (SELECT count(*) FROM pg_replication_slots, closed \
                  WHERE xmin IS NOT NULL AND age(xmin) >= age(closed.x)))::bigint AS n",
    )
    .bind::<diesel::sql_types::Text, _>(xid)
    .get_result(c)?;
    Ok(held.n)
}

pub fn status(conn: &mut DbConnection) -> QueryResult<Status> {
    let (wanted, done) = (number(conn, WANTED)?, number(conn, DONE)?);
    Ok(Status {
        pending: wanted > done,
        pending_since: if wanted > done {
            get(conn, SINCE)?
        } else {
            None
        },
        failed_attempts: number(conn, ATTEMPTS)?,
        last_error: get(conn, LAST_ERROR)?,
    })
}

#[derive(QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = Integer)]
    busy: i32,
    #[diesel(sql_type = Integer)]
    log: i32,
    #[diesel(sql_type = Integer)]
    checkpointed: i32,
}

/// One scrub pass, outside any transaction. `Ok(())` only when every old row image is gone:
/// the WAL fully checkpointed and truncated, or every table rewritten by `VACUUM FULL`.
pub fn scrub_now(conn: &mut DbConnection) -> Result<(), AppError> {
    match conn {
        DbConnection::Sqlite(c) => {
            c.batch_execute(&format!("PRAGMA busy_timeout = {WAIT_MS}"))?;
            // secure_delete zeroes deleted cells and freed pages, but not the gap a page
            // split or merge leaves behind when it moves cells: a row moved before the close
            // (a thread with its locator, an answer before its shuffle) could survive there.
            // VACUUM writes every page anew from the live rows, like VACUUM FULL on
            // PostgreSQL; the checkpoint then carries the new pages into the file.
            let result = c.batch_execute("VACUUM").and_then(|()| {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Checkpoint>(c)
            });
            c.batch_execute("PRAGMA busy_timeout = 5000")?;
            let r = result?;
            // busy = 1: a reader or writer kept the checkpoint from finishing; the WAL still
            // holds pages that may carry the rows the close deleted.
            if r.busy != 0 || r.log != r.checkpointed {
                return Err(AppError::internal(format!(
                    "the SQLite WAL checkpoint could not finish ({} of {} pages copied; a reader holds an older snapshot, e.g. a backup or a sqlite3 shell)",
                    r.checkpointed.max(0),
                    r.log.max(0)
                )));
            }
            Ok(())
        }
        DbConnection::Pg(_) => {
            let close_xid = get(conn, CLOSE_XID)?;
            let DbConnection::Pg(c) = conn else {
                return Ok(());
            };
            // A snapshot older than the close keeps its deleted rows alive through VACUUM
            // FULL; short reads end within the wait, a long one leaves the scrub pending.
            if let Some(xid) = close_xid {
                let started = std::time::Instant::now();
                loop {
                    let held = older_snapshots(c, &xid)?;
                    if held == 0 {
                        break;
                    }
                    if started.elapsed() > std::time::Duration::from_millis(WAIT_MS.into()) {
                        return Err(AppError::internal(format!(
                            "{held} session(s) or replication slot(s) on this PostgreSQL server hold a transaction that began before the close (a backup, a psql shell, a long report, a standby's feedback); VACUUM FULL would keep the closed rows they can still see"
                        )));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            // VACUUM FULL writes each table anew, live rows only, and drops the old file: no
            // dead tuple (an issuance, a destroyed key, a pre-shuffle response) stays on a page.
            c.batch_execute(&format!("SET lock_timeout = '{WAIT_MS}ms'"))?;
            let mut result = Ok(());
            for t in TABLES {
                if let Err(e) = c.batch_execute(&format!("VACUUM FULL {t}")) {
                    result = Err(AppError::caused(format!("VACUUM FULL {t}"), e));
                    break;
                }
            }
            c.batch_execute("RESET lock_timeout")?;
            result
        }
    }
}

/// Runs the scrub if one is owed, on the writer connection, and records the outcome. Returns
/// the status afterwards. Blocking: call through `db::blocking`.
pub fn run(db: &Db) -> Result<Status, AppError> {
    let mut conn = db.get_write()?;
    let conn: &mut DbConnection = &mut conn;
    let wanted = number(conn, WANTED)?;
    if wanted <= number(conn, DONE)? {
        return Ok(status(conn)?);
    }
    match scrub_now(conn) {
        Ok(()) => {
            conn.transaction(|c| -> QueryResult<()> {
                put(c, DONE, &wanted.to_string())?;
                if number(c, WANTED)? <= wanted {
                    delete_setting(c, SINCE)?;
                }
                put(c, ATTEMPTS, "0")?;
                delete_setting(c, LAST_ERROR)?;
                Ok(())
            })?;
            tracing::info!(target: "candor", "close-time scrub completed");
        }
        Err(e) => {
            let cause = e.chain();
            tracing::error!(target: "candor", cause = %cause, "close-time scrub did not complete; it is retried on every tick and shown to admins until it does");
            conn.transaction(|c| -> QueryResult<()> {
                let n = number(c, ATTEMPTS)? + 1;
                put(c, ATTEMPTS, &n.to_string())?;
                put(c, LAST_ERROR, &cause)?;
                Ok(())
            })?;
        }
    }
    Ok(status(conn)?)
}

/// After a close commits: scrub now, and never fail the close for it (it committed; the
/// scrub is retried until it completes). Failures are logged inside `run`.
pub async fn after_close(db: &Db) {
    let db = db.clone();
    if let Err(e) = super::blocking(move || run(&db)).await {
        tracing::error!(target: "candor", cause = %e.chain(), "close-time scrub could not start; it is retried on every tick");
    }
}
