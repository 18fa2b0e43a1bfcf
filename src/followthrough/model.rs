//! What closing the loop records, and every rule its input must meet: typed ids, the status
//! an action or item is in, and the checks on text, dates, owners and links. Pure: no
//! database, no request.

use time::Date;

use crate::error::FieldError;
use crate::pulse::model::{QuestionId, RoundId};
use crate::reviews::model::ReviewId;
use crate::teams::model::TeamId;

crate::typed_id!(
    /// An action a leader recorded after a round (see `crate::id`).
    ActionId
);
crate::typed_id!(
    /// An action item a facilitator recorded while reading a review (see `crate::id`).
    ItemId
);

/// Longest action or action item: a commitment in a sentence or two, not a plan.
pub const MAX_TEXT: usize = 500;
/// Longest comment theme ("workload", "on-call handovers"): a few words.
pub const MAX_THEME: usize = 120;
/// Most links one action item carries: more is the whole review, which needs none.
pub const MAX_LINKS: usize = 20;

/// Where an action or item stands. Stored and sent as its lowercase name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Planned,
    Doing,
    Done,
    Dropped,
}

impl Status {
    pub const ALL: [Status; 4] = [Self::Planned, Self::Doing, Self::Done, Self::Dropped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Doing => "doing",
            Self::Done => "done",
            Self::Dropped => "dropped",
        }
    }

    /// The word people read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "Planned",
            Self::Doing => "In progress",
            Self::Done => "Done",
            Self::Dropped => "Dropped",
        }
    }

    /// Input from a form or the API: anything else is a field error.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new("status", "Choose planned, doing, done or dropped."))
    }

    /// A stored status. Anything unknown reads as planned: it promises nothing done.
    pub fn stored(raw: &str) -> Self {
        Self::parse(raw).unwrap_or(Self::Planned)
    }
}

/// One line, whitespace collapsed, not empty, at most `max` characters.
fn one_line(field: &str, raw: &str, max: usize, empty: &str) -> Result<String, FieldError> {
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return Err(FieldError::new(field, empty));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    Ok(t)
}

pub fn parse_text(raw: &str) -> Result<String, FieldError> {
    one_line("text", raw, MAX_TEXT, "Say what will be done.")
}

/// A comment theme; blank is none.
pub fn parse_theme(raw: &str) -> Result<Option<String>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    one_line("theme", raw, MAX_THEME, "").map(Some)
}

/// A due day as `YYYY-MM-DD`; blank is none. A day only: nothing a member reads carries a
/// time.
pub fn parse_due(raw: &str) -> Result<Option<Date>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw, &fmt)
        .map(Some)
        .map_err(|_| FieldError::new("due_on", "Enter the due date as YYYY-MM-DD."))
}

/// An owner's email as typed; blank is none. Whether it names active staff is the action's
/// check (it needs the database).
pub fn parse_owner(raw: &str) -> Option<String> {
    let o = raw.trim().to_lowercase();
    (!o.is_empty()).then_some(o)
}

/// An action as recorded, checked.
#[derive(Clone, Debug)]
pub struct NewAction {
    pub text: String,
    pub question_id: Option<QuestionId>,
    pub theme: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<Date>,
}

/// What an action or an action item was raised as: the form's or the API's fields, before
/// checking.
#[derive(Clone, Debug, Default)]
pub struct ActionRequest {
    pub text: String,
    /// Absent (or blank) when the action answers no one question.
    pub question_id: Option<QuestionId>,
    pub theme: String,
    pub owner: String,
    pub due_on: String,
}

/// Checks a new action; every problem at once.
pub fn check_action(r: &ActionRequest) -> Result<NewAction, Vec<FieldError>> {
    let mut errors = vec![];
    let text = parse_text(&r.text).map_err(|e| errors.push(e)).ok();
    let theme = parse_theme(&r.theme).map_err(|e| errors.push(e)).ok();
    let due_on = parse_due(&r.due_on).map_err(|e| errors.push(e)).ok();
    let question_id = r
        .question_id
        .as_ref()
        .map(|q| q.as_str().trim())
        .filter(|q| !q.is_empty())
        .map(QuestionId::from);
    match (text, theme, due_on) {
        (Some(text), Some(theme), Some(due_on)) if errors.is_empty() => Ok(NewAction {
            text,
            question_id,
            theme,
            owner: parse_owner(&r.owner),
            due_on,
        }),
        _ => Err(errors),
    }
}

/// A change to an action or item: each field present is set; `Some(None)` clears an
/// optional one.
#[derive(Clone, Debug, Default)]
pub struct Change {
    pub text: Option<String>,
    pub status: Option<Status>,
    pub owner: Option<Option<String>>,
    pub due_on: Option<Option<Date>>,
}

/// A change as sent: `None` where a field was left out, `Some("")` to clear it.
#[derive(Clone, Debug, Default)]
pub struct ChangeRequest {
    pub text: Option<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<String>,
}

pub fn check_change(r: &ChangeRequest) -> Result<Change, Vec<FieldError>> {
    let mut errors = vec![];
    let mut c = Change::default();
    if let Some(t) = &r.text {
        c.text = parse_text(t).map_err(|e| errors.push(e)).ok();
    }
    if let Some(s) = &r.status {
        c.status = Status::parse(s).map_err(|e| errors.push(e)).ok();
    }
    if let Some(o) = &r.owner {
        c.owner = Some(parse_owner(o));
    }
    if let Some(d) = &r.due_on {
        c.due_on = parse_due(d).map_err(|e| errors.push(e)).ok();
    }
    if errors.is_empty() {
        Ok(c)
    } else {
        Err(errors)
    }
}

/// What raised an action item: a released account by its number (1-based, as facilitators
/// read it), and optionally one of its timeline entries (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub account: i32,
    pub entry: Option<i32>,
}

impl Link {
    /// "Account 2" or "Account 2, timeline entry 3".
    pub fn label(&self) -> String {
        match self.entry {
            Some(e) => format!("Account {}, timeline entry {e}", self.account),
            None => format!("Account {}", self.account),
        }
    }

    /// The form's value for a link: `2` or `2.3`.
    pub fn key(&self) -> String {
        match self.entry {
            Some(e) => format!("{}.{e}", self.account),
            None => self.account.to_string(),
        }
    }

    /// Reads a form's `2` or `2.3`.
    pub fn parse_key(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("links", "Choose accounts from the list.");
        let (a, e) = match raw.trim().split_once('.') {
            Some((a, e)) => (a, Some(e)),
            None => (raw.trim(), None),
        };
        let account = a.parse::<i32>().map_err(|_| bad())?;
        let entry = e.map(|e| e.parse::<i32>().map_err(|_| bad())).transpose()?;
        Self::new(account, entry)
    }

    pub fn new(account: i32, entry: Option<i32>) -> Result<Self, FieldError> {
        if account < 1 || entry.is_some_and(|e| e < 1) {
            return Err(FieldError::new(
                "links",
                "Accounts and timeline entries are numbered from 1.",
            ));
        }
        Ok(Self { account, entry })
    }
}

/// A new action item, checked: the action's fields and what raised it.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub text: String,
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub links: Vec<Link>,
}

pub fn check_item(
    r: &ActionRequest,
    links: Result<Vec<Link>, FieldError>,
) -> Result<NewItem, Vec<FieldError>> {
    let mut errors = vec![];
    let text = parse_text(&r.text).map_err(|e| errors.push(e)).ok();
    let due_on = parse_due(&r.due_on).map_err(|e| errors.push(e)).ok();
    let links = match links {
        Ok(mut l) if l.len() <= MAX_LINKS => {
            l.sort();
            l.dedup();
            Some(l)
        }
        Ok(_) => {
            errors.push(FieldError::new(
                "links",
                format!("Link at most {MAX_LINKS} accounts or entries."),
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    match (text, due_on, links) {
        (Some(text), Some(due_on), Some(links)) if errors.is_empty() => Ok(NewItem {
            text,
            owner: parse_owner(&r.owner),
            due_on,
            links,
        }),
        _ => Err(errors),
    }
}

/// An action after a round as staff and members read it.
#[derive(Clone, Debug)]
pub struct ActionView {
    pub id: ActionId,
    pub round_id: RoundId,
    pub round_title: String,
    pub team_id: TeamId,
    pub text: String,
    pub question_id: Option<QuestionId>,
    /// The question's wording, when the action answers one.
    pub question: Option<String>,
    pub theme: Option<String>,
    /// The owner's email: always a staff member's.
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub status: Status,
    pub done_on: Option<Date>,
}

/// An action item of a review as staff read it; members get it without its links.
#[derive(Clone, Debug)]
pub struct ItemView {
    pub id: ItemId,
    pub review_id: ReviewId,
    pub review_title: String,
    pub text: String,
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub status: Status,
    pub links: Vec<Link>,
}

/// Actions and their follow-through for one closed round, for the culture metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundFollowThrough {
    pub team_id: TeamId,
    pub round_id: RoundId,
    pub round_title: String,
    pub closed_on: Option<Date>,
    pub actions: i64,
    /// Done by the day the team's next round closed; `None` while no later round has closed.
    pub done_by_next: Option<i64>,
}

/// Counts one team's closed rounds' actions, given its closed rounds in order of opening as
/// `(id, title, closed_on)` and every action as `(round_id, done_on)`. An action counts as
/// done by the next round when it was marked done on or before the day the next round
/// closed.
pub fn follow_through(
    team_id: &TeamId,
    rounds: &[(RoundId, String, Option<Date>)],
    actions: &[(RoundId, Option<Date>)],
) -> Vec<RoundFollowThrough> {
    rounds
        .iter()
        .enumerate()
        .map(|(i, (id, title, closed_on))| {
            let mine: Vec<&Option<Date>> = actions
                .iter()
                .filter(|(r, _)| r == id)
                .map(|(_, d)| d)
                .collect();
            let next_close = rounds.get(i + 1).and_then(|(_, _, c)| *c);
            RoundFollowThrough {
                team_id: team_id.clone(),
                round_id: id.clone(),
                round_title: title.clone(),
                closed_on: *closed_on,
                actions: mine.len() as i64,
                done_by_next: next_close.map(|next| {
                    mine.iter().filter(|d| d.is_some_and(|d| d <= next)).count() as i64
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_one_of_four_words() {
        assert_eq!(Status::parse(" done ").unwrap(), Status::Done);
        assert!(Status::parse("finished").is_err());
        assert_eq!(Status::stored("???"), Status::Planned);
    }

    #[test]
    fn text_must_be_said_and_short() {
        assert!(parse_text("   ").is_err());
        assert!(parse_text(&"x".repeat(MAX_TEXT + 1)).is_err());
        assert_eq!(parse_text(" a \n b ").unwrap(), "a b");
    }

    #[test]
    fn a_due_date_is_a_day() {
        assert!(parse_due("2026-13-01").is_err());
        assert!(parse_due("2026-12-01T10:00").is_err());
        assert_eq!(parse_due("").unwrap(), None);
        assert!(parse_due("2026-12-01").unwrap().is_some());
    }

    #[test]
    fn links_are_numbered_from_one() {
        assert_eq!(
            Link::parse_key("2.3").unwrap(),
            Link {
                account: 2,
                entry: Some(3)
            }
        );
        assert!(Link::parse_key("0").is_err());
        assert!(Link::parse_key("2.0").is_err());
        assert!(Link::parse_key("abc").is_err());
        assert_eq!(Link::parse_key("4").unwrap().key(), "4");
    }

    #[test]
    fn done_by_next_waits_for_the_next_close() {
        let d = |n: u8| Date::from_calendar_date(2026, time::Month::March, n).unwrap();
        let rounds = vec![
            (RoundId::from("r1"), "One".to_owned(), Some(d(1))),
            (RoundId::from("r2"), "Two".to_owned(), Some(d(10))),
        ];
        let actions = vec![
            (RoundId::from("r1"), Some(d(5))),
            (RoundId::from("r1"), Some(d(11))),
            (RoundId::from("r1"), None),
            (RoundId::from("r2"), Some(d(12))),
        ];
        let f = follow_through(&TeamId::from("t"), &rounds, &actions);
        assert_eq!((f[0].actions, f[0].done_by_next), (3, Some(1)));
        assert_eq!((f[1].actions, f[1].done_by_next), (1, None));
    }
}
