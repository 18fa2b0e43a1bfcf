//! Team handlers for pages and the JSON API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{
    csv_cell, parse_roster_list, parse_roster_text, parse_team_name, parse_threshold,
};
use super::pages::{self, MemberView, NewTeamForm, TeamView};
use super::store::{self, invite_secret, invite_url};
use crate::auth::model::StaffUser;
use crate::auth::routes::{see_other, ApiStaff, CsrfForm, Staff};
use crate::auth::store::{audit, find_staff_by_email};
use crate::db::DbConnection;
use crate::error::{ApiResult, AppError, FieldError, PageResult};
use crate::secret::Keys;
use crate::state::AppState;

fn page(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

fn parse_number(raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| FieldError::new("threshold", "Enter a whole number."))
}

/// Which invite links a team page shows. None by default: opening a team's page must not put
/// every member's credential in front of staff (G13). Showing is an explicit, audited act
/// that marks the links as seen by staff, which each member's page then says.
#[derive(Clone, Debug)]
enum Reveal {
    None,
    All,
    One(String),
}

fn team_view(
    conn: &mut DbConnection,
    keys: &Keys,
    base: &str,
    team: store::TeamRow,
    reveal: &Reveal,
) -> Result<TeamView, AppError> {
    let members = store::list_members(conn, &team.id)?
        .into_iter()
        .map(|m| {
            let shown = match reveal {
                Reveal::None => false,
                Reveal::All => true,
                Reveal::One(id) => *id == m.id,
            };
            MemberView {
                url: shown.then(|| invite_url(base, &invite_secret(keys, &m.id, &m.invite_nonce))),
                staff_seen: m.staff_seen || shown,
                id: m.id,
                label: m.label,
            }
        })
        .collect();
    let leaders = store::list_leaders(conn, &team.id)?;
    Ok(TeamView {
        team,
        members,
        leaders,
    })
}

/// Marks the links a page or export is about to show as seen by staff, and audits it, in the
/// caller's transaction (G13).
fn record_shown(
    conn: &mut DbConnection,
    user: &StaffUser,
    team: &store::TeamRow,
    reveal: &Reveal,
) -> Result<(), AppError> {
    let ids: Vec<String> = match reveal {
        Reveal::None => return Ok(()),
        Reveal::All => store::list_members(conn, &team.id)?
            .into_iter()
            .map(|m| m.id)
            .collect(),
        Reveal::One(id) => vec![store::find_member(conn, &team.id, id)?.id],
    };
    store::mark_staff_seen(conn, &ids)?;
    audit(
        conn,
        Some(&user.email),
        "invite.shown",
        &format!("{} link(s) of {}", ids.len(), team.name),
    )?;
    Ok(())
}

fn teams_with_counts(
    conn: &mut DbConnection,
    user: &StaffUser,
) -> Result<Vec<(store::TeamRow, i64)>, AppError> {
    let teams = store::list_teams_for(conn, user)?;
    let mut out = Vec::with_capacity(teams.len());
    for t in teams {
        let n = store::count_members(conn, &t.id)?;
        out.push((t, n));
    }
    Ok(out)
}

async fn list(state: web::Data<AppState>, staff: Staff) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    let user = staff.user.clone();
    let teams = state.db.read(move |c| teams_with_counts(c, &user)).await?;
    let form = NewTeamForm {
        threshold: "5".into(),
        ..Default::default()
    };
    Ok(page(
        StatusCode::OK,
        pages::list(
            &staff.viewer(),
            &teams,
            &form,
            &[],
            state.settings.threshold_floor,
        ),
    ))
}

/// A team to create, checked; shared by the page and the API.
struct NewTeam {
    name: String,
    key: String,
    threshold: u16,
    roster: Vec<String>,
}

fn create_team(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &StaffUser,
    t: &NewTeam,
) -> Result<String, AppError> {
    let id = store::insert_team(conn, &t.name, &t.key, t.threshold, &user.id)?;
    store::add_members(conn, keys, &id, &t.roster)?;
    audit(
        conn,
        Some(&user.email),
        "team.created",
        &format!(
            "{} ({} people, threshold {})",
            t.name,
            t.roster.len(),
            t.threshold
        ),
    )?;
    Ok(id)
}

async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<NewTeamForm>,
) -> PageResult<HttpResponse> {
    staff.require_leader()?;
    staff.check_csrf(&form.csrf)?;
    let mut errors = Vec::new();
    let name = parse_team_name(&form.name).map_err(|e| errors.push(e)).ok();
    let threshold = parse_number(&form.threshold)
        .and_then(|n| parse_threshold(n, state.settings.threshold_floor))
        .map_err(|e| errors.push(e))
        .ok();
    let roster = parse_roster_text(&form.roster)
        .map_err(|e| errors.push(e))
        .ok();
    let (keys, user) = (state.keys.clone(), staff.user.clone());
    let outcome = match (name, threshold, roster) {
        (Some((name, key)), Some(threshold), Some(roster)) if errors.is_empty() => {
            let t = NewTeam {
                name,
                key,
                threshold,
                roster,
            };
            let user = user.clone();
            match state
                .db
                .write(move |c| create_team(c, &keys, &user, &t))
                .await
            {
                Ok(id) => return Ok(see_other(&format!("/teams/{id}"))),
                Err(AppError::Invalid(e)) => e,
                Err(e) => return Err(e),
            }
        }
        _ => errors,
    };
    let teams = state.db.read(move |c| teams_with_counts(c, &user)).await?;
    let form = form.into_inner();
    Ok(page(
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::list(
            &staff.viewer(),
            &teams,
            &form,
            &outcome,
            state.settings.threshold_floor,
        ),
    ))
}

async fn render_detail(
    state: &AppState,
    staff: &Staff,
    team_id: String,
    errors: Vec<FieldError>,
    message: Option<&str>,
) -> PageResult<HttpResponse> {
    render_detail_showing(state, staff, team_id, errors, message, Reveal::None).await
}

async fn render_detail_showing(
    state: &AppState,
    staff: &Staff,
    team_id: String,
    errors: Vec<FieldError>,
    message: Option<&str>,
    reveal: Reveal,
) -> PageResult<HttpResponse> {
    let (keys, base, user) = (
        state.keys.clone(),
        state.settings.base_url.clone(),
        staff.user.clone(),
    );
    let view = match reveal {
        Reveal::None => {
            state
                .db
                .read(move |c| {
                    let team = store::team_for(c, &user, &team_id)?;
                    team_view(c, &keys, &base, team, &Reveal::None)
                })
                .await?
        }
        reveal => {
            state
                .db
                .write(move |c| {
                    let team = store::team_for(c, &user, &team_id)?;
                    record_shown(c, &user, &team, &reveal)?;
                    team_view(c, &keys, &base, team, &reveal)
                })
                .await?
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(
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

#[derive(Deserialize)]
pub struct ShowForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// One member's link; absent for all of them.
    #[serde(default)]
    member_id: Option<String>,
}

/// Shows invite links to staff on request (G13): the page says that doing so means the
/// members' pages will say staff have seen their link.
async fn show_links(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<ShowForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let reveal = match form.member_id.as_deref().map(str::trim) {
        Some(m) if !m.is_empty() => Reveal::One(m.to_owned()),
        _ => Reveal::All,
    };
    render_detail_showing(&state, &staff, id.into_inner(), vec![], None, reveal).await
}

async fn detail(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    render_detail(&state, &staff, id.into_inner(), vec![], None).await
}

#[derive(Deserialize)]
pub struct RosterForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    roster: String,
}

async fn add_members(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<RosterForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let team_id = id.into_inner();
    let labels = match parse_roster_text(&form.roster) {
        Ok(l) => l,
        Err(e) => return render_detail(&state, &staff, team_id, vec![e], None).await,
    };
    let (keys, user, tid) = (state.keys.clone(), staff.user.clone(), team_id.clone());
    let result = state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &tid)?;
            let n = store::add_members(c, &keys, &tid, &labels)?;
            audit(
                c,
                Some(&user.email),
                "roster.added",
                &format!("{n} people to {}", team.name),
            )?;
            Ok(n)
        })
        .await;
    match result {
        Ok(n) => {
            render_detail(
                &state,
                &staff,
                team_id,
                vec![],
                Some(&format!("Added {n} people.")),
            )
            .await
        }
        Err(AppError::Invalid(e)) => render_detail(&state, &staff, team_id, e, None).await,
        Err(e) => Err(e),
    }
}

async fn member_action(
    state: &AppState,
    staff: &Staff,
    team_id: &str,
    member_id: &str,
    remove: bool,
) -> Result<String, AppError> {
    let (keys, user, tid, mid) = (
        state.keys.clone(),
        staff.user.clone(),
        team_id.to_owned(),
        member_id.to_owned(),
    );
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &tid)?;
            let member = store::find_member(c, &tid, &mid)?;
            if remove {
                store::remove_member(c, &keys, &mid)?;
                audit(
                    c,
                    Some(&user.email),
                    "roster.removed",
                    &format!("{} from {}", member.label, team.name),
                )?;
            } else {
                store::regenerate_invite(c, &keys, &mid)?;
                audit(
                    c,
                    Some(&user.email),
                    "invite.regenerated",
                    &format!("{} in {}", member.label, team.name),
                )?;
            }
            Ok(member.label)
        })
        .await
}

async fn regenerate(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let (team_id, member_id) = path.into_inner();
    let label = member_action(&state, &staff, &team_id, &member_id, false).await?;
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

async fn remove(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let (team_id, member_id) = path.into_inner();
    let label = member_action(&state, &staff, &team_id, &member_id, true).await?;
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
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    threshold: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    reviews_allowed: Option<String>,
}

async fn settings(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let team_id = id.into_inner();
    let mut errors = Vec::new();
    let name = parse_team_name(&form.name).map_err(|e| errors.push(e)).ok();
    let threshold = parse_number(&form.threshold)
        .and_then(|n| parse_threshold(n, state.settings.threshold_floor))
        .map_err(|e| errors.push(e))
        .ok();
    let (Some((name, key)), Some(threshold)) = (name, threshold) else {
        return render_detail(&state, &staff, team_id, errors, None).await;
    };
    let (user, tid) = (staff.user.clone(), team_id.clone());
    let reviews_allowed = form.reviews_allowed.is_some();
    let result = state
        .db
        .write(move |c| {
            store::team_for(c, &user, &tid)?;
            store::update_team(c, &tid, &name, &key, threshold, reviews_allowed)?;
            audit(
                c,
                Some(&user.email),
                "team.updated",
                &format!(
                    "{name}, threshold {threshold}, review invitations {}",
                    if reviews_allowed {
                        "allowed"
                    } else {
                        "not allowed"
                    }
                ),
            )?;
            Ok(())
        })
        .await;
    match result {
        Ok(()) => render_detail(&state, &staff, team_id, vec![], Some("Saved.")).await,
        Err(AppError::Invalid(e)) => render_detail(&state, &staff, team_id, e, None).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct LeaderForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn add_leader(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<LeaderForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let team_id = id.into_inner();
    let email = match crate::auth::model::parse_email(&form.email) {
        Ok(e) => e,
        Err(e) => return render_detail(&state, &staff, team_id, vec![e], None).await,
    };
    let (user, tid) = (staff.user.clone(), team_id.clone());
    let result = state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &tid)?;
            let target = find_staff_by_email(c, &email)?
                .filter(|s| s.active && s.user().can_lead())
                .ok_or_else(|| {
                    AppError::invalid("email", "No active leader or admin has this email.")
                })?;
            store::add_leader(c, &tid, &target.id)?;
            audit(
                c,
                Some(&user.email),
                "team.leader_added",
                &format!("{} to {}", target.email, team.name),
            )?;
            Ok(())
        })
        .await;
    match result {
        Ok(()) => render_detail(&state, &staff, team_id, vec![], Some("Leader added.")).await,
        Err(AppError::Invalid(e)) => render_detail(&state, &staff, team_id, e, None).await,
        Err(e) => Err(e),
    }
}

/// Every member's link, for an export or the API. Listing a link shows it to staff, so this
/// runs in a write transaction that records it (G13).
fn invites_of(
    conn: &mut DbConnection,
    keys: &Keys,
    base: &str,
    user: &StaffUser,
    team_id: &str,
) -> Result<Vec<InviteJson>, AppError> {
    let team = store::team_for(conn, user, team_id)?;
    record_shown(conn, user, &team, &Reveal::All)?;
    Ok(store::list_members(conn, team_id)?
        .into_iter()
        .map(|m| InviteJson {
            url: invite_url(base, &invite_secret(keys, &m.id, &m.invite_nonce)),
            member_id: m.id,
            label: m.label,
            custody: CUSTODY_STAFF,
        })
        .collect())
}

async fn invites_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    let (keys, base, user) = (
        state.keys.clone(),
        state.settings.base_url.clone(),
        staff.user.clone(),
    );
    let rows = state
        .db
        .write(move |c| invites_of(c, &keys, &base, &user, &id))
        .await?;
    let mut csv = String::from("label,url\n");
    for r in rows {
        csv.push_str(&format!("{},{}\n", csv_cell(&r.label), csv_cell(&r.url)));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"invites.csv\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(csv))
}

// ---------------------------------------------------------------- JSON API

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

#[derive(Serialize)]
pub struct InviteJson {
    member_id: String,
    label: String,
    url: String,
    /// Who has seen this link (API.md): `"staff"` for every link listed here, since listing
    /// it shows it. Links delivered only to the member will be listed without `url`.
    custody: &'static str,
}

/// The custody of a link staff have seen (G13).
pub const CUSTODY_STAFF: &str = "staff";
/// The custody of a link only the member has.
pub const CUSTODY_MEMBER: &str = "member";

fn team_json(conn: &mut DbConnection, team: store::TeamRow) -> Result<TeamJson, AppError> {
    let members = store::list_members(conn, &team.id)?
        .into_iter()
        .map(|m| MemberJson {
            id: m.id,
            label: m.label,
        })
        .collect();
    Ok(TeamJson {
        id: team.id,
        name: team.name,
        threshold: team.threshold,
        reviews_allowed: team.reviews_allowed,
        members,
    })
}

#[derive(Deserialize)]
pub struct TeamCreate {
    name: String,
    threshold: Option<i64>,
    #[serde(default)]
    roster: Vec<String>,
}

async fn api_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<TeamCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_leader()?;
    let mut errors = Vec::new();
    let name = parse_team_name(&body.name).map_err(|e| errors.push(e)).ok();
    let threshold = parse_threshold(body.threshold, state.settings.threshold_floor)
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
    let (keys, user) = (state.keys.clone(), staff.user.clone());
    let json = state
        .db
        .write(move |c| {
            let id = create_team(
                c,
                &keys,
                &user,
                &NewTeam {
                    name,
                    key,
                    threshold,
                    roster,
                },
            )?;
            let team = store::find_team(c, &id)?;
            team_json(c, team)
        })
        .await?;
    Ok(HttpResponse::Created().json(json))
}

async fn api_list(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    let user = staff.user.clone();
    let out = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for t in store::list_teams_for(c, &user)? {
                out.push(team_json(c, t)?);
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

async fn api_get(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = staff.user.clone();
    let json = state
        .db
        .read(move |c| {
            let team = store::team_for(c, &user, &id)?;
            team_json(c, team)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json))
}

#[derive(Deserialize)]
pub struct TeamPatch {
    name: Option<String>,
    threshold: Option<i64>,
    /// Whether facilitators may invite this team to reviews (G12).
    reviews_allowed: Option<bool>,
}

async fn api_update(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<TeamPatch>,
) -> ApiResult<HttpResponse> {
    let (user, floor, body) = (
        staff.user.clone(),
        state.settings.threshold_floor,
        body.into_inner(),
    );
    let json = state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &id)?;
            let (name, key) = match &body.name {
                Some(n) => parse_team_name(n).map_err(|e| AppError::Invalid(vec![e]))?,
                None => (team.name.clone(), team.name_key.clone()),
            };
            let threshold = match body.threshold {
                Some(t) => {
                    parse_threshold(Some(t), floor).map_err(|e| AppError::Invalid(vec![e]))?
                }
                None => team.threshold as u16,
            };
            let reviews_allowed = body.reviews_allowed.unwrap_or(team.reviews_allowed);
            store::update_team(c, &id, &name, &key, threshold, reviews_allowed)?;
            audit(
                c,
                Some(&user.email),
                "team.updated",
                &format!(
                    "{name}, threshold {threshold}, review invitations {}",
                    if reviews_allowed {
                        "allowed"
                    } else {
                        "not allowed"
                    }
                ),
            )?;
            let team = store::find_team(c, &id)?;
            team_json(c, team)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json))
}

#[derive(Deserialize)]
pub struct RosterAdd {
    roster: Vec<String>,
}

async fn api_add_members(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<RosterAdd>,
) -> ApiResult<HttpResponse> {
    let labels = parse_roster_list(&body.roster).map_err(|e| AppError::Invalid(vec![e]))?;
    if labels.is_empty() {
        return Err(AppError::invalid("roster", "List at least one person.").into());
    }
    let (keys, user) = (state.keys.clone(), staff.user.clone());
    let json = state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &id)?;
            let n = store::add_members(c, &keys, &id, &labels)?;
            audit(
                c,
                Some(&user.email),
                "roster.added",
                &format!("{n} people to {}", team.name),
            )?;
            team_json(c, team)
        })
        .await?;
    Ok(HttpResponse::Created().json(json))
}

async fn api_remove_member(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    member_action(&state, &staff, &team_id, &member_id, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn api_regenerate(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    let (keys, base, user) = (
        state.keys.clone(),
        state.settings.base_url.clone(),
        staff.user.clone(),
    );
    // The API hands the new link to the caller, so it is in staff custody: only this one.
    let one = state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            let member = store::find_member(c, &team_id, &member_id)?;
            store::regenerate_invite(c, &keys, &member_id)?;
            audit(
                c,
                Some(&user.email),
                "invite.regenerated",
                &format!("{} in {}", member.label, team.name),
            )?;
            record_shown(c, &user, &team, &Reveal::One(member_id.clone()))?;
            let m = store::find_member(c, &team_id, &member_id)?;
            Ok(InviteJson {
                url: invite_url(&base, &invite_secret(&keys, &m.id, &m.invite_nonce)),
                member_id: m.id,
                label: m.label,
                custody: CUSTODY_STAFF,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(one))
}

async fn api_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (keys, base, user) = (
        state.keys.clone(),
        state.settings.base_url.clone(),
        staff.user.clone(),
    );
    let rows = state
        .db
        .write(move |c| invites_of(c, &keys, &base, &user, &id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(rows))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams", web::get().to(list))
        .route("/teams", web::post().to(create))
        .route("/teams/{id}", web::get().to(detail))
        .route("/teams/{id}/members", web::post().to(add_members))
        .route(
            "/teams/{id}/members/{member}/regenerate",
            web::post().to(regenerate),
        )
        .route(
            "/teams/{id}/members/{member}/remove",
            web::post().to(remove),
        )
        .route("/teams/{id}/settings", web::post().to(settings))
        .route("/teams/{id}/leaders", web::post().to(add_leader))
        .route("/teams/{id}/invites.csv", web::get().to(invites_csv))
        .route("/teams/{id}/invites/show", web::post().to(show_links));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams", web::post().to(api_create))
        .route("/teams", web::get().to(api_list))
        .route("/teams/{id}", web::get().to(api_get))
        .route("/teams/{id}", web::patch().to(api_update))
        .route("/teams/{id}/members", web::post().to(api_add_members))
        .route(
            "/teams/{id}/members/{member}",
            web::delete().to(api_remove_member),
        )
        .route(
            "/teams/{id}/members/{member}/invite",
            web::post().to(api_regenerate),
        )
        .route("/teams/{id}/invites", web::get().to(api_invites));
}
