//! The pulse index: every round a staff member may see, a page at a time, with each round's
//! score (or that it is hidden) and participation. On a phone each row becomes a card, so
//! nothing scrolls sideways.

use maud::{html, Markup};

use super::{fmt2, status_text};
use crate::disclosure::RoundResults;
use crate::html::{layout, Viewer};
use crate::pulse::store::RoundRow;
use crate::teams::model::Threshold;
use crate::teams::store::TeamRow;

/// One round in the index (the use case's output as it stands: values only): its team, itself, and what may be shown of it.
pub struct IndexRow {
    pub team: TeamRow,
    pub round: RoundRow,
    pub results: RoundResults,
}

/// One page of the index. `page` counts from 1; a page past the end shows the last one.
pub struct RoundsPage {
    pub rows: Vec<IndexRow>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

/// "answered of invited" for any state; open rounds count answers so far (sealed until close).
fn participation(r: &RoundResults) -> String {
    match r {
        RoundResults::Open { answered, invited }
        | RoundResults::Suppressed {
            answered, invited, ..
        } => format!("{answered} of {invited}"),
        RoundResults::Shown(s) => format!("{} of {}", s.answered, s.invited),
    }
}

/// The score column: the team's psychological-safety score when shown, else why not.
fn score(r: &RoundResults, threshold: Threshold) -> String {
    match r {
        RoundResults::Open { .. } => "after close".into(),
        RoundResults::Suppressed { .. } => format!("hidden: fewer than {threshold}"),
        RoundResults::Shown(s) => s.score.map(fmt2).unwrap_or_else(|| "hidden".into()),
    }
}

pub fn rounds_index(viewer: &Viewer, p: &RoundsPage) -> Markup {
    let title = if p.pages > 1 {
        format!("Pulse rounds, page {} of {}", p.page, p.pages)
    } else {
        "Pulse rounds".to_owned()
    };
    layout(
        &title,
        Some(viewer),
        html! {
            h1 { "Pulse rounds" }
            @if p.rows.is_empty() { p.muted { "No rounds yet. Open one from a team's pulse page." } } @else {
                p.muted { (p.total) " rounds, newest first. The score is psychological safety on the 1 to 7 scale, shown only after close and only when enough people answered; "
                    a href="/about/score" { "how the score works" } "." }
                table.reflow {
                    caption.visually-hidden { (title) }
                    thead { tr { th scope="col" { "Team" } th scope="col" { "Round" } th scope="col" { "Status" } th.num scope="col" { "Answered" } th.num scope="col" { "Score" } } }
                    tbody { @for row in &p.rows { tr {
                        td data-label="Team" { a href=(format!("/teams/{}/rounds", row.team.id)) { (row.team.name) } }
                        td data-label="Round" { a href=(format!("/rounds/{}", row.round.id)) { (row.round.title) } }
                        td data-label="Status" { (status_text(&row.round)) @if let Some(d) = row.round.closed_on { " " (d) } }
                        td.num data-label="Answered" { (participation(&row.results)) }
                        td.num data-label="Score" { (score(&row.results, row.round.threshold)) }
                    } } }
                }
                @if p.pages > 1 {
                    nav.pager aria-label="Pages of rounds" {
                        @if p.page > 1 { a href=(format!("/rounds?page={}", p.page - 1)) rel="prev" { "← Newer rounds" } }
                        span { "Page " (p.page) " of " (p.pages) }
                        @if p.page < p.pages { a href=(format!("/rounds?page={}", p.page + 1)) rel="next" { "Older rounds →" } }
                    }
                }
            }
        },
    )
}
