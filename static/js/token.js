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

// The fingerprint published for everyone on the transparency page for this round or review.
// A key swapped for one member (the page and its data attributes changed together) does not
// match it: that is what lets each member check they got the same key as everyone (G11).
async function publishedFingerprint(scopeId) {
  const res = await fetch('/api/v1/transparency', { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  if (!res.ok) throw new Error('the transparency page could not be read, so the round key cannot be checked; try again later');
  const listed = await res.json();
  const entry = (listed.keys || []).find((k) => k.id === scopeId);
  return entry ? entry.fingerprint : null;
}

// form.dataset carries the key the page showed: keyN, keyE, fingerprint, tokensUrl, and the
// round or review id (scope or reviewId). Refuses (throws) a key whose fingerprint differs
// from the one printed on the page or from the one published on the transparency page.
export async function obtainToken(form, invite) {
  const shown = form.dataset.fingerprint;
  const published = await publishedFingerprint(form.dataset.scope || form.dataset.reviewId);
  if (!published || published !== shown) {
    const err = new Error('The key on this page does not match the fingerprint published for everyone on the transparency page. Do not answer; tell someone you trust.');
    err.keyMismatch = true;
    throw err;
  }
  let key;
  try {
    key = await importKey({ n: form.dataset.keyN, e: form.dataset.keyE, fingerprint: shown }, published);
  } catch (e) {
    const err = new Error('The key on this page does not match its published fingerprint. Do not answer; tell someone you trust.');
    err.keyMismatch = true;
    throw err;
  }
  const t = await makeToken(key);
  const res = await postJson(form.dataset.tokensUrl, { invite, blinded_message: b64urlEncode(t.blindedMessage) });
  if (!res.ok) {
    const err = new Error((res.data && res.data.detail) || `the server refused the token (${res.status})`);
    err.status = res.status;
    throw err;
  }
  const sig = await finalize(key, t.prepared, b64urlDecode(res.data.blind_signature), t.inv);
  return { message: b64urlEncode(t.message), randomizer: b64urlEncode(t.randomizer), signature: b64urlEncode(sig) };
}
