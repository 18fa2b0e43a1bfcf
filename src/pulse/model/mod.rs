//! Pulse questions, the built-in team psychological-safety template, round statuses, and the
//! checks on everything a leader or a member sends (`input`, `validate`); scoring is in
//! `score`. Pure: no database, no request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;

mod input;
mod score;
#[cfg(test)]
mod tests;

pub use input::{
    check_question, check_question_text, check_round_input, check_template, parse_time, rfc3339,
    NewQuestion, RoundInput,
};
pub use score::{
    aggregate, rwg_j, uniform_variance, Aggregate, Enps, ItemAggregate, Moments, Texts,
};

/// Longest free-text answer or comment: a few paragraphs, enough to say what matters.
pub const MAX_TEXT_ANSWER: usize = 2_000;
pub const MAX_QUESTION_TEXT: usize = 300;
pub const MAX_CHOICE_OPTIONS: usize = 12;
pub const MAX_QUESTIONS: usize = 40;
pub const MAX_TITLE: usize = 120;

/// The seven items of the team psychological-safety scale, in our own words, each faithful
/// to one item of Edmondson (1999), "Psychological Safety and Learning Behavior in Work
/// Teams", Administrative Science Quarterly 44(2). Items 1, 3 and 5 are negatively worded
/// and reverse-scored.
pub const PSYCHOLOGICAL_SAFETY: [(&str, &str, bool); 7] = [
    (
        "ps1",
        "When someone on this team makes a mistake, it tends to be held against them.",
        true,
    ),
    (
        "ps2",
        "People on this team can raise problems and difficult issues.",
        false,
    ),
    (
        "ps3",
        "People on this team sometimes push others aside for being different.",
        true,
    ),
    ("ps4", "It feels safe to take a risk on this team.", false),
    ("ps5", "Asking others on this team for help is hard.", true),
    (
        "ps6",
        "Nobody on this team would knowingly act to undermine my work.",
        false,
    ),
    (
        "ps7",
        "Working with this team, my particular skills and talents are valued and put to use.",
        false,
    ),
];

/// The three reverse-scored items in their "higher is safer" form, for charts and tables
/// that show them after reverse scoring (issue 15): a line that rises under "mistakes are
/// held against them" reads backwards.
const SAFER_WORDING: [(&str, &str); 3] = [
    ("ps1", "Mistakes are not held against people on this team."),
    (
        "ps3",
        "Nobody on this team is pushed aside for being different.",
    ),
    ("ps5", "Asking others on this team for help is easy."),
];

/// How an item reads once reverse-scored, so higher is safer: the built-in items' positive
/// wording, any other reverse-scored item's own with that said. Others are unchanged.
pub fn safer_wording(text: &str, reverse: bool) -> String {
    if !reverse {
        return text.to_owned();
    }
    PSYCHOLOGICAL_SAFETY
        .iter()
        .find(|(_, t, _)| *t == text)
        .and_then(|(key, _, _)| SAFER_WORDING.iter().find(|(k, _)| k == key))
        .map_or_else(
            || format!("{text} (reverse-scored: higher is safer)"),
            |(_, safer)| (*safer).to_owned(),
        )
}

/// Said before a validated scale item's wording is changed, and when a change is refused for
/// want of the confirming tick.
pub const VALIDATED_WORDING: &str = "This item's wording was validated in research (Edmondson, 1999): with other words its answers no longer compare with that research or with this team's earlier rounds. Tick the box to change it anyway.";

pub const ENPS_TEXT: &str =
    "How likely are you to recommend this team as a place to work to a friend?";
pub const SOURCE_CITATION: &str = "Edmondson, A. (1999). Psychological Safety and Learning Behavior in Work Teams. Administrative Science Quarterly, 44(2), 350-383.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Scale,
    Enps,
    Choice,
    Text,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "scale" => Some(Self::Scale),
            "enps" => Some(Self::Enps),
            "choice" => Some(Self::Choice),
            "text" => Some(Self::Text),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scale => "scale",
            Self::Enps => "enps",
            Self::Choice => "choice",
            Self::Text => "text",
        }
    }
}

crate::typed_id!(
    /// A round's id (see `crate::id`); also its scope in `tokens` (`ScopeId::from(&id)`).
    RoundId
);

impl From<&RoundId> for crate::tokens::model::ScopeId {
    fn from(id: &RoundId) -> Self {
        Self::from(id.as_str())
    }
}

impl RoundId {
    /// The token scope this round is.
    pub fn scope(&self) -> crate::tokens::model::ScopeId {
        self.into()
    }
}

crate::typed_id!(
    /// A team question's id (see `crate::id`), as staff edit or remove it.
    QuestionId
);

/// Where a round is in its life. Stored as its lowercase name; the API shows the same word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoundStatus {
    /// Created with a future opening time: no roster, questions or key frozen yet.
    Scheduled,
    /// Frozen and taking answers.
    Open,
    /// Aggregated, shuffled, key destroyed: only the stored aggregate is read from now on.
    Closed,
}

impl RoundStatus {
    /// Reads a stored status. Anything unknown reads as closed, the state that shows and
    /// accepts the least.
    pub fn parse(s: &str) -> Self {
        match s {
            "scheduled" => Self::Scheduled,
            "open" => Self::Open,
            _ => Self::Closed,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// A question as a round froze it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Question {
    pub id: QuestionId,
    pub kind: Kind,
    pub text: String,
    pub min: i32,
    pub max: i32,
    pub options: Vec<String>,
    pub reverse: bool,
    pub required: bool,
    pub builtin: Option<String>,
}

impl Question {
    pub fn is_ps(&self) -> bool {
        self.builtin.as_deref().is_some_and(|b| b.starts_with("ps"))
    }
    /// The value after reverse scoring, on the same scale.
    pub fn scored(&self, v: i64) -> i64 {
        if self.reverse {
            i64::from(self.min + self.max) - v
        } else {
            v
        }
    }
}

/// Options of a choice question, one a line in storage.
pub fn split_options(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One stored answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Answer {
    #[schema(value_type = String)]
    pub question_id: QuestionId,
    /// A whole number for `scale` and `enps`, the option's text for `choice`, text for `text`.
    pub value: Value,
}

/// One stored response: the answers and the optional comment, with nothing about who sent it.
pub type Response = (Vec<Answer>, Option<String>);

/// What a member submitted, checked against the round's frozen questions. Nothing invalid
/// gets as far as spending the member's token.
pub fn validate(
    questions: &[Question],
    answers: &[Answer],
    comment: Option<&str>,
) -> Result<(Vec<Answer>, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for a in answers {
        if !seen.insert(a.question_id.as_str()) {
            errors.push(FieldError::new(
                &format!("q_{}", a.question_id),
                "This question was answered twice.",
            ));
        }
        if !questions.iter().any(|q| q.id == a.question_id) {
            errors.push(FieldError::new(
                "answers",
                format!("There is no question {} in this round.", a.question_id),
            ));
        }
    }
    for q in questions {
        let field = format!("q_{}", q.id);
        let given = answers
            .iter()
            .find(|a| a.question_id == q.id)
            .map(|a| &a.value)
            .filter(|v| !v.is_null());
        let given = given.filter(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()));
        let Some(v) = given else {
            if q.required {
                errors.push(FieldError::new(&field, "Please answer this question."));
            }
            continue;
        };
        match q.kind {
            Kind::Scale | Kind::Enps => {
                // A JSON number only: the no-JavaScript form's strings are parsed by its route,
                // so the API cannot be lenient by accident.
                match v.as_i64() {
                    Some(n) if n >= i64::from(q.min) && n <= i64::from(q.max) => out.push(Answer {
                        question_id: q.id.clone(),
                        value: Value::from(n),
                    }),
                    _ => errors.push(FieldError::new(
                        &field,
                        format!("Choose a whole number from {} to {}.", q.min, q.max),
                    )),
                }
            }
            Kind::Choice => match v.as_str().map(str::trim) {
                Some(s) if q.options.iter().any(|o| o == s) => out.push(Answer {
                    question_id: q.id.clone(),
                    value: Value::from(s),
                }),
                _ => errors.push(FieldError::new(&field, "Choose one of the options.")),
            },
            Kind::Text => match v.as_str().map(str::trim) {
                Some(s) if s.chars().count() <= MAX_TEXT_ANSWER => out.push(Answer {
                    question_id: q.id.clone(),
                    value: Value::from(s),
                }),
                Some(_) => errors.push(FieldError::new(
                    &field,
                    format!("Use at most {MAX_TEXT_ANSWER} characters."),
                )),
                None => errors.push(FieldError::new(&field, "Answer in words.")),
            },
        }
    }
    let comment = comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_TEXT_ANSWER)
    {
        errors.push(FieldError::new(
            "comment",
            format!("Use at most {MAX_TEXT_ANSWER} characters."),
        ));
    }
    if errors.is_empty() {
        Ok((out, comment))
    } else {
        Err(errors)
    }
}
