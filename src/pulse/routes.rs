//! Pulse handlers: staff pages and API for rounds and results, and the member's answer
//! routes (anonymous: see `privacy::is_anonymous`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;

use super::model::{self, Answer, Kind, Question};
use super::pages::{self, MemberRound, TeamPulse, TrendPoint};
use super::store::{self, NewQuestion, NewRound, RoundRow};
use crate::auth::model::StaffUser;
use crate::auth::routes::{see_other, ApiStaff, Staff};
use crate::auth::store::audit;
use crate::db::{blocking, DbConnection};
use crate::disclosure::{self, RoundResults};
use crate::error::{ApiResult, AppError, FieldError, PageResult};
use crate::members::model::identifying_details;
use crate::state::AppState;
use crate::teams::store::{self as teams, TeamRow};
use crate::tokens::crypto::{self, KeyJson, TokenJson};
use crate::tokens::routes::{bad_invite, closed};
use crate::tokens::store as tokens;
use crate::web::html_response;

// ---------------------------------------------------------------- shared logic

/// Reads an RFC 3339 time (API) or a `datetime-local` value taken as UTC (forms).
pub fn parse_time(field: &str, raw: &str) -> Result<Option<PrimitiveDateTime>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
    {
        let t = t.to_offset(time::UtcOffset::UTC);
        return Ok(Some(PrimitiveDateTime::new(t.date(), t.time())));
    }
    let local = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let local_s =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(raw, &local)
        .or_else(|_| PrimitiveDateTime::parse(raw, &local_s))
        .map(Some)
        .map_err(|_| FieldError::new(field, "Enter a date and time like 2026-12-01T17:00 (UTC)."))
}

pub fn rfc3339(t: PrimitiveDateTime) -> String {
    t.assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

struct RoundInput {
    title: String,
    opens_at: Option<PrimitiveDateTime>,
    closes_at: Option<PrimitiveDateTime>,
}

fn check_round_input(
    title: &str,
    opens: &str,
    closes: &str,
) -> Result<RoundInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = if title.is_empty() {
        format!("Pulse {}", crate::secret::now().date())
    } else {
        title
    };
    if title.chars().count() > model::MAX_TITLE {
        errors.push(FieldError::new(
            "title",
            format!("Use at most {} characters.", model::MAX_TITLE),
        ));
    }
    let opens_at = parse_time("opens_at", opens)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let closes_at = parse_time("closes_at", closes)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let now = crate::secret::now();
    if let Some(c) = closes_at {
        if c <= now {
            errors.push(FieldError::new(
                "closes_at",
                "The closing time must be in the future.",
            ));
        } else if opens_at.is_some_and(|o| c <= o) {
            errors.push(FieldError::new(
                "closes_at",
                "The round must close after it opens.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(RoundInput {
            title,
            opens_at: opens_at.filter(|o| *o > now),
            closes_at,
        })
    } else {
        Err(errors)
    }
}

/// Opens a round now, or schedules it. Key generation (RSA-2048) runs off the async workers
/// and before the write transaction, so the database is never held while it runs.
async fn start_round(
    state: &AppState,
    user: &StaffUser,
    team_id: String,
    input: RoundInput,
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
    let round = state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            store::ensure_questions(c, &team.id)?;
            if store::list_questions(c, &team.id)?.is_empty() {
                return Err(AppError::invalid(
                    "questions",
                    "This team has no questions: add at least one before opening a round.",
                ));
            }
            let new = NewRound {
                team_id: team.id.clone(),
                title: input.title.clone(),
                opens_at: input.opens_at.unwrap_or_else(crate::secret::now),
                closes_at: input.closes_at,
                created_by: user.id.clone(),
            };
            let id = store::insert_round(c, &new, team.threshold)?;
            let round = match &key {
                Some(k) => store::open_round(c, &id, k)?,
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
        .await?;
    Ok(round)
}

/// Closes a round, then scrubs old row images outside the transaction (retried until done).
pub async fn finish_round(
    state: &AppState,
    actor: Option<&StaffUser>,
    round_id: String,
) -> Result<RoundRow, AppError> {
    let actor = actor.cloned();
    let id = round_id.clone();
    let round = state
        .db
        .write(move |c| {
            if let Some(u) = &actor {
                let r = store::find_round(c, &id)?;
                teams::team_for(c, u, &r.team_id)?;
            }
            let (round, closed_now) = store::close_round(c, &id)?;
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
    state.key_cache.forget(&round_id);
    crate::db::scrub::after_close(&state.db).await;
    Ok(round)
}

/// Opens scheduled rounds whose time has come and closes rounds past their closing time.
/// Runs on a timer and before member pages, so no round waits on a visit.
pub async fn tick(state: &AppState) -> Result<(), AppError> {
    let (to_open, to_close) = state.db.read(|c| Ok(store::due_rounds(c)?)).await?;
    for id in to_open {
        let key = blocking(crypto::generate).await?;
        state
            .db
            .write(move |c| {
                let r = store::open_round(c, &id, &key)?;
                audit(c, None, "round.opened", &format!("{} (scheduled)", r.title))?;
                Ok(())
            })
            .await?;
    }
    for id in to_close {
        finish_round(state, None, id).await?;
    }
    Ok(())
}

/// Everything that happens on the clock: rounds opening and closing, and the retention of
/// review text. Runs every 30 seconds in each app process; each step is idempotent.
pub async fn periodic(state: &AppState) -> Result<(), AppError> {
    crate::tokens::forget_closed_keys(state).await?;
    tick(state).await?;
    let purged = state
        .db
        .write(|c| {
            Ok(crate::reviews::store::apply_retention(
                c,
                crate::secret::now().date(),
            )?)
        })
        .await?;
    if purged > 0 {
        tracing::info!(target: "candor", reviews = purged, "review text deleted under retention");
    }
    // Any scrub still owed (a close whose scrub was kept from finishing, a retention run):
    // retried on every tick until it completes (G15).
    let db = state.db.clone();
    blocking(move || crate::db::scrub::run(&db)).await?;
    Ok(())
}

fn results_of(c: &mut DbConnection, r: &RoundRow) -> Result<RoundResults, AppError> {
    let agg = if r.is_closed() {
        store::find_aggregate(c, &r.id)?
    } else {
        None
    };
    let answered = if r.is_closed() {
        0
    } else {
        store::count_responses(c, &r.id)?
    };
    Ok(disclosure::round_results(
        r.is_closed(),
        i64::from(r.invited),
        answered,
        i64::from(r.threshold),
        agg.as_ref(),
    ))
}

fn trend_of(c: &mut DbConnection, team_id: &str) -> Result<Vec<TrendPoint>, AppError> {
    let rounds = store::list_rounds(c, team_id)?;
    let ids: Vec<String> = rounds
        .iter()
        .filter(|r| r.is_closed())
        .map(|r| r.id.clone())
        .collect();
    let aggs = store::find_aggregates(c, &ids)?;
    let mut out = Vec::with_capacity(rounds.len());
    for r in rounds {
        let results = if r.is_closed() {
            let agg = aggs.iter().find(|(id, _)| *id == r.id).map(|(_, a)| a);
            disclosure::round_results(true, i64::from(r.invited), 0, i64::from(r.threshold), agg)
        } else {
            let answered = store::count_responses(c, &r.id)?;
            disclosure::round_results(
                false,
                i64::from(r.invited),
                answered,
                i64::from(r.threshold),
                None,
            )
        };
        out.push(TrendPoint { round: r, results });
    }
    Ok(out)
}

/// A team's rounds with what may be shown of each, if the staff member may see the team.
async fn team_trend(
    state: &AppState,
    user: &StaffUser,
    team_id: String,
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

fn round_for(
    c: &mut DbConnection,
    user: &StaffUser,
    round_id: &str,
) -> Result<(TeamRow, RoundRow), AppError> {
    let r = store::find_round(c, round_id)?;
    let team = teams::team_for(c, user, &r.team_id)?;
    Ok((team, r))
}

// ---------------------------------------------------------------- staff pages

async fn rounds_index(state: web::Data<AppState>, staff: Staff) -> PageResult<maud::Markup> {
    staff.require_leader()?;
    let user = staff.user.clone();
    let rows = state
        .db
        .read(move |c| {
            let teams_list = teams::list_teams_for(c, &user)?;
            let ids: Vec<String> = teams_list.iter().map(|t| t.id.clone()).collect();
            let rounds = store::list_rounds_of_teams(c, &ids)?;
            Ok(rounds
                .into_iter()
                .filter_map(|r| {
                    teams_list
                        .iter()
                        .find(|t| t.id == r.team_id)
                        .map(|t| (t.clone(), r))
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(pages::rounds_index(&staff.viewer(), &rows))
}

async fn render_team_pulse(
    state: &AppState,
    staff: &Staff,
    team_id: String,
    errors: Vec<FieldError>,
    form: Vec<(String, String)>,
) -> PageResult<HttpResponse> {
    let user = staff.user.clone();
    let (team, points, questions, members) = state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            store::ensure_questions(c, &team.id)?;
            let questions = store::list_questions(c, &team.id)?.len();
            let members = teams::count_members(c, &team.id)?;
            let points = trend_of(c, &team.id)?;
            Ok((team, points, questions, members))
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = TeamPulse {
        team: &team,
        points: &points,
        questions,
        members,
    };
    Ok(html_response(
        status,
        pages::team_pulse(&staff.viewer(), &view, &errors, &form),
    ))
}

async fn team_pulse(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    render_team_pulse(&state, &staff, id.into_inner(), vec![], vec![]).await
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
}

async fn open_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<OpenForm>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    staff.check_csrf(&form.csrf)?;
    let team_id = id.into_inner();
    let echo = vec![
        ("title".to_owned(), form.title.clone()),
        ("opens_at".to_owned(), form.opens_at.clone()),
        ("closes_at".to_owned(), form.closes_at.clone()),
    ];
    let input = match check_round_input(&form.title, &form.opens_at, &form.closes_at) {
        Ok(i) => i,
        Err(errors) => return render_team_pulse(&state, &staff, team_id, errors, echo).await,
    };
    match start_round(&state, &staff.user, team_id.clone(), input).await {
        Ok(r) => Ok(see_other(&format!("/rounds/{}", r.id))),
        Err(AppError::Invalid(errors)) => {
            render_team_pulse(&state, &staff, team_id, errors, echo).await
        }
        Err(e) => Err(e),
    }
}

async fn round_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<maud::Markup> {
    let user = staff.user.clone();
    let (team, round, results, fp) = state
        .db
        .read(move |c| {
            let (team, round) = round_for(c, &user, &id)?;
            let results = results_of(c, &round)?;
            let fp = tokens::find_key(c, &round.id)?.map(|k| k.fingerprint);
            Ok((team, round, results, fp))
        })
        .await?;
    Ok(pages::round_page(
        &staff.viewer(),
        &team,
        &round,
        &results,
        fp.as_deref(),
    ))
}

async fn close_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<crate::auth::routes::CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let round = finish_round(&state, Some(&staff.user), id.into_inner()).await?;
    Ok(see_other(&format!("/rounds/{}", round.id)))
}

async fn questions_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<maud::Markup> {
    staff.require_leader()?;
    let user = staff.user.clone();
    let (team, qs) = state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &id)?;
            store::ensure_questions(c, &team.id)?;
            Ok((team.clone(), store::list_questions(c, &team.id)?))
        })
        .await?;
    Ok(pages::questions_page(&staff.viewer(), &team, &qs, &[]))
}

#[derive(Deserialize)]
pub struct NewQuestionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    required: Option<String>,
}

/// A custom question, checked. `kind` is scale7, scale5, choice or text.
fn check_question(
    kind: &str,
    text: &str,
    options: &str,
    required: bool,
) -> Result<NewQuestion, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        errors.push(FieldError::new("text", "Write the question."));
    } else if text.chars().count() > model::MAX_QUESTION_TEXT {
        errors.push(FieldError::new(
            "text",
            format!("Use at most {} characters.", model::MAX_QUESTION_TEXT),
        ));
    }
    let (kind, points) = match kind {
        "scale7" | "scale" => (Kind::Scale, 7),
        "scale5" => (Kind::Scale, 5),
        "choice" => (Kind::Choice, 0),
        "text" => (Kind::Text, 0),
        _ => {
            errors.push(FieldError::new(
                "kind",
                "Choose agreement (5 or 7 points), single choice or free text.",
            ));
            (Kind::Text, 0)
        }
    };
    let options = model::split_options(options);
    if kind == Kind::Choice {
        let unique: std::collections::HashSet<&String> = options.iter().collect();
        if options.len() < 2
            || options.len() > model::MAX_CHOICE_OPTIONS
            || unique.len() != options.len()
        {
            errors.push(FieldError::new(
                "options",
                format!(
                    "Give 2 to {} different options, one a line.",
                    model::MAX_CHOICE_OPTIONS
                ),
            ));
        }
        if options.iter().any(|o| o.chars().count() > 100) {
            errors.push(FieldError::new(
                "options",
                "Keep each option under 100 characters.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(NewQuestion {
            kind,
            text,
            scale_points: points,
            options: if kind == Kind::Choice {
                options
            } else {
                vec![]
            },
            required,
        })
    } else {
        Err(errors)
    }
}

async fn add_question(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<NewQuestionForm>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    staff.check_csrf(&form.csrf)?;
    let checked = check_question(
        &form.kind,
        &form.text,
        &form.options,
        form.required.is_some(),
    );
    let user = staff.user.clone();
    let (team, qs, errors) = state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &id)?;
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
            Ok((team.clone(), store::list_questions(c, &team.id)?, errors))
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html_response(
        status,
        pages::questions_page(&staff.viewer(), &team, &qs, &errors),
    ))
}

#[derive(Deserialize)]
pub struct EditQuestionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    action: String,
}

async fn edit_question(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<EditQuestionForm>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    staff.check_csrf(&form.csrf)?;
    let (team_id, qid) = path.into_inner();
    let text = form.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let action = form.action.clone();
    let user = staff.user.clone();
    let (team, qs, errors) = state
        .db
        .write(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            let q = store::list_questions(c, &team.id)?.into_iter().find(|q| q.id == qid).ok_or(AppError::NotFound)?;
            let mut errors = vec![];
            if action == "remove" {
                if q.builtin.as_deref().is_some_and(|b| b.starts_with("ps")) {
                    errors.push(FieldError::new("text", "The seven psychological-safety items stay together so the score keeps its meaning."));
                } else {
                    store::remove_question(c, &team.id, &qid)?;
                    audit(c, Some(&user.email), "questions.removed", &format!("{}: {}", team.name, q.text))?;
                }
            } else if text.is_empty() || text.chars().count() > model::MAX_QUESTION_TEXT {
                errors.push(FieldError::new("text", format!("Write the question in 1 to {} characters.", model::MAX_QUESTION_TEXT)));
            } else {
                store::set_question_text(c, &team.id, &qid, &text)?;
                audit(c, Some(&user.email), "questions.reworded", &format!("{}: {}", team.name, text))?;
            }
            Ok((team.clone(), store::list_questions(c, &team.id)?, errors))
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html_response(
        status,
        pages::questions_page(&staff.viewer(), &team, &qs, &errors),
    ))
}

/// The trend's aggregates as CSV: exactly the figures the page shows, never raw answers.
fn trend_csv(points: &[TrendPoint]) -> String {
    use crate::teams::model::csv_cell;
    let mut out = String::from(
        "round_id,title,closed_on,status,invited,answered,score,spread,agreement,enps\n",
    );
    let f = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    for p in points.iter().filter(|p| p.round.is_closed()) {
        let r = &p.round;
        let (invited, answered, score, spread, agreement, enps) = match &p.results {
            RoundResults::Shown(s) => (
                s.invited,
                s.answered,
                s.score,
                s.spread,
                s.agreement,
                s.enps.as_ref().map(|e| e.score),
            ),
            RoundResults::Suppressed {
                invited, answered, ..
            } => (*invited, *answered, None, None, None, None),
            RoundResults::Open { invited, answered } => {
                (*invited, *answered, None, None, None, None)
            }
        };
        out.push_str(&format!(
            "{},{},{},{},{invited},{answered},{},{},{},{}\n",
            r.id,
            csv_cell(&r.title),
            r.closed_on.map(|d| d.to_string()).unwrap_or_default(),
            p.results.status(),
            f(score),
            f(spread),
            f(agreement),
            f(enps)
        ));
    }
    out
}

async fn trend_csv_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    let points = team_trend(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"trend.csv\""))
        .body(trend_csv(&points)))
}

async fn about_score() -> maud::Markup {
    pages::about_score(None)
}

// ---------------------------------------------------------------- staff API

#[derive(Serialize)]
pub struct QuestionJson {
    id: String,
    kind: Kind,
    text: String,
    min: i32,
    max: i32,
    reverse: bool,
    required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
}

impl From<&Question> for QuestionJson {
    fn from(q: &Question) -> Self {
        Self {
            id: q.id.clone(),
            kind: q.kind,
            text: q.text.clone(),
            min: q.min,
            max: q.max,
            reverse: q.reverse,
            required: q.required,
            options: q.options.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct RoundJson {
    id: String,
    team_id: String,
    title: String,
    status: String,
    opens_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    closes_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_on: Option<String>,
    threshold: i32,
    invited: i32,
    questions: Vec<QuestionJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<KeyJson>,
}

fn round_json(c: &mut DbConnection, r: &RoundRow) -> Result<RoundJson, AppError> {
    let questions = store::round_questions(c, &r.id)?;
    let key = match tokens::find_key(c, &r.id)? {
        Some(k) => Some(crypto::key_json(&crypto::parse_public(&k.public_der)?)),
        None => None,
    };
    Ok(RoundJson {
        id: r.id.clone(),
        team_id: r.team_id.clone(),
        title: r.title.clone(),
        status: r.status.clone(),
        opens_at: rfc3339(r.opens_at),
        closes_at: r.closes_at.map(rfc3339),
        closed_on: r.closed_on.map(|d| d.to_string()),
        threshold: r.threshold,
        invited: r.invited,
        questions: questions.iter().map(QuestionJson::from).collect(),
        key,
    })
}

#[derive(Deserialize)]
pub struct RoundCreate {
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    opens_at: Option<String>,
    #[serde(default)]
    closes_at: Option<String>,
}

/// `template` names the team's questionnaire: `psychological-safety` (the default) is the
/// built-in seven items and eNPS plus whatever custom items the team's leaders added.
async fn api_open(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<RoundCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_leader()?;
    if let Some(t) = body
        .template
        .as_deref()
        .filter(|t| *t != "psychological-safety" && *t != "team")
    {
        return Err(AppError::invalid(
            "template",
            format!("unknown template {t:?}: use \"psychological-safety\""),
        )
        .into());
    }
    let input = check_round_input(
        body.title.as_deref().unwrap_or_default(),
        body.opens_at.as_deref().unwrap_or_default(),
        body.closes_at.as_deref().unwrap_or_default(),
    )
    .map_err(AppError::Invalid)?;
    let round = start_round(&state, &staff.user, id.into_inner(), input).await?;
    let json = state.db.read(move |c| round_json(c, &round)).await?;
    Ok(HttpResponse::Created().json(json))
}

async fn api_team_rounds(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = staff.user.clone();
    let out = state
        .db
        .read(move |c| {
            let team = teams::team_for(c, &user, &id)?;
            let mut out = vec![];
            for r in store::list_rounds(c, &team.id)? {
                out.push(round_json(c, &r)?);
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

async fn api_round(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = staff.user.clone();
    let json = state
        .db
        .read(move |c| {
            let (_, r) = round_for(c, &user, &id)?;
            round_json(c, &r)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json))
}

async fn api_close(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let round = finish_round(&state, Some(&staff.user), id.into_inner()).await?;
    let json = state.db.read(move |c| round_json(c, &round)).await?;
    Ok(HttpResponse::Ok().json(json))
}

/// API.md's results shape, built from what `disclosure` allows.
pub fn results_json(results: &RoundResults) -> serde_json::Value {
    use serde_json::json;
    match results {
        RoundResults::Open { invited, answered } => {
            json!({ "status": "open", "invited": invited, "answered": answered })
        }
        RoundResults::Suppressed {
            invited,
            answered,
            needed,
        } => {
            json!({ "status": "suppressed", "invited": invited, "answered": answered, "needed": needed })
        }
        RoundResults::Shown(s) => {
            let mut v = json!({
                "status": "shown", "invited": s.invited, "answered": s.answered, "threshold": s.threshold,
                "items": s.items, "comment_count": s.comment_count,
            });
            for (k, x) in [
                ("score", s.score),
                ("spread", s.spread),
                ("agreement", s.agreement),
            ] {
                if let Some(x) = x {
                    v[k] = json!(x);
                }
            }
            if let Some(e) = &s.enps {
                v["enps"] = json!(e);
            }
            if let Some(c) = &s.comments {
                v["comments"] = json!(c);
            }
            v
        }
    }
}

async fn api_results(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = staff.user.clone();
    let results = state
        .db
        .read(move |c| {
            let (_, r) = round_for(c, &user, &id)?;
            results_of(c, &r)
        })
        .await?;
    Ok(HttpResponse::Ok().json(results_json(&results)))
}

async fn api_trend(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let points = team_trend(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<serde_json::Value> = points
        .iter()
        .filter(|p| p.round.is_closed())
        .map(|p| {
            let answered = match &p.results {
                RoundResults::Shown(s) => s.answered,
                RoundResults::Suppressed { answered, .. } | RoundResults::Open { answered, .. } => {
                    *answered
                }
            };
            let mut v = serde_json::json!({
                "round_id": p.round.id, "closed_on": p.round.closed_on.map(|d| d.to_string()),
                "status": p.results.status(), "answered": answered,
            });
            if let Some(s) = p.results.score() {
                v["score"] = serde_json::json!(s);
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- members (anonymous)

#[derive(Deserialize)]
pub struct AnswersBody {
    token: TokenJson,
    #[serde(default)]
    answers: Vec<Answer>,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Serialize)]
pub struct StoredAnswer {
    question_id: String,
    question: String,
    value: serde_json::Value,
    /// The value as the member's page shows it, e.g. "4 (from 1 to 7)".
    shown: String,
}

fn stored_view(
    questions: &[Question],
    answers: &[Answer],
    comment: Option<&str>,
) -> serde_json::Value {
    let answers: Vec<StoredAnswer> = answers
        .iter()
        .map(|a| StoredAnswer {
            question_id: a.question_id.clone(),
            question: questions
                .iter()
                .find(|q| q.id == a.question_id)
                .map(|q| q.text.clone())
                .unwrap_or_default(),
            shown: questions
                .iter()
                .find(|q| q.id == a.question_id)
                .map(|q| pages::describe_value(q, &a.value))
                .unwrap_or_default(),
            value: a.value.clone(),
        })
        .collect();
    serde_json::json!({ "answers": answers, "comment": comment })
}

/// Stores one anonymous response. Order matters: the answers are checked before the token,
/// so a mistake never burns it; then the token is spent and the response stored together.
pub async fn submit_answers(
    state: &AppState,
    round_id: String,
    body: AnswersBody,
) -> Result<serde_json::Value, AppError> {
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
            let (answers, comment) =
                model::validate(&questions, &body.answers, body.comment.as_deref())
                    .map_err(AppError::Invalid)?;
            let key = tokens::find_key(c, &rid)?;
            let token =
                crate::tokens::routes::verify_token(&cache, &rid, key.as_ref(), &body.token)?;
            Ok((questions, answers, comment, token))
        })
        .await?;
    let keys = state.keys.clone();
    let (a2, c2) = (answers.clone(), comment.clone());
    state
        .db
        .write(move |c| {
            store::lock_round(c, &round_id, false)?;
            if !store::find_round(c, &round_id)?.is_open() {
                return Err(closed());
            }
            tokens::spend(c, &keys, &round_id, &token.message)?;
            store::insert_response(c, &round_id, &a2, c2.as_deref())
        })
        .await?;
    Ok(stored_view(&questions, &answers, comment.as_deref()))
}

async fn api_answers(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AnswersBody>,
) -> ApiResult<HttpResponse> {
    let stored = submit_answers(&state, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "stored": stored })))
}

/// What a member's page needs to warn about names, and nothing more (G14): the words of
/// every roster label, lowercased, at least 3 letters, emails reduced to their local part
/// (domains dropped), deduplicated and sorted so the list carries no roster order. Every
/// member of the team gets the same list, so their pages cannot differ by it.
fn warn_names(labels: Vec<String>) -> Vec<String> {
    crate::members::model::name_parts(&labels)
}

struct MemberContext {
    round: RoundRow,
    questions: Vec<Question>,
    key: KeyJson,
    names: Vec<String>,
    member_id: String,
    already: bool,
}

async fn member_context(
    state: &AppState,
    invite: String,
    round_id: String,
) -> Result<MemberContext, AppError> {
    let _ = tick(state).await;
    let keys = state.keys.clone();
    state
        .db
        .read(move |c| {
            let member = teams::member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            if !tokens::is_eligible(c, &round_id, &member.id)? {
                return Err(AppError::Forbidden(
                    "you are not on the roster of this round".into(),
                ));
            }
            let round = store::find_round(c, &round_id)?;
            if !round.is_open() {
                return Err(closed());
            }
            let key = tokens::find_key(c, &round_id)?.ok_or(AppError::NotFound)?;
            let key = crypto::key_json(&crypto::parse_public(&key.public_der)?);
            let questions = store::round_questions(c, &round_id)?;
            let labels: Vec<String> = teams::list_members(c, &round.team_id)?
                .into_iter()
                .map(|m| m.label)
                .collect();
            let already = tokens::is_issued(c, &round_id, &member.id)?;
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

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    invite: String,
}

fn already_page(title: &str) -> maud::Markup {
    crate::html::layout(
        "Already answered",
        None,
        maud::html! {
            h1 { "You have already taken part" }
            p { "Each person answers " (title) " once. Candor keeps no record of what you answered, so it cannot show it again." }
            h2 { "You have not taken part?" }
            p { "Then someone else used your link: whoever holds it can answer in your place (they can never read what you answer). "
                "Ask the person who runs Candor for a new link sent only to you; a new link stops this one from working, for this round and every later one." }
        },
    )
}

async fn member_form(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<InviteForm>,
) -> PageResult<HttpResponse> {
    let ctx = member_context(&state, form.invite.clone(), id.into_inner()).await?;
    if ctx.already {
        return Ok(html_response(
            StatusCode::OK,
            already_page(&ctx.round.title),
        ));
    }
    let m = MemberRound {
        round: &ctx.round,
        questions: &ctx.questions,
        key: &ctx.key,
        names: &ctx.names,
    };
    Ok(html_response(
        StatusCode::OK,
        pages::member_form(&m, &form.invite, &[], &[], None),
    ))
}

/// The no-JavaScript route: the server consumes the member's eligibility, then stores the
/// answer in a second transaction. Confidential, not unlinkable; the form said so beforehand.
async fn member_fallback(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> PageResult<HttpResponse> {
    let fields = form.into_inner();
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let invite = get("invite").unwrap_or_default();
    let ctx = member_context(&state, invite.clone(), id.into_inner()).await?;
    if ctx.already {
        return Ok(html_response(
            StatusCode::CONFLICT,
            already_page(&ctx.round.title),
        ));
    }
    let answers: Vec<Answer> = fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("q_").map(|q| Answer {
                question_id: q.to_owned(),
                value: serde_json::Value::from(v.clone()),
            })
        })
        .collect();
    let comment = get("comment");
    let m = MemberRound {
        round: &ctx.round,
        questions: &ctx.questions,
        key: &ctx.key,
        names: &ctx.names,
    };
    let (answers, comment) = match model::validate(&ctx.questions, &answers, comment.as_deref()) {
        Ok(v) => v,
        Err(errors) => {
            return Ok(html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::member_form(&m, &invite, &fields, &errors, None),
            ))
        }
    };
    let free_text: String = answers
        .iter()
        .filter(|a| {
            ctx.questions
                .iter()
                .any(|q| q.id == a.question_id && q.kind == Kind::Text)
        })
        .filter_map(|a| a.value.as_str().map(str::to_owned))
        .chain(comment.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let found = identifying_details(&free_text, &ctx.names);
    if !found.is_empty() && get("confirm_identifying").is_none() {
        return Ok(html_response(
            StatusCode::OK,
            pages::member_form(&m, &invite, &fields, &[], Some(&found)),
        ));
    }
    let (rid, mid, a2, c2) = (
        ctx.round.id.clone(),
        ctx.member_id.clone(),
        answers.clone(),
        comment.clone(),
    );
    // Two transactions, never one: a shared transaction id (PostgreSQL `xmin`) or commit
    // would tie the member's issuance row to the answer in a dump while the round is open.
    // The first consumes the member's one answer; the second stores the answer as the
    // blinded route does. If the second fails (the round closed in between), the member is
    // in the state of someone who took a token and did not use it, and is told so.
    let rid2 = rid.clone();
    state
        .db
        .write(move |c| {
            store::lock_round(c, &rid, false)?;
            if !store::find_round(c, &rid)?.is_open() {
                return Err(closed());
            }
            tokens::record_issuance(c, &rid, &mid)
        })
        .await?;
    state
        .db
        .write(move |c| {
            store::lock_round(c, &rid2, false)?;
            if !store::find_round(c, &rid2)?.is_open() {
                return Err(AppError::Gone(
                    "this round closed while your answer was on its way; nothing was stored, and the round counts you as invited but not answered".into(),
                ));
            }
            store::insert_response(c, &rid2, &a2, c2.as_deref())
        })
        .await?;
    let stored: Vec<(String, String)> = answers
        .iter()
        .filter_map(|a| {
            ctx.questions
                .iter()
                .find(|q| q.id == a.question_id)
                .map(|q| (q.text.clone(), pages::describe_value(q, &a.value)))
        })
        .collect();
    Ok(html_response(
        StatusCode::CREATED,
        pages::member_stored(
            &ctx.round.title,
            &stored,
            comment.as_deref(),
            "confidential (no JavaScript)",
        ),
    ))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/rounds", web::get().to(rounds_index))
        .route("/rounds/{id}", web::get().to(round_page))
        .route("/rounds/{id}/close", web::post().to(close_page))
        .route("/teams/{id}/rounds", web::get().to(team_pulse))
        .route("/teams/{id}/rounds", web::post().to(open_form))
        .route("/teams/{id}/questions", web::get().to(questions_page))
        .route("/teams/{id}/questions", web::post().to(add_question))
        .route("/teams/{id}/questions/{qid}", web::post().to(edit_question))
        .route("/teams/{id}/trend.csv", web::get().to(trend_csv_page))
        .route("/about/score", web::get().to(about_score))
        .route("/p/rounds/{id}", web::post().to(member_form))
        .route("/p/rounds/{id}/fallback", web::post().to(member_fallback));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams/{id}/rounds", web::post().to(api_open))
        .route("/teams/{id}/rounds", web::get().to(api_team_rounds))
        .route("/teams/{id}/trend", web::get().to(api_trend))
        .route("/rounds/{id}", web::get().to(api_round))
        .route("/rounds/{id}/close", web::post().to(api_close))
        .route("/rounds/{id}/results", web::get().to(api_results))
        .route("/rounds/{id}/answers", web::post().to(api_answers));
}
