//! Staff authentication: the `Staff` extractors, sessions, CSRF, setup, login, logout,
//! set-password links, API tokens, the staff admin page and the audit log.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{check_password, parse_email, Role, StaffUser};
use super::{pages, store};
use crate::error::{ApiError, ApiResult, AppError, FieldError, PageResult};
use crate::secret::{constant_eq, now, random_token};
use crate::state::AppState;

pub use crate::web::session::SESSION_COOKIE;
/// Binds the sign-in forms (which have no session yet) to the browser that loaded them.
pub const FORM_COOKIE: &str = "candor_form";
const SESSION_HOURS: i64 = 12;
const PASSWORD_LINK_DAYS: i64 = 7;
pub use crate::web::see_other;
use crate::web::session::CSRF_MESSAGE;
pub use crate::web::session::{ApiStaff, Staff, Via};

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

fn check_form_token(state: &AppState, req: &HttpRequest, sent: &str) -> Result<(), AppError> {
    let expected = req
        .cookie(FORM_COOKIE)
        .map(|c| state.keys.keyed_hash("form-csrf", c.value().as_bytes()));
    match expected {
        Some(e) if constant_eq(e.as_bytes(), sent.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden(CSRF_MESSAGE.into())),
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

/// A new session's token (for the cookie), its keyed hash (for the database) and its end.
fn new_session(state: &AppState) -> (String, String, time::PrimitiveDateTime) {
    let token = random_token();
    let hash = state.keys.keyed_hash("session", token.as_bytes());
    (token, hash, now() + time::Duration::hours(SESSION_HOURS))
}

fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    cookie(
        state,
        SESSION_COOKIE,
        token,
        CookieDuration::hours(SESSION_HOURS),
    )
}

/// Starts a session: a random token in the cookie, only its keyed hash in the database.
async fn start_session(
    state: &AppState,
    user_id: String,
    audit_action: &'static str,
    email: String,
) -> Result<Cookie<'static>, AppError> {
    let (token, hash, expires) = new_session(state);
    state
        .db
        .write(move |c| {
            store::delete_expired_sessions(c)?;
            store::insert_session(c, &hash, &user_id, expires)?;
            store::audit(c, Some(&email), audit_action, "")?;
            Ok(())
        })
        .await?;
    Ok(session_cookie(state, token))
}

// ---------------------------------------------------------------- first-run setup

/// Makes a fresh one-time setup code when no staff exists, stores its keyed hash and returns
/// it for the server to print. Returns `None` once an admin exists.
pub fn prepare_setup(state: &AppState) -> Result<Option<String>, AppError> {
    let mut conn = state.db.get_write()?;
    if store::count_staff(&mut conn)? > 0 {
        store::delete_setting(&mut conn, "setup_code")?;
        return Ok(None);
    }
    let code = crate::secret::b64(&crate::secret::random_bytes(12));
    store::put_setting(
        &mut conn,
        "setup_code",
        &state.keys.keyed_hash("setup-code", code.as_bytes()),
    )?;
    Ok(Some(code))
}

async fn needs_setup(state: &AppState) -> Result<bool, AppError> {
    state.db.read(|c| Ok(store::count_staff(c)? == 0)).await
}

async fn home(state: web::Data<AppState>, req: HttpRequest) -> PageResult<HttpResponse> {
    if needs_setup(&state).await? {
        return Ok(see_other("/setup"));
    }
    match crate::web::session::authenticate(req).await {
        Ok(staff) if staff.user.can_lead() => Ok(see_other("/teams")),
        Ok(_) => Ok(see_other("/reviews")),
        Err(_) => Ok(see_other("/login")),
    }
}

async fn setup_form(state: web::Data<AppState>, req: HttpRequest) -> PageResult<HttpResponse> {
    if !needs_setup(&state).await? {
        return Ok(see_other("/login"));
    }
    let (csrf, set) = form_token(&state, &req);
    Ok(html(StatusCode::OK, pages::setup(&csrf, "", &[]), set))
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn setup_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SetupForm>,
) -> PageResult<HttpResponse> {
    check_form_token(&state, &req, &form.csrf)?;
    let (csrf, _) = form_token(&state, &req);
    let mut errors = check_password(&form.password, Some(&form.confirm));
    let email = parse_email(&form.email)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if form.code.trim().is_empty() {
        errors.push(FieldError::new(
            "code",
            "Enter the setup code from the server's output.",
        ));
    }
    if !errors.is_empty() {
        return Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::setup(&csrf, &form.email, &errors),
            None,
        ));
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let code_hash = state
        .keys
        .keyed_hash("setup-code", form.code.trim().as_bytes());
    let created = {
        let email = email.clone();
        state
            .db
            .write(move |c| {
                if store::count_staff(c)? > 0 {
                    return Err(AppError::Gone(
                        "Candor is already set up. Sign in instead.".into(),
                    ));
                }
                let stored = store::get_setting(c, "setup_code")?;
                if !stored.is_some_and(|s| constant_eq(s.as_bytes(), code_hash.as_bytes())) {
                    return Ok(None);
                }
                let id = store::insert_staff(c, &email, Some(&hash), Role::Admin)?;
                store::delete_setting(c, "setup_code")?;
                store::audit(
                    c,
                    Some(&email),
                    "setup.admin_created",
                    "first administrator",
                )?;
                Ok(Some(id))
            })
            .await?
    };
    let Some(id) = created else {
        let errors = [FieldError::new(
            "code",
            "That setup code is not the one the server printed.",
        )];
        return Ok(html(
            StatusCode::FORBIDDEN,
            pages::setup(&csrf, &form.email, &errors),
            None,
        ));
    };
    let session = start_session(&state, id, "login", email).await?;
    let mut res = see_other("/teams");
    res.add_cookie(&session)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(res)
}

// ---------------------------------------------------------------- login and logout

async fn login_form(state: web::Data<AppState>, req: HttpRequest) -> PageResult<HttpResponse> {
    if needs_setup(&state).await? {
        return Ok(see_other("/setup"));
    }
    let (csrf, set) = form_token(&state, &req);
    Ok(html(StatusCode::OK, pages::login(&csrf, "", &[]), set))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The outcome of checking credentials, shared by the login page and the API.
enum LoginOutcome {
    Ok(StaffUser),
    Wrong,
    Locked(u64),
}

/// Same work for an unknown email as for a wrong password; throttled per email address
/// whether or not it exists, so the throttle reveals nothing either. Every attempt is
/// counted as a failure before the hash runs (`store::count_login_attempt`), so concurrent
/// guesses cannot all be checked against one stale count; a locked-out attempt never
/// reaches the hasher; a success clears the count.
async fn check_credentials(
    state: &AppState,
    email: String,
    password: String,
) -> Result<LoginOutcome, AppError> {
    let key = state.keys.keyed_hash("login", email.as_bytes());
    let current = now();
    let (attempt, user) = {
        let key = key.clone();
        state
            .db
            .write(move |c| {
                let attempt = store::count_login_attempt(c, &key, current)?;
                let user = match attempt {
                    store::Attempt::Counted(_) => store::find_staff_by_email(c, &email)?,
                    store::Attempt::Locked(_) => None,
                };
                Ok((attempt, user))
            })
            .await?
    };
    if let store::Attempt::Locked(until) = attempt {
        let wait = (until - current).whole_seconds().max(1) as u64;
        return Ok(LoginOutcome::Locked(wait));
    }
    let active = user.filter(|u| u.active);
    let stored = active.as_ref().and_then(|u| u.password_hash.clone());
    let ok = state.hasher.verify(stored, password).await?;
    match (ok, active) {
        (true, Some(row)) => {
            state
                .db
                .write(move |c| Ok(store::clear_throttle(c, &key)?))
                .await?;
            Ok(LoginOutcome::Ok(row.user()))
        }
        _ => Ok(LoginOutcome::Wrong),
    }
}

async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> PageResult<HttpResponse> {
    check_form_token(&state, &req, &form.csrf)?;
    let (csrf, _) = form_token(&state, &req);
    let email = match parse_email(&form.email) {
        Ok(e) => e,
        Err(e) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::login(&csrf, &form.email, &[e]),
                None,
            ))
        }
    };
    match check_credentials(&state, email, form.password.clone()).await? {
        LoginOutcome::Ok(user) => {
            let session = start_session(&state, user.id, "login", user.email).await?;
            let mut res = see_other("/");
            res.add_cookie(&session)
                .map_err(|e| AppError::internal(e.to_string()))?;
            Ok(res)
        }
        LoginOutcome::Wrong => {
            let errors = [FieldError::new(
                "password",
                "The email or the password is wrong.",
            )];
            Ok(html(
                StatusCode::UNAUTHORIZED,
                pages::login(&csrf, &form.email, &errors),
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
                pages::login(&csrf, &form.email, &errors),
                None,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let hash = state.keys.keyed_hash("session", c.value().as_bytes());
        let email = staff.user.email.clone();
        state
            .db
            .write(move |conn| {
                store::delete_session(conn, &hash)?;
                store::audit(conn, Some(&email), "logout", "")?;
                Ok(())
            })
            .await?;
    }
    let mut res = see_other("/login");
    let mut gone = cookie(&state, SESSION_COOKIE, String::new(), CookieDuration::ZERO);
    gone.make_removal();
    res.add_cookie(&gone)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(res)
}

// ---------------------------------------------------------------- set-password links

async fn welcome_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult<HttpResponse> {
    let hash = state.keys.keyed_hash("password-link", token.as_bytes());
    let user = state
        .db
        .read(move |c| match store::find_password_link(c, &hash)? {
            Some(id) => Ok(Some(store::find_staff(c, &id)?)),
            None => Ok(None),
        })
        .await?;
    let Some(user) = user else {
        return Err(AppError::Gone(
            "This link has expired or was already used. Ask an administrator for a new one.".into(),
        ));
    };
    let (csrf, set) = form_token(&state, &req);
    Ok(html(
        StatusCode::OK,
        pages::set_password(&csrf, &token, &user.email, &[]),
        set,
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn welcome_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> PageResult<HttpResponse> {
    check_form_token(&state, &req, &form.csrf)?;
    let link_hash = state.keys.keyed_hash("password-link", token.as_bytes());
    let errors = check_password(&form.password, Some(&form.confirm));
    if !errors.is_empty() {
        let (csrf, _) = form_token(&state, &req);
        let h = link_hash.clone();
        let user = state
            .db
            .read(move |c| Ok(store::find_password_link(c, &h)?))
            .await?;
        let Some(user_id) = user else {
            return Err(AppError::Gone(
                "This link has expired or was already used.".into(),
            ));
        };
        let row = state
            .db
            .read(move |c| Ok(store::find_staff(c, &user_id)?))
            .await?;
        return Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::set_password(&csrf, &token, &row.email, &errors),
            None,
        ));
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let (token, session_hash, expires) = new_session(&state);
    state
        .db
        .write(move |c| {
            let Some(user_id) = store::find_password_link(c, &link_hash)? else {
                return Err(AppError::Gone("This link has expired or was already used. Ask an administrator for a new one.".into()));
            };
            store::delete_password_link(c, &link_hash)?;
            store::set_password(c, &user_id, &hash)?;
            // A new password is set because the old one was lost or may be known to someone
            // else: whoever signed in or made a token with it is signed out here, in the
            // same transaction, and only the browser that used the link keeps a session.
            let (sessions, tokens) = store::delete_sessions_and_tokens(c, &user_id)?;
            let row = store::find_staff(c, &user_id)?;
            store::audit(
                c,
                Some(&row.email),
                "staff.password_set",
                &format!("ended {sessions} other sessions and {tokens} API tokens"),
            )?;
            store::delete_expired_sessions(c)?;
            store::insert_session(c, &session_hash, &user_id, expires)?;
            store::audit(c, Some(&row.email), "login", "")?;
            Ok(())
        })
        .await?;
    let session = session_cookie(&state, token);
    let mut res = see_other("/");
    res.add_cookie(&session)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(res)
}

// ---------------------------------------------------------------- API tokens (own)

async fn account(state: web::Data<AppState>, staff: Staff) -> PageResult<maud::Markup> {
    let id = staff.user.id.clone();
    let tokens = state
        .db
        .read(move |c| Ok(store::list_api_tokens(c, &id)?))
        .await?;
    Ok(pages::account(&staff.viewer(), &tokens, None, &[]))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    label: String,
}

pub const MAX_LABEL: usize = 100;

/// Creates an API token for a user; returns the token, shown once.
pub fn create_token(
    conn: &mut crate::db::DbConnection,
    keys: &crate::secret::Keys,
    user: &StaffUser,
    label: &str,
) -> Result<String, AppError> {
    let token = format!("cnd_{}", random_token());
    let hash = keys.keyed_hash("api-token", token.as_bytes());
    store::insert_api_token(conn, &hash, &user.id, label)?;
    store::audit(conn, Some(&user.email), "token.created", label)?;
    Ok(token)
}

async fn create_token_page(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<TokenForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let label = form.label.trim().to_owned();
    let mut errors = Vec::new();
    if label.is_empty() {
        errors.push(FieldError::new("label", "Say what the token is for."));
    } else if label.chars().count() > MAX_LABEL {
        errors.push(FieldError::new(
            "label",
            format!("Use at most {MAX_LABEL} characters."),
        ));
    }
    let (user, keys) = (staff.user.clone(), state.keys.clone());
    let (token, tokens) = state
        .db
        .write(move |c| {
            let token = if errors.is_empty() {
                Some(create_token(c, &keys, &user, &label)?)
            } else {
                None
            };
            Ok(((token, errors), store::list_api_tokens(c, &user.id)?))
        })
        .await?;
    let (token, errors) = token;
    let status = if errors.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        pages::account(&staff.viewer(), &tokens, token.as_deref(), &errors),
        None,
    ))
}

async fn revoke_token(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let user = staff.user.clone();
    state
        .db
        .write(move |c| {
            if store::delete_api_token(c, &user.id, &id)? == 0 {
                return Err(AppError::NotFound);
            }
            store::audit(c, Some(&user.email), "token.revoked", &id)?;
            Ok(())
        })
        .await?;
    Ok(see_other("/account"))
}

// ---------------------------------------------------------------- staff administration

/// Creates a staff user with a one-time set-password link; returns (user id, link).
fn invite_staff(
    conn: &mut crate::db::DbConnection,
    state: &AppState,
    actor: &StaffUser,
    email: &str,
    role: Role,
) -> Result<(String, String), AppError> {
    let id = match store::insert_staff(conn, email, None, role) {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "email",
                "A staff member with this email already exists.",
            )]))
        }
        Err(e) => return Err(e.into()),
    };
    let link = new_password_link(conn, state, &id)?;
    store::audit(
        conn,
        Some(&actor.email),
        "staff.invited",
        &format!("{email} as {}", role.as_str()),
    )?;
    Ok((id, link))
}

fn new_password_link(
    conn: &mut crate::db::DbConnection,
    state: &AppState,
    user_id: &str,
) -> Result<String, AppError> {
    let token = random_token();
    let hash = state.keys.keyed_hash("password-link", token.as_bytes());
    store::insert_password_link(
        conn,
        &hash,
        user_id,
        now() + time::Duration::days(PASSWORD_LINK_DAYS),
    )?;
    Ok(format!("{}/welcome/{token}", state.settings.base_url))
}

async fn staff_page(state: web::Data<AppState>, staff: Staff) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    let rows = state.db.read(|c| Ok(store::list_staff(c)?)).await?;
    Ok(pages::staff_admin(&staff.viewer(), &rows, None, &[], ""))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn staff_invite(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<InviteForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let mut errors = Vec::new();
    let email = parse_email(&form.email)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let role = Role::parse(&form.role).unwrap_or_else(|| {
        errors.push(FieldError::new("role", "Choose a role."));
        Role::Leader
    });
    let (st, actor, raw_email) = (state.clone(), staff.user.clone(), form.email.clone());
    let (result, rows) = state
        .db
        .write(move |c| {
            let result = if errors.is_empty() {
                match invite_staff(c, &st, &actor, &email, role) {
                    Ok((_, link)) => Ok((email, link)),
                    Err(AppError::Invalid(e)) => Err(e),
                    Err(e) => return Err(e),
                }
            } else {
                Err(errors)
            };
            Ok((result, store::list_staff(c)?))
        })
        .await?;
    Ok(match result {
        Ok((email, link)) => html(
            StatusCode::CREATED,
            pages::staff_admin(&staff.viewer(), &rows, Some((&email, &link)), &[], ""),
            None,
        ),
        Err(errors) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::staff_admin(&staff.viewer(), &rows, None, &errors, &raw_email),
            None,
        ),
    })
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Changes a role, refusing to leave the instance without an active admin.
fn change_role(
    c: &mut crate::db::DbConnection,
    actor: &StaffUser,
    id: &str,
    role: Role,
) -> Result<(), AppError> {
    let target = store::find_staff(c, id)?;
    if target.role == "admin"
        && role != Role::Admin
        && target.active
        && store::count_active_admins(c)? <= 1
    {
        return Err(AppError::Conflict(
            "Candor needs at least one active admin.".into(),
        ));
    }
    store::set_role(c, id, role)?;
    // The leaderships and review seats go with the role, in this transaction. The role itself
    // is read from the database on every request (`authenticate`), so the same session and
    // token lose the access at their next request.
    let gone = store::delete_grants_beyond(c, id, role)?;
    store::audit(
        c,
        Some(&actor.email),
        "staff.role_changed",
        &format!(
            "{} to {}; no longer leads {} teams nor facilitates {} reviews",
            target.email,
            role.as_str(),
            gone.teams,
            gone.reviews
        ),
    )?;
    Ok(())
}

fn change_active(
    c: &mut crate::db::DbConnection,
    actor: &StaffUser,
    id: &str,
    active: bool,
) -> Result<(), AppError> {
    let target = store::find_staff(c, id)?;
    if !active && target.role == "admin" && target.active && store::count_active_admins(c)? <= 1 {
        return Err(AppError::Conflict(
            "Candor needs at least one active admin.".into(),
        ));
    }
    store::set_active(c, id, active)?;
    let action = if active {
        "staff.reactivated"
    } else {
        "staff.deactivated"
    };
    store::audit(c, Some(&actor.email), action, &target.email)?;
    Ok(())
}

async fn staff_role(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<RoleForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::invalid("role", "Choose admin, leader or facilitator."))?;
    let actor = staff.user.clone();
    state
        .db
        .write(move |c| change_role(c, &actor, &id, role))
        .await?;
    Ok(see_other("/admin/staff"))
}

async fn staff_deactivate(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let actor = staff.user.clone();
    state
        .db
        .write(move |c| change_active(c, &actor, &id, false))
        .await?;
    Ok(see_other("/admin/staff"))
}

async fn staff_activate(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let actor = staff.user.clone();
    state
        .db
        .write(move |c| change_active(c, &actor, &id, true))
        .await?;
    Ok(see_other("/admin/staff"))
}

async fn staff_new_link(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> PageResult<HttpResponse> {
    staff.require_admin()?;
    staff.check_csrf(&form.csrf)?;
    let (st, actor) = (state.clone(), staff.user.clone());
    let (email, link, rows) = state
        .db
        .write(move |c| {
            let target = store::find_staff(c, &id)?;
            let link = new_password_link(c, &st, &id)?;
            store::audit(c, Some(&actor.email), "staff.link_renewed", &target.email)?;
            Ok((target.email, link, store::list_staff(c)?))
        })
        .await?;
    Ok(html(
        StatusCode::OK,
        pages::staff_admin(&staff.viewer(), &rows, Some((&email, &link)), &[], ""),
        None,
    ))
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: i64,
}

async fn audit_page(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<PageQuery>,
) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    const PER_PAGE: i64 = 100;
    let page = q.page.max(0);
    let mut rows = state
        .db
        .read(move |c| Ok(store::list_audit(c, PER_PAGE + 1, page * PER_PAGE)?))
        .await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    Ok(pages::audit(&staff.viewer(), &rows, page, more))
}

// ---------------------------------------------------------------- JSON API

#[derive(Serialize)]
pub struct StaffJson {
    id: String,
    email: String,
    role: String,
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_password_url: Option<String>,
}

async fn api_me(staff: ApiStaff) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": staff.user.id, "email": staff.user.email, "role": staff.user.role.as_str(),
    })))
}

async fn api_staff_list(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let rows = state.db.read(|c| Ok(store::list_staff(c)?)).await?;
    let out: Vec<StaffJson> = rows
        .into_iter()
        .map(|r| StaffJson {
            id: r.id,
            email: r.email,
            role: r.role,
            active: r.active,
            set_password_url: None,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
pub struct StaffCreate {
    email: String,
    role: String,
}

async fn api_staff_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<StaffCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let email = parse_email(&body.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| AppError::invalid("role", "must be admin, leader or facilitator"))?;
    let (st, actor) = (state.clone(), staff.user.clone());
    let (id, link) = state
        .db
        .write(move |c| invite_staff(c, &st, &actor, &email, role))
        .await?;
    Ok(HttpResponse::Created().json(StaffJson {
        id,
        email: body.email.trim().to_lowercase(),
        role: role.as_str().into(),
        active: true,
        set_password_url: Some(link),
    }))
}

#[derive(Deserialize)]
pub struct StaffPatch {
    role: Option<String>,
    active: Option<bool>,
}

async fn api_staff_update(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<StaffPatch>,
) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let role = match &body.role {
        Some(r) => Some(
            Role::parse(r)
                .ok_or_else(|| AppError::invalid("role", "must be admin, leader or facilitator"))?,
        ),
        None => None,
    };
    let (actor, active, id) = (staff.user.clone(), body.active, id.into_inner());
    let row = state
        .db
        .write(move |c| {
            if let Some(role) = role {
                change_role(c, &actor, &id, role)?;
            }
            if let Some(active) = active {
                change_active(c, &actor, &id, active)?;
            }
            Ok(store::find_staff(c, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(StaffJson {
        id: row.id,
        email: row.email,
        role: row.role,
        active: row.active,
        set_password_url: None,
    }))
}

#[derive(Deserialize)]
pub struct TokenCreate {
    label: String,
}

async fn api_token_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<TokenCreate>,
) -> ApiResult<HttpResponse> {
    let label = body.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > MAX_LABEL {
        return Err(AppError::invalid("label", format!("1 to {MAX_LABEL} characters")).into());
    }
    let (user, keys) = (staff.user.clone(), state.keys.clone());
    let token = state
        .db
        .write(move |c| create_token(c, &keys, &user, &label))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "token": token })))
}

#[derive(Deserialize)]
pub struct ApiLogin {
    email: String,
    password: String,
}

/// Signs in from a script or single-page client; answers with the session cookie and the
/// CSRF token that cookie-authenticated API writes must send as `X-CSRF-Token`.
async fn api_login(
    state: web::Data<AppState>,
    body: web::Json<ApiLogin>,
) -> ApiResult<HttpResponse> {
    let email = parse_email(&body.email).map_err(|e| AppError::Invalid(vec![e]))?;
    match check_credentials(&state, email, body.password.clone()).await? {
        LoginOutcome::Ok(user) => {
            let session =
                start_session(&state, user.id.clone(), "login", user.email.clone()).await?;
            let csrf = state.keys.keyed_hash("csrf", session.value().as_bytes());
            Ok(HttpResponse::Ok()
                .cookie(session)
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

pub fn configure(cfg: &mut web::ServiceConfig) {
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

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::post().to(api_login))
        .route("/me", web::get().to(api_me))
        .route("/me/tokens", web::post().to(api_token_create))
        .route("/staff", web::get().to(api_staff_list))
        .route("/staff", web::post().to(api_staff_create))
        .route("/staff/{id}", web::patch().to(api_staff_update));
}
