// The writer's follow-ups page: before a reply or an addition is sent, look for emails, phone
// numbers and @handles in it, as the account form does (issue 15: a phone number went
// through unchecked), and ask the writer to check them. Without JavaScript the forms post as
// they are; the page's hint says what to avoid.
import { scan } from './account.js';

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

for (const form of document.querySelectorAll('form[data-check-identifying]')) {
  const box = el('div', { class: 'identifying', hidden: '' });
  form.querySelector('button[type=submit]').before(box);
  const text = form.querySelector('textarea');
  let confirmed = false;
  text.addEventListener('input', () => { confirmed = false; box.hidden = true; });
  form.addEventListener('submit', (ev) => {
    const found = scan({ other: text.value });
    if (!found.length || confirmed) return;
    ev.preventDefault();
    const again = el('button', { type: 'button' }, 'Send anyway');
    const edit = el('button', { type: 'button', class: 'secondary' }, 'Let me edit it');
    again.addEventListener('click', () => { confirmed = true; box.hidden = true; form.requestSubmit(); });
    edit.addEventListener('click', () => { box.hidden = true; text.focus(); });
    box.replaceChildren(el('div', { class: 'notice warn', role: 'alert' },
      el('p', {}, el('strong', {}, 'Check these before you send:'), ' they could point at you or at someone else.'),
      el('ul', {}, ...found.map((f) => el('li', {}, `${f.kind}: `, el('code', {}, f.text)))),
      el('p', {}, again, ' ', edit)));
    box.hidden = false;
    again.focus();
  });
}
