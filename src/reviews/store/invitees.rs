//! The people a review invites, and the reviews a member may write for.

use diesel::prelude::*;

use super::{ReviewId, ReviewStatus};
use crate::db::schema::{members, reviews};
use crate::db::DbConnection;
use crate::teams::model::MemberId;
use crate::tokens::model::ScopeId;

/// Each invited person as `(id, label, invite nonce)`, in label order; the action turns the
/// nonce into the link (`teams::model::invite_secret`).
pub fn list_invitees(
    conn: &mut DbConnection,
    review_id: &ReviewId,
) -> QueryResult<Vec<(MemberId, String, String)>> {
    use crate::db::schema::eligibility;
    let rows: Vec<(String, String, String)> = eligibility::table
        .inner_join(members::table)
        .filter(eligibility::scope_id.eq(review_id.as_str()))
        .select((members::id, members::label, members::invite_nonce))
        .order((members::label_key, members::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, label, nonce)| (MemberId::from(id), label, nonce))
        .collect())
}

/// Which of these token scopes are open reviews, as `(id, title)`, for a member's start page
/// (the scopes are the member's, from `tokens::store::scopes_of_member`).
pub fn open_among(
    conn: &mut DbConnection,
    scopes: &[ScopeId],
) -> QueryResult<Vec<(ReviewId, String)>> {
    let rows: Vec<(String, String)> = reviews::table
        .filter(reviews::id.eq_any(scopes.iter().map(ScopeId::as_str)))
        .filter(reviews::status.eq(ReviewStatus::Open.as_str()))
        .select((reviews::id, reviews::title))
        .order((reviews::created_at.desc(), reviews::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, title)| (ReviewId::from(id), title))
        .collect())
}
