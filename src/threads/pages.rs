//! Pages for comment conversations: the receipt shown once on the member's thank-you page,
//! the member's receipt form and thread page (no JavaScript needed: the receipt travels in
//! form bodies, never in a URL), and the conversations under a round's results for leaders.
//! Pure functions over view structs.

use maud::{html, Markup};

use super::model::{Author, CommentId, Reply, Thread, MAX_REPLY_CHARS};
use crate::error::FieldError;
use crate::html::{csrf_field, error_summary, layout, notice, Viewer};
use crate::pulse::model::RoundId;

/// Line breaks kept, everything else escaped by maud.
fn lines(text: &str) -> Markup {
    html! {
        @for (i, l) in text.split('\n').enumerate() {
            @if i > 0 { br; }
            (l)
        }
    }
}

/// The comment's receipt on the thank-you page: shown this once.
pub fn receipt_notice(receipt: &str) -> Markup {
    html! {
        div.notice.good #comment-receipt {
            p { "Your comment's receipt. " strong { "Write it down or copy it now: it is shown only this once" } " and nobody can recover it." }
            p { code.receipt #receipt { (receipt) } }
            p { "Once the round closes and enough people commented, your team lead can reply to your comment without learning who wrote it. Come back at "
                a href="/p/comments" { "your comment's page" } " with this receipt to read replies and answer. Keep it to yourself: whoever holds it can read and answer in your name." }
        }
    }
}

fn reply_item(r: &Reply) -> Markup {
    html! {
        li {
            strong { @match r.from { Author::Staff => "Team lead", Author::Writer => "Comment writer" } }
            @if let Some(d) = &r.on { " " span.muted { "(" (d) ")" } }
            ": " (lines(&r.text))
        }
    }
}

fn replies_list(replies: &[Reply]) -> Markup {
    html! {
        @if replies.is_empty() { p.muted { "No replies yet." } }
        @else { ol.replies { @for r in replies { (reply_item(r)) } } }
    }
}

/// The page where a writer enters their comment's receipt. `message` says why they are back.
pub fn receipt_form(message: Option<&str>) -> Markup {
    layout(
        "Your comment",
        None,
        html! {
            h1 { "Replies to your comment" }
            @if let Some(m) = message { (notice("bad", html! { p { (m) } })) }
            p { "Enter the receipt you were shown when you answered the pulse round with a comment." }
            form.card method="post" action="/p/comments" {
                div.field {
                    label for="f-receipt" { "Receipt" }
                    p.hint #f-receipt-hint { "Groups of four letters and digits; case, spaces and dashes do not matter." }
                    input #f-receipt type="text" name="receipt" autocomplete="off" autocapitalize="characters" spellcheck="false"
                        required aria-describedby="f-receipt-hint";
                }
                button type="submit" { "Open my comment" }
            }
        },
    )
}

/// What the writer's thread page shows.
pub struct WriterPage<'a> {
    pub receipt: &'a str,
    pub round_title: &'a str,
    pub thread: &'a Thread,
    pub can_reply: bool,
    pub purge_on: Option<time::Date>,
    /// Typed text kept when the answer was refused or held for the warning.
    pub draft: &'a str,
    /// Identifying details found in the draft: the page asks before storing it.
    pub warning: Option<&'a [String]>,
    pub message: Option<&'a str>,
}

pub fn thread_page(v: &WriterPage<'_>, errors: &[FieldError]) -> Markup {
    layout(
        "Your comment",
        None,
        html! {
            h1 { "Your comment on " (v.round_title) }
            @if let Some(m) = v.message { (notice("good", html! { p { (m) } })) }
            (error_summary(errors))
            div.card { p { (lines(&v.thread.text)) } }
            h2 { "Replies" }
            (replies_list(&v.thread.replies))
            @if let Some(d) = v.purge_on { p.muted { "This conversation is deleted on " (d) ", with your receipt; your comment stays in the round's results." } }
            @if v.can_reply {
                h2 { "Answer" }
                @if let Some(found) = v.warning {
                    (notice("warn", html! {
                        p { strong { "Your answer may identify someone: " } (found.join(", ")) "." }
                        p { "Edit it, or tick \"Send anyway\" below. Candor cannot spot everything: a role only one person holds, or a detail only you know, identifies as surely as a name." }
                    }))
                }
                form.card method="post" action="/p/comments/reply" {
                    input type="hidden" name="receipt" value=(v.receipt);
                    div.field.invalid[!errors.is_empty()] {
                        label for="f-text" { "Your answer" }
                        p.hint #f-text-hint { "Your team lead sees it under your comment, with no name and no date. Avoid names and details only you would know." }
                        textarea #f-text name="text" required maxlength=(MAX_REPLY_CHARS) aria-describedby="f-text-hint" { (v.draft) }
                        @for e in errors { p.error { (e.message) } }
                    }
                    @if v.warning.is_some() {
                        div.field { label { input type="checkbox" name="confirm_identifying" value="1"; " Send anyway" } }
                    }
                    button type="submit" { "Send my answer" }
                }
            } @else {
                p.muted { "You can answer once the round has closed and its comments are shown to your team lead." }
            }
        },
    )
}

/// The conversations under a round's shown comments, each with a reply form for leaders.
pub fn staff_threads(round_id: &RoundId, threads: &[Thread], csrf: &str) -> Markup {
    html! {
        h2 #conversations { "Conversations on comments" }
        p.muted { "Reply to a comment and its writer can read your reply and answer with their receipt. Nobody, you included, learns who wrote it. Replies show the day they were written; the writer's answers show none." }
        @for t in threads {
            div.card id=(format!("c-{}", t.id)) {
                p { strong { "Comment: " } (lines(&t.text)) }
                (replies_list(&t.replies))
                form method="post" action=(format!("/rounds/{round_id}/comments/{}/replies", t.id)) {
                    (csrf_field(csrf))
                    div.field {
                        label for=(format!("r-{}", t.id)) { "Your reply" }
                        textarea id=(format!("r-{}", t.id)) name="text" required maxlength=(MAX_REPLY_CHARS) {}
                    }
                    button.small type="submit" { "Reply" }
                }
            }
        }
    }
}

/// A leader's reply that was refused: why, and the way back with their words kept.
pub fn staff_reply_refused(
    viewer: &Viewer,
    round_id: &RoundId,
    comment_id: &CommentId,
    text: &str,
    errors: &[FieldError],
    message: Option<&str>,
) -> Markup {
    layout(
        "Reply not sent",
        Some(viewer),
        html! {
            h1 { "Your reply was not sent" }
            @if let Some(m) = message { (notice("bad", html! { p { (m) } })) }
            (error_summary(errors))
            @if message.is_none() {
                form.card method="post" action=(format!("/rounds/{round_id}/comments/{comment_id}/replies")) {
                    (csrf_field(&viewer.csrf))
                    div.field.invalid[!errors.is_empty()] {
                        label for="f-text" { "Your reply" }
                        textarea #f-text name="text" required maxlength=(MAX_REPLY_CHARS) { (text) }
                        @for e in errors { p.error { (e.message) } }
                    }
                    button type="submit" { "Reply" }
                }
            }
            p { a href=(format!("/rounds/{round_id}")) { "Back to the round's results" } }
        },
    )
}
