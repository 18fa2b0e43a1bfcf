//! Queries for the outbox, mailed links, team webhooks and round events.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
use time::{Duration, PrimitiveDateTime};

use super::model::{Channel, Claimed, Failure, Outgoing, MAX_ATTEMPTS};
use crate::db::schema::{
    outbox, review_events, review_notices, reviews, round_events, team_webhooks,
};
use crate::db::{on_backend, DbConnection};
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::secret::new_id;
use crate::teams::model::TeamId;

/// The outbox runs on real time, not the app's movable clock: its due times, retries and
/// claim leases are measured against real mail servers and real crashed workers.
fn now() -> PrimitiveDateTime {
    crate::clock::recorded_at()
}

/// Queues one message in the caller's transaction, due at once.
pub fn enqueue(conn: &mut DbConnection, m: &Outgoing) -> QueryResult<usize> {
    let t = now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(new_id()),
            outbox::channel.eq(m.channel.as_str()),
            outbox::purpose.eq(m.purpose),
            outbox::recipient.eq(&m.recipient),
            outbox::subject.eq(&m.subject),
            outbox::body.eq(&m.body),
            outbox::attempts.eq(0),
            outbox::due_at.eq(t),
            outbox::created_at.eq(t),
        ))
        .execute(conn)
}

#[derive(Queryable)]
struct ClaimedRow {
    id: String,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    attempts: i32,
}

/// The claim, written first so the statement that picks rows also locks them: on PostgreSQL
/// `FOR UPDATE SKIP LOCKED` lets two replicas claim disjoint rows at once without waiting; on
/// SQLite the single writer makes the statement atomic. A row whose lease ran out (its worker
/// died) is due again. A worker that cannot send mail (its process has no `CANDOR_SMTP_URL`)
/// claims no mail: it would only push the message back by a retry's wait, again at every
/// poll, while a replica that can send it waits.
const CLAIM_PG: &str = "UPDATE outbox SET claim = $1, claimed_until = $2, attempts = attempts + 1 \
WHERE id IN (SELECT id FROM outbox WHERE failed_at IS NULL AND due_at <= $3 \
AND (claimed_until IS NULL OR claimed_until < $3) AND (channel <> 'mail' OR $5) \
ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED)";
const CLAIM_SQLITE: &str =
    "UPDATE outbox SET claim = ?, claimed_until = ?, attempts = attempts + 1 \
WHERE id IN (SELECT id FROM outbox WHERE failed_at IS NULL AND due_at <= ? \
AND (claimed_until IS NULL OR claimed_until < ?) AND (channel <> 'mail' OR ?) \
ORDER BY due_at LIMIT ?)";

/// Claims up to `limit` due messages for this worker until `now + lease` and returns them:
/// mail only when `with_mail` (this worker has a mailer).
pub fn claim_due(
    conn: &mut DbConnection,
    limit: i64,
    lease_seconds: i64,
    with_mail: bool,
) -> QueryResult<Vec<Claimed>> {
    let claim = new_id();
    let t = now();
    let until = t + Duration::seconds(lease_seconds);
    match conn {
        DbConnection::Pg(c) => diesel::sql_query(CLAIM_PG)
            .bind::<Text, _>(&claim)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(t)
            .bind::<BigInt, _>(limit)
            .bind::<Bool, _>(with_mail)
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::sql_query(CLAIM_SQLITE)
            .bind::<Text, _>(&claim)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(t)
            .bind::<Timestamp, _>(t)
            .bind::<Bool, _>(with_mail)
            .bind::<BigInt, _>(limit)
            .execute(c)?,
    };
    let rows: Vec<ClaimedRow> = outbox::table
        .filter(outbox::claim.eq(&claim))
        .select((
            outbox::id,
            outbox::channel,
            outbox::recipient,
            outbox::subject,
            outbox::body,
            outbox::attempts,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Claimed {
                channel: Channel::parse(&r.channel)?,
                id: r.id,
                recipient: r.recipient,
                subject: r.subject,
                body: r.body,
                attempts: r.attempts,
            })
        })
        .collect())
}

/// The server accepted it: the row, and the link it held, are gone.
pub fn delete_sent(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(outbox::table.find(id)).execute(conn)
}

/// Sends it again after `wait_seconds`, or, past `MAX_ATTEMPTS` or on a permanent error,
/// marks it failed and empties its body so no secret stays behind for admins to see.
pub fn record_failure(
    conn: &mut DbConnection,
    id: &str,
    attempts: i32,
    error: &str,
    permanent: bool,
    wait_seconds: i64,
) -> QueryResult<usize> {
    let t = now();
    let error: String = error.chars().take(500).collect();
    let target = outbox::table.find(id);
    if permanent || attempts >= MAX_ATTEMPTS {
        diesel::update(target)
            .set((
                outbox::body.eq(""),
                outbox::claim.eq(None::<String>),
                outbox::claimed_until.eq(None::<PrimitiveDateTime>),
                outbox::last_error.eq(error),
                outbox::failed_at.eq(t),
            ))
            .execute(conn)
    } else {
        diesel::update(target)
            .set((
                outbox::claim.eq(None::<String>),
                outbox::claimed_until.eq(None::<PrimitiveDateTime>),
                outbox::last_error.eq(error),
                outbox::due_at.eq(t + Duration::seconds(wait_seconds)),
            ))
            .execute(conn)
    }
}

/// Messages not yet sent and not given up.
pub fn count_waiting(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::failed_at.is_null())
        .count()
        .get_result(conn)
}

#[derive(Queryable)]
struct FailedRow {
    id: String,
    channel: String,
    purpose: String,
    recipient: String,
    subject: String,
    attempts: i32,
    last_error: Option<String>,
    failed_at: Option<PrimitiveDateTime>,
}

/// Messages given up, newest first; never their body (it was emptied when they failed).
pub fn list_failed(conn: &mut DbConnection) -> QueryResult<Vec<Failure>> {
    let rows: Vec<FailedRow> = outbox::table
        .filter(outbox::failed_at.is_not_null())
        .order(outbox::failed_at.desc())
        .limit(200)
        .select((
            outbox::id,
            outbox::channel,
            outbox::purpose,
            outbox::recipient,
            outbox::subject,
            outbox::attempts,
            outbox::last_error,
            outbox::failed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Failure {
                failed_at: r.failed_at?,
                id: r.id,
                channel: r.channel,
                purpose: r.purpose,
                recipient: r.recipient,
                subject: r.subject,
                attempts: r.attempts,
                last_error: r.last_error.unwrap_or_default(),
            })
        })
        .collect())
}

/// An admin dismisses a failure they have dealt with.
pub fn delete_failed(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .find(id)
            .filter(outbox::failed_at.is_not_null()),
    )
    .execute(conn)
}

pub fn team_webhook(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<Option<String>> {
    team_webhooks::table
        .find(team_id.as_str())
        .select(team_webhooks::url)
        .first(conn)
        .optional()
}

pub fn set_team_webhook(
    conn: &mut DbConnection,
    team_id: &TeamId,
    url: Option<&str>,
) -> QueryResult<usize> {
    diesel::delete(team_webhooks::table.find(team_id.as_str())).execute(conn)?;
    match url {
        Some(u) => diesel::insert_into(team_webhooks::table)
            .values((
                team_webhooks::team_id.eq(team_id.as_str()),
                team_webhooks::url.eq(u),
            ))
            .execute(conn),
        None => Ok(0),
    }
}

/// Claims an event of a round (opened, closing, results, reminder) so it is queued once,
/// whichever replica's timer sees it first; false if it was already claimed.
pub fn claim_round_event(
    conn: &mut DbConnection,
    round_id: &RoundId,
    event: &str,
) -> QueryResult<bool> {
    let n = on_backend!(conn, c => diesel::insert_into(round_events::table)
        .values((round_events::round_id.eq(round_id.as_str()), round_events::event.eq(event)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Claims an event of a review (its scheduled reminder) so it is queued once, whichever
/// replica's timer sees it first; false if it was already claimed.
pub fn claim_review_event(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    event: &str,
) -> QueryResult<bool> {
    let n = on_backend!(conn, c => diesel::insert_into(review_events::table)
        .values((review_events::review_id.eq(review_id.as_str()), review_events::event.eq(event)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Open reviews whose accounts deadline falls in `(after, before]`: (id, title, deadline).
/// A query of delivery's own on the reviews table, read in the timer's transaction.
pub fn open_reviews_due_between(
    conn: &mut DbConnection,
    after: PrimitiveDateTime,
    before: PrimitiveDateTime,
) -> QueryResult<Vec<(ReviewId, String, Option<PrimitiveDateTime>)>> {
    let rows: Vec<(String, String, Option<PrimitiveDateTime>)> = reviews::table
        .filter(reviews::status.eq("open"))
        .filter(reviews::deadline.gt(after))
        .filter(reviews::deadline.le(before))
        .select((reviews::id, reviews::title, reviews::deadline))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, title, deadline)| (ReviewId::from(id), title, deadline))
        .collect())
}

/// Records that a review owes its invitees a follow-up notice at `due_at`, unless one is
/// already pending: a second question while one waits adds nothing (the primary key).
pub fn pend_review_notice(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    due_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    on_backend!(conn, c => diesel::insert_into(review_notices::table)
        .values((review_notices::review_id.eq(review_id.as_str()), review_notices::due_at.eq(due_at)))
        .on_conflict_do_nothing()
        .execute(c))
}

/// Reviews whose pending notice is due at `now`.
pub fn due_review_notices(
    conn: &mut DbConnection,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<ReviewId>> {
    let ids: Vec<String> = review_notices::table
        .filter(review_notices::due_at.le(now))
        .select(review_notices::review_id)
        .load(conn)?;
    Ok(ids.into_iter().map(ReviewId::from).collect())
}

/// Takes a due notice: true for the one transaction that deleted it (and so sends it).
pub fn take_review_notice(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::delete(
        review_notices::table
            .find(review_id.as_str())
            .filter(review_notices::due_at.le(now)),
    )
    .execute(conn)?;
    Ok(n == 1)
}
