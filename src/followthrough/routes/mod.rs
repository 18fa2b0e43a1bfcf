//! Closing the loop's handlers, by audience: `staff` (the round's actions and the review's
//! action items, pages and exports), `api` (the staff JSON API and its DTOs) and `member`
//! (the DTOs members read through `POST /participate`). Each extracts, calls one action and
//! renders; none runs SQL.

mod api;
mod member;
mod staff;

use actix_web::web;

pub use member::{MemberActionJson, MemberItemJson};

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi/).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::FollowThroughApi::openapi()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use staff::*;
    cfg.route("/rounds/{id}/actions", web::get().to(round_actions))
        .route("/rounds/{id}/actions", web::post().to(record_action))
        .route("/actions/{id}", web::post().to(change_action))
        .route("/reviews/{id}/items", web::get().to(review_items))
        .route("/reviews/{id}/items", web::post().to(record_item))
        .route("/reviews/{id}/items.csv", web::get().to(items_csv))
        .route("/reviews/{id}/items.md", web::get().to(items_md))
        .route("/review-items/{id}", web::post().to(change_item));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use api::*;
    cfg.route("/rounds/{id}/actions", web::post().to(api_record_action))
        .route("/actions/{id}", web::patch().to(api_change_action))
        .route("/teams/{id}/actions", web::get().to(api_team_actions))
        .route("/reviews/{id}/items", web::post().to(api_record_item))
        .route("/reviews/{id}/items", web::get().to(api_review_items))
        .route("/review-items/{id}", web::patch().to(api_change_item));
}
