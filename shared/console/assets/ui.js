// DOM helpers the views share. Text always goes in as text (textContent),
// never parsed as HTML, so nothing the API returns can become markup.

import { SessionExpired } from './session.js';

// h builds an element: h('button', {type: 'button', onclick: f}, 'Copy').
// Props: class, text, on<event> (a listener), DOM properties given a
// non-string value (hidden: true, disabled: false), attributes otherwise.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (typeof v !== 'string' && k in el) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace puts children in place of el's content.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
// uid is a page-unique id for label/for and aria references.
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// field is a label and its control, joined by for/id.
export function field(labelText, control, hint) {
  if (!control.id) control.id = uid('field');
  const parts = [h('label', { for: control.id }, labelText), control];
  if (hint) {
    if (!hint.id) hint.id = uid('hint');
    control.setAttribute('aria-describedby', hint.id);
    parts.push(hint);
  }
  return h('div', { class: 'field' }, parts);
}

// Dates are UTC everywhere in the service (PRODUCT.md §2).
export function fmtTime(iso) {
  if (!iso || iso.startsWith('0001-')) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

// message is the text of an error for the page: the problem document's
// detail, or what went wrong on the way.
export function message(err) {
  return (err && err.message) || 'Something went wrong. Retry.';
}

// notice is a message area: errors are alerts (read out at once), other
// messages polite status updates.
export function notice() {
  const el = h('p', { class: 'notice', hidden: true });
  const show = (kind, text) => {
    el.className = `notice ${kind}`;
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.textContent = text;
    el.hidden = false;
  };
  return {
    el,
    error(err) {
      if (err instanceof SessionExpired) return; // the sign-in page replaces this one
      show('error', typeof err === 'string' ? err : message(err));
    },
    info(text) { show('info', text); },
    success(text) { show('success', text); },
    clear() { el.hidden = true; el.textContent = ''; },
  };
}

// busy disables button while fn runs, whatever its outcome: nothing stays
// stuck on a spinner.
export async function busy(button, fn) {
  const wasDisabled = button.disabled;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.classList.add('busy');
  try {
    return await fn();
  } finally {
    button.disabled = wasDisabled;
    button.removeAttribute('aria-busy');
    button.classList.remove('busy');
  }
}

// tabs is a WAI-ARIA tab list: the selected tab is the one in the tab
// order; arrow keys, Home and End move between tabs and select them.
// items: [{id, text, render(panel)}]; render runs on the first selection.
export function tabs({ label, items, onSelect }) {
  const list = h('div', { role: 'tablist', 'aria-label': label, class: 'tablist' });
  const entries = items.map((it) => {
    const tab = h('button', {
      type: 'button', role: 'tab', id: `tab-${it.id}`, 'aria-controls': `panel-${it.id}`,
      'aria-selected': 'false', tabindex: '-1', class: 'tab',
    }, it.text);
    const panel = h('div', { role: 'tabpanel', id: `panel-${it.id}`, 'aria-labelledby': tab.id, class: 'tabpanel', hidden: true });
    tab.addEventListener('click', () => select(it.id, true));
    list.append(tab);
    return { ...it, tab, panel, rendered: false };
  });
  let current = null;
  function select(id, focus = false) {
    const next = entries.find((e) => e.id === id) || entries[0];
    for (const e of entries) {
      const on = e === next;
      e.tab.setAttribute('aria-selected', String(on));
      e.tab.tabIndex = on ? 0 : -1;
      e.panel.hidden = !on;
    }
    if (!next.rendered) {
      next.rendered = true;
      next.render(next.panel);
    }
    if (focus) next.tab.focus();
    if (current !== next.id) {
      current = next.id;
      if (onSelect) onSelect(next.id);
    }
    return next.id;
  }
  list.addEventListener('keydown', (ev) => {
    const i = entries.findIndex((e) => e.tab === document.activeElement);
    if (i < 0) return;
    const last = entries.length - 1;
    const to = { ArrowRight: i === last ? 0 : i + 1, ArrowLeft: i === 0 ? last : i - 1, Home: 0, End: last }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    select(entries[to].id, true);
  });
  return { list, panels: entries.map((e) => e.panel), select, has: (id) => entries.some((e) => e.id === id), get current() { return current; } };
}

// pagedTable is a table filled page by page from a cursor-paginated
// listing. load(cursor) resolves to {rows, next}. columns: [{title,
// cell(row) -> string | Node}]. It keeps the cursors of the pages before,
// so Previous page works too.
export function pagedTable({ caption, columns, load, empty }) {
  const captionId = uid('caption');
  const tbody = h('tbody');
  const table = h('table', {},
    h('caption', { id: captionId }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.title)))),
    tbody);
  // A region that scrolls sideways on a narrow screen, with the keyboard too.
  const wrap = h('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0' }, table);
  const status = notice();
  const prev = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next page');
  const where = h('span', { class: 'page-no' });
  const pager = h('nav', { class: 'pager', 'aria-label': `${caption} pages`, hidden: true }, prev, where, next);
  const cursors = ['']; // cursor of each page reached so far
  let page = 0;
  let nextCursor = '';
  let generation = 0; // a newer load wins over a slower older one

  async function show(n) {
    const mine = ++generation;
    table.setAttribute('aria-busy', 'true');
    prev.disabled = true;
    next.disabled = true;
    status.info('Loading…');
    try {
      const res = await load(cursors[n]);
      if (mine !== generation) return;
      page = n;
      nextCursor = res.next || '';
      cursors.length = n + 1;
      if (nextCursor) cursors.push(nextCursor);
      replace(tbody, res.rows.map((row) => h('tr', {}, columns.map((c, i) => {
        const v = c.cell(row);
        return h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, v === '' || v === undefined || v === null ? '—' : v);
      }))));
      if (res.rows.length === 0) {
        replace(tbody, h('tr', {}, h('td', { colspan: String(columns.length), class: 'empty' }, page === 0 ? empty : 'No more rows.')));
      }
      status.clear();
    } catch (err) {
      if (mine !== generation) return;
      // Rows of an earlier answer would look like the answer to this one.
      replace(tbody, h('tr', {}, h('td', { colspan: String(columns.length), class: 'empty' }, 'Nothing to show.')));
      status.error(err);
    } finally {
      if (mine === generation) {
        table.removeAttribute('aria-busy');
        prev.disabled = page === 0;
        next.disabled = !nextCursor;
        where.textContent = `Page ${page + 1}`;
        pager.hidden = page === 0 && !nextCursor; // one page: nothing to page through
      }
    }
  }
  prev.addEventListener('click', () => show(Math.max(0, page - 1)));
  next.addEventListener('click', () => show(page + 1));
  return {
    el: h('div', { class: 'paged' }, status.el, wrap, pager),
    // reload shows the first page again.
    reload() {
      cursors.length = 1;
      return show(0);
    },
    // refresh shows the current page again.
    refresh() { return show(page); },
  };
}

// confirmDialog asks a yes/no question in a modal dialog; it resolves to
// true when confirmed. Escape and Cancel resolve to false.
export function confirmDialog({ title, text, confirm, danger }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid('dialog-title');
    const yes = h('button', { type: 'button', class: danger ? 'danger' : '' }, confirm);
    const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' },
      h('h2', { id: titleId }, title), h('p', {}, text), h('div', { class: 'actions' }, yes, no));
    let answer = false;
    yes.addEventListener('click', () => { answer = true; dialog.close(); });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
