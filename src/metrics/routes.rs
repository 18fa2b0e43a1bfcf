//! Culture-metric handlers: pages, exports and the API. Every figure goes through the
//! snapshot's disclosure decisions; pages, API and exports all read the same rows.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::model::{change, CellKey, Snapshot, View};
use super::pages::{self, BadNews, GroupView, HeatRow, MetricsPage, TrendLine};
use super::store;
use crate::auth::model::StaffUser;
use crate::auth::routes::{see_other, ApiStaff, CsrfForm, Staff};
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::{ApiResult, AppError, PageResult};
use crate::state::AppState;
use crate::web::html_response;

/// Everything one viewer may see in one view, computed once and rendered as page, CSV,
/// JSON or API alike.
pub struct Report {
    pub view: View,
    pub views: Vec<View>,
    pub rows: Vec<HeatRow>,
    pub quarters: Vec<View>,
    pub trends: Vec<TrendLine>,
    pub bad_news: BadNews,
}

fn visible_groups<'a>(
    snap: &'a Snapshot,
    teams: &Option<BTreeSet<String>>,
) -> Vec<&'a super::model::GroupDef> {
    snap.groups
        .iter()
        .filter(|g| match teams {
            None => true,
            // A leader sees a group only if it contains no team they do not lead.
            Some(t) => !g.members.is_empty() && g.team_ids().iter().all(|id| t.contains(*id)),
        })
        .collect()
}

fn report(
    c: &mut DbConnection,
    cache: &super::Cache,
    user: &StaffUser,
    view: View,
) -> Result<Report, AppError> {
    let snap: Arc<Snapshot> = cache.snapshot(c)?;
    let visible: Option<BTreeSet<String>> =
        store::visible_teams(c, user)?.map(|v| v.into_iter().collect());
    let all_teams = crate::teams::store::list_teams_for(c, user)?;
    let teams: Vec<(String, String)> = all_teams.into_iter().map(|t| (t.id, t.name)).collect();
    let groups = visible_groups(&snap, &visible);
    let view = if snap.views.contains(&view) {
        view
    } else {
        View::Latest
    };
    let mut rows = Vec::new();
    for g in &groups {
        let key = CellKey::Group(view, g.id.clone());
        let figures = snap
            .group_atoms
            .get(&(view, g.id.clone()))
            .map(|atoms| snap.figures(&key, atoms));
        rows.push(HeatRow {
            kind: "group",
            id: g.id.clone(),
            name: g.name.clone(),
            round_id: None,
            figures,
        });
    }
    for (id, name) in &teams {
        let atom = snap.team_atom.get(&(view, id.clone())).copied();
        let figures = atom.map(|i| snap.figures(&CellKey::Team(i), &[i]));
        rows.push(HeatRow {
            kind: "team",
            id: id.clone(),
            name: name.clone(),
            round_id: atom.map(|i| snap.atoms[i].round_id.clone()),
            figures,
        });
    }
    let quarters: Vec<View> = snap
        .views
        .iter()
        .filter(|v| **v != View::Latest)
        .copied()
        .collect();
    let mut trends = Vec::new();
    let line = |name: String, kind: &'static str, points: Vec<Option<super::model::Figures>>| {
        let shown: Vec<&super::model::Figures> = points
            .iter()
            .flatten()
            .filter(|f| f.score.is_some())
            .collect();
        let change = if shown.len() >= 2 {
            change(shown[shown.len() - 2], shown[shown.len() - 1])
        } else {
            None
        };
        TrendLine {
            name,
            kind,
            points,
            change,
        }
    };
    for g in &groups {
        let points = quarters
            .iter()
            .map(|q| {
                snap.group_atoms
                    .get(&(*q, g.id.clone()))
                    .map(|atoms| snap.figures(&CellKey::Group(*q, g.id.clone()), atoms))
            })
            .collect();
        trends.push(line(g.name.clone(), "group", points));
    }
    for (id, name) in &teams {
        let points: Vec<_> = quarters
            .iter()
            .map(|q| {
                snap.team_atom
                    .get(&(*q, id.clone()))
                    .map(|i| snap.figures(&CellKey::Team(*i), &[*i]))
            })
            .collect();
        if points.iter().any(Option::is_some) {
            trends.push(line(name.clone(), "team", points));
        }
    }
    let shown_teams: Vec<&HeatRow> = rows.iter().filter(|r| r.kind == "team").collect();
    let (comments, answered) = shown_teams
        .iter()
        .filter_map(|r| r.figures.as_ref().filter(|f| f.comment_rate.is_some()))
        .fold((0i64, 0i64), |(c, a), f| {
            (
                c + (f.comment_rate.unwrap_or(0.0) * f.answered as f64).round() as i64,
                a + f.answered,
            )
        });
    // Review counts are instance-wide and over closed reviews only: counts, never text.
    let cc = crate::reviews::store::culture_counts(c, None)?;
    let bad_news = BadNews {
        reviews_held: cc.reviews_held,
        accounts: cc.accounts_per_review.iter().map(|(_, n)| n).sum(),
        followups_asked: cc.followups_asked,
        followups_answered: cc.followups_answered,
        comments,
        answered,
    };
    Ok(Report {
        view,
        views: snap.views.clone(),
        rows,
        quarters,
        trends,
        bad_news,
    })
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    period: String,
}

fn parse_view(q: &PeriodQuery) -> Result<View, AppError> {
    View::parse(q.period.trim())
        .ok_or_else(|| AppError::invalid("period", "use latest or a quarter like 2026-Q3"))
}

async fn load(state: &AppState, user: &StaffUser, view: View) -> Result<Report, AppError> {
    if !user.can_lead() {
        return Err(AppError::forbidden());
    }
    let st = state.metrics.clone();
    let user = user.clone();
    state.db.read(move |c| report(c, &st, &user, view)).await
}

async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> PageResult<maud::Markup> {
    let r = load(&state, &staff.user, parse_view(&q)?).await?;
    let p = MetricsPage {
        view: r.view,
        views: &r.views,
        rows: &r.rows,
        quarters: &r.quarters,
        trends: &r.trends,
        bad_news: &r.bad_news,
    };
    Ok(pages::metrics(&staff.viewer(), &p))
}

/// The heat map's rows as JSON (API.md's shape, extended with groups and eNPS).
fn rows_json(r: &Report) -> serde_json::Value {
    let row = |h: &HeatRow| {
        let mut v = json!({ "name": h.name, "status": h.figures.as_ref().map(|f| f.status).unwrap_or("none") });
        v[if h.kind == "team" {
            "team_id"
        } else {
            "group_id"
        }] = json!(h.id);
        if let Some(id) = &h.round_id {
            v["round_id"] = json!(id);
        }
        if let Some(f) = &h.figures {
            v["answered"] = json!(f.answered);
            v["invited"] = json!(f.invited);
            if let Some(s) = f.score {
                v["score"] = json!(s);
                v["spread"] = json!(f.spread);
                v["agreement"] = json!(f.agreement);
                v["items"] =
                    json!(f
                        .items
                        .iter()
                        .filter_map(
                            |(k, m)| m.map(|m| json!({ "question_id": k, "key": k, "mean": m }))
                        )
                        .collect::<Vec<_>>());
            }
            if let Some(e) = f.enps {
                v["enps"] = json!(e);
            }
            if let Some(c) = f.comment_rate {
                v["comment_rate"] = json!(c);
            }
        }
        v
    };
    json!({
        "period": r.view.label(),
        "teams": r.rows.iter().filter(|h| h.kind == "team").map(row).collect::<Vec<_>>(),
        "groups": r.rows.iter().filter(|h| h.kind == "group").map(row).collect::<Vec<_>>(),
    })
}

/// The same rows as CSV: exactly the aggregates the heat map shows, never raw answers.
fn rows_csv(r: &Report) -> String {
    use crate::teams::model::csv_cell;
    let mut out = String::from("kind,id,name,period,round_id,status,answered,invited,score,spread,agreement,ps1,ps2,ps3,ps4,ps5,ps6,ps7,enps,comment_rate\n");
    let f = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    for h in &r.rows {
        let status = h.figures.as_ref().map(|f| f.status).unwrap_or("none");
        let (answered, invited) = h
            .figures
            .as_ref()
            .map(|f| (f.answered.to_string(), f.invited.to_string()))
            .unwrap_or_default();
        let mut line = format!(
            "{},{},{},{},{},{status},{answered},{invited}",
            h.kind,
            h.id,
            csv_cell(&h.name),
            r.view.label(),
            h.round_id.clone().unwrap_or_default()
        );
        let fig = h.figures.as_ref();
        for v in [
            fig.and_then(|f| f.score),
            fig.and_then(|f| f.spread),
            fig.and_then(|f| f.agreement),
        ] {
            line.push(',');
            line.push_str(&f(v));
        }
        for (key, _) in pages::ITEM_LABELS {
            line.push(',');
            line.push_str(&f(fig.and_then(|x| {
                x.items.iter().find(|(k, _)| k == key).and_then(|(_, m)| *m)
            })));
        }
        line.push(',');
        line.push_str(&f(fig.and_then(|x| x.enps)));
        line.push(',');
        line.push_str(&f(fig.and_then(|x| x.comment_rate)));
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn csv_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"culture-metrics.csv\"",
        ))
        .body(body)
}

async fn export_csv(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> PageResult<HttpResponse> {
    let r = load(&state, &staff.user, parse_view(&q)?).await?;
    Ok(csv_response(rows_csv(&r)))
}

async fn export_json(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> PageResult<HttpResponse> {
    let r = load(&state, &staff.user, parse_view(&q)?).await?;
    Ok(HttpResponse::Ok().json(rows_json(&r)))
}

async fn api_heatmap(
    state: web::Data<AppState>,
    staff: ApiStaff,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let r = load(&state, &staff.user, parse_view(&q)?).await?;
    Ok(HttpResponse::Ok().json(rows_json(&r)))
}

async fn api_export(
    state: web::Data<AppState>,
    staff: ApiStaff,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let r = load(&state, &staff.user, parse_view(&q)?).await?;
    Ok(csv_response(rows_csv(&r)))
}

async fn api_trends(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    let r = load(&state, &staff.user, View::Latest).await?;
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

// ---------------------------------------------------------------- groups (admin)

/// Team ids and names, for the group editor's team picker.
type TeamNames = Vec<(String, String)>;

fn group_views(c: &mut DbConnection) -> Result<(Vec<GroupView>, TeamNames), AppError> {
    let teams: Vec<(String, String)> = {
        use crate::db::schema::teams;
        use diesel::prelude::*;
        teams::table
            .order(teams::name_key)
            .select((teams::id, teams::name))
            .load(c)?
    };
    let name = |id: &str| {
        teams
            .iter()
            .find(|(t, _)| t == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let groups = store::load_groups(c)?
        .into_iter()
        .map(|g| GroupView {
            members: g
                .members
                .iter()
                .map(|m| {
                    (
                        m.team_id.clone(),
                        name(&m.team_id),
                        m.added_at.date().to_string(),
                        m.removed_at.map(|r| r.date().to_string()),
                    )
                })
                .collect(),
            id: g.id,
            name: g.name,
        })
        .collect();
    Ok((groups, teams))
}

async fn groups_page(state: web::Data<AppState>, staff: Staff) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    let (groups, teams) = state.db.read(group_views).await?;
    Ok(pages::groups(&staff.viewer(), &groups, &teams, &[]))
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn create_group_page(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<GroupForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let parsed = crate::teams::model::parse_team_name(&form.name);
    let actor = staff.user.email.clone();
    let result = match parsed {
        Ok((name, key)) => {
            state
                .db
                .write(move |c| {
                    store::create_group(c, &name, &key)?;
                    store::bump_version(c)?;
                    audit(c, Some(&actor), "group.created", &name)?;
                    Ok(())
                })
                .await
        }
        Err(e) => Err(AppError::Invalid(vec![e])),
    };
    match result {
        Ok(()) => Ok(see_other("/metrics/groups")),
        Err(AppError::Invalid(errors)) => {
            let (groups, teams) = state.db.read(group_views).await?;
            Ok(html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::groups(&staff.viewer(), &groups, &teams, &errors),
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct AddTeamForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    team_id: String,
}

async fn change_membership(
    state: &AppState,
    actor: &StaffUser,
    group_id: String,
    team_id: String,
    add: bool,
) -> Result<(), AppError> {
    let actor = actor.email.clone();
    state
        .db
        .write(move |c| {
            crate::teams::store::find_team(c, &team_id)
                .map_err(|_| AppError::invalid("team_id", "No such team."))?;
            if !store::load_groups(c)?.iter().any(|g| g.id == group_id) {
                return Err(AppError::NotFound);
            }
            if add {
                store::add_team(c, &group_id, &team_id)?;
            } else if store::remove_team(c, &group_id, &team_id)? == 0 {
                return Err(AppError::NotFound);
            }
            store::bump_version(c)?;
            audit(
                c,
                Some(&actor),
                if add {
                    "group.team_added"
                } else {
                    "group.team_removed"
                },
                &format!("{team_id} in {group_id}"),
            )?;
            Ok(())
        })
        .await
}

async fn add_team_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<AddTeamForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    match change_membership(
        &state,
        &staff.user,
        id.into_inner(),
        form.team_id.clone(),
        true,
    )
    .await
    {
        Ok(()) => Ok(see_other("/metrics/groups")),
        Err(AppError::Invalid(errors)) => {
            let (groups, teams) = state.db.read(group_views).await?;
            Ok(html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::groups(&staff.viewer(), &groups, &teams, &errors),
            ))
        }
        Err(e) => Err(e),
    }
}

async fn remove_team_page(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let (g, t) = path.into_inner();
    change_membership(&state, &staff.user, g, t, false).await?;
    Ok(see_other("/metrics/groups"))
}

#[derive(Deserialize)]
pub struct GroupCreate {
    name: String,
    #[serde(default)]
    team_ids: Vec<String>,
}

async fn api_groups(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (groups, _) = state.db.read(group_views).await?;
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

async fn api_create_group(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<GroupCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (name, key) =
        crate::teams::model::parse_team_name(&body.name).map_err(|e| AppError::Invalid(vec![e]))?;
    let (actor, team_ids) = (staff.user.email.clone(), body.team_ids.clone());
    let id = state
        .db
        .write(move |c| {
            let id = store::create_group(c, &name, &key)?;
            for t in &team_ids {
                crate::teams::store::find_team(c, t)
                    .map_err(|_| AppError::invalid("team_ids", format!("no team {t}")))?;
                store::add_team(c, &id, t)?;
            }
            store::bump_version(c)?;
            audit(c, Some(&actor), "group.created", &name)?;
            Ok(id)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[derive(Deserialize)]
pub struct TeamRef {
    team_id: String,
}

async fn api_add_team(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<TeamRef>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    change_membership(
        &state,
        &staff.user,
        id.into_inner(),
        body.team_id.clone(),
        true,
    )
    .await?;
    Ok(HttpResponse::Created().finish())
}

async fn api_remove_team(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let (g, t) = path.into_inner();
    change_membership(&state, &staff.user, g, t, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(page))
        .route("/metrics/export.csv", web::get().to(export_csv))
        .route("/metrics/export.json", web::get().to(export_json))
        .route("/metrics/groups", web::get().to(groups_page))
        .route("/metrics/groups", web::post().to(create_group_page))
        .route("/metrics/groups/{id}/teams", web::post().to(add_team_page))
        .route(
            "/metrics/groups/{id}/teams/{team}/remove",
            web::post().to(remove_team_page),
        );
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics/heatmap", web::get().to(api_heatmap))
        .route("/metrics/export.csv", web::get().to(api_export))
        .route("/metrics/trends", web::get().to(api_trends))
        .route("/metrics/groups", web::get().to(api_groups))
        .route("/metrics/groups", web::post().to(api_create_group))
        .route("/metrics/groups/{id}/teams", web::post().to(api_add_team))
        .route(
            "/metrics/groups/{id}/teams/{team}",
            web::delete().to(api_remove_team),
        );
}
