//! Favourable, neutral and unfavourable shares of a scale item, shown next to its mean; they
//! are computed where suppression is decided (`disclosure::shares`).

use maud::{html, Markup};

use crate::disclosure::ShownItem;

/// The shares as a line beside the mean, with a stacked bar whose widths are the shares.
pub fn shares_line(i: &ShownItem) -> Markup {
    let Some(s) = &i.shares else {
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
