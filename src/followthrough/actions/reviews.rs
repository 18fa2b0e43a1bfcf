//! A facilitator's action items from a review: record them while reading the accounts, link
//! them to the released accounts and timeline entries that raised them, change them, export
//! them. Access is the review's: a facilitator of it, or an admin; never a leader.
//!
//! A link names an account by the number facilitators read it under (its release position),
//! never its row id, and only an account already released: a held account cannot be named,
//! and the refusal is the same for a held account and one that does not exist, so the form
//! says nothing of what is held.

use super::{change, item_views, owner_id};
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::followthrough::model::{Change, ItemId, ItemView, Link, NewItem};
use crate::followthrough::store::{self, ItemRow};
use crate::reviews::actions::review_for;
use crate::reviews::model::{ReviewId, ReviewRow};
use crate::state::AppState;

/// A released account as the link picker offers it: its number and its timeline entries'
/// first words.
pub struct Linkable {
    pub account: i32,
    pub entries: Vec<String>,
}

/// A review's action items and what they may link to.
pub struct ReviewItems {
    pub review: ReviewRow,
    pub items: Vec<ItemView>,
    pub linkable: Vec<Linkable>,
    pub staff: Vec<String>,
}

/// Released accounts only, by number. Reading this releases nothing: a batch comes due on
/// the review's own page, as it always has.
fn linkable(c: &mut DbConnection, review: &ReviewRow) -> Result<Vec<Linkable>, AppError> {
    if review.purged_on.is_some() {
        return Ok(vec![]);
    }
    // The accounts are `reviews`' rows; its store is read directly, as it reads `teams`'.
    let mut out = vec![];
    for (a, _) in crate::reviews::store::released_accounts(c, &review.id)? {
        let acc = a.account()?;
        out.push(Linkable {
            account: a.position,
            entries: acc
                .timeline
                .iter()
                .map(|e| {
                    let t: String = e.text.chars().take(60).collect();
                    match &e.time {
                        Some(time) => format!("{time} {t}"),
                        None => t,
                    }
                })
                .collect(),
        });
    }
    Ok(out)
}

fn items_of(c: &mut DbConnection, review: &ReviewRow) -> Result<Vec<ItemView>, AppError> {
    let rows = store::list_items(c, std::slice::from_ref(&review.id))?;
    let title = review.title.clone();
    item_views(c, rows, |_| title.clone())
}

/// A review's action items, for its facilitators.
pub async fn review_items(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
) -> Result<ReviewItems, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let review = review_for(c, &user, &review_id)?;
            Ok(ReviewItems {
                items: items_of(c, &review)?,
                linkable: linkable(c, &review)?,
                staff: store::list_staff_emails(c)?,
                review,
            })
        })
        .await
}

/// The one refusal for a link to anything not shown: held, or not there at all.
fn not_shown(l: &Link) -> AppError {
    AppError::invalid(
        "links",
        format!(
            "{} is not among the accounts shown to you; link only what you have read.",
            l.label()
        ),
    )
}

/// Records an action item, checking each link against the released accounts.
pub async fn record_item(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
    checked: Result<NewItem, Vec<FieldError>>,
) -> Result<ItemView, AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let review = review_for(c, &user, &review_id)?;
            let item = checked.map_err(AppError::Invalid)?;
            let shown = linkable(c, &review)?;
            for l in &item.links {
                let acc = shown
                    .iter()
                    .find(|a| a.account == l.account)
                    .ok_or_else(|| not_shown(l))?;
                if l.entry.is_some_and(|e| e as usize > acc.entries.len()) {
                    return Err(not_shown(l));
                }
            }
            let owner = owner_id(c, item.owner.as_deref())?;
            let id = store::insert_item(c, &review.id, &item, owner.as_ref(), &user.id)?;
            audit(
                c,
                Some(&user.email),
                "review.item_recorded",
                &format!("{}: {}", review.title, item.text),
            )?;
            find_view(c, &review, &id)
        })
        .await
}

fn find_view(c: &mut DbConnection, review: &ReviewRow, id: &ItemId) -> Result<ItemView, AppError> {
    items_of(c, review)?
        .into_iter()
        .find(|i| &i.id == id)
        .ok_or(AppError::NotFound)
}

/// Changes an action item's status, text, owner or due day.
pub async fn change_item(
    state: &AppState,
    user: &StaffUser,
    item_id: ItemId,
    checked: Result<Change, Vec<FieldError>>,
) -> Result<ItemView, AppError> {
    let open = move |c: &mut DbConnection, user: &StaffUser| {
        let row = store::find_item(c, &item_id)?;
        let review = review_for(c, user, &row.review_id)?;
        Ok((row, review))
    };
    let close = |c: &mut DbConnection, user: &StaffUser, row: ItemRow, review: ReviewRow| {
        store::put_item(c, &row)?;
        let what = format!("{}: {} ({})", review.title, row.text, row.status);
        audit(c, Some(&user.email), "review.item_changed", &what)?;
        find_view(c, &review, &row.id)
    };
    change(state, user, checked, open, close).await
}

/// A review's action items for an export (CSV or Markdown); exporting is audited.
pub async fn export_items(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
    what: &'static str,
) -> Result<(ReviewRow, Vec<ItemView>), AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let review = review_for(c, &user, &review_id)?;
            let items = items_of(c, &review)?;
            audit(
                c,
                Some(&user.email),
                "review.items_exported",
                &format!("{} ({what})", review.title),
            )?;
            Ok((review, items))
        })
        .await
}

/// A review's action items for its pre-read, in the caller's transaction (the pre-read's
/// access is already checked by `reviews`).
pub fn items_for_preread(
    c: &mut DbConnection,
    review: &ReviewRow,
) -> Result<Vec<ItemView>, AppError> {
    items_of(c, review)
}
