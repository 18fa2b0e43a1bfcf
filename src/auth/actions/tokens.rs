//! API token use cases: make one (shown once, only its keyed hash stored), list and revoke
//! a user's own. Apart from `mod.rs` so that file stays under the size limit.

use super::super::model::{StaffUser, TokenEntry, TokenId};
use super::super::store;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::secret::{random_token, Keys};
use crate::state::AppState;

/// Creates an API token for a user; returns the token, shown once.
pub fn create_token(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &StaffUser,
    label: &str,
) -> Result<String, AppError> {
    let token = format!("cnd_{}", random_token());
    let hash = keys.keyed_hash("api-token", token.as_bytes());
    store::insert_api_token(conn, &hash, &user.id, label)?;
    store::audit(conn, Some(&user.email), "token.created", label)?;
    Ok(token)
}

pub async fn list_tokens(state: &AppState, user: &StaffUser) -> Result<Vec<TokenEntry>, AppError> {
    let id = user.id.clone();
    state
        .db
        .read(move |c| Ok(store::list_api_tokens(c, &id)?))
        .await
}

/// Creates a token from a checked label; returns it with the user's tokens, from the same
/// transaction so the list includes it.
pub async fn create_api_token(
    state: &AppState,
    user: &StaffUser,
    label: String,
) -> Result<(String, Vec<TokenEntry>), AppError> {
    let (user, keys) = (user.clone(), state.keys.clone());
    state
        .db
        .write(move |c| {
            let token = create_token(c, &keys, &user, &label)?;
            Ok((token, store::list_api_tokens(c, &user.id)?))
        })
        .await
}

/// Revokes one of the user's own tokens; someone else's is not found.
pub async fn revoke_token(state: &AppState, user: &StaffUser, id: TokenId) -> Result<(), AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            if store::delete_api_token(c, &user.id, &id)? == 0 {
                return Err(AppError::NotFound);
            }
            store::audit(c, Some(&user.email), "token.revoked", id.as_str())?;
            Ok(())
        })
        .await
}
