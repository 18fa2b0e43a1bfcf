// The token this browser keeps for a round, with the member's consent (THREAT-MODEL G16, G17).
//
// Kept in local storage under the round's id, and nowhere else: the server never learns the
// message, so only this browser can replace its answer while the round is open or find its
// token in the bulletin after close. Nothing about the answer itself is kept: a coercer who
// reads this browser learns that it took part, never what it said, and the answer it shows
// may have been changed since. Deleted after the bulletin check.
import { b64urlDecode } from './blindrsa.js';

export const PREFIX = 'candor-token-';

export function storageKey(kind, id) {
  return kind === 'round' ? `${PREFIX}${id}` : `${PREFIX}${kind}-${id}`;
}

function storage() {
  try { return globalThis.localStorage || null; } catch (_) { return null; }
}

// { token, spent, title, kind, id } or null. An entry written before kept tokens existed is
// a bare token that was never spent.
export function load(kind, id) {
  const s = storage();
  if (!s) return null;
  let v = null;
  try { v = JSON.parse(s.getItem(storageKey(kind, id)) || 'null'); } catch (_) { v = null; }
  if (!v) return null;
  if (v.message) return { token: v, spent: false, title: '', kind, id };
  return v.token ? v : null;
}

// A full or refused storage keeps nothing and throws nothing: callers hold the token in
// memory too, so a lost write never loses a token mid-answer.
export function save(entry) {
  const s = storage();
  try { if (s) s.setItem(storageKey(entry.kind, entry.id), JSON.stringify(entry)); } catch (_) { /* memory holds it */ }
}

export function forget(kind, id) {
  const s = storage();
  if (s) s.removeItem(storageKey(kind, id));
}

// Every spent token this browser kept.
export function allSpent() {
  const s = storage();
  const out = [];
  if (!s) return out;
  for (let i = 0; i < s.length; i += 1) {
    const k = s.key(i);
    if (!k || !k.startsWith(PREFIX)) continue;
    try {
      const v = JSON.parse(s.getItem(k) || 'null');
      if (v && v.spent && v.token && v.kind && v.id) out.push(v);
    } catch (_) { /* not ours */ }
  }
  return out;
}

// The bulletin entry of a token: lowercase hex SHA-256 of its message bytes.
export async function messageHash(token) {
  const digest = await crypto.subtle.digest('SHA-256', b64urlDecode(token.message));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
