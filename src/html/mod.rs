//! The page layout and the small widgets every page shares. Pure functions: data in, markup out.

pub mod chart;
pub mod csv;
pub mod plain;

use actix_web::http::StatusCode;
use maud::{html, Markup, DOCTYPE};

use crate::field::FieldError;

/// Who is looking at a staff page, for the navigation bar and the logout form.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    pub email: String,
    pub is_admin: bool,
    pub csrf: String,
    /// Leaders and admins: teams, pulse rounds and metrics.
    pub can_lead: bool,
    /// Facilitators and admins: reviews.
    pub can_facilitate: bool,
}

impl Viewer {
    /// Where this role starts: the first page its navigation offers.
    pub fn home(&self) -> &'static str {
        if self.can_lead {
            "/teams"
        } else {
            "/reviews"
        }
    }
}

/// The one layout: every page goes through it.
pub fn layout(title: &str, viewer: Option<&Viewer>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · Candor" }
                link rel="stylesheet" href=(crate::assets::url("style.css"));
                // No favicon request: nothing to fetch, nothing to log.
                link rel="icon" href="data:,";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    // Without a session (a member's page, or signing in) the brand leads to the
                    // member's entry, inside the anonymous scope: "/" is a staff route that
                    // is logged and redirects to the login page.
                    a.brand href=(if viewer.is_some() { "/" } else { "/p" }) { "Candor" }
                    @if let Some(v) = viewer {
                        // Each role sees only the pages it can open (issue 15: a facilitator
                        // was offered Teams, Pulse and Metrics, each "Forbidden").
                        nav aria-label="Main" {
                            @if v.can_lead {
                                a href="/teams" { "Teams" }
                                a href="/rounds" { "Pulse" }
                            }
                            @if v.can_facilitate { a href="/reviews" { "Reviews" } }
                            @if v.can_lead { a href="/metrics" { "Metrics" } }
                            @if v.is_admin {
                                a href="/admin/staff" { "Staff" }
                                a href="/admin/audit" { "Audit log" }
                                a href="/admin/instance" { "Instance" }
                            }
                            a href="/account" title="Tokens that let your scripts use the JSON API as you" { "API tokens for scripts" }
                        }
                        form.logout method="post" action="/logout" {
                            (csrf_field(&v.csrf))
                            span.who { (v.email) }
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (body) }
                footer.bottom {
                    a href="/transparency" { "Transparency" }
                    " · Candor keeps no record of who answered what."
                }
            }
        }
    }
}

pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="_csrf" value=(token); }
}

/// A labelled input with its error message next to it, linked by `aria-describedby`.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
    /// Not required, and not labelled "(optional)" either: needed in some cases only, which
    /// the hint says.
    pub unmarked: bool,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            value: "",
            hint: None,
            required: true,
            autocomplete: None,
            unmarked: false,
        }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn value(mut self, value: &'a str) -> Self {
        self.value = value;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    pub fn optional_unmarked(mut self) -> Self {
        self.required = false;
        self.unmarked = true;
        self
    }
    pub fn autocomplete(mut self, a: &'a str) -> Self {
        self.autocomplete = Some(a);
        self
    }

    pub fn render(&self, errors: &[FieldError]) -> Markup {
        let error = errors.iter().find(|e| e.field == self.name);
        let id = format!("f-{}", self.name);
        let described = describedby(self.name, self.hint.is_some(), error.is_some());
        html! {
            div.field.invalid[error.is_some()] {
                label for=(id) { (self.label) @if !self.required && !self.unmarked { span.opt { " (optional)" } } }
                @if let Some(h) = self.hint { p.hint id=(format!("{id}-hint")) { (h) } }
                @if self.kind == "textarea" {
                    textarea id=(id) name=(self.name) required[self.required]
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[described.as_deref()] { (self.value) }
                } @else {
                    input id=(id) name=(self.name) type=(self.kind) value=(self.value) required[self.required]
                        autocomplete=[self.autocomplete] aria-invalid=[error.map(|_| "true")]
                        aria-describedby=[described.as_deref()];
                }
                @if let Some(e) = error { p.error id=(format!("{id}-error")) { (e.message) } }
            }
        }
    }
}

fn describedby(name: &str, hint: bool, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("f-{name}-hint"));
    }
    if error {
        ids.push(format!("f-{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A summary of form errors at the top of a form, announced to screen readers.
pub fn error_summary(errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.notice.bad role="alert" {
                p { "Please fix the following:" }
                ul { @for e in errors { li { a href=(format!("#f-{}", e.field)) { (e.message) } } } }
            }
        }
    }
}

/// An irreversible action behind a second click that first says what will happen (issue
/// 15). No script: the first click opens a `details`, the form inside does the action.
/// `form_open`/`action`: the form's target; `label`: the first button; `confirm`: the one
/// that acts; `explain`: what happens, in plain words.
pub fn confirm_action(
    csrf: &str,
    action: &str,
    label: &str,
    confirm: &str,
    explain: &str,
) -> Markup {
    html! {
        details.confirm {
            summary { (label) }
            div.confirm-body role="group" aria-label=(label) {
                p { (explain) }
                form.inline method="post" action=(action) {
                    (csrf_field(csrf))
                    button.small.danger type="submit" { (confirm) }
                }
            }
        }
    }
}

pub fn notice(kind: &str, text: Markup) -> Markup {
    html! { div class=(format!("notice {kind}")) role="status" { (text) } }
}

/// The page for 4xx and 5xx errors of staff and member pages.
pub fn error_page(status: StatusCode, detail: &str) -> Markup {
    error_page_for(status, detail, None)
}

/// The error page for a signed-in staff member keeps their navigation and says what to do
/// next (issue 15: error pages were dead ends). Member pages never get a viewer.
pub fn error_page_for(status: StatusCode, detail: &str, viewer: Option<&Viewer>) -> Markup {
    error_page_with(status, detail, viewer, false)
}

/// The error page of a member's page (under `/p`): its way back leads to the member's entry,
/// never to a staff page a member cannot open (issue 15).
pub fn member_error_page(status: StatusCode, detail: &str) -> Markup {
    error_page_with(status, detail, None, true)
}

fn error_page_with(
    status: StatusCode,
    detail: &str,
    viewer: Option<&Viewer>,
    member: bool,
) -> Markup {
    let title = match status.as_u16() {
        404 => "Not found",
        403 => "Not open to your role",
        429 => "Too many attempts",
        500 => "Server error",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let (home, home_label) = match viewer {
        Some(v) if v.can_lead => (v.home(), "Go to your teams"),
        Some(v) => (v.home(), "Go to your reviews"),
        None if member => ("/p", "Back to your invite page"),
        None => ("/", "Back to the start"),
    };
    layout(
        title,
        viewer,
        html! {
            h1 { (title) }
            p { (detail) }
            @match status.as_u16() {
                403 if viewer.is_some() => p { "Your role cannot open this page. An admin can change roles on the Staff page; the navigation above lists what you can open." },
                404 if member => p { "The link may be old or mistyped. Open the personal link you were sent again, or paste it on your invite page." },
                404 => p { "The link may be old or mistyped, or what it pointed to was deleted." },
                429 => p { "Wait a moment and try again." },
                500 | 503 => p { "Nothing you did caused this. Try again in a moment; if it keeps happening, tell whoever runs Candor." },
                _ => {},
            }
            p { a href=(home) { (home_label) } }
        },
    )
}
