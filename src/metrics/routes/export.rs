//! The report serialised: the heat map's rows as JSON and CSV, shared by the staff exports
//! and the API, so every form carries exactly the same figures.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::html::csv::Csv;
use crate::metrics::model::GroupId;
use crate::metrics::pages::ITEM_LABELS;
use crate::metrics::report::{HeatRow, Report};
use crate::pulse::model::{QuestionId, RoundId};
use crate::teams::model::TeamId;

/// The heat map as JSON (API.md's shape, extended with groups and eNPS): the same typed rows
/// for the API and the staff export, and the schema the OpenAPI document shows.
#[derive(Serialize, ToSchema)]
pub struct Heatmap {
    /// `latest` or a quarter like `2026-Q3`.
    period: String,
    teams: Vec<HeatRowJson>,
    groups: Vec<HeatRowJson>,
}

/// One team or group of the heat map; figures only where the threshold allows them.
#[derive(Serialize, ToSchema)]
pub struct HeatRowJson {
    /// Set on a team's row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    team_id: Option<TeamId>,
    /// Set on a group's row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    group_id: Option<GroupId>,
    name: String,
    /// `shown`, `suppressed` or `none` (no closed round).
    #[schema(value_type = String)]
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    round_id: Option<RoundId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invited: Option<i64>,
    /// On the 1-7 scale; with it come `spread`, `agreement` and `items`.
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    spread: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    agreement: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<ItemMean>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_rate: Option<f64>,
}

/// The mean of one question over a shown row.
#[derive(Serialize, ToSchema)]
pub struct ItemMean {
    #[schema(value_type = String)]
    question_id: QuestionId,
    /// The same as `question_id` (kept for clients of the first version).
    key: String,
    mean: f64,
}

pub(super) fn rows_json(r: &Report) -> Heatmap {
    let row = |h: &HeatRow| {
        let f = h.figures.as_ref();
        let shown = f.filter(|f| f.score.is_some());
        let team = h.kind == "team";
        HeatRowJson {
            team_id: team.then(|| TeamId::from(h.id.as_str())),
            group_id: (!team).then(|| GroupId::from(h.id.as_str())),
            name: h.name.clone(),
            status: f.map(|f| f.status).unwrap_or("none"),
            round_id: h.round_id.clone(),
            answered: f.map(|f| f.answered),
            invited: f.map(|f| f.invited),
            score: shown.and_then(|f| f.score),
            spread: shown.map(|f| f.spread),
            agreement: shown.map(|f| f.agreement),
            items: shown.map(|f| {
                f.items
                    .iter()
                    .filter_map(|(k, m)| {
                        m.map(|mean| ItemMean {
                            question_id: QuestionId::from(k.as_str()),
                            key: k.clone(),
                            mean,
                        })
                    })
                    .collect()
            }),
            enps: f.and_then(|f| f.enps),
            comment_rate: f.and_then(|f| f.comment_rate),
        }
    };
    Heatmap {
        period: r.view.label(),
        teams: r
            .rows
            .iter()
            .filter(|h| h.kind == "team")
            .map(row)
            .collect(),
        groups: r
            .rows
            .iter()
            .filter(|h| h.kind == "group")
            .map(row)
            .collect(),
    }
}

/// The same rows as CSV: exactly the aggregates the heat map shows, never raw answers.
pub(super) fn rows_csv(r: &Report) -> Result<String, AppError> {
    let mut header = vec![
        "kind",
        "id",
        "name",
        "period",
        "round_id",
        "status",
        "answered",
        "invited",
        "score",
        "spread",
        "agreement",
    ];
    header.extend(ITEM_LABELS.iter().map(|(key, _)| *key));
    header.extend(["enps", "comment_rate"]);
    let mut csv = Csv::new(&header);
    let f = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    for h in &r.rows {
        let status = h.figures.as_ref().map(|f| f.status).unwrap_or("none");
        let (answered, invited) = h
            .figures
            .as_ref()
            .map(|f| (f.answered.to_string(), f.invited.to_string()))
            .unwrap_or_default();
        let fig = h.figures.as_ref();
        let mut cells = vec![
            h.kind.to_string(),
            h.id.clone(),
            h.name.clone(),
            r.view.label(),
            h.round_id
                .as_ref()
                .map(RoundId::to_string)
                .unwrap_or_default(),
            status.to_owned(),
            answered,
            invited,
        ];
        for v in [
            fig.and_then(|f| f.score),
            fig.and_then(|f| f.spread),
            fig.and_then(|f| f.agreement),
        ] {
            cells.push(f(v));
        }
        for (key, _) in ITEM_LABELS {
            cells.push(f(fig.and_then(|x| {
                x.items.iter().find(|(k, _)| k == key).and_then(|(_, m)| *m)
            })));
        }
        cells.push(f(fig.and_then(|x| x.enps)));
        cells.push(f(fig.and_then(|x| x.comment_rate)));
        csv.row_keeping(cells.iter().map(String::as_str), &[1, 4]);
    }
    csv.finish().map_err(|e| AppError::caused("writing CSV", e))
}

pub(super) fn csv_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"culture-metrics.csv\"",
        ))
        .body(body)
}

/// Actions after rounds per closed round: the same counts the page's table shows.
pub(super) fn follow_csv(r: &Report) -> Result<String, AppError> {
    let mut csv = Csv::new(&[
        "team_id",
        "team",
        "round_id",
        "round",
        "closed_on",
        "actions",
        "done_by_next_close",
    ]);
    for (team, f) in &r.follow_through {
        let closed = f.closed_on.map(|d| d.to_string()).unwrap_or_default();
        let actions = f.actions.to_string();
        let done = f.done_by_next.map(|n| n.to_string()).unwrap_or_default();
        csv.row_keeping(
            [
                f.team_id.as_str(),
                team,
                f.round_id.as_str(),
                &f.round_title,
                &closed,
                &actions,
                &done,
            ],
            &[0, 2],
        );
    }
    csv.finish().map_err(|e| AppError::caused("writing CSV", e))
}

pub(super) fn follow_csv_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"follow-through.csv\"",
        ))
        .body(body)
}
