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

// form.dataset carries the key the page showed: keyN, keyE, fingerprint, tokensUrl.
// Refuses (throws) a key whose fingerprint differs from the one printed on the page.
export async function obtainToken(form, invite) {
  const shown = form.dataset.fingerprint;
  const key = await importKey({ n: form.dataset.keyN, e: form.dataset.keyE, fingerprint: shown }, shown);
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
