//! Exact rational arithmetic and reduced row echelon form for the suppression test: f64
//! would let rounding decide whether a set of answers is isolated.

/// An exact rational, always reduced with a positive denominator. Every operation is
/// checked: `None` means the numbers grew past `i128`, and callers then decide
/// conservatively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Q {
    pub(super) num: i128,
    pub(super) den: i128,
}

pub(super) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub(super) fn lcm(a: i128, b: i128) -> Option<i128> {
    let g = i128::try_from(gcd(a.unsigned_abs(), b.unsigned_abs())).ok()?;
    (a / g).checked_mul(b)
}

impl Q {
    pub(super) const ZERO: Q = Q { num: 0, den: 1 };
    pub(super) const ONE: Q = Q { num: 1, den: 1 };

    pub(super) fn new(num: i128, den: i128) -> Option<Q> {
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
    pub(super) fn is_zero(self) -> bool {
        self.num == 0
    }
    pub(super) fn add(self, o: Q) -> Option<Q> {
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
    pub(super) fn neg(self) -> Option<Q> {
        Some(Q {
            num: self.num.checked_neg()?,
            den: self.den,
        })
    }
    pub(super) fn mul(self, o: Q) -> Option<Q> {
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
    pub(super) fn div(self, o: Q) -> Option<Q> {
        if o.is_zero() {
            return None;
        }
        Q::new(self.num.checked_mul(o.den)?, self.den.checked_mul(o.num)?)
    }
}

/// One row of a reduced row echelon form, with how it combines the input rows.
pub(super) struct Pivot {
    pub(super) pivot: usize,
    pub(super) row: Vec<Q>,
    pub(super) combination: Vec<Q>,
}

/// The reduced row echelon form of a matrix, exact, with which input rows lie in the span
/// of the others (those that take part in a linear dependency).
pub(super) struct Echelon {
    pub(super) basis: Vec<Pivot>,
    pub(super) dependent: Vec<bool>,
}

impl Echelon {
    pub(super) fn of(matrix: &[Vec<Q>], cols: usize) -> Option<Echelon> {
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
