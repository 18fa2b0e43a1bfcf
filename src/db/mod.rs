//! The database: one connection enum over SQLite and PostgreSQL, two pools, migrations,
//! and the one helper that crosses from async handlers to blocking database work.
//!
//! SQLite allows one writer at a time; a pool of several writers only queues them on the
//! busy timeout (measured p99 265 ms against 11 ms with one writer, STACK-NOTES). So every
//! write goes through `Db::write`, whose SQLite pool has exactly one connection, while reads
//! share a larger pool. On PostgreSQL both use the same pool.

pub mod batch;
pub mod schema;
pub mod scrub;
pub mod settings;
pub mod throttle;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

/// Every query runs on this enum; diesel dispatches to the backend it holds.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which backend a URL names. Chosen from the scheme alone so a mistyped PostgreSQL URL is
/// an error, never a SQLite file named after it (diesel's own `establish` falls through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(String),
    Postgres(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Ok(Self::Sqlite(path.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Self::Sqlite(path.to_owned()))
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(format!(
                "unsupported DATABASE_URL scheme {scheme:?}: use sqlite://PATH or postgres://..."
            ))
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// Opens connections for r2d2 on the backend the URL names and reports the real error.
#[derive(Clone, Debug)]
pub struct Manager {
    url: DbUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DbUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                // One pragma per batch: busy_timeout first so the WAL switch waits for a lock.
                for pragma in [
                    "PRAGMA busy_timeout = 5000",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                    // Deleted rows (issuances at close, rows before their shuffle) are
                    // overwritten with zeros instead of lingering in free pages (G1, G3).
                    "PRAGMA secure_delete = ON",
                ] {
                    conn.batch_execute(pragma)
                        .map_err(r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
            DbUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// The two pools. Cloning is cheap (r2d2 pools are reference counted).
#[derive(Clone)]
pub struct Db {
    read: DbPool,
    write: DbPool,
    backend: Backend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn connect(url: &DbUrl, max_connections: u32) -> Result<Self, String> {
        let manager = Manager { url: url.clone() };
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(10))
                .build(manager.clone())
                .map_err(|e| format!("cannot open the database: {e}"))
        };
        Ok(match url {
            DbUrl::Sqlite(_) => {
                // Open the writer first: it switches the file to WAL before readers arrive.
                let write = build(1)?;
                let read = build(max_connections.max(2))?;
                Self {
                    read,
                    write,
                    backend: Backend::Sqlite,
                }
            }
            DbUrl::Postgres(_) => {
                let pool = build(max_connections.max(2))?;
                Self {
                    read: pool.clone(),
                    write: pool,
                    backend: Backend::Postgres,
                }
            }
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs pending migrations for this backend.
    pub fn migrate(&self) -> Result<usize, String> {
        let mut conn = self
            .write
            .get()
            .map_err(|e| format!("cannot open the database: {e}"))?;
        run_migrations(&mut conn)
    }

    /// A connection for blocking code outside a request (CLI commands, tests, seeding).
    pub fn get_write(&self) -> Result<PooledConn, AppError> {
        self.write.get().map_err(AppError::from)
    }

    /// Reads on a pooled connection, off the async workers.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        blocking(move || db.read_here(f)).await
    }

    /// Writes in one transaction on the writer pool, off the async workers. Everything one
    /// request writes goes through a single call, so it lands whole or not at all.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        blocking(move || db.write_here(f)).await
    }

    /// [`read`](Self::read) for code already on a blocking thread: a request that reads,
    /// computes (RSA signing) and writes crosses to the blocking pool once, not three times.
    /// Each crossing wakes two threads; in issue 13's profile of member journeys, thread
    /// switches took a fifth of the server's CPU.
    pub fn read_here<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut conn = self.read.get()?;
        f(&mut conn)
    }

    /// [`write`](Self::write) for code already on a blocking thread: one transaction.
    pub fn write_here<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut conn = self.write.get()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(f)
    }
}

/// The one crossing from async to blocking work (database, argon2, RSA signing).
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(f)
        .await
        .map_err(|_| AppError::internal("blocking task was cancelled"))?
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    let done = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
    };
    done.map_err(|e| format!("migration failed: {e}"))
}

/// Runs the same typed statement on whichever backend the connection holds: `ON CONFLICT`
/// exists on each backend's connection but not on the combined enum. Typed (not raw SQL) so
/// diesel keeps the prepared statement between calls.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Whether a diesel error is a unique-constraint violation (a duplicate the user can fix).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
