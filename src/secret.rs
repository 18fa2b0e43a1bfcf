//! The instance secret and the random values and keyed hashes made from it.
//!
//! Secrets that people hold (sessions, API tokens, invite links, receipts) are stored only as
//! keyed hashes, so a database dump without the instance secret cannot even test a guess.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::db::schema::instance_settings;
use crate::db::DbConnection;
use crate::error::AppError;

type HmacSha256 = Hmac<Sha256>;

/// Random bytes in every secret a person holds: 128 bits at least (THREAT-MODEL G8).
pub const SECRET_BYTES: usize = 16;

/// The instance secret. Never logged: `Debug` prints nothing of it.
#[derive(Clone)]
pub struct Keys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    pub fn from_bytes(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    /// HMAC-SHA256 of `value` under the instance secret, separated by `purpose` so a hash
    /// made for one use can never be replayed in another.
    pub fn keyed_hash(&self, purpose: &str, value: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, value))
    }

    pub fn mac(&self, purpose: &str, value: &[u8]) -> [u8; 32] {
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(m) => m,
            // HMAC accepts keys of any length; this arm cannot be reached.
            Err(_) => return [0; 32],
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

/// Reads the secret from the configuration or the database, creating it on first run.
pub fn load_or_create(conn: &mut DbConnection, configured: Option<&str>) -> Result<Keys, AppError> {
    if let Some(value) = configured {
        let bytes = URL_SAFE_NO_PAD
            .decode(value.trim())
            .map_err(|_| AppError::internal("CANDOR_SECRET is not base64url"))?;
        if bytes.len() < 32 {
            return Err(AppError::internal(
                "CANDOR_SECRET must hold at least 32 bytes",
            ));
        }
        return Ok(Keys::from_bytes(bytes));
    }
    conn.transaction(|conn| {
        let stored: Option<String> = instance_settings::table
            .find("secret")
            .select(instance_settings::value)
            .first(conn)
            .optional()?;
        let value = match stored {
            Some(v) => v,
            None => {
                let v = URL_SAFE_NO_PAD.encode(random_bytes(32));
                diesel::insert_into(instance_settings::table)
                    .values((
                        instance_settings::name.eq("secret"),
                        instance_settings::value.eq(&v),
                    ))
                    .execute(conn)?;
                v
            }
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| AppError::internal("stored instance secret is corrupt"))?;
        Ok(Keys::from_bytes(bytes))
    })
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    buf
}

/// A random secret for a person to hold, base64url.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

/// A random 128-bit identifier. Random rather than sequential so ids reveal no order.
pub fn new_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(SECRET_BYTES))
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim()).ok()
}

/// Compares two byte strings in time independent of where they differ. `subtle` keeps the
/// compiler from turning the comparison back into an early exit, which a hand-written fold
/// does not guarantee. (Lengths are not secret here: every compared value has a fixed size.)
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}
