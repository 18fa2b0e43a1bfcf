//! What facilitators and admins do with a review: open it, list and read it, ask follow-ups,
//! add facilitators, show invite links, export the pre-read and close it. Every staff action
//! is audited.

use super::{public_key, review_closed, review_for};
use crate::auth::model::StaffUser;
// The audit log and staff accounts belong to `auth`; its store is called directly until that
// feature has actions of its own to call instead.
use crate::auth::store::{audit, find_staff_by_email};
use crate::db::{blocking, DbConnection};
use crate::error::{AppError, FieldError};
use crate::reviews::model::{
    check_text, may_invite_team, AccountId, AccountView, FollowupRow, ListItem, NewReview,
    ReviewId, ReviewRow, ReviewView, TeamChoice, MAX_QUESTION_CHARS,
};
use crate::reviews::store::{self, Lock};
use crate::secret::{new_id, Keys};
use crate::state::AppState;
use crate::teams::model::{invite_secret, invite_url, label_key, MemberId, TeamId};
use crate::tokens::crypto::{self, KeyJson};
use crate::tokens::model::ScopeId;
use crate::tokens::store as tokens;

/// A review just opened: its row, its public key, and what the facilitator should know.
pub struct Opened {
    pub review: ReviewRow,
    pub key: KeyJson,
    pub warnings: Vec<String>,
}

/// Opens a review in one transaction: the review, its facilitator, the invitees' member rows
/// and frozen roster, the key (made beforehand, off the writer) and the audit record.
pub async fn open_review(
    state: &AppState,
    user: StaffUser,
    r: NewReview,
) -> Result<Opened, AppError> {
    let key = blocking(crypto::generate).await?;
    let keys = state.keys.clone();
    state
        .db
        .write(move |c| {
            let id = ReviewId::from(new_id());
            let (member_ids, mut warnings) =
                resolve_invitees(c, &keys, &user, &r.team_ids, &r.invitees)?;
            store::insert_review(c, &id, &r, member_ids.len(), &user.id)?;
            store::add_facilitator(c, &id, &user.id)?;
            tokens::insert_key(c, &id.scope(), &key)?;
            tokens::freeze_roster(c, &id.scope(), &member_ids)?;
            audit(
                c,
                Some(&user.email),
                "review.opened",
                &format!(
                    "{} ({} invited, threshold {})",
                    r.title,
                    member_ids.len(),
                    r.threshold
                ),
            )?;
            if member_ids.len() < usize::from(r.threshold.get()) {
                warnings.insert(
                    0,
                    format!(
                        "Only {} people are invited, fewer than the release threshold of {}: accounts stay hidden until the deadline or until you close the review.",
                        member_ids.len(),
                        r.threshold
                    ),
                );
            }
            Ok(Opened {
                review: store::find_review(c, &id)?,
                key: key.public.clone(),
                warnings,
            })
        })
        .await
}

/// The people a review invites: the active members of the chosen teams, then the pasted
/// people, each once. Every invitee gets a link of the review's own (G12): a team's pulse
/// link never answers a review and a review's link never answers a pulse round, so a
/// facilitator holding the review's links holds nothing of the team's, and a leader holding
/// the team's links learns nothing about the review. A facilitator may name a team only when
/// its leader or an admin allowed it (`teams.reviews_allowed`); an admin may name any team.
///
/// Team rows and member rows belong to `teams`; its store is called directly until that
/// feature has actions of its own to call instead.
fn resolve_invitees(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &StaffUser,
    team_ids: &[TeamId],
    pasted: &[String],
) -> Result<(Vec<MemberId>, Vec<String>), AppError> {
    let mut people: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut notes = Vec::new();
    for tid in team_ids {
        let team = diesel::OptionalExtension::optional(crate::teams::store::find_team(conn, tid))?
            .ok_or_else(|| AppError::invalid("team_ids", format!("There is no team {tid}.")))?;
        if !may_invite_team(user, team.reviews_allowed) {
            return Err(AppError::invalid(
                "team_ids",
                format!(
                    "{} has not allowed facilitators to invite it to reviews: ask its leader or an admin to allow it on the team's page, or paste the people you need.",
                    team.name
                ),
            ));
        }
        for m in crate::teams::store::list_members(conn, &team.id)? {
            if seen.insert(m.label_key.clone()) {
                people.push((m.label, m.label_key));
            }
        }
    }
    for label in pasted {
        let key = label_key(label);
        if !seen.insert(key.clone()) {
            notes.push(format!(
                "{label} is already invited through a team roster; they get one link."
            ));
            continue;
        }
        people.push((label.clone(), key));
    }
    if people.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "invitees",
            "Invite at least one person: choose a team with people on it or paste a list.",
        )]));
    }
    let mut ids = Vec::with_capacity(people.len());
    for (label, key) in &people {
        ids.push(crate::teams::store::insert_member(
            conn, keys, None, label, key,
        )?);
    }
    Ok((ids, notes))
}

/// The teams this user may invite (G12): every team for an admin, for a facilitator only
/// those whose leader or an admin allowed review invitations.
pub async fn team_choices(state: &AppState, user: &StaffUser) -> Result<Vec<TeamChoice>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            // teams::store: the team rows; teams has no action that lists them all.
            for team in crate::teams::store::list_all_teams(c)? {
                if !may_invite_team(&user, team.reviews_allowed) {
                    continue;
                }
                let people = crate::teams::store::count_members(c, &team.id)?;
                out.push(TeamChoice {
                    id: team.id,
                    name: team.name,
                    people,
                });
            }
            Ok(out)
        })
        .await
}

/// The reviews this user may see, with the accounts each has received. Applies retention
/// first, so a review past it is listed as purged, and scrubs after a purge.
pub async fn list_reviews(state: &AppState, user: &StaffUser) -> Result<Vec<ListItem>, AppError> {
    let today = state.clock.today();
    let purged = state
        .db
        .write(move |c| Ok(store::apply_retention(c, today)?))
        .await?;
    if purged > 0 {
        crate::db::scrub::after_close(&state.db).await;
    }
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for review in store::list_reviews_for(c, &user)? {
                let received = match review.accounts_total {
                    Some(n) => i64::from(n),
                    None => store::count_accounts(c, &review.id)?.0,
                };
                out.push(ListItem { review, received });
            }
            Ok(out)
        })
        .await
}

/// The reviews this user may see with their public keys, for the API.
pub async fn list_with_keys(
    state: &AppState,
    user: &StaffUser,
) -> Result<Vec<(ReviewRow, KeyJson)>, AppError> {
    let user = user.clone();
    let (reviews, keys) = state
        .db
        .read(move |c| {
            let reviews = store::list_reviews_for(c, &user)?;
            let ids: Vec<ScopeId> = reviews.iter().map(|r| r.id.scope()).collect();
            let keys = tokens::find_keys(c, &ids)?;
            Ok((reviews, keys))
        })
        .await?;
    let mut out = Vec::with_capacity(reviews.len());
    for r in reviews {
        let key = keys
            .iter()
            .find(|k| k.scope_id == r.id.scope())
            .ok_or_else(|| AppError::internal("review without a key"))?;
        let key = public_key(state, key)?;
        out.push((r, key));
    }
    Ok(out)
}

/// One review with its public key, if this user may see it.
pub async fn review_with_key(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
) -> Result<(ReviewRow, KeyJson), AppError> {
    let user = user.clone();
    let (review, key) = state
        .db
        .read(move |c| {
            let review = review_for(c, &user, &review_id)?;
            let key = tokens::find_key(c, &review_id.scope())?.ok_or(AppError::NotFound)?;
            Ok((review, key))
        })
        .await?;
    let key = public_key(state, &key)?;
    Ok((review, key))
}

/// The public key of a review the caller was already allowed to see.
async fn review_key(state: &AppState, review_id: &ReviewId) -> Result<KeyJson, AppError> {
    let scope = review_id.scope();
    let key = state
        .db
        .read(move |c| tokens::find_key(c, &scope)?.ok_or(AppError::NotFound))
        .await?;
    public_key(state, &key)
}

/// A review's accounts state, released accounts in the order fixed at release. Runs in a write
/// transaction: reading is what releases a batch that has come due.
fn review_view(
    c: &mut DbConnection,
    keys: &Keys,
    base: &str,
    user: &StaffUser,
    review_id: &ReviewId,
    now: time::PrimitiveDateTime,
) -> Result<ReviewView, AppError> {
    let review = review_for(c, user, review_id)?;
    let (received, released) = if review.purged_on.is_some() {
        let n = i64::from(review.accounts_total.unwrap_or(0));
        (n, n)
    } else {
        store::release_if_due(c, &review, now)?
    };
    let accounts = if released > 0 {
        store::released_accounts(c, review_id)?
            .into_iter()
            .map(|(a, thread)| {
                Ok(AccountView {
                    account: a.account()?,
                    id: a.id,
                    thread,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?
    } else {
        Vec::new()
    };
    let fingerprint = tokens::find_key(c, &review_id.scope())?
        .map(|k| k.fingerprint)
        .unwrap_or_default();
    Ok(ReviewView {
        // Action items are `followthrough`'s; the pre-read lists them.
        items: crate::followthrough::actions::items_for_preread(c, &review)?,
        invites: shown_invites(c, keys, base, review_id)?,
        facilitators: store::list_facilitators(c, review_id)?,
        // The release rule has just run: whatever is still pending was not due.
        held_at_close: if review.is_open() {
            received - released
        } else {
            0
        },
        review,
        fingerprint,
        received,
        released,
        accounts,
    })
}

/// A review's invite links as staff see them; showing them marks them as seen by staff, which
/// each invitee's page then says (G13). A link Candor mailed to its invitee is listed without
/// its URL and not marked. The marks are `teams`' store, called directly for now.
fn shown_invites(
    c: &mut DbConnection,
    keys: &Keys,
    base: &str,
    review_id: &ReviewId,
) -> Result<Vec<(MemberId, String, Option<String>)>, AppError> {
    let invitees = store::list_invitees(c, review_id)?;
    let all: Vec<MemberId> = invitees.iter().map(|(id, _, _)| id.clone()).collect();
    let mailed = crate::teams::store::mailed_among(c, &all)?;
    let ids: Vec<MemberId> = all.into_iter().filter(|id| !mailed.contains(id)).collect();
    crate::teams::store::mark_staff_seen(c, &ids)?;
    Ok(invitees
        .into_iter()
        .map(|(id, label, nonce)| {
            let url = (!mailed.contains(&id))
                .then(|| invite_url(base, &invite_secret(keys, &id, &nonce)));
            (id, label, url)
        })
        .collect())
}

/// A review as its facilitators see it (the page, the API's accounts).
pub async fn load_view(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
) -> Result<ReviewView, AppError> {
    let (keys, base, user) = (
        state.keys.clone(),
        state.settings.base_url.clone(),
        user.clone(),
    );
    let now = state.clock.now();
    state
        .db
        .write(move |c| review_view(c, &keys, &base, &user, &review_id, now))
        .await
}

/// Asks a follow-up on a released account of an open review.
pub async fn ask(
    state: &AppState,
    user: StaffUser,
    review_id: ReviewId,
    account_id: AccountId,
    text: &str,
) -> Result<FollowupRow, AppError> {
    let text =
        check_text("text", text, MAX_QUESTION_CHARS).map_err(|e| AppError::Invalid(vec![e]))?;
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            review_for(c, &user, &review_id)?;
            store::lock_review(c, &review_id, Lock::Share)?;
            let review = store::find_review(c, &review_id)?;
            if !review.is_open() {
                return Err(review_closed());
            }
            store::release_if_due(c, &review, now)?;
            diesel::OptionalExtension::optional(store::find_account(c, &review_id, &account_id))?
                .filter(|a| a.released)
                .ok_or(AppError::NotFound)?;
            let row = store::insert_question(c, &account_id, &text)?;
            // Every invitee is told alike, batched (delivery decides when; never who wrote).
            crate::delivery::reviews::followup_asked(c, &review_id, now)?;
            audit(c, Some(&user.email), "review.followup_asked", &review.title)?;
            Ok(row)
        })
        .await
}

/// Closes a review in one transaction, holding its row lock on PostgreSQL: the key is
/// destroyed and who was issued a token forgotten (G3), everything is released and rewritten
/// in random order (G1), and the counts that outlive the text are kept. Scrubs after commit.
pub async fn close(
    state: &AppState,
    user: StaffUser,
    review_id: ReviewId,
) -> Result<ReviewRow, AppError> {
    let id = review_id.clone();
    let today = state.clock.today();
    let review = state
        .db
        .write(move |c| {
            review_for(c, &user, &id)?;
            store::lock_review(c, &id, Lock::Update)?;
            if !store::find_review(c, &id)?.is_open() {
                return Err(AppError::Conflict("this review is already closed".into()));
            }
            let issued = tokens::close_scope(c, &id.scope())?;
            let review = store::close_review(c, &id, today, issued)?;
            audit(c, Some(&user.email), "review.closed", &review.title)?;
            Ok(review)
        })
        .await?;
    state.key_cache.forget(&review_id.scope());
    crate::db::scrub::after_close(&state.db).await;
    Ok(review)
}

/// Closes a review as `close` does, then reads its public key (the public half outlives the
/// close; only the private key is destroyed), for the API's answer.
pub async fn close_with_key(
    state: &AppState,
    user: StaffUser,
    review_id: ReviewId,
) -> Result<(ReviewRow, KeyJson), AppError> {
    let review = close(state, user, review_id).await?;
    let key = review_key(state, &review.id).await?;
    Ok((review, key))
}

/// The review as the pre-read shows it; exporting is audited.
pub async fn preread(
    state: &AppState,
    user: StaffUser,
    review_id: ReviewId,
) -> Result<ReviewView, AppError> {
    let (keys, base) = (state.keys.clone(), state.settings.base_url.clone());
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let v = review_view(c, &keys, &base, &user, &review_id, now)?;
            audit(
                c,
                Some(&user.email),
                "review.preread_exported",
                &v.review.title,
            )?;
            Ok(v)
        })
        .await
}

/// Adds another facilitator or admin, by email, to a review this user may see.
pub async fn add_facilitator(
    state: &AppState,
    user: StaffUser,
    review_id: ReviewId,
    email: String,
) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    state
        .db
        .write(move |c| {
            let review = review_for(c, &user, &review_id)?;
            let target = find_staff_by_email(c, &email)?
                .filter(|s| s.active && s.user().can_facilitate())
                .ok_or_else(|| {
                    AppError::invalid("email", "No active facilitator or admin has this email.")
                })?;
            store::add_facilitator(c, &review_id, &target.id)?;
            audit(
                c,
                Some(&user.email),
                "review.facilitator_added",
                &format!("{} to {}", target.email, review.title),
            )?;
            Ok(())
        })
        .await
}

/// Each invitee's `(member id, label, link)`, marked as seen by staff (G13).
pub async fn invites_of(
    state: &AppState,
    user: StaffUser,
    review_id: ReviewId,
) -> Result<Vec<(MemberId, String, Option<String>)>, AppError> {
    let (keys, base) = (state.keys.clone(), state.settings.base_url.clone());
    state
        .db
        .write(move |c| {
            review_for(c, &user, &review_id)?;
            shown_invites(c, &keys, &base, &review_id)
        })
        .await
}
