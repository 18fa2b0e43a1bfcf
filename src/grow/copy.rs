//! `candor copy --to postgres://...`: the whole instance from its SQLite file into an empty
//! PostgreSQL database, in one transaction, checked table by table before it commits.
//!
//! The order of work, and why:
//! 1. Open the source: stopped (exclusive lock held to the end) or a snapshot (see `source`).
//! 2. On the target, in one transaction: refuse if any table holds a row (nothing has been
//!    written yet, so a refusal writes nothing); make sure the server will not log values;
//!    run every PostgreSQL migration; check that both sides have the same migrations, tables
//!    and columns.
//! 3. Copy table by table in foreign-key order, each in its stored order (random keys for
//!    every anonymous table), all columns written (no default fires), all in the one
//!    transaction: every row gets the same `xmin` and nothing gains a time or an order.
//! 4. Read every table back and compare its row count and checksum with the source's; set
//!    sequences (there are none today); commit. A mismatch rolls everything back.
//!
//! Nothing here logs a value: the report holds table names, counts and checksums only.

use std::collections::BTreeSet;
use std::path::Path;

use diesel::prelude::*;
use diesel::PgConnection;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::source::{self, quote, Mode};
use super::target::{self, Inserter};
use super::values::{self, TableSum};
use crate::db::{DbConnection, DbUrl};

/// One table's figures on both sides.
#[derive(Debug, Clone)]
pub struct TableReport {
    pub name: String,
    pub source: TableSum,
    pub target: TableSum,
}

/// What a copy did, for the operator (and the tests) to read.
#[derive(Debug)]
pub struct CopyReport {
    pub mode: Mode,
    pub tables: Vec<TableReport>,
    pub sequences: Vec<String>,
    /// Whether the instance secret is stored in the database (and so was copied).
    pub secret_in_database: bool,
    pub secret_configured: bool,
}

/// Copies the SQLite database at `source_url` into the empty PostgreSQL database `to`.
/// `progress` draws a bar per table on standard error when it is a terminal.
pub fn copy(
    source_url: &DbUrl,
    to: &str,
    secret_configured: bool,
    progress: bool,
) -> Result<CopyReport, String> {
    let path = match source_url {
        DbUrl::Sqlite(p) => Path::new(p),
        DbUrl::Postgres(_) => {
            return Err(
                "candor copy moves a SQLite instance: DATABASE_URL already names \
                        PostgreSQL (use pg_dump and pg_restore between PostgreSQL servers)"
                    .into(),
            )
        }
    };
    let to = match DbUrl::parse(to)? {
        DbUrl::Postgres(url) => url,
        DbUrl::Sqlite(_) => {
            return Err(
                "--to must be a postgres:// URL (for a SQLite copy use candor backup)".into(),
            )
        }
    };
    let src = source::open(path)?;
    let mut conn = DbConnection::Pg(
        PgConnection::establish(&to)
            .map_err(|e| format!("cannot connect to the target PostgreSQL database: {e}"))?,
    );
    let secret_in_database = src.stores_secret()?;
    let (tables, sequences) = conn
        .transaction(|c| -> Result<_, Abort> {
            let pg = pg_of(c)?;
            let full = target::tables_with_rows(pg)?;
            if !full.is_empty() {
                return Err(Abort(format!(
                    "refused: the target database is not empty ({} hold rows). The copy \
                     writes only into an empty database, so it can never mix two instances. \
                     Nothing was written.",
                    full.join(", ")
                )));
            }
            target::quiet_server_log(pg)?;
            crate::db::run_migrations(c)?;
            let pg = pg_of(c)?;
            Ok(copy_tables(&src, pg, progress)?)
        })
        .map_err(|a| a.0)?;
    // Fresh statistics so the first requests on PostgreSQL get sensible plans; not needed
    // for correctness, so a failure only goes unreported.
    let _ = diesel::sql_query("ANALYZE").execute(&mut conn);
    Ok(CopyReport {
        mode: src.mode,
        tables,
        sequences,
        secret_in_database,
        secret_configured,
    })
}

/// Why the copy's transaction rolled back, as the operator reads it.
struct Abort(String);

impl From<String> for Abort {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Self(format!("the target database failed: {e}"))
    }
}

fn pg_of(c: &mut DbConnection) -> Result<&mut PgConnection, String> {
    match c {
        DbConnection::Pg(pg) => Ok(pg),
        DbConnection::Sqlite(_) => Err("the target is not PostgreSQL".into()),
    }
}

/// Steps 3 and 4 inside the target's transaction: every table copied, read back, compared.
fn copy_tables(
    src: &source::Source,
    pg: &mut PgConnection,
    progress: bool,
) -> Result<(Vec<TableReport>, Vec<String>), String> {
    check_same_schema(src, pg)?;
    let columns = target::columns(pg)?;
    let names: BTreeSet<String> = columns.keys().cloned().collect();
    let order = target::dependency_order(pg, &names)?;
    let src_tables = src.tables()?;
    let mut reports = vec![];
    for name in order {
        let cols = columns
            .get(&name)
            .ok_or_else(|| format!("{name}: no columns"))?;
        let st = src_tables
            .get(&name)
            .ok_or_else(|| format!("{name} is missing from the SQLite database"))?;
        let total = src.count(&name)?;
        let bar = bar(&name, total, progress);
        let mut sum = TableSum::default();
        let mut ins = Inserter::new(&name, cols);
        let select = format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.iter()
                .map(|c| quote(&c.name))
                .collect::<Vec<_>>()
                .join(", "),
            quote(&name),
            st.storage_order
        );
        let mut stmt = src
            .conn
            .prepare(&select)
            .map_err(|e| format!("cannot read {name}: {e}"))?;
        let mut rows = stmt
            .query([])
            .map_err(|e| format!("cannot read {name}: {e}"))?;
        while let Some(r) = rows
            .next()
            .map_err(|e| format!("cannot read {name}: {e}"))?
        {
            let mut row = Vec::with_capacity(cols.len());
            for (i, c) in cols.iter().enumerate() {
                let v = r
                    .get_ref(i)
                    .map_err(|e| format!("cannot read {name}: {e}"))?;
                row.push(
                    values::from_sqlite(c.kind, v)
                        .map_err(|b| format!("{name}.{}: {}", c.name, b.0))?,
                );
            }
            sum.add(&row);
            let n = ins.push(pg, row)?;
            bar.inc(n as u64);
        }
        bar.inc(ins.flush(pg)? as u64);
        let mut back = TableSum::default();
        target::read_back(pg, &name, cols, |row| {
            let row = row
                .into_iter()
                .zip(cols)
                .map(|(v, c)| match v {
                    None => Ok(None),
                    Some(s) => values::canonical(c.kind, &s)
                        .map(Some)
                        .map_err(|b| format!("{name}.{} read back: {}", c.name, b.0)),
                })
                .collect::<Result<Vec<_>, String>>()?;
            back.add(&row);
            Ok(())
        })?;
        bar.finish();
        if back != sum {
            return Err(format!(
                "{name}: the source has {} rows (checksum {}) but the target read back {} \
                     (checksum {}); the copy was rolled back and nothing was written",
                sum.rows,
                sum.short(),
                back.rows,
                back.short()
            ));
        }
        reports.push(TableReport {
            name,
            source: sum,
            target: back,
        });
    }
    let sequences = target::reset_sequences(pg)?;
    Ok((reports, sequences))
}

fn bar(name: &str, total: u64, progress: bool) -> ProgressBar {
    let target = if progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>20} [{bar:30}] {pos}/{len} rows {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    bar
}

/// Both sides must be the same version of Candor's schema, table for table and column for
/// column: a copy never guesses where a column went.
fn check_same_schema(src: &source::Source, pg: &mut PgConnection) -> Result<(), String> {
    let (s, t) = (src.migrations()?, target::migrations(pg)?);
    if s != t {
        let missing: Vec<&String> = t.iter().filter(|v| !s.contains(v)).collect();
        return Err(if missing.is_empty() {
            "the SQLite database was migrated by a newer Candor than this one: copy with \
             that version"
                .into()
        } else {
            format!(
                "the SQLite database lacks migrations {missing:?}: run `candor migrate` on it \
                 (or start Candor once) with this version, then copy"
            )
        });
    }
    let src_tables = src.tables()?;
    let columns = target::columns(pg)?;
    let a: BTreeSet<&String> = src_tables.keys().collect();
    let b: BTreeSet<&String> = columns.keys().collect();
    if a != b {
        return Err(format!(
            "the two schemas differ: only in SQLite {:?}, only in PostgreSQL {:?}",
            a.difference(&b).collect::<Vec<_>>(),
            b.difference(&a).collect::<Vec<_>>()
        ));
    }
    for (name, cols) in &columns {
        let want: BTreeSet<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        let have: BTreeSet<&str> = src_tables
            .get(name)
            .map(|t| t.columns.iter().map(String::as_str).collect())
            .unwrap_or_default();
        if want != have {
            return Err(format!(
                "{name} has different columns in SQLite and PostgreSQL"
            ));
        }
    }
    Ok(())
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.mode {
            Mode::Stopped => writeln!(
                f,
                "Candor was stopped: copied from the database file, held locked throughout."
            )?,
            Mode::Snapshot => writeln!(
                f,
                "Candor is running: copied from a consistent snapshot (SQLite online backup) \
                 taken when the copy began. Anything written since is not in the copy: to \
                 move for good, stop Candor, empty the target and copy again."
            )?,
        }
        writeln!(
            f,
            "{:<24} {:>10} {:>10}  {:<16} {:<16}",
            "table", "sqlite", "postgres", "sqlite sum", "postgres sum"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<24} {:>10} {:>10}  {:<16} {:<16}",
                t.name,
                t.source.rows,
                t.target.rows,
                t.source.short(),
                t.target.short()
            )?;
        }
        let rows: u64 = self.tables.iter().map(|t| t.target.rows).sum();
        writeln!(
            f,
            "{} tables, {rows} rows: every row count and checksum matches. Committed.",
            self.tables.len()
        )?;
        if self.sequences.is_empty() {
            writeln!(
                f,
                "No sequences to set: Candor's ids are random, never serial."
            )?;
        } else {
            writeln!(f, "Sequences set: {}", self.sequences.join(", "))?;
        }
        match (self.secret_configured, self.secret_in_database) {
            (true, _) => writeln!(
                f,
                "CANDOR_SECRET is set: give the PostgreSQL deployment the same value, or invite \
                 links, receipts, sessions and API tokens stop working."
            )?,
            (false, true) => writeln!(
                f,
                "The instance secret is stored in the database and was copied with it: invite \
                 links, receipts, staff sessions and API tokens keep working."
            )?,
            (false, false) => writeln!(
                f,
                "No instance secret in the database and CANDOR_SECRET is not set here: start \
                 the PostgreSQL deployment with the CANDOR_SECRET the SQLite one used."
            )?,
        }
        write!(
            f,
            "Next: stop Candor if it still runs, set DATABASE_URL to the PostgreSQL URL, start it."
        )
    }
}
