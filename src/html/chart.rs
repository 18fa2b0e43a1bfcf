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

const PALETTE: [&str; 6] = [
    "#1f5fa8", "#b3541e", "#2e7d32", "#6a3d9a", "#8c6d1f", "#c2185b",
];

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
    let every = (n / 8).max(1);
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
                @if i % every == 0 || i + 1 == n {
                    text x=(c1(x(i))) y=(top + ph + 18.0) class="axis" text-anchor=(anchor(i)) { (l) }
                }
            }
            @for (si, ser) in series.iter().enumerate() {
                @let colour = PALETTE[si % PALETTE.len()];
                @let path = path_of(ser);
                @if !path.is_empty() {
                    path d=(path) fill="none" stroke=(colour) stroke-width="2.5" {}
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
                    rect x=(lx) y=(ly - 9.0) width="10" height="10" fill=(PALETTE[si % PALETTE.len()]) {}
                    text x=(lx + 14.0) y=(ly) class="axis" { (legend_len(ser)) }
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
}
