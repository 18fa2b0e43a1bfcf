//! Every periodic job in one place. `run` is called every 30 seconds in each app process
//! (`lib.rs::server`) and by tests that play a replica's timer; `catch_up_rounds` runs the
//! rounds job alone before member pages (at most once a second per process), so no round
//! waits on the timer to open or close.
//!
//! Each job is idempotent (replicas run them concurrently) and fails on its own: a failure
//! is logged with the job's name and the next job still runs, so one broken job never holds
//! back the others, above all the close-time scrub (G15).

use crate::db::blocking;
use crate::error::AppError;
use crate::state::AppState;

/// What one run did not manage: the names of the jobs that failed (each already logged).
#[derive(Debug, Default)]
pub struct Outcome {
    pub failed: Vec<&'static str>,
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }

    fn record(&mut self, job: &'static str, result: Result<(), AppError>) {
        if let Err(e) = result {
            tracing::warn!(target: "candor", job, error = %e.chain(), "periodic job failed; retried on the next tick");
            self.failed.push(job);
        }
    }
}

/// Runs every periodic job once: private keys of closed rounds forgotten, rounds opened and
/// closed on time, review text and comment conversations deleted under retention, and any
/// scrub still owed.
pub async fn run(state: &AppState) -> Outcome {
    let mut outcome = Outcome::default();
    outcome.record(
        "forget_closed_keys",
        crate::tokens::forget_closed_keys(&state.db, &state.key_cache)
            .await
            .map(|_| ()),
    );
    outcome.record(
        "forget_closed_rounds",
        crate::pulse::actions::member::forget_closed_rounds(state)
            .await
            .map(|_| ()),
    );
    for (job, result) in rounds(state).await {
        outcome.record(job, result);
    }
    outcome.record("review_retention", review_retention(state).await);
    outcome.record("thread_retention", thread_retention(state).await);
    // Reminders and chat notices due before rounds close: queued once (delivery's round
    // events), sent by the delivery loop below.
    outcome.record(
        "round_events",
        crate::delivery::actions::due_round_events(state)
            .await
            .map(|_| ()),
    );
    // Reviews' reminders before their deadline and the batched follow-up notices, queued once
    // (delivery's review events), sent by the delivery loop below.
    outcome.record(
        "review_events",
        crate::delivery::reviews::due_review_events(state)
            .await
            .map(|_| ()),
    );
    // Any scrub still owed (a close whose scrub was kept from finishing, a retention run):
    // retried on every tick until it completes (G15). Last, so it covers what the jobs above
    // just closed or deleted.
    outcome.record("scrub", scrub(state).await);
    outcome
}

/// The rounds job alone, for member paths. Failures are deliberately NOT logged here: a log
/// line written while serving an anonymous route would carry the time a member visited (G4).
/// The same job runs on the 30-second timer, which logs its failures with no request behind
/// them; the member's page reads whatever state the rounds are in.
///
/// At most once per second of the app's clock per process (`clock::Throttle`): at 350 member journeys a
/// second on PostgreSQL the check cost two queries and a thread crossing on each of two pages
/// (issue 13), while a round that comes due is at most a second late to open or close for
/// members instead of up to the timer's thirty.
pub async fn catch_up_rounds(state: &AppState) {
    if !state.catch_up.is_due(state.clock.now()) {
        return;
    }
    // The results are dropped on purpose, unlogged: see above.
    drop(rounds(state).await);
}

/// Opens scheduled rounds whose time has come and closes rounds past their closing time,
/// each on its own, so one round that cannot open or close does not hold back the rest.
async fn rounds(state: &AppState) -> Vec<(&'static str, Result<(), AppError>)> {
    let (to_open, to_close) = match crate::pulse::actions::due_rounds(state).await {
        Ok(due) => due,
        Err(e) => return vec![("due_rounds", Err(e))],
    };
    let mut out = Vec::new();
    for id in to_open {
        out.push((
            "open_round",
            crate::pulse::actions::open_scheduled(state, id.into()).await,
        ));
    }
    for id in to_close {
        let closed = crate::pulse::actions::finish_round(state, None, id.into()).await;
        out.push(("close_round", closed.map(|_| ())));
    }
    out
}

/// Deletes review text past its retention date.
async fn review_retention(state: &AppState) -> Result<(), AppError> {
    let today = state.clock.today();
    let purged = state
        .db
        .write(move |c| Ok(crate::reviews::store::apply_retention(c, today)?))
        .await?;
    if purged > 0 {
        tracing::info!(target: "candor", reviews = purged, "review text deleted under retention");
    }
    Ok(())
}

/// Deletes comment conversations past their retention (`threads::model::THREAD_RETENTION_DAYS`).
async fn thread_retention(state: &AppState) -> Result<(), AppError> {
    let purged = crate::threads::actions::apply_retention(state).await?;
    if purged > 0 {
        tracing::info!(target: "candor", threads = purged, "comment conversations deleted under retention");
    }
    Ok(())
}

async fn scrub(state: &AppState) -> Result<(), AppError> {
    let db = state.db.clone();
    blocking(move || crate::db::scrub::run(&db)).await?;
    Ok(())
}

/// How often the delivery loop looks for messages whose backoff has passed, when nothing
/// woke it sooner.
const DELIVERY_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// The outbox worker's loop, one per app process: drain what is due, then wait for a wake
/// (an action queued something) or the poll. Its transports are built here, on the runtime
/// that uses them. A failure is logged with counts only, never a recipient (G4), and the
/// loop goes on: what was not sent stays queued.
pub async fn deliver_forever(state: actix_web::web::Data<AppState>) {
    let senders = match crate::delivery::send::Senders::new(state.settings.mail.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(target: "candor", error = %e, "delivery cannot start; messages stay queued");
            return;
        }
    };
    loop {
        match crate::delivery::worker::drain(&state, &senders).await {
            Ok(d) if d.retrying > 0 || d.failed > 0 => {
                tracing::warn!(target: "candor", sent = d.sent, retrying = d.retrying, failed = d.failed, "outbox: some messages were not accepted");
            }
            Ok(d) if d.sent > 0 => {
                tracing::info!(target: "candor", sent = d.sent, "outbox: messages sent");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(target: "candor", job = "deliver", error = %e, "periodic job failed; retried on the next tick");
            }
        }
        state.delivery.wait(DELIVERY_POLL).await;
    }
}
