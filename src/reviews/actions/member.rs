//! What writers do: open the account form with their invite, submit an account (by blind
//! token, or through the confidential fallback), and come back with their receipt to read
//! follow-ups, reply and add to their account.
//!
//! Nothing a member submits is logged or audited.

use super::{not_invited, public_key, receipt_hash, review_closed, wrong_receipt};
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::reviews::model::{
    check_text, new_receipt, Account, AccountId, AccountRow, FollowupId, FollowupRow, ReviewId,
    ReviewRow, MAX_ADDITIONS, MAX_REPLY_CHARS,
};
use crate::reviews::store::{self, Lock};
use crate::state::AppState;
use crate::tokens::crypto::{KeyJson, TokenJson};
// `tokens` has no actions of its own yet: its invite refusal and token check are called from
// its routes module until it does.
use crate::tokens::routes::{bad_invite, check_token};
use crate::tokens::store as tokens;

/// Longest invite secret worth hashing; real ones are 22 characters.
const MAX_INVITE: usize = 200;

/// What the account form needs, checked against the member's invite.
pub struct MemberContext {
    pub review: ReviewRow,
    pub key: KeyJson,
    /// This invite already got its token: only an unfinished submission can go on.
    pub issued: bool,
    /// Name parts of everyone invited, for the warning before sending (G14: words only, the
    /// same list for every writer).
    pub names: Vec<String>,
}

/// The account form's context for this invite: the review must be open and the invite on
/// its frozen roster.
pub async fn member_context(
    state: &AppState,
    review_id: ReviewId,
    invite: String,
) -> Result<MemberContext, AppError> {
    if invite.is_empty() || invite.len() > MAX_INVITE {
        return Err(bad_invite());
    }
    let keys = state.keys.clone();
    let (review, key, issued, labels) = state
        .db
        .read(move |c| {
            let member =
                crate::teams::store::member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            let review = store::find_review(c, &review_id)?;
            if !tokens::is_eligible(c, &review_id.scope(), &member.id)? {
                return Err(not_invited());
            }
            if !review.is_open() {
                return Err(review_closed());
            }
            let key = tokens::find_key(c, &review_id.scope())?.ok_or(AppError::NotFound)?;
            let issued = tokens::is_issued(c, &review_id.scope(), &member.id)?;
            let labels = tokens::eligible_labels(c, &review_id.scope())?;
            Ok((review, key, issued, labels))
        })
        .await?;
    let key = public_key(state, &key)?;
    Ok(MemberContext {
        review,
        key,
        issued,
        names: crate::members::model::name_parts(&labels),
    })
}

/// An account stored: the receipt (shown once, never stored) and the review's title.
pub struct Stored {
    pub receipt: String,
    pub title: String,
}

/// The confidential path for browsers that cannot blind: checks the invite, records the
/// issuance and stores the checked account in one transaction. Nothing stored joins the two
/// rows; but the server did handle both at once, which is why the page calls this
/// confidential rather than unlinkable (on PostgreSQL the two rows even share a transaction
/// id until the review closes and rewrites them).
pub async fn submit_fallback(
    state: &AppState,
    review_id: ReviewId,
    invite: String,
    account: Account,
) -> Result<Stored, AppError> {
    if invite.is_empty() || invite.len() > MAX_INVITE {
        return Err(bad_invite());
    }
    let receipt = new_receipt();
    let hash = receipt_hash(&state.keys, &receipt);
    let keys = state.keys.clone();
    let title = state
        .db
        .write(move |c| {
            let member =
                crate::teams::store::member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            store::lock_review(c, &review_id, Lock::Share)?;
            let review = store::find_review(c, &review_id)?;
            if !tokens::is_eligible(c, &review_id.scope(), &member.id)? {
                return Err(not_invited());
            }
            if !review.is_open() {
                return Err(review_closed());
            }
            tokens::record_issuance(c, &review_id.scope(), &member.id)?;
            store::insert_account(c, &review_id, &account, &hash)?;
            Ok(review.title)
        })
        .await?;
    Ok(Stored { receipt, title })
}

/// Submits a checked account by blind token: the token is verified first (403 forged or
/// another review's, 410 closed), then one transaction spends it (409 on reuse) and stores
/// the account. Returns the receipt.
pub async fn submit_account(
    state: &AppState,
    review_id: ReviewId,
    token: &TokenJson,
    account: Account,
) -> Result<String, AppError> {
    let token = check_token(state, review_id.scope(), token).await?;
    let receipt = new_receipt();
    let hash = receipt_hash(&state.keys, &receipt);
    let keys = state.keys.clone();
    state
        .db
        .write(move |c| {
            store::lock_review(c, &review_id, Lock::Share)?;
            if !store::find_review(c, &review_id)?.is_open() {
                return Err(review_closed());
            }
            tokens::spend(c, &keys, &review_id.scope(), &token.message)?;
            store::insert_account(c, &review_id, &account, &hash)?;
            Ok(())
        })
        .await?;
    Ok(receipt)
}

/// A writer's own account, its review and its thread.
pub struct Mine {
    pub review: ReviewRow,
    pub account: Account,
    pub thread: Vec<FollowupRow>,
    /// The review's action items (`followthrough`): what the writer's account led to.
    pub items: Vec<crate::followthrough::model::ItemView>,
}

fn mine(c: &mut DbConnection, account_id: &AccountId) -> Result<Mine, AppError> {
    let review_id = store::review_of_account(c, account_id)?;
    let row: AccountRow = store::find_account(c, &review_id, account_id)?;
    Ok(Mine {
        review: store::find_review(c, &review_id)?,
        account: row.account()?,
        thread: store::thread_of(c, account_id)?,
        items: crate::followthrough::actions::items_for_writer(c, &review_id)?,
    })
}

/// Looks a receipt up and runs `f` on its account, in one write transaction, through the
/// shared guarded lookup (`crate::receipt::throttle::lookup`: the instance's budget first, a
/// wrong receipt counted and answered the same whatever was typed). `f` may still refuse
/// (closed review, bad text) with its own error: the receipt was right, so saying so leaks
/// nothing.
async fn with_receipt<T, F>(state: &AppState, receipt: &str, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection, AccountRow) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let keys = state.keys.clone();
    let hash = receipt_hash(&keys, receipt);
    let now = state.clock.now();
    // A wrong receipt must commit (its count is the throttle), so it comes out of the
    // transaction as `None` and only then becomes the error.
    let found = state
        .db
        .write(move |c| {
            match crate::receipt::throttle::lookup(c, &keys, now, |c| {
                Ok(store::account_by_receipt(c, &hash)?)
            })? {
                Some(acc) => f(c, acc).map(Some),
                None => Ok(None),
            }
        })
        .await?;
    found.ok_or_else(wrong_receipt)
}

/// The writer's own account and thread, behind their receipt.
pub async fn my_account(state: &AppState, receipt: &str) -> Result<Mine, AppError> {
    with_receipt(state, receipt, |c, acc| mine(c, &acc.id)).await
}

/// Replies to a follow-up. The outer error is about the receipt or the review; field errors
/// come back beside the writer's own view so the page can show both.
pub async fn reply(
    state: &AppState,
    receipt: &str,
    followup_id: FollowupId,
    text: String,
) -> Result<(Mine, Result<FollowupRow, Vec<FieldError>>), AppError> {
    with_receipt(state, receipt, move |c, acc| {
        let text = match check_text("text", &text, MAX_REPLY_CHARS) {
            Ok(t) => t,
            Err(e) => return Ok((mine(c, &acc.id)?, Err(vec![e]))),
        };
        store::lock_review(c, &acc.review_id, Lock::Share)?;
        if !store::find_review(c, &acc.review_id)?.is_open() {
            return Err(review_closed());
        }
        let f = store::thread_of(c, &acc.id)?
            .into_iter()
            .find(|f| f.id == followup_id)
            .ok_or(AppError::NotFound)?;
        if f.reply.is_some() {
            return Err(AppError::Conflict(
                "this question already has your reply; add to your account instead".into(),
            ));
        }
        store::set_reply(c, &f.id, &text)?;
        let stored = FollowupRow {
            reply: Some(text),
            ..f
        };
        Ok((mine(c, &acc.id)?, Ok(stored)))
    })
    .await
}

/// Adds a note to the writer's own account (kept apart from what they first wrote).
pub async fn add_to_account(
    state: &AppState,
    receipt: &str,
    text: String,
) -> Result<(Mine, Result<(), Vec<FieldError>>), AppError> {
    with_receipt(state, receipt, move |c, acc| {
        let text = match check_text("text", &text, MAX_REPLY_CHARS) {
            Ok(t) => t,
            Err(e) => return Ok((mine(c, &acc.id)?, Err(vec![e]))),
        };
        store::lock_review(c, &acc.review_id, Lock::Share)?;
        if !store::find_review(c, &acc.review_id)?.is_open() {
            return Err(review_closed());
        }
        let mut account = acc.account()?;
        if account.additions.len() >= MAX_ADDITIONS {
            let e = FieldError::new(
                "text",
                format!("An account takes at most {MAX_ADDITIONS} additions."),
            );
            return Ok((mine(c, &acc.id)?, Err(vec![e])));
        }
        account.additions.push(text);
        store::set_account_body(c, &acc.id, &account)?;
        Ok((mine(c, &acc.id)?, Ok(())))
    })
    .await
}
