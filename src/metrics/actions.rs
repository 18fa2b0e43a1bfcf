//! Culture-metric use cases: a viewer's report over the cached snapshot, and the admin's
//! groups of teams (each change one transaction that also moves the snapshot's version).

use std::collections::{BTreeSet, HashMap};

use super::model::{Atom, GroupId, View};
use super::report::{self, BadNews, GroupView, Report};
use super::store;
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::pulse::model::{Aggregate, RoundId};
use crate::state::AppState;
use crate::teams::model::TeamId;

/// Everything `user` may see in `view`; only leaders and admins see metrics.
pub async fn report(state: &AppState, user: &StaffUser, view: View) -> Result<Report, AppError> {
    report_of(state, user, view, true).await
}

/// The same report without the follow-through counts (`Report::follow_through` left empty),
/// for what never shows them: the heat map and its exports. Those counts read every team's
/// rounds, one query per team (3.5 of the heat map's 6.1 ms at 100 teams, issue 13's P4), while
/// the figures come from the cached snapshot.
pub async fn figures(state: &AppState, user: &StaffUser, view: View) -> Result<Report, AppError> {
    report_of(state, user, view, false).await
}

async fn report_of(
    state: &AppState,
    user: &StaffUser,
    view: View,
    with_follow_through: bool,
) -> Result<Report, AppError> {
    if !user.can_lead() {
        return Err(AppError::forbidden());
    }
    let cache = state.metrics.clone();
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let snap = cache.snapshot(c)?;
            // teams::store: the teams this user leads; teams has no action that lists them.
            let teams: Vec<(TeamId, String)> = crate::teams::store::list_teams_for(c, &user)?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect();
            // Admins see every team; anyone else the teams they lead.
            let visible: Option<BTreeSet<TeamId>> =
                (!user.is_admin()).then(|| teams.iter().map(|(id, _)| id.clone()).collect());
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
            if !with_follow_through {
                return Ok(r);
            }
            // Actions after rounds are `followthrough`'s: counts only, per round of the
            // teams this viewer may see.
            let ids: Vec<TeamId> = teams.iter().map(|(id, _)| id.clone()).collect();
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
pub type TeamNames = Vec<(TeamId, String)>;

fn group_views(c: &mut DbConnection) -> Result<(Vec<GroupView>, TeamNames), AppError> {
    let teams = store::list_team_names(c)?;
    let name = |id: &TeamId| {
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
    team_ids: Vec<TeamId>,
) -> Result<GroupId, AppError> {
    let actor = actor.email.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let id = store::create_group(c, &name, &key)?;
            for t in &team_ids {
                crate::teams::store::find_team(c, t)
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
    group_id: GroupId,
    team_id: TeamId,
    add: bool,
) -> Result<(), AppError> {
    let actor = actor.email.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            crate::teams::store::find_team(c, &team_id)
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

/// Every closed round that has a stored aggregate, as atoms: the rounds and their frozen
/// rosters from this feature's store, the aggregates (figures only, never words) from `pulse`.
pub fn load_atoms(c: &mut DbConnection) -> Result<Vec<Atom>, AppError> {
    let rounds = store::closed_rounds(c)?;
    let ids: Vec<RoundId> = rounds.iter().map(|r| r.id.clone()).collect();
    // pulse::store: the stored aggregates; pulse has no action that reads them in bulk.
    let aggs: HashMap<RoundId, Aggregate> = crate::pulse::store::find_aggregates(c, &ids)?
        .into_iter()
        .collect();
    let mut rosters = store::frozen_rosters(c, &ids)?;
    Ok(rounds
        .into_iter()
        .filter_map(|r| {
            let agg = aggs.get(&r.id)?;
            let roster = rosters.remove(&r.id).unwrap_or_default();
            Some(Atom::from_aggregate(
                &r.team_id,
                &r.id,
                r.opens_at,
                r.closed_on?,
                r.threshold,
                agg,
                roster,
            ))
        })
        .collect())
}
