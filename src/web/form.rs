//! Form extractors. `Csrf<Form<T>>`: a staff form whose CSRF token is checked and whose fields are decoded in
//! one step, before the handler runs. Every state-changing staff form takes one, so no handler
//! can forget the check (each used to call `check_csrf` itself) and a new form gets it by its
//! signature. `SignInCsrf<Form<T>>` is the same for the sign-in forms (setup, login, a
//! set-password link), which have no session yet and are bound to the `candor_form` cookie.
//!
//! `HtmlForm<T>` is a form with no token (the anonymous member forms, which carry no cookie
//! to bind one to). Forms are decoded with `serde_html_form`, so a key sent more than once (a review's teams,
//! an account's timeline rows) fills a `Vec` field. The token is read from the same body: one
//! `_csrf` value exactly, compared in constant time with the keyed hash of the browser's
//! cookie. No database is read here; the `Staff` extractor still checks the session itself.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::session::{bearer, session_csrf, CSRF_MESSAGE, FORM_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::secret::constant_eq;
use crate::state::AppState;

/// A signed-in staff form: the session's CSRF token was right. Use as
/// `Csrf(form): Csrf<web::Form<T>>` next to a `Staff` argument.
pub struct Csrf<F>(pub F);

/// A sign-in form (no session yet): the token bound to the `candor_form` cookie was right.
pub struct SignInCsrf<F>(pub F);

/// A form without a token, decoded the same way (repeated keys fill `Vec` fields). For the
/// member's anonymous forms only: every staff form takes `Csrf` or `SignInCsrf`.
pub struct HtmlForm<T>(pub T);

/// The token field every Candor form carries. A `Vec`, so a body that sends it twice (two
/// values to choose from) is refused rather than one of them picked.
#[derive(Deserialize)]
struct Token {
    #[serde(default, rename = "_csrf")]
    csrf: Vec<String>,
}

/// Which cookie the token is bound to, if any.
#[derive(Clone, Copy)]
enum Binding {
    Session,
    SignIn,
    None,
}

impl<T: DeserializeOwned + 'static> FromRequest for Csrf<web::Form<T>> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = checked_form::<T>(req, payload, Binding::Session);
        Box::pin(async move { Ok(Csrf(web::Form(form.await?))) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for SignInCsrf<web::Form<T>> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = checked_form::<T>(req, payload, Binding::SignIn);
        Box::pin(async move { Ok(SignInCsrf(web::Form(form.await?))) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for HtmlForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = checked_form::<T>(req, payload, Binding::None);
        Box::pin(async move { Ok(HtmlForm(form.await?)) })
    }
}

/// Reads the body (within the app's payload limit), checks the token, then decodes `T`. The
/// token is checked before the fields, so a forged post learns nothing from field errors.
fn checked_form<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    binding: Binding,
) -> impl Future<Output = Result<T, AppError>> + 'static {
    let req = req.clone();
    let body = web::Bytes::from_request(&req, payload);
    async move {
        if !req
            .content_type()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        {
            return Err(AppError::BadRequest(
                "send the form as application/x-www-form-urlencoded".into(),
            ));
        }
        let body = body.await.map_err(|e| {
            if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                unreadable()
            }
        })?;
        if !matches!(binding, Binding::None) {
            let sent = match serde_html_form::from_bytes::<Token>(&body) {
                Ok(Token { mut csrf }) if csrf.len() == 1 => csrf.pop().unwrap_or_default(),
                _ => String::new(),
            };
            check(&req, binding, &sent)?;
        }
        serde_html_form::from_bytes::<T>(&body).map_err(|_| unreadable())
    }
}

fn unreadable() -> AppError {
    AppError::BadRequest("the form could not be read; reload the page and try again".into())
}

/// Compares the sent token with the one derived from the browser's cookie. A request with a
/// bearer token needs none (browsers never add one on their own); one with no session cookie
/// is not signed in, answered as the `Staff` extractor would (a redirect to the login page).
fn check(req: &HttpRequest, binding: Binding, sent: &str) -> Result<(), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("no state"))?;
    let expected = match binding {
        Binding::Session => {
            if bearer(req).is_some() {
                return Ok(());
            }
            let cookie = req.cookie(SESSION_COOKIE).ok_or(AppError::Unauthorized)?;
            session_csrf(&state.keys, cookie.value())
        }
        Binding::SignIn => match req.cookie(FORM_COOKIE) {
            Some(c) => state.keys.keyed_hash("form-csrf", c.value().as_bytes()),
            None => return Err(AppError::Forbidden(CSRF_MESSAGE.into())),
        },
        Binding::None => return Ok(()),
    };
    if constant_eq(expected.as_bytes(), sent.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Forbidden(CSRF_MESSAGE.into()))
    }
}
