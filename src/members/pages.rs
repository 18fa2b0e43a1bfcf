//! Member pages: the invite landing, the list of what is open, the transparency page.

use maud::{html, Markup};

use super::model::{OpenItem, ScopeKind, Transparency};
use crate::html::layout;
use crate::html::plain::key_details;

pub fn landing() -> Markup {
    layout(
        "Your invitation",
        None,
        html! {
            h1 { "Your invitation" }
            p { "Candor collects answers that cannot be traced back to you. Your personal link opens what you are invited to." }
            (invite_form())
        },
    )
}

/// A member's form address opened without its invite (back button, bookmark, reload): the
/// invite only ever travels in a form's body, so the way back is the link or the code.
pub fn reopen() -> Markup {
    layout(
        "Open your invitation again",
        None,
        html! {
            h1 { "Open your invitation again" }
            p { "This page opens only from your personal invite link, so that the link never shows in the address bar or your history. "
                "Open the link from your invitation again, or enter its code here." }
            (invite_form())
        },
    )
}

fn invite_form() -> Markup {
    html! {
        form #invite-form method="post" action="/p" {
            div.field {
                label for="f-invite" { "Your invite code" }
                p.hint #f-invite-hint { "It is the part of your link after the # sign. With JavaScript on, this fills itself in." }
                input #f-invite type="text" name="invite" autocomplete="off" spellcheck="false" required aria-describedby="f-invite-hint";
            }
            button type="submit" { "Continue" }
        }
        script type="module" src=(crate::assets::url("js/participate.js")) {}
    }
}

/// What the member is told about who has seen their link (G13), in plain words.
pub fn custody_notice(staff_seen: bool) -> Markup {
    html! {
        @if staff_seen {
            div.notice.warn role="note" {
                p { strong { "Staff have seen this link." } " Whoever holds it can take part in your place (though never read what you answered). "
                    "If that worries you, ask for a new link sent only to you: a new link stops this one from working." }
            }
        } @else {
            div.notice.good role="note" { p { strong { "Only you have this link." } " No staff member has seen it." } }
        }
    }
}

/// `follow`: what was done about what the member said (`followthrough`), after what is open.
pub fn open_list(items: &[OpenItem], invite: &str, staff_seen: bool, follow: Markup) -> Markup {
    layout(
        "What you are invited to",
        None,
        html! {
            h1 { "What you are invited to" }
            // Filled by bulletin.js when a token this browser kept was counted (G16).
            div #counted aria-live="polite" {}
            (custody_notice(staff_seen))
            @if items.is_empty() { p { "Nothing is open for you right now. Keep your link: it works for every future round." } }
            @for i in items {
                @let what = if i.kind == "round" { "Team pulse survey" } else { "Account before an incident review" };
                @if i.taken_part {
                    // Nothing to open: the form would only say so (issue 15's dead end).
                    div.card {
                        h2 { (i.title) }
                        p.muted { (what) }
                        @if i.kind == "round" {
                            p { strong { "You have taken part." } " Each person answers once. Results reach your team lead only after the round closes, and only if enough people answered." }
                            // Shown by bulletin.js only in a browser that kept this round's spent
                            // token (G17): anywhere else the form could only refuse.
                            form.change method="post" action=(format!("/p/rounds/{}", i.id)) hidden data-change=(i.id) {
                                input type="hidden" name="invite" value=(invite);
                                p.hint { "This browser kept your token. Only the last answer counts. " button.secondary.small type="submit" { "Change my answer" } }
                            }
                            // Shown by bulletin.js only in a browser that asked for its token and
                            // never sent the answer (a lost response, a closed tab; issue 15).
                            form.finish method="post" action=(format!("/p/rounds/{}", i.id)) hidden data-finish=(i.id) {
                                input type="hidden" name="invite" value=(invite);
                                p.hint { "This browser started your answer but it was never sent. " button.secondary.small type="submit" { "Finish my answer" } }
                            }
                        } @else {
                            p { strong { "You have written your account." } " To read the facilitator's questions or add to it, "
                                a href="/p/followups" { "come back with your receipt" } "." }
                            form method="post" action=(format!("/p/reviews/{}", i.id)) {
                                input type="hidden" name="invite" value=(invite);
                                p.hint { "Started in this browser but did not get a receipt? " button.secondary.small type="submit" { "Finish my account" } }
                            }
                        }
                    }
                } @else {
                    form.card method="post" action=(format!("/p/{}s/{}", i.kind, i.id)) {
                        input type="hidden" name="invite" value=(invite);
                        h2 { (i.title) }
                        p.muted { (what) }
                        button type="submit" { @if i.kind == "round" { "Answer" } @else { "Write my account" } }
                        (key_details(&i.fingerprint))
                    }
                }
            }
            (follow)
            p { a href="/p/followups" { "Come back with a receipt" } " to read and answer follow-up questions on an account you wrote." }
            script type="module" src=(crate::assets::url("js/bulletin.js")) {}
        },
    )
}

pub fn transparency(t: &Transparency) -> Markup {
    layout(
        "Transparency",
        None,
        html! {
            h1 { "Transparency" }
            p { "What this Candor instance promises, and the keys it signs with, so anyone can check them." }
            ul {
                li { "No figure is shown for fewer than " strong { (t.floor) } " answers on this instance (each team or review may set more)." }
                li { "Results appear only after a round closes; accounts only when enough have arrived or the deadline passed." }
                li { "Candor stores no IP address, browser, cookie or time with any answer, and forgets who took part when a round closes." }
                li { "Every key uses the public exponent 65537 and a 2048-bit modulus; your browser refuses any other." }
            }
            h2 { "Keys of what is open now" }
            p #open-counts { "Open now: " strong { (t.open_rounds) } " pulse " (if t.open_rounds == 1 { "round" } else { "rounds" })
                " and " strong { (t.open_reviews) } " " (if t.open_reviews == 1 { "review" } else { "reviews" }) "." }
            p { "Every member of a round sees the same key fingerprint on their page. If yours is not listed here, do not answer and tell someone. "
                "Your browser also checks it against the " a href="/api/v1/keys" { "key directory" } " before it sends anything." }
            @if t.keys.is_empty() { p.muted { "Nothing is open." } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th scope="col" { "Kind" } th scope="col" { "Key fingerprint (SHA-256 of the modulus)" } } }
                    tbody { @for k in &t.keys { tr { td { (k.kind) } td { code { (k.fingerprint) } } } } }
                } }
            }
            h2 #bulletins { "Bulletins of what has closed" }
            p { "When a round or review closes, Candor publishes the SHA-256 of every token it counted, sorted, and nothing else. "
                "A member whose browser kept its token finds it there on their next visit. A bulletin proves that a token was counted, not what it said." }
            @if t.closed.is_empty() { p.muted { "Nothing has closed yet." } } @else {
                div.scroll { table {
                    thead { tr {
                        th scope="col" { "Kind" } th scope="col" { "Closed on" } th scope="col" { "Tokens counted" }
                        th scope="col" { "Tokens issued but not used" } th scope="col" { "Bulletin" }
                    } }
                    tbody { @for e in &t.closed { tr {
                        td { (if e.kind == ScopeKind::Round { "pulse round" } else { "review" }) }
                        td { @if let Some(d) = e.closed_on { (d) } }
                        td { (e.counted) @if e.answered > e.counted { " (and " (e.answered - e.counted) " without a token, by the no-JavaScript route)" } }
                        td { (e.unused()) }
                        td { a href=(e.url()) { "bulletin" } }
                    } } }
                } }
            }
        },
    )
}
