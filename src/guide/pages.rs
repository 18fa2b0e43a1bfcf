//! The checklist as a card, shown on the Teams page until every step is done.

use maud::{html, Markup};

use super::model::Step;

pub fn checklist(steps: &[Step]) -> Markup {
    let done = steps.iter().filter(|s| s.done).count();
    html! {
        @if done < steps.len() {
            section.card.checklist aria-labelledby="getting-started" {
                h2 #getting-started { "Getting started" }
                p { "Candor collects what people would not say with their name on it: short anonymous team surveys, and accounts before an incident review. "
                    "Nobody, not even whoever runs Candor, can tell who answered what. " (done) " of " (steps.len()) " steps done." }
                ol {
                    @for s in steps {
                        li.done[s.done] {
                            @if s.done { span.tick aria-hidden="true" { "✓ " } (s.text) span.visually-hidden { " (done)" } }
                            @else { a href=(s.href) { (s.text) } br; span.hint { (s.hint) } }
                        }
                    }
                }
            }
        }
    }
}
