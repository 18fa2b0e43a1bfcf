//! Delivery's staff pages: the buttons on a team's, a round's and a review's page, the chat
//! webhook forms (a team's and the instance default), and `/admin/delivery`.

use actix_web::http::StatusCode;
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
use crate::web::{html_response, see_other};

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
    let back = format!("/rounds/{round_id}");
    Ok(reminded(&staff, n, "everyone on the roster", &back))
}

pub(super) async fn remind_review(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<ReviewId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let review_id = id.into_inner();
    let n = reviews::remind_review(&state, &staff.user, review_id.clone()).await?;
    let back = format!("/reviews/{review_id}");
    Ok(reminded(
        &staff,
        n,
        "everyone invited, whether or not they wrote",
        &back,
    ))
}

/// After a reminder: how many were queued and that everyone got the same one, so the page
/// itself says nobody was singled out.
fn reminded(staff: &Staff, n: usize, everyone: &str, back: &str) -> Markup {
    let message = format!("{n} reminder(s) queued, the same to {everyone}.");
    pages::queued(&staff.viewer(), "Reminder sent", &message, back)
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
    let target = WebhookTarget {
        action: &action,
        back: &back,
        whose: "this team",
    };
    let saved = webhooks::set_team_webhook(&state, &staff.user, team_id.clone(), raw.clone()).await;
    after_save(&state, &staff, saved, Scope::Team(team_id), &target, &raw).await
}

/// After saving a webhook (a team's or the default): back to its page, or, for a refused
/// URL, the form again (422) with what was typed and what is set now.
async fn after_save(
    state: &AppState,
    staff: &Staff,
    saved: Result<(), AppError>,
    scope: Scope,
    target: &WebhookTarget<'_>,
    raw: &str,
) -> PageResult<HttpResponse> {
    match saved {
        Ok(()) => Ok(see_other(target.back)),
        Err(AppError::Invalid(errors)) => {
            let shown = webhooks::shown(state, &staff.user, scope).await?;
            let page = pages::webhook_page(&staff.viewer(), target, shown.as_deref(), &errors, raw);
            Ok(html_response(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Err(e) => Err(e),
    }
}

/// Queues a test post to a webhook and says where it goes (its host only).
async fn test_posted(
    state: &AppState,
    staff: &Staff,
    scope: Scope,
    back: &str,
) -> PageResult<Markup> {
    let to = webhooks::test_post(state, &staff.user, scope).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Test post queued",
        &format!("A test post (no counts, no names) goes to {to} within seconds."),
        back,
    ))
}

pub(super) async fn team_webhook_test(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    let team_id = id.into_inner();
    let back = format!("/teams/{team_id}");
    test_posted(&state, &staff, Scope::Team(team_id), &back).await
}

/// Saves or removes the instance default (admins); a refused URL shows the form again.
pub(super) async fn default_webhook(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<WebhookForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let raw = form.into_inner().webhook_url;
    let saved = actions::set_default_webhook(&state, &staff.user, raw.clone()).await;
    let target = pages::default_webhook_target();
    after_save(&state, &staff, saved, Scope::Default, &target, &raw).await
}

pub(super) async fn default_webhook_test(
    state: web::Data<AppState>,
    staff: Staff,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<Markup> {
    staff.require_admin()?;
    test_posted(&state, &staff, Scope::Default, "/admin/instance").await
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
