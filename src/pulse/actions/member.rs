//! The member's use cases: load what a member needs to answer, store a blinded-route answer,
//! and the no-JavaScript route's two transactions. Anonymous: nothing here takes or keeps a
//! cookie, an address or a time that could tie an answer to a person.

use std::sync::{Arc, OnceLock};

use super::super::frozen::{Frozen, RoundCache};
use super::super::model::{self, Answer, Question, RoundId};
use super::super::store::{self, RoundRow};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::model::MemberId;
use crate::teams::store as teams;
use crate::threads::actions::in_round as threads;
use crate::tokens::crypto::{self, KeyJson, Token, TokenJson};
use crate::tokens::routes::{bad_invite, closed};
use crate::tokens::store as tokens;
use crate::tokens::KeyCache;

/// What was stored, for the receipt the member sees.
pub struct Stored {
    pub questions: Vec<Question>,
    pub answers: Vec<Answer>,
    pub comment: Option<String>,
    /// This answer replaced the one the same token stored earlier (G17).
    pub replaced: bool,
    /// The receipt for the comment's conversation (`threads`), shown once; `None` without a
    /// comment.
    pub comment_receipt: Option<String>,
}

/// Stores one anonymous response. Order matters: the answers are checked before the token,
/// so a mistake never burns it; then the token is spent and the response stored together.
///
/// With `replace`, a token already spent in this open round overwrites the answer it stored
/// (G17): the answer is found by the token's locator, never by anything about the member, so
/// replacing links nothing new; only the last answer counts. A token not spent yet just
/// answers. Without `replace` a spent token stays a conflict.
///
/// What the round froze at open comes from `state.rounds` (read once per process and round),
/// so an answer reads nothing before its write; the write joins a group commit
/// (`db::batch`), whose transaction re-checks that the round is open (`check_open`) and
/// answers only once committed.
pub async fn submit_answers(
    state: &AppState,
    round_id: RoundId,
    answers: Vec<Answer>,
    comment: Option<String>,
    token: TokenJson,
    replace: bool,
) -> Result<Stored, AppError> {
    let frozen = frozen_round(state, &round_id).await?;
    let (answers, comment) = model::validate(&frozen.questions, &answers, comment.as_deref())
        .map_err(AppError::Invalid)?;
    // Verified here, on the async worker: RSA-PSS with e = 65537 takes about 0.07 ms, less
    // than handing it to another thread and back.
    let token = Token::decode(&token)?;
    if !token.verifies(&frozen.key) {
        return Err(AppError::Forbidden(
            "this token is not valid for this one".into(),
        ));
    }
    let scope = round_id.scope();
    let at = tokens::answer_locator(&state.keys, &scope, &token.message);
    let spend = tokens::spend_key(&state.keys, &scope, &token.message);
    let (a2, c2, rid) = (answers.clone(), comment.clone(), round_id.clone());
    let keys = state.keys.clone();
    let receipt = comment.as_ref().map(|_| threads::new_receipt(&keys));
    let hash = receipt.as_ref().map(|r| r.hash.clone());
    let replaced = state
        .answers
        .write(round_id.into_string(), move |c| {
            // The lane's check (`check_open`) ran first in this transaction.
            match tokens::try_spend_key(c, &scope, &spend)? {
                tokens::Spending::Fresh => {
                    store::insert_response_at(c, &at, &rid, &a2, c2.as_deref())?;
                    threads::attach_first(c, &keys, &rid, &at, c2.as_deref(), hash.as_deref())?;
                    Ok(false)
                }
                tokens::Spending::SpentBefore if replace => {
                    if store::replace_response(c, &at, &rid, &a2, c2.as_deref())? {
                        threads::attach(c, &keys, &rid, Some(&at), c2.as_deref(), hash.as_deref())?;
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
        questions: frozen.questions.clone(),
        answers,
        comment,
        replaced,
        comment_receipt: receipt.map(|r| r.receipt),
    })
}

/// The check the answers lane runs once per batch, inside the transaction: every round the
/// batch answers is still open (under their row locks on PostgreSQL, so a close waits for
/// the batch). One statement for all of them: a batch of 32 answers spread over 18 rounds
/// made 36 round trips to PostgreSQL here before its 64 inserts (issue 13). The rounds come
/// as the lane's keys, plain strings: `db::batch::Check` is shared plumbing that knows no
/// feature's ids.
pub fn check_open(c: &mut DbConnection, round_ids: &[&str]) -> Result<(), AppError> {
    let found = store::lock_open_rounds(c, round_ids)?;
    for id in round_ids {
        match found.iter().find(|(f, _)| f == id) {
            None => return Err(AppError::NotFound),
            Some((_, false)) => return Err(closed()),
            Some((_, true)) => {}
        }
    }
    Ok(())
}

/// What the round froze at open: from this process's cache, or read once (open rounds only).
pub async fn frozen_round(state: &AppState, round_id: &RoundId) -> Result<Arc<Frozen>, AppError> {
    if let Some(f) = state.rounds.get(round_id) {
        return Ok(f);
    }
    let (rid, rounds, keys) = (
        round_id.clone(),
        state.rounds.clone(),
        state.key_cache.clone(),
    );
    state
        .db
        .read(move |c| load_frozen(c, &rounds, &keys, &rid))
        .await
}

fn load_frozen(
    c: &mut DbConnection,
    rounds: &RoundCache,
    keys: &KeyCache,
    round_id: &RoundId,
) -> Result<Arc<Frozen>, AppError> {
    if let Some(f) = rounds.get(round_id) {
        return Ok(f);
    }
    let round = store::find_round(c, round_id)?;
    if !round.is_open() {
        return Err(if round.is_closed() {
            closed()
        } else {
            AppError::Conflict("this round has not opened yet".into())
        });
    }
    let questions = store::round_questions(c, round_id)?;
    let row = tokens::find_key(c, &round_id.scope())?.ok_or(AppError::NotFound)?;
    let key = keys.public(&round_id.scope(), &row.public_der)?;
    let key_json = crypto::key_json(&key);
    Ok(rounds.put(
        round_id,
        Frozen {
            team_id: round.team_id,
            threshold: round.threshold,
            questions,
            key,
            key_json,
            names: OnceLock::new(),
        },
    ))
}

/// Drops cached rounds that are no longer open (closed by another replica); the process
/// that closes a round drops it at once. Run by every process's periodic job.
pub async fn forget_closed_rounds(state: &AppState) -> Result<usize, AppError> {
    let held = state.rounds.held();
    if held.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = held.iter().map(|r| r.as_str().to_owned()).collect();
    let open = state
        .db
        .read(move |c| Ok(store::open_among(c, &ids)?))
        .await?;
    Ok(state.rounds.retain_open(&held, &open))
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
    let (keys, rounds, key_cache) = (
        state.keys.clone(),
        state.rounds.clone(),
        state.key_cache.clone(),
    );
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
            let frozen = load_frozen(c, &rounds, &key_cache, &round_id)?;
            // The roster is read once per round and process, for its word list only.
            let names = match frozen.names.get() {
                Some(n) => n.clone(),
                None => {
                    let labels: Vec<String> = teams::list_members(c, &round.team_id)?
                        .into_iter()
                        .map(|m| m.label)
                        .collect();
                    frozen.names.get_or_init(|| warn_names(labels)).clone()
                }
            };
            let already = tokens::is_issued(c, &round_id.scope(), &member.id)?;
            Ok(MemberContext {
                round,
                questions: frozen.questions.clone(),
                key: frozen.key_json.clone(),
                names,
                member_id: member.id,
                already,
            })
        })
        .await
}

/// The no-JavaScript route's store, for answers already checked by `model::validate`.
/// Returns the comment's receipt (shown once), if there was a comment.
pub async fn store_fallback_answer(
    state: &AppState,
    round_id: RoundId,
    member_id: MemberId,
    answers: Vec<Answer>,
    comment: Option<String>,
) -> Result<Option<String>, AppError> {
    // Two transactions, never one: a shared transaction id (PostgreSQL `xmin`) or commit
    // would tie the member's issuance row to the answer in a dump while the round is open.
    // The first consumes the member's one answer; the second stores the answer as the
    // blinded route does. If the second fails (the round closed in between), the member is
    // in the state of someone who took a token and did not use it, and is told so.
    let rid = round_id.clone();
    let keys = state.keys.clone();
    let receipt = comment.as_ref().map(|_| threads::new_receipt(&keys));
    let hash = receipt.as_ref().map(|r| r.hash.clone());
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
            store::insert_response(c, &round_id, &answers, comment.as_deref())?;
            threads::attach(c, &keys, &round_id, None, comment.as_deref(), hash.as_deref())
        })
        .await?;
    Ok(receipt.map(|r| r.receipt))
}
