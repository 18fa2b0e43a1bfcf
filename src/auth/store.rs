//! Queries for staff users, sessions, API tokens, throttles, password links and the audit log.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::model::{Role, StaffUser};
use crate::db::schema::{
    api_tokens, audit_log, instance_settings, password_links, staff_sessions, staff_users,
    throttles,
};
use crate::db::DbConnection;
use crate::secret::{new_id, now};

#[derive(Queryable, Clone, Debug)]
pub struct StaffRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
}

impl StaffRow {
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
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(staff_users::table)
        .values((
            staff_users::id.eq(&id),
            staff_users::email.eq(email),
            staff_users::password_hash.eq(password_hash),
            staff_users::role.eq(role.as_str()),
            staff_users::active.eq(true),
            staff_users::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_staff_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<StaffRow>> {
    staff_users::table
        .filter(staff_users::email.eq(email))
        .first(conn)
        .optional()
}

pub fn find_staff(conn: &mut DbConnection, id: &str) -> QueryResult<StaffRow> {
    staff_users::table.find(id).first(conn)
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

pub fn set_role(conn: &mut DbConnection, id: &str, role: Role) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::role.eq(role.as_str()))
        .execute(conn)
}

/// Deactivating also ends every session and API token of that user.
pub fn set_active(conn: &mut DbConnection, id: &str, active: bool) -> QueryResult<usize> {
    if !active {
        diesel::delete(staff_sessions::table.filter(staff_sessions::user_id.eq(id)))
            .execute(conn)?;
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(id))).execute(conn)?;
    }
    diesel::update(staff_users::table.find(id))
        .set(staff_users::active.eq(active))
        .execute(conn)
}

pub fn set_password(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::password_hash.eq(Some(hash)))
        .execute(conn)
}

pub fn insert_session(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &str,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::token_hash.eq(token_hash),
            staff_sessions::user_id.eq(user_id),
            staff_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

fn active_user(conn: &mut DbConnection, user_id: Option<String>) -> QueryResult<Option<StaffUser>> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let row: Option<StaffRow> = staff_users::table
        .find(user_id)
        .filter(staff_users::active.eq(true))
        .first(conn)
        .optional()?;
    Ok(row.map(|r| r.user()))
}

pub fn find_session_user(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<StaffUser>> {
    let user_id: Option<String> = staff_sessions::table
        .find(token_hash)
        .filter(staff_sessions::expires_at.gt(now()))
        .select(staff_sessions::user_id)
        .first(conn)
        .optional()?;
    active_user(conn, user_id)
}

pub fn delete_session(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.find(token_hash)).execute(conn)
}

pub fn delete_expired_sessions(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.le(now()))).execute(conn)
}

pub fn insert_api_token(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &str,
    label: &str,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::user_id.eq(user_id),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_token_user(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<StaffUser>> {
    let user_id: Option<String> = api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .select(api_tokens::user_id)
        .first(conn)
        .optional()?;
    active_user(conn, user_id)
}

#[derive(Queryable, Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub label: String,
    pub created_at: PrimitiveDateTime,
}

pub fn list_api_tokens(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.desc())
        .select((api_tokens::id, api_tokens::label, api_tokens::created_at))
        .load(conn)
}

pub fn delete_api_token(conn: &mut DbConnection, user_id: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// Failures so far and the end of the current lockout, for a throttled key.
pub fn get_throttle(
    conn: &mut DbConnection,
    key_hash: &str,
) -> QueryResult<Option<(i32, Option<PrimitiveDateTime>)>> {
    throttles::table
        .find(key_hash)
        .select((throttles::failures, throttles::locked_until))
        .first(conn)
        .optional()
}

pub fn put_throttle(
    conn: &mut DbConnection,
    key_hash: &str,
    failures: i32,
    locked_until: Option<PrimitiveDateTime>,
) -> QueryResult<usize> {
    let updated = diesel::update(throttles::table.find(key_hash))
        .set((
            throttles::failures.eq(failures),
            throttles::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(throttles::table)
        .values((
            throttles::key_hash.eq(key_hash),
            throttles::failures.eq(failures),
            throttles::locked_until.eq(locked_until),
        ))
        .execute(conn)
}

pub fn clear_throttle(conn: &mut DbConnection, key_hash: &str) -> QueryResult<usize> {
    diesel::delete(throttles::table.find(key_hash)).execute(conn)
}

pub fn insert_password_link(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &str,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(password_links::table.filter(password_links::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::insert_into(password_links::table)
        .values((
            password_links::token_hash.eq(token_hash),
            password_links::user_id.eq(user_id),
            password_links::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The user a set-password link is for, if it exists and has not expired.
pub fn find_password_link(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<String>> {
    password_links::table
        .find(token_hash)
        .filter(password_links::expires_at.gt(now()))
        .select(password_links::user_id)
        .first(conn)
        .optional()
}

pub fn delete_password_link(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(password_links::table.find(token_hash)).execute(conn)
}

pub fn get_setting(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    instance_settings::table
        .find(name)
        .select(instance_settings::value)
        .first(conn)
        .optional()
}

pub fn put_setting(conn: &mut DbConnection, name: &str, value: &str) -> QueryResult<usize> {
    let updated = diesel::update(instance_settings::table.find(name))
        .set(instance_settings::value.eq(value))
        .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::name.eq(name),
            instance_settings::value.eq(value),
        ))
        .execute(conn)
}

pub fn delete_setting(conn: &mut DbConnection, name: &str) -> QueryResult<usize> {
    diesel::delete(instance_settings::table.find(name)).execute(conn)
}

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
            audit_log::at.eq(now()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)
}

#[derive(Queryable, Debug, Clone)]
pub struct AuditRow {
    pub id: String,
    pub at: PrimitiveDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
}

pub fn list_audit(conn: &mut DbConnection, limit: i64, offset: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .order((audit_log::at.desc(), audit_log::id))
        .limit(limit)
        .offset(offset)
        .load(conn)
}
