//! Server-drawn SVG charts. Every chart is paired with a table of the same figures on the page.

use std::fmt::Write;

/// One line on a line chart; `None` is a gap (a round under the threshold), never a zero.
pub struct Series<'a> {
    pub name: &'a str,
    pub points: Vec<Option<f64>>,
}

const PALETTE: [&str; 6] = [
    "#1f5fa8", "#b3541e", "#2e7d32", "#6a3d9a", "#8c6d1f", "#c2185b",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line chart over labelled x positions with a fixed y range.
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    y_min: f64,
    y_max: f64,
) -> String {
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
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let steps = 4;
    for k in 0..=steps {
        let v = y_min + span * k as f64 / steps as f64;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" class="axis" text-anchor="end">{v:.1}</text>"#,
            x2 = w - right,
            tx = left - 6.0,
            ty = yy + 4.0
        );
    }
    let every = (n / 8).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{}" class="axis" text-anchor="{}">{}</text>"#,
                x(i),
                top + ph + 18.0,
                // The first and last labels sit against the edges: anchor them inward.
                if n > 1 && i == 0 {
                    "start"
                } else if n > 1 && i + 1 == n {
                    "end"
                } else {
                    "middle"
                },
                esc(l)
            );
        }
    }
    for (si, ser) in series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, p) in ser.points.iter().enumerate() {
            match p {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(i),
                        y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                s,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
                path.trim_end()
            );
        }
        for (i, p) in ser.points.iter().enumerate() {
            if let Some(v) = p {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{}: {:.2}</title></circle>"#,
                    x(i),
                    y(*v),
                    esc(ser.name),
                    v
                );
            }
        }
    }
    if series.len() > 1 {
        for (si, ser) in series.iter().enumerate() {
            let colour = PALETTE[si % PALETTE.len()];
            // Legend entries three to a row under the plot.
            let lx = left + 8.0 + (si % 2) as f64 * 290.0;
            let ly = top + ph + 40.0 + 16.0 * (si / 2) as f64;
            let _ = write!(
                s,
                r#"<rect x="{lx}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{ly}" class="axis">{}</text>"#,
                ly - 9.0,
                lx + 14.0,
                esc(&legend_len(ser))
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart of counts (a distribution), with the count at the end of each bar.
pub fn bars(title: &str, labels: &[String], counts: &[i64]) -> String {
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let row = 20.0;
    let (w, label_w) = (360.0, 120.0);
    let h = row * counts.len() as f64 + 4.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="bars" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (l, c)) in labels.iter().zip(counts).enumerate() {
        let y = i as f64 * row + 2.0;
        let bw = (w - label_w - 40.0) * (*c as f64) / max;
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" class="axis" text-anchor="end">{l}</text><rect x="{label_w}" y="{y}" width="{bw:.1}" height="14" fill="#1f5fa8"/><text x="{cx:.1}" y="{ty}" class="axis">{c}</text>"##,
            lx = label_w - 6.0,
            ty = y + 11.0,
            l = esc(l),
            cx = label_w + bw + 4.0
        );
    }
    s.push_str("</svg>");
    s
}
