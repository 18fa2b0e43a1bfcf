//! The staff JSON API for accounts: sign-in, who am I, own tokens, staff administration.
//! Each handler's `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi.rs).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::session_cookie;
use crate::auth::actions::{self, LoginOutcome};
use crate::auth::model::{parse_email, parse_token_label, Role, StaffEntry, StaffId, MAX_LABEL};
use crate::error::{ApiError, ApiResult, AppError, Problem};
use crate::state::AppState;
use crate::web::session::ApiStaff;

/// A staff account.
#[derive(Serialize, ToSchema)]
#[schema(as = Staff)]
pub struct StaffJson {
    #[schema(value_type = String)]
    id: StaffId,
    email: String,
    /// `admin`, `leader` or `facilitator`.
    role: String,
    active: bool,
    /// Only when just invited: the one-time link that sets the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    set_password_url: Option<String>,
}

/// Who the caller is.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[schema(value_type = String)]
    id: StaffId,
    email: String,
    #[schema(value_type = String)]
    role: &'static str,
}

/// A new API token, shown once.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    token: String,
}

/// A session: the cookie comes in `Set-Cookie`, and cookie-authenticated writes send this
/// `csrf_token` as `X-CSRF-Token`.
#[derive(Serialize, ToSchema)]
pub struct LoginJson {
    csrf_token: String,
    #[schema(value_type = String)]
    role: &'static str,
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

/// The signed-in staff member.
#[utoipa::path(get, path = "/me", tag = "staff accounts",
    responses((status = 200, description = "The caller", body = Me)))]
pub(super) async fn api_me(staff: ApiStaff) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Me {
        id: staff.user.id.clone(),
        email: staff.user.email.clone(),
        role: staff.user.role.as_str(),
    }))
}

/// Every staff account (admins only).
#[utoipa::path(get, path = "/staff", tag = "staff accounts",
    responses((status = 200, description = "The staff", body = Vec<StaffJson>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_staff_list(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let rows = actions::list_staff(&state).await?;
    let out: Vec<StaffJson> = rows.into_iter().map(StaffJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, ToSchema)]
pub struct StaffCreate {
    email: String,
    /// `admin`, `leader` or `facilitator`.
    role: String,
    /// Mail the set-password link to the new staff member instead of returning it (needs
    /// email delivery): then no admin ever holds it.
    #[serde(default)]
    send_email: bool,
}

/// Invites a staff member; answers with a one-time set-password URL (admins only).
#[utoipa::path(post, path = "/staff", tag = "staff accounts", request_body = StaffCreate,
    responses((status = 201, description = "The new account and its set-password link", body = StaffJson),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This email has an account", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_staff_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<StaffCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let email = parse_email(&body.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let role = parse_role(&body.role)?;
    let (id, link) = if body.send_email {
        let id =
            crate::delivery::staff::invite_staff_by_mail(&state, &staff.user, email, role).await?;
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

#[derive(Deserialize, ToSchema)]
pub struct StaffPatch {
    role: Option<String>,
    active: Option<bool>,
}

/// Changes a staff member's role, or deactivates or reactivates them (admins only).
#[utoipa::path(patch, path = "/staff/{staff_id}", tag = "staff accounts",
    params(("staff_id" = String, Path, description = "The staff account's id")), request_body = StaffPatch,
    responses((status = 200, description = "The changed account", body = StaffJson),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would leave no active admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_staff_update(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<StaffId>,
    body: web::Json<StaffPatch>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let row =
        actions::update_staff(&state, &staff.user, id.into_inner(), role, body.active).await?;
    Ok(HttpResponse::Ok().json(StaffJson::from(row)))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenCreate {
    label: String,
}

/// Creates an API token for the caller.
#[utoipa::path(post, path = "/me/tokens", tag = "staff accounts", request_body = TokenCreate,
    responses((status = 201, description = "The token, shown only now", body = NewToken)))]
pub(super) async fn api_token_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<TokenCreate>,
) -> ApiResult<HttpResponse> {
    let label = parse_token_label(&body.label)
        .map_err(|_| AppError::invalid("label", format!("1 to {MAX_LABEL} characters")))?;
    let (token, _) = actions::create_api_token(&state, &staff.user, label).await?;
    Ok(HttpResponse::Created().json(NewToken { token }))
}

#[derive(Deserialize, ToSchema)]
pub struct ApiLogin {
    email: String,
    password: String,
}

/// Signs in from a script or single-page client; answers with the session cookie and the
/// CSRF token that cookie-authenticated API writes must send as `X-CSRF-Token`.
#[utoipa::path(post, path = "/login", tag = "staff accounts", security(()), request_body = ApiLogin,
    responses((status = 200, description = "Signed in; the session cookie is in `Set-Cookie`", body = LoginJson),
        (status = 403, description = "The email or the password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
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
                .json(LoginJson {
                    csrf_token: csrf,
                    role: user.role.as_str(),
                }))
        }
        LoginOutcome::Wrong => Err(ApiError(AppError::Forbidden(
            "the email or the password is wrong".into(),
        ))),
        LoginOutcome::Locked(wait) => {
            Err(ApiError(AppError::TooManyAttempts { retry_after: wait }))
        }
    }
}

/// The account operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(
    api_login,
    api_me,
    api_token_create,
    api_staff_list,
    api_staff_create,
    api_staff_update
))]
pub struct AuthApi;
