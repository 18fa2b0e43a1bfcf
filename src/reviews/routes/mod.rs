//! Review routes, by audience: `staff` (the facilitators' pages), `member` (the writer's
//! anonymous pages under `/p`) and `api` (the JSON API, staff and anonymous, with its DTOs).
//! Each handler extracts, calls one action, and renders or serialises.
//!
//! Nothing a member submits is logged or audited; staff actions are audited.

mod api;
mod member;
mod staff;

use actix_web::web;

use crate::error::FieldError;
use crate::web::member::MemberRoutes;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(staff::list_page))
        .route("/reviews", web::post().to(staff::create_page))
        .route("/reviews/new", web::get().to(staff::new_page))
        .route("/reviews/{id}", web::get().to(staff::detail_page))
        .route(
            "/reviews/{id}/accounts/{account}/questions",
            web::post().to(staff::ask_page),
        )
        .route("/reviews/{id}/close", web::post().to(staff::close_page))
        .route(
            "/reviews/{id}/facilitators",
            web::post().to(staff::facilitator_page),
        )
        .route(
            "/reviews/{id}/preread.md",
            web::get().to(staff::preread_page),
        )
        .route(
            "/reviews/{id}/invites.csv",
            web::get().to(staff::invites_csv),
        );
}

/// The writer's anonymous routes, pages and API: mounted in the member scope (`web::member`).
pub fn configure_member(m: &mut MemberRoutes) {
    m.post("/p/reviews/{id}", member::account_page)
        .post("/p/reviews/{id}/fallback", member::fallback)
        .get("/p/followups", member::followups_form)
        .post("/p/followups", member::followups_open)
        .post("/p/followups/reply", member::followups_reply)
        .post("/p/followups/add", member::followups_add)
        .post_beside_staff("/api/v1/reviews/{id}/accounts", api::submit)
        .post("/api/v1/followups", api::followups)
        .post("/api/v1/followups/reply", api::reply)
        .post("/api/v1/followups/add", api::add);
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::ReviewsApi::openapi()
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::post().to(api::create))
        .route("/reviews", web::get().to(api::list))
        .route("/reviews/{id}", web::get().to(api::get))
        .route("/reviews/{id}/invites", web::get().to(api::invites))
        .route("/reviews/{id}/accounts", web::get().to(api::accounts))
        .route(
            "/reviews/{id}/accounts/{account}/questions",
            web::post().to(api::ask),
        )
        .route("/reviews/{id}/close", web::post().to(api::close))
        .route("/reviews/{id}/preread", web::get().to(api::preread))
        .route(
            "/reviews/{id}/facilitators",
            web::post().to(api::add_facilitator),
        );
}

// ---------------------------------------------------------------- form helpers

/// A form's optional whole number: blank is `None`.
fn parse_number(field: &str, raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| FieldError::new(field, "Enter a whole number."))
}
