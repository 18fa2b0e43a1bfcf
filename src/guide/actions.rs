//! The viewer's progress, read in one transaction.

use super::model::Progress;
use super::store;
use crate::auth::model::StaffUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::model::TeamId;

/// `team_ids`: the teams the viewer may see, in the order their Teams page lists them.
pub async fn progress(
    state: &AppState,
    user: &StaffUser,
    team_ids: Vec<TeamId>,
) -> Result<Progress, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let ids = team_ids;
            let (rounds, closed_rounds) = store::round_counts(c, &ids)?;
            let reviews = if user.can_facilitate() {
                Some(crate::reviews::store::list_reviews_for(c, &user)?.len() as i64)
            } else {
                None
            };
            Ok(Progress {
                first_team: ids.first().cloned(),
                teams: ids.len() as i64,
                links_handed_out: store::links_handed_out(c, &ids)?,
                rounds,
                closed_rounds,
                reviews,
            })
        })
        .await
}
