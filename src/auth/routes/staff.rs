//! Staff pages for signing in and administering accounts: each handler extracts, calls one
//! action and renders.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{cookie, form_token, html, signed_in, CsrfForm};
use crate::auth::actions::{self, LoginOutcome, SetPassword, SetupInput, SetupOutcome};
use crate::auth::model::{parse_email, parse_token_label, Role, StaffId, TokenId};
use crate::auth::pages;
use crate::error::{AppError, FieldError, PageResult};
use crate::state::AppState;
use crate::web::form::{Csrf, SignInCsrf};
use crate::web::see_other;
use crate::web::session::{Staff, SESSION_COOKIE};
use actix_web::cookie::time::Duration as CookieDuration;

// ---------------------------------------------------------------- first-run setup

pub(super) async fn home(state: web::Data<AppState>, req: HttpRequest) -> PageResult<HttpResponse> {
    if actions::needs_setup(&state).await? {
        return Ok(see_other("/setup"));
    }
    match crate::web::session::authenticate(req).await {
        Ok(staff) if staff.user.can_lead() => Ok(see_other("/teams")),
        Ok(_) => Ok(see_other("/reviews")),
        Err(_) => Ok(see_other("/login")),
    }
}

pub(super) async fn setup_form(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> PageResult<HttpResponse> {
    if !actions::needs_setup(&state).await? {
        return Ok(see_other("/login"));
    }
    let (csrf, set) = form_token(&state, &req);
    Ok(html(StatusCode::OK, pages::setup(&csrf, "", &[]), set))
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub(super) async fn setup_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignInCsrf(form): SignInCsrf<web::Form<SetupForm>>,
) -> PageResult<HttpResponse> {
    let (csrf, _) = form_token(&state, &req);
    let form = form.into_inner();
    let email = form.email.clone();
    let input = SetupInput {
        code: form.code,
        email: form.email,
        password: form.password,
        confirm: form.confirm,
    };
    match actions::setup(&state, input).await? {
        SetupOutcome::Done(token) => Ok(signed_in(&state, "/teams", token)?),
        SetupOutcome::Invalid(errors) => Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::setup(&csrf, &email, &errors),
            None,
        )),
        SetupOutcome::WrongCode => {
            let errors = [FieldError::new(
                "code",
                "That setup code is not the one the server printed.",
            )];
            Ok(html(
                StatusCode::FORBIDDEN,
                pages::setup(&csrf, &email, &errors),
                None,
            ))
        }
    }
}

// ---------------------------------------------------------------- login and logout

pub(super) async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> PageResult<HttpResponse> {
    if actions::needs_setup(&state).await? {
        return Ok(see_other("/setup"));
    }
    let (csrf, set) = form_token(&state, &req);
    let next = return_path(req.query_string().strip_prefix("next=").unwrap_or(""));
    Ok(html(
        StatusCode::OK,
        pages::login(&csrf, "", next, &[]),
        set,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The page to return to (issue 15), checked again here: it came from the browser.
    #[serde(default)]
    next: String,
}

/// The page to return to after signing in, or "" when `raw` is not one of ours.
fn return_path(raw: &str) -> &str {
    crate::web::guide::safe_return_path(raw).unwrap_or("")
}

pub(super) async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignInCsrf(form): SignInCsrf<web::Form<LoginForm>>,
) -> PageResult<HttpResponse> {
    let (csrf, _) = form_token(&state, &req);
    let email = match parse_email(&form.email) {
        Ok(e) => e,
        Err(e) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::login(&csrf, &form.email, return_path(&form.next), &[e]),
                None,
            ))
        }
    };
    match actions::login(&state, email, form.password.clone()).await? {
        LoginOutcome::Ok(_, token) => {
            let to = match return_path(&form.next) {
                "" => "/",
                back => back,
            };
            Ok(signed_in(&state, to, token)?)
        }
        LoginOutcome::Wrong => {
            let errors = [FieldError::new(
                "password",
                "The email or the password is wrong.",
            )];
            Ok(html(
                StatusCode::UNAUTHORIZED,
                pages::login(&csrf, &form.email, return_path(&form.next), &errors),
                None,
            ))
        }
        LoginOutcome::Locked(wait) => {
            let errors = [FieldError::new(
                "password",
                format!("Too many failed attempts. Wait {wait} seconds and try again."),
            )];
            let mut res = html(
                StatusCode::TOO_MANY_REQUESTS,
                pages::login(&csrf, &form.email, return_path(&form.next), &errors),
                None,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
            Ok(res)
        }
    }
}

pub(super) async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    actions::logout(&state, &staff.user, token).await?;
    let mut res = see_other("/login");
    let mut gone = cookie(&state, SESSION_COOKIE, String::new(), CookieDuration::ZERO);
    gone.make_removal();
    res.add_cookie(&gone)
        .map_err(|e| AppError::caused("removing the session cookie", e))?;
    Ok(res)
}

// ---------------------------------------------------------------- set-password links

pub(super) async fn welcome_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult<HttpResponse> {
    let email = actions::password_link_email(&state, &token).await?;
    let (csrf, set) = form_token(&state, &req);
    Ok(html(
        StatusCode::OK,
        pages::set_password(&csrf, &token, &email, &[]),
        set,
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub(super) async fn welcome_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    SignInCsrf(form): SignInCsrf<web::Form<PasswordForm>>,
) -> PageResult<HttpResponse> {
    match actions::set_password(&state, &token, form.password.clone(), &form.confirm).await? {
        SetPassword::Done(session) => Ok(signed_in(&state, "/", session)?),
        SetPassword::Invalid(errors, email) => {
            let (csrf, _) = form_token(&state, &req);
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::set_password(&csrf, &token, &email, &errors),
                None,
            ))
        }
    }
}

// ---------------------------------------------------------------- API tokens (own)

pub(super) async fn account(state: web::Data<AppState>, staff: Staff) -> PageResult<maud::Markup> {
    let tokens = actions::list_tokens(&state, &staff.user).await?;
    Ok(pages::account(&staff.viewer(), &tokens, None, &[]))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    label: String,
}

pub(super) async fn create_token_page(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<TokenForm>>,
) -> PageResult<HttpResponse> {
    let (status, token, tokens, errors) = match parse_token_label(&form.label) {
        Ok(label) => {
            let (token, tokens) = actions::create_api_token(&state, &staff.user, label).await?;
            (StatusCode::CREATED, Some(token), tokens, vec![])
        }
        Err(e) => {
            let tokens = actions::list_tokens(&state, &staff.user).await?;
            (StatusCode::UNPROCESSABLE_ENTITY, None, tokens, vec![e])
        }
    };
    Ok(html(
        status,
        pages::account(&staff.viewer(), &tokens, token.as_deref(), &errors),
        None,
    ))
}

pub(super) async fn revoke_token(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<TokenId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    actions::revoke_token(&state, &staff.user, id.into_inner()).await?;
    Ok(see_other("/account"))
}

// ---------------------------------------------------------------- staff administration

pub(super) async fn staff_page(
    state: web::Data<AppState>,
    staff: Staff,
) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    let rows = actions::list_staff(&state).await?;
    let mail_on = state.settings.mail.is_some();
    Ok(pages::staff_admin(
        &staff.viewer(),
        &rows,
        None,
        &[],
        "",
        mail_on,
    ))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub(super) async fn staff_invite(
    state: web::Data<AppState>,
    staff: Staff,
    Csrf(form): Csrf<web::Form<InviteForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let mut errors = Vec::new();
    let email = parse_email(&form.email)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let role = Role::parse(&form.role).unwrap_or_else(|| {
        errors.push(FieldError::new("role", "Choose a role."));
        Role::Leader
    });
    let input = if errors.is_empty() {
        Ok((email, role))
    } else {
        Err(errors)
    };
    let mail_on = state.settings.mail.is_some();
    // With email on, the link goes to the new staff member only (issue 14).
    let (result, rows) = if mail_on {
        let (r, rows) =
            crate::delivery::staff::invite_staff_listed_by_mail(&state, &staff.user, input).await?;
        (r.map(|email| (email, None)), rows)
    } else {
        let (r, rows) = actions::invite_staff_listed(&state, &staff.user, input).await?;
        (r.map(|(email, link)| (email, Some(link))), rows)
    };
    Ok(match result {
        Ok((email, link)) => {
            let made = match &link {
                Some(link) => pages::NewLink::Shown(&email, link),
                None => pages::NewLink::Mailed(&email),
            };
            html(
                StatusCode::CREATED,
                pages::staff_admin(&staff.viewer(), &rows, Some(made), &[], "", mail_on),
                None,
            )
        }
        Err(errors) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::staff_admin(&staff.viewer(), &rows, None, &errors, &form.email, mail_on),
            None,
        ),
    })
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub(super) async fn staff_role(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<StaffId>,
    Csrf(form): Csrf<web::Form<RoleForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::invalid("role", "Choose admin, leader or facilitator."))?;
    actions::change_role(&state, &staff.user, id.into_inner(), role).await?;
    Ok(see_other("/admin/staff"))
}

pub(super) async fn staff_deactivate(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<StaffId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    actions::change_active(&state, &staff.user, id.into_inner(), false).await?;
    Ok(see_other("/admin/staff"))
}

pub(super) async fn staff_activate(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<StaffId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    actions::change_active(&state, &staff.user, id.into_inner(), true).await?;
    Ok(see_other("/admin/staff"))
}

pub(super) async fn staff_new_link(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<StaffId>,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    let viewer = staff.viewer();
    // With email on, the renewed link goes to its owner only; shown here only without email.
    let page = if state.settings.mail.is_some() {
        let (email, rows) =
            crate::delivery::staff::renew_link_by_mail(&state, &staff.user, id.into_inner())
                .await?;
        pages::staff_admin(
            &viewer,
            &rows,
            Some(pages::NewLink::Mailed(&email)),
            &[],
            "",
            true,
        )
    } else {
        let (email, link, rows) = actions::renew_link(&state, &staff.user, id.into_inner()).await?;
        let shown = pages::NewLink::Shown(&email, &link);
        pages::staff_admin(&viewer, &rows, Some(shown), &[], "", false)
    };
    Ok(html(StatusCode::OK, page, None))
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: i64,
}

pub(super) async fn audit_page(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PageQuery>,
) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    let page = q.page.max(0);
    let (rows, more) = actions::audit_page(&state, page).await?;
    Ok(pages::audit(&staff.viewer(), &rows, page, more))
}
