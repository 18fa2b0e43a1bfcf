//! The report serialised: the heat map's rows as JSON and CSV, shared by the staff exports
//! and the API, so every form carries exactly the same figures.

use actix_web::HttpResponse;
use serde_json::json;

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
pub(super) fn rows_csv(r: &Report) -> String {
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
        for (key, _) in ITEM_LABELS {
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

pub(super) fn csv_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"culture-metrics.csv\"",
        ))
        .body(body)
}
