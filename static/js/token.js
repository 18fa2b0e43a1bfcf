// Gets one unlinkable token for a round or a review, in the member's browser.
//
// The server sees the member's invite secret and a blinded message, signs it, and never
// sees the message itself; the finalized token later proves eligibility without saying
// whose it is. Every request omits credentials, so no cookie can ride along.
import { b64urlDecode, b64urlEncode, finalize, importKey, makeToken } from './blindrsa.js';

// True when this browser can blind: WebCrypto exists only on https or localhost.
export function canBlind() {
  return typeof BigInt === 'function' && !!(globalThis.crypto && globalThis.crypto.subtle && globalThis.crypto.getRandomValues);
}

export async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  return { status: res.status, ok: res.ok, data };
}

// The key directory: every open (and recently closed) round and review key, published for
// everyone. Read on a request of its own, with no cookie, no cache and no referrer, so the
// server cannot tell it apart from anyone else's read or tie it to this page (G11).
export const KEY_DIRECTORY = '/api/v1/keys';
export const PUBLIC_EXPONENT = 65537;
// The same, as the directory lists it: big-endian bytes, base64url, like every binary value.
export const PUBLIC_EXPONENT_B64 = 'AQAB';
export const MODULUS_BITS = 2048;

// What this form answers: a review (data-review-id) or a pulse round (data-scope). The URLs
// the token is requested from and spent at are built from the same id the directory is
// checked for, never taken from the page separately.
export function scopeOf(form) {
  if (form.dataset.reviewId) return { kind: 'review', id: form.dataset.reviewId };
  return { kind: 'round', id: form.dataset.scope };
}

export function scopeUrl(form, what) {
  const { kind, id } = scopeOf(form);
  return `/api/v1/${kind}s/${encodeURIComponent(id)}/${what}`;
}

function refused(reason) {
  const err = new Error(`${reason} Do not answer; tell someone you trust.`);
  err.keyMismatch = true;
  return err;
}

export async function readDirectory() {
  let res;
  try {
    res = await fetch(KEY_DIRECTORY, { method: 'GET', credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  } catch (_) {
    res = null;
  }
  if (!res || !res.ok) {
    const err = new Error('The key directory could not be read, so the key on this page cannot be checked. Nothing was sent; try again later.');
    err.keyMismatch = true;
    throw err;
  }
  const listed = await res.json();
  return Array.isArray(listed && listed.keys) ? listed.keys : [];
}

// Throws unless the directory lists this kind and id, open, with this key's fingerprint and
// modulus, e = 65537 and a 2048-bit modulus.
export function checkListed(directory, kind, id, key) {
  const entry = directory.find((k) => k && k.kind === kind && k.id === id);
  if (!entry) throw refused('The key on this page is not in the key directory published for everyone, so its fingerprint cannot be confirmed.');
  if (entry.status !== 'open') throw refused('The key directory says this is closed.');
  if (entry.e !== PUBLIC_EXPONENT_B64 || entry.n_bits !== MODULUS_BITS) {
    throw refused(`The key directory lists a key other than the ${MODULUS_BITS}-bit, e = ${PUBLIC_EXPONENT} kind Candor uses.`);
  }
  const fp = String(key.fingerprint).toLowerCase();
  if (entry.fingerprint !== fp || (entry.n !== undefined && entry.n !== key.n)) {
    throw refused(`The key fingerprint on this page (${fp.slice(0, 16)}…) differs from the one in the key directory published for everyone.`);
  }
}

// The blinding state of a token asked for but not yet held (issue 15: a writer must never
// be locked out by a lost response). It is saved before the request leaves, in memory and in
// local storage, so that a retry (after a network failure, a closed tab, a reload) sends the
// SAME blinded message: the server signs that one again, to the same signature, and refuses
// any other. It is deleted as soon as the token is finalized. It holds what the finished
// token would hold (the message, the unblinding inverse): nothing about any answer.
export const PENDING_PREFIX = 'candor-pending-';
const pendingInMemory = new Map();

export function pendingKey(kind, id) {
  return `${PENDING_PREFIX}${kind}-${id}`;
}

function storage() {
  try { return globalThis.localStorage || null; } catch (_) { return null; }
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));

function serialize(t, fingerprint) {
  return { fingerprint, message: hex(t.message), randomizer: hex(t.randomizer), blinded: hex(t.blindedMessage), inv: t.inv.toString(16) };
}

function deserialize(v, fingerprint) {
  if (!v || v.fingerprint !== fingerprint || typeof v.inv !== 'string') return null;
  const message = unhex(v.message);
  const randomizer = unhex(v.randomizer);
  const prepared = new Uint8Array(randomizer.length + message.length);
  prepared.set(randomizer);
  prepared.set(message, randomizer.length);
  return { message, randomizer, prepared, blindedMessage: unhex(v.blinded), inv: BigInt(`0x${v.inv}`) };
}

// The pending state for this kind and id under this key, or null.
export function loadPending(kind, id, fingerprint) {
  const k = pendingKey(kind, id);
  let v = pendingInMemory.get(k) || null;
  const s = storage();
  if (!v && s) {
    try { v = JSON.parse(s.getItem(k) || 'null'); } catch (_) { v = null; }
  }
  return deserialize(v, fingerprint);
}

// Whether this browser asked for a token for this kind and id and does not hold it yet.
export function hasPending(kind, id) {
  const k = pendingKey(kind, id);
  if (pendingInMemory.has(k)) return true;
  const s = storage();
  try { return !!(s && s.getItem(k)); } catch (_) { return false; }
}

function savePending(kind, id, fingerprint, t) {
  const k = pendingKey(kind, id);
  const v = serialize(t, fingerprint);
  pendingInMemory.set(k, v);
  const s = storage();
  try { if (s) s.setItem(k, JSON.stringify(v)); } catch (_) { /* memory still holds it */ }
}

export function clearPending(kind, id) {
  const k = pendingKey(kind, id);
  pendingInMemory.delete(k);
  const s = storage();
  try { if (s) s.removeItem(k); } catch (_) { /* nothing stored */ }
}

// form.dataset carries the key the page showed: keyN, keyE, fingerprint, and the round or
// review id (scope or reviewId). Refuses (throws, before anything is sent) a key whose
// modulus does not match the fingerprint on the page, whose exponent is not 65537, or that
// the key directory, re-read now, does not list under this id with the same fingerprint.
// An earlier request from this browser whose answer never arrived is sent again as it was.
export async function obtainToken(form, invite) {
  const { kind, id } = scopeOf(form);
  const shown = { n: form.dataset.keyN, e: form.dataset.keyE, fingerprint: form.dataset.fingerprint };
  let key;
  try {
    key = await importKey(shown, shown.fingerprint);
  } catch (e) {
    throw refused(`The key on this page cannot be used: ${e.message}.`);
  }
  checkListed(await readDirectory(), kind, id, shown);
  let t = loadPending(kind, id, key.fingerprint);
  if (!t) {
    t = await makeToken(key);
    savePending(kind, id, key.fingerprint, t);
  }
  const res = await postJson(scopeUrl(form, 'tokens'), { invite, blinded_message: b64urlEncode(t.blindedMessage) });
  if (!res.ok) {
    // Refused for good (another token was issued, closed, not invited): this state can never
    // be signed. Anything else (the network, a busy server) keeps it for the retry.
    if ([403, 404, 409, 410].includes(res.status)) clearPending(kind, id);
    const err = new Error((res.data && res.data.detail) || `the server refused the token (${res.status})`);
    err.status = res.status;
    throw err;
  }
  const sig = await finalize(key, t.prepared, b64urlDecode(res.data.blind_signature), t.inv);
  clearPending(kind, id);
  return { message: b64urlEncode(t.message), randomizer: b64urlEncode(t.randomizer), signature: b64urlEncode(sig) };
}
