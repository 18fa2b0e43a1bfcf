//! The member's entry: `/p` (the invite link lands here), `POST /api/v1/participate`, the
//! key directory and the public transparency page, all in `member.rs`. All anonymous: no
//! cookie, no log line (G4, G5).

mod member;

use actix_web::web;

pub use super::actions::CLOSED_KEYS_LISTED_DAYS;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use member::*;
    cfg.route("/p", web::get().to(landing))
        .route("/p", web::post().to(open_page))
        .route("/transparency", web::get().to(transparency));
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    member::MembersApi::openapi()
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use member::*;
    cfg.route("/participate", web::post().to(api_participate))
        .route("/transparency", web::get().to(api_transparency))
        .route("/keys", web::get().to(api_keys));
}
