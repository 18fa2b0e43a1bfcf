//! The staff JSON API for pulse, and the shapes it answers with (API.md). Each handler's
//! `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi.rs), and the DTOs derive
//! their schemas, so the document describes exactly what is sent.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::super::actions::{self, RoundDetail};
use super::super::model::{self, rfc3339, Kind, Question, QuestionId, RoundId, RoundStatus};
use crate::disclosure::RoundResults;
use crate::error::{ApiResult, AppError, Problem};
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::tokens::crypto::KeyJson;
use crate::web::session::ApiStaff;

/// A question as a round froze it.
#[derive(Serialize, ToSchema)]
#[schema(as = Question)]
pub struct QuestionJson {
    #[schema(value_type = String)]
    id: QuestionId,
    kind: Kind,
    text: String,
    min: i32,
    max: i32,
    /// Scored in reverse: higher answers mean less safety.
    reverse: bool,
    required: bool,
    /// The options of a `choice` question; absent for other kinds.
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

/// A pulse round (API.md `Round`).
#[derive(Serialize, ToSchema)]
#[schema(as = Round)]
pub struct RoundJson {
    #[schema(value_type = String)]
    id: RoundId,
    #[schema(value_type = String)]
    team_id: TeamId,
    title: String,
    status: RoundStatus,
    /// RFC 3339 UTC.
    opens_at: String,
    /// RFC 3339 UTC; absent when the round closes by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    closes_at: Option<String>,
    /// `YYYY-MM-DD`, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_on: Option<String>,
    threshold: i32,
    invited: i32,
    questions: Vec<QuestionJson>,
    /// The round's public key while it is open; a closed round's key is destroyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<KeyJson>)]
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
            threshold: r.threshold.column(),
            invited: r.invited,
            questions: d.questions.iter().map(QuestionJson::from).collect(),
            key: d.key,
        }
    }
}

/// Opens a round now, or schedules it at `opens_at`.
#[derive(Deserialize, ToSchema)]
pub struct RoundCreate {
    /// `psychological-safety` (the team's questionnaire); absent means the same.
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    title: Option<String>,
    /// RFC 3339; absent or empty: open now.
    #[serde(default)]
    opens_at: Option<String>,
    /// RFC 3339, after `opens_at`; absent or empty: close by hand.
    #[serde(default)]
    closes_at: Option<String>,
}

/// Opens a round on the team now, or schedules it at `opens_at`.
///
/// `template` names the team's questionnaire (see `model::check_template`).
#[utoipa::path(post, path = "/teams/{team_id}/rounds", tag = "pulse",
    params(("team_id" = String, Path, description = "The team's id")), request_body = RoundCreate,
    responses((status = 201, description = "The round, open or scheduled", body = RoundJson),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The team has a round open already, or no one on its roster", body = Problem, content_type = "application/problem+json")))]
pub async fn open(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
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
    let round = actions::start_round(&state, &staff.user, id.into_inner(), input, None).await?;
    let detail = actions::describe(&state, round).await?;
    Ok(HttpResponse::Created().json(RoundJson::from(detail)))
}

/// A team's rounds, oldest first.
#[utoipa::path(get, path = "/teams/{team_id}/rounds", tag = "pulse", params(("team_id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team's rounds", body = Vec<RoundJson>),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub async fn team_rounds(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
) -> ApiResult<HttpResponse> {
    let rounds = actions::team_rounds(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<RoundJson> = rounds.into_iter().map(RoundJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// A round, its frozen questions and its key.
#[utoipa::path(get, path = "/rounds/{round_id}", tag = "pulse", params(("round_id" = String, Path, description = "The round's id")),
    responses((status = 200, description = "The round", body = RoundJson),
        (status = 403, description = "Not a leader of the round's team", body = Problem, content_type = "application/problem+json")))]
pub async fn round(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<RoundId>,
) -> ApiResult<HttpResponse> {
    let detail = actions::round_detail(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(RoundJson::from(detail)))
}

/// Closes a round: aggregates stored once, answers shuffled, key destroyed, who took part
/// forgotten.
#[utoipa::path(post, path = "/rounds/{round_id}/close", tag = "pulse", params(("round_id" = String, Path, description = "The round's id")),
    responses((status = 200, description = "The closed round", body = RoundJson),
        (status = 403, description = "Not a leader of the round's team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open (scheduled or already closed)", body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<RoundId>,
) -> ApiResult<HttpResponse> {
    let round = actions::finish_round(&state, Some(&staff.user), id.into_inner()).await?;
    let detail = actions::describe(&state, round).await?;
    Ok(HttpResponse::Ok().json(RoundJson::from(detail)))
}

/// A round's results as the threshold allows: participation while open, nothing under the
/// threshold once closed, aggregates otherwise (API.md's shape, `status` first).
#[utoipa::path(get, path = "/rounds/{round_id}/results", tag = "pulse", params(("round_id" = String, Path, description = "The round's id")),
    responses((status = 200, description = "What may be shown", body = RoundResults),
        (status = 403, description = "Not a leader of the round's team", body = Problem, content_type = "application/problem+json")))]
pub async fn results(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<RoundId>,
) -> ApiResult<HttpResponse> {
    let results = actions::round_results(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(results))
}

/// The team's closed rounds as a trend line.
#[utoipa::path(get, path = "/teams/{team_id}/trend", tag = "pulse", params(("team_id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "One point per closed round, oldest first", body = Vec<TrendPoint>),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub async fn trend(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
) -> ApiResult<HttpResponse> {
    let points = actions::team_trend(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<TrendPoint> = points
        .iter()
        .filter(|p| p.round.is_closed())
        .map(|p| TrendPoint {
            round_id: p.round.id.clone(),
            closed_on: p.round.closed_on.map(|d| d.to_string()),
            status: p.results.status(),
            answered: match &p.results {
                RoundResults::Shown(s) => s.answered,
                RoundResults::Suppressed { answered, .. } | RoundResults::Open { answered, .. } => {
                    *answered
                }
            },
            score: p.results.score(),
            items: trend_items(&p.results),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// One closed round on a team's trend line.
#[derive(Serialize, ToSchema)]
pub struct TrendPoint {
    #[schema(value_type = String)]
    round_id: RoundId,
    /// `YYYY-MM-DD`.
    closed_on: Option<String>,
    /// `shown` or `suppressed`.
    #[schema(value_type = String)]
    status: &'static str,
    answered: i64,
    /// On the 1-7 scale; only when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    /// Each scale item shown in this round; empty (left out) when the round is suppressed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<TrendItem>,
}

/// One scale item of a round on the trend, in its "higher is safer" form.
#[derive(Serialize, ToSchema)]
pub struct TrendItem {
    #[schema(value_type = String)]
    question_id: QuestionId,
    /// The item's wording, reverse-scored items reworded so that agreeing is safer.
    text: String,
    /// The mean after reverse scoring, 1-7.
    mean: f64,
    /// Favourable, neutral and unfavourable shares (percent), favourable meaning safer.
    #[serde(skip_serializing_if = "Option::is_none")]
    shares: Option<crate::disclosure::Shares>,
}

/// The shown scale items of a round, never any of a suppressed round or a hidden item (G6).
fn trend_items(r: &RoundResults) -> Vec<TrendItem> {
    let RoundResults::Shown(s) = r else {
        return Vec::new();
    };
    s.items
        .iter()
        .filter(|i| i.kind == model::Kind::Scale && !i.suppressed)
        .filter_map(|i| {
            Some(TrendItem {
                question_id: i.question_id.clone(),
                text: model::safer_wording(&i.text, i.reverse),
                mean: i.scored_mean?,
                shares: i.shares.clone(),
            })
        })
        .collect()
}

/// The staff pulse operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(open, team_rounds, round, close, results, trend))]
pub struct PulseApi;
