//! The staff's pulse index: every round of the teams they may see, a page at a time, each
//! with what may be shown of it (the score, or that it is hidden) and its participation.

use super::super::pages::index::{IndexRow, RoundsPage};
use super::super::store;
use super::results_of;
use crate::auth::model::StaffUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::teams::store as teams;

/// Rounds on one page of the index.
pub const ROUNDS_PER_PAGE: i64 = 20;

/// The rounds of the teams this staff member may see, newest first, `ROUNDS_PER_PAGE` at a
/// time. Results go through `disclosure` like every other view of a round.
pub async fn rounds_index(
    state: &AppState,
    user: &StaffUser,
    page: i64,
) -> Result<RoundsPage, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let teams_list = teams::list_teams_for(c, &user)?;
            let ids: Vec<TeamId> = teams_list.iter().map(|t| t.id.clone()).collect();
            let total = store::count_rounds_of_teams(c, &ids)?;
            let pages = ((total + ROUNDS_PER_PAGE - 1) / ROUNDS_PER_PAGE).max(1);
            let page = page.clamp(1, pages);
            let offset = (page - 1) * ROUNDS_PER_PAGE;
            let rounds = store::page_rounds_of_teams(c, &ids, ROUNDS_PER_PAGE, offset)?;
            let mut rows = Vec::with_capacity(rounds.len());
            for round in rounds {
                let Some(team) = teams_list.iter().find(|t| t.id == round.team_id) else {
                    continue;
                };
                let results = results_of(c, &round)?;
                rows.push(IndexRow {
                    team: team.clone(),
                    round,
                    results,
                });
            }
            Ok(RoundsPage {
                rows,
                page,
                pages,
                total,
            })
        })
        .await
}
