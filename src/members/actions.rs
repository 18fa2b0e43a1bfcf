//! What a member or the public may ask: what is open for an invite, the key directory and
//! the transparency figures. Each reads in one transaction; none writes, and none knows who
//! asked beyond the invite itself.

use super::model::{OpenItem, PublishedKey, Transparency};
use super::store;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::store::member_by_invite;
use crate::tokens::crypto;
use crate::tokens::model::ScopeId;
use crate::tokens::routes::bad_invite;
use crate::tokens::store as tokens;

/// An open round or review, its key as API.md publishes it, and a round's questions.
pub type OpenEntry = (
    OpenItem,
    crypto::KeyJson,
    Option<Vec<crate::pulse::model::Question>>,
);

/// How long a closed round's or review's public key stays in the directory: long enough for
/// members to check, late, the key they used.
pub const CLOSED_KEYS_LISTED_DAYS: i64 = 30;

/// What is open to the member holding this invite, and whether staff have seen the invite.
/// Delivery calls it in its own transaction to name the open keys in an invite (G11).
pub fn open_for(
    c: &mut DbConnection,
    keys: &crate::secret::Keys,
    invite: &str,
) -> Result<(Vec<OpenEntry>, bool), AppError> {
    let member = member_by_invite(c, keys, invite.trim())?.ok_or_else(bad_invite)?;
    let scopes = tokens::scopes_of_member(c, &member.id)?;
    Ok((open_to(c, &member.id, &scopes, None)?, member.staff_seen))
}

/// What is open among a member's scopes, in a fixed number of queries: every query here is a
/// round trip on PostgreSQL on the member's landing page (issue 13). A round this process has
/// cached since it opened (`frozen`) gives its questions and key from memory; one it has not
/// is read.
fn open_to(
    c: &mut DbConnection,
    member_id: &crate::teams::model::MemberId,
    scopes: &[ScopeId],
    frozen: Option<&crate::pulse::frozen::RoundCache>,
) -> Result<Vec<OpenEntry>, AppError> {
    let key_rows = tokens::find_keys(c, scopes)?;
    let issued = tokens::issued_among(c, member_id, scopes)?;
    let mut out = Vec::new();
    for r in crate::pulse::store::open_rounds_for(c, scopes)? {
        let Some(k) = key_rows.iter().find(|k| k.scope_id == r.id.scope()) else {
            continue;
        };
        let (key, questions) = match frozen.and_then(|f| f.get(&r.id)) {
            Some(f) => (f.key_json.clone(), f.questions.clone()),
            None => (
                crypto::key_json(&crypto::parse_public(&k.public_der)?),
                crate::pulse::store::round_questions(c, &r.id)?,
            ),
        };
        let taken_part = issued.contains(&r.id.scope());
        out.push((
            OpenItem {
                kind: "round",
                id: r.id.into_string(),
                title: r.title,
                fingerprint: key.fingerprint.clone(),
                taken_part,
            },
            key,
            Some(questions),
        ));
    }
    for (id, title) in crate::reviews::store::open_among(c, scopes)? {
        let Some(k) = key_rows.iter().find(|k| k.scope_id == id.scope()) else {
            continue;
        };
        let key = crypto::key_json(&crypto::parse_public(&k.public_der)?);
        let fingerprint = key.fingerprint.clone();
        let taken_part = issued.contains(&id.scope());
        out.push((
            OpenItem {
                kind: "review",
                id: id.into_string(),
                title,
                fingerprint,
                taken_part,
            },
            key,
            None,
        ));
    }
    Ok(out)
}

/// What the member holding an invite is shown: what is open to them, whether staff have seen
/// their invite, and what was done about what they said (`followthrough`: their team's
/// actions, the action items of the reviews they are invited to). One read; nothing written.
pub struct Landing {
    pub open: Vec<OpenEntry>,
    pub staff_seen: bool,
    pub follow: crate::followthrough::actions::SeenByMember,
}

/// What is open to the member holding `invite`, whether staff have seen their invite, and
/// their team's actions and their reviews' action items.
pub async fn open_for_invite(state: &AppState, invite: String) -> Result<Landing, AppError> {
    let (keys, rounds) = (state.keys.clone(), state.rounds.clone());
    state
        .db
        .read(move |c| {
            let member = member_by_invite(c, &keys, invite.trim())?.ok_or_else(bad_invite)?;
            let scopes = tokens::scopes_of_member(c, &member.id)?;
            let open = open_to(c, &member.id, &scopes, Some(&rounds))?;
            let follow =
                crate::followthrough::actions::seen_by_member(c, member.team_id.as_ref(), &scopes)?;
            Ok(Landing {
                open,
                staff_seen: member.staff_seen,
                follow,
            })
        })
        .await
}

/// The key directory (G11): every open round and review key, and those closed within
/// [`CLOSED_KEYS_LISTED_DAYS`], by kind and id. No titles, no teams: only what a client
/// needs to check the key it was served. Sorted by kind and (random) id.
fn directory(
    c: &mut DbConnection,
    cache: &crate::tokens::KeyCache,
    today: time::Date,
) -> Result<Vec<crypto::ListedKey>, AppError> {
    let cutoff = today - time::Duration::days(CLOSED_KEYS_LISTED_DAYS);
    let round_rows = store::list_round_keys(c, cutoff)?;
    let review_rows = store::list_review_keys(c, cutoff)?;
    let mut out = Vec::with_capacity(round_rows.len() + review_rows.len());
    for (kind, rows) in [("round", round_rows), ("review", review_rows)] {
        for (id, status, public_der) in rows {
            let pk = cache.public(&ScopeId::from(id.as_str()), &public_der)?;
            let key = crypto::key_json(&pk);
            out.push(crypto::ListedKey {
                kind: kind.to_owned(),
                status: if status == "open" { "open" } else { "closed" }.to_owned(),
                id,
                fingerprint: key.fingerprint,
                n: key.n,
                e: crypto::PUBLIC_EXPONENT_B64.to_owned(),
                n_bits: crypto::MODULUS_BITS as u32,
            });
        }
    }
    out.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    Ok(out)
}

pub async fn key_directory(state: &AppState) -> Result<Vec<crypto::ListedKey>, AppError> {
    let (cache, today) = (state.key_cache.clone(), state.clock.today());
    state.db.read(move |c| directory(c, &cache, today)).await
}

/// What the transparency page publishes: counts and fingerprints of what is open. No titles:
/// the title of an open review names an incident to anyone who looks (hole 10).
pub async fn transparency(state: &AppState) -> Result<Transparency, AppError> {
    let (floor, cache) = (state.settings.threshold_floor, state.key_cache.clone());
    let today = state.clock.today();
    state
        .db
        .read(move |c| {
            let keys: Vec<PublishedKey> = directory(c, &cache, today)?
                .into_iter()
                .filter(|k| k.status == "open")
                .map(|k| PublishedKey {
                    kind: if k.kind == "round" {
                        "pulse round"
                    } else {
                        "review"
                    },
                    id: k.id,
                    fingerprint: k.fingerprint,
                })
                .collect();
            Ok(Transparency {
                floor,
                closed: super::bulletin::closed_entries(c)?,
                open_rounds: keys.iter().filter(|k| k.kind == "pulse round").count(),
                open_reviews: keys.iter().filter(|k| k.kind == "review").count(),
                keys,
            })
        })
        .await
}
