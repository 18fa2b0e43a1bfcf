//! Review pages: the staff list, the new-review form and a review with its released accounts;
//! the member's account form, receipt and follow-up pages; the Markdown pre-read.
//!
//! `staff` holds the facilitators' pages and the pre-read, `member` the writer's; both are
//! re-exported here. Every page is a pure function of the view it is given.

mod member;
mod staff;

pub use member::*;
pub use staff::*;

use maud::{html, Markup};

use super::model::{Account, FollowupRow, FIELDS};

/// Timeline rows the form shows without JavaScript (with it, people add more).
pub const BLANK_TIMELINE_ROWS: usize = 6;

pub fn fmt_date(d: time::Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

pub fn fmt_time(t: time::PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&fmt).unwrap_or_default()
}

/// Text with its line breaks kept, escaped by maud.
pub(crate) fn lines(text: &str) -> Markup {
    html! {
        @for (i, l) in text.split('\n').enumerate() {
            @if i > 0 { br; }
            (l)
        }
    }
}

/// An account as its writer and the facilitators see it.
/// An account's parts, each under a heading at `level` (3 or 4), one below the heading the
/// page puts the account under, so headings never skip a level (axe's heading-order).
pub fn account_block(a: &Account, level: u8) -> Markup {
    let heading = |text: &str| -> Markup {
        if level <= 3 {
            html! { h3 { (text) } }
        } else {
            html! { h4 { (text) } }
        }
    };
    html! {
        @if !a.timeline.is_empty() {
            (heading("Timeline"))
            div.scroll tabindex="0" { table {
                thead { tr { th scope="col" { "Time" } th scope="col" { "What I saw or did" } } }
                tbody { @for e in &a.timeline { tr {
                    td { @if let Some(t) = &e.time { (t) } @else { span.muted { "-" } } }
                    td { (lines(&e.text)) }
                } } }
            } }
        }
        @for (name, heading_text) in FIELDS {
            @if let Some(text) = a.field(name) {
                (heading(heading_text))
                p { (lines(text)) }
            }
        }
        @if !a.additions.is_empty() {
            (heading("Added later by the writer"))
            @for add in &a.additions { p { (lines(add)) } }
        }
    }
}

pub(crate) fn thread_block(thread: &[FollowupRow]) -> Markup {
    html! {
        @for f in thread {
            div.card {
                p { strong { "Question: " } (lines(&f.question)) }
                @match &f.reply {
                    Some(r) => p { strong { "Reply: " } (lines(r)) },
                    None => p.muted { "No reply yet." },
                }
            }
        }
    }
}
