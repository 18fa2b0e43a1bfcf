//! Pulse use cases for staff: open, schedule and close rounds, shape the questionnaire, read
//! results and trends. Each runs in one transaction (`Db::write`) or one read and returns
//! values or an `AppError`; the handlers in `routes/` only extract, call one of these and
//! render. The member's use cases (answering) are in `actions/member.rs`.

use rand::seq::SliceRandom;
use time::PrimitiveDateTime;

use super::model::{self, NewQuestion, Question, QuestionId, RoundId, RoundInput, RoundStatus};
// The trend's view struct is this use case's output as it stands: values only, no markup.
use super::pages::TrendPoint;
use super::store::{self, NewRound, RoundRow, TeamQuestionRow};
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::{blocking, DbConnection};
use crate::disclosure::{self, RoundResults};
use crate::error::{AppError, FieldError};
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::teams::store::{self as teams, TeamRow};
use crate::tokens::crypto::{self, KeyJson, NewKey};
use crate::tokens::store as tokens;

pub mod index;
pub mod member;
pub mod picker;
pub mod results;

use results::results_of;

fn no_questions() -> AppError {
    AppError::invalid(
        "questions",
        "This team has no questions: add at least one before opening a round.",
    )
}

/// Opens a scheduled round, freezing what protects people (G9): the roster, the questions,
/// the threshold (the team's at this moment) and a fresh round key. Runs in the caller's
/// transaction (the demo calls it too) and returns whether this call opened the round,
/// decided under the round's lock, so two openers racing record one opening.
pub fn open_round_in(
    c: &mut DbConnection,
    round_id: &RoundId,
    key: &NewKey,
    now: PrimitiveDateTime,
) -> Result<(RoundRow, bool), AppError> {
    store::lock_round(c, round_id, true)?;
    let round = store::find_round(c, round_id)?;
    if round.status() != RoundStatus::Scheduled {
        return Ok((round, false));
    }
    store::ensure_questions(c, &round.team_id)?;
    let questions = store::list_questions(c, &round.team_id)?;
    if questions.is_empty() {
        return Err(no_questions());
    }
    store::freeze_questions(c, round_id, &questions)?;
    let roster = store::roster_ids(c, &round.team_id)?;
    let threshold = teams::find_team(c, &round.team_id)?.threshold;
    tokens::insert_key(c, &round_id.scope(), key)?;
    tokens::freeze_roster(c, &round_id.scope(), &roster)?;
    store::mark_open(c, round_id, roster.len() as i32, threshold, now)?;
    let round = store::find_round(c, round_id)?;
    // Team chat hears of it in this transaction: an opening that rolls back announces nothing.
    crate::delivery::actions::round_opened(c, &round)?;
    Ok((round, true))
}

/// Closes a round in the caller's transaction: aggregates computed once and stored,
/// responses rewritten in random order with fresh ids (G1), the key destroyed and who was
/// issued a token forgotten (G3). Returns the round and whether this call closed it, decided
/// under the round's lock, so two closes racing (two replicas' timers, a member's visit and a
/// leader's click) record one close, not two. The caller scrubs old row images after commit.
pub fn close_round_in(
    c: &mut DbConnection,
    round_id: &RoundId,
    today: time::Date,
) -> Result<(RoundRow, bool), AppError> {
    store::lock_round(c, round_id, true)?;
    let round = store::find_round(c, round_id)?;
    if round.is_closed() {
        return Ok((round, false));
    }
    if round.status() == RoundStatus::Scheduled {
        // Never opened: nothing to protect; it closes empty.
        store::mark_closed(c, round_id, 0, 0, today)?;
        return Ok((store::find_round(c, round_id)?, true));
    }
    let questions = store::round_questions(c, round_id)?;
    let mut parsed = store::load_responses(c, round_id)?;
    let agg = model::aggregate(&questions, i64::from(round.invited), &parsed);
    store::put_aggregate(c, round_id, agg)?;
    store::delete_responses(c, round_id)?;
    parsed.shuffle(&mut rand::rng());
    for (answers, comment) in &parsed {
        store::insert_response(c, round_id, answers, comment.as_deref())?;
    }
    crate::threads::actions::in_round::close(c, round_id)?;
    let issued = tokens::close_scope(c, &round_id.scope())?;
    store::mark_closed(c, round_id, parsed.len() as i32, issued as i32, today)?;
    crate::metrics::invalidate(c)?;
    // The old row images (pre-shuffle responses, issuances, the key) are scrubbed after
    // commit; owing it is recorded here so a crash in between still leaves it owed (G15).
    crate::db::scrub::request(c, crate::clock::recorded_at())?;
    let round = store::find_round(c, round_id)?;
    crate::delivery::actions::round_closed(c, &round)?;
    Ok((round, true))
}

/// Opens a round now, or schedules it. Key generation (RSA-2048) runs off the async workers
/// and before the write transaction, so the database is never held while it runs.
pub async fn start_round(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    input: RoundInput,
    pick: Option<picker::Pick>,
) -> Result<RoundRow, AppError> {
    user.can_lead()
        .then_some(())
        .ok_or_else(AppError::forbidden)?;
    let key = if input.opens_at.is_none() {
        Some(blocking(crypto::generate).await?)
    } else {
        None
    };
    let user = user.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            store::ensure_questions(c, &team.id)?;
            if let Some(p) = &pick {
                picker::apply(c, &user.email, &team, p)?;
            }
            if store::list_questions(c, &team.id)?.is_empty() {
                return Err(no_questions());
            }
            let new = NewRound {
                team_id: team.id.clone(),
                title: input.title.clone(),
                opens_at: input.opens_at.unwrap_or(now),
                closes_at: input.closes_at,
                created_by: user.id.clone(),
            };
            let id = store::insert_round(c, &new, team.threshold)?;
            let round = match &key {
                Some(k) => open_round_in(c, &id, k, now)?.0,
                None => store::find_round(c, &id)?,
            };
            let what = if key.is_some() {
                "round.opened"
            } else {
                "round.scheduled"
            };
            audit(
                c,
                Some(&user.email),
                what,
                &format!("{} for {}", round.title, team.name),
            )?;
            Ok(round)
        })
        .await
}

/// Opens one scheduled round whose time has come (the scheduler calls this).
pub async fn open_scheduled(state: &AppState, round_id: RoundId) -> Result<(), AppError> {
    let key = blocking(crypto::generate).await?;
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let (r, opened) = open_round_in(c, &round_id, &key, now)?;
            if opened {
                audit(c, None, "round.opened", &format!("{} (scheduled)", r.title))?;
            }
            Ok(())
        })
        .await
}

/// Closes a round, then scrubs old row images outside the transaction (retried until done).
pub async fn finish_round(
    state: &AppState,
    actor: Option<&StaffUser>,
    round_id: RoundId,
) -> Result<RoundRow, AppError> {
    let actor = actor.cloned();
    let id = round_id.clone();
    let today = state.clock.today();
    let round = state
        .db
        .write(move |c| {
            if let Some(u) = &actor {
                let r = store::find_round(c, &id)?;
                teams::team_for(c, u, &r.team_id)?;
            }
            let (round, closed_now) = close_round_in(c, &id, today)?;
            if closed_now {
                audit(
                    c,
                    actor.as_ref().map(|u| u.email.as_str()),
                    "round.closed",
                    &round.title,
                )?;
            }
            Ok(round)
        })
        .await?;
    state.key_cache.forget(&round_id.scope());
    state.rounds.forget(&round_id);
    crate::db::scrub::after_close(&state.db).await;
    Ok(round)
}

/// Rounds whose scheduled time has come, and open rounds past their closing time.
pub async fn due_rounds(state: &AppState) -> Result<(Vec<String>, Vec<String>), AppError> {
    let now = state.clock.now();
    state.db.read(move |c| Ok(store::due_rounds(c, now)?)).await
}

fn trend_of(c: &mut DbConnection, team_id: &TeamId) -> Result<Vec<TrendPoint>, AppError> {
    let rounds = store::list_rounds(c, team_id)?;
    let ids: Vec<RoundId> = rounds
        .iter()
        .filter(|r| r.is_closed())
        .map(|r| r.id.clone())
        .collect();
    let aggs = store::find_aggregates(c, &ids)?;
    let mut out = Vec::with_capacity(rounds.len());
    for r in rounds {
        let results = if r.is_closed() {
            let agg = aggs.iter().find(|(id, _)| *id == r.id).map(|(_, a)| a);
            disclosure::round_results(true, i64::from(r.invited), 0, r.threshold, agg)
        } else {
            let answered = store::count_responses(c, &r.id)?;
            disclosure::round_results(false, i64::from(r.invited), answered, r.threshold, None)
        };
        out.push(TrendPoint { round: r, results });
    }
    Ok(out)
}

fn round_for(
    c: &mut DbConnection,
    user: &StaffUser,
    round_id: &RoundId,
) -> Result<(TeamRow, RoundRow), AppError> {
    let r = store::find_round(c, round_id)?;
    let team = teams::team_for(c, user, &r.team_id)?;
    Ok((team, r))
}

/// A team's rounds with what may be shown of each, if the staff member may see the team.
pub async fn team_trend(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<Vec<TrendPoint>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            trend_of(c, &team.id)
        })
        .await
}

/// What may be shown of one round to a staff member who may see its team.
pub async fn round_results(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
) -> Result<RoundResults, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let (_, r) = round_for(c, &user, &round_id)?;
            results_of(c, &r)
        })
        .await
}

/// A team's pulse page: its rounds and trend, how many questions and people it has.
pub struct TeamOverview {
    pub team: TeamRow,
    pub points: Vec<TrendPoint>,
    pub questions: usize,
    /// The questions the open-round form's picker offers.
    pub picks: Vec<TeamQuestionRow>,
    pub members: i64,
}

/// Writes (a team's first visit gets the built-in questionnaire), hence one transaction.
pub async fn team_overview(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<TeamOverview, AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            store::ensure_questions(c, &team.id)?;
            let picks = store::list_questions(c, &team.id)?;
            let questions = picks.len();
            let members = teams::count_members(c, &team.id)?;
            let points = trend_of(c, &team.id)?;
            Ok(TeamOverview {
                team,
                points,
                questions,
                picks,
                members,
            })
        })
        .await
}

/// One round's page: its team, what may be shown, and its key's fingerprint while it has one.
pub struct RoundOverview {
    pub team: TeamRow,
    pub round: RoundRow,
    pub results: RoundResults,
    pub fingerprint: Option<String>,
}

pub async fn round_overview(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
) -> Result<RoundOverview, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let (team, round) = round_for(c, &user, &round_id)?;
            let results = results_of(c, &round)?;
            let fingerprint = tokens::find_key(c, &round.id.scope())?.map(|k| k.fingerprint);
            Ok(RoundOverview {
                team,
                round,
                results,
                fingerprint,
            })
        })
        .await
}

/// A round as the API describes it: its frozen questions and, while open, its public key.
pub struct RoundDetail {
    pub round: RoundRow,
    pub questions: Vec<Question>,
    pub key: Option<KeyJson>,
}

fn detail_of(c: &mut DbConnection, round: RoundRow) -> Result<RoundDetail, AppError> {
    let questions = store::round_questions(c, &round.id)?;
    let key = match tokens::find_key(c, &round.id.scope())? {
        Some(k) => Some(crypto::key_json(&crypto::parse_public(&k.public_der)?)),
        None => None,
    };
    Ok(RoundDetail {
        round,
        questions,
        key,
    })
}

/// The detail of a round the caller just opened or closed (access already checked).
pub async fn describe(state: &AppState, round: RoundRow) -> Result<RoundDetail, AppError> {
    state.db.read(move |c| detail_of(c, round)).await
}

pub async fn round_detail(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
) -> Result<RoundDetail, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let (_, r) = round_for(c, &user, &round_id)?;
            detail_of(c, r)
        })
        .await
}

pub async fn team_rounds(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<Vec<RoundDetail>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            let mut out = vec![];
            for r in store::list_rounds(c, &team.id)? {
                out.push(detail_of(c, r)?);
            }
            Ok(out)
        })
        .await
}

/// A team's questionnaire after a change, with the problems to show beside the form.
pub struct Questionnaire {
    pub team: TeamRow,
    pub questions: Vec<TeamQuestionRow>,
    pub errors: Vec<FieldError>,
}

/// The questionnaire editor (a team's first visit gets the built-in questionnaire).
pub async fn questionnaire(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<Questionnaire, AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            store::ensure_questions(c, &team.id)?;
            let questions = store::list_questions(c, &team.id)?;
            Ok(Questionnaire {
                team,
                questions,
                errors: vec![],
            })
        })
        .await
}

/// Adds a checked question. The team is checked first, so someone who may not see it learns
/// nothing from the form's errors.
pub async fn add_question(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    checked: Result<NewQuestion, Vec<FieldError>>,
) -> Result<Questionnaire, AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            store::ensure_questions(c, &team.id)?;
            let errors = match checked {
                Ok(q) => {
                    if store::list_questions(c, &team.id)?.len() >= model::MAX_QUESTIONS {
                        vec![FieldError::new(
                            "text",
                            format!("A round asks at most {} questions.", model::MAX_QUESTIONS),
                        )]
                    } else {
                        store::add_question(c, &team.id, &q)?;
                        audit(
                            c,
                            Some(&user.email),
                            "questions.added",
                            &format!("{}: {}", team.name, q.text),
                        )?;
                        vec![]
                    }
                }
                Err(e) => e,
            };
            let questions = store::list_questions(c, &team.id)?;
            Ok(Questionnaire {
                team,
                questions,
                errors,
            })
        })
        .await
}

/// What a leader does to an existing question.
pub enum QuestionEdit {
    Remove,
    /// New wording, checked by `model::check_question_text`, and whether the leader confirmed
    /// changing a validated scale item (whose research no longer vouches for new words).
    Reword(Result<String, FieldError>, bool),
}

pub async fn edit_question(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    question_id: QuestionId,
    edit: QuestionEdit,
) -> Result<Questionnaire, AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            let qid = question_id;
            let q = store::list_questions(c, &team.id)?
                .into_iter()
                .find(|q| q.id == qid)
                .ok_or(AppError::NotFound)?;
            let mut errors = vec![];
            match edit {
                QuestionEdit::Remove => {
                    if q.builtin.as_deref().is_some_and(|b| b.starts_with("ps")) {
                        errors.push(FieldError::new("text", "The seven psychological-safety items stay together so the score keeps its meaning."));
                    } else {
                        store::remove_question(c, &team.id, &qid)?;
                        audit(
                            c,
                            Some(&user.email),
                            "questions.removed",
                            &format!("{}: {}", team.name, q.text),
                        )?;
                    }
                }
                QuestionEdit::Reword(Err(e), _) => errors.push(e),
                QuestionEdit::Reword(Ok(t), false) if picker::is_scale_item(&q) && t != q.text => {
                    errors.push(FieldError::new("text", model::VALIDATED_WORDING))
                }
                QuestionEdit::Reword(Ok(text), _) => {
                    store::set_question_text(c, &team.id, &qid, &text)?;
                    audit(
                        c,
                        Some(&user.email),
                        "questions.reworded",
                        &format!("{}: {}", team.name, text),
                    )?;
                }
            }
            let questions = store::list_questions(c, &team.id)?;
            Ok(Questionnaire {
                team,
                questions,
                errors,
            })
        })
        .await
}
