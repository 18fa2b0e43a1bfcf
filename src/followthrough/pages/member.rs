//! What members read of the loop: their team's actions after earlier rounds and the action
//! items of a review they wrote for. Days only; no link to any account; no owner (an owner is
//! a staff member's email, and member pages carry no one's email, G14).

use maud::{html, Markup};

use super::{day, status_tag};
use crate::followthrough::model::{ActionView, ItemView};

fn action_line(a: &ActionView) -> Markup {
    html! {
        li {
            (a.text) " " (status_tag(a.status))
            br;
            span.muted {
                "After " (a.round_title)
                @if let Some(q) = &a.question { " · about “" (q) "”" }
                @if let Some(t) = &a.theme { " · about " (t) }
                @if let Some(d) = a.due_on { " · due " (day(d)) }
                @if let Some(d) = a.done_on { " · done " (day(d)) }
            }
        }
    }
}

/// "You said, we did": a team's actions, for the member's landing and the top of the next
/// round's form. Nothing when there are none.
pub fn member_actions(actions: &[ActionView], heading_level: u8) -> Markup {
    let heading = html! { "You said, we did" };
    html! {
        @if !actions.is_empty() {
            section.card #you-said aria-labelledby="you-said-h" {
                @if heading_level == 2 { h2 #you-said-h { (heading) } } @else { h3 #you-said-h { (heading) } }
                p.muted { "What your team's leads committed to after earlier rounds, and where each stands." }
                ul { @for a in actions { (action_line(a)) } }
            }
        }
    }
}

/// The action items of reviews the member was invited to (or, through a receipt, wrote for).
pub fn member_items(items: &[ItemView]) -> Markup {
    html! {
        @if !items.is_empty() {
            section.card #review-items aria-labelledby="review-items-h" {
                h2 #review-items-h { "What the review will change" }
                ul { @for i in items {
                    li {
                        (i.text) " " (status_tag(i.status))
                        br;
                        span.muted {
                            (i.review_title)
                            @if let Some(d) = i.due_on { " · due " (day(d)) }
                        }
                    }
                } }
            }
        }
    }
}
