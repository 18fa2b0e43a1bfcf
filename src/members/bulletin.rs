//! The counted-token bulletin of a closed round or review (THREAT-MODEL G16), and the
//! transparency page's list of bulletins.
//!
//! A bulletin proves inclusion, not content: each member's browser, holding its own token
//! message, finds the message's SHA-256 among the counted ones. It lists only those hashes,
//! sorted, so it says nothing about answers and nothing about the order tokens were spent in;
//! the member it belongs to is unknown to the server (the message was blinded at issuance).

use super::model::{Bulletin, ClosedEntry, ScopeKind};
use super::store;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens::model::ScopeId;
use crate::tokens::store as tokens;

fn not_closed() -> AppError {
    AppError::Conflict(
        "the bulletin is published when this closes; until then answers can still change".into(),
    )
}

fn read(c: &mut DbConnection, kind: ScopeKind, id: &str) -> Result<Bulletin, AppError> {
    let counts = match kind {
        ScopeKind::Round => store::find_round_counts(c, id)?,
        ScopeKind::Review => store::find_review_counts(c, id)?,
    };
    let (status, invited, issued, answered) = counts.ok_or(AppError::NotFound)?;
    if status != "closed" {
        return Err(not_closed());
    }
    // A round closed before it opened never had a key, nor tokens.
    // The round's or the review's id is its token scope.
    let scope = ScopeId::from(id);
    let key = tokens::find_key(c, &scope)?.ok_or(AppError::NotFound)?;
    let hashes = tokens::bulletin_hashes(c, &scope)?;
    let tokens: Vec<String> = hashes.iter().flatten().cloned().collect();
    if tokens.len() != hashes.len() {
        // Tokens spent before Candor kept their hashes: a partial list would look like
        // dropped answers, so no bulletin is published at all.
        return Err(AppError::NotFound);
    }
    Ok(Bulletin {
        id: id.to_owned(),
        key_fingerprint: key.fingerprint,
        invited: i64::from(invited),
        issued: i64::from(issued.unwrap_or(0)),
        counted: tokens.len() as i64,
        answered: i64::from(answered.unwrap_or(0)),
        tokens,
    })
}

pub async fn bulletin(state: &AppState, kind: ScopeKind, id: String) -> Result<Bulletin, AppError> {
    state.db.read(move |c| read(c, kind, &id)).await
}

pub fn closed_entries(c: &mut DbConnection) -> Result<Vec<ClosedEntry>, AppError> {
    let mut out = Vec::new();
    for (kind, rows) in [
        (ScopeKind::Round, store::list_closed_rounds(c)?),
        (ScopeKind::Review, store::list_closed_reviews(c)?),
    ] {
        let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let counted: std::collections::HashMap<String, i64> = ids
            .chunks(500)
            .map(|chunk| store::count_spent_by_scope(c, chunk))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        for (id, closed_on, issued, answered) in rows {
            out.push(ClosedEntry {
                kind,
                counted: counted.get(&id).copied().unwrap_or(0),
                id,
                closed_on,
                issued: i64::from(issued.unwrap_or(0)),
                answered: i64::from(answered.unwrap_or(0)),
            });
        }
    }
    out.sort_by(|a, b| b.closed_on.cmp(&a.closed_on).then(a.id.cmp(&b.id)));
    Ok(out)
}
