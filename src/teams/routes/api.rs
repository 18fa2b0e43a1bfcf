//! The teams JSON API: teams, rosters and invite links. Each handler's `#[utoipa::path]` is
//! its entry in the OpenAPI document (src/openapi.rs); the DTOs derive their schemas.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiResult, AppError, Problem};
use crate::state::AppState;
use crate::teams::actions;
use crate::teams::model::{
    parse_roster_list, parse_team_name, InviteLink, MemberId, NewTeam, TeamChanges, TeamId,
    TeamWithRoster, Threshold,
};
use crate::web::session::ApiStaff;

/// Someone on a roster: an id and the label staff gave them (a name or an email).
#[derive(Serialize, ToSchema)]
#[schema(as = Member)]
pub struct MemberJson {
    #[schema(value_type = String)]
    id: MemberId,
    label: String,
}

/// A team and its roster (API.md `Team`).
#[derive(Serialize, ToSchema)]
#[schema(as = Team)]
pub struct TeamJson {
    #[schema(value_type = String)]
    id: TeamId,
    name: String,
    /// Fewest answers before any figure of a future round is shown.
    threshold: i32,
    /// Whether facilitators may invite this team to reviews (G12).
    reviews_allowed: bool,
    members: Vec<MemberJson>,
}

impl From<TeamWithRoster> for TeamJson {
    fn from(t: TeamWithRoster) -> Self {
        TeamJson {
            id: t.team.id,
            name: t.team.name,
            threshold: t.team.threshold.column(),
            reviews_allowed: t.team.reviews_allowed,
            members: t
                .members
                .into_iter()
                .map(|(id, label)| MemberJson { id, label })
                .collect(),
        }
    }
}

/// A member's personal invite link.
#[derive(Serialize, ToSchema)]
#[schema(as = TeamInvite)]
pub struct InviteJson {
    #[schema(value_type = String)]
    member_id: MemberId,
    label: String,
    /// Only for a link in staff custody: a link Candor mailed to its member is never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// Who has the link (API.md): `"staff"` once listed here or shown, `"member"` when only
    /// the member has it (mailed by Candor).
    #[schema(value_type = String, example = "staff")]
    custody: &'static str,
}

impl From<InviteLink> for InviteJson {
    fn from(l: InviteLink) -> Self {
        InviteJson {
            member_id: l.member_id,
            label: l.label,
            url: l.url,
            custody: l.custody,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TeamCreate {
    name: String,
    /// At least the instance's floor; absent: the floor.
    threshold: Option<i64>,
    /// One label (a name or an email) per person.
    #[serde(default)]
    roster: Vec<String>,
}

/// Creates a team with a roster.
#[utoipa::path(post, path = "/teams", tag = "teams", request_body = TeamCreate,
    responses((status = 201, description = "The new team", body = TeamJson),
        (status = 403, description = "Not a leader or admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A team with this name exists", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<TeamCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_leader()?;
    let mut errors = Vec::new();
    let name = parse_team_name(&body.name).map_err(|e| errors.push(e)).ok();
    let threshold = Threshold::parse(body.threshold, state.settings.threshold_floor)
        .map_err(|e| errors.push(e))
        .ok();
    let roster = if body.roster.is_empty() {
        Ok(vec![])
    } else {
        parse_roster_list(&body.roster)
    };
    let roster = roster.map_err(|e| errors.push(e)).ok();
    let (Some((name, key)), Some(threshold), Some(roster)) = (name, threshold, roster) else {
        return Err(AppError::Invalid(errors).into());
    };
    let t = NewTeam {
        name,
        key,
        threshold,
        roster,
    };
    let made = actions::create(&state, &staff.user, t).await?;
    Ok(HttpResponse::Created().json(TeamJson::from(made)))
}

/// Teams you lead (all of them, for admins).
#[utoipa::path(get, path = "/teams", tag = "teams",
    responses((status = 200, description = "The teams", body = Vec<TeamJson>)))]
pub(super) async fn api_list(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    let teams = actions::list_with_rosters(&state, &staff.user).await?;
    let out: Vec<TeamJson> = teams.into_iter().map(TeamJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// A team and its roster.
#[utoipa::path(get, path = "/teams/{team_id}", tag = "teams", params(("team_id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = TeamJson),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_get(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
) -> ApiResult<HttpResponse> {
    let team = actions::get_with_roster(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(TeamJson::from(team)))
}

#[derive(Deserialize, ToSchema)]
pub struct TeamPatch {
    name: Option<String>,
    threshold: Option<i64>,
    /// Whether facilitators may invite this team to reviews (G12).
    reviews_allowed: Option<bool>,
    /// A Slack-compatible incoming webhook for announcements (counts only); "" clears it.
    webhook_url: Option<String>,
}

/// Renames a team, changes its threshold for future rounds, or lets facilitators invite it
/// to reviews.
#[utoipa::path(patch, path = "/teams/{team_id}", tag = "teams", params(("team_id" = String, Path, description = "The team's id")), request_body = TeamPatch,
    responses((status = 200, description = "The changed team", body = TeamJson),
        (status = 403, description = "Not a leader of this team (admins only for `reviews_allowed`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another team has this name", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_update(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
    body: web::Json<TeamPatch>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let changes = TeamChanges {
        name: body.name,
        threshold: body.threshold,
        reviews_allowed: body.reviews_allowed,
        webhook_url: body.webhook_url,
    };
    let team = actions::change(&state, &staff.user, id.into_inner(), changes).await?;
    Ok(HttpResponse::Ok().json(TeamJson::from(team)))
}

#[derive(Deserialize, ToSchema)]
pub struct RosterAdd {
    roster: Vec<String>,
}

/// Adds people to a roster.
#[utoipa::path(post, path = "/teams/{team_id}/members", tag = "teams", params(("team_id" = String, Path, description = "The team's id")), request_body = RosterAdd,
    responses((status = 201, description = "The team with its new roster", body = TeamJson),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_add_members(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
    body: web::Json<RosterAdd>,
) -> ApiResult<HttpResponse> {
    let labels = parse_roster_list(&body.roster).map_err(|e| AppError::Invalid(vec![e]))?;
    if labels.is_empty() {
        return Err(AppError::invalid("roster", "List at least one person.").into());
    }
    let (_, team) = actions::add_members(&state, &staff.user, id.into_inner(), labels).await?;
    Ok(HttpResponse::Created().json(TeamJson::from(team)))
}

/// Removes someone from the roster.
#[utoipa::path(delete, path = "/teams/{team_id}/members/{member_id}", tag = "teams", params(("team_id" = String, Path, description = "The team's id"), ("member_id" = String, Path, description = "The member's id on the roster")),
    responses((status = 204, description = "Removed"),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_remove_member(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(TeamId, MemberId)>,
) -> ApiResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    actions::remove_member(&state, &staff.user, team_id, member_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives a member a new invite link; the old one stops working. The new link is shown, so
/// its custody is `staff` (G13).
#[utoipa::path(post, path = "/teams/{team_id}/members/{member_id}/invite", tag = "teams", params(("team_id" = String, Path, description = "The team's id"), ("member_id" = String, Path, description = "The member's id on the roster")),
    responses((status = 200, description = "The new link", body = InviteJson),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_regenerate(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(TeamId, MemberId)>,
) -> ApiResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    let one = actions::regenerate_shown(&state, &staff.user, team_id, member_id).await?;
    Ok(HttpResponse::Ok().json(InviteJson::from(one)))
}

/// Each member's personal invite link. Listing them shows them to staff, so they are marked
/// seen (G13) and the listing is audited.
#[utoipa::path(get, path = "/teams/{team_id}/invites", tag = "teams", params(("team_id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "One link per member", body = Vec<InviteJson>),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
) -> ApiResult<HttpResponse> {
    let rows = actions::show_all_links(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<InviteJson> = rows.into_iter().map(InviteJson::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(out))
}

/// The teams operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(
    api_create,
    api_list,
    api_get,
    api_update,
    api_add_members,
    api_remove_member,
    api_regenerate,
    api_invites
))]
pub struct TeamsApi;
