// The API tab of Add Targets: generate a token for the journey, optionally
// with a callback URL for its completion webhooks (its secret shown once,
// with the endpoint and, with a callback URL, the webhook signing secret),
// and the journey's tokens, obscured, each active one with an Expire button.
//
// The secrets live only in the read-only fields of the reveal box: never in
// storage, a URL or a log. Leaving the page (dispose) empties and removes
// them.

import { api, paths } from './api.js';
import { h, field, fmtTime, notice, busy, pagedTable, confirmDialog, uid } from './ui.js';
import { callbackHost } from './webhooks.js';

const PAGE_SIZE = 50;

// The options' texts, exactly (PRODUCT.md §8), by expiry choice id (§2).
export const EXPIRY_TEXT = {
  '30d': '30 Days',
  '90d': '90 Days',
  '6m': '6 Months',
  '1y': '1 Year',
  journey_end: 'Journey End',
};

const STATUS_TEXT = { active: 'Active', expired: 'Expired', revoked: 'Revoked' };

export function apiTab(panel, journey) {
  const status = notice();
  const reveal = h('div', { class: 'reveal', hidden: true });

  // --- Generate Token: one field per row, so that more (optional) fields fit.
  const options = journey.expiry_options || [];
  const expires = h('select', { id: 'token-expires', name: 'expires', disabled: options.length === 0 },
    options.map((o) => h('option', { value: o.id }, EXPIRY_TEXT[o.id] || o.label)));
  const until = h('p', { class: 'hint' });
  const showUntil = () => {
    const o = options.find((x) => x.id === expires.value);
    until.textContent = o ? `Valid until ${fmtTime(o.expires_at)}.` : 'This journey has ended: no token can be generated for it.';
  };
  expires.addEventListener('change', showUntil);
  showUntil();
  // The API decides what it accepts (its problem is shown); the hint only
  // warns early about the commonest mistake.
  const callback = h('input', {
    id: 'token-callback-url', type: 'url', name: 'callback_url', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://', disabled: options.length === 0,
  });
  const callbackHint = h('p', { class: 'hint', 'aria-live': 'polite' });
  const showCallbackHint = () => {
    const v = callback.value.trim();
    const plain = v !== '' && !/^https:\/\//i.test(v);
    callbackHint.classList.toggle('warn', plain);
    callbackHint.textContent = plain
      ? 'The callback URL must start with https://.'
      : 'Optional. An https URL that receives a signed request.completed webhook when each request sent with this token completes.';
  };
  callback.addEventListener('input', () => {
    callback.removeAttribute('aria-invalid');
    showCallbackHint();
  });
  showCallbackHint();
  const generate = h('button', { type: 'submit', disabled: options.length === 0 }, 'Generate Token');
  const form = h('form', { method: 'post', class: 'token-form', 'aria-labelledby': 'generate-title', novalidate: true },
    h('h3', { id: 'generate-title' }, 'Generate an API token'),
    h('p', { class: 'lead' }, 'An external system adds targets to this journey by POSTing them to the endpoint with the token. The token is shown once.'),
    h('div', { class: 'fields' }, field('Expires', expires, until), field('Callback URL', callback, callbackHint)),
    h('div', { class: 'actions' }, generate));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(generate, async () => {
      status.clear();
      try {
        const body = { expires: expires.value };
        const callbackURL = callback.value.trim();
        if (callbackURL) body.callback_url = callbackURL;
        const created = await api(paths.tokens(journey.journey_id), { method: 'POST', body });
        callback.value = '';
        showCallbackHint();
        showSecret(created);
        tokens.reload();
      } catch (err) {
        status.error(err);
        if (err.problem && String(err.problem.detail || '').startsWith('callback_url')) {
          callback.setAttribute('aria-invalid', 'true');
          callback.focus();
        }
      }
    });
  });

  // --- The secret, once.
  function copyRow(label, value) {
    const input = h('input', { type: 'text', readonly: true, value, autocomplete: 'off', spellcheck: 'false', class: 'secret' });
    const said = h('span', { class: 'copy-status', role: 'status' });
    const copy = h('button', { type: 'button', class: 'secondary', 'aria-label': `Copy ${label}` }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        said.textContent = `${label} copied.`;
      } catch {
        input.focus();
        input.select();
        said.textContent = 'Selected: press Ctrl+C (⌘C on a Mac) to copy.';
      }
    });
    const f = field(label, input);
    f.append(h('div', { class: 'copy-row' }, input, copy), said);
    return f;
  }
  function showSecret(created) {
    clearSecret();
    const titleId = uid('reveal-title');
    reveal.setAttribute('aria-labelledby', titleId);
    const signed = Boolean(created.webhook_secret);
    reveal.append(
      h('h3', { id: titleId, tabindex: '-1' }, 'Your new API token'),
      h('p', { class: 'warning' }, signed
        ? `Copy the token and the webhook signing secret now: they are shown only this once, and are gone when you leave this page. The token expires ${fmtTime(created.expires_at)}.`
        : `Copy the token now: it is shown only this once, and is gone when you leave this page. It expires ${fmtTime(created.expires_at)}.`),
      copyRow('Endpoint', created.endpoint),
      copyRow('API Token', created.token));
    if (signed) {
      reveal.append(
        copyRow('Webhook Signing Secret', created.webhook_secret),
        h('p', { class: 'hint' }, `Webhooks to ${callbackHost(created.callback_url)} carry a Standard Webhooks signature made with this secret: verify it before trusting one.`));
    }
    reveal.hidden = false;
    reveal.querySelector('h3').focus({ preventScroll: true });
    reveal.scrollIntoView({ block: 'nearest' });
  }
  function clearSecret() {
    for (const input of reveal.querySelectorAll('input')) input.value = '';
    reveal.replaceChildren();
    reveal.hidden = true;
  }

  // --- The journey's tokens.
  const tokens = pagedTable({
    caption: 'API tokens',
    empty: 'No tokens yet.',
    columns: [
      { title: 'Token', cell: (t) => h('code', {}, t.token) },
      { title: 'Created by', cell: (t) => t.created_by },
      { title: 'Created', cell: (t) => fmtTime(t.created_at) },
      { title: 'Expires', cell: (t) => fmtTime(t.expires_at) },
      { title: 'Callback host', cell: (t) => callbackHost(t.callback_url) },
      { title: 'Status', cell: (t) => h('span', { class: `badge ${t.status}` }, STATUS_TEXT[t.status] || t.status) },
      { title: 'Expired by', cell: (t) => (t.revoked_by ? `${t.revoked_by}, ${fmtTime(t.revoked_at)}` : '') },
      { title: 'Actions', cell: (t) => (t.status === 'active' ? expireButton(t) : '') },
    ],
    load: async (cursor) => {
      const page = await api(paths.tokens(journey.journey_id), { query: { cursor, limit: PAGE_SIZE } });
      return { rows: page.tokens, next: page.next_cursor };
    },
  });
  function expireButton(t) {
    const b = h('button', { type: 'button', class: 'danger small', 'aria-label': `Expire ${t.token}` }, 'Expire');
    b.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: 'Expire this token?',
        text: `Token ${t.token}, created by ${t.created_by}, stops working at once: every system using it is refused. This cannot be undone.`,
        confirm: 'Expire token',
        danger: true,
      });
      if (!yes) return;
      await busy(b, async () => {
        status.clear();
        try {
          await api(paths.expireToken(t.token_id), { method: 'POST' });
          status.success(`Token ${t.token} expired.`);
        } catch (err) {
          status.error(err);
        }
      });
      tokens.refresh();
    });
    return b;
  }

  panel.append(form, status.el, reveal, tokens.el);
  tokens.reload();
  return { dispose: clearSecret };
}
