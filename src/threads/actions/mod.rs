//! The conversation use cases, one transaction each: a leader replies to a shown comment; the
//! writer, with the receipt they were shown once, reads their thread and answers; retention
//! deletes old conversations. `in_round` holds what pulse calls inside its own transactions.
//!
//! Nothing a writer sends is logged or audited; a leader's reply is audited like every staff
//! action (who, when, which round), which says nothing about who wrote the comment.

pub mod in_round;

use time::Date;

use super::model::{
    check_reply, purge_day, Author, CommentId, Thread, MAX_REPLIES, RECEIPT_PURPOSE,
    THREAD_RETENTION_DAYS,
};
use super::store::{self, ThreadRow};
use crate::auth::model::StaffUser;
use crate::db::DbConnection;
use crate::disclosure::RoundResults;
use crate::error::{AppError, FieldError};
use crate::members::model::identifying_details;
use crate::pulse::actions::results::{
    round_and_results_in, rounds_closed_by, staff_round_and_results_in,
};
use crate::pulse::model::RoundId;
use crate::state::AppState;

/// The one answer to a receipt that opens no comment, whatever was typed (no "almost").
pub fn wrong_receipt() -> AppError {
    AppError::Forbidden(
        "This receipt does not match any comment. Check it against what you wrote down and try again."
            .into(),
    )
}

/// Why nobody may reply yet: the comments are not shown (the round is open, or fewer than
/// its threshold commented), and a reply would show a comment, or that it exists, early.
pub fn not_shown() -> AppError {
    AppError::Conflict(
        "Replies open once the round has closed and its comments are shown (at least the threshold commented); these comments are not shown, so nobody can reply to them."
            .into(),
    )
}

fn thread_full() -> AppError {
    AppError::Conflict(format!(
        "This conversation has reached its {MAX_REPLIES} replies."
    ))
}

fn comments_shown(results: &RoundResults) -> bool {
    matches!(results, RoundResults::Shown(s) if s.comments.is_some())
}

fn thread_view(c: &mut DbConnection, t: ThreadRow) -> Result<Thread, AppError> {
    let replies = store::replies_of(c, &[&t.id])?;
    Ok(Thread {
        replies: replies.iter().map(in_round::reply_view).collect(),
        id: t.id,
        text: t.body,
    })
}

/// A leader's reply to a shown comment of a round of their team. Returns the thread as it
/// now stands. 409 while the comments are not shown; 404 for a comment not in this round.
pub async fn staff_reply(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
    comment_id: CommentId,
    text: &str,
) -> Result<Thread, AppError> {
    if !user.can_lead() {
        return Err(AppError::forbidden());
    }
    let text = check_reply(text).map_err(|e| AppError::Invalid(vec![e]))?;
    let today = state.clock.today();
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let (round, results) = staff_round_and_results_in(c, &user, &round_id)?;
            if !comments_shown(&results) {
                return Err(not_shown());
            }
            let thread =
                store::find_thread(c, &round_id, &comment_id)?.ok_or(AppError::NotFound)?;
            if store::count_replies(c, &thread.id)? >= MAX_REPLIES as i64 {
                return Err(thread_full());
            }
            store::insert_reply(c, &thread.id, Author::Staff, &text, Some(today))?;
            crate::auth::store::audit(
                c,
                Some(&user.email),
                "comment.replied",
                &format!("{} ({})", round.title, round.id),
            )?;
            thread_view(c, thread)
        })
        .await
}

/// What a writer sees of their comment, behind the receipt.
pub struct WriterView {
    pub round_title: String,
    pub thread: Thread,
    /// Whether they may answer now (comments shown, room left).
    pub can_reply: bool,
    /// The day this conversation is deleted, once the round has closed.
    pub purge_on: Option<Date>,
    /// Name parts of the round's team, for the identifying-details warning (G14: words
    /// only, the same list for everyone on the team).
    pub names: Vec<String>,
}

fn writer_view(c: &mut DbConnection, t: ThreadRow) -> Result<WriterView, AppError> {
    let (round, results) = round_and_results_in(c, &t.round_id)?;
    // `teams` has no action that lists a roster inside a transaction; its store is called
    // directly, as pulse's member form does.
    let labels: Vec<String> = crate::teams::store::list_members(c, &round.team_id)?
        .into_iter()
        .map(|m| m.label)
        .collect();
    let shown = comments_shown(&results);
    let thread = thread_view(c, t)?;
    Ok(WriterView {
        round_title: round.title,
        can_reply: shown && thread.replies.len() < MAX_REPLIES,
        thread,
        purge_on: round.closed_on.map(purge_day),
        names: crate::members::model::name_parts(&labels),
    })
}

/// Finds the thread a receipt opens and runs `f` on it, in one write transaction, through
/// the shared guarded lookup (`crate::receipt::throttle::lookup`): the instance's budget of
/// wrong receipts first, a wrong one counted and answered the same whatever was typed.
async fn with_receipt<T, F>(state: &AppState, receipt: &str, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection, ThreadRow) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let keys = state.keys.clone();
    let hash = crate::receipt::receipt_hash(&keys, RECEIPT_PURPOSE, receipt);
    let now = state.clock.now();
    // A wrong receipt must commit (its count is the throttle), so it comes out of the
    // transaction as `None` and only then becomes the error.
    let found = state
        .db
        .write(move |c| {
            match crate::receipt::throttle::lookup(c, &keys, now, |c| {
                Ok(store::thread_by_receipt(c, &hash)?)
            })? {
                Some(t) => f(c, t).map(Some),
                None => Ok(None),
            }
        })
        .await?;
    found.ok_or_else(wrong_receipt)
}

/// The writer's comment and its conversation.
pub async fn my_thread(state: &AppState, receipt: &str) -> Result<WriterView, AppError> {
    with_receipt(state, receipt, writer_view).await
}

/// What became of a writer's answer: stored, refused for its words, or held back because it
/// may identify someone (until they confirm).
pub enum Answered {
    Stored,
    Invalid(Vec<FieldError>),
    Identifying(Vec<String>),
}

/// The writer answers in their thread. The words are checked, then (unless `confirmed`)
/// looked over for identifying details; a refusal comes back beside the view. A stored
/// answer has no day, and every reply row of the round is rewritten in random order with
/// it, so no row's position or transaction id tells when this one came.
pub async fn writer_reply(
    state: &AppState,
    receipt: &str,
    text: String,
    confirmed: bool,
) -> Result<(WriterView, Answered), AppError> {
    with_receipt(state, receipt, move |c, t| {
        let view = writer_view(c, t.clone())?;
        let text = match check_reply(&text) {
            Ok(x) => x,
            Err(e) => return Ok((view, Answered::Invalid(vec![e]))),
        };
        if !view.can_reply {
            return Err(if view.thread.replies.len() >= MAX_REPLIES {
                thread_full()
            } else {
                not_shown()
            });
        }
        let found = identifying_details(&text, &view.names);
        if !found.is_empty() && !confirmed {
            return Ok((view, Answered::Identifying(found)));
        }
        store::insert_reply(c, &t.id, Author::Writer, &text, None)?;
        store::rewrite_replies(c, &t.round_id)?;
        Ok((writer_view(c, t)?, Answered::Stored))
    })
    .await
}

/// Deletes the conversations of rounds closed more than `THREAD_RETENTION_DAYS` ago, and
/// asks for the scrub so their old row images go too (G15). Returns how many threads went.
pub async fn apply_retention(state: &AppState) -> Result<usize, AppError> {
    let cutoff = state
        .clock
        .today()
        .saturating_sub(time::Duration::days(THREAD_RETENTION_DAYS));
    state
        .db
        .write(move |c| {
            let rounds = rounds_closed_by(c, cutoff)?;
            let n = store::delete_threads_of(c, &rounds)?;
            if n > 0 {
                crate::db::scrub::request(c, crate::clock::recorded_at())?;
            }
            Ok(n)
        })
        .await
}
