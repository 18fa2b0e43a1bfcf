//! Team pages for leaders: the list, a team's roster and settings, its invite links.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::routes::CsrfForm;
use crate::error::{AppError, FieldError, PageResult};
use crate::html::csv::Csv;
use crate::state::AppState;
use crate::teams::actions;
use crate::teams::model::{
    parse_roster_text, parse_team_name, MemberId, NewTeam, Reveal, TeamId, Threshold,
};
use crate::teams::pages::{self, NewTeamForm};
use crate::web::form::Csrf;
use crate::web::session::Staff;
use crate::web::{html_response, see_other};

pub(super) async fn list(state: web::Data<AppState>, staff: Staff) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    let teams = actions::list_with_counts(&state, &staff.user).await?;
    let form = NewTeamForm {
        threshold: "5".into(),
        ..Default::default()
    };
    let checklist = checklist(&state, &staff, &teams).await?;
    Ok(html_response(
        StatusCode::OK,
        pages::list(
            &staff.viewer(),
            &teams,
            &form,
            &[],
            state.settings.threshold_floor,
            checklist,
        ),
    ))
}

/// The getting-started card for the Teams page (empty once every step is done).
async fn checklist(
    state: &AppState,
    staff: &Staff,
    teams: &[(crate::teams::model::TeamSummary, i64)],
) -> Result<maud::Markup, AppError> {
    let ids = teams.iter().map(|(t, _)| t.id.clone()).collect();
    let progress = crate::guide::actions::progress(state, &staff.user, ids).await?;
    Ok(crate::guide::pages::checklist(&crate::guide::model::steps(
        &progress,
    )))
}

pub(super) async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<NewTeamForm>>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    let mut errors = Vec::new();
    let name = parse_team_name(&form.name).map_err(|e| errors.push(e)).ok();
    let threshold = Threshold::parse_text(&form.threshold, state.settings.threshold_floor)
        .map_err(|e| errors.push(e))
        .ok();
    let roster = parse_roster_text(&form.roster)
        .map_err(|e| errors.push(e))
        .ok();
    let outcome = match (name, threshold, roster) {
        (Some((name, key)), Some(threshold), Some(roster)) if errors.is_empty() => {
            let t = NewTeam {
                name,
                key,
                threshold,
                roster,
            };
            match actions::create(&state, &staff.user, t).await {
                Ok(made) => return Ok(see_other(&format!("/teams/{}", made.team.id))),
                Err(AppError::Invalid(e)) => e,
                Err(e) => return Err(e),
            }
        }
        _ => errors,
    };
    let teams = actions::list_with_counts(&state, &staff.user).await?;
    let checklist = checklist(&state, &staff, &teams).await?;
    let form = form.into_inner();
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::list(
            &staff.viewer(),
            &teams,
            &form,
            &outcome,
            state.settings.threshold_floor,
            checklist,
        ),
    ))
}

async fn render_detail(
    state: &AppState,
    staff: &Staff,
    team_id: TeamId,
    errors: Vec<FieldError>,
    message: Option<&str>,
) -> PageResult<HttpResponse> {
    render_detail_showing(state, staff, team_id, errors, message, Reveal::None).await
}

async fn render_detail_showing(
    state: &AppState,
    staff: &Staff,
    team_id: TeamId,
    errors: Vec<FieldError>,
    message: Option<&str>,
    reveal: Reveal,
) -> PageResult<HttpResponse> {
    let view = actions::view(state, &staff.user, team_id, reveal).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html_response(
        status,
        pages::detail(
            &staff.viewer(),
            &view,
            &errors,
            message,
            state.settings.threshold_floor,
        ),
    ))
}

/// Renders the team page after a change: a message on success, the errors next to their
/// fields when the change was refused.
async fn after(
    state: &AppState,
    staff: &Staff,
    team_id: TeamId,
    result: Result<String, AppError>,
) -> PageResult<HttpResponse> {
    match result {
        Ok(message) => render_detail(state, staff, team_id, vec![], Some(&message)).await,
        Err(AppError::Invalid(e)) => render_detail(state, staff, team_id, e, None).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct ShowForm {
    /// One member's link; absent for all of them.
    #[serde(default)]
    member_id: Option<MemberId>,
}

/// Shows invite links to staff on request (G13): the page says that doing so means the
/// members' pages will say staff have seen their link.
pub(super) async fn show_links(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<ShowForm>>,
) -> PageResult<HttpResponse> {
    let reveal = match form.member_id.as_ref().map(|m| m.as_str().trim()) {
        Some(m) if !m.is_empty() => Reveal::One(MemberId::from(m)),
        _ => Reveal::All,
    };
    render_detail_showing(&state, &staff, id.into_inner(), vec![], None, reveal).await
}

pub(super) async fn detail(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
) -> PageResult<HttpResponse> {
    render_detail(&state, &staff, id.into_inner(), vec![], None).await
}

#[derive(Deserialize)]
pub struct RosterForm {
    #[serde(default)]
    roster: String,
}

pub(super) async fn add_members(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<RosterForm>>,
) -> PageResult<HttpResponse> {
    let team_id = id.into_inner();
    let labels = match parse_roster_text(&form.roster) {
        Ok(l) => l,
        Err(e) => return render_detail(&state, &staff, team_id, vec![e], None).await,
    };
    let result = actions::add_members(&state, &staff.user, team_id.clone(), labels)
        .await
        .map(|(n, _)| format!("Added {n} people."));
    after(&state, &staff, team_id, result).await
}

pub(super) async fn regenerate(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(TeamId, MemberId)>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    let label = actions::regenerate(&state, &staff.user, team_id.clone(), member_id).await?;
    render_detail(
        &state,
        &staff,
        team_id,
        vec![],
        Some(&format!(
            "{label} has a new link; the old one no longer works."
        )),
    )
    .await
}

pub(super) async fn remove(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(TeamId, MemberId)>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    let label = actions::remove_member(&state, &staff.user, team_id.clone(), member_id).await?;
    render_detail(
        &state,
        &staff,
        team_id,
        vec![],
        Some(&format!("{label} was removed from the roster.")),
    )
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    threshold: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    reviews_allowed: Option<String>,
}

pub(super) async fn settings(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<SettingsForm>>,
) -> PageResult<HttpResponse> {
    let team_id = id.into_inner();
    let mut errors = Vec::new();
    let name = parse_team_name(&form.name).map_err(|e| errors.push(e)).ok();
    let threshold = Threshold::parse_text(&form.threshold, state.settings.threshold_floor)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(threshold)) = (name, threshold) else {
        return render_detail(&state, &staff, team_id, errors, None).await;
    };
    let reviews_allowed = form.reviews_allowed.is_some();
    let result = actions::save_settings(
        &state,
        &staff.user,
        team_id.clone(),
        name,
        threshold,
        reviews_allowed,
    )
    .await
    .map(|()| "Saved.".to_owned());
    after(&state, &staff, team_id, result).await
}

#[derive(Deserialize)]
pub struct LeaderForm {
    #[serde(default)]
    email: String,
}

pub(super) async fn add_leader(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
    Csrf(form): Csrf<web::Form<LeaderForm>>,
) -> PageResult<HttpResponse> {
    let team_id = id.into_inner();
    let email = match crate::auth::model::parse_email(&form.email) {
        Ok(e) => e,
        Err(e) => return render_detail(&state, &staff, team_id, vec![e], None).await,
    };
    let result = actions::add_leader(&state, &staff.user, team_id.clone(), email)
        .await
        .map(|()| "Leader added.".to_owned());
    after(&state, &staff, team_id, result).await
}

pub(super) async fn invites_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TeamId>,
) -> PageResult<HttpResponse> {
    let rows = actions::show_all_links(&state, &staff.user, id.into_inner()).await?;
    let mut csv = Csv::new(&["label", "url"]);
    for r in &rows {
        // A mailed link stays with its member (G13): its cell says so instead.
        csv.row([
            r.label.as_str(),
            r.url.as_deref().unwrap_or("(sent to the member by email)"),
        ]);
    }
    let csv = csv
        .finish()
        .map_err(|e| AppError::caused("writing CSV", e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"invites.csv\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(csv))
}
