//! `candor backup --to FILE` and `candor restore --from FILE` for a SQLite instance.
//!
//! A backup is SQLite's online backup API run in one step: one read transaction, so the
//! file is consistent even while answers are being written, and Candor keeps serving.
//! While a round or review is open the database holds who has taken a token so far (the
//! issuance rows, deleted at close) and answers not yet shuffled: a backup taken then is the
//! live operator's view that the threat model leaves undefended, kept on a disk for as long
//! as the backup is. So it is refused unless asked for by name.
//!
//! On PostgreSQL these commands print what to run (`pg_dump`, `pg_restore`): a logical dump
//! is the right backup there, and Candor does not reimplement it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::source::{self, create_private, online_backup, open_existing, TempFile};
use crate::db::DbUrl;

/// What a backup or restore did, or the command to run on PostgreSQL.
#[derive(Debug)]
pub enum Outcome {
    Written {
        path: PathBuf,
        bytes: u64,
        open_rounds: i64,
        open_reviews: i64,
    },
    /// DATABASE_URL is PostgreSQL: the instructions to print.
    Postgres(String),
}

/// Open rounds and reviews in a database: what a backup of it would hold of people.
fn open_scopes(conn: &Connection) -> Result<(i64, i64), String> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM rounds WHERE status = 'open'), \
                (SELECT count(*) FROM reviews WHERE status = 'open')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .map_err(|e| format!("cannot read rounds and reviews: {e}"))
}

fn refusal(rounds: i64, reviews: i64) -> String {
    format!(
        "refused: {rounds} round(s) and {reviews} review(s) are open. While they are open \
         the database records who has taken a token so far, and answers are not yet \
         shuffled; those records are deleted at close, but a backup taken now keeps them for \
         as long as you keep the backup (the live-operator risk in docs/threat-model.md). \
         Take the backup after they close, or pass --during-open-rounds and replace the \
         backup with one taken after the close. Nothing was written."
    )
}

/// Backs up the instance at `db` into the new file `to`.
pub fn backup(db: &DbUrl, to: &Path, during_open_rounds: bool) -> Result<Outcome, String> {
    let path = match db {
        DbUrl::Sqlite(p) => Path::new(p),
        DbUrl::Postgres(_) => {
            return Ok(Outcome::Postgres(format!(
                "Candor is on PostgreSQL: take a logical dump with\n\n    \
                 pg_dump -Fc -d \"$DATABASE_URL\" -f {}\n\n\
                 after rounds and reviews have closed and the close-time scrub has run (see \
                 docs/operations.md, Backups). Restore it with pg_restore --no-owner into an \
                 empty database.",
                to.display()
            )))
        }
    };
    if to.exists() {
        return Err(format!(
            "{} already exists: a backup never overwrites a file",
            to.display()
        ));
    }
    let live = open_existing(path, Duration::from_secs(5))?;
    let (rounds, reviews) = open_scopes(&live)?;
    if (rounds > 0 || reviews > 0) && !during_open_rounds {
        return Err(refusal(rounds, reviews));
    }
    let partial = TempFile(source::sibling(to, "partial"));
    create_private(&partial.0)?;
    online_backup(&live, &partial.0)?;
    drop(live);
    // Checked again on the copy itself: a round may have opened between the first look and
    // the backup's read transaction.
    let copy = Connection::open_with_flags(&partial.0, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot read the backup: {e}"))?;
    let (rounds, reviews) = open_scopes(&copy)?;
    drop(copy);
    if (rounds > 0 || reviews > 0) && !during_open_rounds {
        return Err(refusal(rounds, reviews));
    }
    std::fs::rename(&partial.0, to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(Outcome::Written {
        path: to.to_owned(),
        bytes,
        open_rounds: rounds,
        open_reviews: reviews,
    })
}

/// Restores a backup into the configured SQLite path, which must not exist yet.
pub fn restore(db: &DbUrl, from: &Path) -> Result<Outcome, String> {
    let path = match db {
        DbUrl::Sqlite(p) => PathBuf::from(p),
        DbUrl::Postgres(_) => {
            return Ok(Outcome::Postgres(format!(
                "DATABASE_URL is PostgreSQL. For a pg_dump file, stop Candor and run\n\n    \
                 pg_restore --no-owner -d \"$DATABASE_URL\" {}\n\n\
                 into an empty database. For a SQLite backup made by candor backup, copy it \
                 into PostgreSQL instead:\n\n    \
                 DATABASE_URL=sqlite://{} candor copy --to \"$DATABASE_URL\"",
                from.display(),
                from.display()
            )))
        }
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        if Path::new(&p).exists() {
            return Err(format!(
                "{} exists: restore only into an empty data directory (move the current \
                 database away first). Nothing was written.",
                Path::new(&p).display()
            ));
        }
    }
    let backup = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", from.display()))?;
    let check: String = backup
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| format!("{} is not a SQLite database: {e}", from.display()))?;
    if check != "ok" {
        return Err(format!(
            "{} is damaged (SQLite's quick_check failed); nothing was written",
            from.display()
        ));
    }
    let is_candor: i64 = backup
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('__diesel_schema_migrations', 'instance_settings')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    if is_candor != 2 {
        return Err(format!("{} is not a Candor backup", from.display()));
    }
    let (rounds, reviews) = open_scopes(&backup)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let partial = TempFile(source::sibling(&path, "restoring"));
    create_private(&partial.0)?;
    online_backup(&backup, &partial.0)?;
    drop(backup);
    std::fs::rename(&partial.0, &path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Outcome::Written {
        path,
        bytes,
        open_rounds: rounds,
        open_reviews: reviews,
    })
}
