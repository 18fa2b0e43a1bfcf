//! Comment conversation routes, by audience: `staff` (the reply form under a round's
//! results), `member` (the writer's anonymous pages under `/p`) and `api` (the staff reply and
//! the writer's receipt-gated endpoints, with their DTOs). Each handler extracts, calls one
//! action, and renders or serialises.

mod api;
mod member;
mod staff;

use actix_web::web;

use crate::web::member::MemberRoutes;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/rounds/{id}/comments/{comment}/replies",
        web::post().to(staff::reply_page),
    );
}

/// The writer's anonymous routes, pages and API: mounted in the member scope (`web::member`).
pub fn configure_member(m: &mut MemberRoutes) {
    m.get("/p/comments", member::receipt_page)
        .post("/p/comments", member::open_page)
        .post("/p/comments/reply", member::reply_page)
        .post("/api/v1/comments/thread", api::thread)
        .post("/api/v1/comments/reply", api::writer_reply);
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/rounds/{id}/comments/{comment}/replies",
        web::post().to(api::staff_reply),
    );
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::ThreadsApi::openapi()
}
