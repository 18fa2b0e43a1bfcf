//! Queries for culture metrics: closed rounds' stored aggregates, frozen rosters and groups.
//! Never reads responses.

use diesel::prelude::*;

use std::collections::HashMap;

use super::model::{GroupDef, GroupId, Membership};
use crate::db::schema::{eligibility, group_teams, rounds, team_groups, teams};
use crate::pulse::model::RoundId;
use crate::teams::model::{MemberId, TeamId, Threshold};
use time::PrimitiveDateTime;

use crate::clock::recorded_at;
use crate::db::{is_unique_violation, DbConnection};
use crate::error::{AppError, FieldError};
use crate::secret::new_id;

/// A closed round as the metrics read it: which team, when, and the threshold it kept.
pub struct ClosedRound {
    pub id: RoundId,
    pub team_id: TeamId,
    pub opens_at: PrimitiveDateTime,
    pub closed_on: Option<time::Date>,
    pub threshold: Threshold,
}

/// Every closed round (its aggregate is read by the caller, from `pulse`).
pub fn closed_rounds(conn: &mut DbConnection) -> QueryResult<Vec<ClosedRound>> {
    type Row = (String, String, PrimitiveDateTime, Option<time::Date>, i32);
    let rows: Vec<Row> = rounds::table
        .filter(rounds::status.eq(crate::pulse::model::RoundStatus::Closed.as_str()))
        .select((
            rounds::id,
            rounds::team_id,
            rounds::opens_at,
            rounds::closed_on,
            rounds::threshold,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, team, opens_at, closed_on, threshold)| ClosedRound {
            id: RoundId::from(id),
            team_id: TeamId::from(team),
            opens_at,
            closed_on,
            threshold: Threshold::stored(threshold),
        })
        .collect())
}

/// The rosters frozen when these rounds opened, by round.
pub fn frozen_rosters(
    conn: &mut DbConnection,
    round_ids: &[RoundId],
) -> QueryResult<HashMap<RoundId, Vec<MemberId>>> {
    let mut rosters: HashMap<RoundId, Vec<MemberId>> = HashMap::new();
    for chunk in round_ids.chunks(500) {
        let pairs: Vec<(String, String)> = eligibility::table
            .filter(eligibility::scope_id.eq_any(chunk.iter().map(RoundId::as_str)))
            .select((eligibility::scope_id, eligibility::member_id))
            .load(conn)?;
        for (s, m) in pairs {
            rosters
                .entry(RoundId::from(s))
                .or_default()
                .push(MemberId::from(m));
        }
    }
    Ok(rosters)
}

pub fn load_groups(conn: &mut DbConnection) -> QueryResult<Vec<GroupDef>> {
    let groups: Vec<(String, String)> = team_groups::table
        .order(team_groups::name_key)
        .select((team_groups::id, team_groups::name))
        .load(conn)?;
    type M = (
        String,
        String,
        time::PrimitiveDateTime,
        Option<time::PrimitiveDateTime>,
    );
    let members: Vec<M> = group_teams::table
        .select((
            group_teams::group_id,
            group_teams::team_id,
            group_teams::added_at,
            group_teams::removed_at,
        ))
        .order(group_teams::added_at)
        .load(conn)?;
    Ok(groups
        .into_iter()
        .map(|(id, name)| {
            let members = members
                .iter()
                .filter(|m| m.0 == id)
                .map(|m| Membership {
                    team_id: TeamId::from(m.1.as_str()),
                    added_at: m.2,
                    removed_at: m.3,
                })
                .collect();
            GroupDef {
                id: GroupId::from(id),
                name,
                members,
            }
        })
        .collect())
}

pub fn create_group(conn: &mut DbConnection, name: &str, key: &str) -> Result<GroupId, AppError> {
    let id = new_id();
    match diesel::insert_into(team_groups::table)
        .values((
            team_groups::id.eq(&id),
            team_groups::name.eq(name),
            team_groups::name_key.eq(key),
            team_groups::created_at.eq(recorded_at()),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(GroupId::from(id)),
        Err(e) if is_unique_violation(&e) => Err(AppError::Invalid(vec![FieldError::new(
            "name",
            "A group with this name already exists.",
        )])),
        Err(e) => Err(e.into()),
    }
}

/// Adds a team from now on: the group covers only the team's rounds opened from now.
pub fn add_team(
    conn: &mut DbConnection,
    group_id: &GroupId,
    team_id: &TeamId,
    now: PrimitiveDateTime,
) -> Result<(), AppError> {
    let current: i64 = group_teams::table
        .filter(group_teams::group_id.eq(group_id.as_str()))
        .filter(group_teams::team_id.eq(team_id.as_str()))
        .filter(group_teams::removed_at.is_null())
        .count()
        .get_result(conn)?;
    if current > 0 {
        return Err(AppError::invalid(
            "team",
            "This team is already in the group.",
        ));
    }
    diesel::insert_into(group_teams::table)
        .values((
            group_teams::id.eq(new_id()),
            group_teams::group_id.eq(group_id.as_str()),
            group_teams::team_id.eq(team_id.as_str()),
            group_teams::added_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes a team from now on; its earlier rounds stay in the group's earlier figures.
pub fn remove_team(
    conn: &mut DbConnection,
    group_id: &GroupId,
    team_id: &TeamId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        group_teams::table
            .filter(group_teams::group_id.eq(group_id.as_str()))
            .filter(group_teams::team_id.eq(team_id.as_str()))
            .filter(group_teams::removed_at.is_null()),
    )
    .set(group_teams::removed_at.eq(Some(now)))
    .execute(conn)
}

/// Every team's (id, name), by name: the group editor's team picker.
pub fn list_team_names(conn: &mut DbConnection) -> QueryResult<Vec<(TeamId, String)>> {
    let rows: Vec<(String, String)> = teams::table
        .order(teams::name_key)
        .select((teams::id, teams::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| (TeamId::from(id), name))
        .collect())
}

/// A stamp that changes whenever a figure could change (a round closes, a group changes),
/// so every app process can keep its computed snapshot until then.
pub fn version(conn: &mut DbConnection) -> QueryResult<String> {
    Ok(crate::db::settings::get_setting(conn, "metrics_version")?.unwrap_or_default())
}

pub fn bump_version(conn: &mut DbConnection) -> QueryResult<usize> {
    crate::db::settings::put_setting(conn, "metrics_version", &new_id())
}
