//! Review pages: the staff list, the new-review form and a review with its released accounts;
//! the member's account form, receipt and follow-up pages; the Markdown pre-read.

use std::fmt::Write;

use maud::{html, Markup};

use super::model::{
    md_escape, merged_timeline, needed_for_release, Account, FIELDS, MAX_ENTRY_CHARS,
    MAX_FIELD_CHARS, MAX_REPLY_CHARS, MAX_TIMELINE_ENTRIES,
};
use super::store::{FollowupRow, ReviewRow};
use crate::error::FieldError;
use crate::html::{csrf_field, error_summary, layout, notice, Field, Viewer};
use crate::tokens::crypto::KeyJson;

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
fn lines(text: &str) -> Markup {
    html! {
        @for (i, l) in text.split('\n').enumerate() {
            @if i > 0 { br; }
            (l)
        }
    }
}

/// An account as its writer and the facilitators see it.
pub fn account_block(a: &Account) -> Markup {
    html! {
        @if !a.timeline.is_empty() {
            h4 { "Timeline" }
            div.scroll { table {
                thead { tr { th scope="col" { "Time" } th scope="col" { "What I saw or did" } } }
                tbody { @for e in &a.timeline { tr {
                    td { @if let Some(t) = &e.time { (t) } @else { span.muted { "-" } } }
                    td { (lines(&e.text)) }
                } } }
            } }
        }
        @for (name, heading) in FIELDS {
            @if let Some(text) = a.field(name) {
                h4 { (heading) }
                p { (lines(text)) }
            }
        }
        @if !a.additions.is_empty() {
            h4 { "Added later by the writer" }
            @for add in &a.additions { p { (lines(add)) } }
        }
    }
}

fn thread_block(thread: &[FollowupRow]) -> Markup {
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

// ---------------------------------------------------------------- staff pages

pub struct ListItem {
    pub review: ReviewRow,
    pub received: i64,
}

pub fn list(viewer: &Viewer, items: &[ListItem]) -> Markup {
    layout(
        "Reviews",
        Some(viewer),
        html! {
            h1 { "Incident reviews" }
            p { a.button href="/reviews/new" { "Open a review" } }
            @if items.is_empty() { p.muted { "No reviews yet." } } @else {
                div.scroll { table {
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

pub struct TeamChoice {
    pub id: String,
    pub name: String,
    pub people: i64,
}

#[derive(Default, Clone, Debug)]
pub struct NewReviewForm {
    pub title: String,
    pub incident_date: String,
    pub summary: String,
    pub team_ids: Vec<String>,
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

pub struct AccountView {
    pub id: String,
    pub account: Account,
    pub thread: Vec<FollowupRow>,
}

pub struct ReviewView {
    pub review: ReviewRow,
    pub fingerprint: String,
    pub received: i64,
    pub released: i64,
    pub accounts: Vec<AccountView>,
    pub invites: Vec<(String, String, String)>,
    pub facilitators: Vec<String>,
    /// Accounts a close now would leave held: fewer than the threshold arrived (since the
    /// last release) and the deadline the writers were shown has not passed.
    pub held_at_close: i64,
}

fn held_notice(v: &ReviewView) -> Markup {
    let r = &v.review;
    let threshold = i64::from(r.threshold);
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
            @if open && i64::from(r.invited) < i64::from(r.threshold) {
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
            @if !v.accounts.is_empty() {
                h2 { "Accounts" }
                p.muted { "In a new random order each time this page loads. They carry no names and no times." }
                @for (i, a) in v.accounts.iter().enumerate() {
                    section.card aria-labelledby=(format!("acc-{i}")) {
                        h3 id=(format!("acc-{i}")) { "Account " (i + 1) }
                        (account_block(&a.account))
                        @if !a.thread.is_empty() { h4 { "Follow-ups" } (thread_block(&a.thread)) }
                        @if open {
                            form method="post" action=(format!("/reviews/{}/accounts/{}/questions", r.id, a.id)) {
                                (csrf_field(&viewer.csrf))
                                div.field {
                                    label for=(format!("q-{}", a.id)) { "Ask the writer a follow-up" }
                                    p.hint { "They see it next time they come back with their receipt. You cannot reach them any other way." }
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
            @if v.invites.is_empty() { p.muted { "Nobody is invited." } } @else {
                div.scroll { table.roster {
                    thead { tr { th scope="col" { "Person" } th scope="col" { "Invite link" } } }
                    tbody { @for (_, label, url) in &v.invites { tr {
                        td { (label) }
                        td { input.copy type="text" readonly value=(url) aria-label=(format!("Invite link for {label}")); }
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

// ---------------------------------------------------------------- member pages

/// What a member typed, kept as typed so a refused form comes back intact.
#[derive(Default, Clone, Debug)]
pub struct AccountDraft {
    pub timeline: Vec<(String, String)>,
    pub expected: String,
    pub surprised: String,
    pub hard: String,
    pub helped: String,
    pub other: String,
}

impl AccountDraft {
    fn field(&self, name: &str) -> &str {
        match name {
            "expected" => &self.expected,
            "surprised" => &self.surprised,
            "hard" => &self.hard,
            "helped" => &self.helped,
            _ => &self.other,
        }
    }
}

pub struct AccountFormView<'a> {
    pub review: &'a ReviewRow,
    pub key: &'a KeyJson,
    pub invite: &'a str,
    /// This invite already got its token: only an unfinished submission can go on.
    pub issued: bool,
    pub draft: &'a AccountDraft,
}

pub fn account_form(v: &AccountFormView<'_>, errors: &[FieldError]) -> Markup {
    let r = v.review;
    let rows = v.draft.timeline.len().max(BLANK_TIMELINE_ROWS);
    let empty = (String::new(), String::new());
    layout(
        &format!("Your account: {}", r.title),
        None,
        html! {
            h1 { "Your account of " (r.title) }
            p.muted { "Incident date: " (fmt_date(r.incident_date)) }
            @if !r.summary.is_empty() { p { (lines(&r.summary)) } }
            p { "Write what you saw and did, in your own words. The facilitator reads the accounts together, in random order, "
                "only once at least " (r.threshold) " have arrived or the deadline has passed. Nobody is blamed for what they write here." }
            div.card {
                p { strong { "Why this account cannot be traced to you. " }
                    "Your browser gets a blind-signed token that proves you were invited without saying who you are: the server signs it without seeing it, "
                    "so the account it carries cannot be joined to your invite, not even by the people who run Candor." }
                p { "Key fingerprint: " code.secret { (v.key.fingerprint) }
                    br; span.hint { "Everyone invited sees the same fingerprint; it is also on the public transparency page." } }
            }
            @if v.issued {
                (notice("warn", html! { p { "This invite has already been used for this review. If this browser kept an unfinished account, "
                    "you can send it now; otherwise you have already written yours: come back with your receipt at "
                    a href="/p/followups" { "your follow-ups page" } " to read questions or add to it." } }))
            }
            (error_summary(errors))
            form #account-form method="post" action=(format!("/p/reviews/{}/fallback", r.id))
                data-review-id=(r.id) data-key-n=(v.key.n) data-key-e=(v.key.e) data-fingerprint=(v.key.fingerprint)
                data-tokens-url=(format!("/api/v1/reviews/{}/tokens", r.id))
                data-accounts-url=(format!("/api/v1/reviews/{}/accounts", r.id))
                data-issued=(if v.issued { "true" } else { "false" }) {
                input type="hidden" name="invite" value=(v.invite);
                div #protection .notice.warn role="status" {
                    p { strong { "This browser will use the confidential fallback." }
                        " The server checks your invite and marks it used in the same step that stores your account. "
                        "Nothing that is kept links the two, but the server handles both at once. "
                        "For the unlinkable way, open your link in a current browser with JavaScript on." }
                }
                noscript { p.hint { "JavaScript is off, so this page cannot blind a token in your browser." } }
                fieldset #timeline .invalid[errors.iter().any(|e| e.field.starts_with("timeline"))] {
                    legend { "Timeline of what you saw and did" span.opt { " (optional)" } }
                    p.hint #timeline-hint { "One moment a row. A rough time of day helps merge everyone's timelines; leave it out if you are not sure. "
                        "Up to " (MAX_TIMELINE_ENTRIES) " rows of " (MAX_ENTRY_CHARS) " characters." }
                    div #timeline-rows {
                        @for i in 0..rows {
                            @let (t, text) = v.draft.timeline.get(i).unwrap_or(&empty);
                            div.timeline-row.field {
                                label { "Time of day" span.opt { " (optional)" } br;
                                    input type="time" name="timeline_time" value=(t) aria-describedby="timeline-hint"; }
                                label { "What you saw or did" br;
                                    textarea name="timeline_text" rows="2" maxlength=(MAX_ENTRY_CHARS) { (text) } }
                            }
                        }
                    }
                    button.secondary.small type="button" #add-row hidden { "Add a timeline row" }
                    @for e in errors.iter().filter(|e| e.field.starts_with("timeline")) { p.error { (e.message) } }
                }
                @for (name, heading) in FIELDS {
                    (Field::new(name, heading).kind("textarea").value(v.draft.field(name)).optional().render(errors))
                }
                div.card {
                    p { strong { "Before you send it" } }
                    p.hint { "Read it once more for anything that points at you or at someone else. When you submit, the page looks for email addresses, "
                        "phone numbers and @handles and asks you to check them. It cannot spot names of people, or a role only one person holds "
                        "(\"the on-call DBA\", \"I approved the change\"): that is up to you." }
                    p.hint { "Your draft is saved in this browser only, as you type, and never sent until you submit; it is deleted once your account is stored. "
                        "On a shared computer, discard it when you are done." }
                    p.hint { "Each field holds up to " (MAX_FIELD_CHARS) " characters." }
                }
                div #identifying hidden {}
                p {
                    button type="submit" #submit-account { "Submit my account" }
                    " "
                    button.secondary type="button" #discard-draft hidden { "Discard draft" }
                }
                div #status role="status" aria-live="polite" {}
            }
            div #result {}
            script type="module" src="/static/js/account.js" {}
        },
    )
}

/// The receipt, shown once, and exactly what was stored.
pub fn receipt_page(review_id: &str, title: &str, receipt: &str, stored: &Account) -> Markup {
    layout(
        "Account stored",
        None,
        html! {
            h1 { "Your account is stored" }
            (receipt_block(receipt))
            h2 { "What was stored" }
            p { "Exactly this, for " (title) ", with no name, no time and no link to your invite:" }
            div.card { (account_block(stored)) }
            div #draft-done data-review-id=(review_id) {}
            script type="module" src="/static/js/account.js" {}
        },
    )
}

pub fn receipt_block(receipt: &str) -> Markup {
    html! {
        div.notice.good {
            p { "Your receipt. " strong { "Write it down or copy it now: it is shown only this once" } " and nobody can recover it." }
            p { code.receipt #receipt { (receipt) } }
            p { "With it you can come back at " a href="/p/followups" { "your follow-ups page" }
                " to read the facilitator's questions, answer them and add to your account. Keep it to yourself: whoever holds it can read your account." }
        }
    }
}

/// The page where a writer pastes their receipt. `message` says why they are back here.
pub fn receipt_form(message: Option<&str>) -> Markup {
    layout(
        "Your account and follow-ups",
        None,
        html! {
            h1 { "Your account and follow-up questions" }
            @if let Some(m) = message { (notice("bad", html! { p { (m) } })) }
            p { "Enter the receipt you were given when you submitted your account." }
            form.card method="post" action="/p/followups" {
                div.field {
                    label for="f-receipt" { "Receipt" }
                    p.hint #f-receipt-hint { "Groups of four letters and digits; case, spaces and dashes do not matter." }
                    input #f-receipt type="text" name="receipt" autocomplete="off" autocapitalize="characters" spellcheck="false"
                        required aria-describedby="f-receipt-hint";
                }
                button type="submit" { "Open my account" }
            }
        },
    )
}

pub struct FollowupPage<'a> {
    pub receipt: &'a str,
    pub title: &'a str,
    pub open: bool,
    pub account: &'a Account,
    pub thread: &'a [FollowupRow],
    pub message: Option<&'a str>,
}

pub fn followups_page(v: &FollowupPage<'_>, errors: &[FieldError]) -> Markup {
    layout(
        "Your account and follow-ups",
        None,
        html! {
            h1 { "Your account of " (v.title) }
            @if let Some(m) = v.message { (notice("good", html! { p { (m) } })) }
            (error_summary(errors))
            @if !v.open { (notice("", html! { p { "This review is closed: you can read your account and the questions, but no longer reply or add to it." } })) }
            h2 { "Follow-up questions" }
            @if v.thread.is_empty() { p.muted { "No questions yet. Come back later with your receipt." } }
            @for f in v.thread {
                div.card {
                    p { strong { "Question: " } (lines(&f.question)) }
                    @match &f.reply {
                        Some(r) => p { strong { "Your reply: " } (lines(r)) },
                        None => @if v.open {
                            form method="post" action="/p/followups/reply" {
                                input type="hidden" name="receipt" value=(v.receipt);
                                input type="hidden" name="followup_id" value=(f.id);
                                div.field {
                                    label for=(format!("r-{}", f.id)) { "Your reply" }
                                    textarea id=(format!("r-{}", f.id)) name="text" required maxlength=(MAX_REPLY_CHARS) {}
                                }
                                button.small type="submit" { "Send reply" }
                            }
                        } @else { p.muted { "Not answered." } },
                    }
                }
            }
            h2 { "Your account" }
            div.card { (account_block(v.account)) }
            @if v.open {
                h2 { "Add to your account" }
                form.card method="post" action="/p/followups/add" {
                    input type="hidden" name="receipt" value=(v.receipt);
                    div.field {
                        label for="f-text" { "Something to add" }
                        p.hint { "Stored as a separate note under your account, after what you first wrote. Once your account has been released, the facilitator sees the note straight away." }
                        textarea #f-text name="text" required maxlength=(MAX_REPLY_CHARS) {}
                    }
                    button type="submit" { "Add it" }
                }
            }
        },
    )
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
