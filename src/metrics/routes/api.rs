//! The culture-metrics API: heat map, export, trends and groups of teams.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::export::{csv_response, rows_csv, rows_json};
use super::{parse_view, PeriodQuery};
use crate::error::{ApiResult, AppError};
use crate::metrics::actions;
use crate::metrics::model::View;
use crate::state::AppState;
use crate::web::session::ApiStaff;

pub(super) async fn api_heatmap(
    state: web::Data<AppState>,
    staff: ApiStaff,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let r = actions::report(&state, &staff.user, parse_view(&q)?).await?;
    Ok(HttpResponse::Ok().json(rows_json(&r)))
}

pub(super) async fn api_export(
    state: web::Data<AppState>,
    staff: ApiStaff,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let r = actions::report(&state, &staff.user, parse_view(&q)?).await?;
    Ok(csv_response(rows_csv(&r)?))
}

pub(super) async fn api_trends(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    let r = actions::report(&state, &staff.user, View::Latest).await?;
    let lines: Vec<serde_json::Value> = r
        .trends
        .iter()
        .map(|t| {
            json!({
                "name": t.name, "kind": t.kind,
                "points": r.quarters.iter().zip(&t.points).map(|(q, f)| json!({
                    "period": q.label(),
                    "status": f.as_ref().map(|f| f.status).unwrap_or("none"),
                    "score": f.as_ref().and_then(|f| f.score),
                    "answered": f.as_ref().map(|f| f.answered),
                })).collect::<Vec<_>>(),
                "change": t.change,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "trends": lines, "bad_news": {
        "reviews_held": r.bad_news.reviews_held, "accounts": r.bad_news.accounts,
        "followups_asked": r.bad_news.followups_asked, "followups_answered": r.bad_news.followups_answered,
    } })))
}

#[derive(Deserialize)]
pub struct GroupCreate {
    name: String,
    #[serde(default)]
    team_ids: Vec<String>,
}

pub(super) async fn api_groups(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (groups, _) = actions::groups(&state).await?;
    let out: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            json!({ "id": g.id, "name": g.name, "teams": g.members.iter().map(|(id, name, added, removed)| json!({
                "team_id": id, "name": name, "added_on": added, "removed_on": removed,
            })).collect::<Vec<_>>() })
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

pub(super) async fn api_create_group(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<GroupCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let name =
        crate::teams::model::parse_team_name(&body.name).map_err(|e| AppError::Invalid(vec![e]))?;
    let id = actions::create_group(&state, &staff.user, name, body.team_ids.clone()).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[derive(Deserialize)]
pub struct TeamRef {
    team_id: String,
}

pub(super) async fn api_add_team(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<TeamRef>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    actions::change_membership(
        &state,
        &staff.user,
        id.into_inner(),
        body.team_id.clone(),
        true,
    )
    .await?;
    Ok(HttpResponse::Created().finish())
}

pub(super) async fn api_remove_team(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (g, t) = path.into_inner();
    actions::change_membership(&state, &staff.user, g, t, false).await?;
    Ok(HttpResponse::NoContent().finish())
}
