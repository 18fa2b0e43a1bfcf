//! A review's action items as files: CSV (through `html::csv`, which defuses formulas) and a
//! Markdown checklist, `- [ ] text (owner, due day)`, also appended to the pre-read.

use std::fmt::Write as _;

use super::day;
use crate::followthrough::model::{ItemView, Status};
use crate::html::csv::Csv;
use crate::reviews::model::md_escape;

/// One row per action item; `raised_by` names accounts by the numbers facilitators read.
pub fn items_csv(items: &[ItemView]) -> Result<String, crate::html::csv::Error> {
    let mut csv = Csv::new(&["id", "text", "status", "owner", "due_on", "raised_by"]);
    for i in items {
        let due = i.due_on.map(day).unwrap_or_default();
        let raised = i
            .links
            .iter()
            .map(|l| l.label())
            .collect::<Vec<_>>()
            .join("; ");
        csv.row_keeping(
            [
                i.id.as_str(),
                &i.text,
                i.status.as_str(),
                i.owner.as_deref().unwrap_or(""),
                &due,
                &raised,
            ],
            &[0],
        );
    }
    csv.finish()
}

/// One checklist line: ticked when done, struck through when dropped.
fn item_line(i: &ItemView) -> String {
    let mark = if i.status == Status::Done { "x" } else { " " };
    let text = md_escape(&i.text).replace('\n', " ");
    let text = if i.status == Status::Dropped {
        format!("~~{text}~~")
    } else {
        text
    };
    let mut details = vec![md_escape(i.owner.as_deref().unwrap_or("no owner yet"))];
    details.push(match i.due_on {
        Some(d) => format!("due {}", day(d)),
        None => "no due date".into(),
    });
    if !matches!(i.status, Status::Done | Status::Planned) {
        details.push(i.status.label().to_lowercase());
    }
    if !i.links.is_empty() {
        let raised: Vec<String> = i.links.iter().map(|l| l.label()).collect();
        details.push(format!("raised by {}", raised.join("; ")));
    }
    format!("- [{mark}] {text} ({})", details.join(", "))
}

/// The checklist lines alone, for the pre-read's section.
pub fn items_checklist(items: &[ItemView]) -> String {
    let mut md = String::new();
    if items.is_empty() {
        md.push_str("(No action items yet.)\n");
    }
    for i in items {
        let _ = writeln!(md, "{}", item_line(i));
    }
    md
}

/// The action items of a review as a Markdown checklist file.
pub fn items_markdown(title: &str, items: &[ItemView]) -> String {
    format!(
        "# Action items: {}\n\n{}",
        md_escape(title),
        items_checklist(items)
    )
}

/// The section the pre-read ends with.
pub fn preread_section(items: &[ItemView]) -> String {
    format!("## Action items\n\n{}", items_checklist(items))
}
