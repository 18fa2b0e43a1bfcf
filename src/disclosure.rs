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

/// Complementary suppression (G7), decided exactly: which cells may be published so that no
/// linear combination of the published ones isolates a set of answers smaller than the
/// threshold, however many atoms it spans.
///
/// `atom_n[i]` is the number of answers in atom `i` (a team's closed round) and `atom_k[i]`
/// its threshold; a set of atoms `S` is protected when `n(S) >= max k(S)`. Every figure
/// shown (mean, spread, item means, eNPS shares) is a function of per-atom sums over the same
/// answers, so one rule over the cells' atom sets covers them all.
///
/// Primary suppression hides every cell under its own `k`. A single-atom cell that is shown
/// makes its atom known, so every published cell is projected onto the hidden atoms (those
/// with answers and no cell of their own shown). The published projections span a space
/// `V`; the rule is that no indicator vector `1_S` of hidden atoms with `0 < n(S) < k(S)`
/// lies in `V`. It is decided exactly, per connected component of hidden atoms (a set that
/// leaks leaks within one component), over rational numbers: atoms that lie in exactly the
/// same published cells are merged (every vector of `V` is equal on them), `V` is brought to
/// reduced row echelon form, and since any `1_S` in `V` is the sum of the echelon rows whose
/// pivots lie in `S`, only sets of pivots with fewer than `k` answers together are
/// enumerated (each atom has at least one answer, so fewer than `k` pivots). While a set
/// leaks, the published cell (with every other cell publishing the same projection) that
/// every way of deriving the set needs, the one with the fewest answers, is hidden; when no
/// single cell is needed by every derivation, the smallest one used by a derivation is.
/// Hiding only shrinks `V`, so the loop ends with nothing isolated. Finally each cell hidden
/// by this step is offered back, largest first, and shown again if the exact test still
/// passes, so no single cell is hidden that could have been shown.
///
/// The cost per component and pass is one elimination, `O(r^2 (r + m))` for `r` distinct
/// published projections over `m` merged atoms, and at most `sum_{s < k} C(p, s)` pivot sets
/// for the `p` pivots with fewer than `k` answers, each `O(m - rank)`; there are at most as
/// many passes as cells hidden, and one more per cell offered back. A component whose
/// search would exceed [`SEARCH_BUDGET`] sets, or whose exact arithmetic would overflow, is
/// treated as leaking: the conservative answer, never a weaker one.
pub fn protect(atom_n: &[i64], atom_k: &[i64], cells: &[Cell]) -> Vec<bool> {
    protect_with(atom_n, atom_k, cells, &vec![false; cells.len()])
}

/// Pivot sets a component's search may try before it is treated as leaking.
pub const SEARCH_BUDGET: u64 = 2_000_000;

/// [`protect`], with some cells withheld from the start for another reason (the roster
/// rule): they are never shown and never offered back.
pub fn protect_with(
    atom_n: &[i64],
    atom_k: &[i64],
    cells: &[Cell],
    withheld: &[bool],
) -> Vec<bool> {
    let primary: Vec<bool> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| !withheld.get(i).copied().unwrap_or(false) && may_show(c.n, c.k))
        .collect();
    let mut shown = primary.clone();
    let mut known: Vec<bool> = atom_n.iter().map(|n| *n <= 0).collect();
    for (c, s) in cells.iter().zip(&shown) {
        let set = distinct(&c.atoms);
        if *s && set.len() == 1 {
            known[set[0]] = true;
        }
    }
    let projection: Vec<Vec<usize>> = cells
        .iter()
        .map(|c| {
            distinct(&c.atoms)
                .into_iter()
                .filter(|a| !known[*a])
                .collect()
        })
        .collect();
    let system = System {
        atom_n,
        atom_k,
        cells,
        projection: &projection,
    };
    // A cell whose projection is itself a set under its threshold gives that set away on
    // its own: it can never be shown, so it goes first, without any algebra.
    let isolates = |c: usize| {
        let p = &projection[c];
        !p.is_empty()
            && p.iter().map(|a| atom_n[*a]).sum::<i64>()
                < p.iter().map(|a| atom_k[*a]).max().unwrap_or(0)
    };
    for (c, s) in shown.iter_mut().enumerate() {
        if *s && isolates(c) {
            *s = false;
        }
    }
    let all: Vec<usize> = (0..cells.len()).collect();
    for component in system.components(&all, &shown) {
        loop {
            let rows = system.rows(&component, &shown);
            match system.search(&rows) {
                None => break,
                Some(r) => {
                    for c in &rows[r].cells {
                        shown[*c] = false;
                    }
                }
            }
        }
    }
    // Offer back what was hidden here, largest first: each is kept only if nothing leaks.
    let mut offered: Vec<usize> = (0..cells.len())
        .filter(|i| primary[*i] && !shown[*i] && !isolates(*i))
        .collect();
    offered.sort_by_key(|i| (std::cmp::Reverse(cells[*i].n), *i));
    for c in offered {
        shown[c] = true;
        let component = system
            .components(&all, &shown)
            .into_iter()
            .find(|comp| comp.contains(&c))
            .unwrap_or_default();
        let rows = system.rows(&component, &shown);
        if system.search(&rows).is_some() {
            shown[c] = false;
        }
    }
    shown
}

/// The representative of `a` in a union-find forest, halving paths on the way.
fn root(parent: &mut [usize], mut a: usize) -> usize {
    while parent[a] != a {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    a
}

fn distinct(atoms: &[usize]) -> Vec<usize> {
    let mut v = atoms.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// Published cells with the same projection onto the hidden atoms: one row of the system.
struct Row {
    atoms: Vec<usize>,
    cells: Vec<usize>,
    /// What hiding it costs: the answers behind its figures, then its first cell.
    cost: (i64, usize),
}

struct System<'a> {
    atom_n: &'a [i64],
    atom_k: &'a [i64],
    cells: &'a [Cell],
    projection: &'a [Vec<usize>],
}

impl System<'_> {
    /// The shown cells among `cells` with a non-empty projection, grouped by projection.
    fn rows(&self, cells: &[usize], shown: &[bool]) -> Vec<Row> {
        let mut by: std::collections::BTreeMap<&[usize], Vec<usize>> = Default::default();
        for c in cells {
            if shown[*c] && !self.projection[*c].is_empty() {
                by.entry(&self.projection[*c]).or_default().push(*c);
            }
        }
        let mut rows: Vec<Row> = by
            .into_iter()
            .map(|(atoms, cells)| Row {
                atoms: atoms.to_vec(),
                cost: (
                    cells.iter().map(|c| self.cells[*c].n).sum(),
                    cells.iter().copied().min().unwrap_or(0),
                ),
                cells,
            })
            .collect();
        rows.sort_by_key(|r| r.cost.1);
        rows
    }

    /// The shown cells among `cells` with a non-empty projection, split into groups whose
    /// projections share no hidden atom, directly or through others.
    fn components(&self, cells: &[usize], shown: &[bool]) -> Vec<Vec<usize>> {
        let live: Vec<usize> = cells
            .iter()
            .copied()
            .filter(|c| shown[*c] && !self.projection[*c].is_empty())
            .collect();
        let mut parent: Vec<usize> = (0..self.atom_n.len()).collect();
        for c in &live {
            let p = &self.projection[*c];
            for a in &p[1..] {
                let (x, y) = (root(&mut parent, p[0]), root(&mut parent, *a));
                if x != y {
                    parent[x.max(y)] = x.min(y);
                }
            }
        }
        let mut out: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for c in live {
            let r = root(&mut parent, self.projection[c][0]);
            out.entry(r).or_default().push(c);
        }
        out.into_values().collect()
    }

    /// Looks for a set of hidden atoms under its threshold that the rows isolate; returns the
    /// row to hide, or `None` when there is none.
    fn search(&self, rows: &[Row]) -> Option<usize> {
        let parts = {
            let mut parent: Vec<usize> = (0..rows.len()).collect();
            let mut owner: std::collections::HashMap<usize, usize> = Default::default();
            for (i, r) in rows.iter().enumerate() {
                for a in &r.atoms {
                    if let Some(j) = owner.insert(*a, i) {
                        let (x, y) = (root(&mut parent, i), root(&mut parent, j));
                        if x != y {
                            parent[x.max(y)] = x.min(y);
                        }
                    }
                }
            }
            let mut parts: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
            for i in 0..rows.len() {
                let r = root(&mut parent, i);
                parts.entry(r).or_default().push(i);
            }
            parts.into_values().collect::<Vec<_>>()
        };
        parts.iter().find_map(|part| self.search_part(rows, part))
    }

    fn search_part(&self, rows: &[Row], part: &[usize]) -> Option<usize> {
        let cheapest = || part.iter().copied().min_by_key(|r| rows[*r].cost);
        // Merge atoms that lie in exactly the same rows.
        let mut sig: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (li, r) in part.iter().enumerate() {
            for a in &rows[*r].atoms {
                sig.entry(*a).or_default().push(li);
            }
        }
        let mut merged: std::collections::BTreeMap<Vec<usize>, Vec<usize>> = Default::default();
        for (a, s) in sig {
            merged.entry(s).or_default().push(a);
        }
        struct Class {
            n: i64,
            k: i64,
            first: usize,
            rows: Vec<usize>,
        }
        let mut classes: Vec<Class> = merged
            .into_iter()
            .map(|(rows, atoms)| Class {
                n: atoms.iter().map(|a| self.atom_n[*a]).sum(),
                k: atoms.iter().map(|a| self.atom_k[*a]).max().unwrap_or(0),
                first: atoms[0],
                rows,
            })
            .collect();
        let kmax = classes.iter().map(|c| c.k).max().unwrap_or(0);
        if classes.iter().all(|c| c.n >= kmax) {
            return None;
        }
        // Large classes first, so that they take the pivots and the small ones stay free.
        classes.sort_by_key(|c| (std::cmp::Reverse(c.n), c.first));
        let mut matrix = vec![vec![Q::ZERO; classes.len()]; part.len()];
        for (j, c) in classes.iter().enumerate() {
            for li in &c.rows {
                matrix[*li][j] = Q::ONE;
            }
        }
        let Some(echelon) = Echelon::of(&matrix, classes.len()) else {
            return cheapest();
        };
        // Only pivots with fewer answers than the largest threshold can be in a leaking set.
        let mut candidates: Vec<usize> = (0..echelon.basis.len())
            .filter(|j| classes[echelon.basis[*j].pivot].n < kmax)
            .collect();
        candidates.sort_by_key(|j| (classes[echelon.basis[*j].pivot].n, *j));
        if candidates.is_empty() {
            return None;
        }
        // A sum of candidate rows is 1 at the chosen pivots and 0 at the others: only the
        // free columns need adding up. Scaled to integers, each must come to 0 or L.
        let is_pivot = {
            let mut v = vec![false; classes.len()];
            for p in &echelon.basis {
                v[p.pivot] = true;
            }
            v
        };
        let free: Vec<usize> = (0..classes.len()).filter(|c| !is_pivot[*c]).collect();
        let mut l: i128 = 1;
        for j in &candidates {
            for c in &free {
                let Some(m) = lcm(l, echelon.basis[*j].row[*c].den) else {
                    return cheapest();
                };
                l = m;
            }
        }
        let scaled: Option<Vec<Vec<i128>>> = candidates
            .iter()
            .map(|j| {
                free.iter()
                    .map(|c| {
                        let x = echelon.basis[*j].row[*c];
                        x.num.checked_mul(l / x.den)
                    })
                    .collect()
            })
            .collect();
        let Some(scaled) = scaled else {
            return cheapest();
        };
        // Whether every candidate from j on is >= 0 (resp. <= 0) in a free column: then a
        // sum past L (resp. under 0) there cannot come back.
        let mut nonneg = vec![vec![true; free.len()]; candidates.len() + 1];
        let mut nonpos = vec![vec![true; free.len()]; candidates.len() + 1];
        for j in (0..candidates.len()).rev() {
            for c in 0..free.len() {
                nonneg[j][c] = nonneg[j + 1][c] && scaled[j][c] >= 0;
                nonpos[j][c] = nonpos[j + 1][c] && scaled[j][c] <= 0;
            }
        }
        let pivot_class = |j: &usize| &classes[echelon.basis[*j].pivot];
        let mut dfs = Dfs {
            scaled: &scaled,
            cand_n: candidates.iter().map(|j| pivot_class(j).n).collect(),
            cand_k: candidates.iter().map(|j| pivot_class(j).k).collect(),
            free_n: free.iter().map(|c| classes[*c].n).collect(),
            free_k: free.iter().map(|c| classes[*c].k).collect(),
            nonneg: &nonneg,
            nonpos: &nonpos,
            kmax,
            l,
            sum: vec![0; free.len()],
            chosen: Vec::new(),
            budget: SEARCH_BUDGET,
        };
        let chosen = match dfs.run(0, 0, 0) {
            Ok(true) => dfs.chosen.clone(),
            Ok(false) => return None,
            Err(()) => return cheapest(),
        };
        // One derivation of the leaking set from the rows, then the rows every derivation needs.
        let mut used = vec![Q::ZERO; part.len()];
        for c in &chosen {
            for (u, x) in used
                .iter_mut()
                .zip(&echelon.basis[candidates[*c]].combination)
            {
                let Some(s) = u.add(*x) else {
                    return cheapest();
                };
                *u = s;
            }
        }
        let needed = (0..part.len())
            .filter(|i| !echelon.dependent[*i] && !used[*i].is_zero())
            .map(|i| part[i])
            .min_by_key(|r| rows[*r].cost);
        needed
            .or_else(|| {
                (0..part.len())
                    .filter(|i| !used[*i].is_zero())
                    .map(|i| part[i])
                    .min_by_key(|r| rows[*r].cost)
            })
            .or_else(cheapest)
    }
}

/// Depth-first search over sets of candidate pivots with fewer answers than `kmax`.
struct Dfs<'a> {
    /// Candidate rows, scaled by `l`, over the free columns.
    scaled: &'a [Vec<i128>],
    cand_n: Vec<i64>,
    cand_k: Vec<i64>,
    free_n: Vec<i64>,
    free_k: Vec<i64>,
    nonneg: &'a [Vec<bool>],
    nonpos: &'a [Vec<bool>],
    kmax: i64,
    l: i128,
    sum: Vec<i128>,
    chosen: Vec<usize>,
    budget: u64,
}

impl Dfs<'_> {
    /// `Ok(true)` with `chosen` set when a leaking set is found; `Err` when out of budget
    /// or past `i128`. `n` and `k` are the answers and threshold of the chosen pivots.
    fn run(&mut self, start: usize, n: i64, k: i64) -> Result<bool, ()> {
        for j in start..self.scaled.len() {
            if n + self.cand_n[j] >= self.kmax {
                // Candidates come in increasing answers: none further fits either.
                break;
            }
            self.budget = self.budget.checked_sub(1).ok_or(())?;
            for (s, x) in self.sum.iter_mut().zip(&self.scaled[j]) {
                *s = s.checked_add(*x).ok_or(())?;
            }
            self.chosen.push(j);
            let (n2, k2) = (n + self.cand_n[j], k.max(self.cand_k[j]));
            if self.leaks(n2, k2) || (self.may_extend(j + 1) && self.run(j + 1, n2, k2)?) {
                return Ok(true);
            }
            self.chosen.pop();
            for (s, x) in self.sum.iter_mut().zip(&self.scaled[j]) {
                *s -= *x;
            }
        }
        Ok(false)
    }

    /// Whether the current sum is the indicator of a set under its threshold.
    fn leaks(&self, mut n: i64, mut k: i64) -> bool {
        for (i, s) in self.sum.iter().enumerate() {
            if *s == self.l {
                n += self.free_n[i];
                k = k.max(self.free_k[i]);
            } else if *s != 0 {
                return false;
            }
        }
        n < k
    }

    /// False when some free column is already out of reach of 0 and L for good.
    fn may_extend(&self, from: usize) -> bool {
        self.sum.iter().enumerate().all(|(c, s)| {
            !((*s > self.l && self.nonneg[from][c]) || (*s < 0 && self.nonpos[from][c]))
        })
    }
}

/// An exact rational, always reduced with a positive denominator. Every operation is
/// checked: `None` means the numbers grew past `i128`, and callers then decide
/// conservatively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Q {
    num: i128,
    den: i128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn lcm(a: i128, b: i128) -> Option<i128> {
    let g = i128::try_from(gcd(a.unsigned_abs(), b.unsigned_abs())).ok()?;
    (a / g).checked_mul(b)
}

impl Q {
    const ZERO: Q = Q { num: 0, den: 1 };
    const ONE: Q = Q { num: 1, den: 1 };

    fn new(num: i128, den: i128) -> Option<Q> {
        if den == 0 {
            return None;
        }
        if num == 0 {
            return Some(Q::ZERO);
        }
        let g = i128::try_from(gcd(num.unsigned_abs(), den.unsigned_abs())).ok()?;
        let (num, den) = (num / g, den / g);
        if den < 0 {
            Some(Q {
                num: num.checked_neg()?,
                den: den.checked_neg()?,
            })
        } else {
            Some(Q { num, den })
        }
    }
    fn is_zero(self) -> bool {
        self.num == 0
    }
    fn add(self, o: Q) -> Option<Q> {
        if o.is_zero() {
            return Some(self);
        }
        if self.den == 1 && o.den == 1 {
            return Some(Q {
                num: self.num.checked_add(o.num)?,
                den: 1,
            });
        }
        Q::new(
            self.num
                .checked_mul(o.den)?
                .checked_add(o.num.checked_mul(self.den)?)?,
            self.den.checked_mul(o.den)?,
        )
    }
    fn neg(self) -> Option<Q> {
        Some(Q {
            num: self.num.checked_neg()?,
            den: self.den,
        })
    }
    fn mul(self, o: Q) -> Option<Q> {
        if self.is_zero() || o.is_zero() {
            return Some(Q::ZERO);
        }
        if self.den == 1 && o.den == 1 {
            return Some(Q {
                num: self.num.checked_mul(o.num)?,
                den: 1,
            });
        }
        Q::new(self.num.checked_mul(o.num)?, self.den.checked_mul(o.den)?)
    }
    fn div(self, o: Q) -> Option<Q> {
        if o.is_zero() {
            return None;
        }
        Q::new(self.num.checked_mul(o.den)?, self.den.checked_mul(o.num)?)
    }
}

/// One row of a reduced row echelon form, with how it combines the input rows.
struct Pivot {
    pivot: usize,
    row: Vec<Q>,
    combination: Vec<Q>,
}

/// The reduced row echelon form of a matrix, exact, with which input rows lie in the span
/// of the others (those that take part in a linear dependency).
struct Echelon {
    basis: Vec<Pivot>,
    dependent: Vec<bool>,
}

impl Echelon {
    fn of(matrix: &[Vec<Q>], cols: usize) -> Option<Echelon> {
        let t = matrix.len();
        let mut m: Vec<(Vec<Q>, Vec<Q>)> = matrix
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut e = vec![Q::ZERO; t];
                e[i] = Q::ONE;
                (r.clone(), e)
            })
            .collect();
        let mut pivots = Vec::new();
        for c in 0..cols {
            let rank = pivots.len();
            if rank == t {
                break;
            }
            let Some(p) = (rank..t).find(|i| !m[*i].0[c].is_zero()) else {
                continue;
            };
            m.swap(rank, p);
            let inv = m[rank].0[c];
            let (a, e) = &mut m[rank];
            for x in a.iter_mut().chain(e.iter_mut()) {
                *x = x.div(inv)?;
            }
            let (pa, pe) = m[rank].clone();
            for (i, (a, e)) in m.iter_mut().enumerate() {
                let f = a[c];
                if i == rank || f.is_zero() {
                    continue;
                }
                let f = f.neg()?;
                for (x, p) in a.iter_mut().zip(&pa).chain(e.iter_mut().zip(&pe)) {
                    if !p.is_zero() {
                        *x = x.add(f.mul(*p)?)?;
                    }
                }
            }
            pivots.push(c);
        }
        let rank = pivots.len();
        let mut dependent = vec![false; t];
        for (_, y) in &m[rank..] {
            for (d, x) in dependent.iter_mut().zip(y) {
                *d |= !x.is_zero();
            }
        }
        let basis = m
            .into_iter()
            .zip(pivots)
            .map(|((row, combination), pivot)| Pivot {
                pivot,
                row,
                combination,
            })
            .collect();
        Some(Echelon { basis, dependent })
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

    #[test]
    fn three_one_answer_teams_beside_a_shown_team_are_not_given_away_by_their_group() {
        // The hole of issue 11: the group minus A is the mean and spread of three people.
        let n = [6, 1, 1, 1];
        let cells = vec![
            team(0, 6),
            team(1, 1),
            team(2, 1),
            team(3, 1),
            group(&[0, 1, 2, 3], 9),
        ];
        assert_eq!(protect(&n, &cells), vec![true, false, false, false, false]);
        assert!(brute::leak(&n, &[5; 4], &cells, &[true, false, false, false, true]).is_some());
        // Two more people in the small teams and the group may show: 5 answers lie outside A.
        let n = [6, 2, 2, 1];
        let cells = vec![
            team(0, 6),
            team(1, 2),
            team(2, 2),
            team(3, 1),
            group(&[0, 1, 2, 3], 11),
        ];
        assert_eq!(protect(&n, &cells), vec![true, false, false, false, true]);
    }

    #[test]
    fn three_people_solved_through_two_groups_and_a_shown_team_are_found() {
        // x, y, z answered once each, u and v three times, p (shown) six times. Neither group
        // is small and no pair of teams is isolated, but G1 - (G2 - p) = x + y + z.
        let n = [1, 1, 1, 3, 3, 6];
        let cells = vec![
            team(0, 1),
            team(1, 1),
            team(2, 1),
            team(3, 3),
            team(4, 3),
            team(5, 6),
            group(&[0, 1, 2, 3, 4], 9),
            group(&[3, 4, 5], 12),
        ];
        let everything = vec![false, false, false, false, false, true, true, true];
        assert_eq!(
            brute::leak(&n, &[5; 6], &cells, &everything),
            Some(vec![0, 1, 2])
        );
        // The smaller group goes; the other one, u + v beside p, isolates six answers: fine.
        let s = protect(&n, &cells);
        assert_eq!(
            s,
            vec![false, false, false, false, false, true, false, true]
        );
        assert!(brute::leak(&n, &[5; 6], &cells, &s).is_none());
    }

    #[test]
    fn the_same_figure_in_two_views_is_shown_or_hidden_in_both() {
        // A group's latest and its quarter often hold the same rounds: one figure, twice.
        let n = [10, 2, 10];
        let cells = vec![
            team(0, 10),
            team(1, 2),
            team(2, 10),
            group(&[0, 1], 12),
            group(&[0, 1], 12),
            group(&[0, 1, 2], 22),
        ];
        let s = protect(&n, &cells);
        assert_eq!(s[3], s[4], "{s:?}");
        assert!(brute::leak(&n, &[5; 3], &cells, &s).is_none(), "{s:?}");
    }

    #[test]
    fn withheld_cells_stay_hidden_and_are_not_offered_back() {
        let n = [6, 6, 6];
        let cells = vec![team(0, 6), team(1, 6), team(2, 6), group(&[0, 1, 2], 18)];
        let s = super::protect_with(&n, &[5; 3], &cells, &[false, false, false, true]);
        assert_eq!(s, vec![true, true, true, false]);
    }

    /// Random small instances against a brute force written apart from the product: after
    /// `protect`, no set of hidden atoms under its threshold is in the span of what is shown,
    /// and every cell hidden beyond the threshold would open such a set if shown again.
    #[test]
    fn protect_leaves_no_small_set_in_the_span_on_random_instances() {
        use rand::{rngs::StdRng, RngExt, SeedableRng};
        let mut rng = StdRng::seed_from_u64(0x67);
        let (mut groups, mut groups_shown, mut secondary, mut leaky_before) = (0, 0, 0, 0);
        for round in 0..400 {
            let m = rng.random_range(1..=8usize);
            let common = rng.random_bool(0.5);
            let k0 = rng.random_range(3..=6i64);
            let atom_k: Vec<i64> = (0..m)
                .map(|_| if common { k0 } else { rng.random_range(3..=6) })
                .collect();
            let atom_n: Vec<i64> = (0..m)
                .map(|_| {
                    if rng.random_bool(0.05) {
                        0
                    } else {
                        rng.random_range(1..8)
                    }
                })
                .collect();
            let mut cells = Vec::new();
            for i in 0..m {
                if rng.random_bool(0.9) {
                    cells.push(Cell {
                        atoms: vec![i],
                        n: atom_n[i],
                        k: atom_k[i],
                    });
                }
            }
            for _ in 0..rng.random_range(0..=6) {
                let atoms: Vec<usize> = (0..m).filter(|_| rng.random_bool(0.5)).collect();
                if atoms.len() < 2 {
                    continue;
                }
                cells.push(Cell {
                    n: atoms.iter().map(|a| atom_n[*a]).sum(),
                    k: atoms.iter().map(|a| atom_k[*a]).max().unwrap_or(0),
                    atoms,
                });
            }
            let primary_only: Vec<bool> = cells.iter().map(|c| may_show(c.n, c.k)).collect();
            leaky_before +=
                usize::from(brute::leak(&atom_n, &atom_k, &cells, &primary_only).is_some());
            let s = super::protect(&atom_n, &atom_k, &cells);
            let info =
                format!("instance {round}: n {atom_n:?} k {atom_k:?} cells {cells:?} shown {s:?}");
            if let Some(set) = brute::leak(&atom_n, &atom_k, &cells, &s) {
                panic!("{set:?} can be solved for; {info}");
            }
            for (i, c) in cells.iter().enumerate() {
                let primary = may_show(c.n, c.k);
                assert!(primary || !s[i], "shown under the threshold: {info}");
                if c.atoms.len() > 1 {
                    groups += 1;
                    groups_shown += usize::from(s[i]);
                }
                if primary && !s[i] {
                    secondary += 1;
                    let mut more = s.clone();
                    more[i] = true;
                    assert!(
                        brute::leak(&atom_n, &atom_k, &cells, &more).is_some(),
                        "cell {i} was hidden but could be shown: {info}"
                    );
                }
            }
            assert_eq!(s, super::protect(&atom_n, &atom_k, &cells), "deterministic");
        }
        eprintln!(
            "{groups_shown} of {groups} group cells shown, {secondary} hidden beyond the \
             threshold, {leaky_before} instances leaked under the threshold alone"
        );
        assert!(
            groups_shown * 3 > groups,
            "{groups_shown} of {groups} groups shown"
        );
        assert!(
            secondary > 0,
            "the instances never needed complementary suppression"
        );
        assert!(
            leaky_before > 40,
            "the brute force found only {leaky_before} leaks before"
        );
    }

    /// Measures `protect` on a large realistic instance: 60 teams over 12 quarters in 20
    /// overlapping groups and one of everyone, each group in the latest view and every
    /// quarter. Run with `cargo test --release -- --ignored --nocapture protect_time`.
    #[test]
    #[ignore]
    fn protect_time_on_a_large_instance() {
        for seed in 0..3 {
            let (n, k, cells) = large_instance(seed, 60, 20, 12);
            let t = std::time::Instant::now();
            let s = super::protect(&n, &k, &cells);
            let took = t.elapsed();
            let groups = cells.iter().filter(|c| c.atoms.len() > 1).count();
            let shown = cells
                .iter()
                .zip(&s)
                .filter(|(c, s)| c.atoms.len() > 1 && **s)
                .count();
            let primary = cells
                .iter()
                .filter(|c| c.atoms.len() > 1 && may_show(c.n, c.k))
                .count();
            println!(
                "seed {seed}: {} atoms, {} cells, {groups} group cells, {primary} over k, \
                 {shown} shown; protect took {took:?}",
                n.len(),
                cells.len()
            );
        }
    }

    /// Hard cases for the search: one quarter of tiny teams (1 to 3 answers, threshold 8)
    /// under random overlapping groups, so one large component with many small pivots.
    /// Run with `cargo test --release -- --ignored --nocapture protect_time`.
    #[test]
    #[ignore]
    fn protect_time_on_adversarial_instances() {
        use rand::{rngs::StdRng, RngExt, SeedableRng};
        for (atoms, groups) in [(80, 30), (40, 40), (25, 40)] {
            for seed in 0..3 {
                let mut rng = StdRng::seed_from_u64(seed);
                let n: Vec<i64> = (0..atoms).map(|_| rng.random_range(1..=3)).collect();
                let k = vec![8; n.len()];
                let mut cells: Vec<Cell> = (0..n.len())
                    .map(|i| Cell {
                        atoms: vec![i],
                        n: n[i],
                        k: 8,
                    })
                    .collect();
                for _ in 0..groups {
                    let size = rng.random_range(4..=atoms / 3);
                    let mut set: Vec<usize> =
                        (0..size).map(|_| rng.random_range(0..atoms)).collect();
                    set.sort_unstable();
                    set.dedup();
                    cells.push(Cell {
                        n: set.iter().map(|a| n[*a]).sum(),
                        k: 8,
                        atoms: set,
                    });
                }
                let t = std::time::Instant::now();
                let s = super::protect(&n, &k, &cells);
                let shown = s[atoms..].iter().filter(|x| **x).count();
                println!(
                    "adversarial: {atoms} hidden atoms, {groups} groups (seed {seed}), \
                     {shown} shown; protect took {:?}",
                    t.elapsed()
                );
            }
        }
    }

    #[test]
    fn protect_is_quick_on_a_large_instance() {
        let (n, k, cells) = large_instance(1, 60, 20, 12);
        let t = std::time::Instant::now();
        let s = super::protect(&n, &k, &cells);
        // Generous for an unoptimised build on a busy machine; milliseconds in release.
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            t.elapsed()
        );
        assert!(s.iter().filter(|x| **x).count() > n.len() / 2);
    }

    /// Teams answer every quarter (a few skip the last ones, so the latest view mixes
    /// quarters); between 1 and 12 answers a round; groups of 2 to 8 teams and one of all.
    pub(super) fn large_instance(
        seed: u64,
        teams: usize,
        groups: usize,
        quarters: usize,
    ) -> (Vec<i64>, Vec<i64>, Vec<Cell>) {
        use rand::{rngs::StdRng, RngExt, SeedableRng};
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut n, mut atom_of) = (Vec::new(), vec![vec![None; quarters]; teams]);
        for (t, row) in atom_of.iter_mut().enumerate() {
            let last = if t % 7 == 0 {
                quarters - 1 - t % 3
            } else {
                quarters
            };
            for cell in row.iter_mut().take(last) {
                *cell = Some(n.len());
                n.push(rng.random_range(1..=12i64));
            }
        }
        let k = vec![5; n.len()];
        let mut cells: Vec<Cell> = (0..n.len())
            .map(|i| Cell {
                atoms: vec![i],
                n: n[i],
                k: 5,
            })
            .collect();
        let mut defs: Vec<Vec<usize>> = (0..groups)
            .map(|_| {
                let size = rng.random_range(2..=8);
                let mut g: Vec<usize> = (0..size).map(|_| rng.random_range(0..teams)).collect();
                g.sort_unstable();
                g.dedup();
                g
            })
            .collect();
        defs.push((0..teams).collect());
        for g in &defs {
            let mut views: Vec<Vec<usize>> = (0..quarters)
                .map(|q| g.iter().filter_map(|t| atom_of[*t][q]).collect())
                .collect();
            views.push(
                g.iter()
                    .filter_map(|t| atom_of[*t].iter().rev().find_map(|a| *a))
                    .collect(),
            );
            for atoms in views.into_iter().filter(|v| !v.is_empty()) {
                cells.push(Cell {
                    n: atoms.iter().map(|a| n[*a]).sum(),
                    k: 5,
                    atoms,
                });
            }
        }
        (n, k, cells)
    }

    /// An exact brute force, apart from the product's code: integer Gaussian elimination
    /// (rows kept divided by their gcd) over every subset of hidden atoms.
    mod brute {
        use super::super::{may_show, Cell};

        fn gcd(a: i128, b: i128) -> i128 {
            if b == 0 {
                a.abs()
            } else {
                gcd(b, a % b)
            }
        }

        fn rank(rows: &[Vec<i128>]) -> usize {
            let mut m = rows.to_vec();
            let cols = m.first().map_or(0, Vec::len);
            let mut r = 0;
            for c in 0..cols {
                let Some(p) = (r..m.len()).find(|i| m[*i][c] != 0) else {
                    continue;
                };
                m.swap(r, p);
                let pivot = m[r].clone();
                for row in m.iter_mut().skip(r + 1) {
                    let f = row[c];
                    if f == 0 {
                        continue;
                    }
                    for (x, p) in row.iter_mut().zip(&pivot) {
                        *x = *x * pivot[c] - p * f;
                    }
                    let g = row.iter().fold(0, |g, x| gcd(g, *x));
                    if g > 1 {
                        for x in row.iter_mut() {
                            *x /= g;
                        }
                    }
                }
                r += 1;
            }
            r
        }

        /// A set of hidden atoms with fewer answers than its threshold whose indicator is in
        /// the span of the shown cells and the unit vectors of the atoms known one by one.
        pub fn leak(n: &[i64], k: &[i64], cells: &[Cell], shown: &[bool]) -> Option<Vec<usize>> {
            let m = n.len();
            let mut rows: Vec<Vec<i128>> = Vec::new();
            let mut known: Vec<bool> = n.iter().map(|x| *x == 0).collect();
            for (c, s) in cells.iter().zip(shown) {
                if !*s {
                    continue;
                }
                assert!(may_show(c.n, c.k), "shown under the threshold");
                let mut v = vec![0; m];
                for a in &c.atoms {
                    v[*a] = 1;
                }
                if v.iter().sum::<i128>() == 1 {
                    known[c.atoms[0]] = true;
                }
                rows.push(v);
            }
            for (a, kn) in known.iter().enumerate() {
                if *kn {
                    let mut v = vec![0; m];
                    v[a] = 1;
                    rows.push(v);
                }
            }
            let hidden: Vec<usize> = (0..m).filter(|a| !known[*a]).collect();
            let base = rank(&rows);
            for mask in 1u32..(1 << hidden.len()) {
                let set: Vec<usize> = (0..hidden.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| hidden[i])
                    .collect();
                let total: i64 = set.iter().map(|a| n[*a]).sum();
                let needed = set.iter().map(|a| k[*a]).max().unwrap_or(0);
                if total >= needed {
                    continue;
                }
                let mut with = rows.clone();
                let mut e = vec![0; m];
                for a in &set {
                    e[*a] = 1;
                }
                with.push(e);
                if rank(&with) == base {
                    return Some(set);
                }
            }
            None
        }
    }
}
