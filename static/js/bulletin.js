// On a member's visit, checks every token this browser kept against the bulletin of its
// round once the round has closed, says whether it was counted, and deletes the token.
//
// The bulletins are read the way the key directory is: no cookie, no cache, no referrer.
// So that the reads do not say which round this browser answered, it reads the bulletin of
// every recently closed round and review the key directory lists, not only its own.
import { KEY_DIRECTORY, hasPending } from './token.js';
import { allSpent, forget, load, messageHash } from './kept.js';

const slot = document.getElementById('counted');

function get(url) {
  return fetch(url, { method: 'GET', credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
}

function say(cls, text) {
  const p = document.createElement('p');
  p.textContent = text;
  const box = document.createElement('div');
  box.className = `notice ${cls}`;
  box.setAttribute('role', 'status');
  box.append(p);
  slot.append(box);
}

async function check() {
  const kept = allSpent();
  if (!slot || !kept.length || !(globalThis.crypto && crypto.subtle)) return;
  let listed = [];
  try {
    const res = await get(KEY_DIRECTORY);
    if (res.ok) listed = ((await res.json()).keys || []).filter((k) => k && k.status === 'closed');
  } catch (_) { return; }
  const closed = kept.filter((e) => listed.some((k) => k.kind === e.kind && k.id === e.id));
  if (!closed.length) return;
  const bulletins = new Map();
  for (const k of listed) {
    try {
      const res = await get(`/api/v1/${k.kind}s/${encodeURIComponent(k.id)}/bulletin`);
      if (res.ok) bulletins.set(`${k.kind}/${k.id}`, await res.json());
    } catch (_) { /* try again on the next visit */ }
  }
  for (const e of closed) {
    const b = bulletins.get(`${e.kind}/${e.id}`);
    if (!b || !Array.isArray(b.tokens)) continue;
    const [what, yours] = e.kind === 'round' ? ['round', 'answer'] : ['review', 'account'];
    const name = e.title ? `“${e.title}”` : 'that has closed';
    if (b.tokens.includes(await messageHash(e.token))) {
      say('good', `Your ${yours} was counted in ${what} ${name}: its token is in the bulletin published at close (${b.counted} counted). This browser has now deleted it.`);
    } else {
      say('bad', `Your token is not in the bulletin of ${what} ${name}: your ${yours} was not counted. Tell someone you trust; this browser has now deleted the token.`);
    }
    forget(e.kind, e.id);
  }
}

// A round this member took part in offers "Change my answer" only where its spent token was
// kept (G17); the server renders the form hidden for everyone alike.
for (const f of document.querySelectorAll('form[data-change]')) {
  const e = load('round', f.dataset.change);
  if (e && e.spent) f.hidden = false;
}
// One whose answer was started here and never sent (a lost response, a closed tab) offers
// to finish it: the same token, or the same blinded message signed again (issue 15).
for (const f of document.querySelectorAll('form[data-finish]')) {
  const e = load('round', f.dataset.finish);
  if (hasPending('round', f.dataset.finish) || (e && !e.spent)) f.hidden = false;
}

check();
