//! An account as submitted, checked, stored and shown, and the text rules it meets; the
//! merged timeline and Markdown escaping the pre-read uses. Pure: no database, no request.

use serde::{Deserialize, Serialize};

use super::{MAX_ENTRY_CHARS, MAX_FIELD_CHARS, MAX_TIMELINE_ENTRIES};
use crate::error::FieldError;

/// One moment on a writer's timeline; `time` is a rough time of day they chose, or none.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TimelineEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// An account as submitted (API.md). Unknown fields are refused so a client that misspells
/// a field hears about it instead of losing the words.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    #[serde(default)]
    pub expected: Option<String>,
    #[serde(default)]
    pub surprised: Option<String>,
    #[serde(default)]
    pub hard: Option<String>,
    #[serde(default)]
    pub helped: Option<String>,
    #[serde(default)]
    pub other: Option<String>,
}

/// An account as stored and shown: exactly the checked input, plus the additions its writer
/// made later through the receipt.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Account {
    pub timeline: Vec<TimelineEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surprised: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additions: Vec<String>,
}

/// The free-text fields with the headings pages and the pre-read give them.
pub const FIELDS: [(&str, &str); 5] = [
    ("expected", "What I expected to happen"),
    ("surprised", "What surprised me"),
    ("hard", "What made it hard"),
    ("helped", "What would have helped"),
    ("other", "Anything else"),
];

impl Account {
    pub fn field(&self, name: &str) -> Option<&str> {
        match name {
            "expected" => self.expected.as_deref(),
            "surprised" => self.surprised.as_deref(),
            "hard" => self.hard.as_deref(),
            "helped" => self.helped.as_deref(),
            "other" => self.other.as_deref(),
            _ => None,
        }
    }
}

/// Line endings made `\n`, control characters other than newline and tab dropped, outer
/// whitespace trimmed.
pub fn clean_text(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A rough time of day, `HH:MM` (24 hours); `H:MM` is accepted and padded.
pub fn parse_time_of_day(raw: &str) -> Option<String> {
    let (h, m) = raw.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u8 = h.parse().ok()?;
    let m: u8 = m.parse().ok()?;
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

fn check_len(field: &str, text: &str, max: usize, errors: &mut Vec<FieldError>) {
    let n = text.chars().count();
    if n > max {
        errors.push(FieldError::new(
            field,
            format!("This is {n} characters; the limit is {max}. Shorten it, or split it over other fields."),
        ));
    }
}

/// Checks an account. Blank fields become absent; an account with no words at all is
/// refused, as is any field over its limit. Every problem is reported at once.
pub fn check_account(input: &AccountInput) -> Result<Account, Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.timeline.len() > MAX_TIMELINE_ENTRIES {
        errors.push(FieldError::new(
            "timeline",
            format!("A timeline holds at most {MAX_TIMELINE_ENTRIES} entries."),
        ));
    }
    let mut timeline = Vec::new();
    for (i, e) in input.timeline.iter().enumerate().take(MAX_TIMELINE_ENTRIES) {
        let text = clean_text(&e.text);
        let time_raw = e.time.as_deref().map(str::trim).unwrap_or("");
        let time = if time_raw.is_empty() {
            None
        } else {
            match parse_time_of_day(time_raw) {
                Some(t) => Some(t),
                None => {
                    errors.push(FieldError::new(
                        &format!("timeline.{i}.time"),
                        format!(
                            "Entry {}: give a time of day as HH:MM, or leave it out.",
                            i + 1
                        ),
                    ));
                    None
                }
            }
        };
        if text.is_empty() {
            if time.is_some() {
                errors.push(FieldError::new(
                    &format!("timeline.{i}.text"),
                    format!("Entry {}: say what happened at that time.", i + 1),
                ));
            }
            continue;
        }
        check_len(
            &format!("timeline.{i}.text"),
            &text,
            MAX_ENTRY_CHARS,
            &mut errors,
        );
        timeline.push(TimelineEntry { time, text });
    }
    let mut field = |name: &str, v: &Option<String>| -> Option<String> {
        let t = clean_text(v.as_deref().unwrap_or(""));
        check_len(name, &t, MAX_FIELD_CHARS, &mut errors);
        (!t.is_empty()).then_some(t)
    };
    let account = Account {
        expected: field("expected", &input.expected),
        surprised: field("surprised", &input.surprised),
        hard: field("hard", &input.hard),
        helped: field("helped", &input.helped),
        other: field("other", &input.other),
        timeline,
        additions: Vec::new(),
    };
    let empty =
        account.timeline.is_empty() && FIELDS.iter().all(|(name, _)| account.field(name).is_none());
    if empty && errors.is_empty() {
        errors.push(FieldError::new(
            "account",
            "The account is empty. Write at least one timeline entry or answer one question.",
        ));
    }
    if errors.is_empty() {
        Ok(account)
    } else {
        Err(errors)
    }
}

/// A follow-up question or a writer's reply or addition: some words, within the limit.
pub fn check_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let t = clean_text(raw);
    if t.is_empty() {
        return Err(FieldError::new(field, "Write something first."));
    }
    let n = t.chars().count();
    if n > max {
        return Err(FieldError::new(
            field,
            format!("This is {n} characters; the limit is {max}."),
        ));
    }
    Ok(t)
}

/// A merged timeline: every entry that carries a time, from every account, sorted by time
/// (then text, so the order says nothing about which account an entry came from).
pub fn merged_timeline(accounts: &[Account]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = accounts
        .iter()
        .flat_map(|a| a.timeline.iter())
        .filter_map(|e| e.time.clone().map(|t| (t, e.text.clone())))
        .collect();
    out.sort();
    out
}

/// Escapes text for Markdown so a writer's words cannot pose as the pre-read's own
/// structure (a fake heading "Account 5", a link, raw HTML).
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start().len();
        let (lead, rest) = line.split_at(indent);
        out.push_str(lead);
        // A list marker or setext underline at the start of a line.
        if rest.starts_with(['-', '+', '=']) {
            out.push('\\');
        }
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        for (j, c) in rest.chars().enumerate() {
            let ordered_list_dot = digits > 0 && j == digits && matches!(c, '.' | ')');
            if ordered_list_dot
                || matches!(
                    c,
                    '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&'
                )
            {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}
