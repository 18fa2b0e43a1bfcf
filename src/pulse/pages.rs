//! Pulse pages: the member's answer form and receipt of what was stored, a team's rounds and
//! trends, a round's results, the questionnaire editor, the trend export, and how the score
//! is computed.

use maud::{html, Markup};

use super::model::{safer_wording, Kind, Question, QuestionId, RoundStatus, SOURCE_CITATION};
use super::store::{RoundRow, TeamQuestionRow};
use crate::disclosure::{RoundResults, Shown, ShownItem};
use crate::error::FieldError;
use crate::html::chart::{bars, line_chart, small_multiples, Series};
use crate::html::csv::Csv;
use crate::html::{
    confirm_action, csrf_field, error_summary, layout, notice, plain, Field, Viewer,
};
use crate::teams::store::TeamRow;
use crate::tokens::crypto::KeyJson;

pub mod index;
mod picker;
mod shares;
mod verify;

pub fn fmt1(x: f64) -> String {
    format!("{x:.1}")
}
pub fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}

/// Labels of the ends of an agreement scale.
/// The words at a scale's ends, if `v` is one: read out with the number, shown once below
/// the row (issue 15: words inside the end boxes made them wide and the row wrap raggedly).
fn end_label(q: &Question, v: i32) -> Option<&'static str> {
    match q.kind {
        Kind::Scale if v == q.min => Some("Strongly disagree"),
        Kind::Scale if v == q.max => Some("Strongly agree"),
        Kind::Enps if v == 0 => Some("Not at all likely"),
        Kind::Enps if v == 10 => Some("Extremely likely"),
        _ => None,
    }
}

/// The sentence that tells a member, before they write, why their answer cannot be traced.
pub const UNLINKABLE: &str = "Your browser turns your invite into a one-time token that the server signs without seeing it, so Candor can check you are on the team but can never tell which answer is yours.";
pub const CONFIDENTIAL: &str = "This browser cannot run the privacy step (JavaScript is off, or the page is not on https), so the server checks your invite and stores your answer in one step and keeps no record of which answer is yours, but someone watching the live server while the round is open could connect the two.";

pub struct MemberRound<'a> {
    pub round: &'a RoundRow,
    pub questions: &'a [Question],
    pub key: &'a KeyJson,
    /// `data-names` for the name warning: normalised name parts only, the same for every
    /// member of the team (`members::model::name_parts`), never labels or emails (G14).
    pub names: &'a [String],
    /// This member has taken part already: the page says so and offers "change my answer",
    /// shown by the browser only if it kept the token (G17).
    pub already: bool,
    /// The team's actions after earlier rounds (`followthrough`), shown above the questions.
    pub before: Markup,
}

fn question_input(q: &Question, value: Option<&str>, errors: &[FieldError]) -> Markup {
    let field = format!("q_{}", q.id);
    let error = errors.iter().find(|e| e.field == field);
    html! {
        fieldset.invalid[error.is_some()] id=(format!("f-{field}")) {
            legend { (q.text) @if q.required { " " span.req { "(required)" } } @else { span.opt { " (optional)" } } }
            @match q.kind {
                Kind::Scale | Kind::Enps => {
                    // One row of equal boxes at every width: 5, 7 or 11 columns.
                    div class=(format!("scale points-{}", q.max - q.min + 1)) {
                        @for v in q.min..=q.max {
                            label {
                                input type="radio" name=(field) value=(v) required[q.required] checked[value == Some(v.to_string().as_str())];
                                span { (v) @if let Some(w) = end_label(q, v) { span.visually-hidden { " " (w) } } }
                            }
                        }
                    }
                    div.ends aria-hidden="true" {
                        span { (end_label(q, q.min).unwrap_or_default()) }
                        span { (end_label(q, q.max).unwrap_or_default()) }
                    }
                }
                Kind::Choice => {
                    @for o in &q.options {
                        label.choice { input type="radio" name=(field) value=(o) required[q.required] checked[value == Some(o.as_str())]; " " (o) }
                    }
                }
                Kind::Text => {
                    label.visually-hidden for=(format!("t-{field}")) { (q.text) }
                    textarea.free id=(format!("t-{field}")) name=(field) maxlength="2000" required[q.required] { (value.unwrap_or_default()) }
                }
            }
            @if let Some(e) = error { p.error { (e.message) } }
        }
    }
}

pub fn member_form(
    m: &MemberRound<'_>,
    invite: &str,
    values: &[(String, String)],
    errors: &[FieldError],
    warning: Option<&[String]>,
) -> Markup {
    let r = m.round;
    let value = |name: &str| {
        values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let names = serde_json::to_string(m.names).unwrap_or_else(|_| "[]".into());
    layout(
        &r.title,
        None,
        html! {
            @if m.already { (verify::already_intro(&r.title)) } @else {
                h1 { (r.title) }
                p { "A short, anonymous survey for your team. It takes about two minutes." }
            }
            (m.before)
            div #change hidden[m.already] {
            div #protection .notice.warn data-unlinkable=(UNLINKABLE) data-heading=(plain::UNTRACEABLE_HEADING) data-summary=(plain::HOW_SUMMARY) {
                p { strong { (plain::CONFIDENTIAL_HEADING) } }
                details { summary { (plain::HOW_SUMMARY) } p { (CONFIDENTIAL) } }
            }
            (plain::key_details(&m.key.fingerprint))
            @if let Some(found) = warning {
                (notice("warn", html! {
                    p { strong { "Your text may identify someone: " } (found.join(", ")) "." }
                    p { "Edit it, or tick \"Submit anyway\" below. Candor cannot spot everything: a role only one person holds, or a detail only you know, identifies as surely as a name." }
                }))
            }
            (error_summary(errors))
            form #answer method="post" action=(format!("/p/rounds/{}/fallback", r.id))
                data-key-n=(m.key.n) data-key-e=(m.key.e) data-fingerprint=(m.key.fingerprint)
                data-tokens-url=(format!("/api/v1/rounds/{}/tokens", r.id)) data-answers-url=(format!("/api/v1/rounds/{}/answers", r.id))
                data-scope=(r.id) data-title=(r.title) data-already=(if m.already { "1" } else { "" }) data-names=(names) {
                input type="hidden" name="invite" value=(invite);
                @for q in m.questions { (question_input(q, value(&format!("q_{}", q.id)), errors)) }
                div.field {
                    label for="f-comment" { "Anything else you want your team lead to know? " span.opt { "(optional)" } }
                    p.hint #f-comment-hint { "Shown to leaders only when enough people commented, in random order. Avoid names and details only you would know." }
                    textarea #f-comment name="comment" maxlength="2000" aria-describedby="f-comment-hint" { (value("comment").unwrap_or_default()) }
                    @if let Some(e) = errors.iter().find(|e| e.field == "comment") { p.error { (e.message) } }
                }
                @if warning.is_some() {
                    div.field { label { input type="checkbox" name="confirm_identifying" value="1"; " Submit anyway" } }
                }
                (verify::keep_field(m.already))
                div #warning-slot {}
                button type="submit" { "Submit my answers" }
            }
            }
            script type="module" src=(crate::assets::url("js/pulse.js")) {}
            // The modules pulse.js imports, asked for at once rather than one round trip each
            // after the one importing them is parsed (the form can be sent sooner on a slow link).
            @for dep in ["js/token.js", "js/kept.js", "js/blindrsa.js"] {
                link rel="modulepreload" href=(crate::assets::url(dep));
            }
        },
    )
}

/// What a member sees after submitting: exactly what was stored, nothing about them.
pub fn member_stored(
    title: &str,
    stored: &[(String, String)],
    comment: Option<&str>,
    route: &str,
    receipt: Option<&str>,
) -> Markup {
    layout(
        "Thank you",
        None,
        html! {
            h1 { "Thank you: your answers are in" }
            p { "This is exactly what Candor stored for " (title) ", and nothing else: no name, no time, no address." }
            dl.stored {
                @for (q, v) in stored { dt { (q) } dd { (v) } }
                @if let Some(c) = comment { dt { "Comment" } dd { (c) } }
            }
            p.muted { "Sent " (route) ". Results appear to your team lead only after the round closes, and only if enough people answered." }
            @if let Some(r) = receipt { (crate::threads::pages::receipt_notice(r)) }
        },
    )
}

pub fn describe_value(q: &Question, v: &serde_json::Value) -> String {
    match (q.kind, v) {
        (Kind::Scale | Kind::Enps, serde_json::Value::Number(n)) => {
            format!("{n} (from {} to {})", q.min, q.max)
        }
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// What a member sees when their invite has already been used for this round.
pub fn already_page(title: &str) -> Markup {
    layout("Already answered", None, verify::already_intro(title))
}

/// One row of a team's trend: a round and what may be shown of it.
pub struct TrendPoint {
    pub round: RoundRow,
    pub results: RoundResults,
}

fn round_label(r: &RoundRow) -> String {
    r.closed_on
        .map(|d| d.to_string())
        .unwrap_or_else(|| r.opens_at.date().to_string())
}

pub fn status_text(r: &RoundRow) -> &'static str {
    r.status().as_str()
}

/// The score chart and the item chart with their tables.
pub fn trend_section(team: &TeamRow, points: &[TrendPoint]) -> Markup {
    let closed: Vec<&TrendPoint> = points.iter().filter(|p| p.round.is_closed()).collect();
    let labels: Vec<String> = closed.iter().map(|p| round_label(&p.round)).collect();
    let score = Series {
        name: "Psychological safety",
        points: closed.iter().map(|p| p.results.score()).collect(),
    };
    let item_names: Vec<(QuestionId, String)> = closed
        .iter()
        .find_map(|p| match &p.results {
            RoundResults::Shown(s) => Some(
                s.items
                    .iter()
                    .filter(|i| i.kind == Kind::Scale)
                    .map(|i| (i.question_id.clone(), safer_wording(&i.text, i.reverse)))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let item_series: Vec<Series<'_>> = item_names
        .iter()
        .map(|(id, text)| Series {
            name: text,
            points: closed
                .iter()
                .map(|p| match &p.results {
                    RoundResults::Shown(s) => s
                        .items
                        .iter()
                        .find(|i| i.question_id == *id)
                        .and_then(|i| i.scored_mean),
                    _ => None,
                })
                .collect(),
        })
        .collect();
    html! {
        h2 { "Trend" }
        @if closed.is_empty() { p.muted { "No closed rounds yet." } } @else {
            div.scroll tabindex="0" role="region" aria-label="Chart of the score by round; scrolls sideways" { (line_chart(&format!("Psychological safety of {} by round (1 to 7)", team.name), &labels, &[score], 1.0, 7.0)) }
            p.muted { "A gap is a round with fewer answers than the threshold: nothing is shown for it." }
            div.scroll tabindex="0" role="region" aria-label="Table of the score by round; scrolls sideways" { table {
                caption { "Score by round" }
                thead { tr { th scope="col" { "Round" } th scope="col" { "Closed" } th.num scope="col" { "Answered" } th.num scope="col" { "Score" } th.num scope="col" { "Spread (SD)" } th.num scope="col" { "Agreement" } th.num scope="col" { "eNPS" } } }
                tbody { @for p in &closed { tr {
                    td { a href=(format!("/rounds/{}", p.round.id)) { (p.round.title) } }
                    td { (round_label(&p.round)) }
                    @match &p.results {
                        RoundResults::Shown(s) => {
                            td.num { (s.answered) " of " (s.invited) }
                            td.num { (s.score.map(fmt2).unwrap_or_else(|| "hidden".into())) }
                            td.num { (s.spread.map(fmt2).unwrap_or_default()) }
                            td.num { (s.agreement.map(fmt2).unwrap_or_default()) }
                            td.num { (s.enps.as_ref().map(|e| format!("{:+.0}", e.score)).unwrap_or_else(|| "hidden".into())) }
                        }
                        RoundResults::Suppressed { answered, invited, .. } => {
                            td.num { (answered) " of " (invited) } td.num colspan="4" { "hidden: fewer than " (p.round.threshold) " answered" }
                        }
                        RoundResults::Open { .. } => { td.num colspan="5" { "open" } }
                    }
                } } }
            } }
            @if !item_series.is_empty() {
                div.scroll tabindex="0" role="region" aria-label="Chart of each item by round; scrolls sideways" { (small_multiples("Each psychological-safety item by round, worded so higher is safer (1 to 7)", &labels, &item_series, 1.0, 7.0)) }
                div.scroll tabindex="0" role="region" aria-label="Table of items by round; scrolls sideways" { table.items-by-round {
                    caption { "Items by round (mean, worded so higher is safer)" }
                    thead { tr { th scope="col" { "Item" } @for l in &labels { th.num scope="col" { (l) } } } }
                    tbody { @for s in &item_series { tr {
                        th scope="row" { (s.name) }
                        @for v in &s.points { td.num { (v.map(fmt2).unwrap_or_else(|| "–".into())) } }
                    } } }
                } }
            }
            p { a href=(format!("/teams/{}/trend.csv", team.id)) download { "Download these aggregates (CSV)" } }
        }
    }
}

pub struct TeamPulse<'a> {
    pub team: &'a TeamRow,
    pub points: &'a [TrendPoint],
    pub questions: usize,
    pub picks: &'a [TeamQuestionRow],
    pub members: i64,
    /// Today's date, for the default title of a new round.
    pub today: time::Date,
}

pub fn team_pulse(
    viewer: &Viewer,
    v: &TeamPulse<'_>,
    errors: &[FieldError],
    form: &[(String, String)],
) -> Markup {
    let t = v.team;
    let value = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let default_title = format!("Pulse {}", v.today);
    let title = if value("title").is_empty() {
        default_title
    } else {
        value("title")
    };
    layout(
        &format!("{} pulse", t.name),
        Some(viewer),
        html! {
            p.crumbs { a href="/teams" { "Teams" } " / " a href=(format!("/teams/{}", t.id)) { (t.name) } " / " }
            h1 { (t.name) ": pulse" }
            p { (v.members) " people on the roster · threshold " (t.threshold) " · " (v.questions) " questions · "
                a href=(format!("/teams/{}/questions", t.id)) { "edit the questions" } " · " a href="/about/score" { "how the score works" } }
            h2 { "Rounds" }
            @if v.points.is_empty() { p.muted { "No rounds yet." } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th scope="col" { "Round" } th scope="col" { "Status" } th.num scope="col" { "Answered" } th.num scope="col" { "Score" } } }
                    tbody { @for p in v.points.iter().rev() { tr {
                        td { a href=(format!("/rounds/{}", p.round.id)) { (p.round.title) } }
                        td { (status_text(&p.round)) @if let Some(c) = p.round.closes_at { @if !p.round.is_closed() { " until " (c.date()) " " (format!("{:02}:{:02}", c.hour(), c.minute())) " UTC" } } }
                        td.num { @match &p.results { RoundResults::Open { answered, invited } => { (answered) " of " (invited) } RoundResults::Suppressed { answered, invited, .. } => { (answered) " of " (invited) } RoundResults::Shown(s) => { (s.answered) " of " (s.invited) } } }
                        td.num { (p.results.score().map(fmt2).unwrap_or_else(|| match p.results { RoundResults::Suppressed { .. } => "hidden".into(), _ => "–".into() })) }
                    } } }
                } }
            }
            h2 { "Open a round" }
            @if v.members < t.threshold.count() {
                (notice("warn", html! { p { "The roster has " (v.members) " people and the threshold is " (t.threshold) ": results will stay hidden unless more people join." } }))
            }
            (error_summary(errors))
            form.card method="post" action=(format!("/teams/{}/rounds", t.id)) {
                (csrf_field(&viewer.csrf))
                (Field::new("title", "Title").value(&title).render(errors))
                (Field::new("opens_at", "Opens (UTC)").kind("datetime-local").value(&value("opens_at")).optional().hint("Leave empty to open now.").render(errors))
                (Field::new("closes_at", "Closes (UTC)").kind("datetime-local").value(&value("closes_at")).optional().hint("Leave empty to close it yourself. Results appear only after the round closes.").render(errors))
                (picker::fieldset(v.picks, errors, form))
                p.muted { "Opening freezes the roster, the questions and the threshold for this round, and makes its key." }
                button type="submit" { "Open round" }
            }
            (trend_section(t, v.points))
        },
    )
}

fn dist_labels(i: &ShownItem) -> Vec<String> {
    match i.kind {
        Kind::Choice => i.options.clone(),
        _ => (i.min..=i.max).map(|v| v.to_string()).collect(),
    }
}

fn shown_results(s: &Shown) -> Markup {
    html! {
        div.stats {
            div.stat { "Psychological safety" b { (s.score.map(fmt2).unwrap_or_else(|| "hidden".into())) } span.muted { "1 to 7 · spread (SD) " (s.spread.map(fmt2).unwrap_or_else(|| "–".into())) } }
            div.stat { "Agreement rwg(j)" b { (s.agreement.map(fmt2).unwrap_or_else(|| "–".into())) } span.muted { "0 none to 1 full" } }
            div.stat { "eNPS" b { (s.enps.as_ref().map(|e| format!("{:+.0}", e.score)).unwrap_or_else(|| "hidden".into())) } span.muted { "-100 to +100" } }
            div.stat { "Participation" b { (s.answered) " of " (s.invited) } span.muted { (if s.invited > 0 { format!("{:.0}%", 100.0 * s.answered as f64 / s.invited as f64) } else { String::new() }) } }
        }
        p.muted { "Agreement says how much the team sees it the same way: above 0.7 the score speaks for the team; below 0.5 people differ a lot, so read the spread and the items before the mean. " a href="/about/score" { "More on the score." } }
        h2 { "Items" }
        @for i in &s.items {
            section.item {
                h3 { (i.text) @if i.reverse { " " span.muted { "(reverse-scored)" } } }
                @if i.suppressed { p.muted { "Hidden: fewer than " (s.threshold) " answered this question." } }
                @else if i.kind == Kind::Text {
                    @if let Some(t) = &i.texts { ul { @for x in t { li { (x) } } } }
                } @else {
                    @if let Some(m) = i.mean { p { "Mean " strong { (fmt2(m)) } " from " (i.n) " answers" @if i.reverse { " (" (fmt2(i.scored_mean.unwrap_or(m))) " after reverse scoring)" } } }
                    (shares::shares_line(i))
                    @if let Some(d) = &i.distribution { (bars(&format!("Answers to: {}", i.text), &dist_labels(i), d)) }
                }
            }
        }
        h2 { "Comments" }
        @match &s.comments {
            Some(c) => { p.muted { "In random order." } ul.comments { @for x in c { li { (x) } } } }
            None => { p.muted { (s.comment_count) " comments; they are shown only when at least " (s.threshold) " people comment." } }
        }
    }
}

pub fn round_page(
    viewer: &Viewer,
    team: &TeamRow,
    r: &RoundRow,
    results: &RoundResults,
    fingerprint: Option<&str>,
    mail_on: bool,
    actions: Markup,
) -> Markup {
    layout(
        &r.title,
        Some(viewer),
        html! {
            p.crumbs { a href="/teams" { "Teams" } " / " a href=(format!("/teams/{}", team.id)) { (team.name) } " / " a href=(format!("/teams/{}/rounds", team.id)) { "pulse" } " / " }
            h1 { (r.title) }
            p { "Status: " strong { (status_text(r)) } @if let Some(d) = r.closed_on { " on " (d) } " · threshold " (r.threshold)
                @if let Some(f) = fingerprint { " · key " code { (&f[..16.min(f.len())]) "…" } } }
            @match results {
                RoundResults::Open { invited, answered } => {
                    (notice("info", html! { p { (answered) " of " (invited) " have answered. Answers stay sealed until the round closes." } }))
                    @if r.status() == RoundStatus::Scheduled { p { "Opens " (r.opens_at.date()) " " (format!("{:02}:{:02}", r.opens_at.hour(), r.opens_at.minute())) " UTC." } }
                    (confirm_action(&viewer.csrf, &format!("/rounds/{}/close", r.id), "Close the round now", "Yes, close it now",
                        "Closing cannot be undone: nobody can answer any more, the round key is destroyed, who took part is forgotten, and the results appear if enough people answered."))
                    @if r.is_open() { (crate::delivery::pages::remind_panel(&r.id, &viewer.csrf, mail_on)) }
                }
                RoundResults::Suppressed { answered, invited, needed } => {
                    (notice("warn", html! { p { (answered) " of " (invited) " answered. Results are hidden: " (needed) " more answers were needed to reach the threshold of " (r.threshold) "." } }))
                }
                RoundResults::Shown(s) => {
                    (shown_results(s))
                    @if let Some(t) = &s.comment_threads { (crate::threads::pages::staff_threads(&r.id, t, &viewer.csrf)) }
                }
            }
            (actions)
            p { a href=(format!("/api/v1/rounds/{}/results", r.id)) { "These results as JSON" } }
        },
    )
}

/// The add-question form as typed, so a refused form comes back with its kind and text.
#[derive(Default, Clone, Debug)]
pub struct QuestionDraft {
    pub kind: String,
    pub text: String,
    pub options: String,
    pub required: bool,
}

pub fn questions_page(
    viewer: &Viewer,
    team: &TeamRow,
    qs: &[TeamQuestionRow],
    errors: &[FieldError],
    draft: &QuestionDraft,
) -> Markup {
    layout(
        &format!("{} questions", team.name),
        Some(viewer),
        html! {
            p.crumbs { a href="/teams" { "Teams" } " / " a href=(format!("/teams/{}", team.id)) { (team.name) } " / " a href=(format!("/teams/{}/rounds", team.id)) { "pulse" } " / " }
            h1 { "Questions for " (team.name) }
            p { "Changes apply to rounds opened from now on; a round keeps the wording it opened with." }
            (error_summary(errors))
            @for q in qs {
                form.card method="post" action=(format!("/teams/{}/questions/{}", team.id, q.id)) {
                    (csrf_field(&viewer.csrf))
                    label for=(format!("q-{}", q.id)) { (q.kind) @if q.reverse { " · reverse-scored" } @if let Some(b) = &q.builtin { " · built-in " (b) } }
                    textarea id=(format!("q-{}", q.id)) name="text" maxlength="300" { (q.text) }
                    @if Kind::parse(&q.kind) == Some(Kind::Choice) { p.muted { "Options: " (q.options.replace('\n', " · ")) } }
                    @if q.builtin.as_deref().is_some_and(|b| b.starts_with("ps")) { (picker::validated_warning(&q.id)) }
                    button.small type="submit" name="action" value="save" { "Save wording" }
                    " "
                    @if q.builtin.as_deref().is_none_or(|b| b == "enps") { button.small.danger type="submit" name="action" value="remove" { "Remove" } }
                }
            }
            h2 { "Add a question" }
            form.card method="post" action=(format!("/teams/{}/questions", team.id)) {
                (csrf_field(&viewer.csrf))
                div.field {
                    label for="f-kind" { "Kind" }
                    select #f-kind name="kind" {
                        @for (value, label) in [("scale7", "Agreement, 7 points"), ("scale5", "Agreement, 5 points"), ("choice", "Single choice"), ("text", "Free text")] {
                            option value=(value) selected[draft.kind == value] { (label) }
                        }
                    }
                }
                (Field::new("text", "Question").value(&draft.text).render(errors))
                // Not "(optional)": a single-choice question needs them, the other kinds ignore them.
                (Field::new("options", "Options, for single choice").kind("textarea").value(&draft.options).optional_unmarked()
                    .hint("Needed for single choice: 2 to 12 different options, one a line. Other kinds do not use them.").render(errors))
                div.field { label { input type="checkbox" name="required" value="1" checked[draft.required]; " Required" } }
                button type="submit" { "Add question" }
            }
        },
    )
}

pub fn about_score(viewer: Option<&Viewer>) -> Markup {
    layout(
        "How the score works",
        viewer,
        html! {
            h1 { "How the psychological-safety score works" }
            p { "Each round asks seven statements about the team, answered from 1 (strongly disagree) to 7 (strongly agree). Three are worded negatively (a mistake held against you, people pushed aside for being different, help being hard to ask for); their answers are flipped (8 minus the answer) so that higher always means safer." }
            p { "The score is the mean, over everyone who answered, of each person's own mean across the seven items. The spread is the standard deviation of those personal means." }
            p { "Agreement, rwg(j), compares how much answers vary within the team with how much they would vary if people answered at random: 1 means everyone answered alike, 0 means no more agreement than chance. A score with low agreement describes nobody in particular; read the items and the spread." }
            p { "eNPS asks how likely people are to recommend the team as a place to work (0 to 10): the percentage answering 9 or 10 minus the percentage answering 0 to 6." }
            p { "No figure is shown for fewer answers than the team's threshold, and nothing is shown before a round closes." }
            h2 { "Source" }
            p { "The seven items are written in our own words, each faithful to one item of the team psychological-safety scale in " cite { (SOURCE_CITATION) } " Agreement follows James, Demaree and Wolf (1984), Journal of Applied Psychology 69(1)." }
        },
    )
}

/// The trend's aggregates as CSV: exactly the figures the page shows, never raw answers.
pub fn trend_csv(points: &[TrendPoint]) -> Result<String, crate::html::csv::Error> {
    let mut csv = Csv::new(&[
        "round_id",
        "title",
        "closed_on",
        "status",
        "invited",
        "answered",
        "score",
        "spread",
        "agreement",
        "enps",
    ]);
    let f = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    for p in points.iter().filter(|p| p.round.is_closed()) {
        let r = &p.round;
        let (invited, answered, score, spread, agreement, enps) = match &p.results {
            RoundResults::Shown(s) => (
                s.invited,
                s.answered,
                s.score,
                s.spread,
                s.agreement,
                s.enps.as_ref().map(|e| e.score),
            ),
            RoundResults::Suppressed {
                invited, answered, ..
            } => (*invited, *answered, None, None, None, None),
            RoundResults::Open { invited, answered } => {
                (*invited, *answered, None, None, None, None)
            }
        };
        let cells = [
            r.id.as_str(),
            &r.title,
            &r.closed_on.map(|d| d.to_string()).unwrap_or_default(),
            p.results.status(),
            &invited.to_string(),
            &answered.to_string(),
            &f(score),
            &f(spread),
            &f(agreement),
            &f(enps),
        ];
        csv.row_keeping(cells, &[0]);
    }
    csv.finish()
}
