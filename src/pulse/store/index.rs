//! The pulse index's queries: the rounds of a set of teams, a page at a time.

use diesel::prelude::*;

use super::RoundRow;
use crate::db::schema::rounds;
use crate::db::DbConnection;
use crate::teams::model::TeamId;

pub fn count_rounds_of_teams(conn: &mut DbConnection, team_ids: &[TeamId]) -> QueryResult<i64> {
    rounds::table
        .filter(rounds::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .count()
        .get_result(conn)
}

/// One page of the rounds of these teams, newest first (ties broken by id, so pages never
/// overlap).
pub fn page_rounds_of_teams(
    conn: &mut DbConnection,
    team_ids: &[TeamId],
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<RoundRow>> {
    rounds::table
        .filter(rounds::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .order((rounds::opens_at.desc(), rounds::id))
        .limit(limit)
        .offset(offset)
        .load(conn)
}
