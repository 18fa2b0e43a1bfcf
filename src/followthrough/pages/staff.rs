//! The leader's actions on a round's results, and the facilitator's action items on a
//! review: lists, the form to record one, and a small form per entry to move its status.

use maud::{html, Markup};

use super::{day, status_tag};
use crate::error::FieldError;
use crate::followthrough::actions::{ReviewItems, RoundActions};
use crate::followthrough::model::{ActionView, ItemView, Status, MAX_TEXT, MAX_THEME};
use crate::html::{csrf_field, error_summary, layout, Field, Viewer};

/// What the form was sent with, to fill it again after an error.
pub type Echo = [(String, String)];

fn echoed<'a>(echo: &'a Echo, name: &str) -> &'a str {
    echo.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The owner picker: active staff only, so an owner can never be a member.
fn owner_select(id: &str, staff: &[String], chosen: &str, errors: &[FieldError]) -> Markup {
    let error = errors.iter().find(|e| e.field == "owner");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { "Owner" span.opt { " (optional)" } }
            select id=(id) name="owner" aria-invalid=[error.map(|_| "true")] {
                option value="" { "Nobody yet" }
                @for s in staff { option value=(s) selected[s == chosen] { (s) } }
            }
            @if let Some(e) = error { p.error { (e.message) } }
        }
    }
}

fn status_form(csrf: &str, action: &str, id: &str, now: Status) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(csrf))
            label.visually-hidden for=(format!("st-{id}")) { "Status" }
            select id=(format!("st-{id}")) name="status" {
                @for s in Status::ALL { option value=(s.as_str()) selected[s == now] { (s.label()) } }
            }
            button.small.secondary type="submit" { "Update" }
        }
    }
}

fn action_entry(a: &ActionView, csrf: &str, can_change: bool) -> Markup {
    html! {
        li.card {
            p { strong { (a.text) } " " (status_tag(a.status)) }
            @if let Some(q) = &a.question { p.muted { "Answers: " (q) } }
            @if let Some(t) = &a.theme { p.muted { "Comment theme: " (t) } }
            p.muted {
                "Owner: " (a.owner.as_deref().unwrap_or("nobody yet"))
                @if let Some(d) = a.due_on { " · Due " (day(d)) }
                @if let Some(d) = a.done_on { " · Done " (day(d)) }
            }
            @if can_change { (status_form(csrf, &format!("/actions/{}", a.id), a.id.as_str(), a.status)) }
        }
    }
}

/// The actions section of a round's results page: what was committed to, and (once the
/// round has closed) the form to commit to more.
pub fn round_section(v: &Viewer, r: &RoundActions, errors: &[FieldError], echo: &Echo) -> Markup {
    let closed = r.round.is_closed();
    let chosen_q = echoed(echo, "question_id");
    let q_error = errors.iter().find(|e| e.field == "question_id");
    html! {
        section #actions aria-labelledby="actions-h" {
            h2 #actions-h { "Actions: you said, we did" }
            p.muted { "What you commit to after these results. Your team sees each action and its status on their Candor page and at the top of the next round's form, with dates only." }
            @if r.actions.is_empty() { p.muted { "No actions recorded yet." } } @else {
                ul.plain { @for a in &r.actions { (action_entry(a, &v.csrf, true)) } }
            }
            @if !closed {
                p { "Actions are recorded on the results, once the round has closed." }
            } @else {
                form.card method="post" action=(format!("/rounds/{}/actions", r.round.id)) {
                    h3 { "Record an action" }
                    (csrf_field(&v.csrf))
                    (error_summary(errors))
                    (Field::new("text", "What will be done").kind("textarea").value(echoed(echo, "text"))
                        .hint("One commitment, in words your team will recognise. Do not quote a comment: it may identify its writer.").render(errors))
                    div.field.invalid[q_error.is_some()] {
                        label for="f-question_id" { "The question it answers" span.opt { " (optional)" } }
                        select #f-question_id name="question_id" {
                            option value="" { "None: a comment theme or the round as a whole" }
                            @for q in &r.questions { option value=(q.id) selected[q.id.as_str() == chosen_q] { (q.text) } }
                        }
                        @if let Some(e) = q_error { p.error { (e.message) } }
                    }
                    (Field::new("theme", "Comment theme it answers").value(echoed(echo, "theme")).optional()
                        .hint(THEME_HINT).render(errors))
                    (owner_select("f-owner", &r.staff, echoed(echo, "owner"), errors))
                    (Field::new("due_on", "Due date").kind("date").value(echoed(echo, "due_on")).optional().render(errors))
                    p.hint { "At most " (MAX_TEXT) " characters." }
                    button type="submit" { "Record action" }
                }
            }
        }
    }
}

const THEME_HINT: &str = "A few words, such as \"on-call handovers\".";

/// The round's actions on a page of their own (after a refused form, or from the API's
/// links), with the way back to the results.
pub fn round_actions_page(
    v: &Viewer,
    r: &RoundActions,
    errors: &[FieldError],
    echo: &Echo,
) -> Markup {
    layout(
        &format!("Actions: {}", r.round.title),
        Some(v),
        html! {
            p.crumbs { a href=(format!("/rounds/{}", r.round.id)) { (r.round.title) } " / " }
            h1 { "Actions after " (r.round.title) }
            p.muted { (r.team.name) }
            (round_section(v, r, errors, echo))
            p.hint { "Themes are limited to " (MAX_THEME) " characters." }
        },
    )
}

fn item_entry(i: &ItemView, csrf: &str) -> Markup {
    html! {
        li.card {
            p { strong { (i.text) } " " (status_tag(i.status)) }
            p.muted {
                "Owner: " (i.owner.as_deref().unwrap_or("nobody yet"))
                @if let Some(d) = i.due_on { " · Due " (day(d)) }
            }
            @if !i.links.is_empty() {
                p.muted { "Raised by: " (i.links.iter().map(|l| l.label()).collect::<Vec<_>>().join("; ")) }
            }
            (status_form(csrf, &format!("/review-items/{}", i.id), i.id.as_str(), i.status))
        }
    }
}

/// A review's action items: the list, the exports and the form to record one, linked to the
/// released accounts (and their timeline entries) by the numbers the review page shows.
pub fn review_items_page(
    v: &Viewer,
    r: &ReviewItems,
    errors: &[FieldError],
    echo: &Echo,
) -> Markup {
    let rv = &r.review;
    let chosen: Vec<&str> = echo
        .iter()
        .filter(|(k, _)| k == "links")
        .map(|(_, v)| v.as_str())
        .collect();
    let l_error = errors.iter().find(|e| e.field == "links");
    layout(
        &format!("Action items: {}", rv.title),
        Some(v),
        html! {
            p.crumbs { a href="/reviews" { "Reviews" } " / " a href=(format!("/reviews/{}", rv.id)) { (rv.title) } " / " }
            h1 { "Action items from " (rv.title) }
            p.muted { "What the review will change. The people who wrote accounts see these items, their owner, due date and status, but not which accounts raised them." }
            @if r.items.is_empty() { p.muted { "No action items yet." } } @else {
                ul.plain { @for i in &r.items { (item_entry(i, &v.csrf)) } }
                p { a href=(format!("/reviews/{}/items.csv", rv.id)) download { "Download as CSV" } " · "
                    a href=(format!("/reviews/{}/items.md", rv.id)) download { "Download as a Markdown checklist" } }
            }
            form.card method="post" action=(format!("/reviews/{}/items", rv.id)) {
                h2 { "Record an action item" }
                (csrf_field(&v.csrf))
                (error_summary(errors))
                (Field::new("text", "What will be done").kind("textarea").value(echoed(echo, "text")).render(errors))
                (owner_select("f-owner", &r.staff, echoed(echo, "owner"), errors))
                (Field::new("due_on", "Due date").kind("date").value(echoed(echo, "due_on")).optional().render(errors))
                fieldset #f-links .invalid[l_error.is_some()] {
                    legend { "Raised by" span.opt { " (optional)" } }
                    @if r.linkable.is_empty() {
                        p.muted { "No account is shown yet, so there is nothing to link: accounts appear only once enough have arrived." }
                    }
                    @for a in &r.linkable {
                        @let key = a.account.to_string();
                        label { input type="checkbox" name="links" value=(key) checked[chosen.contains(&key.as_str())]; " Account " (a.account) }
                        @for (n, e) in a.entries.iter().enumerate() {
                            @let key = format!("{}.{}", a.account, n + 1);
                            label.sub { input type="checkbox" name="links" value=(key) checked[chosen.contains(&key.as_str())];
                                " Account " (a.account) ", timeline entry " (n + 1) ": " span.muted { (e) } }
                        }
                    }
                    @if let Some(e) = l_error { p.error { (e.message) } }
                }
                button type="submit" { "Record action item" }
            }
        },
    )
}
