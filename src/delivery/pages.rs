//! Delivery's pages and the panels other pages include: send invites, remind a round, and
//! the admins' view of the outbox. Each says how to turn email on when it is off.

use maud::{html, Markup};

use super::model::OutboxStatus;
use crate::html::{csrf_field, layout, notice, Viewer};
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::teams::model::TeamId;

/// How to turn email on, said wherever a button would need it.
fn how_to_turn_on() -> Markup {
    html! {
        p.hint {
            "Email delivery is off. Set " code { "CANDOR_SMTP_URL" } " (for example "
            code { "smtps://user:password@mail.example.org:465" } ") and " code { "CANDOR_MAIL_FROM" }
            " and restart Candor; " code { "candor mail test --to you@example.org" }
            " checks them. Until then, hand each person their own link yourself."
        }
    }
}

/// On a team's page: mail each member their own link.
pub fn send_invites_panel(team_id: &TeamId, csrf: &str, mail_on: bool) -> Markup {
    html! {
        @if mail_on {
            form.inline method="post" action=(format!("/teams/{team_id}/invites/send")) {
                (csrf_field(csrf))
                button type="submit" { "Email each person their own link" }
            }
            p.hint {
                "Candor mails each person whose entry holds an email address their own link, with the key fingerprints of what is open. "
                "A mailed link is never shown to staff; a link staff have already seen is replaced by a new one first. "
                "People without an address keep the link you give them."
            }
        } @else {
            (how_to_turn_on())
        }
    }
}

/// On an open review's page: mail each invitee their own link for it.
pub fn send_review_invites_panel(review_id: &ReviewId, csrf: &str, mail_on: bool) -> Markup {
    html! {
        @if mail_on {
            form.inline method="post" action=(format!("/reviews/{review_id}/invites/send")) {
                (csrf_field(csrf))
                button type="submit" { "Email each person their own link" }
            }
            p.hint { "Each invitee whose entry holds an email address gets this review's link by email; a mailed link is never shown here again." }
        } @else {
            (how_to_turn_on())
        }
    }
}

/// On an open round's page: remind everyone on its roster.
pub fn remind_panel(round_id: &RoundId, csrf: &str, mail_on: bool) -> Markup {
    html! {
        h2 { "Reminders" }
        @if mail_on {
            form.inline method="post" action=(format!("/rounds/{round_id}/remind")) {
                (csrf_field(csrf))
                button type="submit" { "Remind everyone on the roster" }
            }
            p.hint {
                "Everyone on the round's roster gets the same reminder, whether or not they have answered. "
                "Candor does not know who has answered, and a mail log that named only the people who had not "
                "would outlive the close as a record of who took part. A reminder also goes out by itself two days before the round closes."
            }
        } @else {
            (how_to_turn_on())
        }
    }
}

/// After queueing: what was queued and a way back.
pub fn queued(viewer: &Viewer, title: &str, message: &str, back: &str) -> Markup {
    layout(
        title,
        Some(viewer),
        html! {
            h1 { (title) }
            (notice("good", html! { p { (message) } }))
            p { "Messages leave through the outbox within seconds; admins see any that fail under " a href="/admin/delivery" { "Delivery" } "." }
            p { a href=(back) { "Back" } }
        },
    )
}

/// The admins' view: whether email is on, what waits and what failed (never a body).
pub fn status(viewer: &Viewer, s: &OutboxStatus, message: Option<&str>) -> Markup {
    layout(
        "Delivery",
        Some(viewer),
        html! {
            h1 { "Delivery" }
            @if let Some(m) = message { (notice("good", html! { p { (m) } })) }
            @if s.mail_on { p { "Email delivery is on." } } @else { (how_to_turn_on()) }
            p { (s.waiting) " message(s) waiting to be sent." }
            h2 { "Failed messages" }
            @if s.failed.is_empty() { p.muted { "None." } } @else {
                p.hint { "These were given up after repeated failures or a permanent refusal. Their text, which may have held a member's link, was deleted; send the invite again once the cause is fixed." }
                div.scroll { table {
                    thead { tr { th scope="col" { "Failed" } th scope="col" { "Kind" } th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "Attempts" } th scope="col" { "Last error" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody { @for f in &s.failed { tr {
                        td { (f.failed_at.date()) }
                        td { (f.channel) " · " (f.purpose) }
                        td { (shown_recipient(&f.channel, &f.recipient)) }
                        td { (f.subject) }
                        td { (f.attempts) }
                        td { (f.last_error) }
                        td { form.inline method="post" action=(format!("/admin/delivery/{}/dismiss", f.id)) {
                            (csrf_field(&viewer.csrf)) button.small type="submit" { "Dismiss" }
                        } }
                    } } }
                } }
            }
        },
    )
}

/// A webhook URL is a credential (its path is the token): only its host is shown.
pub fn shown_recipient(channel: &str, recipient: &str) -> String {
    if channel == "webhook" {
        reqwest::Url::parse(recipient)
            .ok()
            .and_then(|u| u.host_str().map(|h| format!("webhook at {h}")))
            .unwrap_or_else(|| "webhook".into())
    } else {
        recipient.to_owned()
    }
}
