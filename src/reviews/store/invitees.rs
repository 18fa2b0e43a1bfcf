//! The people a review invites: their links, and the reviews a member may write for.

use diesel::prelude::*;

use super::ReviewStatus;
use crate::db::schema::{members, reviews, teams};
use crate::db::DbConnection;
use crate::secret::Keys;
// The team rows and invite links belong to `teams`; its store is called directly until that
// feature has actions of its own to call instead.
use crate::teams::store::{invite_secret, invite_url, MemberRow, TeamRow};

/// Each invited person's link, in label order.
pub fn list_invites(
    conn: &mut DbConnection,
    keys: &Keys,
    base: &str,
    review_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    use crate::db::schema::eligibility;
    let rows: Vec<MemberRow> = eligibility::table
        .inner_join(members::table)
        .filter(eligibility::scope_id.eq(review_id))
        .select(members::all_columns)
        .order((members::label_key, members::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let url = invite_url(base, &invite_secret(keys, &m.id, &m.invite_nonce));
            (m.id.into_string(), m.label, url)
        })
        .collect())
}

/// Open reviews a member was invited to, as `(id, title)`, for the member's start page.
pub fn open_for_member(
    conn: &mut DbConnection,
    member_id: &crate::teams::model::MemberId,
) -> QueryResult<Vec<(String, String)>> {
    let scopes = crate::tokens::store::scopes_of_member(conn, member_id)?;
    reviews::table
        .filter(reviews::id.eq_any(scopes))
        .filter(reviews::status.eq(ReviewStatus::Open.as_str()))
        .select((reviews::id, reviews::title))
        .order((reviews::created_at.desc(), reviews::id))
        .load(conn)
}

/// Every team, by name, for the new-review form to filter by who may invite it. Reads the
/// `teams` table here because `teams::store` lists teams only by who leads them; it moves to
/// `teams` with that feature's actions.
pub fn list_teams(conn: &mut DbConnection) -> QueryResult<Vec<TeamRow>> {
    teams::table.order(teams::name_key).load(conn)
}
