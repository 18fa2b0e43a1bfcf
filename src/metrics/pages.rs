//! Culture-metric pages: the heat map (SVG with a table of the same figures), trends across
//! teams and groups, bad news shared, and the admin's group editor.

use maud::{html, Markup};

use super::model::{Figures, View};
use super::report::{BadNews, GroupView, HeatRow, TrendLine};
use crate::html::chart::{line_chart, Series};
use crate::html::{csrf_field, error_summary, layout, Field, Viewer};
use crate::pulse::pages::{fmt1, fmt2};

/// Short names of the seven items for column heads; the full wording is on each round.
pub const ITEM_LABELS: [(&str, &str); 7] = [
    ("ps1", "Mistakes not held against (R)"),
    ("ps2", "Can raise problems"),
    ("ps3", "Not pushed aside (R)"),
    ("ps4", "Safe to take risks"),
    ("ps5", "Easy to ask for help (R)"),
    ("ps6", "No one undermines"),
    ("ps7", "Skills valued"),
];

/// One row of the heat map: a team or a group in the chosen view.
pub struct MetricsPage<'a> {
    pub view: View,
    pub views: &'a [View],
    pub rows: &'a [HeatRow],
    pub quarters: &'a [View],
    pub trends: &'a [TrendLine],
    pub bad_news: &'a BadNews,
}

/// How many colour bands the heat map uses: few enough that a reader tells them apart and
/// the legend names each, where a smooth gradient made 4.9 and 5.1 look alike and different.
const BANDS: usize = 5;

/// The band a value on the colour scale (0 to 1) falls in.
fn band(t: f64) -> usize {
    ((t.clamp(0.0, 1.0) * BANDS as f64).floor() as usize).min(BANDS - 1)
}

/// Light colours so black text stays readable (contrast above 7:1 on every one): orange for
/// low, near-white for the middle, blue for high; one colour per band.
fn colour(t: f64) -> String {
    let t = (band(t) as f64 + 0.5) / BANDS as f64;
    let (lo, mid, hi) = ((0xf4, 0xb6, 0x8c), (0xf5, 0xf5, 0xf2), (0x9c, 0xc8, 0xe6));
    let mix = |a: (i32, i32, i32), b: (i32, i32, i32), u: f64| {
        let f = |x: i32, y: i32| (f64::from(x) + (f64::from(y) - f64::from(x)) * u).round() as i32;
        (f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
    };
    let c = if t < 0.5 {
        mix(lo, mid, t * 2.0)
    } else {
        mix(mid, hi, (t - 0.5) * 2.0)
    };
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Columns of the heat map: label, and how to read a value and place it on the colour scale.
/// Reads one column's value from a cell's figures: the text to print and where it falls on
/// the colour scale (0 to 1).
type Reader = Box<dyn Fn(&Figures) -> Option<(String, f64)>>;

fn columns() -> Vec<(String, Reader)> {
    let mut cols: Vec<(String, Reader)> = vec![(
        "Score".into(),
        Box::new(|f: &Figures| f.score.map(|v| (fmt2(v), (v - 1.0) / 6.0))),
    )];
    for (key, label) in ITEM_LABELS {
        cols.push((
            label.into(),
            Box::new(move |f: &Figures| {
                f.items
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| *v)
                    .map(|v| (fmt1(v), (v - 1.0) / 6.0))
            }),
        ));
    }
    cols.push((
        "eNPS".into(),
        Box::new(|f: &Figures| f.enps.map(|v| (format!("{v:+.0}"), (v + 100.0) / 200.0))),
    ));
    cols.push((
        "Participation".into(),
        Box::new(|f: &Figures| {
            (f.invited > 0).then(|| {
                (
                    format!("{:.0}%", 100.0 * f.answered as f64 / f.invited as f64),
                    0.5 + 0.5 * f.answered as f64 / f.invited as f64,
                )
            })
        }),
    ));
    cols
}

/// The heat map as SVG: one row per team or group, suppressed cells hatched and marked.
/// Drawn with maud, which escapes every team and group name (explicit end tags: see
/// `html::chart`).
pub fn heatmap_svg(rows: &[HeatRow]) -> Markup {
    let cols = columns();
    // Column heads are rotated: room above for the longest and to the right for the last.
    let (name_w, cell_w, cell_h, head_h, right) = (190.0, 62.0, 26.0, 175.0, 110.0);
    let w = name_w + cell_w * cols.len() as f64 + right;
    let h = head_h + cell_h * rows.len() as f64;
    let c1 = |v: f64| format!("{v:.1}");
    html! {
        svg.heat viewBox=(format!("0 0 {w} {h}")) role="img" aria-label="Heat map of psychological safety by team; the table below has the same figures" xmlns="http://www.w3.org/2000/svg" {
            title { "Heat map by team" }
            defs { pattern #hatch width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                rect width="6" height="6" fill="#eeeeee" {}
                line x1="0" y1="0" x2="0" y2="6" stroke="#b8b8b8" stroke-width="2" {}
            } }
            @for (j, (label, _)) in cols.iter().enumerate() {
                @let x = name_w + cell_w * j as f64 + cell_w / 2.0;
                text.axis transform=(format!("translate({x:.1},{}) rotate(-45)", head_h - 6.0)) { (label) }
            }
            @for (i, r) in rows.iter().enumerate() {
                @let y = head_h + cell_h * i as f64;
                @let name: String = r.name.chars().take(22).collect();
                @if r.kind == "group" {
                    text.axis x="4" y=(c1(y + 17.0)) font-weight="700" { (name) }
                } @else {
                    text.axis x="4" y=(c1(y + 17.0)) { (name) }
                }
                @for (j, (_, read)) in cols.iter().enumerate() {
                    @let x = name_w + cell_w * j as f64;
                    @match r.figures.as_ref().and_then(read) {
                        Some((text, t)) => {
                            rect x=(c1(x)) y=(c1(y)) width=(cell_w - 1.0) height=(cell_h - 1.0) fill=(colour(t)) stroke="#ffffff" {}
                            text.axis x=(c1(x + cell_w / 2.0)) y=(c1(y + 17.0)) text-anchor="middle" fill="#111111" { (text) }
                        }
                        None => {
                            rect x=(c1(x)) y=(c1(y)) width=(cell_w - 1.0) height=(cell_h - 1.0) fill="url(#hatch)" stroke="#ffffff" {}
                            text.axis x=(c1(x + cell_w / 2.0)) y=(c1(y + 17.0)) text-anchor="middle" fill="#333333" {
                                (if r.figures.is_none() { "none" } else { "hidden" })
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The bands' colours with the scores each covers (on the 1-to-7 scale), under the map.
fn heat_legend() -> Markup {
    html! {
        ul.heat-legend aria-label="Colour bands of the heat map (score on the 1 to 7 scale)" {
            @for b in 0..BANDS {
                @let (lo, hi) = (1.0 + 6.0 * b as f64 / BANDS as f64, 1.0 + 6.0 * (b + 1) as f64 / BANDS as f64);
                li { span.swatch style=(format!("background:{}", colour((b as f64 + 0.5) / BANDS as f64))) {} (fmt1(lo)) " to " (fmt1(hi)) }
            }
        }
    }
}

fn heat_table(rows: &[HeatRow]) -> Markup {
    let cols = columns();
    html! {
        div.scroll tabindex="0" { table.heat {
            caption { "The heat map's figures" }
            thead { tr { th scope="col" { "Team or group" } th.num scope="col" { "Answered" } @for (l, _) in &cols { th.num scope="col" { (l) } } th.num scope="col" { "Comments per answer" } } }
            tbody { @for r in rows { tr {
                th scope="row" { @if r.kind == "group" { strong { (r.name) } " (group)" } @else { (r.name) } }
                td.num { @if let Some(f) = &r.figures { (f.answered) " of " (f.invited) } @else { "no closed round" } }
                @for (_, read) in &cols {
                    td.cell.num { (r.figures.as_ref().and_then(read).map(|(t, _)| t).unwrap_or_else(|| if r.figures.is_some() { "hidden".into() } else { "–".into() })) }
                }
                td.num { (r.figures.as_ref().and_then(|f| f.comment_rate).map(fmt2).unwrap_or_else(|| "–".into())) }
            } } }
        } }
    }
}

pub fn metrics(viewer: &Viewer, p: &MetricsPage<'_>) -> Markup {
    let labels: Vec<String> = p.quarters.iter().map(View::label).collect();
    let series: Vec<Series<'_>> = p
        .trends
        .iter()
        .map(|t| Series {
            name: &t.name,
            points: t
                .points
                .iter()
                .map(|f| f.as_ref().and_then(|f| f.score))
                .collect(),
        })
        .collect();
    let q = p.view.label();
    layout(
        "Culture metrics",
        Some(viewer),
        html! {
            h1 { "Culture metrics" }
            p { "Figures over fewer answers than a team's threshold are hidden, and so is any figure from which a hidden one could be worked out by subtraction. "
                a href="/about/score" { "How the score works." } }
            nav.periods aria-label="Period" {
                "Period: "
                @for v in p.views {
                    @if *v == p.view { strong { (v.label()) } } @else { a href=(format!("/metrics?period={}", v.label())) { (v.label()) } }
                    " "
                }
            }
            h2 { "Heat map (" (if p.view == View::Latest { "each team's latest closed round".to_owned() } else { format!("latest round in {q}") }) ")" }
            @if p.rows.is_empty() { p.muted { "No teams to show." } } @else {
                div.scroll tabindex="0" { (heatmap_svg(p.rows)) }
                (heat_legend())
                (heat_table(p.rows))
                p { a href=(format!("/metrics/export.csv?period={q}")) download { "Download these aggregates (CSV)" } " · " a href=(format!("/metrics/export.json?period={q}")) { "JSON" } }
            }
            h2 { "Trends by quarter" }
            @if p.quarters.is_empty() { p.muted { "No closed rounds yet." } } @else {
                div.scroll tabindex="0" { (line_chart("Psychological safety by quarter, each team and group (1 to 7)", &labels, &series, 1.0, 7.0)) }
                div.scroll tabindex="0" { table {
                    caption { "Score by quarter; the change is since the previous quarter with a figure" }
                    thead { tr { th scope="col" { "Team or group" } @for l in &labels { th.num scope="col" { (l) } } th scope="col" { "Change" } } }
                    tbody { @for t in p.trends { tr {
                        th scope="row" { (t.name) @if t.kind == "group" { " (group)" } }
                        @for f in &t.points { td.num { (f.as_ref().map(|f| f.score.map(fmt2).unwrap_or_else(|| "hidden".into())).unwrap_or_else(|| "–".into())) } }
                        td { @match &t.change {
                            Some(c) => { (format!("{:+.2}", c.delta)) " " @if c.within_noise { span.muted { "within noise" } } @else { strong { "beyond noise" } } @if let Some(se) = c.standard_error { span.muted { " (±" (fmt2(2.0 * se)) ")" } } }
                            None => { "–" }
                        } }
                    } } }
                } }
                p.muted { "\"Within noise\" means the change is smaller than twice its standard error, worked out from each period's spread and number of answers: it may be chance." }
            }
            h2 { "Bad news shared" }
            ul {
                li { (p.bad_news.reviews_held) " incident reviews held, with " (p.bad_news.accounts) " anonymous accounts" @if p.bad_news.reviews_held > 0 { " (" (fmt1(p.bad_news.accounts as f64 / p.bad_news.reviews_held as f64)) " per review)" } }
                li { (p.bad_news.followups_answered) " of " (p.bad_news.followups_asked) " follow-up questions answered" }
                li { (p.bad_news.comments) " pulse comments from " (p.bad_news.answered) " answers in the rounds shown above" }
            }
            @if viewer.is_admin { p { a href="/metrics/groups" { "Define groups of teams" } } }
        },
    )
}

pub fn groups(
    viewer: &Viewer,
    groups: &[GroupView],
    teams: &[(crate::teams::model::TeamId, String)],
    errors: &[crate::error::FieldError],
) -> Markup {
    layout(
        "Groups of teams",
        Some(viewer),
        html! {
            p.crumbs { a href="/metrics" { "Metrics" } " / " }
            h1 { "Groups of teams" }
            p { "A group (a department, say) rolls up its teams' figures. A team counts for a group only in rounds opened after it joined and before it left, so no change today alters a figure already shown." }
            (error_summary(errors))
            @for g in groups {
                section.card {
                    h2 { (g.name) }
                    @if g.members.is_empty() { p.muted { "No teams yet." } } @else {
                        table {
                            thead { tr { th scope="col" { "Team" } th scope="col" { "Joined" } th scope="col" { "Left" } th scope="col" { span.visually-hidden { "Actions" } } } }
                            tbody { @for (tid, name, added, removed) in &g.members { tr {
                                td { (name) } td { (added) } td { (removed.clone().unwrap_or_default()) }
                                td { @if removed.is_none() {
                                    form.inline method="post" action=(format!("/metrics/groups/{}/teams/{}/remove", g.id, tid)) {
                                        (csrf_field(&viewer.csrf)) button.small.danger type="submit" { "Remove from now on" }
                                    }
                                } }
                            } } }
                        }
                    }
                    form.inline method="post" action=(format!("/metrics/groups/{}/teams", g.id)) {
                        (csrf_field(&viewer.csrf))
                        label for=(format!("add-{}", g.id)) { "Add team" }
                        select id=(format!("add-{}", g.id)) name="team_id" { @for (id, name) in teams { option value=(id) { (name) } } }
                        button.small type="submit" { "Add from now on" }
                    }
                }
            }
            h2 { "New group" }
            form.card method="post" action="/metrics/groups" {
                (csrf_field(&viewer.csrf))
                (Field::new("name", "Group name").render(errors))
                button type="submit" { "Create group" }
            }
        },
    )
}
