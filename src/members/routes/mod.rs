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
        // A member's form opened by GET (back button, bookmark, reload): the invite is never
        // in the address, so this says how to get back instead of a 404 (issue 15).
        .route("/p/rounds/{id}", web::get().to(reopen))
        .route("/p/reviews/{id}", web::get().to(reopen))
        .route("/transparency", web::get().to(transparency));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use member::*;
    cfg.route("/participate", web::post().to(api_participate))
        .route("/transparency", web::get().to(api_transparency))
        .route("/keys", web::get().to(api_keys))
        .route("/rounds/{id}/bulletin", web::get().to(api_round_bulletin))
        .route("/reviews/{id}/bulletin", web::get().to(api_review_bulletin));
}
