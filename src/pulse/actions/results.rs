//! What may be shown of one round, read in the caller's transaction: the threshold applied
//! by `disclosure`, and, when the comments are shown, their conversations (`threads`).

use super::super::model::RoundId;
use super::super::store::{self, RoundRow};
use crate::db::DbConnection;
use crate::disclosure::{self, RoundResults};
use crate::error::AppError;

pub(super) fn results_of(c: &mut DbConnection, r: &RoundRow) -> Result<RoundResults, AppError> {
    let agg = if r.is_closed() {
        store::find_aggregate(c, &r.id)?
    } else {
        None
    };
    let answered = if r.is_closed() {
        0
    } else {
        store::count_responses(c, &r.id)?
    };
    let mut results = disclosure::round_results(
        r.is_closed(),
        i64::from(r.invited),
        answered,
        r.threshold,
        agg.as_ref(),
    );
    // Conversations follow their comments: shown exactly when the comments are.
    if let RoundResults::Shown(s) = &mut results {
        if s.comments.is_some() {
            s.comment_threads = Some(crate::threads::actions::in_round::threads_of(c, &r.id)?);
        }
    }
    Ok(results)
}

/// A round and what may be shown of it, in the caller's transaction, for a feature that acts
/// only on what is shown (a reply to a comment needs the comments shown). No access check:
/// the caller has one (a leader's) or needs none (a receipt's holder, who wrote the comment).
pub fn round_and_results_in(
    c: &mut DbConnection,
    round_id: &RoundId,
) -> Result<(RoundRow, RoundResults), AppError> {
    let r = store::find_round(c, round_id)?;
    let results = results_of(c, &r)?;
    Ok((r, results))
}

/// The same for a staff member, who must lead the round's team (or be an admin).
pub fn staff_round_and_results_in(
    c: &mut DbConnection,
    user: &crate::auth::model::StaffUser,
    round_id: &RoundId,
) -> Result<(RoundRow, RoundResults), AppError> {
    let (_, r) = super::round_for(c, user, round_id)?;
    let results = results_of(c, &r)?;
    Ok((r, results))
}

/// Rounds closed on or before `day`, in the caller's transaction (retention of what other
/// features keep about rounds: comment conversations).
pub fn rounds_closed_by(c: &mut DbConnection, day: time::Date) -> Result<Vec<RoundId>, AppError> {
    Ok(store::closed_by(c, day)?)
}
