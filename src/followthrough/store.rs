//! Queries for actions after rounds and action items from reviews. Queries only: who may do
//! what, and whether a question or an account number may be named, is decided in `actions`.

use diesel::prelude::*;
use time::Date;

use super::model::{ActionId, ItemId, Link, NewAction, NewItem, Status};
use crate::auth::model::StaffId;
use crate::clock::recorded_at;
use crate::db::schema::{review_item_links, review_items, round_actions, rounds, staff_users};
use crate::db::DbConnection;
use crate::id::OptionalId;
use crate::pulse::model::{QuestionId, RoundId};
use crate::reviews::model::ReviewId;
use crate::secret::new_id;
use crate::teams::model::TeamId;

/// An action as stored, with its owner's email read beside it.
#[derive(Queryable, Clone, Debug)]
pub struct ActionRow {
    #[diesel(deserialize_as = String)]
    pub id: ActionId,
    #[diesel(deserialize_as = String)]
    pub round_id: RoundId,
    #[diesel(deserialize_as = String)]
    pub team_id: TeamId,
    pub text: String,
    #[diesel(deserialize_as = OptionalId)]
    pub question_id: Option<QuestionId>,
    pub theme: Option<String>,
    #[diesel(deserialize_as = OptionalId)]
    pub owner_id: Option<StaffId>,
    pub due_on: Option<Date>,
    pub status: String,
    pub done_on: Option<Date>,
    #[diesel(deserialize_as = String)]
    pub created_by: StaffId,
    pub created_at: time::PrimitiveDateTime,
}

/// An action item as stored.
#[derive(Queryable, Clone, Debug)]
pub struct ItemRow {
    #[diesel(deserialize_as = String)]
    pub id: ItemId,
    #[diesel(deserialize_as = String)]
    pub review_id: ReviewId,
    pub text: String,
    #[diesel(deserialize_as = OptionalId)]
    pub owner_id: Option<StaffId>,
    pub due_on: Option<Date>,
    pub status: String,
    #[diesel(deserialize_as = String)]
    pub created_by: StaffId,
    pub created_at: time::PrimitiveDateTime,
}

/// The id of the active staff member with this email, if there is one.
pub fn active_staff_id(conn: &mut DbConnection, email: &str) -> QueryResult<Option<StaffId>> {
    let id: Option<String> = staff_users::table
        .filter(staff_users::email.eq(email))
        .filter(staff_users::active.eq(true))
        .select(staff_users::id)
        .first(conn)
        .optional()?;
    Ok(id.map(StaffId::from))
}

/// `(id, email)` of the staff named by these ids.
pub fn staff_emails(
    conn: &mut DbConnection,
    ids: &[StaffId],
) -> QueryResult<Vec<(StaffId, String)>> {
    let rows: Vec<(String, String)> = staff_users::table
        .filter(staff_users::id.eq_any(ids.iter().map(StaffId::as_str)))
        .select((staff_users::id, staff_users::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, e)| (StaffId::from(id), e))
        .collect())
}

/// Every active staff email, for the owner pickers.
pub fn list_staff_emails(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    staff_users::table
        .filter(staff_users::active.eq(true))
        .select(staff_users::email)
        .order(staff_users::email)
        .load(conn)
}

// ---------------------------------------------------------------- actions after rounds

pub fn insert_action(
    conn: &mut DbConnection,
    round_id: &RoundId,
    team_id: &TeamId,
    a: &NewAction,
    owner_id: Option<&StaffId>,
    created_by: &StaffId,
) -> QueryResult<ActionId> {
    let id = new_id();
    diesel::insert_into(round_actions::table)
        .values((
            round_actions::id.eq(&id),
            round_actions::round_id.eq(round_id.as_str()),
            round_actions::team_id.eq(team_id.as_str()),
            round_actions::text.eq(&a.text),
            round_actions::question_id.eq(a.question_id.as_ref().map(QuestionId::as_str)),
            round_actions::theme.eq(&a.theme),
            round_actions::owner_id.eq(owner_id.map(StaffId::as_str)),
            round_actions::due_on.eq(a.due_on),
            round_actions::status.eq(Status::Planned.as_str()),
            round_actions::done_on.eq(None::<Date>),
            round_actions::created_by.eq(created_by.as_str()),
            round_actions::created_at.eq(recorded_at()),
        ))
        .execute(conn)?;
    Ok(ActionId::from(id))
}

pub fn find_action(conn: &mut DbConnection, id: &ActionId) -> QueryResult<ActionRow> {
    round_actions::table.find(id.as_str()).first(conn)
}

/// Writes an action's fields back as given.
pub fn put_action(conn: &mut DbConnection, a: &ActionRow) -> QueryResult<usize> {
    diesel::update(round_actions::table.find(a.id.as_str()))
        .set((
            round_actions::text.eq(&a.text),
            round_actions::owner_id.eq(a.owner_id.as_ref().map(StaffId::as_str)),
            round_actions::due_on.eq(a.due_on),
            round_actions::status.eq(&a.status),
            round_actions::done_on.eq(a.done_on),
        ))
        .execute(conn)
}

/// The actions of these teams, oldest round first, then in the order they were recorded.
pub fn list_team_actions(
    conn: &mut DbConnection,
    team_ids: &[TeamId],
) -> QueryResult<Vec<(ActionRow, String)>> {
    round_actions::table
        .inner_join(rounds::table)
        .filter(round_actions::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .select((round_actions::all_columns, rounds::title))
        .order((
            rounds::opens_at.asc(),
            rounds::id,
            round_actions::created_at,
            round_actions::id,
        ))
        .load(conn)
}

/// `(team_id, round_id, done_on)` of every action of these teams, for the follow-through
/// counts.
pub fn action_done_days(
    conn: &mut DbConnection,
    team_ids: &[TeamId],
) -> QueryResult<Vec<(TeamId, RoundId, Option<Date>)>> {
    let rows: Vec<(String, String, String, Option<Date>)> = round_actions::table
        .filter(round_actions::team_id.eq_any(team_ids.iter().map(TeamId::as_str)))
        .select((
            round_actions::team_id,
            round_actions::round_id,
            round_actions::status,
            round_actions::done_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(t, r, s, d)| {
            let done = d.filter(|_| Status::stored(&s) == Status::Done);
            (TeamId::from(t), RoundId::from(r), done)
        })
        .collect())
}

// ---------------------------------------------------------------- action items from reviews

pub fn insert_item(
    conn: &mut DbConnection,
    review_id: &ReviewId,
    i: &NewItem,
    owner_id: Option<&StaffId>,
    created_by: &StaffId,
) -> QueryResult<ItemId> {
    let id = new_id();
    diesel::insert_into(review_items::table)
        .values((
            review_items::id.eq(&id),
            review_items::review_id.eq(review_id.as_str()),
            review_items::text.eq(&i.text),
            review_items::owner_id.eq(owner_id.map(StaffId::as_str)),
            review_items::due_on.eq(i.due_on),
            review_items::status.eq(Status::Planned.as_str()),
            review_items::created_by.eq(created_by.as_str()),
            review_items::created_at.eq(recorded_at()),
        ))
        .execute(conn)?;
    for l in &i.links {
        diesel::insert_into(review_item_links::table)
            .values((
                review_item_links::item_id.eq(&id),
                review_item_links::account_position.eq(l.account),
                review_item_links::entry.eq(l.entry.unwrap_or(0)),
            ))
            .execute(conn)?;
    }
    Ok(ItemId::from(id))
}

pub fn find_item(conn: &mut DbConnection, id: &ItemId) -> QueryResult<ItemRow> {
    review_items::table.find(id.as_str()).first(conn)
}

pub fn put_item(conn: &mut DbConnection, i: &ItemRow) -> QueryResult<usize> {
    diesel::update(review_items::table.find(i.id.as_str()))
        .set((
            review_items::text.eq(&i.text),
            review_items::owner_id.eq(i.owner_id.as_ref().map(StaffId::as_str)),
            review_items::due_on.eq(i.due_on),
            review_items::status.eq(&i.status),
        ))
        .execute(conn)
}

/// The action items of these reviews, in the order they were recorded, each with its links.
pub fn list_items(
    conn: &mut DbConnection,
    review_ids: &[ReviewId],
) -> QueryResult<Vec<(ItemRow, Vec<Link>)>> {
    let items: Vec<ItemRow> = review_items::table
        .filter(review_items::review_id.eq_any(review_ids.iter().map(ReviewId::as_str)))
        .order((review_items::created_at, review_items::id))
        .load(conn)?;
    if items.is_empty() {
        // A member's landing page asks for every scope it has; most hold no item.
        return Ok(vec![]);
    }
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let links: Vec<(String, i32, i32)> = review_item_links::table
        .filter(review_item_links::item_id.eq_any(&ids))
        .select((
            review_item_links::item_id,
            review_item_links::account_position,
            review_item_links::entry,
        ))
        .order((
            review_item_links::account_position,
            review_item_links::entry,
        ))
        .load(conn)?;
    Ok(items
        .into_iter()
        .map(|i| {
            let mine = links
                .iter()
                .filter(|(id, _, _)| id == i.id.as_str())
                .map(|(_, a, e)| Link {
                    account: *a,
                    entry: (*e > 0).then_some(*e),
                })
                .collect();
            (i, mine)
        })
        .collect())
}
