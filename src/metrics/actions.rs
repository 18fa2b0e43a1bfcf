//! Culture-metric use cases: a viewer's report over the cached snapshot, and the admin's
//! groups of teams (each change one transaction that also moves the snapshot's version).

use std::collections::BTreeSet;

use super::model::View;
use super::report::{self, BadNews, GroupView, Report};
use super::store;
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::model::TeamId;

/// Everything `user` may see in `view`; only leaders and admins see metrics.
pub async fn report(state: &AppState, user: &StaffUser, view: View) -> Result<Report, AppError> {
    if !user.can_lead() {
        return Err(AppError::forbidden());
    }
    let cache = state.metrics.clone();
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let snap = cache.snapshot(c)?;
            let visible: Option<BTreeSet<String>> =
                store::visible_teams(c, &user)?.map(|v| v.into_iter().collect());
            let teams: Vec<(String, String)> = crate::teams::store::list_teams_for(c, &user)?
                .into_iter()
                .map(|t| (t.id.into_string(), t.name))
                .collect();
            // Review counts are instance-wide and over closed reviews only: counts, never text.
            let cc = crate::reviews::store::culture_counts(c, None)?;
            let reviews = BadNews {
                reviews_held: cc.reviews_held,
                accounts: cc.accounts_per_review.iter().map(|(_, n)| n).sum(),
                followups_asked: cc.followups_asked,
                followups_answered: cc.followups_answered,
                comments: 0,
                answered: 0,
            };
            let mut r = report::build(&snap, &visible, &teams, view, reviews);
            // Actions after rounds are `followthrough`'s: counts only, per round of the
            // teams this viewer may see.
            let ids: Vec<String> = teams.iter().map(|(id, _)| id.clone()).collect();
            r.follow_through = crate::followthrough::actions::follow_through_in(c, &ids)?
                .into_iter()
                .map(|f| {
                    let name = teams
                        .iter()
                        .find(|(id, _)| *id == f.team_id)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    (name, f)
                })
                .collect();
            Ok(r)
        })
        .await
}

/// Team ids and names, for the group editor's team picker.
pub type TeamNames = Vec<(String, String)>;

fn group_views(c: &mut DbConnection) -> Result<(Vec<GroupView>, TeamNames), AppError> {
    let teams = store::list_team_names(c)?;
    let name = |id: &str| {
        teams
            .iter()
            .find(|(t, _)| t == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let groups = store::load_groups(c)?
        .into_iter()
        .map(|g| GroupView {
            members: g
                .members
                .iter()
                .map(|m| {
                    (
                        m.team_id.clone(),
                        name(&m.team_id),
                        m.added_at.date().to_string(),
                        m.removed_at.map(|r| r.date().to_string()),
                    )
                })
                .collect(),
            id: g.id,
            name: g.name,
        })
        .collect();
    Ok((groups, teams))
}

/// Every group with its teams' history, and every team for the picker.
pub async fn groups(state: &AppState) -> Result<(Vec<GroupView>, TeamNames), AppError> {
    state.db.read(group_views).await
}

/// Creates a group with the given teams; returns its id. A team that does not exist is
/// refused, naming it, and nothing is created.
pub async fn create_group(
    state: &AppState,
    actor: &StaffUser,
    (name, key): (String, String),
    team_ids: Vec<String>,
) -> Result<String, AppError> {
    let actor = actor.email.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let id = store::create_group(c, &name, &key)?;
            for t in &team_ids {
                crate::teams::store::find_team(c, &TeamId::from(t.as_str()))
                    .map_err(|_| AppError::invalid("team_ids", format!("no team {t}")))?;
                store::add_team(c, &id, t, now)?;
            }
            store::bump_version(c)?;
            audit(c, Some(&actor), "group.created", &name)?;
            Ok(id)
        })
        .await
}

/// Adds a team to a group, or removes it (the group keeps the dates, so past quarters stay
/// as they were).
pub async fn change_membership(
    state: &AppState,
    actor: &StaffUser,
    group_id: String,
    team_id: String,
    add: bool,
) -> Result<(), AppError> {
    let actor = actor.email.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            crate::teams::store::find_team(c, &TeamId::from(team_id.as_str()))
                .map_err(|_| AppError::invalid("team_id", "No such team."))?;
            if !store::load_groups(c)?.iter().any(|g| g.id == group_id) {
                return Err(AppError::NotFound);
            }
            if add {
                store::add_team(c, &group_id, &team_id, now)?;
            } else if store::remove_team(c, &group_id, &team_id, now)? == 0 {
                return Err(AppError::NotFound);
            }
            store::bump_version(c)?;
            audit(
                c,
                Some(&actor),
                if add {
                    "group.team_added"
                } else {
                    "group.team_removed"
                },
                &format!("{team_id} in {group_id}"),
            )?;
            Ok(())
        })
        .await
}
