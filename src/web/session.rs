//! Who is asking, for staff routes: the `Staff` extractor for pages (unauthenticated means a
//! redirect to the login page) and `ApiStaff` for the JSON API, with CSRF checks. Shared by
//! every feature's routes, so it lives here rather than in `auth`, whose store it reads.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};

use crate::auth::model::StaffUser;
use crate::auth::store;
use crate::error::{ApiError, AppError};
use crate::html::Viewer;
use crate::secret::constant_eq;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "candor_session";
/// Binds the sign-in forms (which have no session yet) to the browser that loaded them.
pub const FORM_COOKIE: &str = "candor_form";
pub const CSRF_MESSAGE: &str =
    "This form expired or did not come from Candor. Reload the page and try again.";

/// How the request was authenticated; only sessions carry a CSRF token.
#[derive(Clone, Debug)]
pub enum Via {
    Session { csrf: String },
    Token,
}

/// A signed-in staff member on a page (unauthenticated: redirect to the login page).
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: StaffUser,
    pub via: Via,
}

impl Staff {
    pub fn viewer(&self) -> Viewer {
        Viewer {
            email: self.user.email.clone(),
            is_admin: self.user.is_admin(),
            csrf: self.csrf().to_owned(),
            can_lead: self.user.can_lead(),
            can_facilitate: self.user.can_facilitate(),
        }
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            Via::Token => "",
        }
    }

    /// Every state-changing staff form carries the session's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        match &self.via {
            Via::Session { csrf } if constant_eq(csrf.as_bytes(), sent.as_bytes()) => Ok(()),
            Via::Token => Ok(()),
            _ => Err(AppError::Forbidden(CSRF_MESSAGE.into())),
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.user.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
    pub fn require_leader(&self) -> Result<(), AppError> {
        if self.user.can_lead() {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
    pub fn require_facilitator(&self) -> Result<(), AppError> {
        if self.user.can_facilitate() {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// Finds the staff member behind a bearer token or session cookie. Sessions and tokens hold
/// only a user id: the user, their role and whether they are active are read from the
/// database on every request, never from the credential, so a role change or deactivation
/// applies to every existing session and token at their next request (G12).
pub(crate) async fn authenticate(req: HttpRequest) -> Result<Staff, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("no state"))?
        .clone();
    if let Some(token) = bearer(&req) {
        let hash = state.keys.keyed_hash("api-token", token.as_bytes());
        let user = state
            .db
            .read(move |c| Ok(store::find_token_user(c, &hash)?))
            .await?;
        return user
            .map(|user| Staff {
                user,
                via: Via::Token,
            })
            .ok_or(AppError::Unauthorized);
    }
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Err(AppError::Unauthorized);
    };
    let token = cookie.value().to_owned();
    let hash = state.keys.keyed_hash("session", token.as_bytes());
    let now = state.clock.now();
    let user = state
        .db
        .read(move |c| Ok(store::find_session_user(c, &hash, now)?))
        .await?;
    let csrf = session_csrf(&state.keys, &token);
    user.map(|user| Staff {
        user,
        via: Via::Session { csrf },
    })
    .ok_or(AppError::Unauthorized)
}

/// The bearer token a request authenticates with, if any: the one rule both `authenticate`
/// and the CSRF check read, so a request is never treated as token-authenticated by one and
/// cookie-authenticated by the other.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
}

/// A session's CSRF token: a keyed hash of the session token, so it needs no storage and
/// cannot be computed without the instance secret.
pub(crate) fn session_csrf(keys: &crate::secret::Keys, session_token: &str) -> String {
    keys.keyed_hash("csrf", session_token.as_bytes())
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// A signed-in staff member on the JSON API. Cookie-authenticated writes need the
/// `X-CSRF-Token` header; bearer tokens are not sent by browsers on their own, so need none.
#[derive(Clone, Debug)]
pub struct ApiStaff(pub Staff);

impl FromRequest for ApiStaff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let staff = authenticate(req.clone()).await.map_err(ApiError)?;
            let safe = matches!(*req.method(), Method::GET | Method::HEAD);
            if !safe {
                let sent = req
                    .headers()
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                staff.check_csrf(sent).map_err(ApiError)?;
            }
            Ok(ApiStaff(staff))
        })
    }
}

impl std::ops::Deref for ApiStaff {
    type Target = Staff;
    fn deref(&self) -> &Staff {
        &self.0
    }
}
