//! The facilitators' pages: the list, opening a review, a review with its accounts, asking
//! follow-ups, adding facilitators, closing, and the pre-read and invite-link downloads.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::parse_number;
use crate::error::{AppError, FieldError, PageResult};
use crate::html::csv::Csv;
use crate::reviews::actions;
use crate::reviews::model::{
    check_review, AccountId, ReviewId, ReviewRequest, DEFAULT_RETENTION_DAYS,
    DEFAULT_REVIEW_THRESHOLD,
};
use crate::reviews::pages::{self, NewReviewForm};
use crate::state::AppState;
use crate::teams::model::parse_roster_text;
use crate::web::form::Csrf;
use crate::web::session::Staff;
use crate::web::{html_response, see_other};

pub(super) async fn list_page(
    state: web::Data<AppState>,
    staff: Staff,
) -> PageResult<HttpResponse> {
    staff.require_facilitator()?;
    let items = actions::list_reviews(&state, &staff.user).await?;
    Ok(html_response(
        StatusCode::OK,
        pages::list(&staff.viewer(), &items),
    ))
}

pub(super) async fn new_page(state: web::Data<AppState>, staff: Staff) -> PageResult<HttpResponse> {
    staff.require_facilitator()?;
    let teams = actions::team_choices(&state, &staff.user).await?;
    let form = NewReviewForm {
        threshold: DEFAULT_REVIEW_THRESHOLD
            .max(state.settings.threshold_floor)
            .to_string(),
        retention_days: DEFAULT_RETENTION_DAYS.to_string(),
        ..Default::default()
    };
    Ok(html_response(
        StatusCode::OK,
        pages::new_review(
            &staff.viewer(),
            &teams,
            &form,
            &[],
            state.settings.threshold_floor,
        ),
    ))
}

pub(super) async fn create_page(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<NewReviewForm>>,
) -> PageResult<HttpResponse> {
    staff.require_facilitator()?;
    let f = form.into_inner();
    let floor = state.settings.threshold_floor;
    let request = ReviewRequest {
        title: f.title.clone(),
        incident_date: f.incident_date.clone(),
        summary: f.summary.clone(),
        team_ids: f.team_ids.clone(),
        invitees: if f.invitees.trim().is_empty() {
            Ok(vec![])
        } else {
            parse_roster_text(&f.invitees)
        },
        deadline: f.deadline.clone(),
        threshold: parse_number("threshold", &f.threshold),
        retention_days: parse_number("retention_days", &f.retention_days),
    };
    let errors = match check_review(request, floor, state.clock.now()) {
        Ok(new) => match actions::open_review(&state, staff.user.clone(), new).await {
            Ok(opened) => return Ok(see_other(&format!("/reviews/{}", opened.review.id))),
            Err(AppError::Invalid(e)) => e,
            Err(e) => return Err(e),
        },
        Err(e) => e,
    };
    let teams = actions::team_choices(&state, &staff.user).await?;
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::new_review(&staff.viewer(), &teams, &f, &errors, floor),
    ))
}

async fn render_detail(
    state: &AppState,
    staff: &Staff,
    review_id: ReviewId,
    status: StatusCode,
    errors: Vec<FieldError>,
    message: Option<&str>,
) -> PageResult<HttpResponse> {
    let v = actions::load_view(state, &staff.user, review_id).await?;
    Ok(html_response(
        status,
        pages::detail(
            &staff.viewer(),
            &v,
            &errors,
            message,
            state.settings.mail.is_some(),
        ),
    ))
}

/// What a form did, said on the review page it redirects to. Only these fixed keys travel
/// in the address, never text someone typed.
const DONE_MESSAGES: &[(&str, &str)] = &[
    ("asked", "Question added. The writer sees it next time they come back with their receipt."),
    ("facilitator", "Facilitator added."),
    ("closed", "The review is closed: the key is destroyed and who took part is forgotten. Accounts fewer than the threshold stay held until the deadline the writers were shown."),
];

/// A form's outcome on the review page: on success a redirect (303) to the page with a
/// message, so reloading it never sends the form again (issue 15: a refresh asked the same
/// follow-up twice); on refused input the page again with the field errors and 422; any
/// other error is the error page.
async fn after_form(
    state: &AppState,
    staff: &Staff,
    review_id: ReviewId,
    outcome: Result<(), AppError>,
    done: &str,
) -> PageResult<HttpResponse> {
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "/reviews/{}?done={done}",
            review_id.as_str()
        ))),
        Err(AppError::Invalid(e)) => {
            render_detail(
                state,
                staff,
                review_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                e,
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn detail_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    query: web::Query<DoneQuery>,
) -> PageResult<HttpResponse> {
    let message = DONE_MESSAGES
        .iter()
        .find(|(k, _)| *k == query.done)
        .map(|(_, m)| *m);
    render_detail(
        &state,
        &staff,
        id.into_inner(),
        StatusCode::OK,
        vec![],
        message,
    )
    .await
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

pub(super) async fn ask_page(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(ReviewId, AccountId)>,
    Csrf(form): Csrf<web::Form<TextForm>>,
) -> PageResult<HttpResponse> {
    let (review_id, account_id) = path.into_inner();
    let outcome = actions::ask(
        &state,
        staff.user.clone(),
        review_id.clone(),
        account_id,
        &form.text,
    )
    .await
    .map(|_| ());
    after_form(&state, &staff, review_id, outcome, "asked").await
}

#[derive(Deserialize)]
pub struct CloseForm {
    /// The confirmation checkbox: closing cannot be undone.
    #[serde(default)]
    confirm: Option<String>,
}

pub(super) async fn close_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    Csrf(form): Csrf<web::Form<CloseForm>>,
) -> PageResult<HttpResponse> {
    let id = id.into_inner();
    if form.confirm.as_deref() != Some("yes") {
        return render_detail(
            &state,
            &staff,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![FieldError::new(
                "confirm",
                "Tick the box to confirm: closing cannot be undone.",
            )],
            None,
        )
        .await;
    }
    actions::close(&state, staff.user.clone(), id.clone()).await?;
    Ok(see_other(&format!("/reviews/{}?done=closed", id.as_str())))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

pub(super) async fn facilitator_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    Csrf(form): Csrf<web::Form<EmailForm>>,
) -> PageResult<HttpResponse> {
    let id = id.into_inner();
    let outcome =
        actions::add_facilitator(&state, staff.user.clone(), id.clone(), form.email.clone()).await;
    after_form(&state, &staff, id, outcome, "facilitator").await
}

pub(super) async fn preread_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
) -> PageResult<HttpResponse> {
    let v = actions::preread(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"pre-read.md\"",
        ))
        .body(preread_with_items(&v)))
}

pub(super) async fn invites_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
) -> PageResult<HttpResponse> {
    let rows = actions::invites_of(&state, staff.user.clone(), id.into_inner()).await?;
    let mut csv = Csv::new(&["label", "url"]);
    for (_, label, url) in &rows {
        csv.row([
            label.as_str(),
            url.as_deref().unwrap_or("(sent to them by email)"),
        ]);
    }
    let csv = csv
        .finish()
        .map_err(|e| AppError::caused("writing CSV", e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"review-invites.csv\"",
        ))
        .body(csv))
}

/// The pre-read, ending with the review's action items as a checklist (`followthrough`).
fn preread_with_items(v: &crate::reviews::model::ReviewView) -> String {
    let mut md = pages::preread_markdown(&v.review, &v.accounts, v.received);
    md.push_str(&crate::followthrough::pages::preread_section(&v.items));
    md
}
