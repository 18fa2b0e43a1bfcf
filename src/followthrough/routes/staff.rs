//! Staff pages: a round's actions (also shown on its results page) and a review's action
//! items with their exports. Each extracts, calls one action, and renders or redirects.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::{AppError, FieldError, PageResult};
use crate::followthrough::model::{self, ActionId, ActionRequest, ChangeRequest, ItemId, Link};
use crate::followthrough::{actions, pages};
use crate::pulse::model::{QuestionId, RoundId};
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::web::form::Csrf;
use crate::web::session::Staff;
use crate::web::{html_response, see_other};

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    text: String,
    /// Blank when the action answers no one question (the model reads blank as none).
    #[serde(default)]
    question_id: Option<QuestionId>,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
    /// Ticked accounts and timeline entries (`2` or `2.3`), action items only.
    #[serde(default)]
    links: Vec<String>,
}

impl ActionForm {
    fn request(&self) -> ActionRequest {
        ActionRequest {
            text: self.text.clone(),
            question_id: self.question_id.clone(),
            theme: self.theme.clone(),
            owner: self.owner.clone(),
            due_on: self.due_on.clone(),
        }
    }

    fn echo(&self) -> Vec<(String, String)> {
        let question = self.question_id.as_ref().map(QuestionId::as_str);
        let mut e: Vec<(String, String)> = [
            ("text", self.text.as_str()),
            ("question_id", question.unwrap_or_default()),
            ("theme", self.theme.as_str()),
            ("owner", self.owner.as_str()),
            ("due_on", self.due_on.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        e.extend(self.links.iter().map(|l| ("links".to_owned(), l.clone())));
        e
    }
}

/// A page with a form: 200, or 422 when it shows what was refused.
fn form_status(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

async fn round_page(
    state: &AppState,
    staff: &Staff,
    round_id: RoundId,
    errors: Vec<FieldError>,
    echo: Vec<(String, String)>,
) -> PageResult<HttpResponse> {
    let r = actions::round_actions(state, &staff.user, round_id).await?;
    let page = pages::round_actions_page(&staff.viewer(), &r, &errors, &echo);
    Ok(html_response(form_status(&errors), page))
}

pub(super) async fn round_actions(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<RoundId>,
) -> PageResult<HttpResponse> {
    round_page(&state, &staff, id.into_inner(), vec![], vec![]).await
}

pub(super) async fn record_action(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<RoundId>,
    Csrf(form): Csrf<web::Form<ActionForm>>,
) -> PageResult<HttpResponse> {
    let round_id = id.into_inner();
    let checked = model::check_action(&form.request());
    match actions::record_action(&state, &staff.user, round_id.clone(), checked).await {
        Ok(_) => Ok(see_other(&format!("/rounds/{round_id}#actions"))),
        Err(AppError::Invalid(errors)) => {
            round_page(&state, &staff, round_id, errors, form.echo()).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub(super) async fn change_action(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ActionId>,
    Csrf(form): Csrf<web::Form<StatusForm>>,
) -> PageResult<HttpResponse> {
    let change = model::check_change(&ChangeRequest {
        status: Some(form.status.clone()),
        ..Default::default()
    });
    let a = actions::change_action(&state, &staff.user, id.into_inner(), change).await?;
    Ok(see_other(&format!("/rounds/{}#actions", a.round_id)))
}

async fn items_page(
    state: &AppState,
    staff: &Staff,
    review_id: ReviewId,
    errors: Vec<FieldError>,
    echo: Vec<(String, String)>,
) -> PageResult<HttpResponse> {
    let r = actions::review_items(state, &staff.user, review_id).await?;
    let page = pages::review_items_page(&staff.viewer(), &r, &errors, &echo);
    Ok(html_response(form_status(&errors), page))
}

pub(super) async fn review_items(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
) -> PageResult<HttpResponse> {
    items_page(&state, &staff, id.into_inner(), vec![], vec![]).await
}

pub(super) async fn record_item(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    Csrf(form): Csrf<web::Form<ActionForm>>,
) -> PageResult<HttpResponse> {
    let review_id = id.into_inner();
    let links: Result<Vec<Link>, FieldError> =
        form.links.iter().map(|l| Link::parse_key(l)).collect();
    let checked = model::check_item(&form.request(), links);
    match actions::record_item(&state, &staff.user, review_id.clone(), checked).await {
        Ok(_) => Ok(see_other(&format!("/reviews/{}/items", review_id.as_str()))),
        Err(AppError::Invalid(errors)) => {
            items_page(&state, &staff, review_id, errors, form.echo()).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn change_item(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ItemId>,
    Csrf(form): Csrf<web::Form<StatusForm>>,
) -> PageResult<HttpResponse> {
    let change = model::check_change(&ChangeRequest {
        status: Some(form.status.clone()),
        ..Default::default()
    });
    let i = actions::change_item(&state, &staff.user, id.into_inner(), change).await?;
    Ok(see_other(&format!("/reviews/{}/items", i.review_id)))
}

pub(super) async fn items_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
) -> PageResult<HttpResponse> {
    let (_, items) = actions::export_items(&state, &staff.user, id.into_inner(), "CSV").await?;
    let body = pages::items_csv(&items).map_err(|e| AppError::caused("writing CSV", e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"action-items.csv\"",
        ))
        .body(body))
}

pub(super) async fn items_md(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
) -> PageResult<HttpResponse> {
    let (review, items) =
        actions::export_items(&state, &staff.user, id.into_inner(), "Markdown").await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"action-items.md\"",
        ))
        .body(pages::items_markdown(&review.title, &items)))
}
