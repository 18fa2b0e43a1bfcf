//! Pulse handlers, by audience: `staff` (pages for leaders and admins), `api` (the staff
//! JSON API and its DTOs) and `member` (anonymous: the answer form, the no-JavaScript
//! fallback and the answers endpoint, mounted by `configure_member` in the member scope). Each extracts, calls one
//! action and renders; none runs SQL.

use actix_web::web;

use crate::web::member::MemberRoutes;

mod api;
mod member;
mod staff;

pub use api::QuestionJson;

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut doc = api::PulseApi::openapi();
    doc.merge(member::PulseMemberApi::openapi());
    doc
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/rounds", web::get().to(staff::rounds_index))
        .route("/rounds/{id}", web::get().to(staff::round_page))
        .route("/rounds/{id}/close", web::post().to(staff::close_page))
        .route("/teams/{id}/rounds", web::get().to(staff::team_pulse))
        .route("/teams/{id}/rounds", web::post().to(staff::open_form))
        .route(
            "/teams/{id}/questions",
            web::get().to(staff::questions_page),
        )
        .route("/teams/{id}/questions", web::post().to(staff::add_question))
        .route(
            "/teams/{id}/questions/{qid}",
            web::post().to(staff::edit_question),
        )
        .route("/teams/{id}/trend.csv", web::get().to(staff::trend_csv))
        .route("/about/score", web::get().to(staff::about_score));
}

/// Anonymous routes: mounted in the member scope (`web::member`), never logged, no cookies.
pub fn configure_member(m: &mut MemberRoutes) {
    m.post("/p/rounds/{id}", member::member_form)
        .post("/p/rounds/{id}/fallback", member::member_fallback)
        .post("/api/v1/rounds/{id}/answers", member::api_answers);
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams/{id}/rounds", web::post().to(api::open))
        .route("/teams/{id}/rounds", web::get().to(api::team_rounds))
        .route("/teams/{id}/trend", web::get().to(api::trend))
        .route("/rounds/{id}", web::get().to(api::round))
        .route("/rounds/{id}/close", web::post().to(api::close))
        .route("/rounds/{id}/results", web::get().to(api::results));
}
