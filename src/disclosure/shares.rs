//! Favourable, neutral and unfavourable shares of a scale item, given next to its mean on
//! pages and in the API: a mean of 4.6 can be a team that mostly agrees or one split in two,
//! and the shares say which. Decided here, beside the threshold, so a suppressed item never
//! has any (G6).

use serde::Serialize;

use crate::pulse::model::Kind;

/// Percentages (0 to 100) of answers on the favourable side, at the middle and on the
/// unfavourable side, in the "higher is safer" form: for a reverse-scored item, disagreeing
/// is favourable. An even-numbered scale has no middle, so its neutral share is 0.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Shares {
    pub favourable: f64,
    pub neutral: f64,
    pub unfavourable: f64,
}

/// The shares of a scale item whose distribution may be shown; `None` for other kinds, a
/// hidden item (no distribution) or no answers.
pub fn shares(
    kind: Kind,
    reverse: bool,
    min: i32,
    max: i32,
    distribution: Option<&[i64]>,
) -> Option<Shares> {
    if kind != Kind::Scale {
        return None;
    }
    let d = distribution?;
    let total: i64 = d.iter().sum();
    if total <= 0 {
        return None;
    }
    // Twice each value against min + max, so an even-numbered scale has no neutral point.
    let (mut high, mut mid, mut low) = (0i64, 0i64, 0i64);
    for (k, count) in d.iter().enumerate() {
        let v = min + i32::try_from(k).unwrap_or(i32::MAX - min);
        match (2 * v).cmp(&(min + max)) {
            std::cmp::Ordering::Greater => high += count,
            std::cmp::Ordering::Equal => mid += count,
            std::cmp::Ordering::Less => low += count,
        }
    }
    let (fav, unfav) = if reverse { (low, high) } else { (high, low) };
    let pct = |n: i64| 100.0 * n as f64 / total as f64;
    Some(Shares {
        favourable: pct(fav),
        neutral: pct(mid),
        unfavourable: pct(unfav),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_split_at_the_middle_and_reverse_items_count_disagreeing_as_favourable() {
        let d = [1, 0, 1, 2, 0, 3, 3];
        let s = shares(Kind::Scale, false, 1, 7, Some(&d)).unwrap();
        assert_eq!(
            (s.favourable, s.neutral, s.unfavourable),
            (60.0, 20.0, 20.0)
        );
        let r = shares(Kind::Scale, true, 1, 7, Some(&d)).unwrap();
        assert_eq!((r.favourable, r.unfavourable), (20.0, 60.0));
        assert!(shares(Kind::Scale, false, 1, 7, None).is_none());
        assert!(shares(Kind::Scale, false, 1, 7, Some(&[0; 7])).is_none());
        assert!(shares(Kind::Enps, false, 0, 10, Some(&[1; 11])).is_none());
        // A four-point scale has no middle.
        let even = shares(Kind::Scale, false, 1, 4, Some(&[1, 1, 1, 1])).unwrap();
        assert_eq!(
            (even.favourable, even.neutral, even.unfavourable),
            (50.0, 0.0, 50.0)
        );
    }
}
