//! What may be shown: the one place that decides, for pages, the API and every export
//! (THREAT-MODEL G6, G7). Everything here reads stored aggregates, never raw answers.

use serde::Serialize;

use crate::pulse::model::{Aggregate, Kind};

/// A figure over fewer answers than the threshold is never shown.
pub fn may_show(n: i64, threshold: i64) -> bool {
    n >= threshold && n > 0
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ShownItem {
    pub question_id: String,
    pub text: String,
    pub kind: Kind,
    pub reverse: bool,
    pub n: i64,
    /// Mean as answered (scale, eNPS); `None` when suppressed or not numeric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// After reverse scoring, so higher is always better.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored_mean: Option<f64>,
    /// Counts from `min` upward (scale, eNPS) or per option (choice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    pub min: i32,
    pub max: i32,
    /// Free-text answers, shuffled, only when at least the threshold wrote one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<String>>,
    pub suppressed: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ShownEnps {
    pub n: i64,
    pub score: f64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

/// The results of one round as the viewer may see them.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RoundResults {
    /// Not closed: only participation.
    Open {
        invited: i64,
        answered: i64,
    },
    /// Closed with fewer answers than the threshold.
    Suppressed {
        invited: i64,
        answered: i64,
        needed: i64,
    },
    Shown(Box<Shown>),
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Shown {
    pub invited: i64,
    pub answered: i64,
    pub threshold: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<f64>,
    pub items: Vec<ShownItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enps: Option<ShownEnps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<String>>,
    /// How many comments were written, always shown; their text needs the threshold.
    pub comment_count: i64,
}

/// Applies the threshold to a round: nothing before close, nothing under k, and inside a
/// shown round nothing over fewer than k answers (an optional item, the comments).
pub fn round_results(
    closed: bool,
    invited: i64,
    answered_now: i64,
    threshold: i64,
    agg: Option<&Aggregate>,
) -> RoundResults {
    let (true, Some(agg)) = (closed, agg) else {
        return RoundResults::Open {
            invited,
            answered: answered_now,
        };
    };
    if !may_show(agg.answered, threshold) {
        return RoundResults::Suppressed {
            invited: agg.invited,
            answered: agg.answered,
            needed: threshold - agg.answered,
        };
    }
    let show_score = may_show(agg.person_means.n, threshold);
    let items = agg
        .items
        .iter()
        .map(|i| {
            let q = &i.question;
            let ok = may_show(i.raw.n, threshold);
            let numeric = matches!(q.kind, Kind::Scale | Kind::Enps);
            ShownItem {
                question_id: q.id.clone(),
                text: q.text.clone(),
                kind: q.kind,
                reverse: q.reverse,
                n: i.raw.n,
                mean: (ok && numeric).then(|| i.raw.mean()).flatten(),
                scored_mean: (ok && numeric).then(|| i.scored.mean()).flatten(),
                distribution: (ok && q.kind != Kind::Text).then(|| i.counts.clone()),
                options: q.options.clone(),
                min: q.min,
                max: q.max,
                texts: (ok && q.kind == Kind::Text).then(|| i.texts.clone()),
                suppressed: !ok,
            }
        })
        .collect();
    let enps = agg
        .enps
        .as_ref()
        .filter(|e| may_show(e.n, threshold))
        .and_then(|e| {
            e.score().map(|score| ShownEnps {
                n: e.n,
                score,
                promoters: e.promoters,
                passives: e.passives,
                detractors: e.detractors,
            })
        });
    let comment_count = agg.comment_count.max(agg.comments.len() as i64);
    RoundResults::Shown(Box::new(Shown {
        invited: agg.invited,
        answered: agg.answered,
        threshold,
        score: show_score.then(|| agg.person_means.mean()).flatten(),
        spread: show_score.then(|| agg.person_means.sd()).flatten(),
        agreement: show_score.then_some(agg.agreement).flatten(),
        items,
        enps,
        comments: may_show(comment_count, threshold).then(|| agg.comments.clone()),
        comment_count,
    }))
}

impl RoundResults {
    pub fn score(&self) -> Option<f64> {
        match self {
            Self::Shown(s) => s.score,
            _ => None,
        }
    }
    pub fn status(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Suppressed { .. } => "suppressed",
            Self::Shown(_) => "shown",
        }
    }
}

/// A figure that could be published: a team's round (one atom) or a group's rollup (the
/// union of several atoms), with the number of answers it rests on.
#[derive(Clone, Debug)]
pub struct Cell {
    pub atoms: Vec<usize>,
    pub n: i64,
    /// The threshold this cell must meet (a group takes the largest of its teams').
    pub k: i64,
}

/// Complementary suppression (G7): decides which cells may be published so that no atom
/// under the threshold, nor any pair of atoms together under it, can be solved for from the
/// published ones by any linear combination.
///
/// `atom_n[i]` is the number of answers in atom `i` (a team's closed round) and `atom_k[i]`
/// its threshold. Primary suppression hides every cell under its own `k`. Then, working only over the hidden atoms (shown
/// team cells give away their own atoms anyway), each published group's vector is
/// projected onto the hidden atoms and the span of those projections is tested against the
/// indicator of each hidden atom with answers, and of each pair of hidden atoms whose
/// answers together are under `k`. While one is in the span, the smallest published group
/// touching it is hidden too, and the test runs again. Hiding only ever shrinks the span,
/// so this ends, and what is left cannot be solved for.
pub fn protect(atom_n: &[i64], atom_k: &[i64], cells: &[Cell]) -> Vec<bool> {
    let mut shown: Vec<bool> = cells.iter().map(|c| may_show(c.n, c.k)).collect();
    // An atom is known when a single-atom cell of it is shown.
    loop {
        let mut known = vec![false; atom_n.len()];
        for (c, s) in cells.iter().zip(&shown) {
            if *s && c.atoms.len() == 1 {
                known[c.atoms[0]] = true;
            }
        }
        let hidden: Vec<usize> = (0..atom_n.len())
            .filter(|i| !known[*i] && atom_n[*i] > 0)
            .collect();
        if hidden.is_empty() {
            return shown;
        }
        let index = |a: usize| hidden.iter().position(|h| *h == a);
        // Projections of published multi-atom cells onto the hidden atoms.
        let published: Vec<(usize, Vec<f64>)> = cells
            .iter()
            .enumerate()
            .filter(|(i, c)| shown[*i] && c.atoms.len() > 1)
            .map(|(i, c)| {
                let mut v = vec![0.0; hidden.len()];
                for a in &c.atoms {
                    if let Some(j) = index(*a) {
                        v[j] = 1.0;
                    }
                }
                (i, v)
            })
            .filter(|(_, v)| v.iter().any(|x| *x != 0.0))
            .collect();
        let basis = Basis::new(published.iter().map(|(_, v)| v.clone()).collect());
        let mut targets: Vec<Vec<usize>> = (0..hidden.len()).map(|j| vec![j]).collect();
        for a in 0..hidden.len() {
            for b in a + 1..hidden.len() {
                if atom_n[hidden[a]] + atom_n[hidden[b]] < atom_k[hidden[a]].max(atom_k[hidden[b]])
                {
                    targets.push(vec![a, b]);
                }
            }
        }
        let leak = targets.into_iter().find(|t| {
            let mut e = vec![0.0; hidden.len()];
            for j in t {
                e[*j] = 1.0;
            }
            basis.contains(&e)
        });
        let Some(leak) = leak else { return shown };
        // Hide the smallest published group that touches the leaking atoms.
        let victim = published
            .iter()
            .filter(|(_, v)| leak.iter().any(|j| v[*j] != 0.0))
            .min_by_key(|(i, _)| cells[*i].n)
            .map(|(i, _)| *i);
        match victim {
            Some(i) => shown[i] = false,
            None => return shown,
        }
    }
}

/// A row-reduced basis of vectors, to test whether a vector lies in their span.
struct Basis {
    rows: Vec<(usize, Vec<f64>)>,
}

const EPS: f64 = 1e-9;

impl Basis {
    fn new(vectors: Vec<Vec<f64>>) -> Self {
        let mut rows: Vec<(usize, Vec<f64>)> = Vec::new();
        for v in vectors {
            if let Some(r) = Self::reduce_with(&rows, v) {
                rows.push(r);
            }
        }
        Self { rows }
    }

    /// Reduces `v` against the rows; returns the new (pivot, row) if independent.
    fn reduce_with(rows: &[(usize, Vec<f64>)], mut v: Vec<f64>) -> Option<(usize, Vec<f64>)> {
        for (pivot, row) in rows {
            let f = v[*pivot];
            if f.abs() > EPS {
                for (x, r) in v.iter_mut().zip(row) {
                    *x -= f * r;
                }
            }
        }
        let pivot = v.iter().position(|x| x.abs() > EPS)?;
        let p = v[pivot];
        for x in &mut v {
            *x /= p;
        }
        Some((pivot, v))
    }

    fn contains(&self, v: &[f64]) -> bool {
        let mut v = v.to_vec();
        // Rows were reduced in insertion order; reduce against all, repeatedly until stable.
        for _ in 0..2 {
            for (pivot, row) in &self.rows {
                let f = v[*pivot];
                if f.abs() > EPS {
                    for (x, r) in v.iter_mut().zip(row) {
                        *x -= f * r;
                    }
                }
            }
        }
        v.iter().all(|x| x.abs() <= 1e-7)
    }
}

#[cfg(test)]
mod protect_tests {
    use super::*;

    fn team(i: usize, n: i64) -> Cell {
        Cell {
            atoms: vec![i],
            n,
            k: 5,
        }
    }
    fn group(atoms: &[usize], n: i64) -> Cell {
        Cell {
            atoms: atoms.to_vec(),
            n,
            k: 5,
        }
    }
    fn protect(n: &[i64], cells: &[Cell]) -> Vec<bool> {
        super::protect(n, &vec![5; n.len()], cells)
    }

    #[test]
    fn a_group_total_next_to_all_but_one_of_its_teams_is_hidden() {
        let n = [10, 10, 2];
        let cells = vec![team(0, 10), team(1, 10), team(2, 2), group(&[0, 1, 2], 22)];
        assert_eq!(protect(&n, &cells), vec![true, true, false, false]);
    }

    #[test]
    fn two_groups_differing_by_a_small_team_cannot_both_show() {
        let n = [10, 10, 2];
        let cells = vec![
            team(0, 10),
            team(1, 10),
            team(2, 2),
            group(&[0, 1], 20),
            group(&[0, 1, 2], 22),
        ];
        let s = protect(&n, &cells);
        assert!(!s[2] && !s[4], "{s:?}");
    }

    #[test]
    fn a_cycle_of_three_groups_that_would_solve_a_team_is_broken() {
        // Hidden atoms 0,1,2 (n=4 each, k=5): groups {0,1}, {1,2}, {0,2} solve each atom.
        let n = [4, 4, 4];
        let cells = vec![
            team(0, 4),
            team(1, 4),
            team(2, 4),
            group(&[0, 1], 8),
            group(&[1, 2], 8),
            group(&[0, 2], 8),
        ];
        let s = protect(&n, &cells);
        assert!(s.iter().filter(|x| **x).count() <= 2, "{s:?}");
        let shown: Vec<&Cell> = cells
            .iter()
            .zip(&s)
            .filter(|(_, s)| **s)
            .map(|(c, _)| c)
            .collect();
        assert!(shown.iter().all(|c| c.atoms.len() == 2));
    }

    #[test]
    fn a_large_group_of_small_teams_still_shows() {
        let n = [2, 2, 2];
        let cells = vec![team(0, 2), team(1, 2), team(2, 2), group(&[0, 1, 2], 6)];
        assert_eq!(protect(&n, &cells), vec![false, false, false, true]);
    }
}
