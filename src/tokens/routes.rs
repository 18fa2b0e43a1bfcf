//! Issuance endpoints (`POST /api/v1/rounds/{id}/tokens`, `POST /api/v1/reviews/{id}/tokens`)
//! and the token check every anonymous submission goes through.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::crypto::{self, Token, TokenJson};
use super::model::ScopeId;
use super::store;
use crate::db::blocking;
use crate::error::{ApiResult, AppError, Problem};
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::secret::{b64, unb64};
use crate::state::AppState;
use crate::teams::store::member_by_invite;

/// Longest invite secret we bother to hash; real ones are 22 characters.
const MAX_INVITE: usize = 200;

/// A member asks for a blind signature: their invite secret and the blinded token message
/// (base64url). The server learns who asked, never which token it signed.
#[derive(Deserialize, ToSchema)]
pub struct IssueRequest {
    pub invite: String,
    pub blinded_message: String,
}

/// The blind signature (base64url); the member's browser unblinds it into a token.
#[derive(Serialize, ToSchema)]
pub struct Issued {
    blind_signature: String,
}

pub fn bad_invite() -> AppError {
    AppError::Forbidden("this invite link is not valid; ask for a new one".into())
}

pub fn closed() -> AppError {
    AppError::Gone("this is closed; answers are no longer accepted".into())
}

/// Signs a member's blinded message once per scope. The signature is computed off the
/// database writer and only returned after the issuance record is committed.
///
/// The same blinded message asked again by the same member is signed again, so a response
/// lost on the way (a network failure, a closed tab) never locks the member out: their client
/// keeps its blinding state until it holds the token and simply asks again. RSA signing is
/// deterministic, so this is the same blind signature and the same one token; a different
/// blinded message is refused as before (one token per member per scope, G2).
pub async fn issue(
    state: &AppState,
    scope_id: ScopeId,
    req: IssueRequest,
) -> Result<String, AppError> {
    if req.invite.len() > MAX_INVITE {
        return Err(bad_invite());
    }
    let blinded = unb64(&req.blinded_message)
        .ok_or_else(|| AppError::invalid("blinded_message", "must be base64url"))?;
    let hash = store::blinded_hash(&state.keys, &scope_id, &blinded);
    let (keys, invite) = (state.keys.clone(), req.invite);
    let (db, cache) = (state.db.clone(), state.key_cache.clone());
    // One crossing to the blocking pool for the read, the signing and the write: each
    // crossing wakes two threads, which cost more than the reads themselves (issue 13).
    let signature = blocking(move || {
        let (member_id, key) = db.read_here(|c| {
            let member = member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            let key = store::find_key(c, &scope_id)?.ok_or(AppError::NotFound)?;
            if !store::is_eligible(c, &scope_id, &member.id)? {
                return Err(AppError::Forbidden(
                    "you are not on the roster of this one".into(),
                ));
            }
            if !key.is_open() {
                // Closed, perhaps by another replica: this process forgets the key too.
                cache.forget(&scope_id);
                return Err(closed());
            }
            match store::issued_blinded(c, &scope_id, &member.id)? {
                None => {}
                Some(Some(h)) if h == hash => {}
                Some(_) => return Err(store::already_issued()),
            }
            Ok((member.id, key))
        })?;
        // Signed with no database connection held: the read's is back in the pool and the
        // writer is not taken until the signature exists.
        let sk = cache.secret(&scope_id, key.secret_der.as_deref())?;
        let signature = crypto::sign_blinded(&sk, &blinded)?;
        db.write_here(|c| {
            // Re-checked inside the transaction, under the key's lock: a close may have raced.
            if !store::lock_open_key(c, &scope_id)? {
                cache.forget(&scope_id);
                return Err(closed());
            }
            // A racing request with another blinded message lost here gets no signature.
            store::record_blind_issuance(c, &scope_id, &member_id, &hash).map(|_| ())
        })?;
        Ok(signature)
    })
    .await?;
    Ok(b64(&signature))
}

/// Checks a submitted token against the scope's key, off the database writer. The caller
/// then spends it and stores the submission in one transaction.
pub async fn check_token(
    state: &AppState,
    scope_id: ScopeId,
    token: &TokenJson,
) -> Result<Token, AppError> {
    let (cache, token) = (state.key_cache.clone(), token.clone());
    state
        .db
        .read(move |c| {
            let key = store::find_key(c, &scope_id)?;
            verify_token(&cache, &scope_id, key.as_ref(), &token)
        })
        .await
}

/// The check itself, for callers already on a blocking thread: the scope must exist and be
/// open, and the token must verify under its key.
pub fn verify_token(
    cache: &super::KeyCache,
    scope_id: &ScopeId,
    key: Option<&store::KeyRow>,
    token: &TokenJson,
) -> Result<Token, AppError> {
    let token = Token::decode(token)?;
    let key = key.ok_or(AppError::NotFound)?;
    if !key.is_open() {
        cache.forget(scope_id);
        return Err(closed());
    }
    let pk = cache.public(scope_id, &key.public_der)?;
    if token.verifies(&pk) {
        Ok(token)
    } else {
        Err(AppError::Forbidden(
            "this token is not valid for this one".into(),
        ))
    }
}

/// Signs a member's blinded token message for a pulse round, once per member.
#[utoipa::path(post, path = "/rounds/{round_id}/tokens", tag = "members", security(()),
    params(("round_id" = String, Path, description = "The round's id")), request_body = IssueRequest,
    responses((status = 200, description = "Signed, once per member: the same blinded message again (a lost response) is signed again, to the same signature", body = Issued),
        (status = 403, description = "The invite is not valid, or not on this round's roster", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This member has a token for this round already, for another blinded message", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Closed", body = Problem, content_type = "application/problem+json")))]
async fn issue_round(
    state: web::Data<AppState>,
    id: web::Path<RoundId>,
    body: web::Json<IssueRequest>,
) -> ApiResult<HttpResponse> {
    let scope = ScopeId::from(&id.into_inner());
    let blind_signature = issue(&state, scope, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Issued { blind_signature }))
}

/// Signs a member's blinded token message for a review, once per member.
///
/// The same issuance as for rounds (a review is one more scope with a key); a handler of its own so the document names
/// the parameter for what it is.
#[utoipa::path(post, path = "/reviews/{review_id}/tokens", tag = "members", security(()),
    params(("review_id" = String, Path, description = "The review's id")), request_body = IssueRequest,
    responses((status = 200, description = "Signed, once per member: the same blinded message again (a lost response) is signed again, to the same signature", body = Issued),
        (status = 403, description = "The invite is not valid, or not on this review's roster", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This member has a token for this review already, for another blinded message", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Closed", body = Problem, content_type = "application/problem+json")))]
async fn issue_review(
    state: web::Data<AppState>,
    id: web::Path<ReviewId>,
    body: web::Json<IssueRequest>,
) -> ApiResult<HttpResponse> {
    let scope = ScopeId::from(&id.into_inner());
    let blind_signature = issue(&state, scope, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Issued { blind_signature }))
}

/// The issuance operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(issue_round, issue_review))]
pub struct TokensApi;

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    TokensApi::openapi()
}

/// Issuance is anonymous (the invite is the only credential): mounted in the member scope.
pub fn configure_member(m: &mut crate::web::member::MemberRoutes) {
    m.post("/api/v1/rounds/{id}/tokens", issue_round)
        .post("/api/v1/reviews/{id}/tokens", issue_review);
}
