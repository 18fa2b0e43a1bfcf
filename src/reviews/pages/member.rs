//! The writer's pages: the account form (blind-token path with its no-JavaScript fallback),
//! the receipt shown once, the receipt form and the follow-ups page.

use maud::{html, Markup};

use super::{account_block, fmt_date, lines, BLANK_TIMELINE_ROWS};
use crate::error::FieldError;
use crate::html::{error_summary, layout, notice, plain, Field};
use crate::reviews::model::{
    Account, FollowupRow, ReviewId, ReviewRow, FIELDS, MAX_ENTRY_CHARS, MAX_FIELD_CHARS,
    MAX_REPLY_CHARS, MAX_TIMELINE_ENTRIES,
};
use crate::tokens::crypto::KeyJson;

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
    /// Name parts of everyone invited (`members::model::name_parts`), for the warning.
    pub names: &'a [String],
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
                p { strong { "Nobody can tell which account is yours" } ", not even the people who run Candor." }
                details { summary { (plain::HOW_SUMMARY) }
                    p { "Your browser gets a one-time pass that proves you were invited without saying who you are: the server signs it without seeing it "
                        "(a blind signature), so the account it carries cannot be joined to your invite." } }
                (plain::key_details(&v.key.fingerprint))
            }
            @if v.issued {
                (notice("warn", html! {
                    p { "This invite has already been used for this review: by you, in this browser or another one, or by someone holding your link." }
                    ul {
                        li { "If you got a receipt, your account is stored: use the receipt on " a href="/p/followups" { "your follow-ups page" } " to read questions or add to it." }
                        li { "If you started in another browser and did not finish, finish there: your draft and your token are kept in that browser." }
                        li { "If this browser kept an unfinished account, you can send it below." }
                    }
                }))
            }
            (error_summary(errors))
            form #account-form method="post" action=(format!("/p/reviews/{}/fallback", r.id))
                data-review-id=(r.id) data-key-n=(v.key.n) data-key-e=(v.key.e) data-fingerprint=(v.key.fingerprint)
                data-tokens-url=(format!("/api/v1/reviews/{}/tokens", r.id))
                data-accounts-url=(format!("/api/v1/reviews/{}/accounts", r.id))
                data-issued=(if v.issued { "true" } else { "false" }) data-title=(r.title)
                data-names=(serde_json::to_string(v.names).unwrap_or_else(|_| "[]".into()))
                data-max-rows=(MAX_TIMELINE_ENTRIES) data-max-entry=(MAX_ENTRY_CHARS) data-max-field=(MAX_FIELD_CHARS) {
                input type="hidden" name="invite" value=(v.invite);
                div #protection .notice.warn role="status" {
                    p { strong { "This browser cannot run the privacy step, so your account is kept confidential, with one limit." } }
                    details { summary { (plain::HOW_SUMMARY) }
                        p { "The server checks your invite and marks it used in the same step that stores your account. "
                            "Nothing that is kept links the two, but the server handles both at once. "
                            "For the untraceable way, open your link in a current browser with JavaScript on." } }
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
                        "phone numbers, @handles and the names of people invited, and asks you to check them. It cannot spot other names, or a role only one person holds "
                        "(\"the on-call DBA\", \"I approved the change\"): that is up to you." }
                    p.hint { "Your draft is saved in this browser only, as you type, and never sent until you submit; it is deleted once your account is stored. "
                        "On a shared computer, discard it when you are done." }
                    p.hint { "Each field holds up to " (MAX_FIELD_CHARS) " characters." }
                }
                div #identifying hidden {}
                // Shown by account.js when this browser blinds: the fallback has no token (G16).
                div.field #keep-field hidden {
                    label { input #keep-token type="checkbox" name="keep_token" value="1"; " Keep my token in this browser" }
                    p.hint { "So that on your next visit after the review closes, this browser can check that your account was counted. "
                        "Nothing of what you wrote is kept with it, and it is deleted after that check." }
                }
                p {
                    button type="submit" #submit-account { "Submit my account" }
                    " "
                    button.secondary type="button" #discard-draft hidden { "Discard draft" }
                }
                div #status role="status" aria-live="polite" {}
            }
            div #result {}
            script type="module" src=(crate::assets::url("js/account.js")) {}
        },
    )
}

/// The receipt, shown once, and exactly what was stored.
pub fn receipt_page(review_id: &ReviewId, title: &str, receipt: &str, stored: &Account) -> Markup {
    layout(
        "Account stored",
        None,
        html! {
            h1 { "Your account is stored" }
            (receipt_block(receipt))
            h2 { "What was stored" }
            p { "Exactly this, for " (title) ", with no name, no time and no link to your invite:" }
            div.card { (account_block(stored, 3)) }
            div #draft-done data-review-id=(review_id) {}
            script type="module" src=(crate::assets::url("js/account.js")) {}
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
            // A writer comes back here after the review closed (its invite links are gone by
            // then): bulletin.js checks a token this browser kept and says so here (G16).
            div #counted aria-live="polite" {}
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
            script type="module" src=(crate::assets::url("js/bulletin.js")) {}
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
    /// The review's action items, as `followthrough` renders them for members.
    pub items: Markup,
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
            (v.items)
            h2 { "Follow-up questions" }
            @if v.thread.is_empty() { p.muted { "No questions yet. Come back later with your receipt." } }
            @for f in v.thread {
                div.card {
                    p { strong { "Question: " } (lines(&f.question)) }
                    @match &f.reply {
                        Some(r) => p { strong { "Your reply: " } (lines(r)) },
                        None => @if v.open {
                            form method="post" action="/p/followups/reply" data-check-identifying {
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
            div.card { (account_block(v.account, 3)) }
            @if v.open {
                h2 { "Add to your account" }
                form.card method="post" action="/p/followups/add" data-check-identifying {
                    input type="hidden" name="receipt" value=(v.receipt);
                    div.field {
                        label for="f-text" { "Something to add" }
                        p.hint { "Stored as a separate note under your account, after what you first wrote. Once your account has been released, the facilitator sees the note straight away." }
                        textarea #f-text name="text" required maxlength=(MAX_REPLY_CHARS) {}
                    }
                    button type="submit" { "Add it" }
                }
            }
            script type="module" src=(crate::assets::url("js/followups.js")) {}
        },
    )
}
