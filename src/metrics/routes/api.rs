//! The culture-metrics API: heat map, export, trends and groups of teams. Each handler's
//! `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi.rs).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::export::{csv_response, follow_csv, follow_csv_response, rows_csv, rows_json, Heatmap};
use super::{parse_view, PeriodQuery};
use crate::error::{ApiResult, AppError, Problem};
use crate::metrics::actions;
use crate::metrics::model::{Change, GroupId, View};
use crate::pulse::model::RoundId;
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::web::session::ApiStaff;

/// The heat map over the latest closed round of each team the caller may see, or over one
/// quarter.
#[utoipa::path(get, path = "/metrics/heatmap", tag = "metrics", params(PeriodQuery),
    responses((status = 200, description = "The heat map", body = Heatmap)))]
pub(super) async fn api_heatmap(
    state: web::Data<AppState>,
    staff: ApiStaff,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let r = actions::figures(&state, &staff.user, parse_view(&q)?).await?;
    Ok(HttpResponse::Ok().json(rows_json(&r)))
}

/// Exactly the heat map's aggregates as CSV, never raw answers.
#[utoipa::path(get, path = "/metrics/export.csv", tag = "metrics", params(PeriodQuery),
    responses((status = 200, description = "One row per team and group", body = String, content_type = "text/csv")))]
pub(super) async fn api_export(
    state: web::Data<AppState>,
    staff: ApiStaff,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let r = actions::figures(&state, &staff.user, parse_view(&q)?).await?;
    Ok(csv_response(rows_csv(&r)?))
}

/// Trend lines per team and group over the last quarters, and the bad-news counts.
#[derive(Serialize, ToSchema)]
pub struct Trends {
    trends: Vec<TrendLineJson>,
    bad_news: BadNewsJson,
    /// Actions recorded after each closed round of the caller's teams ("you said, we did").
    follow_through: Vec<FollowThroughJson>,
}

/// One closed round's actions and how many were done by the team's next round's close.
#[derive(Serialize, ToSchema)]
pub struct FollowThroughJson {
    #[schema(value_type = String)]
    team_id: TeamId,
    team: String,
    #[schema(value_type = String)]
    round_id: RoundId,
    round_title: String,
    /// `YYYY-MM-DD`.
    closed_on: Option<String>,
    actions: i64,
    /// `null` until the team's next round has closed.
    done_by_next_close: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TrendLineJson {
    name: String,
    /// `team` or `group`.
    #[schema(value_type = String)]
    kind: &'static str,
    points: Vec<QuarterPoint>,
    /// Between the last two shown quarters, with whether it is within noise.
    change: Option<Change>,
}

#[derive(Serialize, ToSchema)]
pub struct QuarterPoint {
    /// A quarter like `2026-Q3`.
    period: String,
    /// `shown`, `suppressed` or `none`.
    #[schema(value_type = String)]
    status: &'static str,
    score: Option<f64>,
    answered: Option<i64>,
}

/// How often bad news reaches staff: reviews held, accounts written, follow-ups.
#[derive(Serialize, ToSchema)]
pub struct BadNewsJson {
    reviews_held: i64,
    accounts: i64,
    followups_asked: i64,
    followups_answered: i64,
}

/// Trend lines per team and group over the last quarters, with whether each change is within
/// noise, and how often bad news reaches staff.
#[utoipa::path(get, path = "/metrics/trends", tag = "metrics",
    responses((status = 200, description = "The trends", body = Trends)))]
pub(super) async fn api_trends(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    let r = actions::report(&state, &staff.user, View::Latest).await?;
    let trends = r
        .trends
        .iter()
        .map(|t| TrendLineJson {
            name: t.name.clone(),
            kind: t.kind,
            points: r
                .quarters
                .iter()
                .zip(&t.points)
                .map(|(q, f)| QuarterPoint {
                    period: q.label(),
                    status: f.as_ref().map(|f| f.status).unwrap_or("none"),
                    score: f.as_ref().and_then(|f| f.score),
                    answered: f.as_ref().map(|f| f.answered),
                })
                .collect(),
            change: t.change.clone(),
        })
        .collect();
    let b = &r.bad_news;
    let follow_through = r
        .follow_through
        .iter()
        .map(|(team, f)| FollowThroughJson {
            team_id: f.team_id.clone(),
            team: team.clone(),
            round_id: f.round_id.clone(),
            round_title: f.round_title.clone(),
            closed_on: f.closed_on.map(|d| d.to_string()),
            actions: f.actions,
            done_by_next_close: f.done_by_next,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Trends {
        follow_through,
        trends,
        bad_news: BadNewsJson {
            reviews_held: b.reviews_held,
            accounts: b.accounts,
            followups_asked: b.followups_asked,
            followups_answered: b.followups_answered,
        },
    }))
}

/// Actions per closed round of the caller's teams and how many were done by the next
/// round's close, as CSV (the same counts as `follow_through` in the trends).
#[utoipa::path(get, path = "/metrics/follow-through.csv", tag = "metrics",
    responses((status = 200, description = "One row per closed round", body = String, content_type = "text/csv")))]
pub(super) async fn api_follow_through_csv(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    let r = actions::report(&state, &staff.user, View::Latest).await?;
    Ok(follow_csv_response(follow_csv(&r)?))
}

/// A group of teams with dated memberships.
#[derive(Serialize, ToSchema)]
pub struct GroupJson {
    #[schema(value_type = String)]
    id: GroupId,
    name: String,
    teams: Vec<GroupTeam>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupTeam {
    #[schema(value_type = String)]
    team_id: TeamId,
    name: String,
    /// `YYYY-MM-DD`.
    added_on: String,
    /// `YYYY-MM-DD`, once the team stopped counting for the group.
    removed_on: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct GroupCreate {
    name: String,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    team_ids: Vec<TeamId>,
}

/// The new group's id.
#[derive(Serialize, ToSchema)]
pub struct Created {
    #[schema(value_type = String)]
    id: GroupId,
}

/// Groups of teams (admins only).
#[utoipa::path(get, path = "/metrics/groups", tag = "metrics",
    responses((status = 200, description = "The groups", body = Vec<GroupJson>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_groups(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (groups, _) = actions::groups(&state).await?;
    let out: Vec<GroupJson> = groups
        .iter()
        .map(|g| GroupJson {
            id: g.id.clone(),
            name: g.name.clone(),
            teams: g
                .members
                .iter()
                .map(|(id, name, added, removed)| GroupTeam {
                    team_id: id.clone(),
                    name: name.clone(),
                    added_on: added.clone(),
                    removed_on: removed.clone(),
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Creates a group of teams (admins only).
#[utoipa::path(post, path = "/metrics/groups", tag = "metrics", request_body = GroupCreate,
    responses((status = 201, description = "Created", body = Created),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A group with this name exists", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_create_group(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<GroupCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let name =
        crate::teams::model::parse_team_name(&body.name).map_err(|e| AppError::Invalid(vec![e]))?;
    let id = actions::create_group(&state, &staff.user, name, body.team_ids.clone()).await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

#[derive(Deserialize, ToSchema)]
pub struct TeamRef {
    #[schema(value_type = String)]
    team_id: TeamId,
}

/// The team counts for the group from now on (admins only).
#[utoipa::path(post, path = "/metrics/groups/{group_id}/teams", tag = "metrics",
    params(("group_id" = String, Path, description = "The group's id")), request_body = TeamRef,
    responses((status = 201, description = "Added"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The team counts for the group already", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_add_team(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<GroupId>,
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

/// The team stops counting for the group from now on (admins only).
#[utoipa::path(delete, path = "/metrics/groups/{group_id}/teams/{team_id}", tag = "metrics",
    params(("group_id" = String, Path, description = "The group's id"),
        ("team_id" = String, Path, description = "The team's id")),
    responses((status = 204, description = "Removed"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_remove_team(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(GroupId, TeamId)>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (g, t) = path.into_inner();
    actions::change_membership(&state, &staff.user, g, t, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The metrics operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(
    api_heatmap,
    api_export,
    api_trends,
    api_follow_through_csv,
    api_groups,
    api_create_group,
    api_add_team,
    api_remove_team
))]
pub struct MetricsApi;
