//! What one viewer may see of the culture metrics in one view: heat-map rows, trend lines
//! and the bad-news counts, computed once from the snapshot and rendered as page, CSV or JSON
//! alike. Pure: the snapshot's disclosure decisions are already made.

use std::collections::BTreeSet;

use super::model::{change, CellKey, Change, Figures, GroupDef, GroupId, Snapshot, View};
use crate::followthrough::model::RoundFollowThrough;
use crate::pulse::model::RoundId;
use crate::teams::model::TeamId;

pub struct HeatRow {
    pub kind: &'static str,
    /// The group's or the team's id (`kind` says which), as the exports print it.
    pub id: String,
    pub name: String,
    pub round_id: Option<RoundId>,
    pub figures: Option<Figures>,
}

pub struct TrendLine {
    pub name: String,
    pub kind: &'static str,
    pub points: Vec<Option<Figures>>,
    pub change: Option<Change>,
}

pub struct BadNews {
    pub reviews_held: i64,
    pub accounts: i64,
    pub followups_asked: i64,
    pub followups_answered: i64,
    pub comments: i64,
    pub answered: i64,
}

/// A group of teams for the group editor: each member team is (id, name, added on,
/// removed on).
pub struct GroupView {
    pub id: GroupId,
    pub name: String,
    pub members: Vec<(TeamId, String, String, Option<String>)>,
}

/// Everything one viewer may see in one view, computed once and rendered as page, CSV,
/// JSON or API alike.
pub struct Report {
    pub view: View,
    pub views: Vec<View>,
    pub rows: Vec<HeatRow>,
    pub quarters: Vec<View>,
    pub trends: Vec<TrendLine>,
    pub bad_news: BadNews,
    /// Actions recorded after each closed round of the viewer's teams and how many were done
    /// by the next round's close (`followthrough`), with the team's name.
    pub follow_through: Vec<(String, RoundFollowThrough)>,
}

fn visible_groups<'a>(snap: &'a Snapshot, teams: &Option<BTreeSet<TeamId>>) -> Vec<&'a GroupDef> {
    snap.groups
        .iter()
        .filter(|g| match teams {
            None => true,
            // A leader sees a group only if it contains no team they do not lead.
            Some(t) => !g.members.is_empty() && g.team_ids().iter().all(|id| t.contains(*id)),
        })
        .collect()
}

/// Builds what one viewer may see in one view from the snapshot: `visible` is the teams
/// they may see (`None`: all), `teams` their teams' (id, name), `reviews` the instance-wide
/// review counts (its `comments` and `answered` are filled in here).
pub fn build(
    snap: &Snapshot,
    visible: &Option<BTreeSet<TeamId>>,
    teams: &[(TeamId, String)],
    view: View,
    reviews: BadNews,
) -> Report {
    let groups = visible_groups(snap, visible);
    let view = if snap.views.contains(&view) {
        view
    } else {
        View::Latest
    };
    let mut rows = Vec::new();
    for g in &groups {
        let key = CellKey::Group(view, g.id.clone());
        let figures = snap
            .group_atoms
            .get(&(view, g.id.clone()))
            .map(|atoms| snap.figures(&key, atoms));
        rows.push(HeatRow {
            kind: "group",
            id: g.id.to_string(),
            name: g.name.clone(),
            round_id: None,
            figures,
        });
    }
    for (id, name) in teams {
        let atom = snap.team_atom.get(&(view, id.clone())).copied();
        let figures = atom.map(|i| snap.figures(&CellKey::Team(i), &[i]));
        rows.push(HeatRow {
            kind: "team",
            id: id.to_string(),
            name: name.clone(),
            round_id: atom.map(|i| snap.atoms[i].round_id.clone()),
            figures,
        });
    }
    let quarters: Vec<View> = snap
        .views
        .iter()
        .filter(|v| **v != View::Latest)
        .copied()
        .collect();
    let mut trends = Vec::new();
    let line = |name: String, kind: &'static str, points: Vec<Option<Figures>>| {
        let shown: Vec<&Figures> = points
            .iter()
            .flatten()
            .filter(|f| f.score.is_some())
            .collect();
        let change = if shown.len() >= 2 {
            change(shown[shown.len() - 2], shown[shown.len() - 1])
        } else {
            None
        };
        TrendLine {
            name,
            kind,
            points,
            change,
        }
    };
    for g in &groups {
        let points = quarters
            .iter()
            .map(|q| {
                snap.group_atoms
                    .get(&(*q, g.id.clone()))
                    .map(|atoms| snap.figures(&CellKey::Group(*q, g.id.clone()), atoms))
            })
            .collect();
        trends.push(line(g.name.clone(), "group", points));
    }
    for (id, name) in teams {
        let points: Vec<_> = quarters
            .iter()
            .map(|q| {
                snap.team_atom
                    .get(&(*q, id.clone()))
                    .map(|i| snap.figures(&CellKey::Team(*i), &[*i]))
            })
            .collect();
        if points.iter().any(Option::is_some) {
            trends.push(line(name.clone(), "team", points));
        }
    }
    let shown_teams: Vec<&HeatRow> = rows.iter().filter(|r| r.kind == "team").collect();
    let (comments, answered) = shown_teams
        .iter()
        .filter_map(|r| r.figures.as_ref().filter(|f| f.comment_rate.is_some()))
        .fold((0i64, 0i64), |(c, a), f| {
            (
                c + (f.comment_rate.unwrap_or(0.0) * f.answered as f64).round() as i64,
                a + f.answered,
            )
        });
    let bad_news = BadNews {
        comments,
        answered,
        ..reviews
    };
    Report {
        view,
        views: snap.views.clone(),
        rows,
        quarters,
        trends,
        bad_news,
        follow_through: vec![],
    }
}
