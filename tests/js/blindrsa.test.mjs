// Checks static/js/blindrsa.js against the RFC 9474 test vectors and plays the
// signer itself (with the vectors' private exponent) for round trips.
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, generateKeyPairSync, verify as nodeVerify, constants } from 'node:crypto';
import * as brsa from '../../static/js/blindrsa.js';

// ---------- vector parsing ----------

// Returns { sectionTitle: { name: Uint8Array } }. A value is hex that may
// continue over following lines until the next `name =` line or fence.
function parseVectors(text) {
  const sections = {};
  let current = null, field = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const heading = line.match(/^##\s+(.*?)\s+Test Vector$/);
    if (heading) { current = sections[heading[1]] = {}; field = null; continue; }
    if (!current) continue;
    if (line === '~~~' || line === '') { field = null; continue; }
    const kv = line.match(/^([a-z_]+)\s*=\s*([0-9a-f]*)$/);
    if (kv) { field = kv[1]; current[field] = kv[2]; continue; }
    if (field && /^[0-9a-f]+$/.test(line)) current[field] += line;
    else field = null;
  }
  for (const fields of Object.values(sections)) {
    for (const k of Object.keys(fields)) fields[k] = Uint8Array.from(Buffer.from(fields[k], 'hex'));
  }
  return sections;
}

const vectorsText = readFileSync(new URL('../data/rfc9474-test-vectors.md', import.meta.url), 'utf8');
const sections = parseVectors(vectorsText);
const RANDOMIZED = 'RSABSSA-SHA384-PSS-Randomized';
const DETERMINISTIC = 'RSABSSA-SHA384-PSS-Deterministic';
const V = sections[RANDOMIZED];

const hex = (b) => Buffer.from(b).toString('hex');
const concat = (a, b) => Uint8Array.from([...a, ...b]);

// The RFC 9474 vectors use a 4096-bit key, which importKey (2048-bit policy)
// refuses by design, so the vector key object is built directly; the
// protocol functions only rely on {n, e, modulusBytes}.
async function vectorKey(v = V) {
  return { n: brsa.os2ip(v.n), e: brsa.os2ip(v.e), modulusBytes: v.n.length, fingerprint: await brsa.fingerprint(v.n) };
}

// A fresh 2048-bit key for the production path (importKey), with d for signing.
const gen = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const GEN = { n: brsa.b64urlDecode(gen.n), e: brsa.b64urlDecode(gen.e), d: brsa.b64urlDecode(gen.d) };

function flipBit(bytes, bit) {
  const out = Uint8Array.from(bytes);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

// ---------- tests ----------

test('vector file parses with the expected sections and sizes', () => {
  assert.ok(V, `section ${RANDOMIZED} missing; found ${Object.keys(sections).join(', ')}`);
  assert.equal(V.n.length, 512); // RFC 9474 vectors: 4096-bit modulus
  assert.equal(V.d.length, 512);
  assert.equal(V.msg_prefix.length, 32);
  assert.equal(V.salt.length, 48);
  assert.equal(V.sig.length, 512);
  assert.equal(sections[DETERMINISTIC].msg_prefix.length, 0);
});

test('b64url round trip and strict decoding', () => {
  for (let len = 0; len < 70; len++) {
    const b = brsa.randomBytes(len);
    const s = brsa.b64urlEncode(b);
    assert.equal(s, Buffer.from(b).toString('base64url'));
    assert.deepEqual(brsa.b64urlDecode(s), b);
  }
  for (const bad of ['ab+c', 'ab/c', 'abc=', 'a b', 'abcde', 'ab!c', 'AB']) {
    assert.throws(() => brsa.b64urlDecode(bad), /base64url/, bad);
  }
});

test('fingerprint is lowercase hex SHA-256 of n', async () => {
  const fp = await brsa.fingerprint(V.n);
  assert.match(fp, /^[0-9a-f]{64}$/);
  assert.equal(fp, createHash('sha256').update(V.n).digest('hex'));
});

async function importGenKey() {
  const fp = await brsa.fingerprint(GEN.n);
  return brsa.importKey({ n: brsa.b64urlEncode(GEN.n), e: brsa.b64urlEncode(GEN.e), fingerprint: fp }, fp);
}

test('importKey accepts a 2048-bit key and rejects bad keys', async () => {
  const key = await importGenKey();
  assert.equal(key.n, brsa.os2ip(GEN.n));
  assert.equal(key.e, 65537n);
  assert.equal(key.modulusBytes, 256);
  const fp = key.fingerprint;
  assert.equal(fp, createHash('sha256').update(GEN.n).digest('hex'));
  const obj = { n: brsa.b64urlEncode(GEN.n), e: brsa.b64urlEncode(GEN.e), fingerprint: fp };
  assert.equal((await brsa.importKey(obj, fp.toUpperCase())).fingerprint, fp);
  const wrong = fp.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await assert.rejects(brsa.importKey(obj, wrong), /^Error: key fingerprint mismatch/);
  await assert.rejects(brsa.importKey({ ...obj, fingerprint: wrong }, fp), /^Error: key fingerprint mismatch/);
  await assert.rejects(brsa.importKey(obj, undefined), /^Error: key fingerprint mismatch/);

  const withFp = async (nBytes, eBytes) => {
    const f = await brsa.fingerprint(nBytes);
    return brsa.importKey({ n: brsa.b64urlEncode(nBytes), e: brsa.b64urlEncode(eBytes), fingerprint: f }, f);
  };
  await assert.rejects(withFp(V.n, V.e), /2048/); // the 4096-bit vector key
  await assert.rejects(withFp(GEN.n.subarray(1), GEN.e), /2048/); // 2040 bits
  const topClear = Uint8Array.from(GEN.n); topClear[0] &= 0x7f;
  await assert.rejects(withFp(topClear, GEN.e), /2048/);
  await assert.rejects(withFp(GEN.n, Uint8Array.of(1, 0, 0)), /exponent/); // even
  await assert.rejects(withFp(GEN.n, Uint8Array.of(1)), /exponent/); // e = 1
  await assert.rejects(withFp(GEN.n, new Uint8Array(0)), /exponent/); // e = 0
});

test('prepare prepends 32 random bytes', () => {
  assert.deepEqual(V.prepared_msg, concat(V.msg_prefix, V.msg));
  const { randomizer, prepared } = brsa.prepare(V.msg);
  assert.equal(randomizer.length, 32);
  assert.deepEqual(prepared, concat(randomizer, V.msg));
  assert.notDeepEqual(brsa.prepare(V.msg).randomizer, randomizer);
});

for (const name of [RANDOMIZED, DETERMINISTIC]) {
  test(`${name}: encode, blind, finalize and verify match the vector`, async (t) => {
    const v = sections[name];
    if (!v) return t.skip(`${name} not in vector file`);
    const key = await vectorKey(v);
    const prepared = concat(v.msg_prefix, v.msg);
    assert.deepEqual(prepared, v.prepared_msg);

    const encoded = await brsa.emsaPssEncode(prepared, 8 * v.n.length - 1, v.salt);
    assert.equal(hex(encoded), hex(v.encoded_msg));

    const inv = brsa.os2ip(v.inv);
    const r = brsa.modInverse(inv, key.n);
    const blinded = await brsa.blind(key, prepared, { salt: v.salt, r });
    assert.equal(hex(blinded.blindedMessage), hex(v.blinded_msg));
    assert.equal(blinded.inv, inv);

    const sig = await brsa.finalize(key, prepared, v.blind_sig, inv);
    assert.equal(hex(sig), hex(v.sig));

    assert.equal(await brsa.verify(key, v.sig, prepared), true);
    assert.equal(await brsa.verify(key, flipBit(v.sig, 0), prepared), false);
    assert.equal(await brsa.verify(key, flipBit(v.sig, 8 * v.sig.length - 1), prepared), false);
    assert.equal(await brsa.verify(key, v.sig, flipBit(prepared, 5)), false);
    assert.equal(await brsa.verify(key, v.sig, concat(prepared, [0])), false);
    assert.equal(await brsa.verify(key, v.sig.subarray(1), prepared), false);
    // finalize must refuse a blind signature that does not finalize to a valid signature.
    await assert.rejects(brsa.finalize(key, prepared, flipBit(v.blind_sig, 9), inv), /invalid signature/);
    await assert.rejects(brsa.finalize(key, flipBit(prepared, 0), v.blind_sig, inv), /invalid signature/);
  });
}

test('verify rejects the zero-salt (PSSZERO) vector signatures', async () => {
  const key = await vectorKey();
  for (const name of ['RSABSSA-SHA384-PSSZERO-Randomized', 'RSABSSA-SHA384-PSSZERO-Deterministic']) {
    const v = sections[name];
    if (!v) continue;
    assert.equal(await brsa.verify(key, v.sig, v.prepared_msg), false, name);
  }
});

test('finalize rejects out-of-range blind signatures', async () => {
  const key = await vectorKey();
  const inv = brsa.os2ip(V.inv);
  await assert.rejects(brsa.finalize(key, V.prepared_msg, V.n, inv), /out of range/);
  await assert.rejects(brsa.finalize(key, V.prepared_msg, V.blind_sig.subarray(1), inv), /length/);
});

const SIGNERS = [
  ['RFC 9474 vector key (4096-bit)', () => vectorKey(), V],
  ['generated key via importKey (2048-bit)', () => importGenKey(), GEN],
];

for (const [label, getKey, raw] of SIGNERS) {
  test(`blind/finalize round trip, test acting as signer, 10 times: ${label}`, async () => {
    const key = await getKey();
    const k = key.modulusBytes;
    const d = brsa.os2ip(raw.d);
    const nodeKey = createPublicKey({
      key: { kty: 'RSA', n: brsa.b64urlEncode(raw.n), e: brsa.b64urlEncode(raw.e) },
      format: 'jwk',
    });
    for (let i = 0; i < 10; i++) {
      const tok = await brsa.makeToken(key);
      assert.equal(tok.message.length, 32);
      assert.equal(tok.randomizer.length, 32);
      assert.deepEqual(tok.prepared, concat(tok.randomizer, tok.message));
      assert.equal(tok.blindedMessage.length, k);
      const r = brsa.modInverse(tok.inv, key.n);
      assert.ok(r > 0n && r < key.n, 'r in [1, n)');
      assert.equal((r * tok.inv) % key.n, 1n);

      // Signer side: s' = blinded^d mod n (RSASP1).
      const blindSig = brsa.i2osp(brsa.modPow(brsa.os2ip(tok.blindedMessage), d, key.n), k);
      const sig = await brsa.finalize(key, tok.prepared, blindSig, tok.inv);
      assert.equal(sig.length, k);
      assert.equal(await brsa.verify(key, sig, tok.prepared), true);
      // Independent check: OpenSSL's RSA-PSS verifier agrees.
      assert.ok(nodeVerify('sha384', tok.prepared,
        { key: nodeKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig));
      assert.equal(await brsa.verify(key, sig, tok.message), false);
      assert.equal(await brsa.verify(key, flipBit(sig, i), tok.prepared), false);
    }
    // A caller-supplied token message is used as is.
    const msg = brsa.randomBytes(32);
    assert.deepEqual((await brsa.makeToken(key, msg)).message, msg);
  });
}

// Sign an encoded message directly with d, so verify can be fed encodings
// that are valid except for one structural defect.
async function signEncoded(em) {
  const key = await vectorKey();
  return { key, sig: brsa.i2osp(brsa.modPow(brsa.os2ip(em), brsa.os2ip(V.d), key.n), V.n.length) };
}

test('verify checks PSS structure: trailer, top bits, padding, separator, salt length', async () => {
  const emBits = 8 * V.n.length - 1;
  const good = await brsa.emsaPssEncode(V.prepared_msg, emBits, V.salt);
  assert.equal(hex(good), hex(V.encoded_msg));
  {
    const { key, sig } = await signEncoded(good); // positive control
    assert.equal(await brsa.verify(key, sig, V.prepared_msg), true);
  }
  const hashStart = good.length - 48 - 1;
  const psLen = hashStart - 48 - 1;
  const defects = {
    'wrong trailer': (em) => { em[em.length - 1] = 0xbd; },
    'top bit set': (em) => { em[0] |= 0x80; },
    'nonzero padding': (em) => { em[3] ^= 0x01; },
    'separator 0x02 instead of 0x01': (em) => { em[psLen] ^= 0x03; },
  };
  for (const [what, mutate] of Object.entries(defects)) {
    const em = Uint8Array.from(good);
    mutate(em);
    const { key, sig } = await signEncoded(em);
    assert.equal(await brsa.verify(key, sig, V.prepared_msg), false, what);
    await assert.rejects(brsa.finalize(key, V.prepared_msg, sig, 1n), /invalid signature/, what);
  }
  { // salt of 32 bytes: a valid PSS encoding, but not for this variant's salt length 48
    const salt = V.salt.subarray(0, 32);
    const h = createHash('sha384').update(Uint8Array.from([...new Uint8Array(8),
      ...createHash('sha384').update(V.prepared_msg).digest(), ...salt])).digest();
    const db = Uint8Array.from([...new Uint8Array(hashStart - 32 - 1), 1, ...salt]);
    let mask = Buffer.alloc(0);
    for (let c = 0; mask.length < db.length; c++) {
      mask = Buffer.concat([mask, createHash('sha384').update(h).update(brsa.i2osp(BigInt(c), 4)).digest()]);
    }
    const em = Uint8Array.from([...db.map((b, i) => b ^ mask[i]), ...h, 0xbc]);
    em[0] &= 0x7f;
    const { key, sig } = await signEncoded(em);
    assert.ok(nodeVerify('sha384', V.prepared_msg,
      { key: createPublicKey({ key: { kty: 'RSA', n: brsa.b64urlEncode(V.n), e: brsa.b64urlEncode(V.e) }, format: 'jwk' }),
        padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig), 'control: valid with salt 32');
    assert.equal(await brsa.verify(key, sig, V.prepared_msg), false, 'salt length 32 rejected');
  }
});

test('r is drawn from modulusBytes + 32 random bytes and redrawn when it reduces to 0', async (t) => {
  const key = await importGenKey();
  const orig = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  const lengths = [];
  let zeroDraws = 0;
  t.mock.method(globalThis.crypto, 'getRandomValues', (arr) => {
    lengths.push(arr.length);
    if (arr.length === key.modulusBytes + 32 && zeroDraws < 2) {
      zeroDraws++;
      arr.fill(0); // first draw: r = 0
      if (zeroDraws === 2) arr.set(GEN.n, 32); // second draw: r = n mod n = 0
      return arr;
    }
    return orig(arr);
  });
  const { inv } = await brsa.blind(key, V.prepared_msg);
  t.mock.restoreAll();
  assert.deepEqual(lengths, [48, 288, 288, 288]); // salt, then three draws of r
  const r = brsa.modInverse(inv, key.n);
  assert.ok(r > 0n && r < key.n);
});

test('blinding factor r is never 0 and always < n (100 draws)', async () => {
  const key = await importGenKey();
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    const { inv, blindedMessage } = await brsa.blind(key, V.prepared_msg);
    assert.equal(blindedMessage.length, 256);
    const r = brsa.modInverse(inv, key.n);
    assert.ok(r !== 0n && r < key.n);
    seen.add(r);
  }
  assert.equal(seen.size, 100);
});

test('blind rejects an out-of-range test r', async () => {
  const key = await vectorKey();
  await assert.rejects(brsa.blind(key, V.prepared_msg, { r: 0n }), /range/);
  await assert.rejects(brsa.blind(key, V.prepared_msg, { r: key.n }), /range/);
});

test('BigInt helpers', () => {
  assert.equal(brsa.modPow(4n, 13n, 497n), 445n);
  assert.equal(brsa.modPow(5n, 0n, 7n), 1n);
  assert.equal(brsa.gcd(84n, 36n), 12n);
  assert.equal(brsa.modInverse(3n, 11n), 4n);
  assert.throws(() => brsa.modInverse(6n, 9n), /not invertible/);
  assert.deepEqual(brsa.i2osp(258n, 3), Uint8Array.of(0, 1, 2));
  assert.equal(brsa.os2ip(Uint8Array.of(0, 1, 2)), 258n);
  assert.throws(() => brsa.i2osp(256n, 1), /too large/);
});
