//! Culture metrics across teams: which figures exist (team rounds and group rollups, by
//! view), computed from stored aggregates only. What may be shown is decided by
//! `disclosure::protect`; this module only builds the cells and reads them out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use time::{Date, PrimitiveDateTime};

use crate::disclosure::{may_show, protect_with, Cell};
use crate::pulse::model::{rwg_j, Aggregate, Enps, Moments, QuestionId, RoundId};
use crate::teams::model::{MemberId, TeamId, Threshold};

crate::typed_id!(
    /// A group of teams' id (see `crate::id`).
    GroupId
);

/// One team's closed round: the smallest set of answers any metric is built from.
#[derive(Clone, Debug)]
pub struct Atom {
    pub team_id: TeamId,
    pub round_id: RoundId,
    pub opens_at: PrimitiveDateTime,
    pub closed_on: Date,
    pub threshold: Threshold,
    pub invited: i64,
    pub answered: i64,
    pub person_means: Moments,
    /// Scored moments of the psychological-safety items, by built-in key (ps1..ps7).
    pub items: BTreeMap<String, Moments>,
    /// The round's question id of each built-in item, for API clients.
    pub item_ids: BTreeMap<String, QuestionId>,
    pub enps: Enps,
    pub comments: i64,
    /// Member ids of the roster frozen when the round opened.
    pub roster: Vec<MemberId>,
}

impl Atom {
    pub fn from_aggregate(
        team_id: &TeamId,
        round_id: &RoundId,
        opens_at: PrimitiveDateTime,
        closed_on: Date,
        threshold: Threshold,
        agg: &Aggregate,
        roster: Vec<MemberId>,
    ) -> Self {
        let items = agg
            .items
            .iter()
            .filter_map(|i| {
                i.question
                    .builtin
                    .as_ref()
                    .filter(|b| b.starts_with("ps"))
                    .map(|b| (b.clone(), i.scored.clone()))
            })
            .collect();
        let item_ids = agg
            .items
            .iter()
            .filter_map(|i| {
                i.question
                    .builtin
                    .as_ref()
                    .filter(|b| b.starts_with("ps"))
                    .map(|b| (b.clone(), i.question.id.clone()))
            })
            .collect();
        Self {
            item_ids,
            team_id: team_id.clone(),
            round_id: round_id.clone(),
            opens_at,
            closed_on,
            threshold,
            invited: agg.invited,
            answered: agg.answered,
            person_means: agg.person_means.clone(),
            items,
            enps: agg.enps.clone().unwrap_or_default(),
            comments: agg.comment_count.max(agg.comments.len() as i64),
            roster,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub team_id: TeamId,
    pub added_at: PrimitiveDateTime,
    pub removed_at: Option<PrimitiveDateTime>,
}

#[derive(Clone, Debug)]
pub struct GroupDef {
    pub id: GroupId,
    pub name: String,
    pub members: Vec<Membership>,
}

impl GroupDef {
    /// A round counts for a group only if its team belonged to the group when it opened.
    pub fn covers(&self, a: &Atom) -> bool {
        self.members.iter().any(|m| {
            m.team_id == a.team_id
                && m.added_at <= a.opens_at
                && m.removed_at.is_none_or(|r| a.opens_at < r)
        })
    }
    pub fn team_ids(&self) -> BTreeSet<&TeamId> {
        self.members.iter().map(|m| &m.team_id).collect()
    }
}

/// Which rounds a view takes: each team's latest closed round, or its latest in a quarter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    Latest,
    Quarter(i32, u8),
}

impl View {
    pub fn of(d: Date) -> Self {
        Self::Quarter(d.year(), (u8::from(d.month()) - 1) / 3 + 1)
    }
    pub fn parse(s: &str) -> Option<Self> {
        if s.is_empty() || s == "latest" {
            return Some(Self::Latest);
        }
        let (y, q) = s.split_once("-Q")?;
        let q: u8 = q.parse().ok()?;
        (1..=4)
            .contains(&q)
            .then_some(Self::Quarter(y.parse().ok()?, q))
    }
    pub fn label(&self) -> String {
        match self {
            Self::Latest => "latest".into(),
            Self::Quarter(y, q) => format!("{y}-Q{q}"),
        }
    }
}

/// What a cell is a figure of.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CellKey {
    Team(usize),
    Group(View, GroupId),
}

/// Every figure that could exist, with what may be shown of it, across all views at once:
/// deciding jointly means no view can be subtracted from another (THREAT-MODEL G7).
pub struct Snapshot {
    pub atoms: Vec<Atom>,
    pub groups: Vec<GroupDef>,
    pub views: Vec<View>,
    /// The atom a team contributes to a view.
    pub team_atom: HashMap<(View, TeamId), usize>,
    /// The atoms of a group's rollup in a view.
    pub group_atoms: HashMap<(View, GroupId), Vec<usize>>,
    /// Whether the psychological-safety figures (score, items) of a cell may be shown.
    pub ps_shown: HashMap<CellKey, bool>,
    /// Whether the eNPS of a cell may be shown.
    pub enps_shown: HashMap<CellKey, bool>,
}

fn latest(atoms: &[Atom], idx: impl Iterator<Item = usize>) -> Option<usize> {
    idx.max_by_key(|i| {
        (
            atoms[*i].closed_on,
            atoms[*i].opens_at,
            atoms[*i].round_id.clone(),
        )
    })
}

impl Snapshot {
    pub fn build(atoms: Vec<Atom>, groups: Vec<GroupDef>) -> Self {
        let mut views: BTreeSet<View> = atoms.iter().map(|a| View::of(a.closed_on)).collect();
        views.insert(View::Latest);
        let views: Vec<View> = views.into_iter().collect();
        let teams: BTreeSet<TeamId> = atoms.iter().map(|a| a.team_id.clone()).collect();
        let mut team_atom = HashMap::new();
        for v in &views {
            for t in &teams {
                let of_team = (0..atoms.len()).filter(|i| {
                    atoms[*i].team_id == *t
                        && (*v == View::Latest || View::of(atoms[*i].closed_on) == *v)
                });
                if let Some(i) = latest(&atoms, of_team) {
                    team_atom.insert((*v, t.clone()), i);
                }
            }
        }
        let mut group_atoms = HashMap::new();
        for v in &views {
            for g in &groups {
                let mut set: Vec<usize> = g
                    .team_ids()
                    .into_iter()
                    .filter_map(|t| team_atom.get(&(*v, t.clone())).copied())
                    .filter(|i| g.covers(&atoms[*i]))
                    .collect();
                set.sort_unstable();
                if !set.is_empty() {
                    group_atoms.insert((*v, g.id.clone()), set);
                }
            }
        }
        let mut s = Self {
            atoms,
            groups,
            views,
            team_atom,
            group_atoms,
            ps_shown: HashMap::new(),
            enps_shown: HashMap::new(),
        };
        s.ps_shown = s.decide(|a| a.person_means.n);
        s.enps_shown = s.decide(|a| a.enps.n);
        s
    }

    /// Decides one family of figures (psychological safety or eNPS) for every cell at once.
    ///
    /// First the roster rule: for any two views of a group that would both be shown (the
    /// latest and every quarter, every pair, not only neighbours), if the people on the two
    /// rosters differ by at least one but fewer than the threshold, the later one is
    /// withheld (quarters in order, the latest last): the change between two figures of a
    /// group would otherwise track those few people. Then `disclosure::protect_with` hides
    /// whatever else is needed so that no combination of shown cells isolates fewer answers
    /// than the threshold. It only hides, so the roster rule still holds after it.
    fn decide(&self, n_of: impl Fn(&Atom) -> i64) -> HashMap<CellKey, bool> {
        let (keys, cells, atom_n) = self.cells(n_of);
        let atom_k: Vec<i64> = self.atoms.iter().map(|a| a.threshold.count()).collect();
        let withheld = self.roster_rule(&keys, &cells);
        let shown = protect_with(&atom_n, &atom_k, &cells, &withheld);
        keys.into_iter().zip(shown).collect()
    }

    /// Every cell of one family: each atom on its own (a team's round), then each group in
    /// each view; with the atoms' answer counts.
    fn cells(&self, n_of: impl Fn(&Atom) -> i64) -> (Vec<CellKey>, Vec<Cell>, Vec<i64>) {
        let atom_n: Vec<i64> = self.atoms.iter().map(&n_of).collect();
        let mut keys = Vec::new();
        let mut cells = Vec::new();
        for (i, a) in self.atoms.iter().enumerate() {
            keys.push(CellKey::Team(i));
            cells.push(Cell {
                atoms: vec![i],
                n: atom_n[i],
                k: a.threshold.count(),
            });
        }
        let mut group_keys: Vec<&(View, GroupId)> = self.group_atoms.keys().collect();
        group_keys.sort();
        for key in group_keys {
            let set = &self.group_atoms[key];
            keys.push(CellKey::Group(key.0, key.1.clone()));
            cells.push(Cell {
                atoms: set.clone(),
                n: set.iter().map(|i| atom_n[*i]).sum(),
                k: set
                    .iter()
                    .map(|i| self.atoms[*i].threshold.count())
                    .max()
                    .unwrap_or(0),
            });
        }
        (keys, cells, atom_n)
    }

    /// The roster rule: which group cells over the threshold are withheld because another
    /// view of the same group that would be shown has a roster fewer than k people away.
    fn roster_rule(&self, keys: &[CellKey], cells: &[Cell]) -> Vec<bool> {
        let index: HashMap<&CellKey, usize> =
            keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let mut withheld = vec![false; cells.len()];
        for g in &self.groups {
            // Quarters in order, then the latest: the later of a clashing pair is withheld.
            let order = self
                .views
                .iter()
                .filter(|v| **v != View::Latest)
                .chain(self.views.iter().filter(|v| **v == View::Latest));
            let mut kept: Vec<(BTreeSet<&MemberId>, i64)> = Vec::new();
            for v in order {
                let Some(&c) = index.get(&CellKey::Group(*v, g.id.clone())) else {
                    continue;
                };
                if !may_show(cells[c].n, cells[c].k) {
                    continue;
                }
                let roster: BTreeSet<&MemberId> = cells[c]
                    .atoms
                    .iter()
                    .flat_map(|i| self.atoms[*i].roster.iter())
                    .collect();
                let k = cells[c].k;
                let clash = kept.iter().any(|(other, k2)| {
                    let changed = roster.symmetric_difference(other).count() as i64;
                    changed > 0 && changed < k.max(*k2)
                });
                if clash {
                    withheld[c] = true;
                } else {
                    kept.push((roster, k));
                }
            }
        }
        withheld
    }

    /// The figures of a cell as they may be shown.
    pub fn figures(&self, key: &CellKey, atoms: &[usize]) -> Figures {
        let ps_ok = self.ps_shown.get(key).copied().unwrap_or(false);
        let enps_ok = self.enps_shown.get(key).copied().unwrap_or(false);
        let mut pm = Moments::default();
        let mut items: BTreeMap<String, Moments> = BTreeMap::new();
        let mut enps = Enps::default();
        let (mut answered, mut invited, mut comments) = (0, 0, 0);
        for i in atoms {
            let a = &self.atoms[*i];
            pm.merge(&a.person_means);
            for (k, m) in &a.items {
                items.entry(k.clone()).or_default().merge(m);
            }
            enps.n += a.enps.n;
            enps.promoters += a.enps.promoters;
            enps.passives += a.enps.passives;
            enps.detractors += a.enps.detractors;
            answered += a.answered;
            invited += a.invited;
            comments += a.comments;
        }
        let variances: Option<Vec<f64>> = items.values().map(Moments::variance).collect();
        Figures {
            status: if ps_ok { "shown" } else { "suppressed" },
            answered,
            invited,
            n: pm.n,
            score: ps_ok.then(|| pm.mean()).flatten(),
            spread: ps_ok.then(|| pm.sd()).flatten(),
            agreement: ps_ok
                .then(|| variances.and_then(|v| rwg_j(&v, 7)))
                .flatten(),
            items: items
                .iter()
                .map(|(k, m)| (k.clone(), ps_ok.then(|| m.mean()).flatten()))
                .collect(),
            enps: enps_ok.then(|| enps.score()).flatten(),
            comment_rate: (ps_ok && answered > 0).then(|| comments as f64 / answered as f64),
        }
    }
}

/// A cell's figures after the disclosure decision; suppressed ones are `None`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Figures {
    pub status: &'static str,
    pub answered: i64,
    pub invited: i64,
    #[serde(skip)]
    pub n: i64,
    pub score: Option<f64>,
    pub spread: Option<f64>,
    pub agreement: Option<f64>,
    pub items: Vec<(String, Option<f64>)>,
    pub enps: Option<f64>,
    pub comment_rate: Option<f64>,
}

/// A change between two periods, with whether it is within noise: the difference of two
/// means against twice its standard error, sqrt(s1²/n1 + s2²/n2).
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Change {
    pub delta: f64,
    pub standard_error: Option<f64>,
    pub within_noise: bool,
}

pub fn change(before: &Figures, after: &Figures) -> Option<Change> {
    let (b, a) = (before.score?, after.score?);
    let se = match (before.spread, after.spread) {
        (Some(s1), Some(s2)) if before.n > 0 && after.n > 0 => {
            Some((s1 * s1 / before.n as f64 + s2 * s2 / after.n as f64).sqrt())
        }
        _ => None,
    };
    let delta = a - b;
    Some(Change {
        delta,
        standard_error: se,
        within_noise: se.is_none_or(|se| delta.abs() < 2.0 * se),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn atom(team: &str, round: &str, day: Date, n: i64, roster: &[&str]) -> Atom {
        Atom {
            team_id: team.into(),
            round_id: round.into(),
            opens_at: PrimitiveDateTime::new(day, time::Time::MIDNIGHT),
            closed_on: day,
            threshold: Threshold::stored(3),
            invited: roster.len() as i64,
            answered: n,
            person_means: Moments {
                n,
                sum: 4.0 * n as f64,
                sumsq: 16.0 * n as f64,
            },
            items: BTreeMap::new(),
            item_ids: BTreeMap::new(),
            enps: Enps {
                n,
                ..Enps::default()
            },
            comments: 0,
            roster: roster.iter().map(|s| MemberId::from(*s)).collect(),
        }
    }

    fn group(id: &str, teams: &[&str]) -> GroupDef {
        GroupDef {
            id: id.into(),
            name: id.into(),
            members: teams
                .iter()
                .map(|t| Membership {
                    team_id: (*t).into(),
                    added_at: datetime!(2020-01-01 0:00),
                    removed_at: None,
                })
                .collect(),
        }
    }

    fn shown(s: &Snapshot, v: View, g: &str) -> bool {
        s.ps_shown[&CellKey::Group(v, g.into())]
    }

    #[test]
    fn the_roster_rule_compares_every_pair_of_views_not_only_neighbours() {
        let q = |y, n| View::Quarter(y, n);
        // T1 every quarter; T2 in Q1, then again in Q3 with one more person: Q1 and Q3 are
        // one person apart although each differs from Q2 by three or more.
        let atoms = vec![
            atom("t1", "a", date!(2026 - 02 - 01), 3, &["a", "b", "c"]),
            atom("t2", "b", date!(2026 - 02 - 02), 3, &["d", "e", "f"]),
            atom("t1", "c", date!(2026 - 05 - 01), 3, &["a", "b", "c"]),
            atom("t1", "d", date!(2026 - 08 - 01), 3, &["a", "b", "c"]),
            atom("t2", "e", date!(2026 - 08 - 02), 4, &["d", "e", "f", "g"]),
        ];
        let s = Snapshot::build(atoms, vec![group("G", &["t1", "t2"])]);
        assert!(shown(&s, q(2026, 1), "G"));
        assert!(shown(&s, q(2026, 2), "G"));
        assert!(!shown(&s, q(2026, 3), "G"));
        assert!(!shown(&s, View::Latest, "G"), "the latest is Q3's figure");
        assert_eq!(s.ps_shown, s.enps_shown);
        // Nothing changes who answered: every team figure shows.
        assert!((0..5).all(|i| s.ps_shown[&CellKey::Team(i)]));
    }

    #[test]
    fn the_latest_view_is_held_to_the_roster_rule_too() {
        let q = |y, n| View::Quarter(y, n);
        // V1 and V2 in Q1; V1 again in Q2 with one more person. The latest view (V1's Q2
        // round beside V2's Q1 round) is one person away from Q1.
        let atoms = vec![
            atom("v1", "a", date!(2026 - 02 - 01), 3, &["a", "b", "c"]),
            atom("v2", "b", date!(2026 - 02 - 02), 3, &["d", "e", "f"]),
            atom("v1", "c", date!(2026 - 05 - 01), 4, &["a", "b", "c", "x"]),
        ];
        let s = Snapshot::build(atoms, vec![group("H", &["v1", "v2"])]);
        assert!(shown(&s, q(2026, 1), "H"));
        assert!(shown(&s, q(2026, 2), "H"));
        assert!(!shown(&s, View::Latest, "H"));
        // A roster that changes by the threshold or more is no reason to hide.
        let atoms = vec![
            atom("v1", "a", date!(2026 - 02 - 01), 3, &["a", "b", "c"]),
            atom("v2", "b", date!(2026 - 02 - 02), 3, &["d", "e", "f"]),
            atom(
                "v1",
                "c",
                date!(2026 - 05 - 01),
                6,
                &["a", "b", "c", "x", "y", "z"],
            ),
        ];
        let s = Snapshot::build(atoms, vec![group("H", &["v1", "v2"])]);
        assert!(shown(&s, View::Latest, "H"));
    }

    /// A realistic large instance through `Snapshot::build` (both families, the roster rule
    /// and `protect`): 60 teams of 4 to 14 people over 12 quarters, 20 groups and one of
    /// everyone, rosters changing now and then. Run with
    /// `cargo test --release --lib snapshot_build_time -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn snapshot_build_time_on_a_large_instance() {
        use rand::{rngs::StdRng, RngExt, SeedableRng};
        let mut rng = StdRng::seed_from_u64(60);
        let mut atoms = Vec::new();
        for t in 0..60 {
            let mut roster: Vec<String> = (0..rng.random_range(4..=14))
                .map(|i| format!("p{t}-{i}"))
                .collect();
            let last = if t % 7 == 0 { 10 } else { 12 };
            for q in 0..last {
                if rng.random_bool(0.1) {
                    roster.push(format!("p{t}-new{q}"));
                }
                let day = Date::from_calendar_date(2024 + q / 4, time::Month::February, 1)
                    .expect("a valid date")
                    .replace_month(
                        time::Month::try_from(2 + 3 * (q % 4) as u8).expect("a valid date"),
                    )
                    .expect("a valid date");
                let refs: Vec<&str> = roster.iter().map(String::as_str).collect();
                let n = rng.random_range(1..=roster.len() as i64);
                let mut a = atom(&format!("t{t}"), &format!("r{t}-{q}"), day, n, &refs);
                a.threshold = Threshold::stored(5);
                atoms.push(a);
            }
        }
        let mut groups: Vec<GroupDef> = (0..20)
            .map(|g| {
                let teams: Vec<String> = (0..rng.random_range(2..=8))
                    .map(|_| format!("t{}", rng.random_range(0..60)))
                    .collect();
                let refs: Vec<&str> = teams.iter().map(String::as_str).collect();
                group(&format!("g{g}"), &refs)
            })
            .collect();
        let everyone: Vec<String> = (0..60).map(|t| format!("t{t}")).collect();
        let refs: Vec<&str> = everyone.iter().map(String::as_str).collect();
        groups.push(group("all", &refs));
        let t = std::time::Instant::now();
        let s = Snapshot::build(atoms, groups);
        let took = t.elapsed();
        let (keys, cells, _) = s.cells(|a| a.person_means.n);
        let withheld = s.roster_rule(&keys, &cells);
        let (mut total, mut over_k, mut by_roster, mut shown) = (0, 0, 0, 0);
        for (i, key) in keys.iter().enumerate() {
            if matches!(key, CellKey::Group(..)) {
                total += 1;
                over_k += usize::from(may_show(cells[i].n, cells[i].k));
                by_roster += usize::from(withheld[i]);
                shown += usize::from(s.ps_shown[key]);
            }
        }
        // For comparison, the rule before: each quarter against the quarter before only.
        let mut before = 0;
        for g in &s.groups {
            let quarters: Vec<&Vec<usize>> = s
                .views
                .iter()
                .filter(|v| **v != View::Latest)
                .filter_map(|v| s.group_atoms.get(&(*v, g.id.clone())))
                .collect();
            for pair in quarters.windows(2) {
                let roster = |set: &Vec<usize>| -> BTreeSet<MemberId> {
                    set.iter()
                        .flat_map(|i| s.atoms[*i].roster.clone())
                        .collect()
                };
                let changed = roster(pair[0])
                    .symmetric_difference(&roster(pair[1]))
                    .count();
                let n: i64 = pair[1].iter().map(|i| s.atoms[*i].person_means.n).sum();
                if changed > 0 && changed < 5 && n >= 5 {
                    before += 1;
                }
            }
        }
        println!(
            "{} atoms, {} views, {total} group cells: {over_k} over k, {by_roster} withheld by \
             the roster rule (the neighbours-only rule withheld {before}), {shown} shown (ps); \
             Snapshot::build took {took:?}",
            s.atoms.len(),
            s.views.len()
        );
    }
}
