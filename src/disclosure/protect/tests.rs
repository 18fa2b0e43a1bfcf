//! Tests of the exact suppression rule, against an independent brute force.

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
        leaky_before += usize::from(brute::leak(&atom_n, &atom_k, &cells, &primary_only).is_some());
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
                let mut set: Vec<usize> = (0..size).map(|_| rng.random_range(0..atoms)).collect();
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
