//! Culture-metric routes: pages and exports for leaders, the group editor for admins
//! (`staff.rs`), and the API (`api.rs`). Every figure goes through the snapshot's disclosure
//! decisions; pages, API and exports all read the same report (`export.rs` serialises it).

mod api;
mod export;
mod staff;

use actix_web::web;
use serde::Deserialize;

use super::model::View;
use crate::error::AppError;

/// Which view of the metrics: `latest` (the default) or a quarter like `2026-Q3`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `latest` (the default) or a quarter like `2026-Q3`.
    #[serde(default)]
    period: String,
}

fn parse_view(q: &PeriodQuery) -> Result<View, AppError> {
    View::parse(q.period.trim())
        .ok_or_else(|| AppError::invalid("period", "use latest or a quarter like 2026-Q3"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use staff::*;
    cfg.route("/metrics", web::get().to(page))
        .route("/metrics/export.csv", web::get().to(export_csv))
        .route("/metrics/export.json", web::get().to(export_json))
        .route(
            "/metrics/follow-through.csv",
            web::get().to(follow_through_csv),
        )
        .route("/metrics/groups", web::get().to(groups_page))
        .route("/metrics/groups", web::post().to(create_group_page))
        .route("/metrics/groups/{id}/teams", web::post().to(add_team_page))
        .route(
            "/metrics/groups/{id}/teams/{team}/remove",
            web::post().to(remove_team_page),
        );
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::MetricsApi::openapi()
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use api::*;
    cfg.route("/metrics/heatmap", web::get().to(api_heatmap))
        .route("/metrics/export.csv", web::get().to(api_export))
        .route("/metrics/trends", web::get().to(api_trends))
        .route(
            "/metrics/follow-through.csv",
            web::get().to(api_follow_through_csv),
        )
        .route("/metrics/groups", web::get().to(api_groups))
        .route("/metrics/groups", web::post().to(api_create_group))
        .route("/metrics/groups/{id}/teams", web::post().to(api_add_team))
        .route(
            "/metrics/groups/{id}/teams/{team}",
            web::delete().to(api_remove_team),
        );
}
