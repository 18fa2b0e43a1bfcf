// Checks the member's token client (static/js/token.js) against a scripted server: the key
// on the page is pinned to e = 65537 and re-checked against the key directory, read on a
// request of its own, before anything is blinded or sent (G11).
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as brsa from '../../static/js/blindrsa.js';
import { obtainToken, checkListed, hasPending } from '../../static/js/token.js';
import { identifying } from '../../static/js/pulse.js';

const b64 = brsa.b64urlEncode;

// Two genuine 2048-bit keys with their private exponents: the server plays the signer.
function genKey() {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return { n: brsa.b64urlDecode(jwk.n), e: brsa.b64urlDecode(jwk.e), d: brsa.b64urlDecode(jwk.d) };
}
const A = genKey();
const B = genKey();
const fpA = await brsa.fingerprint(A.n);
const fpB = await brsa.fingerprint(B.n);

const listed = (kind, id, k, fp, extra = {}) => ({ kind, id, status: 'open', fingerprint: fp, n: b64(k.n), e: 'AQAB', n_bits: 2048, ...extra });
const honestDirectory = () => [listed('round', 'round-a', A, fpA), listed('round', 'round-b', B, fpB)];

// A scripted server: the directory as given, and a signer for round-a with A's d.
function serve(directory, { directoryStatus = 200 } = {}) {
  const calls = [];
  globalThis.fetch = async (url, opts = {}) => {
    calls.push({ url, opts });
    if (url === '/api/v1/keys') {
      return { ok: directoryStatus === 200, status: directoryStatus, json: async () => ({ keys: directory }) };
    }
    const m = url.match(/^\/api\/v1\/(rounds|reviews)\/([^/]+)\/tokens$/);
    if (m) {
      const body = JSON.parse(opts.body);
      const k = m[2] === 'round-b' ? B : A;
      const z = brsa.modPow(brsa.os2ip(brsa.b64urlDecode(body.blinded_message)), brsa.os2ip(k.d), brsa.os2ip(k.n));
      return { ok: true, status: 200, json: async () => ({ blind_signature: b64(brsa.i2osp(z, 256)) }) };
    }
    return { ok: false, status: 404, json: async () => ({}) };
  };
  return calls;
}

const form = (over = {}) => ({ dataset: { scope: 'round-a', keyN: b64(A.n), keyE: b64(A.e), fingerprint: fpA, ...over } });
const tokenRequests = (calls) => calls.filter((c) => c.url.endsWith('/tokens')).length;

test('an honest key listed in the directory gives a token that verifies', async () => {
  const calls = serve(honestDirectory());
  const t = await obtainToken(form(), 'invite');
  const key = await brsa.importKey({ n: b64(A.n), e: b64(A.e), fingerprint: fpA }, fpA);
  const prepared = Uint8Array.from([...brsa.b64urlDecode(t.randomizer), ...brsa.b64urlDecode(t.message)]);
  assert.equal(await brsa.verify(key, brsa.b64urlDecode(t.signature), prepared), true);
  // The directory is read on its own request: GET, no cookie, no cache, no referrer.
  const dir = calls.find((c) => c.url === '/api/v1/keys');
  assert.ok(dir, 'the directory was re-read');
  assert.equal(dir.opts.credentials, 'omit');
  assert.equal(dir.opts.cache, 'no-store');
  assert.equal(dir.opts.referrerPolicy, 'no-referrer');
  assert.equal(dir.opts.body, undefined);
  // The token is requested for the id the directory was checked for.
  assert.deepEqual(calls.filter((c) => c.url.endsWith('/tokens')).map((c) => c.url), ['/api/v1/rounds/round-a/tokens']);
});

test('a key whose n matches the published fingerprint but whose e is not 65537 is refused', async () => {
  for (const e of [Uint8Array.of(3), Uint8Array.of(1, 0, 3), Uint8Array.of(1, 0, 0, 1), Uint8Array.of(0)]) {
    // The directory even agrees on n and the fingerprint: only e differs.
    const calls = serve(honestDirectory());
    await assert.rejects(obtainToken(form({ keyE: b64(e) }), 'invite'), (err) => err.keyMismatch && /65537/.test(err.message));
    assert.equal(tokenRequests(calls), 0, `e=${brsa.os2ip(e)}: nothing was sent`);
  }
  // The same at the lowest level: importKey pins e.
  for (const e of [3n, 65539n]) {
    await assert.rejects(brsa.importKey({ n: b64(A.n), e: b64(brsa.i2osp(e, 3)), fingerprint: fpA }, fpA), /public exponent must be 65537/);
  }
  // 65537 with a leading zero byte is the same key, and accepted.
  await brsa.importKey({ n: b64(A.n), e: b64(Uint8Array.of(0, 1, 0, 1)), fingerprint: fpA }, fpA);
});

test('every field of the key a server could vary for one member is refused', async () => {
  const cases = [
    ['the modulus', form({ keyN: b64(B.n) }), honestDirectory()],
    ['the fingerprint attribute', form({ fingerprint: fpB }), honestDirectory()],
    ['modulus and fingerprint together', form({ keyN: b64(B.n), fingerprint: fpB }), honestDirectory()],
    ['the key id (A\'s key under B\'s id)', form({ scope: 'round-b' }), honestDirectory()],
    ['the key id (B\'s key under A\'s id)', form({ keyN: b64(B.n), fingerprint: fpB }), honestDirectory()],
    ['the kind (listed as a review)', form(), [listed('review', 'round-a', A, fpA)]],
    ['a directory that lists another key for this id', form(), [listed('round', 'round-a', B, fpB)]],
    ['a directory that does not list it', form(), [listed('round', 'round-b', B, fpB)]],
    ['a directory that lists it as closed', form(), [listed('round', 'round-a', A, fpA, { status: 'closed' })]],
    ['a directory that lists another exponent', form(), [listed('round', 'round-a', A, fpA, { e: 3 })]],
    ['a directory that lists another size', form(), [listed('round', 'round-a', A, fpA, { n_bits: 4096 })]],
    ['a directory whose n differs from its fingerprint\'s', form(), [listed('round', 'round-a', B, fpA)]],
  ];
  for (const [what, f, directory] of cases) {
    const calls = serve(directory);
    await assert.rejects(obtainToken(f, 'invite'), (err) => err.keyMismatch === true, what);
    assert.equal(tokenRequests(calls), 0, `${what}: nothing was sent`);
  }
});

test('a directory that cannot be read stops the client', async () => {
  for (const status of [500, 404]) {
    const calls = serve(honestDirectory(), { directoryStatus: status });
    await assert.rejects(obtainToken(form(), 'invite'), /key directory could not be read/);
    assert.equal(tokenRequests(calls), 0);
  }
  globalThis.fetch = async () => { throw new TypeError('network down'); };
  await assert.rejects(obtainToken(form(), 'invite'), /key directory could not be read/);
});

test('a lost token response is asked for again with the same blinded message, and gets the same token', async () => {
  // The server signs but its response never arrives (the network, a closed tab): fetch throws.
  const calls = serve(honestDirectory());
  const honest = globalThis.fetch;
  let lose = true;
  globalThis.fetch = async (url, opts) => {
    const res = await honest(url, opts);
    if (lose && url.endsWith('/tokens')) { lose = false; throw new TypeError('connection reset'); }
    return res;
  };
  await assert.rejects(obtainToken(form(), 'invite'), TypeError);
  assert.ok(hasPending('round', 'round-a'), 'the blinding state is kept for the retry');
  const t = await obtainToken(form(), 'invite');
  const sent = calls.filter((c) => c.url.endsWith('/tokens')).map((c) => JSON.parse(c.opts.body).blinded_message);
  assert.equal(sent.length, 2);
  assert.equal(sent[0], sent[1], 'the retry sends the very blinded message the server signed');
  assert.equal(hasPending('round', 'round-a'), false, 'the state is gone once the token is held');
  const key = await brsa.importKey({ n: b64(A.n), e: b64(A.e), fingerprint: fpA }, fpA);
  const prepared = Uint8Array.from([...brsa.b64urlDecode(t.randomizer), ...brsa.b64urlDecode(t.message)]);
  assert.equal(await brsa.verify(key, brsa.b64urlDecode(t.signature), prepared), true);
  // A fresh request afterwards blinds a fresh message (the server would refuse it: one token).
  serve(honestDirectory());
  const other = await obtainToken(form(), 'invite');
  assert.notEqual(other.message, t.message);
});

test('a refused token request drops its blinding state; a busy server keeps it', async () => {
  for (const [status, kept] of [[409, false], [410, false], [403, false], [503, true], [500, true]]) {
    globalThis.fetch = async (url) => (url === '/api/v1/keys'
      ? { ok: true, status: 200, json: async () => ({ keys: honestDirectory() }) }
      : { ok: false, status, json: async () => ({ detail: 'no' }) });
    await assert.rejects(obtainToken(form(), 'invite'), (err) => err.status === status);
    assert.equal(hasPending('round', 'round-a'), kept, `${status}`);
  }
  serve(honestDirectory());
  await obtainToken(form(), 'invite');
  assert.equal(hasPending('round', 'round-a'), false);
});

test('checkListed compares kind, id, status, exponent, size, modulus and fingerprint', () => {
  const key = { n: b64(A.n), fingerprint: fpA.toUpperCase() };
  checkListed(honestDirectory(), 'round', 'round-a', key);
  assert.throws(() => checkListed(honestDirectory(), 'review', 'round-a', key), /not in the key directory/);
  assert.throws(() => checkListed(honestDirectory(), 'round', 'round-b', key), /fingerprint/);
});

test('the name warning fires on a normalised name part and not inside a word', () => {
  const names = ['ana', 'lopez', 'quinn', 'zoe'];
  assert.deepEqual(identifying('I think ZOE saw it first', names), ['a name from the roster (zoe)']);
  assert.deepEqual(identifying('Lopez fixed it.', names), ['a name from the roster (lopez)']);
  assert.deepEqual(identifying('the zoetrope and banana broke', names), []);
  assert.deepEqual(identifying('mail zoe@corp.example', names).sort(), ['a name from the roster (zoe)', 'an email address'].sort());
});
