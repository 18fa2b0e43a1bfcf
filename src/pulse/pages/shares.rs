//! Favourable, neutral and unfavourable shares of a scale item, shown next to its mean: a
//! mean of 4.6 can be a team that mostly agrees or one split in two, and the shares say which.

use maud::{html, Markup};

use crate::disclosure::ShownItem;
use crate::pulse::model::Kind;

/// Percentages of answers on the favourable side, at the middle and on the unfavourable side,
/// in the "higher is safer" form: for a reverse-scored item, disagreeing is favourable.
#[derive(Debug, PartialEq)]
pub struct Shares {
    pub favourable: f64,
    pub neutral: f64,
    pub unfavourable: f64,
}

/// The shares of a shown scale item; `None` for other kinds, a hidden item or no answers.
pub fn shares(i: &ShownItem) -> Option<Shares> {
    if i.kind != Kind::Scale || i.suppressed {
        return None;
    }
    let d = i.distribution.as_ref()?;
    let total: i64 = d.iter().sum();
    if total <= 0 {
        return None;
    }
    // Twice each value against min + max, so an even-numbered scale has no neutral point.
    let (mut high, mut mid, mut low) = (0i64, 0i64, 0i64);
    for (k, count) in d.iter().enumerate() {
        let v = i.min + i32::try_from(k).unwrap_or(i32::MAX - i.min);
        match (2 * v).cmp(&(i.min + i.max)) {
            std::cmp::Ordering::Greater => high += count,
            std::cmp::Ordering::Equal => mid += count,
            std::cmp::Ordering::Less => low += count,
        }
    }
    let (fav, unfav) = if i.reverse { (low, high) } else { (high, low) };
    let pct = |n: i64| 100.0 * n as f64 / total as f64;
    Some(Shares {
        favourable: pct(fav),
        neutral: pct(mid),
        unfavourable: pct(unfav),
    })
}

/// The shares as a line beside the mean, with a stacked bar whose widths are the shares.
pub fn shares_line(i: &ShownItem) -> Markup {
    let Some(s) = shares(i) else {
        return html! {};
    };
    html! {
        p.shares {
            span.share-bar aria-hidden="true" {
                span.fav style=(format!("width:{:.0}%", s.favourable)) {}
                span.neu style=(format!("width:{:.0}%", s.neutral)) {}
                span.unf style=(format!("width:{:.0}%", s.unfavourable)) {}
            }
            strong { (format!("{:.0}%", s.favourable)) } " favourable · "
            (format!("{:.0}%", s.neutral)) " neutral · "
            (format!("{:.0}%", s.unfavourable)) " unfavourable"
            @if i.reverse { span.muted { " (disagreeing is favourable on this item)" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(dist: Vec<i64>, reverse: bool) -> ShownItem {
        ShownItem {
            question_id: "q".into(),
            text: "t".into(),
            kind: Kind::Scale,
            reverse,
            n: dist.iter().sum(),
            mean: Some(4.0),
            scored_mean: Some(4.0),
            distribution: Some(dist),
            options: vec![],
            min: 1,
            max: 7,
            texts: None,
            suppressed: false,
        }
    }

    #[test]
    fn shares_split_at_the_middle_and_reverse_items_count_disagreeing_as_favourable() {
        let s = shares(&item(vec![1, 0, 1, 2, 0, 3, 3], false)).unwrap();
        assert_eq!(
            (s.favourable, s.neutral, s.unfavourable),
            (60.0, 20.0, 20.0)
        );
        let r = shares(&item(vec![1, 0, 1, 2, 0, 3, 3], true)).unwrap();
        assert_eq!((r.favourable, r.unfavourable), (20.0, 60.0));
        let mut hidden = item(vec![5, 0, 0, 0, 0, 0, 0], false);
        hidden.suppressed = true;
        assert!(shares(&hidden).is_none());
        assert!(shares(&item(vec![0; 7], false)).is_none());
    }
}
