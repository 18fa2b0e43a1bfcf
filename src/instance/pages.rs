//! The instance page.

use maud::{html, Markup};

use crate::db::scrub::Status;
use crate::html::{csrf_field, layout, notice, Viewer};

pub struct InstanceView {
    pub backend: &'static str,
    pub threshold_floor: u16,
    pub scrub: Status,
    /// The default chat webhook as shown: its host only (delivery decides).
    pub webhook: Option<String>,
}

pub fn instance(viewer: &Viewer, v: &InstanceView, message: Option<&str>) -> Markup {
    layout(
        "Instance",
        Some(viewer),
        html! {
            h1 { "Instance" }
            @if let Some(m) = message { (notice("good", html! { p { (m) } })) }
            p { "Database: " (v.backend) " · smallest anonymity threshold: " (v.threshold_floor) }
            h2 { "Close-time scrub" }
            p { "When a round or review closes, Candor rewrites its rows in random order and then erases the old copies the database keeps (SQLite's write-ahead log, PostgreSQL's dead rows), so that nobody holding the database later can tell who answered or in which order." }
            @if v.scrub.pending {
                (notice("warn", html! {
                    p { strong { "Scrub pending" }
                        @if let Some(since) = &v.scrub.pending_since { " since " time datetime=(since) { (since) } }
                        ". Until it completes, the database files may still hold who took part in a closed round or review next to what was written." }
                    @if v.scrub.failed_attempts > 0 {
                        p { (v.scrub.failed_attempts) " failed attempt(s). Last cause: " (v.scrub.last_error.as_deref().unwrap_or("unknown")) }
                    }
                    p { "It is retried every 30 seconds. The usual cause is a long reader: a backup in progress or an open " code { "sqlite3" } " shell on SQLite, a long query or lock on PostgreSQL. End it, then retry." }
                }))
                form method="post" action="/admin/instance/scrub" {
                    (csrf_field(&viewer.csrf))
                    button type="submit" { "Retry the scrub now" }
                }
            } @else {
                p { "Nothing pending: every closed round and review has been scrubbed." }
            }
            (crate::delivery::pages::default_webhook_section(&viewer.csrf, v.webhook.as_deref()))
        },
    )
}
