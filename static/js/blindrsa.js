// Client side of RFC 9474 RSA blind signatures, variant
// RSABSSA-SHA384-PSS-Randomized: SHA-384, MGF1-SHA-384, 48-byte salt and a
// 32-byte random message prefix. No dependencies: WebCrypto supplies SHA and
// randomness, BigInt does the RSA arithmetic. Runs in browsers (secure
// contexts only, since crypto.subtle needs one) and in Node >= 20.
//
// The client never holds the private key, so nothing here must be constant
// time: the secrets (r, inv, the message) only ever meet public values.
//
// importKey enforces our policy (2048-bit n, e = 65537); blind/finalize/verify work for any
// key object {n, e, modulusBytes}, which lets the tests use the RFC 9474
// vectors (those use a 4096-bit key).

const HASH = 'SHA-384';
const H_LEN = 48; // SHA-384 output length
const S_LEN = 48; // salt length fixed by the variant (= H_LEN)
const PREFIX_LEN = 32; // randomizer length, RFC 9474 section 4.1
const MODULUS_BYTES = 256; // importKey only accepts 2048-bit keys
// The only public exponent importKey accepts. The fingerprint covers n alone: a server free
// to pick e could serve one member (n, e') with its own d', pass every fingerprint check,
// and make that member's token verify only under e', singling them out (G11).
export const PUBLIC_EXPONENT = 65537n;
// Extra random bytes when drawing r: reducing (k + 32) random bytes mod n
// leaves a bias below 2^-256, so r is uniform in practice without the
// rejection loop a plain "draw k bytes, retry if >= n" would need.
const R_EXTRA_BYTES = 32;

const webcrypto = globalThis.crypto;

// ---------- bytes, base64url, hex ----------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function b64urlEncode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += B64URL[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

export function b64urlDecode(str) {
  if (typeof str !== 'string' || str.length % 4 === 1) throw new Error('invalid base64url');
  const out = new Uint8Array(Math.floor((str.length * 6) / 8));
  let acc = 0, bits = 0, pos = 0;
  for (const ch of str) {
    const v = B64URL.indexOf(ch);
    if (v < 0) throw new Error('invalid base64url character');
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) { bits -= 8; out[pos++] = (acc >> bits) & 0xff; }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if (acc & ((1 << bits) - 1)) throw new Error('invalid base64url (non-canonical)');
  return out;
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function randomBytes(len) {
  // getRandomValues refuses more than 65536 bytes per call; we never need that many.
  return webcrypto.getRandomValues(new Uint8Array(len));
}

async function digest(alg, data) {
  if (!webcrypto?.subtle) throw new Error('WebCrypto unavailable (page must be served over HTTPS)');
  return new Uint8Array(await webcrypto.subtle.digest(alg, data));
}

// ---------- BigInt arithmetic ----------

export function os2ip(bytes) {
  return bytes.length ? BigInt('0x' + toHex(bytes)) : 0n;
}

export function i2osp(x, len) {
  if (x < 0n || x >= 1n << BigInt(8 * len)) throw new Error('integer too large');
  const hex = x.toString(16).padStart(2 * len, '0');
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function modPow(base, exp, mod) {
  // Right-to-left square-and-multiply.
  let result = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return result % mod;
}

export function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function modInverse(a, m) {
  // Extended Euclid, tracking only the coefficient of a.
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return ((oldS % m) + m) % m;
}

// ---------- EMSA-PSS (RFC 8017 section 9.1) with SHA-384 / MGF1-SHA-384 ----------

async function mgf1(seed, len) {
  const chunks = [];
  for (let c = 0, got = 0; got < len; c++, got += H_LEN) {
    chunks.push(await digest(HASH, concat(seed, i2osp(BigInt(c), 4))));
  }
  return concat(...chunks).subarray(0, len);
}

// H = Hash(0x00*8 || Hash(M) || salt), the value PSS commits to.
async function pssHash(msg, salt) {
  return digest(HASH, concat(new Uint8Array(8), await digest(HASH, msg), salt));
}

export async function emsaPssEncode(msg, emBits, salt = randomBytes(S_LEN)) {
  const emLen = Math.ceil(emBits / 8);
  if (salt.length !== S_LEN || emLen < H_LEN + S_LEN + 2) throw new Error('encoding error');
  const h = await pssHash(msg, salt);
  const db = concat(new Uint8Array(emLen - S_LEN - H_LEN - 2), [0x01], salt);
  const mask = await mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits); // clear bits above emBits so EM < n
  return concat(db, h, [0xbc]);
}

async function emsaPssVerify(msg, em, emBits) {
  const emLen = Math.ceil(emBits / 8);
  const topMask = 0xff >> (8 * emLen - emBits);
  if (em.length !== emLen || emLen < H_LEN + S_LEN + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - H_LEN - 1;
  const h = em.subarray(dbLen, emLen - 1);
  if (em[0] & ~topMask) return false;
  const db = await mgf1(h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] ^= em[i];
  db[0] &= topMask;
  const psLen = emLen - H_LEN - S_LEN - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  return bytesEqual(h, await pssHash(msg, db.subarray(dbLen - S_LEN)));
}

// ---------- keys ----------

export async function fingerprint(nBytes) {
  return toHex(await digest('SHA-256', nBytes));
}

export async function importKey({ n, e, fingerprint: claimed }, expectedFingerprint) {
  const nBytes = b64urlDecode(n);
  const fp = await fingerprint(nBytes);
  // The expected fingerprint is what the user was shown: a key that does not
  // match it may be a per-user key chosen to deanonymise them, so refuse it.
  const norm = (s) => (typeof s === 'string' ? s.toLowerCase() : null);
  if (fp !== norm(expectedFingerprint) || fp !== norm(claimed)) {
    throw new Error(`key fingerprint mismatch: got ${fp}, expected ${expectedFingerprint}`);
  }
  if (nBytes.length !== MODULUS_BYTES || !(nBytes[0] & 0x80)) throw new Error('modulus must be 2048 bits');
  const key = { n: os2ip(nBytes), e: os2ip(b64urlDecode(e)), modulusBytes: MODULUS_BYTES, fingerprint: fp };
  if (key.e !== PUBLIC_EXPONENT) {
    throw new Error(`public exponent must be ${PUBLIC_EXPONENT} (got ${key.e}); a key with another exponent could single you out`);
  }
  return key;
}

const emBitsOf = (key) => key.n.toString(2).length - 1;

// ---------- protocol ----------

export function prepare(msg) {
  const randomizer = randomBytes(PREFIX_LEN);
  return { randomizer, prepared: concat(randomizer, msg) };
}

// Uniform r in [1, n) with gcd(r, n) = 1; see R_EXTRA_BYTES for the bias argument.
function randomBlindingFactor(key) {
  for (;;) {
    const r = os2ip(randomBytes(key.modulusBytes + R_EXTRA_BYTES)) % key.n;
    if (r !== 0n && gcd(r, key.n) === 1n) return r;
  }
}

export async function blind(key, prepared, testOpts = {}) {
  const encoded = await emsaPssEncode(prepared, emBitsOf(key), testOpts.salt);
  const m = os2ip(encoded);
  // m < n holds by construction (top bit cleared); a common factor with n
  // would reveal a factor of n, which RFC 9474 treats as invalid input.
  if (m >= key.n || gcd(m, key.n) !== 1n) throw new Error('invalid input: message not coprime with n');
  const r = testOpts.r ?? randomBlindingFactor(key);
  if (r <= 0n || r >= key.n) throw new Error('blinding factor out of range');
  const inv = modInverse(r, key.n);
  const x = (m * modPow(r, key.e, key.n)) % key.n;
  return { blindedMessage: i2osp(x, key.modulusBytes), inv };
}

export async function finalize(key, prepared, blindSignature, inv) {
  if (blindSignature.length !== key.modulusBytes) throw new Error('unexpected blind signature length');
  const z = os2ip(blindSignature);
  if (z >= key.n) throw new Error('blind signature out of range');
  const sig = i2osp((z * inv) % key.n, key.modulusBytes);
  // A server that signed something else (or with another key) is caught here,
  // before the token is stored or spent.
  if (!(await verify(key, sig, prepared))) throw new Error('invalid signature from server');
  return sig;
}

export async function verify(key, signature, prepared) {
  if (!(signature instanceof Uint8Array) || signature.length !== key.modulusBytes) return false;
  const s = os2ip(signature);
  if (s >= key.n) return false;
  const emBits = emBitsOf(key);
  const m = modPow(s, key.e, key.n);
  const emLen = Math.ceil(emBits / 8);
  if (m >= 1n << BigInt(8 * emLen)) return false;
  return emsaPssVerify(prepared, i2osp(m, emLen), emBits);
}

export async function makeToken(key, tokenMessage = randomBytes(32)) {
  const { randomizer, prepared } = prepare(tokenMessage);
  const { blindedMessage, inv } = await blind(key, prepared);
  return { message: tokenMessage, randomizer, prepared, blindedMessage, inv };
}
