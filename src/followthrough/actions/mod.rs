//! Closing the loop's use cases, one function each, each one transaction through `Db::write`
//! or one read: `rounds` (a leader's actions after a round), `reviews` (a facilitator's
//! action items), `member` (what members read: their team's actions, the items of a review
//! they wrote for) and the counts the culture metrics read. Re-exported here.
//!
//! Who may see a round or a review is decided where it always is: `teams::store::team_for`
//! (a leader of the team, or an admin) and `reviews::actions::review_for` (a facilitator of
//! the review, or an admin).

mod member;
mod reviews;
mod rounds;

pub use member::*;
pub use reviews::*;
pub use rounds::*;

use super::model::{ActionView, Change, ItemView, Link, Status};
use super::store::{self, ActionRow, ItemRow};
use crate::auth::model::{StaffId, StaffUser};
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::reviews::model::ReviewId;
use crate::state::AppState;

/// The staff id of an owner named by email: an active staff member or nothing. A member's
/// label, or anyone else, is refused (422), so an action can never name a member.
fn owner_id(c: &mut DbConnection, owner: Option<&str>) -> Result<Option<StaffId>, AppError> {
    match owner {
        None => Ok(None),
        Some(email) => store::active_staff_id(c, email)?.map(Some).ok_or_else(|| {
            AppError::invalid("owner", "The owner must be an active staff member's email.")
        }),
    }
}

fn emails(
    c: &mut DbConnection,
    owners: impl Iterator<Item = Option<StaffId>>,
) -> Result<Vec<(StaffId, String)>, AppError> {
    let mut ids: Vec<StaffId> = owners.flatten().collect();
    if ids.is_empty() {
        // No query for nothing: member pages read this on every visit (issue 13).
        return Ok(vec![]);
    }
    ids.sort();
    ids.dedup();
    Ok(store::staff_emails(c, &ids)?)
}

fn email_of(all: &[(StaffId, String)], id: Option<&StaffId>) -> Option<String> {
    id.and_then(|id| all.iter().find(|(i, _)| i == id).map(|(_, e)| e.clone()))
}

/// Actions with their round's title, as views: owner emails and question wordings read once.
fn action_views(
    c: &mut DbConnection,
    rows: Vec<(ActionRow, String)>,
) -> Result<Vec<ActionView>, AppError> {
    let owners = emails(c, rows.iter().map(|(a, _)| a.owner_id.clone()))?;
    let mut rounds: Vec<_> = rows.iter().map(|(a, _)| a.round_id.clone()).collect();
    rounds.sort();
    rounds.dedup();
    let mut questions = Vec::new();
    for r in rounds {
        // The round's frozen questions belong to `pulse`; its store is read directly, as
        // other features still do until pulse offers an action for it.
        let qs = crate::pulse::store::round_questions(c, &r)?;
        questions.extend(qs.into_iter().map(|q| (r.clone(), q.id, q.text)));
    }
    Ok(rows
        .into_iter()
        .map(|(a, round_title)| ActionView {
            question: a.question_id.as_ref().and_then(|qid| {
                questions
                    .iter()
                    .find(|(r, id, _)| *r == a.round_id && id == qid)
                    .map(|(_, _, t)| t.clone())
            }),
            owner: email_of(&owners, a.owner_id.as_ref()),
            status: Status::stored(&a.status),
            id: a.id,
            round_id: a.round_id,
            round_title,
            team_id: a.team_id,
            text: a.text,
            question_id: a.question_id,
            theme: a.theme,
            due_on: a.due_on,
            done_on: a.done_on,
        })
        .collect())
}

/// Action items as views, with their review's title.
fn item_views(
    c: &mut DbConnection,
    rows: Vec<(ItemRow, Vec<Link>)>,
    title: impl Fn(&ReviewId) -> String,
) -> Result<Vec<ItemView>, AppError> {
    let owners = emails(c, rows.iter().map(|(i, _)| i.owner_id.clone()))?;
    Ok(rows
        .into_iter()
        .map(|(i, links)| ItemView {
            owner: email_of(&owners, i.owner_id.as_ref()),
            status: Status::stored(&i.status),
            review_title: title(&i.review_id),
            id: i.id,
            review_id: i.review_id,
            text: i.text,
            due_on: i.due_on,
            links,
        })
        .collect())
}

/// The fields a change may set, alike on an action and an action item.
struct Editable<'a> {
    text: &'a mut String,
    owner_id: &'a mut Option<StaffId>,
    due_on: &'a mut Option<time::Date>,
    status: &'a mut String,
    /// The day an action was marked done; `None` for an item, which keeps no done day:
    /// nothing counts items against a deadline.
    done_on: Option<&'a mut Option<time::Date>>,
}

/// An action or an action item as a change sees it: the fields `apply_change` may set.
trait Changeable: Send + 'static {
    fn fields(&mut self) -> Editable<'_>;
}

impl Changeable for ActionRow {
    fn fields(&mut self) -> Editable<'_> {
        Editable {
            text: &mut self.text,
            owner_id: &mut self.owner_id,
            due_on: &mut self.due_on,
            status: &mut self.status,
            done_on: Some(&mut self.done_on),
        }
    }
}

impl Changeable for ItemRow {
    fn fields(&mut self) -> Editable<'_> {
        Editable {
            text: &mut self.text,
            owner_id: &mut self.owner_id,
            due_on: &mut self.due_on,
            status: &mut self.status,
            done_on: None,
        }
    }
}

/// Changes an action or an action item in one transaction. `open` reads the row and checks
/// the caller may change it (a leader of its team, a facilitator of its review), returning
/// what the audit line names; the change's own errors come only after that check, so someone
/// who may not see the row learns nothing from them. `close` writes the row and its audit
/// line and reads it back as a view.
async fn change<R, A, V>(
    state: &AppState,
    user: &StaffUser,
    checked: Result<Change, Vec<FieldError>>,
    open: impl FnOnce(&mut DbConnection, &StaffUser) -> Result<(R, A), AppError> + Send + 'static,
    close: impl FnOnce(&mut DbConnection, &StaffUser, R, A) -> Result<V, AppError> + Send + 'static,
) -> Result<V, AppError>
where
    R: Changeable,
    A: Send + 'static,
    V: Send + 'static,
{
    let user = user.clone();
    let today = state.clock.today();
    state
        .db
        .write(move |c| {
            let (mut row, named) = open(c, &user)?;
            let ch = checked.map_err(AppError::Invalid)?;
            apply_change(c, ch, row.fields(), today)?;
            close(c, &user, row, named)
        })
        .await
}

/// Applies a checked change to an action's or an item's fields, in the caller's
/// transaction: an owner must be active staff (422 otherwise).
fn apply_change(
    c: &mut DbConnection,
    ch: Change,
    row: Editable<'_>,
    today: time::Date,
) -> Result<(), AppError> {
    if let Some(t) = ch.text {
        *row.text = t;
    }
    if let Some(o) = ch.owner {
        *row.owner_id = owner_id(c, o.as_deref())?;
    }
    if let Some(d) = ch.due_on {
        *row.due_on = d;
    }
    if let Some(s) = ch.status {
        let mut none = None;
        apply_status(row.status, row.done_on.unwrap_or(&mut none), s, today);
    }
    Ok(())
}

/// Applies a checked change to a stored status and its `done_on`: marking done records the
/// day (never a time); leaving done forgets it.
fn apply_status(
    status: &mut String,
    done_on: &mut Option<time::Date>,
    to: Status,
    today: time::Date,
) {
    let was = Status::stored(status);
    if to == Status::Done && was != Status::Done {
        *done_on = Some(today);
    } else if to != Status::Done {
        *done_on = None;
    }
    *status = to.as_str().to_owned();
}
