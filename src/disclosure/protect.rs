//! Complementary suppression (G7), decided exactly over every published view.

use super::exact::{lcm, Echelon, Q};
use super::may_show;

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

#[cfg(test)]
mod tests;
