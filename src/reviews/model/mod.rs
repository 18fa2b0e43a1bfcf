//! Pre-review accounts: the rules their inputs must meet, the receipt format, the release
//! rule and the receipt throttle. Pure: no database, no request.
//!
//! `account` holds what a writer submits and how it is checked; the receipt format and the
//! throttle on wrong receipts are `crate::receipt`'s (shared with pulse comments). All are
//! re-exported here, so callers name `reviews::model::X` whichever file `X` lives in.

mod account;
mod review;
#[cfg(test)]
mod tests;

pub use account::*;
pub use review::*;
// Receipts are shared with pulse comments and live in `crate::receipt`; re-exported here so
// the review code names them as before.
pub use crate::receipt::{
    after_wrong_receipt, format_receipt, new_receipt, normalize_receipt, receipt_wait,
    ReceiptWindow, RECEIPT_BYTES, RECEIPT_CHARS, RECEIPT_WINDOW_SECONDS, WRONG_RECEIPT_BUDGET,
};

use time::{Date, PrimitiveDateTime};

use crate::auth::model::StaffUser;
use crate::error::FieldError;
use crate::teams::model::{TeamId, Threshold};

/// Where a review is in its life, instead of string literals in every query that filters on
/// it. Stored as its lowercase name (`as_str()` at the store boundary); the API shows the
/// same word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewStatus {
    /// Accepting accounts.
    Open,
    /// Closed for good: counts kept, text deleted after retention.
    Closed,
}

impl ReviewStatus {
    /// Reads a stored status. Anything unknown reads as closed, the state that shows and
    /// accepts the least (as `RoundStatus::parse` does).
    pub fn parse(s: &str) -> Self {
        match s {
            "open" => Self::Open,
            _ => Self::Closed,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

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
pub fn release_due(
    pending: i64,
    released: i64,
    threshold: Threshold,
    deadline_passed: bool,
) -> bool {
    if pending == 0 {
        return false;
    }
    if pending >= threshold.count() {
        return true;
    }
    released == 0 && deadline_passed
}

/// How many more accounts are needed before the pending ones are released (before the
/// deadline, for a first batch).
pub fn needed_for_release(pending: i64, threshold: Threshold) -> i64 {
    (threshold.count() - pending).max(0)
}

// ---------------------------------------------------------------- review input

/// A review to open, checked.
#[derive(Clone, Debug)]
pub struct NewReview {
    pub title: String,
    pub incident_date: Date,
    pub summary: String,
    pub team_ids: Vec<TeamId>,
    pub invitees: Vec<String>,
    pub deadline: Option<PrimitiveDateTime>,
    pub threshold: Threshold,
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
pub fn parse_review_threshold(raw: Option<i64>, floor: u16) -> Result<Threshold, FieldError> {
    Threshold::bounded(
        raw,
        DEFAULT_REVIEW_THRESHOLD,
        floor,
        MAX_REVIEW_THRESHOLD,
        (
            "The release threshold",
            "so no account can be singled out by when it arrived",
        ),
    )
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

/// What a review form or request said, before checking. The page and the API fill it from
/// their own shapes; `invitees`, `threshold` and `retention_days` arrive already parsed from
/// those shapes, or with the error that parsing met.
pub struct ReviewRequest {
    pub title: String,
    pub incident_date: String,
    pub summary: String,
    pub team_ids: Vec<TeamId>,
    pub invitees: Result<Vec<String>, FieldError>,
    pub deadline: String,
    pub threshold: Result<Option<i64>, FieldError>,
    pub retention_days: Result<Option<i64>, FieldError>,
}

/// Checks a review to open against the instance's threshold `floor` at `now`. Every problem
/// is reported at once.
pub fn check_review(
    r: ReviewRequest,
    floor: u16,
    now: PrimitiveDateTime,
) -> Result<NewReview, Vec<FieldError>> {
    let mut errors = Vec::new();
    fn keep<T>(errors: &mut Vec<FieldError>, res: Result<T, FieldError>) -> Option<T> {
        res.map_err(|e| errors.push(e)).ok()
    }
    let title = keep(&mut errors, parse_title(&r.title));
    let incident_date = keep(
        &mut errors,
        parse_incident_date(&r.incident_date, now.date()),
    );
    let summary = keep(&mut errors, parse_summary(&r.summary));
    let invitees = keep(
        &mut errors,
        r.invitees.map_err(|mut e| {
            e.field = "invitees".into();
            e
        }),
    );
    let deadline = keep(&mut errors, parse_deadline(&r.deadline, now));
    let threshold = keep(
        &mut errors,
        r.threshold.and_then(|t| parse_review_threshold(t, floor)),
    );
    let retention_days = keep(&mut errors, r.retention_days.and_then(parse_retention));
    let mut team_ids: Vec<TeamId> = Vec::new();
    for t in r.team_ids {
        let t = TeamId::from(t.as_str().trim());
        if !t.as_str().is_empty() && !team_ids.contains(&t) {
            team_ids.push(t);
        }
    }
    if team_ids.is_empty() && invitees.as_ref().is_some_and(|i| i.is_empty()) {
        errors.push(FieldError::new(
            "invitees",
            "Invite at least one person: choose a team or paste a list.",
        ));
    }
    match (
        title,
        incident_date,
        summary,
        invitees,
        deadline,
        threshold,
        retention_days,
    ) {
        (
            Some(title),
            Some(incident_date),
            Some(summary),
            Some(invitees),
            Some(deadline),
            Some(threshold),
            Some(retention_days),
        ) if errors.is_empty() => Ok(NewReview {
            title,
            incident_date,
            summary,
            team_ids,
            invitees,
            deadline,
            threshold,
            retention_days,
        }),
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------- who may invite a team

/// Whether this user may invite a team's people to a review (G12): an admin any team, a
/// facilitator only a team whose leader or an admin allowed review invitations.
pub fn may_invite_team(user: &StaffUser, reviews_allowed: bool) -> bool {
    user.is_admin() || reviews_allowed
}
