//! Queries for staff users, sessions, API tokens, throttles, password links and the audit log.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::model::{
    lockout_seconds, AuditEntry, Role, StaffEntry, StaffId, StaffUser, TokenEntry, TokenId,
};
use crate::clock::recorded_at;
use crate::db::schema::{
    api_tokens, audit_log, password_links, review_facilitators, staff_sessions, staff_users,
    team_leaders, throttles,
};
use crate::db::{on_backend, DbConnection};
use crate::secret::new_id;

#[derive(Queryable, Clone, Debug)]
pub struct StaffRow {
    #[diesel(deserialize_as = String)]
    pub id: StaffId,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
}

impl StaffRow {
    /// What the admin page and the API may show of this account.
    pub fn entry(&self) -> StaffEntry {
        StaffEntry {
            id: self.id.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            active: self.active,
            invited: self.password_hash.is_none(),
        }
    }

    pub fn user(&self) -> StaffUser {
        StaffUser {
            id: self.id.clone(),
            email: self.email.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Leader),
        }
    }
}

pub fn count_staff(conn: &mut DbConnection) -> QueryResult<i64> {
    staff_users::table.count().get_result(conn)
}

pub fn insert_staff(
    conn: &mut DbConnection,
    email: &str,
    password_hash: Option<&str>,
    role: Role,
) -> QueryResult<StaffId> {
    let id = new_id();
    diesel::insert_into(staff_users::table)
        .values((
            staff_users::id.eq(&id),
            staff_users::email.eq(email),
            staff_users::password_hash.eq(password_hash),
            staff_users::role.eq(role.as_str()),
            staff_users::active.eq(true),
            staff_users::created_at.eq(recorded_at()),
        ))
        .execute(conn)?;
    Ok(StaffId::from(id))
}

pub fn find_staff_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<StaffRow>> {
    staff_users::table
        .filter(staff_users::email.eq(email))
        .first(conn)
        .optional()
}

pub fn find_staff(conn: &mut DbConnection, id: &StaffId) -> QueryResult<StaffRow> {
    staff_users::table.find(id.as_str()).first(conn)
}

pub fn list_staff(conn: &mut DbConnection) -> QueryResult<Vec<StaffRow>> {
    staff_users::table.order(staff_users::email).load(conn)
}

pub fn count_active_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    staff_users::table
        .filter(staff_users::role.eq("admin"))
        .filter(staff_users::active.eq(true))
        .count()
        .get_result(conn)
}

pub fn set_role(conn: &mut DbConnection, id: &StaffId, role: Role) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id.as_str()))
        .set(staff_users::role.eq(role.as_str()))
        .execute(conn)
}

/// How many team leaderships and review seats a role change removed (for the audit log).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub teams: usize,
    pub reviews: usize,
}

/// Removes the team leaderships and review seats that `role` does not allow. A leadership is
/// given to someone because of their role; left behind after a demotion it would come back
/// to life on any later promotion, and any access check that forgot the role would honour
/// it (G12: role changes take effect at once). Runs in the role change's transaction.
pub fn delete_grants_beyond(
    conn: &mut DbConnection,
    id: &StaffId,
    role: Role,
) -> QueryResult<Grants> {
    let mut gone = Grants::default();
    if !role.can_lead() {
        gone.teams =
            diesel::delete(team_leaders::table.filter(team_leaders::user_id.eq(id.as_str())))
                .execute(conn)?;
    }
    if !role.can_facilitate() {
        gone.reviews = diesel::delete(
            review_facilitators::table.filter(review_facilitators::user_id.eq(id.as_str())),
        )
        .execute(conn)?;
    }
    Ok(gone)
}

/// Ends every session and API token of a user: the credentials that act without a password.
pub fn delete_sessions_and_tokens(
    conn: &mut DbConnection,
    id: &StaffId,
) -> QueryResult<(usize, usize)> {
    let sessions =
        diesel::delete(staff_sessions::table.filter(staff_sessions::user_id.eq(id.as_str())))
            .execute(conn)?;
    let tokens = diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(id.as_str())))
        .execute(conn)?;
    Ok((sessions, tokens))
}

/// Deactivating ends every session, API token and set-password link of that user, and
/// removes their team leaderships and review seats: a reactivated account starts with the
/// access an admin gives it again, not with what it held before.
pub fn set_active(conn: &mut DbConnection, id: &StaffId, active: bool) -> QueryResult<usize> {
    if !active {
        delete_sessions_and_tokens(conn, id)?;
        diesel::delete(password_links::table.filter(password_links::user_id.eq(id.as_str())))
            .execute(conn)?;
        diesel::delete(team_leaders::table.filter(team_leaders::user_id.eq(id.as_str())))
            .execute(conn)?;
        diesel::delete(
            review_facilitators::table.filter(review_facilitators::user_id.eq(id.as_str())),
        )
        .execute(conn)?;
    }
    diesel::update(staff_users::table.find(id.as_str()))
        .set(staff_users::active.eq(active))
        .execute(conn)
}

pub fn set_password(conn: &mut DbConnection, id: &StaffId, hash: &str) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id.as_str()))
        .set(staff_users::password_hash.eq(Some(hash)))
        .execute(conn)
}

pub fn insert_session(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &StaffId,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::token_hash.eq(token_hash),
            staff_sessions::user_id.eq(user_id.as_str()),
            staff_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

fn active_user(
    conn: &mut DbConnection,
    user_id: Option<StaffId>,
) -> QueryResult<Option<StaffUser>> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let row: Option<StaffRow> = staff_users::table
        .find(user_id.as_str())
        .filter(staff_users::active.eq(true))
        .first(conn)
        .optional()?;
    Ok(row.map(|r| r.user()))
}

pub fn find_session_user(
    conn: &mut DbConnection,
    token_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<StaffUser>> {
    let user_id = staff_sessions::table
        .find(token_hash)
        .filter(staff_sessions::expires_at.gt(now))
        .select(staff_sessions::user_id)
        .first::<String>(conn)
        .optional()?;
    active_user(conn, user_id.map(StaffId::from))
}

pub fn delete_session(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.find(token_hash)).execute(conn)
}

pub fn delete_expired_sessions(
    conn: &mut DbConnection,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.le(now))).execute(conn)
}

pub fn insert_api_token(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &StaffId,
    label: &str,
) -> QueryResult<TokenId> {
    let id = new_id();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::user_id.eq(user_id.as_str()),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(recorded_at()),
        ))
        .execute(conn)?;
    Ok(TokenId::from(id))
}

pub fn find_token_user(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<StaffUser>> {
    let user_id = api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .select(api_tokens::user_id)
        .first::<String>(conn)
        .optional()?;
    active_user(conn, user_id.map(StaffId::from))
}

pub fn list_api_tokens(conn: &mut DbConnection, user_id: &StaffId) -> QueryResult<Vec<TokenEntry>> {
    let rows: Vec<(String, String, PrimitiveDateTime)> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id.as_str()))
        .order(api_tokens::created_at.desc())
        .select((api_tokens::id, api_tokens::label, api_tokens::created_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, label, created_at)| TokenEntry {
            id: TokenId::from(id),
            label,
            created_at,
        })
        .collect())
}

pub fn delete_api_token(
    conn: &mut DbConnection,
    user_id: &StaffId,
    id: &TokenId,
) -> QueryResult<usize> {
    diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(id.as_str()))
            .filter(api_tokens::user_id.eq(user_id.as_str())),
    )
    .execute(conn)
}

pub use crate::db::throttle::{clear_throttle, get_throttle, put_throttle};

/// What counting a login attempt decided: whether it may go on to check the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Counted as a failure before any hashing; this is the count including it.
    Counted(i32),
    /// The key is locked until then; the attempt was neither counted nor may it hash.
    Locked(PrimitiveDateTime),
}

/// Counts a login attempt as a failure *before* the password is checked, atomically, and
/// locks the key when the count reaches the throttle's limit. Reading the count, hashing,
/// then writing count+1 let 32 simultaneous guesses all be checked while the count moved by
/// one (G10); here the increment is one `UPDATE ... SET failures = failures + 1 ...
/// RETURNING`, which PostgreSQL serialises on the row lock (held until the transaction
/// ends, so the lock written next is seen by every later attempt) and SQLite on its single
/// writer. A success clears the row afterwards. Attempts during a lock are not counted, so
/// an attacker cannot stretch a real user's lock-out past the cap by hammering.
pub fn count_login_attempt(
    conn: &mut DbConnection,
    key_hash: &str,
    at: PrimitiveDateTime,
) -> QueryResult<Attempt> {
    let fresh = (
        throttles::key_hash.eq(key_hash),
        throttles::failures.eq(0),
        throttles::locked_until.eq(None::<PrimitiveDateTime>),
    );
    let unlocked = throttles::table.find(key_hash).filter(
        throttles::locked_until
            .is_null()
            .or(throttles::locked_until.le(at)),
    );
    let bump = throttles::failures.eq(throttles::failures + 1);
    // `ON CONFLICT` and `RETURNING` exist on each backend's connection, not on the enum.
    let counted: Option<i32> = on_backend!(conn, c => {
        diesel::insert_into(throttles::table)
            .values(fresh)
            .on_conflict_do_nothing()
            .execute(c)?;
        diesel::update(unlocked)
            .set(bump)
            .returning(throttles::failures)
            .get_result(c)
            .optional()?
    });
    let Some(failures) = counted else {
        let until: Option<PrimitiveDateTime> = throttles::table
            .find(key_hash)
            .select(throttles::locked_until)
            .first(conn)?;
        return Ok(Attempt::Locked(until.unwrap_or(at)));
    };
    let lock = lockout_seconds(failures);
    if lock > 0 {
        let until = at + time::Duration::seconds(lock as i64);
        diesel::update(throttles::table.find(key_hash))
            .set(throttles::locked_until.eq(Some(until)))
            .execute(conn)?;
    }
    Ok(Attempt::Counted(failures))
}

pub fn insert_password_link(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &StaffId,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(password_links::table.filter(password_links::user_id.eq(user_id.as_str())))
        .execute(conn)?;
    diesel::insert_into(password_links::table)
        .values((
            password_links::token_hash.eq(token_hash),
            password_links::user_id.eq(user_id.as_str()),
            password_links::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The user a set-password link is for, if it exists and has not expired.
pub fn find_password_link(
    conn: &mut DbConnection,
    token_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<StaffId>> {
    let user_id = password_links::table
        .find(token_hash)
        .filter(password_links::expires_at.gt(now))
        .select(password_links::user_id)
        .first::<String>(conn)
        .optional()?;
    Ok(user_id.map(StaffId::from))
}

pub fn delete_password_link(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(password_links::table.find(token_hash)).execute(conn)
}

pub use crate::db::settings::{delete_setting, get_setting, put_setting};

/// Records a staff action. Staff actions are not anonymous, so they carry a time.
pub fn audit(
    conn: &mut DbConnection,
    actor: Option<&str>,
    action: &str,
    detail: &str,
) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::at.eq(recorded_at()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)
}

pub fn list_audit(
    conn: &mut DbConnection,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let rows: Vec<(String, PrimitiveDateTime, Option<String>, String, String)> = audit_log::table
        .order((audit_log::at.desc(), audit_log::id))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, at, actor, action, detail)| AuditEntry {
            id,
            at,
            actor,
            action,
            detail,
        })
        .collect())
}
