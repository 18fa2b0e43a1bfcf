//! The member's use cases: load what a member needs to answer, store a blinded-route answer,
//! and the no-JavaScript route's two transactions. Anonymous: nothing here takes or keeps a
//! cookie, an address or a time that could tie an answer to a person.

use super::super::model::{self, Answer, Question, RoundId};
use super::super::store::{self, RoundRow};
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::model::MemberId;
use crate::teams::store as teams;
use crate::tokens::crypto::{self, KeyJson, TokenJson};
use crate::tokens::routes::{bad_invite, closed};
use crate::tokens::store as tokens;

/// What was stored, for the receipt the member sees.
pub struct Stored {
    pub questions: Vec<Question>,
    pub answers: Vec<Answer>,
    pub comment: Option<String>,
    /// This answer replaced the one the same token stored earlier (G17).
    pub replaced: bool,
}

/// Stores one anonymous response. Order matters: the answers are checked before the token,
/// so a mistake never burns it; then the token is spent and the response stored together.
///
/// With `replace`, a token already spent in this open round overwrites the answer it stored
/// (G17): the answer is found by the token's locator, never by anything about the member, so
/// replacing links nothing new; only the last answer counts. A token not spent yet just
/// answers. Without `replace` a spent token stays a conflict.
pub async fn submit_answers(
    state: &AppState,
    round_id: RoundId,
    answers: Vec<Answer>,
    comment: Option<String>,
    token: TokenJson,
    replace: bool,
) -> Result<Stored, AppError> {
    // Two trips off the async workers, not four: one read that loads the round, its frozen
    // questions and key, checks the answers and verifies the token; then the write.
    let (rid, cache) = (round_id.clone(), state.key_cache.clone());
    let (questions, answers, comment, token) = state
        .db
        .read(move |c| {
            let round = store::find_round(c, &rid)?;
            if !round.is_open() {
                return Err(if round.is_closed() {
                    closed()
                } else {
                    AppError::Conflict("this round has not opened yet".into())
                });
            }
            let questions = store::round_questions(c, &rid)?;
            let (answers, comment) = model::validate(&questions, &answers, comment.as_deref())
                .map_err(AppError::Invalid)?;
            let key = tokens::find_key(c, &rid.scope())?;
            let token =
                crate::tokens::routes::verify_token(&cache, &rid.scope(), key.as_ref(), &token)?;
            Ok((questions, answers, comment, token))
        })
        .await?;
    let keys = state.keys.clone();
    let (a2, c2) = (answers.clone(), comment.clone());
    let replaced = state
        .db
        .write(move |c| {
            store::lock_round(c, &round_id, false)?;
            if !store::find_round(c, &round_id)?.is_open() {
                return Err(closed());
            }
            let at = tokens::answer_locator(&keys, &round_id.scope(), &token.message);
            match tokens::try_spend(c, &keys, &round_id.scope(), &token.message)? {
                tokens::Spending::Fresh => {
                    store::insert_response_at(c, &at, &round_id, &a2, c2.as_deref())?;
                    Ok(false)
                }
                tokens::Spending::SpentBefore if replace => {
                    if store::replace_response(c, &at, &round_id, &a2, c2.as_deref())? {
                        Ok(true)
                    } else {
                        // Stored before answers could be replaced: nothing to overwrite, and
                        // adding a second answer would count this token twice.
                        Err(AppError::Conflict("this answer was stored before answers could be changed, so it cannot be replaced; it counts as it is".into()))
                    }
                }
                tokens::Spending::SpentBefore => Err(tokens::already_spent()),
            }
        })
        .await?;
    Ok(Stored {
        questions,
        answers,
        comment,
        replaced,
    })
}

/// What a member's page needs to warn about names, and nothing more (G14): the words of
/// every roster label, lowercased, at least 3 letters, emails reduced to their local part
/// (domains dropped), deduplicated and sorted so the list carries no roster order. Every
/// member of the team gets the same list, so their pages cannot differ by it.
fn warn_names(labels: Vec<String>) -> Vec<String> {
    crate::members::model::name_parts(&labels)
}

/// Everything the member's form needs, for the invite holder on the round's frozen roster.
pub struct MemberContext {
    pub round: RoundRow,
    pub questions: Vec<Question>,
    pub key: KeyJson,
    pub names: Vec<String>,
    pub member_id: MemberId,
    /// This member has already taken part (a token was issued, or the fallback was used).
    pub already: bool,
}

pub async fn member_context(
    state: &AppState,
    invite: String,
    round_id: RoundId,
) -> Result<MemberContext, AppError> {
    let keys = state.keys.clone();
    state
        .db
        .read(move |c| {
            let member = teams::member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            if !tokens::is_eligible(c, &round_id.scope(), &member.id)? {
                return Err(AppError::Forbidden(
                    "you are not on the roster of this round".into(),
                ));
            }
            let round = store::find_round(c, &round_id)?;
            if !round.is_open() {
                return Err(closed());
            }
            let key = tokens::find_key(c, &round_id.scope())?.ok_or(AppError::NotFound)?;
            let key = crypto::key_json(&crypto::parse_public(&key.public_der)?);
            let questions = store::round_questions(c, &round_id)?;
            let labels: Vec<String> = teams::list_members(c, &round.team_id)?
                .into_iter()
                .map(|m| m.label)
                .collect();
            let already = tokens::is_issued(c, &round_id.scope(), &member.id)?;
            Ok(MemberContext {
                round,
                questions,
                key,
                names: warn_names(labels),
                member_id: member.id,
                already,
            })
        })
        .await
}

/// The no-JavaScript route's store, for answers already checked by `model::validate`.
pub async fn store_fallback_answer(
    state: &AppState,
    round_id: RoundId,
    member_id: MemberId,
    answers: Vec<Answer>,
    comment: Option<String>,
) -> Result<(), AppError> {
    // Two transactions, never one: a shared transaction id (PostgreSQL `xmin`) or commit
    // would tie the member's issuance row to the answer in a dump while the round is open.
    // The first consumes the member's one answer; the second stores the answer as the
    // blinded route does. If the second fails (the round closed in between), the member is
    // in the state of someone who took a token and did not use it, and is told so.
    let rid = round_id.clone();
    state
        .db
        .write(move |c| {
            store::lock_round(c, &rid, false)?;
            if !store::find_round(c, &rid)?.is_open() {
                return Err(closed());
            }
            tokens::record_issuance(c, &rid.scope(), &member_id)
        })
        .await?;
    state
        .db
        .write(move |c| {
            store::lock_round(c, &round_id, false)?;
            if !store::find_round(c, &round_id)?.is_open() {
                return Err(AppError::Gone(
                    "this round closed while your answer was on its way; nothing was stored, and the round counts you as invited but not answered".into(),
                ));
            }
            store::insert_response(c, &round_id, &answers, comment.as_deref())
        })
        .await
}
