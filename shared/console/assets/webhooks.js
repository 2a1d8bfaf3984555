// The Webhook Deliveries tab (admins): the completion webhooks of the
// journey's requests (PRODUCT.md §9), each with its status, attempts, last
// result and next attempt, so an admin sees the ones that failed.

import { filteredPage, paths } from './api.js';
import { h, field, fmtTime, pagedTable } from './ui.js';

const PAGE_SIZE = 50;

// The listing's status filter; undelivered selects retrying and failed.
const FILTERS = {
  '': 'Any',
  undelivered: 'Not delivered',
  retrying: 'Retrying',
  failed: 'Failed',
  delivered: 'Delivered',
};

const STATUS_TEXT = { delivered: 'Delivered', retrying: 'Retrying', failed: 'Failed' };

// callbackHost is the host a callback URL names: enough to tell where
// webhooks go without showing its path or query, which may hold the
// receiver's own secret.
export function callbackHost(url) {
  try {
    return new URL(url).host;
  } catch {
    return url ? 'invalid URL' : '';
  }
}

// lastResult is what the receiver answered the last attempt, or why it failed.
function lastResult(d) {
  const a = d.attempts[d.attempts.length - 1];
  if (!a) return '';
  return a.error || `HTTP ${a.status_code}`;
}

export function webhookDeliveriesTab(panel, journey) {
  const status = h('select', { id: 'deliveries-status', name: 'status' },
    Object.entries(FILTERS).map(([value, text]) => h('option', { value }, text)));
  let filter = '';

  const table = pagedTable({
    caption: 'Webhook deliveries',
    empty: 'No webhook deliveries match. A token with a callback URL sends one when each of its requests completes.',
    columns: [
      { title: 'Request', cell: (d) => h('code', { class: 'uuid' }, d.request_uuid) },
      { title: 'Status', cell: (d) => h('span', { class: `badge ${d.status}` }, STATUS_TEXT[d.status] || d.status) },
      { title: 'Attempts', cell: (d) => String(d.attempts.length) },
      { title: 'Last attempt', cell: (d) => (d.attempts.length ? fmtTime(d.attempts[d.attempts.length - 1].at) : '') },
      { title: 'Last result', cell: lastResult },
      { title: 'Next attempt', cell: (d) => (d.next_attempt_at ? fmtTime(d.next_attempt_at) : '') },
      { title: 'Callback host', cell: (d) => callbackHost(d.callback_url) },
    ],
    load: (cursor) => filteredPage(paths.deliveries(journey.journey_id), 'deliveries', { status: filter, limit: PAGE_SIZE }, cursor),
  });

  const apply = h('button', { type: 'submit' }, 'Filter');
  const form = h('form', { method: 'post', class: 'filters one-field', 'aria-label': 'Filter webhook deliveries' },
    field('Status', status), h('div', { class: 'actions' }, apply));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filter = status.value;
    table.reload();
  });
  const refresh = h('button', { type: 'button', class: 'secondary', onclick: () => table.reload() }, 'Refresh');
  panel.append(
    h('div', { class: 'toolbar' },
      h('p', { class: 'lead' }, 'One completion webhook per request sent with a token that has a callback URL. A failed attempt is retried with growing delays for more than a day; then the delivery has failed.'),
      refresh),
    form, table.el);
  table.reload();
}
