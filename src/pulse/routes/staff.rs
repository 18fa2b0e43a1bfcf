//! Staff pages for pulse: the rounds list, a team's pulse and trend, a round's results, the
//! questionnaire editor, the trend export and how the score works.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::super::actions::picker::Pick;
use super::super::actions::{self, QuestionEdit};
use super::super::model::{self, QuestionId, RoundId};
use super::super::pages::{self, TeamPulse};
use crate::error::{AppError, FieldError, PageResult};
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::web::form::Csrf;
use crate::web::session::Staff;
use crate::web::{html_response, see_other};

/// `?page=N` of the pulse index, counting from 1.
#[derive(Deserialize)]
pub struct IndexQuery {
    page: Option<u32>,
}

pub async fn rounds_index(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<IndexQuery>,
) -> PageResult<maud::Markup> {
    staff.require_leader()?;
    let page = i64::from(q.page.unwrap_or(1));
    let p = actions::index::rounds_index(&state, &staff.user, page).await?;
    Ok(pages::index::rounds_index(&staff.viewer(), &p))
}

async fn render_team_pulse(
    state: &AppState,
    staff: &Staff,
    team_id: TeamId,
    errors: Vec<FieldError>,
    form: Vec<(String, String)>,
) -> PageResult<HttpResponse> {
    let o = actions::team_overview(state, &staff.user, team_id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = TeamPulse {
        team: &o.team,
        points: &o.points,
        questions: o.questions,
        picks: &o.picks,
        members: o.members,
        today: state.clock.today(),
    };
    Ok(html_response(
        status,
        pages::team_pulse(&staff.viewer(), &view, &errors, &form),
    ))
}

pub async fn team_pulse(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    render_team_pulse(&state, &staff, id.into_inner(), vec![], vec![]).await
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    /// Present when the form carried the question picker; without it nothing is changed.
    #[serde(default)]
    picker: Option<String>,
    /// The ticked questions (a key sent once per tick).
    #[serde(default)]
    keep: Vec<QuestionId>,
    #[serde(default)]
    new_text: String,
}

pub async fn open_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<OpenForm>>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    let team_id = id.into_inner();
    let echo = vec![
        ("title".to_owned(), form.title.clone()),
        ("opens_at".to_owned(), form.opens_at.clone()),
        ("closes_at".to_owned(), form.closes_at.clone()),
        ("new_text".to_owned(), form.new_text.clone()),
    ];
    let mut echo = echo;
    if form.picker.is_some() {
        echo.push(("picker".to_owned(), "1".to_owned()));
        echo.extend(form.keep.iter().map(|k| ("keep".to_owned(), k.to_string())));
    }
    let pick = match picked(&form) {
        Ok(p) => p,
        Err(errors) => return render_team_pulse(&state, &staff, team_id, errors, echo).await,
    };
    let checked = model::check_round_input(
        &form.title,
        &form.opens_at,
        &form.closes_at,
        state.clock.now(),
    );
    let input = match checked {
        Ok(i) => i,
        Err(errors) => return render_team_pulse(&state, &staff, team_id, errors, echo).await,
    };
    match actions::start_round(&state, &staff.user, team_id.clone(), input, pick).await {
        Ok(r) => Ok(see_other(&format!("/rounds/{}", r.id))),
        Err(AppError::Invalid(errors)) => {
            render_team_pulse(&state, &staff, team_id, errors, echo).await
        }
        Err(e) => Err(e),
    }
}

/// The picker's choice, with the leader's own question checked as the questions page checks
/// one (a 1-to-7 agreement item); `None` when the form had no picker.
fn picked(form: &OpenForm) -> Result<Option<Pick>, Vec<FieldError>> {
    if form.picker.is_none() {
        return Ok(None);
    }
    let add = if form.new_text.trim().is_empty() {
        None
    } else {
        let q = model::check_question("scale7", &form.new_text, "", false).map_err(|es| {
            es.into_iter()
                .map(|e| FieldError::new("new_text", e.message))
                .collect::<Vec<_>>()
        })?;
        Some(q)
    };
    Ok(Some(Pick {
        keep: form.keep.clone(),
        add,
    }))
}

pub async fn round_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<RoundId>,
) -> PageResult<maud::Markup> {
    let round_id = id.into_inner();
    let o = actions::round_overview(&state, &staff.user, round_id.clone()).await?;
    // The leader's actions after this round ("you said, we did") are `followthrough`'s.
    let acts = crate::followthrough::actions::round_actions(&state, &staff.user, round_id).await?;
    let viewer = staff.viewer();
    let acts = crate::followthrough::pages::round_section(&viewer, &acts, &[], &[]);
    Ok(pages::round_page(
        &staff.viewer(),
        &o.team,
        &o.round,
        &o.results,
        o.fingerprint.as_deref(),
        state.settings.mail.is_some(),
        acts,
    ))
}

#[derive(Deserialize)]
pub struct CloseForm {}

pub async fn close_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<RoundId>,
    _: Csrf<web::Form<CloseForm>>,
) -> PageResult<HttpResponse> {
    let round = actions::finish_round(&state, Some(&staff.user), id.into_inner()).await?;
    Ok(see_other(&format!("/rounds/{}", round.id)))
}

fn questions_response(
    staff: &Staff,
    q: &actions::Questionnaire,
    ok: StatusCode,
    draft: &pages::QuestionDraft,
) -> HttpResponse {
    let status = if q.errors.is_empty() {
        ok
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_response(
        status,
        pages::questions_page(&staff.viewer(), &q.team, &q.questions, &q.errors, draft),
    )
}

pub async fn questions_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
) -> PageResult<maud::Markup> {
    staff.require_leader()?;
    let q = actions::questionnaire(&state, &staff.user, id.into_inner()).await?;
    Ok(pages::questions_page(
        &staff.viewer(),
        &q.team,
        &q.questions,
        &[],
        &pages::QuestionDraft::default(),
    ))
}

#[derive(Deserialize)]
pub struct NewQuestionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    required: Option<String>,
}

pub async fn add_question(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<NewQuestionForm>>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    let checked = model::check_question(
        &form.kind,
        &form.text,
        &form.options,
        form.required.is_some(),
    );
    let q = actions::add_question(&state, &staff.user, id.into_inner(), checked).await?;
    // A refused question comes back as typed (issue 15: the kind and text were lost).
    let draft = if q.errors.is_empty() {
        pages::QuestionDraft::default()
    } else {
        pages::QuestionDraft {
            kind: form.kind.clone(),
            text: form.text.clone(),
            options: form.options.clone(),
            required: form.required.is_some(),
        }
    };
    Ok(questions_response(&staff, &q, StatusCode::CREATED, &draft))
}

#[derive(Deserialize)]
pub struct EditQuestionForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    action: String,
    /// Ticked to confirm rewording one of the validated scale items.
    #[serde(default)]
    confirm_validated: Option<String>,
}

pub async fn edit_question(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(TeamId, QuestionId)>,
    Csrf(form): Csrf<web::Form<EditQuestionForm>>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    let (team_id, qid) = path.into_inner();
    let edit = if form.action == "remove" {
        QuestionEdit::Remove
    } else {
        QuestionEdit::Reword(
            model::check_question_text(&form.text),
            form.confirm_validated.is_some(),
        )
    };
    let q = actions::edit_question(&state, &staff.user, team_id, qid, edit).await?;
    let status = if q.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(questions_response(
        &staff,
        &q,
        status,
        &pages::QuestionDraft::default(),
    ))
}

/// The trend's aggregates as CSV: exactly the figures the page shows, never raw answers.
pub async fn trend_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
) -> PageResult<HttpResponse> {
    let points = actions::team_trend(&state, &staff.user, id.into_inner()).await?;
    let body = pages::trend_csv(&points).map_err(|e| AppError::caused("writing CSV", e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"trend.csv\""))
        .body(body))
}

pub async fn about_score() -> maud::Markup {
    pages::about_score(None)
}
