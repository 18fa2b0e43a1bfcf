//! What a leader sends to open a round or shape the questionnaire, checked into values that
//! cannot be wrong. Pure: the caller passes the time, so the checks are testable.

use time::PrimitiveDateTime;

use super::{split_options, Kind, MAX_CHOICE_OPTIONS, MAX_QUESTION_TEXT, MAX_TITLE};
use crate::error::FieldError;

/// Reads an RFC 3339 time (API) or a `datetime-local` value taken as UTC (forms).
pub fn parse_time(field: &str, raw: &str) -> Result<Option<PrimitiveDateTime>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
    {
        let t = t.to_offset(time::UtcOffset::UTC);
        return Ok(Some(PrimitiveDateTime::new(t.date(), t.time())));
    }
    let local = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let local_s =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(raw, &local)
        .or_else(|_| PrimitiveDateTime::parse(raw, &local_s))
        .map(Some)
        .map_err(|_| FieldError::new(field, "Enter a date and time like 2026-12-01T17:00 (UTC)."))
}

pub fn rfc3339(t: PrimitiveDateTime) -> String {
    t.assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A round as a leader asked for it, checked: a title, and an opening time only if it is in
/// the future (otherwise the round opens now).
#[derive(Clone, Debug, PartialEq)]
pub struct RoundInput {
    pub title: String,
    pub opens_at: Option<PrimitiveDateTime>,
    pub closes_at: Option<PrimitiveDateTime>,
}

pub fn check_round_input(
    title: &str,
    opens: &str,
    closes: &str,
    now: PrimitiveDateTime,
) -> Result<RoundInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = if title.is_empty() {
        format!("Pulse {}", now.date())
    } else {
        title
    };
    if title.chars().count() > MAX_TITLE {
        errors.push(FieldError::new(
            "title",
            format!("Use at most {MAX_TITLE} characters."),
        ));
    }
    let opens_at = parse_time("opens_at", opens)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let closes_at = parse_time("closes_at", closes)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let Some(c) = closes_at {
        if c <= now {
            errors.push(FieldError::new(
                "closes_at",
                "The closing time must be in the future.",
            ));
        } else if opens_at.is_some_and(|o| c <= o) {
            errors.push(FieldError::new(
                "closes_at",
                "The round must close after it opens.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(RoundInput {
            title,
            opens_at: opens_at.filter(|o| *o > now),
            closes_at,
        })
    } else {
        Err(errors)
    }
}

/// `template` names the team's questionnaire: `psychological-safety` (the default) is the
/// built-in seven items and eNPS plus whatever custom items the team's leaders added.
pub fn check_template(template: Option<&str>) -> Result<(), FieldError> {
    match template.filter(|t| *t != "psychological-safety" && *t != "team") {
        Some(t) => Err(FieldError::new(
            "template",
            format!("unknown template {t:?}: use \"psychological-safety\""),
        )),
        None => Ok(()),
    }
}

/// A new custom question as a leader wrote it, already checked.
#[derive(Clone, Debug, PartialEq)]
pub struct NewQuestion {
    pub kind: Kind,
    pub text: String,
    pub scale_points: i32,
    pub options: Vec<String>,
    pub required: bool,
}

/// A custom question, checked. `kind` is scale7, scale5, choice or text.
pub fn check_question(
    kind: &str,
    text: &str,
    options: &str,
    required: bool,
) -> Result<NewQuestion, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        errors.push(FieldError::new("text", "Write the question."));
    } else if text.chars().count() > MAX_QUESTION_TEXT {
        errors.push(FieldError::new(
            "text",
            format!("Use at most {MAX_QUESTION_TEXT} characters."),
        ));
    }
    let (kind, points) = match kind {
        "scale7" | "scale" => (Kind::Scale, 7),
        "scale5" => (Kind::Scale, 5),
        "choice" => (Kind::Choice, 0),
        "text" => (Kind::Text, 0),
        _ => {
            errors.push(FieldError::new(
                "kind",
                "Choose agreement (5 or 7 points), single choice or free text.",
            ));
            (Kind::Text, 0)
        }
    };
    let options = split_options(options);
    if kind == Kind::Choice {
        let unique: std::collections::HashSet<&String> = options.iter().collect();
        if options.len() < 2 || options.len() > MAX_CHOICE_OPTIONS || unique.len() != options.len()
        {
            errors.push(FieldError::new(
                "options",
                format!("Give 2 to {MAX_CHOICE_OPTIONS} different options, one a line."),
            ));
        }
        if options.iter().any(|o| o.chars().count() > 100) {
            errors.push(FieldError::new(
                "options",
                "Keep each option under 100 characters.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(NewQuestion {
            kind,
            text,
            scale_points: points,
            options: if kind == Kind::Choice {
                options
            } else {
                vec![]
            },
            required,
        })
    } else {
        Err(errors)
    }
}

/// New wording for an existing question, whitespace folded.
pub fn check_question_text(text: &str) -> Result<String, FieldError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() || text.chars().count() > MAX_QUESTION_TEXT {
        Err(FieldError::new(
            "text",
            format!("Write the question in 1 to {MAX_QUESTION_TEXT} characters."),
        ))
    } else {
        Ok(text)
    }
}
