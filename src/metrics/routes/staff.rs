//! Metric pages and exports for leaders, and the group editor for admins.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::export::{csv_response, follow_csv, follow_csv_response, rows_csv, rows_json};
use super::{parse_view, PeriodQuery};
use crate::auth::routes::CsrfForm;
use crate::error::{AppError, FieldError, PageResult};
use crate::metrics::actions;
use crate::metrics::model::GroupId;
use crate::metrics::pages::{self, MetricsPage};
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::web::form::Csrf;
use crate::web::session::Staff;
use crate::web::{html_response, see_other};

pub(super) async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> PageResult<maud::Markup> {
    let r = actions::report(&state, &staff.user, parse_view(&q)?).await?;
    let p = MetricsPage {
        view: r.view,
        views: &r.views,
        rows: &r.rows,
        quarters: &r.quarters,
        trends: &r.trends,
        bad_news: &r.bad_news,
        follow_through: &r.follow_through,
    };
    Ok(pages::metrics(&staff.viewer(), &p))
}

pub(super) async fn export_csv(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> PageResult<HttpResponse> {
    let r = actions::figures(&state, &staff.user, parse_view(&q)?).await?;
    Ok(csv_response(rows_csv(&r)?))
}

/// Actions per closed round and how many were done by the next round's close, as CSV.
pub(super) async fn follow_through_csv(
    state: web::Data<AppState>,
    staff: Staff,
) -> PageResult<HttpResponse> {
    let r = actions::report(&state, &staff.user, crate::metrics::model::View::Latest).await?;
    Ok(follow_csv_response(follow_csv(&r)?))
}

pub(super) async fn export_json(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> PageResult<HttpResponse> {
    let r = actions::figures(&state, &staff.user, parse_view(&q)?).await?;
    Ok(HttpResponse::Ok().json(rows_json(&r)))
}

// ---------------------------------------------------------------- groups (admin)

pub(super) async fn groups_page(
    state: web::Data<AppState>,
    staff: Staff,
) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    let (groups, teams) = actions::groups(&state).await?;
    Ok(pages::groups(&staff.viewer(), &groups, &teams, &[]))
}

/// The group editor again with what was refused, or back to it after a change.
async fn after_change(
    state: &AppState,
    staff: &Staff,
    result: Result<(), AppError>,
) -> PageResult<HttpResponse> {
    match result {
        Ok(()) => Ok(see_other("/metrics/groups")),
        Err(AppError::Invalid(errors)) => refused(state, staff, &errors).await,
        Err(e) => Err(e),
    }
}

async fn refused(
    state: &AppState,
    staff: &Staff,
    errors: &[FieldError],
) -> PageResult<HttpResponse> {
    let (groups, teams) = actions::groups(state).await?;
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::groups(&staff.viewer(), &groups, &teams, errors),
    ))
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    name: String,
}

pub(super) async fn create_group_page(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<GroupForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let result = match crate::teams::model::parse_team_name(&form.name) {
        Ok(name) => actions::create_group(&state, &staff.user, name, vec![])
            .await
            .map(|_| ()),
        Err(e) => Err(AppError::Invalid(vec![e])),
    };
    after_change(&state, &staff, result).await
}

#[derive(Deserialize)]
pub struct AddTeamForm {
    /// The team picked; a missing one is read as the empty id, which names no team ("No
    /// such team"), like an unknown one.
    #[serde(default)]
    team_id: Option<TeamId>,
}

pub(super) async fn add_team_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<GroupId>,
    Csrf(form): Csrf<web::Form<AddTeamForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let result = actions::change_membership(
        &state,
        &staff.user,
        id.into_inner(),
        form.team_id.clone().unwrap_or_else(|| TeamId::from("")),
        true,
    )
    .await;
    after_change(&state, &staff, result).await
}

pub(super) async fn remove_team_page(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(GroupId, TeamId)>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let (g, t) = path.into_inner();
    actions::change_membership(&state, &staff.user, g, t, false).await?;
    Ok(see_other("/metrics/groups"))
}
