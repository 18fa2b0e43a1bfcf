//! Culture metrics across teams: which figures exist (team rounds and group rollups, by
//! view), computed from stored aggregates only. What may be shown is decided by
//! `disclosure::protect`; this module only builds the cells and reads them out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use time::{Date, PrimitiveDateTime};

use crate::disclosure::{protect, Cell};
use crate::pulse::model::{rwg_j, Aggregate, Enps, Moments};

/// One team's closed round: the smallest set of answers any metric is built from.
#[derive(Clone, Debug)]
pub struct Atom {
    pub team_id: String,
    pub round_id: String,
    pub opens_at: PrimitiveDateTime,
    pub closed_on: Date,
    pub threshold: i64,
    pub invited: i64,
    pub answered: i64,
    pub person_means: Moments,
    /// Scored moments of the psychological-safety items, by built-in key (ps1..ps7).
    pub items: BTreeMap<String, Moments>,
    /// The round's question id of each built-in item, for API clients.
    pub item_ids: BTreeMap<String, String>,
    pub enps: Enps,
    pub comments: i64,
    /// Member ids of the roster frozen when the round opened.
    pub roster: Vec<String>,
}

impl Atom {
    pub fn from_aggregate(
        team_id: &str,
        round_id: &str,
        opens_at: PrimitiveDateTime,
        closed_on: Date,
        threshold: i64,
        agg: &Aggregate,
        roster: Vec<String>,
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
            team_id: team_id.into(),
            round_id: round_id.into(),
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
    pub team_id: String,
    pub added_at: PrimitiveDateTime,
    pub removed_at: Option<PrimitiveDateTime>,
}

#[derive(Clone, Debug)]
pub struct GroupDef {
    pub id: String,
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
    pub fn team_ids(&self) -> BTreeSet<&str> {
        self.members.iter().map(|m| m.team_id.as_str()).collect()
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
    Group(View, String),
}

/// Every figure that could exist, with what may be shown of it, across all views at once:
/// deciding jointly means no view can be subtracted from another (THREAT-MODEL G7).
pub struct Snapshot {
    pub atoms: Vec<Atom>,
    pub groups: Vec<GroupDef>,
    pub views: Vec<View>,
    /// The atom a team contributes to a view.
    pub team_atom: HashMap<(View, String), usize>,
    /// The atoms of a group's rollup in a view.
    pub group_atoms: HashMap<(View, String), Vec<usize>>,
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
        let teams: BTreeSet<String> = atoms.iter().map(|a| a.team_id.clone()).collect();
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
                    .filter_map(|t| team_atom.get(&(*v, t.to_owned())).copied())
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

    /// Runs complementary suppression for one family of figures, then hides a group's figure
    /// in a quarter when the group's roster changed from the quarter before by fewer people
    /// than the threshold: the change of a group figure would otherwise track those people.
    fn decide(&self, n_of: impl Fn(&Atom) -> i64) -> HashMap<CellKey, bool> {
        let atom_n: Vec<i64> = self.atoms.iter().map(&n_of).collect();
        let atom_k: Vec<i64> = self.atoms.iter().map(|a| a.threshold).collect();
        let mut keys = Vec::new();
        let mut cells = Vec::new();
        for (i, a) in self.atoms.iter().enumerate() {
            keys.push(CellKey::Team(i));
            cells.push(Cell {
                atoms: vec![i],
                n: atom_n[i],
                k: a.threshold,
            });
        }
        let mut group_keys: Vec<&(View, String)> = self.group_atoms.keys().collect();
        group_keys.sort();
        for key in group_keys {
            let set = &self.group_atoms[key];
            keys.push(CellKey::Group(key.0, key.1.clone()));
            cells.push(Cell {
                atoms: set.clone(),
                n: set.iter().map(|i| atom_n[*i]).sum(),
                k: set.iter().map(|i| atom_k[*i]).max().unwrap_or(0),
            });
        }
        let shown = protect(&atom_n, &atom_k, &cells);
        let mut out: HashMap<CellKey, bool> = keys.into_iter().zip(shown).collect();
        for g in &self.groups {
            let quarters: Vec<&View> = self
                .views
                .iter()
                .filter(|v| {
                    **v != View::Latest && self.group_atoms.contains_key(&(**v, g.id.clone()))
                })
                .collect();
            for pair in quarters.windows(2) {
                let roster = |v: &View| -> BTreeSet<&str> {
                    self.group_atoms[&(*v, g.id.clone())]
                        .iter()
                        .flat_map(|i| self.atoms[*i].roster.iter().map(String::as_str))
                        .collect()
                };
                let (before, after) = (roster(pair[0]), roster(pair[1]));
                let changed = before.symmetric_difference(&after).count() as i64;
                let k = self.group_atoms[&(*pair[1], g.id.clone())]
                    .iter()
                    .map(|i| self.atoms[*i].threshold)
                    .max()
                    .unwrap_or(0);
                if changed > 0 && changed < k {
                    out.insert(CellKey::Group(*pair[1], g.id.clone()), false);
                }
            }
        }
        out
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
#[derive(Clone, Debug, Serialize, PartialEq)]
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
