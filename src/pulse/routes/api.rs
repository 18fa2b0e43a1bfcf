//! The staff JSON API for pulse, and the shapes it answers with (API.md).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::super::actions::{self, RoundDetail};
use super::super::model::{self, rfc3339, Kind, Question, RoundStatus};
use crate::disclosure::RoundResults;
use crate::error::{ApiResult, AppError};
use crate::state::AppState;
use crate::tokens::crypto::KeyJson;
use crate::web::session::ApiStaff;

#[derive(Serialize)]
pub struct QuestionJson {
    id: String,
    kind: Kind,
    text: String,
    min: i32,
    max: i32,
    reverse: bool,
    required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
}

impl From<&Question> for QuestionJson {
    fn from(q: &Question) -> Self {
        Self {
            id: q.id.clone(),
            kind: q.kind,
            text: q.text.clone(),
            min: q.min,
            max: q.max,
            reverse: q.reverse,
            required: q.required,
            options: q.options.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct RoundJson {
    id: String,
    team_id: String,
    title: String,
    status: RoundStatus,
    opens_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    closes_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_on: Option<String>,
    threshold: i32,
    invited: i32,
    questions: Vec<QuestionJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<KeyJson>,
}

impl From<RoundDetail> for RoundJson {
    fn from(d: RoundDetail) -> Self {
        let r = d.round;
        Self {
            status: r.status(),
            id: r.id,
            team_id: r.team_id,
            title: r.title,
            opens_at: rfc3339(r.opens_at),
            closes_at: r.closes_at.map(rfc3339),
            closed_on: r.closed_on.map(|d| d.to_string()),
            threshold: r.threshold,
            invited: r.invited,
            questions: d.questions.iter().map(QuestionJson::from).collect(),
            key: d.key,
        }
    }
}

#[derive(Deserialize)]
pub struct RoundCreate {
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    opens_at: Option<String>,
    #[serde(default)]
    closes_at: Option<String>,
}

/// `template` names the team's questionnaire (see `model::check_template`).
pub async fn open(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<RoundCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_leader()?;
    model::check_template(body.template.as_deref()).map_err(|e| AppError::Invalid(vec![e]))?;
    let input = model::check_round_input(
        body.title.as_deref().unwrap_or_default(),
        body.opens_at.as_deref().unwrap_or_default(),
        body.closes_at.as_deref().unwrap_or_default(),
        state.clock.now(),
    )
    .map_err(AppError::Invalid)?;
    let round = actions::start_round(&state, &staff.user, id.into_inner(), input).await?;
    let detail = actions::describe(&state, round).await?;
    Ok(HttpResponse::Created().json(RoundJson::from(detail)))
}

pub async fn team_rounds(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rounds = actions::team_rounds(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<RoundJson> = rounds.into_iter().map(RoundJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

pub async fn round(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let detail = actions::round_detail(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(RoundJson::from(detail)))
}

pub async fn close(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let round = actions::finish_round(&state, Some(&staff.user), id.into_inner()).await?;
    let detail = actions::describe(&state, round).await?;
    Ok(HttpResponse::Ok().json(RoundJson::from(detail)))
}

/// API.md's results shape, built from what `disclosure` allows.
pub fn results_json(results: &RoundResults) -> serde_json::Value {
    use serde_json::json;
    match results {
        RoundResults::Open { invited, answered } => {
            json!({ "status": "open", "invited": invited, "answered": answered })
        }
        RoundResults::Suppressed {
            invited,
            answered,
            needed,
        } => {
            json!({ "status": "suppressed", "invited": invited, "answered": answered, "needed": needed })
        }
        RoundResults::Shown(s) => {
            let mut v = json!({
                "status": "shown", "invited": s.invited, "answered": s.answered, "threshold": s.threshold,
                "items": s.items, "comment_count": s.comment_count,
            });
            for (k, x) in [
                ("score", s.score),
                ("spread", s.spread),
                ("agreement", s.agreement),
            ] {
                if let Some(x) = x {
                    v[k] = json!(x);
                }
            }
            if let Some(e) = &s.enps {
                v["enps"] = json!(e);
            }
            if let Some(c) = &s.comments {
                v["comments"] = json!(c);
            }
            v
        }
    }
}

pub async fn results(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let results = actions::round_results(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(results_json(&results)))
}

pub async fn trend(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let points = actions::team_trend(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<serde_json::Value> = points
        .iter()
        .filter(|p| p.round.is_closed())
        .map(|p| {
            let answered = match &p.results {
                RoundResults::Shown(s) => s.answered,
                RoundResults::Suppressed { answered, .. } | RoundResults::Open { answered, .. } => {
                    *answered
                }
            };
            let mut v = serde_json::json!({
                "round_id": p.round.id, "closed_on": p.round.closed_on.map(|d| d.to_string()),
                "status": p.results.status(), "answered": answered,
            });
            if let Some(s) = p.results.score() {
                v["score"] = serde_json::json!(s);
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}
