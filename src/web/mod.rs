//! Web plumbing every feature's routes share: HTML responses, redirects, and (in `session`)
//! the staff extractors with CSRF. Nothing here knows a feature's pages or queries.

pub mod form;
pub mod guide;
pub mod input;
pub mod member;
pub mod session;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

/// Largest JSON or form body accepted. Accounts are the largest legitimate input. Here, not in
/// `app.rs`, because the input guard reads bodies up to it and `app.rs` mounts the guard.
pub const MAX_BODY: usize = 256 * 1024;

/// Status used by page handlers that re-render a form.
pub fn html_response(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// A `303 See Other` after a form post, so a refresh does not post again.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}
