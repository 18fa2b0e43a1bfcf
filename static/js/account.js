// The pre-review account form, in the writer's browser.
//
// With WebCrypto it takes the unlinkable way: blind a token (token.js), then send the
// account with it, no cookie, to the accounts endpoint, and show the receipt once. Without
// it the form posts to the confidential fallback as plain HTML would. Either way drafts stay
// in this browser (localStorage), never on the server, and before sending the page looks for
// emails, phone numbers and @handles and asks the writer to check them.
import { canBlind, hasPending, obtainToken, postJson, scopeUrl } from './token.js';
import { save as keepToken } from './kept.js';

const FIELDS = [
  ['expected', 'What I expected to happen'],
  ['surprised', 'What surprised me'],
  ['hard', 'What made it hard'],
  ['helped', 'What would have helped'],
  ['other', 'Anything else'],
];
const MAX_ROWS = 50;

// What the page can spot. Names of people, and roles only one person holds, it cannot: the
// help text says so.
const PATTERNS = [
  ['an email address', /[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[A-Za-z]{2,}/g],
  ['a phone number', /(?:\+\d[\d\s().-]{6,}\d|\b\d[\d\s().-]{5,}\d\b)/g],
  ['a handle', /(?:^|[^\w@.])(@[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_])/g],
];

// A run of digits is a phone number when it has at least seven digits and is not a date
// (2026-11-20), a dotted address or version (10.0.0.12), or a time range (09:40-10:15).
function looksLikePhone(hit) {
  const digits = hit.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(hit) || /^[\d.]+$/.test(hit)) return false;
  return true;
}

const store = {
  get(key) {
    try { const v = localStorage.getItem(key); return v ? JSON.parse(v) : null; } catch (_) { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (_) { return false; }
  },
  remove(key) {
    try { localStorage.removeItem(key); } catch (_) { /* nothing stored */ }
  },
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function withBreaks(text) {
  const out = [];
  text.split('\n').forEach((line, i) => { if (i) out.push(el('br')); out.push(line); });
  return out;
}

// The account as the writer and the facilitator see it (mirrors the server's rendering).
export function renderAccount(account) {
  const box = el('div', { class: 'card' });
  if (account.timeline && account.timeline.length) {
    box.append(el('h4', {}, 'Timeline'));
    const body = el('tbody');
    for (const e of account.timeline) {
      body.append(el('tr', {}, el('td', {}, e.time || '-'), el('td', {}, ...withBreaks(e.text))));
    }
    box.append(el('div', { class: 'scroll', tabindex: '0' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Time'), el('th', { scope: 'col' }, 'What I saw or did'))), body)));
  }
  for (const [name, heading] of FIELDS) {
    if (account[name]) box.append(el('h4', {}, heading), el('p', {}, ...withBreaks(account[name])));
  }
  for (const add of account.additions || []) {
    box.append(el('h4', {}, 'Added later by the writer'), el('p', {}, ...withBreaks(add)));
  }
  return box;
}

// Identifying details in the account's text: a list of {kind, text}, each once. `names` is
// the page's data-names: lowercase name parts of everyone invited (words of 3 letters or
// more, no emails), the same list for every writer; a name is flagged as the writer typed it.
export function scan(account, names = []) {
  const texts = [];
  for (const e of account.timeline || []) texts.push(e.text);
  for (const [name] of FIELDS) if (account[name]) texts.push(account[name]);
  const found = new Map();
  for (const t of texts) {
    for (const [kind, re] of PATTERNS) {
      for (const m of t.matchAll(re)) {
        const hit = (m[1] || m[0]).trim();
        if (kind === 'a phone number' && !looksLikePhone(hit)) continue;
        if (hit && !found.has(hit)) found.set(hit, kind);
      }
    }
    for (const name of names) {
      const part = String(name).toLowerCase().trim();
      if ([...part].length < 3) continue;
      const re = new RegExp(`(?:^|[^\\p{L}\\p{N}])(${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?=$|[^\\p{L}\\p{N}])`, 'iu');
      const m = t.match(re);
      if (m && !found.has(m[1])) found.set(m[1], 'a name of someone invited');
    }
  }
  return [...found].map(([text, kind]) => ({ kind, text }));
}

// The server's own rules for an account (reviews::model::check_account), checked here before
// any token is requested: a token is spent on the server the moment it is issued, so a form
// the server would refuse must never get one (issue 15: an empty form cost a writer their
// token). The server checks again; this only keeps the token from being fetched too early.
export function problems(account, limits) {
  const out = [];
  const count = (t) => [...t].length;
  const clean = (t) => (t || '').replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '').trim();
  const timeline = account.timeline || [];
  if (timeline.length > limits.rows) out.push(`A timeline holds at most ${limits.rows} entries.`);
  let words = false;
  timeline.forEach((e, i) => {
    const text = clean(e.text);
    const time = (e.time || '').trim();
    const timeOk = /^([01]?\d|2[0-3]):[0-5]\d$/.test(time);
    if (time && !timeOk) out.push(`Entry ${i + 1}: give a time of day as HH:MM, or leave it out.`);
    if (!text) {
      if (time && timeOk) out.push(`Entry ${i + 1}: say what happened at that time.`);
      return;
    }
    words = true;
    if (count(text) > limits.entry) out.push(`Entry ${i + 1} is ${count(text)} characters; the limit is ${limits.entry}.`);
  });
  for (const [name, heading] of FIELDS) {
    const text = clean(account[name]);
    if (!text) continue;
    words = true;
    if (count(text) > limits.field) out.push(`"${heading}" is ${count(text)} characters; the limit is ${limits.field}.`);
  }
  if (!words && !out.length) out.push('The account is empty. Write at least one timeline entry or answer one question.');
  return out;
}

function init(form) {
  const id = form.dataset.reviewId;
  const draftKey = `candor:review:${id}:draft`;
  const tokenKey = `candor:review:${id}:token`;
  const invite = form.elements.invite.value;
  const rows = document.getElementById('timeline-rows');
  const addBtn = document.getElementById('add-row');
  const discardBtn = document.getElementById('discard-draft');
  const submitBtn = document.getElementById('submit-account');
  const status = document.getElementById('status');
  const warnBox = document.getElementById('identifying');
  const blind = canBlind();
  let names = [];
  try { names = JSON.parse(form.dataset.names || '[]'); } catch (_) { names = []; }
  let confirmed = false;

  const say = (text, kind) => {
    status.replaceChildren(text ? el('div', { class: `notice ${kind || ''}`.trim() }, el('p', {}, text)) : '');
  };

  if (blind) {
    const keepField = document.getElementById('keep-field');
    if (keepField) keepField.hidden = false;
    document.getElementById('protection').replaceWith(el('div', { id: 'protection', class: 'notice good', role: 'status' },
      el('p', {}, el('strong', {}, 'This browser will send your account the untraceable way.')),
      el('details', {}, el('summary', {}, 'How this works'),
        el('p', {}, 'It makes a one-time pass here, the server signs it without seeing it (a blind signature), and your account is sent with the pass alone: ' +
          'no cookie, nothing that says which invite it came from.'))));
  }

  // ---- timeline rows
  const blankRow = rows.querySelector('.timeline-row').cloneNode(true);
  for (const input of blankRow.querySelectorAll('input, textarea')) input.value = '';
  const addRow = () => {
    if (rows.children.length >= MAX_ROWS) return null;
    const row = blankRow.cloneNode(true);
    rows.append(row);
    addBtn.disabled = rows.children.length >= MAX_ROWS;
    return row;
  };
  addBtn.hidden = false;
  addBtn.addEventListener('click', () => { const r = addRow(); if (r) r.querySelector('input').focus(); });

  // ---- drafts: in this browser only
  const rawRows = () => [...rows.querySelectorAll('.timeline-row')].map((row) => [
    row.querySelector('[name=timeline_time]').value, row.querySelector('[name=timeline_text]').value]);
  const saveDraft = () => {
    const draft = { timeline: rawRows() };
    for (const [name] of FIELDS) draft[name] = form.elements[name].value;
    store.set(draftKey, draft);
    discardBtn.hidden = false;
  };
  const draft = store.get(draftKey);
  if (draft) {
    const saved = Array.isArray(draft.timeline) ? draft.timeline.slice(0, MAX_ROWS) : [];
    while (rows.children.length < saved.length) addRow();
    const els = [...rows.querySelectorAll('.timeline-row')];
    saved.forEach(([t, x], i) => {
      els[i].querySelector('[name=timeline_time]').value = t || '';
      els[i].querySelector('[name=timeline_text]').value = x || '';
    });
    for (const [name] of FIELDS) if (typeof draft[name] === 'string') form.elements[name].value = draft[name];
    discardBtn.hidden = false;
    say('Your draft from earlier in this browser is back.', '');
  }
  form.addEventListener('input', () => {
    saveDraft();
    if (confirmed || !warnBox.hidden) { confirmed = false; warnBox.hidden = true; }
  });
  discardBtn.addEventListener('click', () => {
    store.remove(draftKey);
    for (const input of form.querySelectorAll('textarea, input[type=time]')) input.value = '';
    discardBtn.hidden = true;
    say('The draft is deleted from this browser.', '');
  });

  const limits = {
    rows: Number(form.dataset.maxRows) || MAX_ROWS,
    entry: Number(form.dataset.maxEntry) || 2000,
    field: Number(form.dataset.maxField) || 4000,
  };
  const unfinished = store.get(tokenKey) || hasPending('review', id);
  if (form.dataset.issued === 'true' && !unfinished) {
    // The notice above the form says what to do; sending from here would only be refused.
    submitBtn.disabled = true;
    say('This browser holds no unfinished account for this invite, so there is nothing to send from here.', 'warn');
  } else if (unfinished) {
    // A token asked for but whose answer was lost is asked for again with the same blinded
    // message, and signed again (issue 15): the writer is not locked out.
    say('An earlier attempt in this browser asked for its token but did not finish. Submitting finishes it with that same token.', 'warn');
  }

  // ---- the account as JSON, as the API takes it
  const collect = () => {
    const timeline = [];
    for (const [time, text] of rawRows()) {
      if (!time.trim() && !text.trim()) continue;
      const entry = { text };
      if (time.trim()) entry.time = time.trim();
      timeline.push(entry);
    }
    const account = { timeline };
    for (const [name] of FIELDS) if (form.elements[name].value.trim()) account[name] = form.elements[name].value;
    return account;
  };

  const warn = (found) => {
    const list = el('ul', {}, ...found.map((f) => el('li', {}, `${f.kind}: `, el('code', {}, f.text))));
    const again = el('button', { type: 'button' }, 'Submit anyway');
    const edit = el('button', { type: 'button', class: 'secondary' }, 'Let me edit it');
    again.addEventListener('click', () => { confirmed = true; warnBox.hidden = true; form.requestSubmit(); });
    edit.addEventListener('click', () => { warnBox.hidden = true; form.querySelector('textarea').focus(); });
    warnBox.replaceChildren(el('div', { class: 'notice warn', role: 'alert' },
      el('p', {}, el('strong', {}, 'Check these before you send:'), ' they could point at you or at someone else.'),
      list,
      el('p', {}, 'Other names, and roles only one person holds, the page cannot spot: look for those too.'),
      el('p', {}, again, ' ', edit)));
    warnBox.hidden = false;
    again.focus();
  };

  const showReceipt = (data) => {
    const copy = el('button', { type: 'button', class: 'secondary small' }, 'Copy');
    copy.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(data.receipt); copy.textContent = 'Copied'; } catch (_) { copy.textContent = 'Select it and copy'; }
    });
    const heading = el('h2', { tabindex: '-1' }, 'Your account is stored');
    const done = el('div', { id: 'result' }, heading,
      el('div', { class: 'notice good' },
        el('p', {}, 'Your receipt. ', el('strong', {}, 'Write it down or copy it now: it is shown only this once'), ' and nobody can recover it.'),
        el('p', {}, el('code', { class: 'receipt', id: 'receipt' }, data.receipt), ' ', copy),
        el('p', {}, 'With it you can come back at ', el('a', { href: '/p/followups' }, 'your follow-ups page'),
          ' to read the facilitator\'s questions, answer them and add to your account. Keep it to yourself: whoever holds it can read your account.')),
      el('h3', {}, 'What was stored'),
      el('p', {}, 'Exactly this, with no name, no time and no link to your invite:'),
      renderAccount(data.stored));
    document.getElementById('result')?.remove();
    form.replaceWith(done);
    heading.focus();
  };

  // The token also lives in memory for this page, so a retry works where storage does not
  // (a private window, a full quota): a token once obtained is never lost by this page.
  let held = null;
  const send = async (account) => {
    submitBtn.disabled = true;
    try {
      let token = held || store.get(tokenKey);
      if (!token) {
        say('Getting your token…', '');
        try {
          token = await obtainToken(form, invite);
        } catch (e) {
          if (e.status === 409) throw new Error('This invite already got its token for this review, in another browser or on another device. If you sent your account there, use the receipt you were shown on the follow-ups page; if you did not finish there, go back to that browser: it keeps your draft and your token.');
          throw e;
        }
        // Kept before the account is sent, so a failed send can be retried without a second token.
        held = token;
        store.set(tokenKey, token);
      }
      say('Sending your account…', '');
      const res = await postJson(scopeUrl(form, 'accounts'), { token, account });
      if (res.status === 201) {
        held = null;
        store.remove(tokenKey);
        store.remove(draftKey);
        // With the writer's consent, the token stays for the bulletin check after close (G16).
        const keep = document.getElementById('keep-token');
        if (keep && keep.checked) keepToken({ token, spent: true, title: form.dataset.title || '', kind: 'review', id });
        showReceipt(res.data);
        return;
      }
      const detail = (res.data && res.data.detail) || `The server answered ${res.status}.`;
      if (res.status === 422) {
        say(`Nothing was stored: ${detail} Your token is kept; fix this and submit again.`, 'bad');
      } else if (res.status === 409) {
        held = null;
        store.remove(tokenKey);
        store.remove(draftKey);
        say('Your account was already stored by an earlier attempt from this browser, but its reply, with your receipt, never arrived. Nothing more was stored. Nobody can recover that receipt, not even the people who run Candor, so follow-up questions on this account cannot reach you; you can still add what you know in the review meeting.', 'bad');
      } else if (res.status === 403 || res.status === 410 || res.status === 404) {
        held = null;
        store.remove(tokenKey);
        say(`Nothing was stored: ${detail}`, 'bad');
      } else {
        say(`Nothing was stored: ${detail} Your draft and token are kept; try again.`, 'bad');
      }
    } catch (e) {
      say(`${e.message || 'The network failed.'} Your draft is kept in this browser; try again.`, 'bad');
    } finally {
      submitBtn.disabled = false;
    }
  };

  form.addEventListener('submit', (ev) => {
    const account = collect();
    const wrong = problems(account, limits);
    if (wrong.length) {
      // Nothing is requested or sent: the writer fixes the form first.
      ev.preventDefault();
      status.replaceChildren(el('div', { class: 'notice bad', role: 'alert' },
        el('p', {}, 'Nothing was sent yet. Please fix this first:'),
        el('ul', {}, ...wrong.map((w) => el('li', {}, w)))));
      return;
    }
    if (status.querySelector('[role=alert]')) say('', '');
    const found = scan(account, names);
    if (found.length && !confirmed) {
      ev.preventDefault();
      warn(found);
      return;
    }
    confirmed = false;
    if (!blind) {
      // The confidential fallback: the browser posts the form itself. The receipt page
      // clears the draft once the server has stored the account.
      return;
    }
    ev.preventDefault();
    send(account);
  });
}

if (typeof document !== 'undefined') {
  const form = document.getElementById('account-form');
  if (form) init(form);
  // The fallback's receipt page: the account is stored, so its draft goes.
  const stored = document.getElementById('draft-done');
  if (stored) store.remove(`candor:review:${stored.dataset.reviewId}:draft`);
}
