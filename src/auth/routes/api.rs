//! The staff JSON API for accounts: sign-in, who am I, own tokens, staff administration.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::session_cookie;
use crate::auth::actions::{self, LoginOutcome};
use crate::auth::model::{parse_email, parse_token_label, Role, StaffEntry, MAX_LABEL};
use crate::error::{ApiError, ApiResult, AppError};
use crate::state::AppState;
use crate::web::session::ApiStaff;

#[derive(Serialize)]
pub struct StaffJson {
    id: String,
    email: String,
    role: String,
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_password_url: Option<String>,
}

impl From<StaffEntry> for StaffJson {
    fn from(r: StaffEntry) -> Self {
        StaffJson {
            id: r.id,
            email: r.email,
            role: r.role,
            active: r.active,
            set_password_url: None,
        }
    }
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw)
        .ok_or_else(|| AppError::invalid("role", "must be admin, leader or facilitator"))
}

pub(super) async fn api_me(staff: ApiStaff) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": staff.user.id, "email": staff.user.email, "role": staff.user.role.as_str(),
    })))
}

pub(super) async fn api_staff_list(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let rows = actions::list_staff(&state).await?;
    let out: Vec<StaffJson> = rows.into_iter().map(StaffJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
pub struct StaffCreate {
    email: String,
    role: String,
    /// Mail the set-password link to the new staff member instead of returning it (needs
    /// email delivery): then no admin ever holds it.
    #[serde(default)]
    send_email: bool,
}

pub(super) async fn api_staff_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<StaffCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let email = parse_email(&body.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let role = parse_role(&body.role)?;
    let (id, link) = if body.send_email {
        let id = crate::delivery::actions::invite_staff_by_mail(&state, &staff.user, email, role)
            .await?;
        (id, None)
    } else {
        let (id, link) = actions::invite_staff(&state, &staff.user, email, role).await?;
        (id, Some(link))
    };
    Ok(HttpResponse::Created().json(StaffJson {
        id,
        email: body.email.trim().to_lowercase(),
        role: role.as_str().into(),
        active: true,
        set_password_url: link,
    }))
}

#[derive(Deserialize)]
pub struct StaffPatch {
    role: Option<String>,
    active: Option<bool>,
}

pub(super) async fn api_staff_update(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<StaffPatch>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let row =
        actions::update_staff(&state, &staff.user, id.into_inner(), role, body.active).await?;
    Ok(HttpResponse::Ok().json(StaffJson::from(row)))
}

#[derive(Deserialize)]
pub struct TokenCreate {
    label: String,
}

pub(super) async fn api_token_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<TokenCreate>,
) -> ApiResult<HttpResponse> {
    let label = parse_token_label(&body.label)
        .map_err(|_| AppError::invalid("label", format!("1 to {MAX_LABEL} characters")))?;
    let (token, _) = actions::create_api_token(&state, &staff.user, label).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "token": token })))
}

#[derive(Deserialize)]
pub struct ApiLogin {
    email: String,
    password: String,
}

/// Signs in from a script or single-page client; answers with the session cookie and the
/// CSRF token that cookie-authenticated API writes must send as `X-CSRF-Token`.
pub(super) async fn api_login(
    state: web::Data<AppState>,
    body: web::Json<ApiLogin>,
) -> ApiResult<HttpResponse> {
    let email = parse_email(&body.email).map_err(|e| AppError::Invalid(vec![e]))?;
    match actions::login(&state, email, body.password.clone()).await? {
        LoginOutcome::Ok(user, token) => {
            let csrf = state.keys.keyed_hash("csrf", token.as_bytes());
            Ok(HttpResponse::Ok()
                .cookie(session_cookie(&state, token))
                .json(serde_json::json!({ "csrf_token": csrf, "role": user.role.as_str() })))
        }
        LoginOutcome::Wrong => Err(ApiError(AppError::Forbidden(
            "the email or the password is wrong".into(),
        ))),
        LoginOutcome::Locked(wait) => {
            Err(ApiError(AppError::TooManyAttempts { retry_after: wait }))
        }
    }
}
