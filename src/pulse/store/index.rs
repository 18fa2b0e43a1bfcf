//! The rounds of a set of teams: the pulse index's queries (a page at a time) and the
//! culture metrics' follow-through (all closed rounds at once).

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

/// A closed round as the culture metrics' follow-through reads it: id, team, title, closing
/// day and opening time (for the order within its team).
pub type ClosedRoundRef = (
    String,
    String,
    String,
    Option<time::Date>,
    time::PrimitiveDateTime,
);

/// Every closed round of these teams in one query, unordered: the caller groups them by team
/// and orders each team's rounds as `list_rounds` does. The heat map's follow-through read
/// the rounds team by team: 100 teams were 100 round trips per request on PostgreSQL (issue
/// 13, heat map p50 11 ms); sorting 1,200 rows in the database under its text collation
/// cost more than the scan (`EXPLAIN ANALYZE`: 0.6 of 0.7 ms), so the order is made here.
pub fn closed_rounds_of_teams(
    conn: &mut DbConnection,
    team_ids: &[TeamId],
) -> QueryResult<Vec<ClosedRoundRef>> {
    use crate::pulse::model::RoundStatus;
    rounds::table
        .filter(rounds::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .filter(rounds::status.eq(RoundStatus::Closed.as_str()))
        .select((
            rounds::id,
            rounds::team_id,
            rounds::title,
            rounds::closed_on,
            rounds::opens_at,
        ))
        .load(conn)
}
