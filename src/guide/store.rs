//! The counts behind the checklist, over a set of teams.

use diesel::prelude::*;

use crate::db::schema::{members, rounds};
use crate::db::DbConnection;
use crate::teams::model::TeamId;

pub fn links_handed_out(conn: &mut DbConnection, team_ids: &[TeamId]) -> QueryResult<i64> {
    members::table
        .filter(members::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .filter(members::staff_seen.eq(true))
        .count()
        .get_result(conn)
}

/// `(rounds, closed rounds)` of these teams.
pub fn round_counts(conn: &mut DbConnection, team_ids: &[TeamId]) -> QueryResult<(i64, i64)> {
    let all = rounds::table
        .filter(rounds::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .count()
        .get_result(conn)?;
    let closed = rounds::table
        .filter(rounds::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .filter(rounds::status.eq(crate::pulse::model::RoundStatus::Closed.as_str()))
        .count()
        .get_result(conn)?;
    Ok((all, closed))
}
