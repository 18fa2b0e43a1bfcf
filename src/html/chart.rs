//! Server-drawn SVG charts. Every chart is paired with a table of the same figures on the page.
//!
//! Drawn with maud, so every name and label is escaped by maud as on every other page (team
//! names in a legend, question text in a title) rather than by a hand-written escaper.
//! Elements are written with explicit end tags (`{}`): inside HTML, SVG content does not
//! close an element without one.

use maud::{html, Markup};

/// One line on a line chart; `None` is a gap (a round under the threshold), never a zero.
pub struct Series<'a> {
    pub name: &'a str,
    pub points: Vec<Option<f64>>,
}

/// Twelve colours, each dark enough to read against white, so a chart of up to twelve lines
/// never gives two lines one colour (issue 15: items 1 and 7 shared blue with six).
const PALETTE: [&str; 12] = [
    "#1f5fa8", "#b3541e", "#2e7d32", "#6a3d9a", "#8c6d1f", "#c2185b", "#00838f", "#5d4037",
    "#455a64", "#9e1b32", "#33691e", "#283593",
];

/// Past twelve lines the colours come round again with a dash pattern, so a series is
/// still told apart from the one that shares its colour.
const DASHES: [&str; 3] = ["", "6 3", "2 3"];

/// The colour and dash of series `i`; no two series of one chart share both.
fn style(i: usize) -> (&'static str, &'static str) {
    (
        PALETTE[i % PALETTE.len()],
        DASHES[(i / PALETTE.len()) % DASHES.len()],
    )
}

/// About how wide one axis label is drawn, in chart units (11px text, ~0.6em a character).
fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 6.6
}

/// Which x labels to draw so none overlaps the next: every `k`th, counted back from the
/// last, so the latest round always has its label and the gaps are even.
pub fn label_step(labels: &[String], spacing: f64) -> usize {
    let widest = labels.iter().map(|l| label_width(l)).fold(0.0, f64::max);
    if spacing <= 0.0 || labels.len() < 2 {
        return 1;
    }
    let needed = ((widest + 10.0) / spacing).ceil();
    if needed.is_finite() && needed >= 1.0 {
        needed as usize
    } else {
        1
    }
}

/// A number as an SVG coordinate, one decimal.
fn c1(v: f64) -> String {
    format!("{v:.1}")
}

/// A line chart over labelled x positions with a fixed y range.
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    y_min: f64,
    y_max: f64,
) -> Markup {
    // Room under the plot for the x labels and, with several series, a legend two a row.
    // Legend names are cut to fit their slot, with an ellipsis; the table beside the chart
    // has them in full.
    let legend_len = |s: &Series<'_>| {
        let name: String = s.name.chars().take(34).collect();
        if s.name.chars().count() > 34 {
            format!("{name}…")
        } else {
            name
        }
    };
    let legend_rows = if series.len() > 1 {
        series.len().div_ceil(2)
    } else {
        0
    };
    let bottom = 40.0 + 16.0 * legend_rows as f64;
    let (w, left, right, top) = (640.0, 44.0, 12.0, 16.0);
    let h = 220.0 + bottom;
    let pw = w - left - right;
    let ph = h - top - bottom;
    let n = labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + pw / 2.0
        } else {
            left + pw * i as f64 / (n - 1) as f64
        }
    };
    let span = (y_max - y_min).max(f64::EPSILON);
    let y = |v: f64| top + ph * (1.0 - (v - y_min) / span);
    let steps = 4;
    let spacing = if n > 1 { pw / (n - 1) as f64 } else { pw };
    let every = label_step(labels, spacing);
    // The first and last labels sit against the edges: anchor them inward.
    let anchor = |i: usize| {
        if n > 1 && i == 0 {
            "start"
        } else if n > 1 && i + 1 == n {
            "end"
        } else {
            "middle"
        }
    };
    let path_of = |ser: &Series<'_>| {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, p) in ser.points.iter().enumerate() {
            match p {
                Some(v) => {
                    let pen = if pen_down { "L" } else { "M" };
                    path.push_str(&format!("{pen}{:.1},{:.1} ", x(i), y(*v)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        path.trim_end().to_owned()
    };
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for k in 0..=steps {
                @let v = y_min + span * k as f64 / steps as f64;
                @let yy = c1(y(v));
                line x1=(left) x2=(w - right) y1=(yy) y2=(yy) class="grid" {}
                text x=(left - 6.0) y=(c1(y(v) + 4.0)) class="axis" text-anchor="end" { (c1(v)) }
            }
            @for (i, l) in labels.iter().enumerate() {
                @if (n - 1 - i) % every == 0 {
                    text x=(c1(x(i))) y=(top + ph + 18.0) class="axis" text-anchor=(anchor(i)) { (l) }
                }
            }
            @for (si, ser) in series.iter().enumerate() {
                @let (colour, dash) = style(si);
                @let path = path_of(ser);
                @if !path.is_empty() {
                    path d=(path) fill="none" stroke=(colour) stroke-width="2.5" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                }
                @for (i, p) in ser.points.iter().enumerate() {
                    @if let Some(v) = p {
                        circle cx=(c1(x(i))) cy=(c1(y(*v))) r="3.5" fill=(colour) {
                            title { (ser.name) ": " (format!("{v:.2}")) }
                        }
                    }
                }
            }
            @if series.len() > 1 {
                @for (si, ser) in series.iter().enumerate() {
                    // Legend entries two to a row under the plot.
                    @let lx = left + 8.0 + (si % 2) as f64 * 290.0;
                    @let ly = top + ph + 40.0 + 16.0 * (si / 2) as f64;
                    @let (colour, dash) = style(si);
                    line x1=(lx) x2=(lx + 12.0) y1=(ly - 4.0) y2=(ly - 4.0) stroke=(colour) stroke-width="3" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                    text x=(lx + 14.0) y=(ly) class="axis" { (legend_len(ser)) }
                }
            }
        }
    }
}

/// Small multiples: one small panel per series on a shared scale, two to a row, so lines
/// that would crowd one box (seven items moving within half a point) each get room. Each
/// panel labels its first and last x position; the table beside it has every figure.
pub fn small_multiples(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    y_min: f64,
    y_max: f64,
) -> Markup {
    let (pw_total, cols) = (640.0, 2usize);
    let (panel_w, panel_h, gap) = (pw_total / cols as f64, 150.0, 8.0);
    let (left, right, top, bottom) = (30.0, 14.0, 30.0, 26.0);
    let plot_w = panel_w - left - right - gap;
    let plot_h = panel_h - top - bottom;
    let rows = series.len().div_ceil(cols).max(1);
    let h = panel_h * rows as f64;
    let n = labels.len().max(1);
    let span = (y_max - y_min).max(f64::EPSILON);
    let x = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - (v - y_min) / span);
    let short = |name: &str| {
        let cut: String = name.chars().take(44).collect();
        if name.chars().count() > 44 {
            format!("{cut}…")
        } else {
            cut
        }
    };
    let path_of = |ser: &Series<'_>| {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, p) in ser.points.iter().enumerate() {
            match p {
                Some(v) => {
                    let pen = if pen_down { "L" } else { "M" };
                    path.push_str(&format!("{pen}{:.1},{:.1} ", x(i), y(*v)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        path.trim_end().to_owned()
    };
    let mid = (y_min + y_max) / 2.0;
    html! {
        svg.chart.multiples viewBox=(format!("0 0 {pw_total} {h}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (si, ser) in series.iter().enumerate() {
                @let ox = (si % cols) as f64 * panel_w;
                @let oy = (si / cols) as f64 * panel_h;
                @let (colour, dash) = style(si);
                g transform=(format!("translate({ox},{oy})")) {
                    text x="0" y="14" class="axis" { (short(ser.name)) }
                    @for v in [y_min, mid, y_max] {
                        @let yy = c1(y(v));
                        line x1=(left) x2=(left + plot_w) y1=(yy) y2=(yy) class="grid" {}
                        text x=(left - 4.0) y=(c1(y(v) + 4.0)) class="axis" text-anchor="end" { (c1(v)) }
                    }
                    @let path = path_of(ser);
                    @if !path.is_empty() {
                        path d=(path) fill="none" stroke=(colour) stroke-width="2" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                    }
                    @for (i, p) in ser.points.iter().enumerate() {
                        @if let Some(v) = p {
                            circle cx=(c1(x(i))) cy=(c1(y(*v))) r="2.5" fill=(colour) {
                                title { (ser.name) ", " (labels.get(i).map(String::as_str).unwrap_or("")) ": " (format!("{v:.2}")) }
                            }
                        }
                    }
                    @if let Some(first) = labels.first() {
                        text x=(left) y=(top + plot_h + 16.0) class="axis" text-anchor="start" { (first) }
                    }
                    @if n > 1 {
                        @if let Some(last) = labels.last() {
                            text x=(left + plot_w) y=(top + plot_h + 16.0) class="axis" text-anchor="end" { (last) }
                        }
                    }
                }
            }
        }
    }
}

/// A horizontal bar chart of counts (a distribution), with the count at the end of each bar.
pub fn bars(title: &str, labels: &[String], counts: &[i64]) -> Markup {
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let row = 20.0;
    let (w, label_w) = (360.0, 120.0);
    let h = row * counts.len() as f64 + 4.0;
    html! {
        svg.bars viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, (l, c)) in labels.iter().zip(counts).enumerate() {
                @let y = i as f64 * row + 2.0;
                @let bw = (w - label_w - 40.0) * (*c as f64) / max;
                text x=(label_w - 6.0) y=(y + 11.0) class="axis" text-anchor="end" { (l) }
                rect x=(label_w) y=(y) width=(c1(bw)) height="14" fill="#1f5fa8" {}
                text x=(c1(label_w + bw + 4.0)) y=(y + 11.0) class="axis" { (c) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_charts_are_escaped_by_maud() {
        let s = [Series {
            name: "<script>alert(1)</script> & \"co\"",
            points: vec![Some(4.0), None, Some(5.0)],
        }];
        let labels = vec!["Q1 <b>".to_owned(), "Q2".into(), "Q3".into()];
        let svg = line_chart("A \"title\" <x>", &labels, &s, 1.0, 7.0).into_string();
        assert!(!svg.contains("<script>") && !svg.contains("<b>") && !svg.contains("<x>"));
        assert!(svg.contains("&lt;script&gt;") && svg.contains("&amp;"));
        assert!(svg.contains("aria-label=\"A &quot;title&quot; &lt;x&gt;\""));
        // A gap is a gap: the line lifts its pen rather than drawing through zero.
        assert_eq!(svg.matches(" M").count() + svg.matches("\"M").count(), 2);
        let b = bars("<t>", &["<l>".to_owned()], &[3]).into_string();
        assert!(!b.contains("<l>") && !b.contains("<t>"));
        // Every SVG element is closed explicitly: nothing self-closes or is left open.
        assert_eq!(b.matches("<rect").count(), b.matches("</rect>").count());
        assert_eq!(svg.matches("<line").count(), svg.matches("</line>").count());
    }

    #[test]
    fn no_two_series_of_a_chart_share_a_colour_and_a_dash() {
        let styles: Vec<_> = (0..36).map(style).collect();
        for (i, a) in styles.iter().enumerate() {
            assert!(!styles[i + 1..].contains(a), "series {i} repeats");
        }
        // The first twelve differ by colour alone.
        let colours: std::collections::HashSet<_> = (0..12).map(|i| style(i).0).collect();
        assert_eq!(colours.len(), 12);
    }

    #[test]
    fn date_labels_are_thinned_so_they_never_overlap_and_the_last_is_kept() {
        let labels: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}-01")).collect();
        let svg = line_chart("t", &labels, &[], 1.0, 7.0).into_string();
        let drawn: Vec<&String> = labels.iter().filter(|l| svg.contains(l.as_str())).collect();
        assert!(drawn.len() < 12 && drawn.len() >= 3, "{drawn:?}");
        assert!(svg.contains("2026-12-01"), "the latest label is drawn");
        // Drawn labels are at least one label's width apart.
        let step = label_step(&labels, 584.0 / 11.0);
        assert!(584.0 / 11.0 * step as f64 >= label_width(&labels[0]));
        // Few short labels are all drawn.
        let few: Vec<String> = ["Q1", "Q2", "Q3"].iter().map(|s| (*s).to_owned()).collect();
        let svg = line_chart("t", &few, &[], 1.0, 7.0).into_string();
        assert!(few.iter().all(|l| svg.contains(&format!(">{l}<"))));
    }

    #[test]
    fn small_multiples_give_each_series_a_panel_of_its_own() {
        let names: Vec<String> = (1..=7).map(|i| format!("Item {i}")).collect();
        let series: Vec<Series<'_>> = names
            .iter()
            .map(|n| Series {
                name: n,
                points: vec![Some(4.0), None, Some(5.0)],
            })
            .collect();
        let labels = vec!["a".to_owned(), "b".into(), "c".into()];
        let svg = small_multiples("t", &labels, &series, 1.0, 7.0).into_string();
        assert_eq!(svg.matches("<g ").count(), 7);
        assert_eq!(svg.matches("<path").count(), 7);
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    }
}
