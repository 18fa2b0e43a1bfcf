//! Staff sign-in pages: first-run setup, login, set-password, API tokens, staff admin, audit log.

use maud::{html, Markup};
use time::PrimitiveDateTime;

use super::model::{AuditEntry, Role, StaffEntry, TokenEntry};
use crate::error::FieldError;
use crate::html::{confirm_action, csrf_field, error_summary, layout, notice, Field, Viewer};

pub fn fmt_time(t: &PrimitiveDateTime) -> String {
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

pub fn setup(csrf: &str, email: &str, errors: &[FieldError]) -> Markup {
    layout(
        "Set up Candor",
        None,
        html! {
            h1 { "Set up Candor" }
            p { "Create the first administrator. The setup code was printed by the server when it started; it proves you run this instance." }
            (error_summary(errors))
            form.card method="post" action="/setup" {
                (csrf_field(csrf))
                (Field::new("code", "Setup code").autocomplete("off").hint("Shown in the server's output: \"setup code: ...\"").render(errors))
                (Field::new("email", "Your email").kind("email").value(email).autocomplete("username").render(errors))
                (Field::new("password", "Password").kind("password").autocomplete("new-password").hint("At least 12 characters. A passphrase of several words is best.").render(errors))
                (Field::new("confirm", "Password again").kind("password").autocomplete("new-password").render(errors))
                button type="submit" { "Create administrator" }
            }
        },
    )
}

/// `next`: the page that asked for sign-in, already checked by `web::guide`; "" for none.
pub fn login(csrf: &str, email: &str, next: &str, errors: &[FieldError]) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            h1 { "Staff sign in" }
            p.muted { "Members never sign in: they answer through their personal invite link." }
            (error_summary(errors))
            form.card method="post" action="/login" {
                (csrf_field(csrf))
                @if !next.is_empty() { input type="hidden" name="next" value=(next); }
                (Field::new("email", "Email").kind("email").value(email).autocomplete("username").render(errors))
                (Field::new("password", "Password").kind("password").autocomplete("current-password").render(errors))
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub fn set_password(csrf: &str, token: &str, email: &str, errors: &[FieldError]) -> Markup {
    layout(
        "Choose your password",
        None,
        html! {
            h1 { "Welcome to Candor" }
            p { "Choose a password for " strong { (email) } "." }
            (error_summary(errors))
            form.card method="post" action=(format!("/welcome/{token}")) {
                (csrf_field(csrf))
                (Field::new("password", "Password").kind("password").autocomplete("new-password").hint("At least 12 characters.").render(errors))
                (Field::new("confirm", "Password again").kind("password").autocomplete("new-password").render(errors))
                button type="submit" { "Set password and sign in" }
            }
        },
    )
}

pub fn account(
    viewer: &Viewer,
    tokens: &[TokenEntry],
    new_token: Option<&str>,
    errors: &[FieldError],
) -> Markup {
    layout(
        "API tokens",
        Some(viewer),
        html! {
            h1 { "API tokens for scripts" }
            p { "A token lets a script (a report, a chat bot, a backup job) do what you can do here, without your password. Revoke it when the script no longer needs it." }
            p { "Scripts call the JSON API with " code { "Authorization: Bearer <token>" } ". The API is described for people at " a href="/api/docs" { "/api/docs" } " and for programs at " a href="/api/v1/openapi.json" { "/api/v1/openapi.json" } " (OpenAPI 3.1)." }
            @if let Some(t) = new_token {
                (notice("good", html! {
                    p { "Your new token. Copy it now: it is shown only once." }
                    p { code.secret { (t) } }
                }))
            }
            (error_summary(errors))
            form.card method="post" action="/account/tokens" {
                (csrf_field(&viewer.csrf))
                (Field::new("label", "What the token is for").hint("For example: the weekly report script.").render(errors))
                button type="submit" { "Create token" }
            }
            @if tokens.is_empty() { p.muted { "You have no API tokens." } } @else {
                table {
                    caption { "Your tokens" }
                    thead { tr { th scope="col" { "Label" } th scope="col" { "Created" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody { @for t in tokens { tr {
                        td { (t.label) } td { (fmt_time(&t.created_at)) }
                        td { form method="post" action=(format!("/account/tokens/{}/revoke", t.id)) { (csrf_field(&viewer.csrf)) button.link type="submit" { "Revoke" } } }
                    } } }
                }
            }
        },
    )
}

/// What the staff page says about a set-password link just made.
pub enum NewLink<'a> {
    /// Email delivery is off: the admin hands (email, link) over themselves.
    Shown(&'a str, &'a str),
    /// Candor mailed it to this address; the admin never sees it.
    Mailed(&'a str),
}

pub fn staff_admin(
    viewer: &Viewer,
    staff: &[StaffEntry],
    new_link: Option<NewLink<'_>>,
    errors: &[FieldError],
    email: &str,
    mail_on: bool,
) -> Markup {
    layout(
        "Staff",
        Some(viewer),
        html! {
            h1 { "Staff" }
            @match new_link {
                Some(NewLink::Shown(who, link)) => (notice("good", html! {
                    p { "Send this one-time link to " strong { (who) } " so they can choose a password. It works once and expires in 7 days." }
                    p { code.secret { (link) } }
                })),
                Some(NewLink::Mailed(who)) => (notice("good", html! {
                    p { "A one-time link to choose a password was mailed to " strong { (who) } ". It works once and expires in 7 days; nobody else sees it." }
                })),
                None => {}
            }
            h2 { "Invite a staff member" }
            (error_summary(errors))
            form.card method="post" action="/admin/staff" {
                (csrf_field(&viewer.csrf))
                (Field::new("email", "Email").kind("email").value(email).render(errors))
                div.field {
                    label for="f-role" { "Role" }
                    select #f-role name="role" {
                        option value="leader" { "Leader: teams and pulse rounds" }
                        option value="facilitator" { "Facilitator: incident reviews" }
                        option value="admin" { "Admin: everything, including staff" }
                    }
                }
                @if mail_on {
                    p.hint { "Candor mails them a one-time link to choose their password; it is not shown here." }
                    button type="submit" { "Invite by email" }
                } @else {
                    button type="submit" { "Create invitation link" }
                }
            }
            h2 { "Everyone" }
            div.scroll tabindex="0" { table {
                thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Change" } } }
                tbody { @for s in staff { tr {
                    td { (s.email) }
                    td { (s.role) }
                    td { @if !s.active { "deactivated" } @else if s.invited { "invited" } @else { "active" } }
                    td.actions {
                        form.inline method="post" action=(format!("/admin/staff/{}/role", s.id)) {
                            (csrf_field(&viewer.csrf))
                            label.visually-hidden for=(format!("role-{}", s.id)) { "Role for " (s.email) }
                            select id=(format!("role-{}", s.id)) name="role" {
                                @for r in Role::ALL { option value=(r.as_str()) selected[r.as_str() == s.role] { (r.as_str()) } }
                            }
                            button.small type="submit" { "Set role" }
                        }
                        @if s.active {
                            (confirm_action(&viewer.csrf, &format!("/admin/staff/{}/deactivate", s.id), "Deactivate", "Yes, deactivate",
                                &format!("{} is signed out everywhere at once and their API tokens stop working. You can reactivate them later.", s.email)))
                        } @else {
                            form.inline method="post" action=(format!("/admin/staff/{}/activate", s.id)) {
                                (csrf_field(&viewer.csrf)) button.small type="submit" { "Reactivate" }
                            }
                        }
                        @if s.active && s.invited {
                            form.inline method="post" action=(format!("/admin/staff/{}/link", s.id)) {
                                (csrf_field(&viewer.csrf)) button.small type="submit" { @if mail_on { "Mail a new link" } @else { "New link" } }
                            }
                        }
                    }
                } } }
            } }
        },
    )
}

pub fn audit(viewer: &Viewer, rows: &[AuditEntry], page: i64, more: bool) -> Markup {
    layout(
        "Audit log",
        Some(viewer),
        html! {
            h1 { "Audit log" }
            p.muted { "Staff actions only. Members' answers and participation are never logged." }
            div.scroll tabindex="0" { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "Detail" } } }
                tbody { @for r in rows { tr {
                    td { (fmt_time(&r.at)) } td { (r.actor.as_deref().unwrap_or("system")) } td { code { (r.action) } } td { (r.detail) }
                } } }
            } }
            nav.pager aria-label="Pages" {
                @if page > 0 { a href=(format!("/admin/audit?page={}", page - 1)) { "Newer" } }
                @if more { a href=(format!("/admin/audit?page={}", page + 1)) { "Older" } }
            }
        },
    )
}
