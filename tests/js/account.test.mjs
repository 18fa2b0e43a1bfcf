// Checks the identifying-details scan of static/js/account.js: what it must flag (emails,
// phone numbers, @handles) and what it must leave alone (times, versions, plain words).
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, scan } from '../../static/js/account.js';

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

// Issue 15: the form is checked in the browser before any token is requested, by the
// server's own rules (reviews::model::check_account).
const limits = { rows: 50, entry: 2000, field: 4000 };

test('an empty account, a bad time and an over-long field are refused before a token', () => {
  assert.deepEqual(problems({ timeline: [] }, limits),
    ['The account is empty. Write at least one timeline entry or answer one question.']);
  assert.deepEqual(problems({ timeline: [], expected: ' \n\t ' }, limits).length, 1, 'blank is empty');
  assert.deepEqual(problems({ timeline: [{ time: '09:40', text: '  ' }] }, limits),
    ['Entry 1: say what happened at that time.']);
  assert.deepEqual(problems({ timeline: [{ time: '24:00', text: 'x' }] }, limits),
    ['Entry 1: give a time of day as HH:MM, or leave it out.']);
  assert.equal(problems({ timeline: [], hard: 'é'.repeat(4001) }, limits).length, 1);
  assert.equal(problems({ timeline: Array.from({ length: 51 }, () => ({ text: 'x' })) }, limits).length, 1);
});

test('what the server accepts is accepted here', () => {
  assert.deepEqual(problems({ timeline: [{ time: '9:05', text: 'paged' }] }, limits), []);
  assert.deepEqual(problems({ timeline: [], helped: 'é'.repeat(4000) }, limits), []);
  assert.deepEqual(problems({ timeline: [{ text: 'x'.repeat(2000) }] }, limits), []);
});

test('names of people invited are flagged as typed, whole words only', () => {
  const names = ['bob', 'diaz', 'zoe'];
  const hits = scan({ timeline: [{ text: 'Bob and ZOE fixed it; bobby watched' }] }, names);
  assert.deepEqual(hits.map((h) => h.text), ['Bob', 'ZOE']);
  assert.ok(hits.every((h) => h.kind === 'a name of someone invited'));
  assert.deepEqual(scan({ timeline: [{ text: 'nobody knew' }] }, names), []);
});
