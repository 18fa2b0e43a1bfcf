//! What members read of the loop, and the counts the culture metrics read. Member reads run
//! inside the member feature's own transaction (the invite or the receipt already checked)
//! and write nothing: reading an action leaves no trace of who read it.

use super::{action_views, item_views};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::followthrough::model::{self, ActionView, ItemView, RoundFollowThrough};
use crate::followthrough::store;
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::tokens::model::ScopeId;

/// What a member holding an invite sees of the loop: their team's actions and the action
/// items of the reviews their invite is for. Views are shown without links, owners' ids or
/// any time: dates only.
#[derive(Default)]
pub struct SeenByMember {
    pub actions: Vec<ActionView>,
    pub items: Vec<ItemView>,
}

/// For the member's landing: the actions of their team (none for a review's own invitee)
/// and the items of the reviews in `scopes` (the rounds and reviews their invite is frozen
/// into; ids that are not reviews match nothing).
pub fn seen_by_member(
    c: &mut DbConnection,
    team_id: Option<&TeamId>,
    scopes: &[ScopeId],
) -> Result<SeenByMember, AppError> {
    let actions = match team_id {
        Some(t) => {
            let rows = store::list_team_actions(c, std::slice::from_ref(t))?;
            action_views(c, rows)?
        }
        None => vec![],
    };
    // A scope is a round's or a review's id (both random, so they never meet): read as review
    // ids, a round's matches no item.
    let reviews: Vec<ReviewId> = scopes.iter().map(|s| ReviewId::from(s.as_str())).collect();
    let items = items_of_reviews(c, &reviews)?;
    Ok(SeenByMember { actions, items })
}

fn items_of_reviews(
    c: &mut DbConnection,
    review_ids: &[ReviewId],
) -> Result<Vec<ItemView>, AppError> {
    let rows = store::list_items(c, review_ids)?;
    let mut titles: Vec<(ReviewId, String)> = vec![];
    for id in review_ids {
        if rows.iter().any(|(i, _)| &i.review_id == id) {
            // The review's title is `reviews`' row, read through its store as elsewhere.
            let r = crate::reviews::store::find_review(c, id)?;
            titles.push((r.id, r.title));
        }
    }
    item_views(c, rows, |id| {
        titles
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    })
}

/// The action items of the review a writer's receipt opened, in the receipt's transaction.
pub fn items_for_writer(
    c: &mut DbConnection,
    review_id: &ReviewId,
) -> Result<Vec<ItemView>, AppError> {
    items_of_reviews(c, std::slice::from_ref(review_id))
}

/// The actions on a team's earlier rounds, for the top of its next round's form. The member
/// reached the form with their invite; the team is the round's.
pub async fn for_round_form(
    state: &AppState,
    team_id: TeamId,
) -> Result<Vec<ActionView>, AppError> {
    state
        .db
        .read(move |c| {
            let rows = store::list_team_actions(c, &[team_id])?;
            action_views(c, rows)
        })
        .await
}

/// Actions and their follow-through per closed round of each team named, in the caller's
/// read (the culture metrics decide which teams a viewer may see).
pub fn follow_through_in(
    c: &mut DbConnection,
    team_ids: &[TeamId],
) -> Result<Vec<RoundFollowThrough>, AppError> {
    let done = store::action_done_days(c, team_ids)?;
    // A team's rounds are `pulse`'s rows, read through its store as elsewhere: every team's
    // closed rounds in one query, grouped here.
    type Closed = (time::PrimitiveDateTime, String, String, Option<time::Date>);
    let mut by_team: std::collections::HashMap<String, Vec<Closed>> = Default::default();
    for (id, team, title, closed_on, opens_at) in
        crate::pulse::store::closed_rounds_of_teams(c, team_ids)?
    {
        by_team
            .entry(team)
            .or_default()
            .push((opens_at, id, title, closed_on));
    }
    let mut out = vec![];
    for t in team_ids {
        let mut mine_rounds = by_team.remove(t.as_str()).unwrap_or_default();
        // As `list_rounds` orders one team's rounds: by opening, then id.
        mine_rounds.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let rounds: Vec<(RoundId, String, Option<time::Date>)> = mine_rounds
            .into_iter()
            .map(|(_, id, title, closed_on)| (RoundId::from(id), title, closed_on))
            .collect();
        let mine: Vec<(RoundId, Option<time::Date>)> = done
            .iter()
            .filter(|(team, _, _)| team == t)
            .map(|(_, r, d)| (r.clone(), *d))
            .collect();
        out.extend(model::follow_through(t, &rounds, &mine));
    }
    Ok(out)
}
