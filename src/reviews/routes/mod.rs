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
        )
        .route("/p/reviews/{id}", web::post().to(member::account_page))
        .route("/p/reviews/{id}/fallback", web::post().to(member::fallback))
        .route("/p/followups", web::get().to(member::followups_form))
        .route("/p/followups", web::post().to(member::followups_open))
        .route(
            "/p/followups/reply",
            web::post().to(member::followups_reply),
        )
        .route("/p/followups/add", web::post().to(member::followups_add));
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
        .route("/reviews/{id}/accounts", web::post().to(api::submit))
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
        )
        .route("/followups", web::post().to(api::followups))
        .route("/followups/reply", web::post().to(api::reply))
        .route("/followups/add", web::post().to(api::add));
}

// ---------------------------------------------------------------- form helpers

/// The first value a form sent under `name`, or empty.
fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Every value a form sent under `name`, in document order.
fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

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
