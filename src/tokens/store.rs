//! Queries for round keys, frozen rosters, issuance records and the spent set.

use diesel::prelude::*;

use super::crypto::NewKey;
use super::model::ScopeId;
use crate::db::schema::{eligibility, issuances, signing_keys, spent_tokens};
use crate::db::{on_backend, DbConnection};
use crate::error::AppError;
use crate::secret::Keys;
use crate::teams::model::MemberId;

#[derive(Queryable, Clone, Debug)]
pub struct KeyRow {
    #[diesel(deserialize_as = String)]
    pub scope_id: ScopeId,
    pub public_der: String,
    pub fingerprint: String,
    pub secret_der: Option<String>,
}

impl KeyRow {
    pub fn is_open(&self) -> bool {
        self.secret_der.is_some()
    }
}

pub fn insert_key(conn: &mut DbConnection, scope_id: &ScopeId, key: &NewKey) -> QueryResult<usize> {
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::scope_id.eq(scope_id.as_str()),
            signing_keys::public_der.eq(&key.public_der),
            signing_keys::fingerprint.eq(&key.public.fingerprint),
            signing_keys::secret_der.eq(Some(&key.secret_der)),
        ))
        .execute(conn)
}

pub fn find_key(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<Option<KeyRow>> {
    signing_keys::table
        .find(scope_id.as_str())
        .first(conn)
        .optional()
}

pub fn find_keys(conn: &mut DbConnection, scope_ids: &[ScopeId]) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table
        .filter(signing_keys::scope_id.eq_any(scope_ids.iter().map(ScopeId::as_str)))
        .load(conn)
}

/// Freezes the roster of a scope as it opens (THREAT-MODEL G9).
pub fn freeze_roster(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    member_ids: &[MemberId],
) -> QueryResult<usize> {
    for m in member_ids {
        diesel::insert_into(eligibility::table)
            .values((
                eligibility::scope_id.eq(scope_id.as_str()),
                eligibility::member_id.eq(m.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(member_ids.len())
}

pub fn is_eligible(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    member_id: &MemberId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        eligibility::table.find((scope_id.as_str(), member_id.as_str())),
    ))
    .get_result(conn)
}

/// Members on a scope's frozen roster.
pub fn eligible_members(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<Vec<MemberId>> {
    let ids: Vec<String> = eligibility::table
        .filter(eligibility::scope_id.eq(scope_id.as_str()))
        .select(eligibility::member_id)
        .load(conn)?;
    Ok(ids.into_iter().map(MemberId::from).collect())
}

/// The labels of everyone on a scope's frozen roster, for the name warning only: callers
/// reduce them to `members::model::name_parts` before any page sees them (G14).
pub fn eligible_labels(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<Vec<String>> {
    use crate::db::schema::members;
    eligibility::table
        .inner_join(members::table)
        .filter(eligibility::scope_id.eq(scope_id.as_str()))
        .select(members::label)
        .load(conn)
}

pub fn count_eligible(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<i64> {
    eligibility::table
        .filter(eligibility::scope_id.eq(scope_id.as_str()))
        .count()
        .get_result(conn)
}

/// The scopes a member is on the frozen roster of.
pub fn scopes_of_member(
    conn: &mut DbConnection,
    member_id: &MemberId,
) -> QueryResult<Vec<ScopeId>> {
    let ids: Vec<String> = eligibility::table
        .filter(eligibility::member_id.eq(member_id.as_str()))
        .select(eligibility::scope_id)
        .load(conn)?;
    Ok(ids.into_iter().map(ScopeId::from).collect())
}

/// The scopes among `scope_ids` in which this member was issued their token: one query for a
/// landing page that lists them all.
pub fn issued_among(
    conn: &mut DbConnection,
    member_id: &MemberId,
    scope_ids: &[ScopeId],
) -> QueryResult<Vec<ScopeId>> {
    let ids: Vec<String> = issuances::table
        .filter(issuances::member_id.eq(member_id.as_str()))
        .filter(issuances::scope_id.eq_any(scope_ids.iter().map(ScopeId::as_str)))
        .select(issuances::scope_id)
        .load(conn)?;
    Ok(ids.into_iter().map(ScopeId::from).collect())
}

pub fn is_issued(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    member_id: &MemberId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        issuances::table.find((scope_id.as_str(), member_id.as_str())),
    ))
    .get_result(conn)
}

/// Records that a member was issued their one token; a second time is a conflict.
pub fn record_issuance(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    member_id: &MemberId,
) -> Result<(), AppError> {
    // `ON CONFLICT DO NOTHING` rather than catching a unique violation, because PostgreSQL
    // writes every violation, with the key values and a timestamp, to its own server log.
    let row = (
        issuances::scope_id.eq(scope_id.as_str()),
        issuances::member_id.eq(member_id.as_str()),
    );
    let inserted = on_backend!(conn, c => diesel::insert_into(issuances::table).values(row).on_conflict_do_nothing().execute(c))?;
    if inserted == 1 {
        Ok(())
    } else {
        Err(already_issued())
    }
}

/// The keyed hash an issuance row keeps of the blinded message it signed: enough to know the
/// same blinded message when it is asked again, nothing else (the message is blinded).
pub fn blinded_hash(keys: &Keys, scope_id: &ScopeId, blinded: &[u8]) -> String {
    let mut input = scope_id.as_str().as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(blinded);
    keys.keyed_hash("issued-blinded", &input)
}

/// What an earlier issuance to this member for this scope signed: `None` when there was none,
/// `Some(None)` when it signed nothing this process can match (the no-JavaScript route, or a
/// row from before blinded hashes were kept).
pub fn issued_blinded(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    member_id: &MemberId,
) -> QueryResult<Option<Option<String>>> {
    issuances::table
        .find((scope_id.as_str(), member_id.as_str()))
        .select(issuances::blinded_hash)
        .first(conn)
        .optional()
}

/// Whether a blind signature may be handed out for this blinded message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuance {
    /// The member's first: recorded now.
    First,
    /// The same blinded message as the member's first request: its signature is the same
    /// one again (RSA signing is deterministic), so the member still holds one token.
    Again,
}

/// Records that a member was issued their one token for this blinded message, or finds that
/// this very blinded message was signed for them before. Another blinded message is refused.
pub fn record_blind_issuance(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    member_id: &MemberId,
    hash: &str,
) -> Result<Issuance, AppError> {
    let row = (
        issuances::scope_id.eq(scope_id.as_str()),
        issuances::member_id.eq(member_id.as_str()),
        issuances::blinded_hash.eq(Some(hash)),
    );
    let inserted = on_backend!(conn, c => diesel::insert_into(issuances::table).values(row).on_conflict_do_nothing().execute(c))?;
    if inserted == 1 {
        return Ok(Issuance::First);
    }
    match issued_blinded(conn, scope_id, member_id)? {
        Some(Some(h)) if h == hash => Ok(Issuance::Again),
        _ => Err(already_issued()),
    }
}

pub fn already_issued() -> AppError {
    // G13: a member who has not taken part learns what this means and what to do.
    // Issue 15: a member who started in another browser learns where to finish.
    AppError::Conflict("you have already taken part in this one; each person answers once. If you started in another browser or on another device, finish there: that browser keeps your token. If you have not taken part, someone else used your link (whoever holds it can answer in your place, never read your answer): ask for a new link sent only to you, which stops this one from working".into())
}

pub fn count_issued(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<i64> {
    issuances::table
        .filter(issuances::scope_id.eq(scope_id.as_str()))
        .count()
        .get_result(conn)
}

/// Whether a token was spent by this call or had been spent before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spending {
    Fresh,
    SpentBefore,
}

/// Adds a token to the spent set, or says it was already there (writing nothing then). The
/// keyed hash is the uniqueness key; the plain SHA-256 of the message is kept beside it for
/// the bulletin published at close (G16).
pub fn try_spend(
    conn: &mut DbConnection,
    keys: &Keys,
    scope_id: &ScopeId,
    message: &[u8],
) -> QueryResult<Spending> {
    try_spend_key(conn, scope_id, &spend_key(keys, scope_id, message))
}

/// A token's entry in the spent set, hashed before the write transaction so the writer
/// spends no time on it.
pub struct SpendKey {
    token_hash: String,
    message_sha256: String,
}

pub fn spend_key(keys: &Keys, scope_id: &ScopeId, message: &[u8]) -> SpendKey {
    let mut input = scope_id.as_str().as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(message);
    SpendKey {
        token_hash: keys.keyed_hash("spent-token", &input),
        message_sha256: super::crypto::message_hash(message),
    }
}

/// [`try_spend`] with the hashes already computed.
pub fn try_spend_key(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
    key: &SpendKey,
) -> QueryResult<Spending> {
    let row = (
        spent_tokens::scope_id.eq(scope_id.as_str()),
        spent_tokens::token_hash.eq(&key.token_hash),
        spent_tokens::message_sha256.eq(Some(&key.message_sha256)),
    );
    let inserted = on_backend!(conn, c => diesel::insert_into(spent_tokens::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(if inserted == 1 {
        Spending::Fresh
    } else {
        Spending::SpentBefore
    })
}

/// Adds a token to the spent set; the same token again is refused and writes nothing.
pub fn spend(
    conn: &mut DbConnection,
    keys: &Keys,
    scope_id: &ScopeId,
    message: &[u8],
) -> Result<(), AppError> {
    match try_spend(conn, keys, scope_id, message)? {
        Spending::Fresh => Ok(()),
        Spending::SpentBefore => Err(already_spent()),
    }
}

pub fn already_spent() -> AppError {
    AppError::Conflict("this token was already used: each token counts once".into())
}

/// Where the answer a token stored can be found again while its round is open, so that the
/// same token can replace it (G17): a keyed hash of the token message, used as the answer's
/// id. Only the holder of the token message can point at it; the id carries no member (the
/// message was blinded at issuance) and no order. At close every answer is rewritten with a
/// fresh random id, so no trace of the token, and none of a replaced answer, survives it.
pub fn answer_locator(keys: &Keys, scope_id: &ScopeId, message: &[u8]) -> String {
    let mut input = scope_id.as_str().as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(message);
    keys.keyed_hash("answer-locator", &input)
}

/// The bulletin's entries for a closed scope: the hex SHA-256 of every counted token message,
/// sorted, so their order says nothing of when each was spent. `None` entries are tokens
/// spent before bulletins existed (see the migration `2026-12-06-000010_verify`).
pub fn bulletin_hashes(
    conn: &mut DbConnection,
    scope_id: &ScopeId,
) -> QueryResult<Vec<Option<String>>> {
    let mut all: Vec<Option<String>> = spent_tokens::table
        .filter(spent_tokens::scope_id.eq(scope_id.as_str()))
        .select(spent_tokens::message_sha256)
        .load(conn)?;
    all.sort();
    Ok(all)
}

pub fn count_spent(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<i64> {
    spent_tokens::table
        .filter(spent_tokens::scope_id.eq(scope_id.as_str()))
        .count()
        .get_result(conn)
}

/// Takes the key row's lock on PostgreSQL: shared while issuing, exclusive while closing, so
/// an issuance racing a close either commits first (and its row is deleted by the close) or
/// sees the key gone. SQLite's single writer already serialises them.
pub fn lock_key(conn: &mut DbConnection, scope_id: &ScopeId, exclusive: bool) -> QueryResult<()> {
    match conn {
        // Typed, so diesel keeps the statement prepared (a `sql_query` is prepared per call).
        DbConnection::Pg(c) => {
            let q = signing_keys::table
                .find(scope_id.as_str())
                .select(signing_keys::scope_id);
            if exclusive {
                q.for_update().execute(c)
            } else {
                q.for_share().execute(c)
            }
            .map(|_| ())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// `lock_key(.., false)` and "is the key still open" in one statement: whether the scope's
/// key exists and still has its private half, under the shared lock on PostgreSQL. An
/// issuance re-checks this in its write; as two statements it also fetched the whole key
/// row, private key included, on every token (issue 13, P2 on PostgreSQL).
pub fn lock_open_key(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<bool> {
    let q = signing_keys::table
        .find(scope_id.as_str())
        .select(signing_keys::secret_der.is_not_null());
    let open: Option<bool> = match conn {
        DbConnection::Pg(c) => q.for_share().first(c).optional()?,
        DbConnection::Sqlite(c) => q.first(c).optional()?,
    };
    Ok(open == Some(true))
}

/// At close: the private key is destroyed and who was issued a token is forgotten (G3).
/// Returns how many tokens had been issued, the only trace that remains.
pub fn close_scope(conn: &mut DbConnection, scope_id: &ScopeId) -> QueryResult<i64> {
    lock_key(conn, scope_id, true)?;
    let issued = count_issued(conn, scope_id)?;
    diesel::update(signing_keys::table.find(scope_id.as_str()))
        .set(signing_keys::secret_der.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(issuances::table.filter(issuances::scope_id.eq(scope_id.as_str())))
        .execute(conn)?;
    // The spent set is rewritten too, so its physical order says nothing of redemption order;
    // each row keeps its bulletin hash (G16) and nothing else.
    let mut spent: Vec<(String, Option<String>)> = spent_tokens::table
        .filter(spent_tokens::scope_id.eq(scope_id.as_str()))
        .select((spent_tokens::token_hash, spent_tokens::message_sha256))
        .load(conn)?;
    diesel::delete(spent_tokens::table.filter(spent_tokens::scope_id.eq(scope_id.as_str())))
        .execute(conn)?;
    {
        use rand::seq::SliceRandom;
        spent.shuffle(&mut rand::rng());
    }
    for (h, published) in spent {
        diesel::insert_into(spent_tokens::table)
            .values((
                spent_tokens::scope_id.eq(scope_id.as_str()),
                spent_tokens::token_hash.eq(h),
                spent_tokens::message_sha256.eq(published),
            ))
            .execute(conn)?;
    }
    Ok(issued)
}
