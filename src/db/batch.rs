//! Group commit: many small writes of the same kind (anonymous answers) share one transaction.
//!
//! A request hands its writes to a lane as a closure ([`GroupCommit::write`]) and waits. The
//! lane's writer thread takes every job queued while it was committing the last batch (up to
//! [`MAX_BATCH`]), runs the lane's check once for every scope the batch holds (e.g. "these
//! rounds are still open", under their row locks on PostgreSQL: one statement, not one per
//! round), then each job's closure, and commits once. Each
//! request is answered only after the transaction that holds its writes has committed, so an
//! acknowledged write is as durable as one committed alone.
//!
//! Callers validate before they queue, so a job should not fail. If one does (a token spent
//! twice in the same batch, a round closed meanwhile, a lost connection), the whole batch is
//! rolled back and every job runs again alone in its own transaction: a bad job fails only
//! itself, and every job's writes still land whole or not at all.
//!
//! On SQLite the lane has one writer thread and uses the single writer connection between
//! other writes; on PostgreSQL a few threads each batch on their own pooled connection.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};

use diesel::Connection;
use tokio::sync::oneshot;

use super::{Backend, Db, DbConnection, DbPool};
use crate::error::AppError;

/// The most jobs one transaction holds: enough to absorb every request of a busy moment,
/// few enough that a retry alone after a failure stays short.
pub const MAX_BATCH: usize = 256;

/// Most writer threads per lane on PostgreSQL, where transactions may run side by side; never
/// more than half the pool, so reads always find a connection.
const PG_WRITERS: u32 = 4;

/// The check run once per batch, inside the transaction and before any job, over the distinct
/// scopes of the batch's jobs; an error fails the batch (each job then runs alone, with the
/// check of its own scope).
pub type Check = fn(&mut DbConnection, &[&str]) -> Result<(), AppError>;

/// One queued request: its writes, run again if its batch has to be retried.
trait Job: Send {
    fn scope(&self) -> &str;
    fn run(&mut self, conn: &mut DbConnection) -> Result<(), AppError>;
    /// Sends the result of the last `run` (after its transaction committed), or `err`.
    fn finish(self: Box<Self>, err: Option<AppError>);
}

struct Typed<T, F> {
    scope: String,
    work: F,
    out: Option<T>,
    reply: oneshot::Sender<Result<T, AppError>>,
}

impl<T, F> Job for Typed<T, F>
where
    T: Send,
    F: FnMut(&mut DbConnection) -> Result<T, AppError> + Send,
{
    fn scope(&self) -> &str {
        &self.scope
    }

    fn run(&mut self, conn: &mut DbConnection) -> Result<(), AppError> {
        self.out = Some((self.work)(conn)?);
        Ok(())
    }

    fn finish(self: Box<Self>, err: Option<AppError>) {
        let result = match (err, self.out) {
            (Some(e), _) => Err(e),
            (None, Some(v)) => Ok(v),
            (None, None) => Err(AppError::internal(
                "a batched write finished without running",
            )),
        };
        // The request may have gone (client disconnected): its writes are committed anyway.
        let _ = self.reply.send(result);
    }
}

/// A lane of batched writes. Dropping it (with the state) stops its threads.
pub struct GroupCommit {
    tx: Sender<Box<dyn Job>>,
}

impl GroupCommit {
    /// A lane on `db`'s writer pool whose batches run `check` once per scope.
    pub fn new(db: &Db, name: &str, check: Check) -> Result<Self, String> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => (db.write.max_size() / 2).clamp(1, PG_WRITERS),
        };
        for i in 0..threads {
            let (rx, pool) = (rx.clone(), db.write.clone());
            std::thread::Builder::new()
                .name(format!("{name}-writer-{i}"))
                .spawn(move || writer(&rx, &pool, check))
                .map_err(|e| format!("cannot start the {name} writer: {e}"))?;
        }
        Ok(Self { tx })
    }

    /// Runs `work` in a batch transaction after the check of `scope`, and answers once that
    /// transaction has committed. `work` may run twice (again alone, if its batch failed), so
    /// it must do everything through `conn`.
    pub async fn write<T, F>(&self, scope: String, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Typed {
            scope,
            work,
            out: None,
            reply,
        });
        self.tx
            .send(job)
            .map_err(|_| AppError::internal("the batch writer has stopped"))?;
        answer
            .await
            .map_err(|_| AppError::internal("the batch writer dropped a write"))?
    }
}

/// Takes the next batch: waits for one job, then takes what else is queued.
fn next_batch(rx: &Mutex<Receiver<Box<dyn Job>>>) -> Option<Vec<Box<dyn Job>>> {
    let rx = rx.lock().ok()?;
    let first = rx.recv().ok()?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
        }
    }
    Some(batch)
}

fn writer(rx: &Mutex<Receiver<Box<dyn Job>>>, pool: &DbPool, check: Check) {
    while let Some(batch) = next_batch(rx) {
        // A panic in a job must not stop the lane: the batch's requests are dropped (each
        // answers an internal error) and nothing of the batch was committed.
        let _ = catch_unwind(AssertUnwindSafe(|| commit(batch, pool, check)));
    }
}

fn commit(mut batch: Vec<Box<dyn Job>>, pool: &DbPool, check: Check) {
    let mut conn = match pool.get() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(cause = %e, "database pool");
            for job in batch {
                job.finish(Some(AppError::Unavailable));
            }
            return;
        }
    };
    let conn: &mut DbConnection = &mut conn;
    let together = conn.transaction(|c| {
        let mut seen: HashSet<&str> = HashSet::new();
        let scopes: Vec<&str> = batch
            .iter()
            .map(|j| j.scope())
            .filter(|s| seen.insert(s))
            .collect();
        check(c, &scopes)?;
        for job in batch.iter_mut() {
            job.run(c)?;
        }
        Ok::<(), AppError>(())
    });
    match together {
        Ok(()) => {
            for job in batch {
                job.finish(None);
            }
            return;
        }
        Err(e) if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                job.finish(Some(e));
            }
            return;
        }
        Err(_) => {}
    }
    // One job (or the commit) failed: everything was rolled back; each job alone now.
    for mut job in batch {
        let alone = conn.transaction(|c| {
            check(c, &[job.scope()])?;
            job.run(c)
        });
        job.finish(alone.err());
    }
}
