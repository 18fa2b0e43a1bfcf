//! Staff authentication routes: setup, login, logout, set-password links, API tokens, the
//! staff admin page and the audit log (`staff.rs`), and their JSON API (`api.rs`). Also the
//! sign-in forms' CSRF cookie, which exists before any session does.

mod api;
mod staff;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::model::SESSION_HOURS;
use crate::error::AppError;
use crate::secret::random_token;
use crate::state::AppState;

pub use super::actions::{create_token, prepare_setup};
pub use super::model::MAX_LABEL;
pub use crate::web::see_other;
pub use crate::web::session::SESSION_COOKIE;
pub use crate::web::session::{ApiStaff, Staff, Via};

pub use crate::web::session::FORM_COOKIE;

/// A form whose only field is the CSRF token (logout, revoke, deactivate...).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

fn cookie<'a>(
    state: &AppState,
    name: &'a str,
    value: String,
    max_age: CookieDuration,
) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.secure_cookies)
        .max_age(max_age)
        .finish()
}

fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    cookie(
        state,
        SESSION_COOKIE,
        token,
        CookieDuration::hours(SESSION_HOURS),
    )
}

/// The CSRF value for the sign-in forms, and the cookie to set when the browser has none.
fn form_token(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(FORM_COOKIE) {
        Some(c) if c.value().len() >= 32 => (
            state.keys.keyed_hash("form-csrf", c.value().as_bytes()),
            None,
        ),
        _ => {
            let value = random_token();
            let csrf = state.keys.keyed_hash("form-csrf", value.as_bytes());
            (
                csrf,
                Some(cookie(
                    state,
                    FORM_COOKIE,
                    value,
                    CookieDuration::hours(SESSION_HOURS),
                )),
            )
        }
    }
}

fn html(status: StatusCode, markup: maud::Markup, set: Option<Cookie<'static>>) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    if let Some(c) = set {
        res.cookie(c);
    }
    res.content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// A redirect that also sets the new session's cookie.
fn signed_in(state: &AppState, to: &str, token: String) -> Result<HttpResponse, AppError> {
    let mut res = see_other(to);
    res.add_cookie(&session_cookie(state, token))
        .map_err(|e| AppError::caused("setting the session cookie", e))?;
    Ok(res)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use staff::*;
    cfg.route("/", web::get().to(home))
        .route("/setup", web::get().to(setup_form))
        .route("/setup", web::post().to(setup_submit))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login_submit))
        .route("/logout", web::post().to(logout))
        .route("/welcome/{token}", web::get().to(welcome_form))
        .route("/welcome/{token}", web::post().to(welcome_submit))
        .route("/account", web::get().to(account))
        .route("/account/tokens", web::post().to(create_token_page))
        .route("/account/tokens/{id}/revoke", web::post().to(revoke_token))
        .route("/admin/staff", web::get().to(staff_page))
        .route("/admin/staff", web::post().to(staff_invite))
        .route("/admin/staff/{id}/role", web::post().to(staff_role))
        .route(
            "/admin/staff/{id}/deactivate",
            web::post().to(staff_deactivate),
        )
        .route("/admin/staff/{id}/activate", web::post().to(staff_activate))
        .route("/admin/staff/{id}/link", web::post().to(staff_new_link))
        .route("/admin/audit", web::get().to(audit_page));
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::AuthApi::openapi()
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use api::*;
    cfg.route("/login", web::post().to(api_login))
        .route("/me", web::get().to(api_me))
        .route("/me/tokens", web::post().to(api_token_create))
        .route("/staff", web::get().to(api_staff_list))
        .route("/staff", web::post().to(api_staff_create))
        .route("/staff/{id}", web::patch().to(api_staff_update));
}
