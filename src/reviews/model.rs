//! Pre-review accounts: the rules their inputs must meet, the receipt format, the release
//! rule and the receipt throttle. Pure: no database, no request.

use serde::{Deserialize, Serialize};
use time::{Date, PrimitiveDateTime};

use crate::error::FieldError;

// ---------------------------------------------------------------- limits that protect people

/// Accounts stay hidden until this many have arrived (or the deadline passed), so the first
/// account read cannot be pinned on the only person who had written by then. Never below the
/// instance floor.
pub const DEFAULT_REVIEW_THRESHOLD: u16 = 3;
/// Largest release threshold anyone needs; stops a typo from hiding accounts for ever.
pub const MAX_REVIEW_THRESHOLD: u16 = 1_000;
/// Days after close before the free text of a review is deleted, keeping only counts: long
/// enough to run the review and its follow-up actions, short enough that old words do not
/// outlive their purpose.
pub const DEFAULT_RETENTION_DAYS: i32 = 180;
/// Ten years: anything longer is a typo for "keep for ever", which we do not offer.
pub const MAX_RETENTION_DAYS: i32 = 3_650;

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 10_000;
/// A timeline longer than this is a paste of a log, which identifies its writer by itself.
pub const MAX_TIMELINE_ENTRIES: usize = 50;
/// One timeline entry is a moment: what they saw or did then.
pub const MAX_ENTRY_CHARS: usize = 2_000;
/// One free-text answer (expected, surprised, hard, helped, other), a long page of prose.
/// Everything together stays under the app's body limit even in multi-byte scripts' worst
/// common case, so a long account is refused field by field (422), not as a whole (413).
pub const MAX_FIELD_CHARS: usize = 10_000;
/// A follow-up question from the facilitator.
pub const MAX_QUESTION_CHARS: usize = 2_000;
/// A writer's reply to a follow-up, or an addition to their account.
pub const MAX_REPLY_CHARS: usize = 10_000;
/// Additions a writer may make to their account through the receipt.
pub const MAX_ADDITIONS: usize = 20;

// ---------------------------------------------------------------- receipts

/// Random bytes in a receipt: 160 bits, above the 128 that THREAT-MODEL G8 asks for, and a
/// whole number of base32 characters (32).
pub const RECEIPT_BYTES: usize = 20;
/// Crockford's base32: no I, L, O or U, so a hand-copied receipt has no look-alikes.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const RECEIPT_CHARS: usize = RECEIPT_BYTES * 8 / 5;

/// A new receipt: 32 Crockford base32 characters in groups of four, for writing down.
pub fn new_receipt() -> String {
    format_receipt(&crate::secret::random_bytes(RECEIPT_BYTES))
}

pub fn format_receipt(bytes: &[u8]) -> String {
    let mut chars = Vec::with_capacity(RECEIPT_CHARS);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            chars.push(CROCKFORD[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a receipt as a person typed it: case, spaces and dashes do not
/// count, and the letters people confuse with digits read as those digits. `None` when it
/// cannot be a receipt; callers answer that exactly as they answer a wrong one.
pub fn normalize_receipt(input: &str) -> Option<String> {
    if input.len() > 4 * RECEIPT_CHARS {
        return None;
    }
    let mut out = String::with_capacity(RECEIPT_CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '\n' | '\r' | '\u{a0}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECEIPT_CHARS).then_some(out)
}

// ---------------------------------------------------------------- receipt throttle

/// Wrong receipts the whole instance accepts per window before every receipt lookup waits.
///
/// What an attacker can do: receipts carry 160 random bits, so guessing one is hopeless
/// whatever the rate; the throttle is there so nobody can turn the receipt endpoints into a
/// free oracle or a flood. Anonymous routes must not look at an address or a cookie (G4, G5),
/// so the budget is global: one attacker can use it up, and then every writer, honest or
/// not, waits out the rest of the window (at most a minute). That denial is the price of not
/// identifying anyone, and it is bounded. A correct receipt is refused too while the budget
/// is spent: letting it through would let guesses continue at full speed. Receipts name no
/// review, so there is no narrower key to throttle on.
pub const WRONG_RECEIPT_BUDGET: i32 = 20;
pub const RECEIPT_WINDOW_SECONDS: i64 = 60;

/// The throttle's state: wrong receipts in the current window and when the window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptWindow {
    pub failures: i32,
    pub ends: PrimitiveDateTime,
}

/// Seconds to wait before any receipt is looked at, if the budget is spent.
pub fn receipt_wait(window: Option<ReceiptWindow>, now: PrimitiveDateTime) -> Option<u64> {
    let w = window?;
    (w.ends > now && w.failures >= WRONG_RECEIPT_BUDGET)
        .then(|| (w.ends - now).whole_seconds().max(1) as u64)
}

/// The window after one more wrong receipt.
pub fn after_wrong_receipt(window: Option<ReceiptWindow>, now: PrimitiveDateTime) -> ReceiptWindow {
    match window {
        Some(w) if w.ends > now => ReceiptWindow {
            failures: w.failures.saturating_add(1),
            ends: w.ends,
        },
        _ => ReceiptWindow {
            failures: 1,
            ends: now + time::Duration::seconds(RECEIPT_WINDOW_SECONDS),
        },
    }
}

// ---------------------------------------------------------------- release rule

/// Whether the accounts not yet shown should be released now, all together.
///
/// - Nothing is shown until `threshold` accounts have arrived, or the deadline the writers
///   were shown has passed (then whatever arrived is shown, however few: the writers and the
///   facilitator were told so at open).
/// - After that first batch, later accounts wait until `threshold` of them are pending, so
///   they come out in batches of at least the threshold, never one at a time. The deadline
///   does not release them again: it releases the first batch only.
/// - Closing releases nothing by itself: a facilitator who closes early, before the deadline
///   and with fewer than `threshold` accounts, would otherwise see a lone account that its
///   writer was promised would be held. Held accounts stay held after close until the
///   deadline passes, and are deleted with the rest at retention.
pub fn release_due(pending: i64, released: i64, threshold: i64, deadline_passed: bool) -> bool {
    if pending == 0 {
        return false;
    }
    if pending >= threshold {
        return true;
    }
    released == 0 && deadline_passed
}

/// How many more accounts are needed before the pending ones are released (before the
/// deadline, for a first batch).
pub fn needed_for_release(pending: i64, threshold: i64) -> i64 {
    (threshold - pending).max(0)
}

// ---------------------------------------------------------------- review input

/// A review to open, checked.
#[derive(Clone, Debug)]
pub struct NewReview {
    pub title: String,
    pub incident_date: Date,
    pub summary: String,
    pub team_ids: Vec<String>,
    pub invitees: Vec<String>,
    pub deadline: Option<PrimitiveDateTime>,
    pub threshold: u16,
    pub retention_days: i32,
}

/// Collapses runs of whitespace in one-line text.
fn one_line(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse_title(raw: &str) -> Result<String, FieldError> {
    let t = one_line(raw);
    if t.is_empty() {
        return Err(FieldError::new("title", "Give the review a title."));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(FieldError::new(
            "title",
            format!("Use at most {MAX_TITLE} characters."),
        ));
    }
    Ok(t)
}

pub fn parse_incident_date(raw: &str, today: Date) -> Result<Date, FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = Date::parse(raw.trim(), &fmt)
        .map_err(|_| FieldError::new("incident_date", "Enter the date as YYYY-MM-DD."))?;
    // A day of slack for time zones ahead of UTC.
    if d > today + time::Duration::days(1) {
        return Err(FieldError::new(
            "incident_date",
            "The incident date is in the future.",
        ));
    }
    Ok(d)
}

pub fn parse_summary(raw: &str) -> Result<String, FieldError> {
    let s = clean_text(raw);
    if s.chars().count() > MAX_SUMMARY {
        return Err(FieldError::new(
            "summary",
            format!("Use at most {MAX_SUMMARY} characters."),
        ));
    }
    Ok(s)
}

/// A release threshold: default 3, never under the instance floor (itself never under 3).
pub fn parse_review_threshold(raw: Option<i64>, floor: u16) -> Result<u16, FieldError> {
    let floor = floor.max(crate::config::ABSOLUTE_THRESHOLD_FLOOR);
    let value = raw.unwrap_or(i64::from(DEFAULT_REVIEW_THRESHOLD.max(floor)));
    if value < i64::from(floor) {
        return Err(FieldError::new(
            "threshold",
            format!("The release threshold must be at least {floor}, so no account can be singled out by when it arrived."),
        ));
    }
    if value > i64::from(MAX_REVIEW_THRESHOLD) {
        return Err(FieldError::new(
            "threshold",
            format!("The release threshold must be at most {MAX_REVIEW_THRESHOLD}."),
        ));
    }
    Ok(value as u16)
}

pub fn parse_retention(raw: Option<i64>) -> Result<i32, FieldError> {
    let v = raw.unwrap_or(i64::from(DEFAULT_RETENTION_DAYS));
    if v < 1 || v > i64::from(MAX_RETENTION_DAYS) {
        return Err(FieldError::new(
            "retention_days",
            format!("Keep accounts between 1 and {MAX_RETENTION_DAYS} days after close."),
        ));
    }
    Ok(v as i32)
}

/// A deadline in RFC 3339 (the API) or `YYYY-MM-DDTHH:MM` read as UTC (the page's
/// `datetime-local`), strictly in the future.
pub fn parse_deadline(
    raw: &str,
    now: PrimitiveDateTime,
) -> Result<Option<PrimitiveDateTime>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || {
        FieldError::new(
            "deadline",
            "Enter the deadline as a date and time, like 2026-12-01T17:00 (UTC).",
        )
    };
    let parsed = if let Ok(t) =
        time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
    {
        let t = t.to_offset(time::UtcOffset::UTC);
        PrimitiveDateTime::new(t.date(), t.time())
    } else {
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let fmt_s =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        PrimitiveDateTime::parse(raw, &fmt)
            .or_else(|_| PrimitiveDateTime::parse(raw, &fmt_s))
            .map_err(|_| bad())?
    };
    if parsed <= now {
        return Err(FieldError::new("deadline", "The deadline is in the past."));
    }
    Ok(Some(parsed))
}

// ---------------------------------------------------------------- accounts

/// One moment on a writer's timeline; `time` is a rough time of day they chose, or none.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimelineEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// An account as submitted (API.md). Unknown fields are refused so a client that misspells
/// a field hears about it instead of losing the words.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_160_bits_in_groups_of_four_and_survive_hand_copying() {
        let r = new_receipt();
        assert_eq!(r.len(), 32 + 7);
        assert_eq!(r.split('-').count(), 8);
        let norm = normalize_receipt(&r).unwrap();
        let sloppy = r.to_lowercase().replace('-', " ");
        assert_eq!(normalize_receipt(&sloppy).unwrap(), norm);
        assert_eq!(
            normalize_receipt("oooo-iiii-llll-0000-1111-2222-3333-4444").unwrap(),
            "00001111111100001111222233334444"
        );
        assert!(normalize_receipt("short").is_none());
        assert!(normalize_receipt("UUUU-0000-0000-0000-0000-0000-0000-0000").is_none());
        assert_ne!(new_receipt(), new_receipt());
    }

    #[test]
    fn the_release_rule_batches_late_accounts() {
        // Held below the threshold before the deadline.
        assert!(!release_due(2, 0, 3, false));
        assert!(release_due(3, 0, 3, false));
        // The deadline releases a first batch of any size.
        assert!(release_due(1, 0, 3, true));
        // Later accounts wait for a full batch, deadline or not.
        assert!(!release_due(1, 3, 3, true));
        assert!(!release_due(2, 3, 3, false));
        assert!(release_due(3, 3, 3, false));
        assert!(!release_due(0, 3, 3, true));
    }

    #[test]
    fn an_empty_account_and_long_fields_are_refused() {
        let empty = AccountInput {
            timeline: vec![TimelineEntry {
                time: None,
                text: "  ".into(),
            }],
            expected: Some("\n".into()),
            ..Default::default()
        };
        assert_eq!(check_account(&empty).unwrap_err()[0].field, "account");
        let long = AccountInput {
            hard: Some("x".repeat(MAX_FIELD_CHARS + 1)),
            ..Default::default()
        };
        assert_eq!(check_account(&long).unwrap_err()[0].field, "hard");
        let ok = AccountInput {
            timeline: vec![TimelineEntry {
                time: Some("9:05".into()),
                text: "paged".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            check_account(&ok).unwrap().timeline[0].time.as_deref(),
            Some("09:05")
        );
        let bad_time = AccountInput {
            timeline: vec![TimelineEntry {
                time: Some("25:00".into()),
                text: "x".into(),
            }],
            ..Default::default()
        };
        assert!(check_account(&bad_time).is_err());
    }

    #[test]
    fn markdown_escaping_defuses_structure() {
        assert_eq!(md_escape("# Account 5"), "\\# Account 5");
        assert_eq!(md_escape("- item"), "\\- item");
        assert_eq!(md_escape("1. one"), "1\\. one");
        assert_eq!(md_escape("<b>"), "\\<b\\>");
    }

    #[test]
    fn the_receipt_throttle_counts_per_window() {
        let now = crate::secret::now();
        let mut w = None;
        for _ in 0..WRONG_RECEIPT_BUDGET {
            assert!(receipt_wait(w, now).is_none());
            w = Some(after_wrong_receipt(w, now));
        }
        assert!(receipt_wait(w, now).is_some());
        let later = now + time::Duration::seconds(RECEIPT_WINDOW_SECONDS + 1);
        assert!(receipt_wait(w, later).is_none());
        assert_eq!(after_wrong_receipt(w, later).failures, 1);
    }
}
