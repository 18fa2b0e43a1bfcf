//! Delivery routes: staff pages (`staff.rs`) and the JSON API (`api.rs`).

mod api;
mod staff;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use staff::*;
    cfg.route("/teams/{id}/invites/send", web::post().to(send_invites))
        .route(
            "/reviews/{id}/invites/send",
            web::post().to(send_review_invites),
        )
        .route("/rounds/{id}/remind", web::post().to(remind))
        .route("/reviews/{id}/remind", web::post().to(remind_review))
        .route("/teams/{id}/webhook", web::post().to(team_webhook))
        .route(
            "/teams/{id}/webhook/test",
            web::post().to(team_webhook_test),
        )
        .route("/admin/delivery/webhook", web::post().to(default_webhook))
        .route(
            "/admin/delivery/webhook/test",
            web::post().to(default_webhook_test),
        )
        .route("/admin/delivery", web::get().to(status))
        .route("/admin/delivery/{id}/dismiss", web::post().to(dismiss));
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi/).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::DeliveryApi::openapi()
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use api::*;
    cfg.route("/teams/{id}/invites/send", web::post().to(api_send_invites))
        .route(
            "/reviews/{id}/invites/send",
            web::post().to(api_send_review_invites),
        )
        .route("/rounds/{id}/remind", web::post().to(api_remind))
        .route("/reviews/{id}/remind", web::post().to(api_remind_review))
        .route("/delivery", web::get().to(api_status))
        .route("/delivery/webhook", web::put().to(api_default_webhook));
}
