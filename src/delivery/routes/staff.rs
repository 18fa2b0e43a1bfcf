//! Delivery's staff pages: the buttons on a team's and a round's page, and `/admin/delivery`.

use actix_web::web;
use maud::Markup;

use crate::auth::routes::{CsrfForm, Staff};
use crate::delivery::{actions, pages};
use crate::error::PageResult;
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::model::TeamId;

pub(super) async fn send_invites(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    form: web::Form<CsrfForm>,
) -> PageResult<Markup> {
    staff.check_csrf(&form.csrf)?;
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
    form: web::Form<CsrfForm>,
) -> PageResult<Markup> {
    staff.check_csrf(&form.csrf)?;
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
    form: web::Form<CsrfForm>,
) -> PageResult<Markup> {
    staff.check_csrf(&form.csrf)?;
    let round_id = id.into_inner();
    let n = actions::remind_round(&state, &staff.user, round_id.clone()).await?;
    Ok(pages::queued(
        &staff.viewer(),
        "Reminder sent",
        &format!("{n} reminder(s) queued, the same to everyone on the roster."),
        &format!("/rounds/{round_id}"),
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
    form: web::Form<CsrfForm>,
) -> PageResult<Markup> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    actions::dismiss(&state, &staff.user, id.into_inner()).await?;
    let s = actions::status(&state, &staff.user).await?;
    Ok(pages::status(
        &staff.viewer(),
        &s,
        Some("Failure dismissed."),
    ))
}
