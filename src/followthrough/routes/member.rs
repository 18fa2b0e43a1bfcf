//! What members read of the loop, as JSON: the DTOs `POST /participate` (in `members`) adds
//! to what an invite opens. Days only, no ids, no links to accounts, and no owner: an owner
//! is a staff member's email, and member pages carry no one's email (G14). The member
//! routes themselves are `members`' and `reviews`'; this feature adds no route of its own to
//! the member table.

use serde::Serialize;
use utoipa::ToSchema;

use crate::followthrough::model::{ActionView, ItemView};

fn day(d: Option<time::Date>) -> Option<String> {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
}

/// An action a team's lead committed to after a round: "you said, we did".
#[derive(Serialize, ToSchema)]
pub struct MemberActionJson {
    /// The round it followed.
    round_title: String,
    text: String,
    /// `planned`, `doing`, `done` or `dropped`.
    #[schema(value_type = String)]
    status: &'static str,
    /// The wording of the question it answers.
    question: Option<String>,
    /// The comment theme it answers.
    theme: Option<String>,
    /// `YYYY-MM-DD`: a day, never a time.
    due_on: Option<String>,
    /// `YYYY-MM-DD`: the day it was marked done.
    done_on: Option<String>,
}

impl From<&ActionView> for MemberActionJson {
    fn from(a: &ActionView) -> Self {
        Self {
            round_title: a.round_title.clone(),
            text: a.text.clone(),
            status: a.status.as_str(),
            question: a.question.clone(),
            theme: a.theme.clone(),
            due_on: day(a.due_on),
            done_on: day(a.done_on),
        }
    }
}

/// An action item of a review the member was invited to; never which accounts raised it.
#[derive(Serialize, ToSchema)]
pub struct MemberItemJson {
    review_title: String,
    text: String,
    /// `planned`, `doing`, `done` or `dropped`.
    #[schema(value_type = String)]
    status: &'static str,
    /// `YYYY-MM-DD`.
    due_on: Option<String>,
}

impl From<&ItemView> for MemberItemJson {
    fn from(i: &ItemView) -> Self {
        Self {
            review_title: i.review_title.clone(),
            text: i.text.clone(),
            status: i.status.as_str(),
            due_on: day(i.due_on),
        }
    }
}
