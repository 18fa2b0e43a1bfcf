//! Delivery's staff pages: the buttons on a team's, a round's and a review's page, the chat
//! webhook forms (a team's and the instance default), and `/admin/delivery`.

use actix_web::{web, HttpResponse};
use maud::Markup;
use serde::Deserialize;

use crate::auth::routes::{CsrfForm, Staff};
use crate::delivery::pages::{self, WebhookTarget};
use crate::delivery::webhooks::{self, Scope};
use crate::delivery::{actions, reviews};
use crate::error::{AppError, PageResult};
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::web::form::Csrf;
use crate::web::see_other;

pub(super) async fn send_invites(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let team_id = id.into_inner();
    let (queued, skipped) =
        actions::send_invites(&state, &staff.user, team_id.clone(), None).await?;
    let message = if skipped == 0 {
        format!("{queued} invite(s) queued: each person gets their own link by email.")
    } else {
        format!("{queued} invite(s) queued. {skipped} person(s) have no email address on the roster and got nothing: give them their link yourself, or add their address.")
    };
    Ok(pages::queued(
        &staff.viewer(),
        "Invites sent",
        &message,
        &format!("/teams/{team_id}"),
    ))
}

pub(super) async fn send_review_invites(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let review_id = id.into_inner();
    let (queued, skipped) =
        actions::send_review_invites(&state, &staff.user, review_id.clone()).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Invites sent",
        &format!(
            "{queued} invite(s) queued; {skipped} person(s) have no email address and got nothing."
        ),
        &format!("/reviews/{review_id}"),
    ))
}

pub(super) async fn remind(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<RoundId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let round_id = id.into_inner();
    let n = actions::remind_round(&state, &staff.user, round_id.clone()).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Reminder sent",
        &format!("{n} reminder(s) queued, the same to everyone on the roster."),
        &format!("/rounds/{round_id}"),
    ))
}

pub(super) async fn remind_review(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let review_id = id.into_inner();
    let n = reviews::remind_review(&state, &staff.user, review_id.clone()).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Reminder sent",
        &format!(
            "{n} reminder(s) queued, the same to everyone invited, whether or not they wrote."
        ),
        &format!("/reviews/{review_id}"),
    ))
}

/// A webhook form: the URL, or empty to remove it.
#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    webhook_url: String,
}

fn team_target(team_id: &TeamId) -> (String, String) {
    (
        format!("/teams/{team_id}/webhook"),
        format!("/teams/{team_id}"),
    )
}

/// Saves or removes a team's webhook; a refused URL shows the form again with what was typed.
pub(super) async fn team_webhook(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<WebhookForm>>,
) -> PageResult<HttpResponse> {
    let team_id = id.into_inner();
    let raw = form.into_inner().webhook_url;
    let (action, back) = team_target(&team_id);
    match webhooks::set_team_webhook(&state, &staff.user, team_id.clone(), raw.clone()).await {
        Ok(()) => Ok(see_other(&back)),
        Err(AppError::Invalid(errors)) => {
            let shown = webhooks::shown(&state, &staff.user, Scope::Team(team_id)).await?;
            let target = WebhookTarget {
                action: &action,
                back: &back,
                whose: "this team",
            };
            let page =
                pages::webhook_page(&staff.viewer(), &target, shown.as_deref(), &errors, &raw);
            Ok(crate::web::html_response(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                page,
            ))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn team_webhook_test(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let team_id = id.into_inner();
    let to = webhooks::test_post(&state, &staff.user, Scope::Team(team_id.clone())).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Test post queued",
        &format!("A test post (no counts, no names) goes to {to} within seconds."),
        &format!("/teams/{team_id}"),
    ))
}

/// Saves or removes the instance default (admins); a refused URL shows the form again.
pub(super) async fn default_webhook(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<WebhookForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let raw = form.into_inner().webhook_url;
    match actions::set_default_webhook(&state, &staff.user, raw.clone()).await {
        Ok(()) => Ok(see_other("/admin/instance")),
        Err(AppError::Invalid(errors)) => {
            let shown = webhooks::shown(&state, &staff.user, Scope::Default).await?;
            let target = pages::default_webhook_target();
            let page =
                pages::webhook_page(&staff.viewer(), &target, shown.as_deref(), &errors, &raw);
            Ok(crate::web::html_response(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                page,
            ))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn default_webhook_test(
    state: web::Data<AppState>,
    staff: Staff,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    staff.require_admin()?;
    let to = webhooks::test_post(&state, &staff.user, Scope::Default).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Test post queued",
        &format!("A test post (no counts, no names) goes to {to} within seconds."),
        "/admin/instance",
    ))
}

pub(super) async fn status(state: web::Data<AppState>, staff: Staff) -> PageResult<Markup> {
    staff.require_admin()?;
    let s = actions::status(&state, &staff.user).await?;
    Ok(pages::status(&staff.viewer(), &s, None))
}

pub(super) async fn dismiss(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    staff.require_admin()?;
    actions::dismiss(&state, &staff.user, id.into_inner()).await?;
    let s = actions::status(&state, &staff.user).await?;
    Ok(pages::status(
        &staff.viewer(),
        &s,
        Some("Failure dismissed."),
    ))
}
