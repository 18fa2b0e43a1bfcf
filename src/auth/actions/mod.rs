//! Staff use cases, one transaction each: first-run setup, sign-in and sign-out,
//! set-password links, API tokens, staff administration and the audit log. Handlers in
//! `routes/` parse the request, call one of these and render what it returns.

use super::model::{AuditEntry, Role, StaffEntry, StaffId, StaffUser};
use super::model::{PASSWORD_LINK_DAYS, SESSION_HOURS};
use super::store;
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::secret::{constant_eq, random_token, Keys};
use crate::state::AppState;

mod tokens;
pub use tokens::{create_api_token, create_token, list_tokens, revoke_token};

/// The message for a set-password link that no longer works.
const LINK_GONE: &str =
    "This link has expired or was already used. Ask an administrator for a new one.";

/// A new session's token (for the cookie), its keyed hash (for the database) and its end.
fn new_session(state: &AppState) -> (String, String, time::PrimitiveDateTime) {
    let token = random_token();
    let hash = state.keys.keyed_hash("session", token.as_bytes());
    let ends = state.clock.now() + time::Duration::hours(SESSION_HOURS);
    (token, hash, ends)
}

/// Starts a session: a random token for the cookie, only its keyed hash in the database.
/// Returns the token.
async fn start_session(
    state: &AppState,
    user_id: StaffId,
    audit_action: &'static str,
    email: String,
) -> Result<String, AppError> {
    let (token, hash, expires) = new_session(state);
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            store::delete_expired_sessions(c, now)?;
            store::insert_session(c, &hash, &user_id, expires)?;
            store::audit(c, Some(&email), audit_action, "")?;
            Ok(())
        })
        .await?;
    Ok(token)
}

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

pub async fn needs_setup(state: &AppState) -> Result<bool, AppError> {
    state.db.read(|c| Ok(store::count_staff(c)? == 0)).await
}

/// What the setup form asked for, as typed.
pub struct SetupInput {
    pub code: String,
    pub email: String,
    pub password: String,
    pub confirm: String,
}

pub enum SetupOutcome {
    /// The first admin exists and is signed in with this session token.
    Done(String),
    Invalid(Vec<FieldError>),
    /// The code is not the one the server printed.
    WrongCode,
}

/// Creates the first administrator, if the setup code is right and nobody did it first.
pub async fn setup(state: &AppState, input: SetupInput) -> Result<SetupOutcome, AppError> {
    let mut errors = super::model::check_password(&input.password, Some(&input.confirm));
    let email = super::model::parse_email(&input.email)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if input.code.trim().is_empty() {
        errors.push(FieldError::new(
            "code",
            "Enter the setup code from the server's output.",
        ));
    }
    if !errors.is_empty() {
        return Ok(SetupOutcome::Invalid(errors));
    }
    let hash = state.hasher.hash(input.password).await?;
    let code_hash = state
        .keys
        .keyed_hash("setup-code", input.code.trim().as_bytes());
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
        return Ok(SetupOutcome::WrongCode);
    };
    let token = start_session(state, id, "login", email).await?;
    Ok(SetupOutcome::Done(token))
}

/// The outcome of signing in, shared by the login page and the API.
pub enum LoginOutcome {
    /// Signed in: the user and the new session's token.
    Ok(StaffUser, String),
    Wrong,
    /// Locked out for this many more seconds.
    Locked(u64),
}

/// Same work for an unknown email as for a wrong password; throttled per email address
/// whether or not it exists, so the throttle reveals nothing either. Every attempt is
/// counted as a failure before the hash runs (`store::count_login_attempt`), so concurrent
/// guesses cannot all be checked against one stale count; a locked-out attempt never
/// reaches the hasher; a success clears the count and starts a session.
pub async fn login(
    state: &AppState,
    email: String,
    password: String,
) -> Result<LoginOutcome, AppError> {
    if let Some(e) = super::model::oversized_password(&password) {
        return Err(AppError::Invalid(vec![e]));
    }
    let key = state.keys.keyed_hash("login", email.as_bytes());
    let current = state.clock.now();
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
            let user = row.user();
            let token = start_session(state, user.id.clone(), "login", user.email.clone()).await?;
            Ok(LoginOutcome::Ok(user, token))
        }
        _ => Ok(LoginOutcome::Wrong),
    }
}

/// Ends the session behind `session_token`, if the browser sent one.
pub async fn logout(
    state: &AppState,
    user: &StaffUser,
    session_token: Option<String>,
) -> Result<(), AppError> {
    let Some(token) = session_token else {
        return Ok(());
    };
    let hash = state.keys.keyed_hash("session", token.as_bytes());
    let email = user.email.clone();
    state
        .db
        .write(move |conn| {
            store::delete_session(conn, &hash)?;
            store::audit(conn, Some(&email), "logout", "")?;
            Ok(())
        })
        .await
}

/// The email a set-password link is for; gone when the link expired or was used.
pub async fn password_link_email(state: &AppState, link: &str) -> Result<String, AppError> {
    let hash = state.keys.keyed_hash("password-link", link.as_bytes());
    link_email(state, hash)
        .await?
        .ok_or_else(|| AppError::Gone(LINK_GONE.into()))
}

async fn link_email(state: &AppState, link_hash: String) -> Result<Option<String>, AppError> {
    let now = state.clock.now();
    let find = move |c: &mut DbConnection| match store::find_password_link(c, &link_hash, now)? {
        Some(id) => Ok(Some(store::find_staff(c, &id)?.email)),
        None => Ok(None),
    };
    state.db.read(find).await
}

pub enum SetPassword {
    /// The password is set and this browser is signed in with the session token.
    Done(String),
    /// The password was refused; the email the link is for, to show again.
    Invalid(Vec<FieldError>, String),
}

/// Sets a password through a one-time link and signs in.
pub async fn set_password(
    state: &AppState,
    link: &str,
    password: String,
    confirm: &str,
) -> Result<SetPassword, AppError> {
    let link_hash = state.keys.keyed_hash("password-link", link.as_bytes());
    let errors = super::model::check_password(&password, Some(confirm));
    if !errors.is_empty() {
        let Some(email) = link_email(state, link_hash).await? else {
            return Err(AppError::Gone(
                "This link has expired or was already used.".into(),
            ));
        };
        return Ok(SetPassword::Invalid(errors, email));
    }
    let hash = state.hasher.hash(password).await?;
    let (token, session_hash, expires) = new_session(state);
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let Some(user_id) = store::find_password_link(c, &link_hash, now)? else {
                return Err(AppError::Gone(LINK_GONE.into()));
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
            store::delete_expired_sessions(c, now)?;
            store::insert_session(c, &session_hash, &user_id, expires)?;
            store::audit(c, Some(&row.email), "login", "")?;
            Ok(())
        })
        .await?;
    Ok(SetPassword::Done(token))
}

/// What writing a set-password link needs from the state, owned so it can cross threads.
#[derive(Clone)]
pub struct LinkMaker {
    keys: Keys,
    base_url: String,
    now: time::PrimitiveDateTime,
}

impl LinkMaker {
    pub fn new(state: &AppState) -> Self {
        Self {
            keys: state.keys.clone(),
            base_url: state.settings.base_url.clone(),
            now: state.clock.now(),
        }
    }
}

pub fn new_password_link(
    conn: &mut DbConnection,
    links: &LinkMaker,
    user_id: &StaffId,
) -> Result<String, AppError> {
    let token = random_token();
    let hash = links.keys.keyed_hash("password-link", token.as_bytes());
    store::insert_password_link(
        conn,
        &hash,
        user_id,
        links.now + time::Duration::days(PASSWORD_LINK_DAYS),
    )?;
    Ok(format!("{}/welcome/{token}", links.base_url))
}

/// Creates a staff user with a one-time set-password link; returns (user id, link).
pub fn invite_in(
    conn: &mut DbConnection,
    links: &LinkMaker,
    actor: &StaffUser,
    email: &str,
    role: Role,
) -> Result<(StaffId, String), AppError> {
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
    let link = new_password_link(conn, links, &id)?;
    store::audit(
        conn,
        Some(&actor.email),
        "staff.invited",
        &format!("{email} as {}", role.as_str()),
    )?;
    Ok((id, link))
}

fn staff_entries(c: &mut DbConnection) -> Result<Vec<StaffEntry>, AppError> {
    Ok(store::list_staff(c)?.iter().map(|r| r.entry()).collect())
}

pub async fn list_staff(state: &AppState) -> Result<Vec<StaffEntry>, AppError> {
    state.db.read(staff_entries).await
}

/// Invites a staff member; returns (user id, set-password link).
pub async fn invite_staff(
    state: &AppState,
    actor: &StaffUser,
    email: String,
    role: Role,
) -> Result<(StaffId, String), AppError> {
    let (st, actor) = (LinkMaker::new(state), actor.clone());
    state
        .db
        .write(move |c| invite_in(c, &st, &actor, &email, role))
        .await
}

/// What the admin page shows after an invitation: the invited email and their link, or why
/// not; with everyone, read in the same transaction.
pub type InviteResult = (Result<(String, String), Vec<FieldError>>, Vec<StaffEntry>);

/// Invites from the admin page, whose input may already have failed its checks: the staff
/// list is shown either way.
pub async fn invite_staff_listed(
    state: &AppState,
    actor: &StaffUser,
    input: Result<(String, Role), Vec<FieldError>>,
) -> Result<InviteResult, AppError> {
    let (st, actor) = (LinkMaker::new(state), actor.clone());
    state
        .db
        .write(move |c| {
            let result = match input {
                Ok((email, role)) => match invite_in(c, &st, &actor, &email, role) {
                    Ok((_, link)) => Ok((email, link)),
                    Err(AppError::Invalid(e)) => Err(e),
                    Err(e) => return Err(e),
                },
                Err(errors) => Err(errors),
            };
            Ok((result, staff_entries(c)?))
        })
        .await
}

/// Changes a role, refusing to leave the instance without an active admin.
fn change_role_in(
    c: &mut DbConnection,
    actor: &StaffUser,
    id: &StaffId,
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

fn change_active_in(
    c: &mut DbConnection,
    actor: &StaffUser,
    id: &StaffId,
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

/// Changes a role; the leader rows and review seats beyond it go in the same transaction.
pub async fn change_role(
    state: &AppState,
    actor: &StaffUser,
    id: StaffId,
    role: Role,
) -> Result<(), AppError> {
    let actor = actor.clone();
    state
        .db
        .write(move |c| change_role_in(c, &actor, &id, role))
        .await
}

/// Deactivates or reactivates an account, keeping at least one active admin.
pub async fn change_active(
    state: &AppState,
    actor: &StaffUser,
    id: StaffId,
    active: bool,
) -> Result<(), AppError> {
    let actor = actor.clone();
    state
        .db
        .write(move |c| change_active_in(c, &actor, &id, active))
        .await
}

/// Changes role and/or activity in one transaction (the API's PATCH); returns the account.
pub async fn update_staff(
    state: &AppState,
    actor: &StaffUser,
    id: StaffId,
    role: Option<Role>,
    active: Option<bool>,
) -> Result<StaffEntry, AppError> {
    let actor = actor.clone();
    state
        .db
        .write(move |c| {
            if let Some(role) = role {
                change_role_in(c, &actor, &id, role)?;
            }
            if let Some(active) = active {
                change_active_in(c, &actor, &id, active)?;
            }
            Ok(store::find_staff(c, &id)?.entry())
        })
        .await
}

/// A fresh set-password link for an invited account: (their email, link, everyone).
pub async fn renew_link(
    state: &AppState,
    actor: &StaffUser,
    id: StaffId,
) -> Result<(String, String, Vec<StaffEntry>), AppError> {
    let (st, actor) = (LinkMaker::new(state), actor.clone());
    state
        .db
        .write(move |c| {
            let target = store::find_staff(c, &id)?;
            let link = new_password_link(c, &st, &id)?;
            store::audit(c, Some(&actor.email), "staff.link_renewed", &target.email)?;
            Ok((target.email, link, staff_entries(c)?))
        })
        .await
}

/// Audit lines shown per page.
const AUDIT_PER_PAGE: i64 = 100;

/// One page of the audit log, newest first, and whether older lines exist.
pub async fn audit_page(state: &AppState, page: i64) -> Result<(Vec<AuditEntry>, bool), AppError> {
    let page = page.max(0);
    let mut rows = state
        .db
        .read(move |c| {
            Ok(store::list_audit(
                c,
                AUDIT_PER_PAGE + 1,
                page * AUDIT_PER_PAGE,
            )?)
        })
        .await?;
    let more = rows.len() as i64 > AUDIT_PER_PAGE;
    rows.truncate(AUDIT_PER_PAGE as usize);
    Ok((rows, more))
}
