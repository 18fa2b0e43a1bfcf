// Checks the token a member's browser keeps (static/js/kept.js, G16/G17): its bulletin entry
// is the SHA-256 of the message bytes the server computes, only spent tokens are offered to
// the bulletin check, and nothing but the token, its round and title is kept.
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { b64urlEncode } from '../../static/js/blindrsa.js';
import { allSpent, forget, load, messageHash, save, storageKey } from '../../static/js/kept.js';

// A localStorage as browsers have it.
function fakeStorage() {
  const m = new Map();
  return {
    get length() { return m.size; },
    key: (i) => [...m.keys()][i] ?? null,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)); },
    removeItem: (k) => { m.delete(k); },
    dump: () => Object.fromEntries(m),
  };
}

test('the bulletin entry is the hex SHA-256 of the message bytes', async () => {
  const message = randomBytes(32);
  const token = { message: b64urlEncode(new Uint8Array(message)), randomizer: 'r', signature: 's' };
  assert.equal(await messageHash(token), createHash('sha256').update(message).digest('hex'));
});

test('only spent tokens are checked, and a forgotten one is gone', () => {
  globalThis.localStorage = fakeStorage();
  const token = { message: 'AAAA', randomizer: 'r', signature: 's' };
  save({ token, spent: false, title: 'Pulse', kind: 'round', id: 'r1' });
  assert.deepEqual(allSpent(), []);
  save({ token, spent: true, title: 'Pulse', kind: 'round', id: 'r1' });
  assert.equal(allSpent().length, 1);
  assert.equal(load('round', 'r1').spent, true);
  const stored = JSON.parse(localStorage.getItem(storageKey('round', 'r1')));
  assert.deepEqual(Object.keys(stored).sort(), ['id', 'kind', 'spent', 'title', 'token']);
  forget('round', 'r1');
  assert.equal(load('round', 'r1'), null);
  assert.deepEqual(localStorage.dump(), {});
});

test('a bare token kept by an earlier version is an unspent one', () => {
  globalThis.localStorage = fakeStorage();
  localStorage.setItem(storageKey('round', 'r2'), JSON.stringify({ message: 'AAAA', randomizer: 'r', signature: 's' }));
  const e = load('round', 'r2');
  assert.equal(e.spent, false);
  assert.equal(e.token.message, 'AAAA');
  assert.deepEqual(allSpent(), []);
});
