//! Queries for reviews, their facilitators and invitees, anonymous accounts and follow-ups,
//! release, close, retention and the counts the culture metrics read.

use diesel::prelude::*;
use diesel::sql_types::Text;
use rand::seq::SliceRandom;
use time::{Date, PrimitiveDateTime};

use super::model::{
    after_wrong_receipt, receipt_wait, release_due, Account, NewReview, ReceiptWindow,
};
use crate::auth::model::StaffUser;
use crate::auth::store::{get_throttle, put_throttle};
use crate::db::schema::{accounts, followups, members, review_facilitators, reviews, staff_users};
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::secret::{new_id, now, Keys};
use crate::teams::model::label_key;
use crate::teams::store::{invite_secret, invite_url, MemberRow};

pub const OPEN: &str = "open";
pub const CLOSED: &str = "closed";

#[derive(Queryable, Clone, Debug)]
pub struct ReviewRow {
    pub id: String,
    pub title: String,
    pub incident_date: Date,
    pub summary: String,
    pub status: String,
    pub threshold: i32,
    pub deadline: Option<PrimitiveDateTime>,
    pub retention_days: i32,
    pub invited: i32,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub closed_on: Option<Date>,
    pub purged_on: Option<Date>,
    pub issued: Option<i32>,
    pub accounts_total: Option<i32>,
    pub followups_asked: Option<i32>,
    pub followups_answered: Option<i32>,
}

impl ReviewRow {
    pub fn is_open(&self) -> bool {
        self.status == OPEN
    }

    pub fn deadline_passed(&self, at: PrimitiveDateTime) -> bool {
        self.deadline.is_some_and(|d| d <= at)
    }

    /// The day the free text is deleted, for a closed review.
    pub fn purge_day(&self) -> Option<Date> {
        self.closed_on
            .map(|d| d + time::Duration::days(i64::from(self.retention_days)))
    }
}

#[derive(Queryable, Clone, Debug)]
pub struct AccountRow {
    pub id: String,
    pub review_id: String,
    pub body: String,
    pub receipt_hash: String,
    pub released: bool,
}

impl AccountRow {
    pub fn account(&self) -> Result<Account, AppError> {
        serde_json::from_str(&self.body)
            .map_err(|e| AppError::internal(format!("stored account is not valid: {e}")))
    }
}

#[derive(Queryable, Clone, Debug)]
pub struct FollowupRow {
    pub id: String,
    pub account_id: String,
    pub position: i32,
    pub question: String,
    pub reply: Option<String>,
}

pub fn review_closed() -> AppError {
    AppError::Gone("this review is closed; nothing more can be added to it".into())
}

// ---------------------------------------------------------------- locking

/// How a transaction holds the review row on PostgreSQL.
#[derive(Clone, Copy, Debug)]
pub enum Lock {
    /// Submissions, replies, questions: many may run together, none alongside a close.
    Share,
    /// Close: waits for submissions in flight and keeps new ones out until it commits.
    Update,
}

/// Takes a row lock on the review so a close racing a submission is well defined: either
/// the submission commits first and the close rewrites it with the rest, or the close
/// commits first and the submission finds the review closed. SQLite has one writer, which
/// already serialises them.
pub fn lock_review(conn: &mut DbConnection, review_id: &str, lock: Lock) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            let sql = match lock {
                Lock::Share => "SELECT id FROM reviews WHERE id = $1 FOR SHARE",
                Lock::Update => "SELECT id FROM reviews WHERE id = $1 FOR UPDATE",
            };
            diesel::sql_query(sql)
                .bind::<Text, _>(review_id)
                .execute(c)?;
            Ok(())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

// ---------------------------------------------------------------- reviews and access

pub fn find_review(conn: &mut DbConnection, id: &str) -> QueryResult<ReviewRow> {
    reviews::table.find(id).first(conn)
}

pub fn is_facilitator(
    conn: &mut DbConnection,
    review_id: &str,
    user_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        review_facilitators::table.find((review_id, user_id)),
    ))
    .get_result(conn)
}

/// The review, if this staff member may see it: admins see all, facilitators the reviews
/// they facilitate; leaders never (they must not read accounts).
pub fn review_for(
    conn: &mut DbConnection,
    user: &StaffUser,
    review_id: &str,
) -> Result<ReviewRow, AppError> {
    if !user.can_facilitate() {
        return Err(AppError::forbidden());
    }
    let review = find_review(conn, review_id)?;
    if user.is_admin() || is_facilitator(conn, review_id, &user.id)? {
        Ok(review)
    } else {
        Err(AppError::forbidden())
    }
}

pub fn list_reviews_for(conn: &mut DbConnection, user: &StaffUser) -> QueryResult<Vec<ReviewRow>> {
    if user.is_admin() {
        reviews::table
            .order((reviews::created_at.desc(), reviews::id))
            .load(conn)
    } else {
        reviews::table
            .inner_join(review_facilitators::table)
            .filter(review_facilitators::user_id.eq(&user.id))
            .select(reviews::all_columns)
            .order((reviews::created_at.desc(), reviews::id))
            .load(conn)
    }
}

pub fn insert_review(
    conn: &mut DbConnection,
    id: &str,
    r: &NewReview,
    invited: usize,
    created_by: &str,
) -> QueryResult<usize> {
    diesel::insert_into(reviews::table)
        .values((
            reviews::id.eq(id),
            reviews::title.eq(&r.title),
            reviews::incident_date.eq(r.incident_date),
            reviews::summary.eq(&r.summary),
            reviews::status.eq(OPEN),
            reviews::threshold.eq(i32::from(r.threshold)),
            reviews::deadline.eq(r.deadline),
            reviews::retention_days.eq(r.retention_days),
            reviews::invited.eq(invited as i32),
            reviews::created_by.eq(created_by),
            reviews::created_at.eq(now()),
        ))
        .execute(conn)
}

pub fn add_facilitator(
    conn: &mut DbConnection,
    review_id: &str,
    user_id: &str,
) -> QueryResult<usize> {
    if is_facilitator(conn, review_id, user_id)? {
        return Ok(0);
    }
    diesel::insert_into(review_facilitators::table)
        .values((
            review_facilitators::review_id.eq(review_id),
            review_facilitators::user_id.eq(user_id),
        ))
        .execute(conn)
}

pub fn list_facilitators(conn: &mut DbConnection, review_id: &str) -> QueryResult<Vec<String>> {
    review_facilitators::table
        .inner_join(staff_users::table)
        .filter(review_facilitators::review_id.eq(review_id))
        .select(staff_users::email)
        .order(staff_users::email)
        .load(conn)
}

/// The people a review invites: the active members of the chosen teams, then the pasted
/// people, each once. Every invitee gets a link of the review's own (G12): a team's pulse
/// link never answers a review and a review's link never answers a pulse round, so a
/// facilitator holding the review's links holds nothing of the team's, and a leader holding
/// the team's links learns nothing about the review. A facilitator may name a team only when
/// its leader or an admin allowed it (`teams.reviews_allowed`); an admin may name any team.
pub fn resolve_invitees(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &StaffUser,
    team_ids: &[String],
    pasted: &[String],
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let mut people: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut notes = Vec::new();
    for tid in team_ids {
        let team = crate::teams::store::find_team(conn, tid)
            .optional()?
            .ok_or_else(|| AppError::invalid("team_ids", format!("There is no team {tid}.")))?;
        if !may_invite_team(user, &team) {
            return Err(AppError::invalid(
                "team_ids",
                format!(
                    "{} has not allowed facilitators to invite it to reviews: ask its leader or an admin to allow it on the team's page, or paste the people you need.",
                    team.name
                ),
            ));
        }
        for m in crate::teams::store::list_members(conn, &team.id)? {
            if seen.insert(m.label_key.clone()) {
                people.push((m.label, m.label_key));
            }
        }
    }
    for label in pasted {
        let key = label_key(label);
        if !seen.insert(key.clone()) {
            notes.push(format!(
                "{label} is already invited through a team roster; they get one link."
            ));
            continue;
        }
        people.push((label.clone(), key));
    }
    if people.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "invitees",
            "Invite at least one person: choose a team with people on it or paste a list.",
        )]));
    }
    let mut ids = Vec::with_capacity(people.len());
    for (label, key) in &people {
        ids.push(crate::teams::store::insert_member(
            conn, keys, None, label, key,
        )?);
    }
    Ok((ids, notes))
}

/// Whether this user may invite this team's people to a review (G12).
pub fn may_invite_team(user: &StaffUser, team: &crate::teams::store::TeamRow) -> bool {
    user.is_admin() || team.reviews_allowed
}

/// Each invited person's link, in label order.
pub fn list_invites(
    conn: &mut DbConnection,
    keys: &Keys,
    base: &str,
    review_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    use crate::db::schema::eligibility;
    let rows: Vec<MemberRow> = eligibility::table
        .inner_join(members::table)
        .filter(eligibility::scope_id.eq(review_id))
        .select(members::all_columns)
        .order((members::label_key, members::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let url = invite_url(base, &invite_secret(keys, &m.id, &m.invite_nonce));
            (m.id, m.label, url)
        })
        .collect())
}

/// Open reviews a member was invited to, as `(id, title)`, for the member's start page.
pub fn open_for_member(
    conn: &mut DbConnection,
    member_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    let scopes = crate::tokens::store::scopes_of_member(conn, member_id)?;
    reviews::table
        .filter(reviews::id.eq_any(scopes))
        .filter(reviews::status.eq(OPEN))
        .select((reviews::id, reviews::title))
        .order((reviews::created_at.desc(), reviews::id))
        .load(conn)
}

// ---------------------------------------------------------------- accounts

pub fn insert_account(
    conn: &mut DbConnection,
    review_id: &str,
    account: &Account,
    receipt_hash: &str,
) -> Result<String, AppError> {
    let id = new_id();
    let body = serde_json::to_string(account).map_err(|e| AppError::internal(e.to_string()))?;
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::review_id.eq(review_id),
            accounts::body.eq(&body),
            accounts::receipt_hash.eq(receipt_hash),
            accounts::released.eq(false),
        ))
        .execute(conn)?;
    Ok(id)
}

/// `(received, released)` for a review.
pub fn count_accounts(conn: &mut DbConnection, review_id: &str) -> QueryResult<(i64, i64)> {
    let received = accounts::table
        .filter(accounts::review_id.eq(review_id))
        .count()
        .get_result(conn)?;
    let released = accounts::table
        .filter(accounts::review_id.eq(review_id))
        .filter(accounts::released.eq(true))
        .count()
        .get_result(conn)?;
    Ok((received, released))
}

/// Releases the pending accounts, all together, when the release rule says so. Returns
/// `(received, released)` afterwards.
pub fn release_if_due(
    conn: &mut DbConnection,
    review: &ReviewRow,
    at: PrimitiveDateTime,
) -> QueryResult<(i64, i64)> {
    let (received, released) = count_accounts(conn, &review.id)?;
    let due = release_due(
        received - released,
        released,
        i64::from(review.threshold),
        review.deadline_passed(at),
    );
    if !due {
        return Ok((received, released));
    }
    diesel::update(
        accounts::table
            .filter(accounts::review_id.eq(&review.id))
            .filter(accounts::released.eq(false)),
    )
    .set(accounts::released.eq(true))
    .execute(conn)?;
    Ok((received, received))
}

/// Released accounts with their threads, freshly shuffled on every call.
pub fn released_accounts(
    conn: &mut DbConnection,
    review_id: &str,
) -> Result<Vec<(AccountRow, Vec<FollowupRow>)>, AppError> {
    let rows: Vec<AccountRow> = accounts::table
        .filter(accounts::review_id.eq(review_id))
        .filter(accounts::released.eq(true))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|a| a.id.as_str()).collect();
    let threads: Vec<FollowupRow> = followups::table
        .filter(followups::account_id.eq_any(&ids))
        .order((followups::account_id, followups::position))
        .load(conn)?;
    let mut out: Vec<(AccountRow, Vec<FollowupRow>)> = rows
        .into_iter()
        .map(|a| {
            let t = threads
                .iter()
                .filter(|f| f.account_id == a.id)
                .cloned()
                .collect();
            (a, t)
        })
        .collect();
    out.shuffle(&mut rand::rng());
    Ok(out)
}

pub fn find_account(
    conn: &mut DbConnection,
    review_id: &str,
    account_id: &str,
) -> QueryResult<AccountRow> {
    accounts::table
        .find(account_id)
        .filter(accounts::review_id.eq(review_id))
        .first(conn)
}

pub fn account_by_receipt(
    conn: &mut DbConnection,
    receipt_hash: &str,
) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .filter(accounts::receipt_hash.eq(receipt_hash))
        .first(conn)
        .optional()
}

pub fn set_account_body(
    conn: &mut DbConnection,
    account_id: &str,
    account: &Account,
) -> Result<(), AppError> {
    let body = serde_json::to_string(account).map_err(|e| AppError::internal(e.to_string()))?;
    diesel::update(accounts::table.find(account_id))
        .set(accounts::body.eq(body))
        .execute(conn)?;
    Ok(())
}

pub fn thread_of(conn: &mut DbConnection, account_id: &str) -> QueryResult<Vec<FollowupRow>> {
    followups::table
        .filter(followups::account_id.eq(account_id))
        .order(followups::position)
        .load(conn)
}

/// Adds a facilitator's question to the end of an account's thread.
pub fn insert_question(
    conn: &mut DbConnection,
    account_id: &str,
    question: &str,
) -> QueryResult<FollowupRow> {
    let last: Option<i32> = followups::table
        .filter(followups::account_id.eq(account_id))
        .select(diesel::dsl::max(followups::position))
        .first(conn)?;
    let row = FollowupRow {
        id: new_id(),
        account_id: account_id.to_owned(),
        position: last.unwrap_or(0) + 1,
        question: question.to_owned(),
        reply: None,
    };
    diesel::insert_into(followups::table)
        .values((
            followups::id.eq(&row.id),
            followups::account_id.eq(&row.account_id),
            followups::position.eq(row.position),
            followups::question.eq(&row.question),
            followups::reply.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(row)
}

pub fn set_reply(conn: &mut DbConnection, followup_id: &str, reply: &str) -> QueryResult<usize> {
    diesel::update(followups::table.find(followup_id))
        .set(followups::reply.eq(Some(reply)))
        .execute(conn)
}

// ---------------------------------------------------------------- receipt throttle

fn throttle_key(keys: &Keys) -> String {
    keys.keyed_hash("throttle", b"receipt:global")
}

fn receipt_window(conn: &mut DbConnection, keys: &Keys) -> QueryResult<Option<ReceiptWindow>> {
    Ok(get_throttle(conn, &throttle_key(keys))?
        .and_then(|(failures, ends)| ends.map(|ends| ReceiptWindow { failures, ends })))
}

/// Holds the budget's row for the rest of the transaction on PostgreSQL, so concurrent wrong
/// receipts are all counted (no lost update) and none can slip past a spent budget. The row
/// is created first if missing, without a unique-violation error. SQLite's single writer
/// already serialises lookups.
fn lock_receipt_budget(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            diesel::sql_query(
                "INSERT INTO throttles (key_hash, failures, locked_until) VALUES ($1, 0, NULL) \
                 ON CONFLICT (key_hash) DO NOTHING",
            )
            .bind::<Text, _>(key)
            .execute(c)?;
            diesel::sql_query("SELECT key_hash FROM throttles WHERE key_hash = $1 FOR UPDATE")
                .bind::<Text, _>(key)
                .execute(c)?;
            Ok(())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Refuses every receipt lookup while the instance's budget of wrong receipts is spent.
pub fn check_receipt_budget(conn: &mut DbConnection, keys: &Keys) -> Result<(), AppError> {
    lock_receipt_budget(conn, &throttle_key(keys))?;
    match receipt_wait(receipt_window(conn, keys)?, now()) {
        Some(retry_after) => Err(AppError::TooManyAttempts { retry_after }),
        None => Ok(()),
    }
}

/// Counts one wrong receipt against the instance's budget.
pub fn note_wrong_receipt(conn: &mut DbConnection, keys: &Keys) -> QueryResult<usize> {
    let w = after_wrong_receipt(receipt_window(conn, keys)?, now());
    put_throttle(conn, &throttle_key(keys), w.failures, Some(w.ends))
}

// ---------------------------------------------------------------- close and retention

/// Rewrites a review's accounts and follow-ups in random order with new random ids, all
/// released: whatever order the rows were written in (physical order, PostgreSQL's xmin)
/// is gone. Receipt hashes stay on their account, so receipts keep working.
fn rewrite_shuffled(conn: &mut DbConnection, review_id: &str) -> QueryResult<()> {
    let mut rows: Vec<AccountRow> = accounts::table
        .filter(accounts::review_id.eq(review_id))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|a| a.id.clone()).collect();
    let mut threads: Vec<FollowupRow> = followups::table
        .filter(followups::account_id.eq_any(&ids))
        .load(conn)?;
    diesel::delete(followups::table.filter(followups::account_id.eq_any(&ids))).execute(conn)?;
    diesel::delete(accounts::table.filter(accounts::review_id.eq(review_id))).execute(conn)?;
    let mut rng = rand::rng();
    rows.shuffle(&mut rng);
    threads.shuffle(&mut rng);
    let mut renamed = std::collections::HashMap::new();
    for a in rows {
        let id = new_id();
        diesel::insert_into(accounts::table)
            .values((
                accounts::id.eq(&id),
                accounts::review_id.eq(review_id),
                accounts::body.eq(&a.body),
                accounts::receipt_hash.eq(&a.receipt_hash),
                // Held accounts stay held: closing is not a reason to show them.
                accounts::released.eq(a.released),
            ))
            .execute(conn)?;
        renamed.insert(a.id, id);
    }
    for f in threads {
        let Some(account_id) = renamed.get(&f.account_id) else {
            continue;
        };
        diesel::insert_into(followups::table)
            .values((
                followups::id.eq(new_id()),
                followups::account_id.eq(account_id),
                followups::position.eq(f.position),
                followups::question.eq(&f.question),
                followups::reply.eq(&f.reply),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `(accounts, follow-ups asked, follow-ups answered)` for a review.
pub fn count_threads(conn: &mut DbConnection, review_id: &str) -> QueryResult<(i64, i64, i64)> {
    let (received, _) = count_accounts(conn, review_id)?;
    let asked = followups::table
        .inner_join(accounts::table)
        .filter(accounts::review_id.eq(review_id))
        .count()
        .get_result(conn)?;
    let answered = followups::table
        .inner_join(accounts::table)
        .filter(accounts::review_id.eq(review_id))
        .filter(followups::reply.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((received, asked, answered))
}

/// A review's invitees exist for it alone (G12): once it closes their links can do nothing,
/// so their rows, labels and links are deleted with its frozen roster. The count stays on the
/// review (`invited`). Writers come back with receipts, which do not depend on these rows.
fn forget_invitees(conn: &mut DbConnection, review_id: &str) -> QueryResult<()> {
    use crate::db::schema::eligibility;
    let ids: Vec<String> = eligibility::table
        .filter(eligibility::scope_id.eq(review_id))
        .select(eligibility::member_id)
        .load(conn)?;
    diesel::delete(eligibility::table.filter(eligibility::scope_id.eq(review_id))).execute(conn)?;
    diesel::delete(
        members::table
            .filter(members::id.eq_any(&ids))
            .filter(members::team_id.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// Closes a review in the caller's transaction: the key is destroyed and who was issued a
/// token forgotten (G3), everything is released and rewritten in random order (G1), and the
/// counts that outlive the text are kept on the review. The caller scrubs after commit.
pub fn close_review(
    conn: &mut DbConnection,
    review_id: &str,
    today: Date,
) -> Result<ReviewRow, AppError> {
    lock_review(conn, review_id, Lock::Update)?;
    let review = find_review(conn, review_id)?;
    if !review.is_open() {
        return Err(AppError::Conflict("this review is already closed".into()));
    }
    let issued = crate::tokens::store::close_scope(conn, review_id)?;
    forget_invitees(conn, review_id)?;
    rewrite_shuffled(conn, review_id)?;
    let (received, asked, answered) = count_threads(conn, review_id)?;
    diesel::update(reviews::table.find(review_id))
        .set((
            reviews::status.eq(CLOSED),
            reviews::closed_on.eq(Some(today)),
            reviews::issued.eq(Some(issued as i32)),
            reviews::accounts_total.eq(Some(received as i32)),
            reviews::followups_asked.eq(Some(asked as i32)),
            reviews::followups_answered.eq(Some(answered as i32)),
        ))
        .execute(conn)?;
    crate::db::scrub::request(conn, now())?;
    Ok(find_review(conn, review_id)?)
}

/// Deletes the accounts and follow-ups of every closed review whose retention has run out
/// by `today`, keeping the counts stored at close. Returns how many reviews were purged.
/// Called from the server's periodic tick and at the start of the reviews list.
pub fn apply_retention(conn: &mut DbConnection, today: Date) -> QueryResult<usize> {
    let closed: Vec<ReviewRow> = reviews::table
        .filter(reviews::status.eq(CLOSED))
        .filter(reviews::purged_on.is_null())
        .load(conn)?;
    let mut purged = 0;
    for r in closed
        .iter()
        .filter(|r| r.purge_day().is_some_and(|d| d <= today))
    {
        let ids: Vec<String> = accounts::table
            .filter(accounts::review_id.eq(&r.id))
            .select(accounts::id)
            .load(conn)?;
        diesel::delete(followups::table.filter(followups::account_id.eq_any(&ids)))
            .execute(conn)?;
        diesel::delete(accounts::table.filter(accounts::review_id.eq(&r.id))).execute(conn)?;
        diesel::update(reviews::table.find(&r.id))
            .set(reviews::purged_on.eq(Some(today)))
            .execute(conn)?;
        purged += 1;
    }
    if purged > 0 {
        crate::db::scrub::request(conn, now())?;
    }
    Ok(purged)
}

/// Moves a closed review's close date, for tests of retention and for operators correcting
/// a record. Only the day is stored.
pub fn set_closed_on(conn: &mut DbConnection, review_id: &str, day: Date) -> QueryResult<usize> {
    diesel::update(
        reviews::table
            .find(review_id)
            .filter(reviews::status.eq(CLOSED)),
    )
    .set(reviews::closed_on.eq(Some(day)))
    .execute(conn)
}

// ---------------------------------------------------------------- culture signal

/// How much bad news is being shared, as counts only, for the culture metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CultureCounts {
    /// Reviews that have closed.
    pub reviews_held: i64,
    /// `(review_id, accounts)` for each of them.
    pub accounts_per_review: Vec<(String, i64)>,
    pub followups_asked: i64,
    pub followups_answered: i64,
}

/// `(review_id, accounts, follow-ups asked, follow-ups answered)` as stored at close.
type StoredCounts = (String, Option<i32>, Option<i32>, Option<i32>);

/// Counts over closed reviews (all, or those listed), read from the figures stored at close,
/// so they survive retention. Open reviews are left out: a count that ticks up as accounts
/// arrive would tell its readers when each one was written.
pub fn culture_counts(
    conn: &mut DbConnection,
    review_ids: Option<&[String]>,
) -> QueryResult<CultureCounts> {
    let mut q = reviews::table
        .filter(reviews::status.eq(CLOSED))
        .select((
            reviews::id,
            reviews::accounts_total,
            reviews::followups_asked,
            reviews::followups_answered,
        ))
        .into_boxed();
    if let Some(ids) = review_ids {
        q = q.filter(reviews::id.eq_any(ids.to_vec()));
    }
    let rows: Vec<StoredCounts> = q.order(reviews::id).load(conn)?;
    let mut out = CultureCounts::default();
    for (id, accounts, asked, answered) in rows {
        out.reviews_held += 1;
        out.accounts_per_review
            .push((id, i64::from(accounts.unwrap_or(0))));
        out.followups_asked += i64::from(asked.unwrap_or(0));
        out.followups_answered += i64::from(answered.unwrap_or(0));
    }
    Ok(out)
}
