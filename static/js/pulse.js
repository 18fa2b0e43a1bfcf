// The member's answer form, blinded route. The page works without this script (the
// confidential route); with it, the browser gets an unlinkable token and submits the
// answers anonymously with it.
import { canBlind, hasPending, obtainToken, postJson, scopeUrl } from './token.js';
import { forget, load, save } from './kept.js';

// Outside a page (node --test) there is no document: only `identifying` is of use there.
const doc = globalThis.document;
const form = doc && doc.getElementById('answer');
const protection = doc && doc.getElementById('protection');
const slot = doc && doc.getElementById('warning-slot');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// What in free text could identify someone: emails, phone numbers, @handles, roster names.
// `names` is the page's data-names: lowercase name parts (words of 3 letters or more from
// the roster's labels, no emails), the same list for everyone on the team.
export function identifying(text, names) {
  const found = new Set();
  if (/[^\s@]+@[^\s@]+\.[^\s@]+/.test(text)) found.add('an email address');
  if (/(^|\s)@[\w.-]+/.test(text)) found.add('a handle');
  if (/(\+?\d[\d\s().-]{5,}\d)/.test(text) && text.replace(/\D/g, '').length >= 7) found.add('a phone number');
  const lower = text.toLowerCase();
  for (const name of names) {
    for (const part of [name.toLowerCase().trim(), name.toLowerCase().trim().split(/\s+/)[0]]) {
      if (part.length < 3) continue;
      const re = new RegExp(`(^|[^\\p{L}\\p{N}])${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'u');
      if (re.test(lower)) { found.add(`a name from the roster (${name})`); break; }
    }
  }
  return [...found];
}

function collect() {
  const answers = [];
  const seen = new Set();
  for (const input of form.elements) {
    if (!input.name || !input.name.startsWith('q_') || seen.has(input.name)) continue;
    if (input.type === 'radio') {
      const checked = form.querySelector(`input[name="${CSS.escape(input.name)}"]:checked`);
      seen.add(input.name);
      if (!checked) continue;
      const n = Number(checked.value);
      answers.push({ question_id: input.name.slice(2), value: Number.isInteger(n) && checked.value.trim() !== '' && /^-?\d+$/.test(checked.value) ? n : checked.value });
    } else if (input.value.trim() !== '') {
      seen.add(input.name);
      answers.push({ question_id: input.name.slice(2), value: input.value.trim() });
    }
  }
  const comment = form.elements.comment ? form.elements.comment.value.trim() : '';
  return { answers, comment: comment || null };
}

// A comment's receipt, shown this once (the server keeps only a keyed hash of it).
function receiptNotice(receipt) {
  return el('div', { class: 'notice good', id: 'comment-receipt' },
    el('p', {}, 'Your comment\'s receipt. ', el('strong', {}, 'Write it down or copy it now: it is shown only this once'), ' and nobody can recover it.'),
    el('p', {}, el('code', { class: 'receipt', id: 'receipt' }, receipt)),
    el('p', {}, 'Once the round closes and enough people commented, your team lead can reply to your comment without learning who wrote it. Come back at ',
      el('a', { href: '/p/comments' }, 'your comment\'s page'), ' with this receipt to read replies and answer. Keep it to yourself: whoever holds it can read and answer in your name.'));
}

function showStored(stored, replaced, kept, receipt) {
  const main = document.getElementById('main');
  const list = el('dl', { class: 'stored' });
  for (const a of stored.answers) list.append(el('dt', {}, a.question), el('dd', {}, String(a.shown ?? a.value)));
  if (stored.comment) list.append(el('dt', {}, 'Comment'), el('dd', {}, stored.comment));
  const original = [...main.childNodes];
  const after = [];
  if (kept) {
    const change = el('button', { type: 'button', id: 'change-again' }, 'Change my answer');
    change.addEventListener('click', () => {
      main.replaceChildren(...original);
      startChanging();
      form.querySelector('button[type="submit"]').focus();
    });
    after.push(
      el('p', {}, 'This browser kept your token: you can change your answer while the round is open, and on your next visit after it closes it checks that your answer was counted. Only the last answer counts.'),
      change,
    );
  }
  main.replaceChildren(
    el('h1', { tabindex: '-1', id: 'done' }, replaced ? 'Your answer is changed' : 'Thank you: your answers are in'),
    el('p', {}, replaced
      ? 'This is exactly what Candor now stores in place of your earlier answer, and nothing else: no name, no time, no address.'
      : 'This is exactly what Candor stored, and nothing else: no name, no time, no address.'),
    list,
    el('p', { class: 'muted' }, 'Sent the untraceable way (your browser\'s privacy step). Results appear to your team lead only after the round closes, and only if enough people answered.'),
    ...(receipt ? [receiptNotice(receipt)] : []),
    ...after,
  );
  document.getElementById('done').focus();
}

// Replacing: the form now changes the answer this browser's kept token stored (G17).
let changing = false;
function startChanging() {
  changing = true;
  const change = document.getElementById('change');
  if (change) change.hidden = false;
  const offer = document.getElementById('change-offer');
  if (offer) offer.hidden = true;
  const button = form.querySelector('button[type="submit"]');
  if (button) button.textContent = 'Change my answer';
}

function showError(text) {
  slot.replaceChildren(el('div', { class: 'notice bad', role: 'alert' }, el('p', {}, text)));
}

if (form && canBlind()) {
  protection.className = 'notice good';
  protection.replaceChildren(el('p', {}, el('strong', {}, protection.dataset.heading)),
    el('details', {}, el('summary', {}, protection.dataset.summary), el('p', {}, protection.dataset.unlinkable)));
  let confirmed = false;
  const names = JSON.parse(form.dataset.names || '[]');
  const scope = form.dataset.scope;
  const keepField = doc.getElementById('keep-field');
  if (keepField) keepField.hidden = false;
  const kept = load('round', scope);
  if (form.dataset.already && (hasPending('round', scope) || (kept && !kept.spent))) {
    // This browser asked for its token, or got it, and the answer never went out (a lost
    // response, a closed tab): finishing sends that same token, so it still counts once.
    const offer = doc.getElementById('unfinished-offer');
    if (offer) offer.hidden = false;
    const go = doc.getElementById('finish-answer');
    if (go) {
      go.addEventListener('click', () => {
        const change = doc.getElementById('change');
        if (change) change.hidden = false;
        if (offer) offer.hidden = true;
        form.querySelector('button[type="submit"]').focus();
      });
    }
  } else if (form.dataset.already && kept && kept.spent) {
    // This member took part from this browser, which kept the token: offer the change.
    const offer = doc.getElementById('change-offer');
    if (offer) offer.hidden = false;
    const go = doc.getElementById('change-answer');
    if (go) go.addEventListener('click', () => { startChanging(); form.querySelector('button[type="submit"]').focus(); });
  }

  // The token obtained on this page, also in memory: a retry works where storage does not.
  let held = null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = collect();
    const text = [body.comment || '', ...body.answers.filter((a) => typeof a.value === 'string').map((a) => a.value)].join('\n');
    const found = identifying(text, names);
    if (found.length && !confirmed) {
      const again = el('button', { type: 'submit' }, 'Submit anyway');
      const edit = el('button', { type: 'button', class: 'secondary' }, 'Let me edit it');
      edit.addEventListener('click', () => {
        confirmed = false;
        slot.replaceChildren();
        (form.elements.comment || form.querySelector('textarea'))?.focus();
      });
      slot.replaceChildren(el('div', { class: 'notice warn', role: 'alert' },
        el('p', {}, el('strong', {}, 'Your text may identify someone: '), found.join(', '), '.'),
        el('p', {}, 'Edit it, or submit anyway. Candor cannot spot everything: a role only one person holds identifies as surely as a name.'),
        el('p', {}, again, ' ', edit)));
      confirmed = true;
      again.focus();
      return;
    }
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      // A token already obtained but not yet spent (a network failure last time) is reused:
      // the member is issued only one. A spent one kept with consent replaces the answer.
      const entry = load('round', scope) || (held && { token: held, spent: false });
      let token = entry && entry.token;
      if (!token) {
        token = await obtainToken(form, form.elements.invite.value);
        held = token;
        save({ token, spent: false, title: form.dataset.title || '', kind: 'round', id: scope });
      }
      const replace = changing || !!(entry && entry.spent);
      let res = await postJson(scopeUrl(form, 'answers'), { token, answers: body.answers, comment: body.comment, replace });
      if (res.status === 409 && entry && !entry.spent && !replace) {
        // An earlier attempt stored its answer with this token but its reply never arrived.
        // The same token replaces it with the answer on screen (only the last counts, G17).
        res = await postJson(scopeUrl(form, 'answers'), { token, answers: body.answers, comment: body.comment, replace: true });
      }
      if (res.status === 201 || res.status === 200) {
        const keep = !!(form.elements.keep_token && form.elements.keep_token.checked);
        held = null;
        if (keep) save({ token, spent: true, title: form.dataset.title || '', kind: 'round', id: scope });
        else forget('round', scope);
        changing = false;
        showStored(res.data.stored, res.status === 200, keep, res.data.comment_receipt);
        return;
      }
      if (res.status === 409 || res.status === 410 || res.status === 403) { held = null; forget('round', scope); }
      showError((res.data && res.data.detail) || `Not stored (${res.status}).`);
    } catch (err) {
      if (err.status === 409) showError(`You have already taken part in this round: ${err.message}`);
      else if (err instanceof TypeError && !err.keyMismatch) showError('The connection failed before your answer was confirmed. Submit again: this browser kept what it needs, and your answer counts once.');
      else showError(`Not stored: ${err.message}`);
    } finally {
      if (button) button.disabled = false;
    }
  });
}
