//! Pages and exports for closing the loop: pure functions over the actions' views. `staff`
//! holds the leader's and facilitator's sections and pages, `member` what members read,
//! `export` the CSV and Markdown of a review's action items.

mod export;
mod member;
mod staff;

pub use export::*;
pub use member::*;
pub use staff::*;

use maud::{html, Markup};

use super::model::Status;

/// A status as a small label that does not rely on colour alone.
fn status_tag(s: Status) -> Markup {
    html! { span class=(format!("tag status-{}", s.as_str())) { (s.label()) } }
}

/// A day as members and staff read it: `2026-12-06`. Never a time.
fn day(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
