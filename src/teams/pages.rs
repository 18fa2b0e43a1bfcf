//! Team pages: the list, the new-team form and a team's roster with its invite links.

use maud::{html, Markup};

use super::model::{TeamSummary, TeamView};
use crate::error::FieldError;
use crate::html::{confirm_action, csrf_field, error_summary, layout, notice, Field, Viewer};

pub fn list(
    viewer: &Viewer,
    teams: &[(TeamSummary, i64)],
    form: &NewTeamForm,
    errors: &[FieldError],
    floor: u16,
    checklist: Markup,
) -> Markup {
    layout(
        "Teams",
        Some(viewer),
        html! {
            h1 { "Teams" }
            (checklist)
            @if teams.is_empty() { p.muted { "No teams yet. Create the first one below." } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th scope="col" { "Team" } th scope="col" { "People" } th scope="col" { "Threshold" } } }
                    tbody { @for (t, n) in teams { tr {
                        td { a href=(format!("/teams/{}", t.id)) { (t.name) } } td { (n) } td { (t.threshold) }
                    } } }
                } }
            }
            h2 #new { "New team" }
            (error_summary(errors))
            form.card method="post" action="/teams" {
                (csrf_field(&viewer.csrf))
                (Field::new("name", "Team name").value(&form.name).render(errors))
                (Field::new("threshold", "Anonymity threshold").kind("number").value(&form.threshold)
                    .hint(&format!("No result is shown for fewer answers than this. At least {floor}; 5 is a good default.")).render(errors))
                (Field::new("roster", "Roster").kind("textarea").value(&form.roster)
                    .hint("One person a line: a name or an email. Each gets a personal invite link.").render(errors))
                button type="submit" { "Create team" }
            }
        },
    )
}

#[derive(Default, serde::Deserialize)]
pub struct NewTeamForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub threshold: String,
    #[serde(default)]
    pub roster: String,
}

pub fn detail(
    viewer: &Viewer,
    v: &TeamView,
    errors: &[FieldError],
    message: Option<&str>,
    floor: u16,
) -> Markup {
    let t = &v.team;
    let n = v.members.len();
    layout(
        &t.name,
        Some(viewer),
        html! {
            p.crumbs { a href="/teams" { "Teams" } " / " }
            h1 { (t.name) }
            @if let Some(m) = message { (notice("good", html! { p { (m) } })) }
            @if (n as i64) < t.threshold.count() {
                (notice("warn", html! { p { "This team has " (n) " people and a threshold of " (t.threshold) ": its results will stay hidden until at least " (t.threshold) " answer." } }))
            }
            p { "Leaders: " (v.leaders.join(", ")) }
            @if v.rounds == 0 && !v.members.is_empty() {
                (notice("", html! { p { strong { "Next: " } a href=(format!("/teams/{}/rounds", t.id)) { "open the first pulse round" }
                    ". Give each person their link below (or send it by email), so they can answer." } }))
            }
            p { a href=(format!("/teams/{}/rounds", t.id)) { "Pulse rounds and trends" } }
            (error_summary(errors))
            h2 { "Invite links" }
            p { "Each person needs their own link. It lets them answer each round once; it does not tie their answers to them." }
            p.hint { "Links stay hidden here until you ask to see them. A person whose link staff have seen is told so on their own page, because whoever holds a link could answer in their place. Give each link only to its owner." }
            (crate::delivery::pages::send_invites_panel(&t.id, &viewer.csrf, v.mail_on))
            @if v.members.is_empty() { p.muted { "Nobody is on the roster yet." } } @else {
                form.inline method="post" action=(format!("/teams/{}/invites/show", t.id)) {
                    (csrf_field(&viewer.csrf)) button.small type="submit" { "Show all links" }
                }
                " "
                a href=(format!("/teams/{}/invites.csv", t.id)) download { "Download all links (CSV)" }
                div.scroll tabindex="0" { table.roster {
                    thead { tr { th scope="col" { "Person" } th scope="col" { "Invite link" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody { @for m in &v.members { tr {
                        td { (m.label) }
                        td {
                            @if let Some(url) = &m.url {
                                input.copy type="text" readonly value=(url) aria-label=(format!("Invite link for {}", m.label));
                            } @else if m.mailed {
                                span.muted { "Sent by email · only they have it" }
                            } @else if m.staff_seen {
                                span.muted { "Hidden · staff have seen it" }
                            } @else {
                                span.muted { "Hidden · not yet seen by staff" }
                            }
                        }
                        td.actions {
                            @if m.url.is_none() && !m.mailed {
                                form.inline method="post" action=(format!("/teams/{}/invites/show", t.id)) {
                                    (csrf_field(&viewer.csrf))
                                    input type="hidden" name="member_id" value=(m.id);
                                    button.small type="submit" aria-label=(format!("Show link of {}", m.label)) { "Show link" }
                                }
                            }
                            (confirm_action(&viewer.csrf, &format!("/teams/{}/members/{}/regenerate", t.id, m.id), "New link", "Make a new link",
                                &format!("{}'s current link stops working at once, for this round and every later one; they need the new one to take part.", m.label)))
                            (confirm_action(&viewer.csrf, &format!("/teams/{}/members/{}/remove", t.id, m.id), "Remove", "Remove from the roster",
                                &format!("{} leaves the roster of future rounds and their link stops working; rounds already open keep their roster.", m.label)))
                        }
                    } } }
                } }
            }
            h2 { "Add people" }
            form.card method="post" action=(format!("/teams/{}/members", t.id)) {
                (csrf_field(&viewer.csrf))
                (Field::new("roster", "People to add").kind("textarea").hint("One a line: a name or an email.").render(errors))
                button type="submit" { "Add to roster" }
            }
            h2 { "Settings" }
            form.card method="post" action=(format!("/teams/{}/settings", t.id)) {
                (csrf_field(&viewer.csrf))
                (Field::new("name", "Team name").value(&t.name).render(errors))
                (Field::new("threshold", "Anonymity threshold").kind("number").value(&t.threshold.to_string())
                    .hint(&format!("At least {floor}. Rounds already open keep the threshold they opened with.")).render(errors))
                div.field {
                    label.check {
                        input type="checkbox" name="reviews_allowed" value="on" checked[t.reviews_allowed] aria-describedby="f-reviews_allowed-hint";
                        " Allow facilitators to invite this team to incident reviews"
                    }
                    p.hint #f-reviews_allowed-hint { "A review gives each person a link of its own; it never uses or shows the team links above. Admins can always invite the team." }
                }
                button type="submit" { "Save" }
            }
            (crate::delivery::pages::team_webhook_section(&t.id, &viewer.csrf, v.webhook.as_deref()))
            h2 { "Leaders" }
            form.card method="post" action=(format!("/teams/{}/leaders", t.id)) {
                (csrf_field(&viewer.csrf))
                (Field::new("email", "Add a leader by email").kind("email").hint("They must already have a staff account.").render(errors))
                button type="submit" { "Add leader" }
            }
        },
    )
}
