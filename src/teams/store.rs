//! Queries for teams, their leaders and their rosters.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::model::{MemberId, TeamId, TeamSummary, Threshold};
use crate::auth::model::{StaffId, StaffUser};
use crate::clock::recorded_at;
use crate::db::schema::{members, staff_users, team_leaders, teams};
use crate::db::{is_unique_violation, DbConnection};
use crate::error::{AppError, FieldError};
use crate::secret::{new_id, Keys};

#[derive(Queryable, Clone, Debug)]
pub struct TeamRow {
    #[diesel(deserialize_as = String)]
    pub id: TeamId,
    pub name: String,
    pub name_key: String,
    #[diesel(deserialize_as = i32)]
    pub threshold: Threshold,
    pub created_at: PrimitiveDateTime,
    /// Whether facilitators may invite this team to reviews (G12): set by a leader or admin.
    pub reviews_allowed: bool,
}

impl TeamRow {
    /// What pages and the API show of a team.
    pub fn summary(&self) -> TeamSummary {
        TeamSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            threshold: self.threshold,
            reviews_allowed: self.reviews_allowed,
        }
    }
}

#[derive(Queryable, Clone, Debug)]
pub struct MemberRow {
    #[diesel(deserialize_as = String)]
    pub id: MemberId,
    /// `None` for a review's own invitee, on no team's roster.
    #[diesel(deserialize_as = crate::id::OptionalId)]
    pub team_id: Option<TeamId>,
    pub label: String,
    pub label_key: String,
    pub invite_nonce: String,
    pub invite_hash: String,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
    /// Staff have seen this member's link (G13): the member's page says so.
    pub staff_seen: bool,
}

pub use super::model::{invite_lookup_hash, invite_secret, invite_url};

pub fn insert_team(
    conn: &mut DbConnection,
    name: &str,
    key: &str,
    threshold: Threshold,
    leader: &StaffId,
) -> Result<TeamId, AppError> {
    let id = TeamId::from(new_id());
    let inserted = diesel::insert_into(teams::table)
        .values((
            teams::id.eq(id.as_str()),
            teams::name.eq(name),
            teams::name_key.eq(key),
            teams::threshold.eq(threshold.column()),
            teams::created_at.eq(recorded_at()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "name",
                "A team with this name already exists.",
            )]))
        }
        Err(e) => return Err(e.into()),
    }
    diesel::insert_into(team_leaders::table)
        .values((
            team_leaders::team_id.eq(id.as_str()),
            team_leaders::user_id.eq(leader.as_str()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_team(conn: &mut DbConnection, id: &TeamId) -> QueryResult<TeamRow> {
    teams::table.find(id.as_str()).first(conn)
}

pub fn is_leader(
    conn: &mut DbConnection,
    team_id: &TeamId,
    user_id: &StaffId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        team_leaders::table
            .filter(team_leaders::team_id.eq(team_id.as_str()))
            .filter(team_leaders::user_id.eq(user_id.as_str())),
    ))
    .get_result(conn)
}

/// The team, if this staff member may see it: admins see all, leaders the teams they lead.
/// The role is checked as well as the leadership row (defence in depth, G12): `user` is
/// loaded from the database on every request, so a demoted leader is refused at once even
/// if a leadership row were ever left behind. A non-leader learns nothing, not even whether
/// the team exists.
pub fn team_for(
    conn: &mut DbConnection,
    user: &StaffUser,
    team_id: &TeamId,
) -> Result<TeamRow, AppError> {
    if !user.can_lead() {
        return Err(AppError::forbidden());
    }
    let team = find_team(conn, team_id)?;
    if user.is_admin() || is_leader(conn, team_id, &user.id)? {
        Ok(team)
    } else {
        Err(AppError::forbidden())
    }
}

/// The teams this staff member may see; none unless their current role may lead (see `team_for`).
/// Every team, by name (the new-review form filters them by who may invite each).
pub fn list_all_teams(conn: &mut DbConnection) -> QueryResult<Vec<TeamRow>> {
    teams::table.order(teams::name_key).load(conn)
}

pub fn list_teams_for(conn: &mut DbConnection, user: &StaffUser) -> QueryResult<Vec<TeamRow>> {
    if !user.can_lead() {
        Ok(Vec::new())
    } else if user.is_admin() {
        teams::table.order(teams::name_key).load(conn)
    } else {
        teams::table
            .inner_join(team_leaders::table)
            .filter(team_leaders::user_id.eq(user.id.as_str()))
            .select(teams::all_columns)
            .order(teams::name_key)
            .load(conn)
    }
}

pub fn list_leaders(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<Vec<String>> {
    team_leaders::table
        .inner_join(staff_users::table)
        .filter(team_leaders::team_id.eq(team_id.as_str()))
        .select(staff_users::email)
        .order(staff_users::email)
        .load(conn)
}

pub fn add_leader(
    conn: &mut DbConnection,
    team_id: &TeamId,
    user_id: &StaffId,
) -> QueryResult<usize> {
    if is_leader(conn, team_id, user_id)? {
        return Ok(0);
    }
    diesel::insert_into(team_leaders::table)
        .values((
            team_leaders::team_id.eq(team_id.as_str()),
            team_leaders::user_id.eq(user_id.as_str()),
        ))
        .execute(conn)
}

pub fn update_team(
    conn: &mut DbConnection,
    team_id: &TeamId,
    name: &str,
    key: &str,
    threshold: Threshold,
    reviews_allowed: bool,
) -> Result<(), AppError> {
    let updated = diesel::update(teams::table.find(team_id.as_str()))
        .set((
            teams::name.eq(name),
            teams::name_key.eq(key),
            teams::threshold.eq(threshold.column()),
            teams::reviews_allowed.eq(reviews_allowed),
        ))
        .execute(conn);
    match updated {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::Invalid(vec![FieldError::new(
            "name",
            "A team with this name already exists.",
        )])),
        Err(e) => Err(e.into()),
    }
}

pub fn list_members(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<Vec<MemberRow>> {
    members::table
        .filter(members::team_id.eq(team_id.as_str()))
        .filter(members::active.eq(true))
        .order(members::label_key)
        .load(conn)
}

pub fn count_members(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<i64> {
    members::table
        .filter(members::team_id.eq(team_id.as_str()))
        .filter(members::active.eq(true))
        .count()
        .get_result(conn)
}

/// Adds people to a roster. Someone already on it is refused; someone removed earlier is
/// brought back with a fresh link.
pub fn add_members(
    conn: &mut DbConnection,
    keys: &Keys,
    team_id: &TeamId,
    labels: &[String],
) -> Result<usize, AppError> {
    let existing: Vec<(String, String, bool)> = members::table
        .filter(members::team_id.eq(team_id.as_str()))
        .select((members::id, members::label_key, members::active))
        .load(conn)?;
    for label in labels {
        let key = crate::teams::model::label_key(label);
        match existing.iter().find(|(_, k, _)| *k == key) {
            Some((_, _, true)) => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "roster",
                    format!("{label} is already on the roster."),
                )]))
            }
            Some((id, _, false)) => {
                let id = MemberId::from(id.as_str());
                regenerate_invite(conn, keys, &id)?;
                diesel::update(members::table.find(id.as_str()))
                    .set((members::active.eq(true), members::label.eq(label)))
                    .execute(conn)?;
            }
            None => {
                insert_member(conn, keys, Some(team_id), label, &key)?;
            }
        }
    }
    Ok(labels.len())
}

/// Raises every threshold below the instance's floor to the floor: teams (future rounds),
/// rounds of every status and reviews. An operator who raises `CANDOR_THRESHOLD_FLOOR`
/// means it for what exists too; raising a threshold only ever hides more, so frozen rounds
/// may be lifted (G9 forbids weakening, not strengthening). One transaction, at start; the
/// caller invalidates cached metrics when anything moved.
pub fn lift_thresholds(conn: &mut DbConnection, floor: u16) -> QueryResult<usize> {
    use crate::db::schema::{reviews, rounds};
    let floor = i32::from(floor);
    conn.transaction(|c| {
        let mut n = diesel::update(teams::table.filter(teams::threshold.lt(floor)))
            .set(teams::threshold.eq(floor))
            .execute(c)?;
        n += diesel::update(rounds::table.filter(rounds::threshold.lt(floor)))
            .set(rounds::threshold.eq(floor))
            .execute(c)?;
        n += diesel::update(reviews::table.filter(reviews::threshold.lt(floor)))
            .set(reviews::threshold.eq(floor))
            .execute(c)?;
        Ok(n)
    })
}

/// Makes one person's credential: a member row with a fresh link that no staff member has
/// seen yet (G13). `team_id` is `None` for a review's own invitees (G12): a review never
/// reuses a team's pulse link.
pub fn insert_member(
    conn: &mut DbConnection,
    keys: &Keys,
    team_id: Option<&TeamId>,
    label: &str,
    label_key: &str,
) -> QueryResult<MemberId> {
    let id = MemberId::from(new_id());
    let nonce = new_id();
    let hash = invite_lookup_hash(keys, &invite_secret(keys, &id, &nonce));
    diesel::insert_into(members::table)
        .values((
            members::id.eq(id.as_str()),
            members::team_id.eq(team_id.map(TeamId::as_str)),
            members::label.eq(label),
            members::label_key.eq(label_key),
            members::invite_nonce.eq(&nonce),
            members::invite_hash.eq(&hash),
            members::active.eq(true),
            members::created_at.eq(recorded_at()),
            members::staff_seen.eq(false),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Records that staff have now seen these members' links (shown on a page, listed by the
/// API, downloaded): from here on the member's page says so (G13).
pub fn mark_staff_seen(conn: &mut DbConnection, member_ids: &[MemberId]) -> QueryResult<usize> {
    if member_ids.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = member_ids.iter().map(MemberId::as_str).collect();
    diesel::update(members::table.filter(members::id.eq_any(ids)))
        .filter(members::staff_seen.eq(false))
        .set(members::staff_seen.eq(true))
        .execute(conn)
}

pub fn find_member(
    conn: &mut DbConnection,
    team_id: &TeamId,
    member_id: &MemberId,
) -> QueryResult<MemberRow> {
    members::table
        .find(member_id.as_str())
        .filter(members::team_id.eq(team_id.as_str()))
        .first(conn)
}

pub fn regenerate_invite(
    conn: &mut DbConnection,
    keys: &Keys,
    member_id: &MemberId,
) -> QueryResult<usize> {
    let nonce = new_id();
    let hash = invite_lookup_hash(keys, &invite_secret(keys, member_id, &nonce));
    diesel::update(members::table.find(member_id.as_str()))
        .set((
            members::invite_nonce.eq(&nonce),
            members::invite_hash.eq(&hash),
            // A new link has been seen by nobody yet; showing it to staff marks it again.
            members::staff_seen.eq(false),
        ))
        .execute(conn)
}

/// Removes someone from the roster of future rounds: their link stops working. Open rounds
/// keep the roster they were opened with (THREAT-MODEL G9).
pub fn remove_member(
    conn: &mut DbConnection,
    keys: &Keys,
    member_id: &MemberId,
) -> QueryResult<usize> {
    regenerate_invite(conn, keys, member_id)?;
    diesel::update(members::table.find(member_id.as_str()))
        .set(members::active.eq(false))
        .execute(conn)
}

/// The active member an invite secret belongs to.
pub fn member_by_invite(
    conn: &mut DbConnection,
    keys: &Keys,
    secret: &str,
) -> QueryResult<Option<MemberRow>> {
    members::table
        .filter(members::invite_hash.eq(invite_lookup_hash(keys, secret)))
        .filter(members::active.eq(true))
        .first(conn)
        .optional()
}

/// Records that this member's current link (made from `nonce`) was mailed to them by Candor
/// (G13 custody "member"): from here on no staff view shows it. A new link has a new nonce,
/// so the mark lapses by itself when a link is regenerated.
pub fn mark_mailed(
    conn: &mut DbConnection,
    member_id: &MemberId,
    nonce: &str,
) -> QueryResult<usize> {
    use crate::db::schema::mailed_links;
    diesel::delete(mailed_links::table.find(member_id.as_str())).execute(conn)?;
    diesel::insert_into(mailed_links::table)
        .values((
            mailed_links::member_id.eq(member_id.as_str()),
            mailed_links::invite_nonce.eq(nonce),
        ))
        .execute(conn)
}

/// Which of these members hold a link Candor mailed them, and still that link.
pub fn mailed_ids(
    conn: &mut DbConnection,
    members_: &[MemberRow],
) -> QueryResult<std::collections::HashSet<MemberId>> {
    use crate::db::schema::mailed_links;
    let ids: Vec<&str> = members_.iter().map(|m| m.id.as_str()).collect();
    let rows: Vec<(String, String)> = mailed_links::table
        .filter(mailed_links::member_id.eq_any(ids))
        .select((mailed_links::member_id, mailed_links::invite_nonce))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(id, nonce)| {
            members_
                .iter()
                .any(|m| m.id.as_str() == id && &m.invite_nonce == nonce)
        })
        .map(|(id, _)| MemberId::from(id))
        .collect())
}

/// Members by id, active ones only (what a reminder goes to).
pub fn find_active_members(
    conn: &mut DbConnection,
    ids: &[MemberId],
) -> QueryResult<Vec<MemberRow>> {
    let ids: Vec<&str> = ids.iter().map(MemberId::as_str).collect();
    members::table
        .filter(members::id.eq_any(ids))
        .filter(members::active.eq(true))
        .order(members::label_key)
        .load(conn)
}

/// Which of these members (by id) hold a link Candor mailed them, and still that link.
pub fn mailed_among(
    conn: &mut DbConnection,
    ids: &[MemberId],
) -> QueryResult<std::collections::HashSet<MemberId>> {
    use crate::db::schema::mailed_links;
    let ids: Vec<&str> = ids.iter().map(MemberId::as_str).collect();
    let rows: Vec<String> = mailed_links::table
        .inner_join(members::table)
        .filter(mailed_links::member_id.eq_any(ids))
        .filter(mailed_links::invite_nonce.eq(members::invite_nonce))
        .select(mailed_links::member_id)
        .load(conn)?;
    Ok(rows.into_iter().map(MemberId::from).collect())
}
