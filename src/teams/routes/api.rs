//! The teams JSON API: teams, rosters and invite links.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::error::{ApiResult, AppError};
use crate::state::AppState;
use crate::teams::actions;
use crate::teams::model::{
    parse_roster_list, parse_team_name, InviteLink, NewTeam, TeamChanges, TeamWithRoster, Threshold,
};
use crate::web::session::ApiStaff;

#[derive(Serialize)]
pub struct MemberJson {
    id: String,
    label: String,
}

#[derive(Serialize)]
pub struct TeamJson {
    id: String,
    name: String,
    threshold: i32,
    reviews_allowed: bool,
    members: Vec<MemberJson>,
}

impl From<TeamWithRoster> for TeamJson {
    fn from(t: TeamWithRoster) -> Self {
        TeamJson {
            id: t.team.id,
            name: t.team.name,
            threshold: t.team.threshold,
            reviews_allowed: t.team.reviews_allowed,
            members: t
                .members
                .into_iter()
                .map(|(id, label)| MemberJson { id, label })
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub struct InviteJson {
    member_id: String,
    label: String,
    /// Only for a link in staff custody: a link Candor mailed to its member is never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// Who has the link (API.md): `"staff"` once listed here or shown, `"member"` when only
    /// the member has it (mailed by Candor).
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

#[derive(Deserialize)]
pub struct TeamCreate {
    name: String,
    threshold: Option<i64>,
    #[serde(default)]
    roster: Vec<String>,
}

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

pub(super) async fn api_list(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    let teams = actions::list_with_rosters(&state, &staff.user).await?;
    let out: Vec<TeamJson> = teams.into_iter().map(TeamJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

pub(super) async fn api_get(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let team = actions::get_with_roster(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(TeamJson::from(team)))
}

#[derive(Deserialize)]
pub struct TeamPatch {
    name: Option<String>,
    threshold: Option<i64>,
    /// Whether facilitators may invite this team to reviews (G12).
    reviews_allowed: Option<bool>,
    /// A Slack-compatible incoming webhook for announcements (counts only); "" clears it.
    webhook_url: Option<String>,
}

pub(super) async fn api_update(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
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

#[derive(Deserialize)]
pub struct RosterAdd {
    roster: Vec<String>,
}

pub(super) async fn api_add_members(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<RosterAdd>,
) -> ApiResult<HttpResponse> {
    let labels = parse_roster_list(&body.roster).map_err(|e| AppError::Invalid(vec![e]))?;
    if labels.is_empty() {
        return Err(AppError::invalid("roster", "List at least one person.").into());
    }
    let (_, team) = actions::add_members(&state, &staff.user, id.into_inner(), labels).await?;
    Ok(HttpResponse::Created().json(TeamJson::from(team)))
}

pub(super) async fn api_remove_member(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    actions::remove_member(&state, &staff.user, team_id, member_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(super) async fn api_regenerate(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    let one = actions::regenerate_shown(&state, &staff.user, team_id, member_id).await?;
    Ok(HttpResponse::Ok().json(InviteJson::from(one)))
}

pub(super) async fn api_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rows = actions::show_all_links(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<InviteJson> = rows.into_iter().map(InviteJson::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(out))
}
