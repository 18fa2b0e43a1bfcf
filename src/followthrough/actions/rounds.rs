//! A leader's actions after a round: record them on a closed round, change them, list them.
//! Access is the round's results' access: a leader of the round's team, or an admin.

use super::{action_views, change, owner_id};
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::followthrough::model::{ActionId, ActionView, Change, NewAction};
use crate::followthrough::store::{self, ActionRow};
use crate::pulse::model::{Question, RoundId};
use crate::pulse::store::RoundRow;
use crate::state::AppState;
use crate::teams::model::TeamId;
// Rounds and who leads a team are `pulse`'s and `teams`' rows; their stores are read
// directly, as `pulse` itself reads `teams`', until those features offer actions for it.
use crate::pulse::store as pulse;
use crate::teams::store::{self as teams, TeamRow};

/// A round's actions as its results page shows them, with what the form offers.
pub struct RoundActions {
    pub team: TeamRow,
    pub round: RoundRow,
    pub questions: Vec<Question>,
    pub actions: Vec<ActionView>,
    /// Active staff, for the owner picker.
    pub staff: Vec<String>,
}

fn round_for(
    c: &mut DbConnection,
    user: &StaffUser,
    round_id: &RoundId,
) -> Result<(TeamRow, RoundRow), AppError> {
    let round = pulse::find_round(c, round_id)?;
    let team = teams::team_for(c, user, &round.team_id)?;
    Ok((team, round))
}

fn actions_of_round(c: &mut DbConnection, round: &RoundRow) -> Result<Vec<ActionView>, AppError> {
    let rows = store::list_team_actions(c, std::slice::from_ref(&round.team_id))?
        .into_iter()
        .filter(|(a, _)| a.round_id == round.id)
        .collect();
    action_views(c, rows)
}

fn load(
    c: &mut DbConnection,
    user: &StaffUser,
    round_id: &RoundId,
) -> Result<RoundActions, AppError> {
    let (team, round) = round_for(c, user, round_id)?;
    Ok(RoundActions {
        questions: pulse::round_questions(c, &round.id)?,
        actions: actions_of_round(c, &round)?,
        staff: store::list_staff_emails(c)?,
        team,
        round,
    })
}

/// A round's actions, for a staff member who may see its results.
pub async fn round_actions(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
) -> Result<RoundActions, AppError> {
    let user = user.clone();
    state.db.read(move |c| load(c, &user, &round_id)).await
}

/// Records an action on a closed round. The round's access is checked before anything of
/// the input is, so someone who may not see it learns nothing from the errors; an open round
/// has no results to act on yet (409).
pub async fn record_action(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
    checked: Result<NewAction, Vec<FieldError>>,
) -> Result<ActionView, AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let (team, round) = round_for(c, &user, &round_id)?;
            if !round.is_closed() {
                return Err(AppError::Conflict(
                    "actions are recorded on a round's results, once it has closed".into(),
                ));
            }
            let a = checked.map_err(AppError::Invalid)?;
            if let Some(q) = &a.question_id {
                if !pulse::round_questions(c, &round.id)?
                    .iter()
                    .any(|x| &x.id == q)
                {
                    return Err(AppError::invalid(
                        "question_id",
                        "Choose one of this round's questions.",
                    ));
                }
            }
            let owner = owner_id(c, a.owner.as_deref())?;
            let id = store::insert_action(c, &round.id, &team.id, &a, owner.as_ref(), &user.id)?;
            audit(
                c,
                Some(&user.email),
                "round.action_recorded",
                &format!("{} ({}): {}", round.title, team.name, a.text),
            )?;
            find_view(c, &id)
        })
        .await
}

fn find_view(c: &mut DbConnection, id: &ActionId) -> Result<ActionView, AppError> {
    let row = store::find_action(c, id)?;
    let round = pulse::find_round(c, &row.round_id)?;
    action_views(c, vec![(row, round.title)])?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Changes an action's status, text, owner or due day. Marking it done records the day.
pub async fn change_action(
    state: &AppState,
    user: &StaffUser,
    action_id: ActionId,
    checked: Result<Change, Vec<FieldError>>,
) -> Result<ActionView, AppError> {
    let open = move |c: &mut DbConnection, user: &StaffUser| {
        let row = store::find_action(c, &action_id)?;
        let team = teams::team_for(c, user, &row.team_id)?;
        Ok((row, team))
    };
    let close = |c: &mut DbConnection, user: &StaffUser, row: ActionRow, team: TeamRow| {
        store::put_action(c, &row)?;
        let what = format!("{} ({}): {}", row.text, team.name, row.status);
        audit(c, Some(&user.email), "round.action_changed", &what)?;
        find_view(c, &row.id)
    };
    change(state, user, checked, open, close).await
}

/// Every action of a team, oldest round first, for a staff member who may see the team.
pub async fn team_actions(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<Vec<ActionView>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let team = teams::team_for(c, &user, &team_id)?;
            let rows = store::list_team_actions(c, &[team.id])?;
            action_views(c, rows)
        })
        .await
}
