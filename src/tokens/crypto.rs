//! RFC 9474 RSABSSA-SHA384-PSS-Randomized: the server's signing and verification, and the
//! client side (blind, finalize) that tests, the benchmark and the demo use to play members.

use blind_rsa_signatures::{
    BlindSignature, BlindingResult, DefaultRng, KeyPairSha384PSSRandomized, MessageRandomizer,
    PublicKeySha384PSSRandomized, SecretKeySha384PSSRandomized, Signature,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::secret::{b64, unb64};

pub type PublicKey = PublicKeySha384PSSRandomized;
pub type SecretKey = SecretKeySha384PSSRandomized;

/// Round keys are RSA-2048 (API.md).
pub const MODULUS_BITS: usize = 2048;
pub const MODULUS_BYTES: usize = MODULUS_BITS / 8;
/// The only public exponent Candor generates, serves or accepts (G11). The fingerprint covers
/// the modulus alone, so a server free to pick `e` could hand one member `(n, e')` with its
/// own `d'`: every fingerprint check would pass and that member's token would verify only
/// under `e'`, tagging them. Pinning `e` closes that.
pub const PUBLIC_EXPONENT: u32 = 65_537;
/// [`PUBLIC_EXPONENT`] as the key directory lists it: big-endian bytes, base64url.
pub const PUBLIC_EXPONENT_B64: &str = "AQAB";
/// The token message a member's browser picks: 32 random bytes.
pub const MESSAGE_BYTES: usize = 32;

/// A public round key as API.md publishes it: `n` and `e` big-endian, base64url; the
/// fingerprint is the lowercase hex SHA-256 of the modulus bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = Key)]
pub struct KeyJson {
    pub n: String,
    pub e: String,
    pub fingerprint: String,
}

/// One entry of the key directory (`GET /api/v1/keys`): what the server publishes for
/// everyone and what a client re-reads, over a separate cookieless request, before it blinds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ListedKey {
    /// `round` or `review`.
    pub kind: String,
    pub id: String,
    /// `open` or `closed` (a closed key stays listed for a while so members can still check).
    pub status: String,
    pub fingerprint: String,
    /// The modulus, base64url, so an independent client can check the fingerprint itself.
    pub n: String,
    /// Always [`PUBLIC_EXPONENT`], base64url like every binary value of the API (`AQAB`).
    pub e: String,
    pub n_bits: u32,
}

/// The client's second-channel check (G11): the key it was served for `kind`/`id` must be
/// listed, open, under that same id, with the same modulus and fingerprint and the pinned
/// exponent. A server that serves one member its own key must also serve that member its
/// own directory, on a request that carries no cookie and nothing from the page.
pub fn check_listed(
    directory: &[ListedKey],
    kind: &str,
    id: &str,
    key: &KeyJson,
) -> Result<(), String> {
    let entry = directory
        .iter()
        .find(|k| k.kind == kind && k.id == id)
        .ok_or("this key is not in the key directory published for everyone")?;
    if entry.status != "open" {
        return Err("the key directory says this is closed".into());
    }
    if entry.e != PUBLIC_EXPONENT_B64 || entry.n_bits as usize != MODULUS_BITS {
        return Err(format!(
            "the key directory lists a key other than the {MODULUS_BITS}-bit, e = {PUBLIC_EXPONENT} kind Candor uses"
        ));
    }
    let n = unb64(&key.n).ok_or("n is not base64url")?;
    if entry.fingerprint != key.fingerprint
        || entry.fingerprint != fingerprint(&n)
        || unb64(&entry.n).as_deref() != Some(n.as_slice())
    {
        return Err("key fingerprint differs from the one in the key directory".into());
    }
    check_exponent(&unb64(&key.e).ok_or("e is not base64url")?)
}

/// A finalized token as a member submits it: message, randomizer and signature, base64url.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Token)]
pub struct TokenJson {
    pub message: String,
    pub randomizer: String,
    pub signature: String,
}

/// A fresh key pair, DER-encoded (base64url) for storage, and its public form.
pub struct NewKey {
    pub secret_der: String,
    pub public_der: String,
    pub public: KeyJson,
}

/// Lowercase hex SHA-256 of the big-endian modulus (API.md).
pub fn fingerprint(n: &[u8]) -> String {
    Sha256::digest(n)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Lowercase hex SHA-256 of a token message: what the bulletin publishes for each counted
/// token (THREAT-MODEL G16). The message is 32 random bytes only its member's browser knows,
/// so the hash says nothing to anyone else, and nothing at all about the answer.
pub fn message_hash(message: &[u8]) -> String {
    fingerprint(message)
}

/// Whether big-endian bytes hold exactly [`PUBLIC_EXPONENT`] (leading zero bytes allowed: they
/// do not change the key).
pub fn is_pinned_exponent(e: &[u8]) -> bool {
    let start = e.iter().position(|b| *b != 0).unwrap_or(e.len());
    e[start..] == PUBLIC_EXPONENT.to_be_bytes()[1..]
}

/// Refuses any key whose exponent is not the pinned one, on the server and in the client.
pub fn check_exponent(e: &[u8]) -> Result<(), String> {
    if is_pinned_exponent(e) {
        Ok(())
    } else {
        Err(format!(
            "public exponent must be {PUBLIC_EXPONENT}; a key with another exponent could single out one member"
        ))
    }
}

pub fn generate() -> Result<NewKey, AppError> {
    let kp = KeyPairSha384PSSRandomized::generate(&mut DefaultRng, MODULUS_BITS)
        .map_err(|e| AppError::caused("key generation", e))?;
    // The crate uses 65537 today; checked so a change there can never reach a member.
    check_exponent(&kp.pk.components().e()).map_err(AppError::internal)?;
    let secret_der = kp
        .sk
        .to_der()
        .map_err(|e| AppError::caused("key encoding", e))?;
    let public_der = kp
        .pk
        .to_der()
        .map_err(|e| AppError::caused("key encoding", e))?;
    Ok(NewKey {
        secret_der: b64(&secret_der),
        public_der: b64(&public_der),
        public: key_json(&kp.pk),
    })
}

pub fn key_json(pk: &PublicKey) -> KeyJson {
    let c = pk.components();
    let n = c.n();
    KeyJson {
        fingerprint: fingerprint(&n),
        n: b64(&n),
        e: b64(&c.e()),
    }
}

/// A stored public key. Every key the server serves or verifies with passes through here,
/// so a row with another exponent (written by hand into the database) is never served.
pub fn parse_public(der_b64: &str) -> Result<PublicKey, AppError> {
    let der =
        unb64(der_b64).ok_or_else(|| AppError::internal("stored public key is not base64url"))?;
    let pk = PublicKey::from_der(&der).map_err(|e| AppError::caused("stored public key", e))?;
    check_exponent(&pk.components().e()).map_err(|e| AppError::caused("stored public key", e))?;
    Ok(pk)
}

/// A stored secret key; like [`parse_public`], never one with another exponent.
pub fn parse_secret(der_b64: &str) -> Result<SecretKey, AppError> {
    let der =
        unb64(der_b64).ok_or_else(|| AppError::internal("stored secret key is not base64url"))?;
    let sk = SecretKey::from_der(&der).map_err(|e| AppError::caused("stored secret key", e))?;
    check_exponent(&sk.components().e()).map_err(|e| AppError::caused("stored secret key", e))?;
    Ok(sk)
}

/// Signs a member's blinded message. The server never sees the message itself.
pub fn sign_blinded(sk: &SecretKey, blinded: &[u8]) -> Result<Vec<u8>, AppError> {
    if blinded.len() != MODULUS_BYTES {
        return Err(AppError::invalid(
            "blinded_message",
            format!("must be {MODULUS_BYTES} bytes, base64url"),
        ));
    }
    sk.blind_sign(blinded).map(|s| s.0).map_err(|_| {
        AppError::invalid(
            "blinded_message",
            "is not a valid blinded message for this key",
        )
    })
}

/// A token whose fields decoded to the right sizes.
pub struct Token {
    pub message: Vec<u8>,
    pub randomizer: [u8; 32],
    pub signature: Vec<u8>,
}

impl Token {
    /// Decodes a submitted token; malformed ones are refused like forged ones (403), since
    /// either way it is not a token this server issued.
    pub fn decode(t: &TokenJson) -> Result<Self, AppError> {
        let bad = || AppError::Forbidden("this token is not valid for this round".into());
        let message = unb64(&t.message)
            .filter(|m| m.len() == MESSAGE_BYTES)
            .ok_or_else(bad)?;
        let randomizer: [u8; 32] = unb64(&t.randomizer)
            .and_then(|r| r.try_into().ok())
            .ok_or_else(bad)?;
        let signature = unb64(&t.signature)
            .filter(|s| s.len() == MODULUS_BYTES)
            .ok_or_else(bad)?;
        Ok(Self {
            message,
            randomizer,
            signature,
        })
    }

    pub fn verifies(&self, pk: &PublicKey) -> bool {
        pk.verify(
            &Signature(self.signature.clone()),
            Some(MessageRandomizer(self.randomizer)),
            &self.message,
        )
        .is_ok()
    }
}

/// The member's side, for scripted members in tests, the benchmark and the demo. Browsers
/// do the same in `static/js/blindrsa.js`.
pub struct ClientRequest {
    pub message: Vec<u8>,
    pub blinded_message: String,
    state: BlindingResult,
    pk: PublicKey,
}

impl ClientRequest {
    /// Checks the key against the fingerprint the member was shown and the pinned exponent,
    /// then blinds a fresh message.
    pub fn new(key: &KeyJson, expected_fingerprint: &str) -> Result<Self, String> {
        let n = unb64(&key.n).ok_or("n is not base64url")?;
        let e = unb64(&key.e).ok_or("e is not base64url")?;
        if fingerprint(&n) != expected_fingerprint || key.fingerprint != expected_fingerprint {
            return Err("key fingerprint mismatch".into());
        }
        check_exponent(&e)?;
        let pk = public_from_components(&n, &e)?;
        let message = crate::secret::random_bytes(MESSAGE_BYTES);
        let state = pk
            .blind(&mut DefaultRng, &message)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            blinded_message: b64(&state.blind_message.0),
            message,
            state,
            pk,
        })
    }

    pub fn finalize(&self, blind_signature_b64: &str) -> Result<TokenJson, String> {
        let blind_sig = unb64(blind_signature_b64).ok_or("blind signature is not base64url")?;
        let sig = self
            .pk
            .finalize(&BlindSignature(blind_sig), &self.state, &self.message)
            .map_err(|e| e.to_string())?;
        let randomizer = self
            .state
            .msg_randomizer
            .ok_or("randomized variant always has a randomizer")?;
        Ok(TokenJson {
            message: b64(&self.message),
            randomizer: b64(&randomizer.0),
            signature: b64(&sig.0),
        })
    }
}

/// A public key from its big-endian modulus and the pinned exponent (any other is refused).
pub fn public_from_components(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
    check_exponent(e)?;
    let n = rsa::BoxedUint::from_be_slice(n, (n.len() * 8) as u32)
        .map_err(|e| format!("modulus: {e:?}"))?;
    // The exponent at its own width: at the modulus's, the constant-time r^e of blinding costs
    // as much as a signature (bench/RESULTS.md).
    let e = rsa::BoxedUint::from_be_slice(e, (e.len().max(1) * 8) as u32)
        .map_err(|e| format!("exponent: {e:?}"))?;
    let inner = rsa::RsaPublicKey::new(n, e).map_err(|e| format!("key: {e}"))?;
    Ok(PublicKey::new(inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use blind_rsa_signatures::BlindMessage;

    /// Reads one variant's vector from the copy of RFC 9474's test vectors kept in the repo.
    fn vector(section: &str) -> std::collections::HashMap<String, Vec<u8>> {
        let text = include_str!("../../tests/data/rfc9474-test-vectors.md");
        let start = text.find(section).expect("section");
        let body = &text[start..];
        let body = &body[body.find("~~~").expect("block") + 3..];
        let body = &body[..body.find("~~~").expect("end")];
        let mut out = std::collections::HashMap::new();
        let mut current: Option<(String, String)> = None;
        for line in body.lines() {
            if let Some((k, v)) = line.split_once(" = ") {
                if let Some((k0, v0)) = current.take() {
                    out.insert(k0, hex(&v0));
                }
                current = Some((k.trim().to_owned(), v.trim().to_owned()));
            } else if let Some((_, v)) = current.as_mut() {
                v.push_str(line.trim());
            }
        }
        if let Some((k0, v0)) = current {
            out.insert(k0, hex(&v0));
        }
        out
    }

    fn hex(s: &str) -> Vec<u8> {
        let s = if s.len() % 2 == 1 {
            format!("0{s}")
        } else {
            s.to_owned()
        };
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn the_server_reproduces_the_rfc_9474_randomized_vector() {
        let v = vector("## RSABSSA-SHA384-PSS-Randomized Test Vector");
        let bits = (v["n"].len() * 8) as u32;
        let big = |k: &str| rsa::BoxedUint::from_be_slice(&v[k], bits).expect("uint");
        let inner = rsa::RsaPrivateKey::from_components(
            big("n"),
            big("e"),
            big("d"),
            vec![big("p"), big("q")],
        )
        .expect("key");
        let sk = SecretKey::new(inner);
        // The server's half: signing the published blinded message gives the published blind signature.
        let blind_sig = sk
            .blind_sign(BlindMessage(v["blinded_msg"].clone()))
            .expect("sign");
        assert_eq!(blind_sig.0, v["blind_sig"]);
        // Verification accepts the published signature over prefix || msg, and nothing else.
        let pk = sk.public_key().expect("pk");
        let token = Token {
            message: v["msg"].clone(),
            randomizer: v["msg_prefix"].clone().try_into().expect("32"),
            signature: v["sig"].clone(),
        };
        assert!(token.verifies(&pk));
        let mut forged = Token {
            signature: token.signature.clone(),
            ..token
        };
        forged.signature[10] ^= 1;
        assert!(!forged.verifies(&pk));
        let other = Token {
            message: b"another message".to_vec(),
            randomizer: forged.randomizer,
            signature: v["sig"].clone(),
        };
        assert!(!other.verifies(&pk));
    }

    /// G11: the fingerprint covers `n` only, so a key that keeps `n` and changes `e` passes
    /// every fingerprint check. The client refuses it, and the server never parses one.
    #[test]
    fn a_key_with_another_exponent_is_refused_by_the_client_and_never_served() {
        let key = generate().expect("key");
        assert_eq!(
            unb64(&key.public.e).map(|e| is_pinned_exponent(&e)),
            Some(true),
            "generated keys use 65537"
        );
        let n = unb64(&key.public.n).expect("n");
        for e in [
            vec![3u8],
            vec![1, 0, 3],
            vec![1, 0, 0, 1],
            vec![0, 1, 0, 0, 1],
            vec![],
        ] {
            let swapped = KeyJson {
                e: b64(&e),
                ..key.public.clone()
            };
            // n and both fingerprints still match: only e differs.
            let err = ClientRequest::new(&swapped, &key.public.fingerprint)
                .err()
                .expect("refused");
            assert!(err.contains("65537"), "{err}");
            assert!(public_from_components(&n, &e).is_err());
            // And the directory check refuses it even when the directory agrees on n.
            let listed = ListedKey {
                kind: "round".into(),
                id: "r".into(),
                status: "open".into(),
                fingerprint: key.public.fingerprint.clone(),
                n: key.public.n.clone(),
                e: PUBLIC_EXPONENT_B64.to_owned(),
                n_bits: MODULUS_BITS as u32,
            };
            assert!(check_listed(&[listed], "round", "r", &swapped).is_err());
        }
        // 65537 with leading zero bytes is the same key.
        assert!(ClientRequest::new(
            &KeyJson {
                e: b64(&[0, 0, 1, 0, 1]),
                ..key.public.clone()
            },
            &key.public.fingerprint
        )
        .is_ok());
        // A stored key with another exponent (written into the database by hand) is never
        // parsed, so never served nor used to verify. The signing crate allows e = 3; we do not.
        let inner = rsa::RsaPublicKey::new(
            rsa::BoxedUint::from_be_slice(&n, (n.len() * 8) as u32).expect("n"),
            rsa::BoxedUint::from_be_slice(&[3], 8).expect("e"),
        )
        .expect("an RSA key with e = 3, which the crate itself would accept");
        let der = b64(&PublicKey::new(inner).to_der().expect("der"));
        let err = parse_public(&der).expect_err("refused");
        assert!(format!("{err:?}").contains("65537"), "{err:?}");
        assert!(parse_public(&key.public_der).is_ok());
    }

    #[test]
    fn a_blinded_round_trip_verifies_and_a_swapped_key_is_refused() {
        let key = generate().expect("key");
        let sk = parse_secret(&key.secret_der).expect("sk");
        let pk = parse_public(&key.public_der).expect("pk");
        let req = ClientRequest::new(&key.public, &key.public.fingerprint).expect("blind");
        let blinded = unb64(&req.blinded_message).expect("b64");
        let sig = sign_blinded(&sk, &blinded).expect("sign");
        let token = req.finalize(&b64(&sig)).expect("finalize");
        assert!(Token::decode(&token).expect("decode").verifies(&pk));
        // A member shown one fingerprint refuses a different key.
        let other = generate().expect("key");
        assert!(ClientRequest::new(&other.public, &key.public.fingerprint).is_err());
        // A token for one key does not verify under another.
        assert!(!Token::decode(&token)
            .expect("decode")
            .verifies(&parse_public(&other.public_der).expect("pk")));
    }
}
