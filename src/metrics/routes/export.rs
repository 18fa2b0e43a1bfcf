//! The report serialised: the heat map's rows as JSON and CSV, shared by the staff exports
//! and the API, so every form carries exactly the same figures.

use actix_web::HttpResponse;
use serde_json::json;

use crate::error::AppError;
use crate::html::csv::Csv;
use crate::metrics::pages::ITEM_LABELS;
use crate::metrics::report::{HeatRow, Report};

/// The heat map's rows as JSON (API.md's shape, extended with groups and eNPS).
pub(super) fn rows_json(r: &Report) -> serde_json::Value {
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
            h.round_id.clone().unwrap_or_default(),
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
