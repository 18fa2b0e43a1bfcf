//! Favourable, neutral and unfavourable shares of a scale item, shown next to its mean; they
//! are computed where suppression is decided (`disclosure::shares`).

use maud::{html, Markup};

use crate::disclosure::ShownItem;

/// The shares as a line beside the mean, with a stacked bar whose widths are the shares.
pub fn shares_line(i: &ShownItem) -> Markup {
    let Some(s) = &i.shares else {
        return html! {};
    };
    // An SVG, not spans with inline widths: the Content-Security-Policy (`style-src 'self'`)
    // drops every inline style, which left the bar empty. SVG geometry is not a style.
    let (fav, neu) = (s.favourable, s.neutral);
    html! {
        p.shares {
            svg.share-bar viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
                rect.fav x="0" y="0" width=(format!("{fav:.2}")) height="10" {}
                rect.neu x=(format!("{fav:.2}")) y="0" width=(format!("{neu:.2}")) height="10" {}
                rect.unf x=(format!("{:.2}", fav + neu)) y="0" width=(format!("{:.2}", s.unfavourable)) height="10" {}
            }
            strong { (format!("{:.0}%", s.favourable)) } " favourable · "
            (format!("{:.0}%", s.neutral)) " neutral · "
            (format!("{:.0}%", s.unfavourable)) " unfavourable"
            @if i.reverse { span.muted { " (disagreeing is favourable on this item)" } }
        }
    }
}
