//! The facilitators' pages: the list, the new-review form, a review with its released
//! accounts and the close form; and the Markdown pre-read for the review meeting.

use std::fmt::Write;

use maud::{html, Markup};

use super::{account_block, fmt_date, fmt_time, lines, thread_block};
use crate::error::FieldError;
use crate::html::{csrf_field, error_summary, layout, notice, Field, Viewer};
use crate::reviews::model::{
    md_escape, merged_timeline, needed_for_release, Account, AccountView, ListItem, ReviewRow,
    ReviewView, TeamChoice, FIELDS,
};
use crate::teams::model::TeamId;

pub fn list(viewer: &Viewer, items: &[ListItem]) -> Markup {
    layout(
        "Reviews",
        Some(viewer),
        html! {
            h1 { "Incident reviews" }
            p { a.button href="/reviews/new" { "Open a review" } }
            @if items.is_empty() { p.muted { "No reviews yet." } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr {
                        th scope="col" { "Review" } th scope="col" { "Incident date" }
                        th scope="col" { "Status" } th.num scope="col" { "Invited" } th.num scope="col" { "Accounts" }
                    } }
                    tbody { @for i in items { tr {
                        td { a href=(format!("/reviews/{}", i.review.id)) { (i.review.title) } }
                        td { (fmt_date(i.review.incident_date)) }
                        td { (i.review.status) }
                        td.num { (i.review.invited) }
                        td.num { (i.received) }
                    } } }
                } }
            }
        },
    )
}

/// The new-review form as typed, decoded straight from the post (`team_ids` repeats, one
/// value per ticked team) and echoed back when something was wrong.
#[derive(Default, Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct NewReviewForm {
    pub title: String,
    pub incident_date: String,
    pub summary: String,
    pub team_ids: Vec<TeamId>,
    pub invitees: String,
    pub deadline: String,
    pub threshold: String,
    pub retention_days: String,
}

pub fn new_review(
    viewer: &Viewer,
    teams: &[TeamChoice],
    form: &NewReviewForm,
    errors: &[FieldError],
    floor: u16,
) -> Markup {
    let team_error = errors.iter().find(|e| e.field == "team_ids");
    layout(
        "Open a review",
        Some(viewer),
        html! {
            p.crumbs { a href="/reviews" { "Reviews" } " / " }
            h1 { "Open an incident review" }
            p { "Each person you invite gets a link to write their own account of the incident, anonymously. "
                "You will see the accounts only once enough have arrived, all at once, in random order." }
            (error_summary(errors))
            form.card method="post" action="/reviews" {
                (csrf_field(&viewer.csrf))
                (Field::new("title", "Title").value(&form.title).hint("What the incident is called, e.g. \"Checkout outage\".").render(errors))
                (Field::new("incident_date", "Incident date").kind("date").value(&form.incident_date).render(errors))
                (Field::new("summary", "Summary").kind("textarea").value(&form.summary).optional()
                    .hint("What happened, in a few sentences. Every invited person sees it above the form.").render(errors))
                fieldset.invalid[team_error.is_some()] id="f-team_ids" {
                    legend { "Invite teams" span.opt { " (optional)" } }
                    p.hint { "Everyone on a team's roster gets a link of this review's own, separate from their team link. Only teams whose leader allowed review invitations are listed." }
                    @if teams.is_empty() { p.muted { "No team has allowed review invitations yet. A team's leader (or an admin) can allow it on the team's page; until then, paste the people below." } }
                    @for t in teams {
                        label.check {
                            input type="checkbox" name="team_ids" value=(t.id) checked[form.team_ids.contains(&t.id)];
                            " " (t.name) span.muted { " (" (t.people) " people)" }
                        }
                    }
                    @if let Some(e) = team_error { p.error { (e.message) } }
                }
                (Field::new("invitees", "Invite people").kind("textarea").value(&form.invitees).optional()
                    .hint("One a line: a name or an email. Each gets a personal link for this review; download them after.").render(errors))
                (Field::new("deadline", "Deadline").kind("datetime-local").value(&form.deadline).optional()
                    .hint("In UTC. At the deadline the accounts are shown even if fewer than the threshold arrived.").render(errors))
                (Field::new("threshold", "Release threshold").kind("number").value(&form.threshold)
                    .hint(&format!("Accounts stay hidden until this many have arrived (or the deadline). At least {floor}.")).render(errors))
                (Field::new("retention_days", "Keep accounts for (days after close)").kind("number").value(&form.retention_days)
                    .hint("After this, the text of accounts and follow-ups is deleted; only counts remain.").render(errors))
                button type="submit" { "Open review" }
            }
        },
    )
}

fn held_notice(v: &ReviewView) -> Markup {
    let r = &v.review;
    let threshold = r.threshold;
    let pending = v.received - v.released;
    let needed = needed_for_release(pending, threshold);
    html! {
        @if v.released == 0 {
            (notice("warn", html! {
                p { strong { "Accounts are held. " } (v.received) " of the " (threshold) " needed have arrived; they appear, all at once, when "
                    (needed) " more arrive"
                    @if let Some(d) = r.deadline { " or at the deadline (" (fmt_time(d)) ")" }
                    "." }
            }))
        } @else if pending > 0 {
            (notice("", html! {
                p { (pending) " more " @if pending == 1 { "account" } @else { "accounts" }
                    " arrived after the last release. They are shown in the next batch, when " (needed) " more arrive; closing the review does not show them." }
            }))
        }
    }
}

pub fn detail(
    viewer: &Viewer,
    v: &ReviewView,
    errors: &[FieldError],
    message: Option<&str>,
    mail_on: bool,
) -> Markup {
    let r = &v.review;
    let open = r.is_open();
    layout(
        &r.title,
        Some(viewer),
        html! {
            p.crumbs { a href="/reviews" { "Reviews" } " / " }
            h1 { (r.title) }
            @if let Some(m) = message { (notice("good", html! { p { (m) } })) }
            (error_summary(errors))
            p {
                span.stat { b { (if open { "Open" } else { "Closed" }) } "status" }
                span.stat { b { (r.invited) } "invited" }
                span.stat { b { (v.received) } "accounts received" }
                span.stat { b { (v.released) } "shown" }
                span.stat { b { (r.threshold) } "release threshold" }
            }
            p { "Incident date: " (fmt_date(r.incident_date))
                @if let Some(d) = r.deadline { " · Deadline: " (fmt_time(d)) }
                @if let Some(d) = r.closed_on { " · Closed on " (fmt_date(d)) }
            }
            @if open && i64::from(r.invited) < r.threshold.count() {
                (notice("warn", html! { p { "Fewer people are invited (" (r.invited) ") than the release threshold (" (r.threshold)
                    "): accounts stay hidden until the deadline, even if you close the review before it." } }))
            }
            @if !r.summary.is_empty() { h2 { "Summary" } p { (lines(&r.summary)) } }
            @if let Some(day) = r.purged_on {
                (notice("", html! { p { "The text of this review's accounts and follow-ups was deleted on " (fmt_date(day))
                    " under its retention setting. What remains: " (r.accounts_total.unwrap_or(0)) " accounts, "
                    (r.followups_asked.unwrap_or(0)) " follow-ups asked, " (r.followups_answered.unwrap_or(0)) " answered." } }))
            } @else {
                (held_notice(v))
            }
            @if v.released > 0 && r.purged_on.is_none() {
                p { a href=(format!("/reviews/{}/preread.md", r.id)) download { "Download the pre-read (Markdown)" } }
            }
            p { a href=(format!("/reviews/{}/items", r.id)) { "Action items (" (v.items.len()) ")" }
                ": record what the review will change, linked to the accounts that raised it." }
            @if !v.accounts.is_empty() {
                h2 { "Accounts" }
                p.muted { "In a random order, drawn once when they were released and kept since, so \"Account 2\" stays the same account. They carry no names and no times." }
                @for (i, a) in v.accounts.iter().enumerate() {
                    section.card aria-labelledby=(format!("acc-{i}")) {
                        h3 id=(format!("acc-{i}")) { "Account " (i + 1) }
                        (account_block(&a.account, 4))
                        @if !a.thread.is_empty() { h4 { "Follow-ups" } (thread_block(&a.thread)) }
                        @if open {
                            form method="post" action=(format!("/reviews/{}/accounts/{}/questions", r.id, a.id)) {
                                (csrf_field(&viewer.csrf))
                                div.field {
                                    label for=(format!("q-{}", a.id)) { "Ask the writer a follow-up" }
                                    p.hint { "They see it next time they come back with their receipt. You cannot reach them any other way; with email on, everyone invited gets the same note that questions were asked." }
                                    textarea id=(format!("q-{}", a.id)) name="text" required {}
                                }
                                button.small type="submit" { "Ask" }
                            }
                        }
                    }
                }
            }
            h2 { "Invite links" }
            p { "Send each person their own link; with it they see this review on their Candor page. Team members use their usual team link. "
                a href=(format!("/reviews/{}/invites.csv", r.id)) download { "Download all links (CSV)" } }
            p.muted { "Key fingerprint shown to every writer: " code.secret { (v.fingerprint) } }
            @if open { (crate::delivery::pages::send_review_invites_panel(&r.id, &viewer.csrf, mail_on)) }
            @if v.invites.is_empty() { p.muted { "Nobody is invited." } } @else {
                div.scroll tabindex="0" { table.roster {
                    thead { tr { th scope="col" { "Person" } th scope="col" { "Invite link" } } }
                    tbody { @for (_, label, url) in &v.invites { tr {
                        td { (label) }
                        td { @if let Some(url) = url {
                            input.copy type="text" readonly value=(url) aria-label=(format!("Invite link for {label}"));
                        } @else { span.muted { "Sent by email · only they have it" } } }
                    } } }
                } }
            }
            h2 { "Facilitators" }
            p { (v.facilitators.join(", ")) }
            @if open {
                form.card method="post" action=(format!("/reviews/{}/facilitators", r.id)) {
                    (csrf_field(&viewer.csrf))
                    (Field::new("email", "Add a facilitator by email").kind("email").hint("They must already be a facilitator or an admin. They will read the accounts too.").render(errors))
                    button type="submit" { "Add facilitator" }
                }
                h2 { "Close the review" }
                (close_form(viewer, v))
            }
        },
    )
}

/// Closing asks for confirmation and says what will happen, held accounts included.
fn close_form(viewer: &Viewer, v: &ReviewView) -> Markup {
    let r = &v.review;
    let held = v.held_at_close;
    html! {
        form.card method="post" action=(format!("/reviews/{}/close", r.id)) {
            (csrf_field(&viewer.csrf))
            p { "Closing stops new accounts and follow-ups, destroys the review's key and forgets who took part. It cannot be undone." }
            @if held > 0 {
                (notice("warn", html! { p { strong { (held) " " (if held == 1 { "account stays held" } else { "accounts stay held" }) }
                    ": fewer than the release threshold (" (r.threshold) ") arrived"
                    @if v.released > 0 { " since the last release" }
                    ", and the writers were promised they would not be shown alone before the deadline"
                    @if let Some(d) = r.deadline { " (" (fmt_time(d)) ")" }
                    ". Closing now does not show them"
                    @if r.deadline.is_some() { "; they appear after the deadline" } @else { "; with no deadline they are never shown" }
                    "." } }))
            }
            div.field {
                label.check {
                    input type="checkbox" name="confirm" value="yes" required;
                    @if held > 0 { " I understand: close the review and keep " (held) " held" } @else { " I understand: close the review now" }
                }
            }
            button.danger type="submit" { "Close review" }
        }
    }
}

// ---------------------------------------------------------------- the pre-read

/// The Markdown pre-read for the review meeting: the summary, a merged timeline of every
/// entry that carries a time (whose it is is not said), and every released account in the
/// (already shuffled) order given, with its follow-up thread.
pub fn preread_markdown(r: &ReviewRow, accounts: &[AccountView], received: i64) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Pre-read: {}\n", md_escape(&r.title));
    let _ = writeln!(md, "Incident date: {}  ", fmt_date(r.incident_date));
    let _ = writeln!(
        md,
        "Accounts: {} shown of {} received. The accounts are in random order and carry no names or times.\n",
        accounts.len(),
        received
    );
    let _ = writeln!(md, "## Summary\n");
    if r.summary.is_empty() {
        let _ = writeln!(md, "(No summary was given.)\n");
    } else {
        let _ = writeln!(md, "{}\n", md_escape(&r.summary));
    }
    let all: Vec<Account> = accounts.iter().map(|a| a.account.clone()).collect();
    let merged = merged_timeline(&all);
    let _ = writeln!(md, "## Merged timeline\n");
    if merged.is_empty() {
        let _ = writeln!(md, "(No timeline entry carries a time.)\n");
    } else {
        let _ = writeln!(
            md,
            "Every timeline entry that carries a time of day, from all accounts, sorted by time.\n"
        );
        for (t, text) in &merged {
            let _ = writeln!(md, "- **{t}** {}", md_escape(text).replace('\n', " "));
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Accounts\n");
    if accounts.is_empty() {
        let _ = writeln!(md, "(No account has been released yet.)\n");
    }
    for (i, a) in accounts.iter().enumerate() {
        let _ = writeln!(md, "### Account {}\n", i + 1);
        let acc = &a.account;
        if !acc.timeline.is_empty() {
            let _ = writeln!(md, "**Timeline**\n");
            for e in &acc.timeline {
                let text = md_escape(&e.text).replace('\n', " ");
                match &e.time {
                    Some(t) => {
                        let _ = writeln!(md, "- {t}: {text}");
                    }
                    None => {
                        let _ = writeln!(md, "- {text}");
                    }
                }
            }
            md.push('\n');
        }
        for (name, heading) in FIELDS {
            if let Some(text) = acc.field(name) {
                let _ = writeln!(md, "**{heading}**\n\n{}\n", md_escape(text));
            }
        }
        for add in &acc.additions {
            let _ = writeln!(md, "**Added later by the writer**\n\n{}\n", md_escape(add));
        }
        if !a.thread.is_empty() {
            let _ = writeln!(md, "**Follow-ups**\n");
            for f in &a.thread {
                let _ = writeln!(md, "> **Q:** {}", md_escape(&f.question).replace('\n', " "));
                match &f.reply {
                    Some(rep) => {
                        let _ = writeln!(md, ">\n> **A:** {}\n", md_escape(rep).replace('\n', " "));
                    }
                    None => {
                        let _ = writeln!(md, ">\n> (no reply)\n");
                    }
                }
            }
        }
    }
    md
}
