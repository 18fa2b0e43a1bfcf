// Checks the identifying-details scan of static/js/account.js: what it must flag (emails,
// phone numbers, @handles) and what it must leave alone (times, versions, plain words).
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scan } from '../../static/js/account.js';

const found = (text) => scan({ timeline: [{ text }] }).map((f) => f.text);

test('emails, phone numbers and handles are flagged', () => {
  assert.deepEqual(found('I mailed ann.lee@example.com about it'), ['ann.lee@example.com']);
  assert.deepEqual(found('called +44 20 7946 0958 twice'), ['+44 20 7946 0958']);
  assert.deepEqual(found('rang 555-123-4567'), ['555-123-4567']);
  assert.deepEqual(found('extension 555 1234'), ['555 1234']);
  assert.deepEqual(found('pinged @oncall-db and @sam_k'), ['@oncall-db', '@sam_k']);
});

test('times, versions, counts and plain prose are not flagged', () => {
  assert.deepEqual(found('at 09:40 the p99 hit 2300 ms on v1.2.3, 40 minutes in'), []);
  assert.deepEqual(found('the deploy @ noon failed'), []);
  assert.deepEqual(found('on 2026-11-20 host 10.0.0.12 ran 4.18.2 for 90 s'), []);
});

test('every field is scanned and each hit is listed once', () => {
  const hits = scan({
    timeline: [{ time: '10:00', text: 'asked @ops' }],
    expected: 'that @ops would answer',
    other: 'reach me at me@corp.example',
  });
  assert.deepEqual(hits.map((h) => h.text), ['@ops', 'me@corp.example']);
  assert.equal(hits[0].kind, 'a handle');
});
