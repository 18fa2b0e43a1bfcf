//! The SQLite side of a copy: the instance's file when Candor is stopped, or a consistent
//! snapshot of it (SQLite's online backup API) when Candor is running.
//!
//! "Stopped" is proved, not assumed: the copy takes SQLite's exclusive lock and holds it to
//! the end, so no Candor can start writing mid-copy. A running Candor keeps connections open,
//! which makes that lock fail at once; the copy then reads a snapshot taken in one step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How the rows were read, which the copy reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Candor was stopped; the file was read under an exclusive lock.
    Stopped,
    /// Candor was running; the rows come from a snapshot taken when the copy began, and
    /// anything written after that is not in the target.
    Snapshot,
}

/// An open source database, read inside one transaction.
pub struct Source {
    pub conn: Connection,
    pub mode: Mode,
    /// The snapshot file, removed when the copy is done whatever happens.
    _snapshot: Option<TempFile>,
}

/// A file next to the database that is removed on drop (with SQLite's side files).
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn err(context: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// A file name beside `db` that no one else uses.
pub fn sibling(db: &Path, what: &str) -> PathBuf {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "candor.db".into());
    let tag = crate::secret::b64(&crate::secret::random_bytes(6));
    db.with_file_name(format!(".{name}.{what}-{tag}"))
}

/// Creates an empty file only its owner can read: snapshots and backups hold the instance.
pub fn create_private(path: &Path) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .map(|_| ())
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Copies the whole of `from` into `to` in one step of the online backup API: one read
/// transaction on the source, so the copy is consistent even while Candor writes.
pub fn online_backup(from: &Connection, to: &Path) -> Result<(), String> {
    let mut dst = Connection::open(to).map_err(err("cannot open the backup file"))?;
    let backup = rusqlite::backup::Backup::new(from, &mut dst)
        .map_err(err("cannot start the online backup"))?;
    // One step of every page (-1): a single read transaction, so the copy is of one moment
    // and a write meanwhile never restarts it. Busy only while a writer holds the lock the
    // step needs to start; it is retried for as long as Candor's own busy timeout.
    let mut waited = Duration::ZERO;
    loop {
        use rusqlite::backup::StepResult;
        match backup.step(-1).map_err(err("the online backup failed"))? {
            StepResult::Done => break,
            StepResult::More => {}
            _ if waited < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(20));
                waited += Duration::from_millis(20);
            }
            _ => return Err("the online backup stayed locked out for 5 seconds".into()),
        }
    }
    drop(backup);
    dst.close()
        .map_err(|(_, e)| format!("cannot close the backup file: {e}"))
}

/// Opens an existing database with the timeout Candor itself uses.
pub fn open_existing(path: &Path, busy: Duration) -> Result<Connection, String> {
    if !path.is_file() {
        return Err(format!("no SQLite database at {}", path.display()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err("cannot open the SQLite database"))?;
    conn.busy_timeout(busy)
        .map_err(err("cannot set the busy timeout"))?;
    Ok(conn)
}

/// Opens the instance's database for a copy: under an exclusive lock when Candor is
/// stopped, else through a snapshot taken now.
pub fn open(path: &Path) -> Result<Source, String> {
    let conn = open_existing(path, Duration::ZERO)?;
    let locked = conn
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .is_ok();
    if locked {
        return Ok(Source {
            conn,
            mode: Mode::Stopped,
            _snapshot: None,
        });
    }
    drop(conn);
    let live = open_existing(path, Duration::from_secs(5))?;
    let file = TempFile(sibling(path, "copy-snapshot"));
    create_private(&file.0)?;
    online_backup(&live, &file.0)?;
    drop(live);
    let conn = Connection::open_with_flags(&file.0, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(err("cannot open the snapshot"))?;
    conn.execute_batch("BEGIN")
        .map_err(err("cannot read the snapshot"))?;
    Ok(Source {
        conn,
        mode: Mode::Snapshot,
        _snapshot: Some(file),
    })
}

/// One column of a source table, as SQLite declares it.
#[derive(Debug)]
pub struct SourceTable {
    pub columns: Vec<String>,
    /// The order rows are stored in: the primary key for `WITHOUT ROWID` tables (every
    /// anonymous table; its keys are random), else the rowid. Copying in this order gives
    /// the target no order the source did not already have.
    pub storage_order: String,
}

impl Source {
    /// Candor's tables (not SQLite's own, not diesel's bookkeeping) with their columns.
    pub fn tables(&self) -> Result<BTreeMap<String, SourceTable>, String> {
        let e = err("cannot read the SQLite schema");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .map_err(&e)?;
        let list: Vec<(String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        let mut out = BTreeMap::new();
        for (name, without_rowid) in list {
            let mut stmt = self
                .conn
                .prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")
                .map_err(&e)?;
            let cols: Vec<(String, i64)> = stmt
                .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?
                .collect::<Result<_, _>>()
                .map_err(&e)?;
            let storage_order = if without_rowid {
                let mut pk: Vec<&(String, i64)> = cols.iter().filter(|c| c.1 > 0).collect();
                pk.sort_by_key(|c| c.1);
                pk.iter()
                    .map(|c| quote(&c.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                "rowid".to_owned()
            };
            out.insert(
                name,
                SourceTable {
                    columns: cols.into_iter().map(|c| c.0).collect(),
                    storage_order,
                },
            );
        }
        Ok(out)
    }

    /// The migrations applied to the source, to match against the target's.
    pub fn migrations(&self) -> Result<Vec<String>, String> {
        let e = err("cannot read the SQLite migrations");
        let mut stmt = self
            .conn
            .prepare("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .map_err(&e)?;
        let v = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        Ok(v)
    }

    pub fn count(&self, table: &str) -> Result<u64, String> {
        self.conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(err("cannot count rows"))
    }

    /// Whether the instance secret is stored in the database (and so moves with it).
    pub fn stores_secret(&self) -> Result<bool, String> {
        self.conn
            .query_row(
                "SELECT count(*) FROM instance_settings WHERE name = 'secret'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(err("cannot read instance_settings"))
    }
}

/// An SQL identifier in double quotes: names come from the catalogs, and are quoted anyway.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
