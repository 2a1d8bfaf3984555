// The Target Loader tab (admins): the upload of a file of targets
// (upload.js, PRODUCT.md §10), and every target loader record of the
// journey, how its target was matched and processed, and why one failed
// (§4, §5). Filters: request uuid, matching outcome, processing status.

import { filteredPage, paths } from './api.js';
import { h, field, fmtTime, pagedTable } from './ui.js';
import { uploadForm } from './upload.js';

const PAGE_SIZE = 50;

export const OUTCOMES = {
  matched_account_id__v: 'Matched on account ID',
  matched_email__v: 'Matched on email',
  no_match__v: 'No match',
  multiple_matches__v: 'Multiple matches',
  conflict__v: 'Conflict',
  not_attempted__v: 'Not attempted',
};

export const STATUSES = {
  pending__v: 'Pending',
  success__v: 'Success',
  failed__v: 'Failed',
};

function choices(map) {
  return [h('option', { value: '' }, 'Any'), ...Object.entries(map).map(([value, text]) => h('option', { value }, text))];
}

export function targetLoaderTab(panel, journey) {
  const uuid = h('input', { id: 'loader-request-uuid', type: 'text', name: 'request_uuid', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. 0d6f…' });
  const outcome = h('select', { id: 'loader-outcome', name: 'matching_outcome' }, choices(OUTCOMES));
  const status = h('select', { id: 'loader-status', name: 'processing_status' }, choices(STATUSES));
  let filters = {};

  const table = pagedTable({
    caption: 'Target loader records',
    empty: 'No target loader records match.',
    columns: [
      { title: 'Request', cell: (r) => requestButton(r.request_uuid__v) },
      { title: '#', cell: (r) => String(r.index) },
      { title: 'Source System', cell: (r) => r.source_system_id__v },
      { title: 'Submitted account', cell: (r) => r.submitted_account_id__v },
      { title: 'Submitted email', cell: (r) => r.submitted_email__v },
      { title: 'Name', cell: (r) => [r.submitted_first_name__v, r.submitted_last_name__v].filter(Boolean).join(' ') },
      { title: 'Account', cell: (r) => r.account__v },
      { title: 'Outcome', cell: (r) => OUTCOMES[r.matching_outcome__v] || r.matching_outcome__v },
      { title: 'Status', cell: (r) => h('span', { class: `badge ${String(r.processing_status__v).replace(/__v$/, '')}` }, STATUSES[r.processing_status__v] || r.processing_status__v) },
      { title: 'Failure reason', cell: (r) => r.failure_reason__v },
      { title: 'Created', cell: (r) => fmtTime(r.created_at) },
      { title: 'Processed', cell: (r) => fmtTime(r.processed_at) },
    ],
    load: (cursor) => filteredPage(paths.loaderRecords(journey.journey_id), 'records', { ...filters, limit: PAGE_SIZE }, cursor),
  });

  // A request shows as its uuid's first 8 characters; choosing it filters by it.
  function requestButton(id) {
    return h('button', {
      type: 'button', class: 'link uuid', title: id, 'aria-label': `Show only request ${id}`,
      onclick: () => { uuid.value = id; form.requestSubmit(); },
    }, `${id.slice(0, 8)}…`);
  }

  const apply = h('button', { type: 'submit' }, 'Filter');
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear filters');
  const form = h('form', { method: 'post', class: 'filters', 'aria-label': 'Filter target loader records' },
    field('Request UUID', uuid), field('Outcome', outcome), field('Status', status),
    h('div', { class: 'actions' }, apply, clear));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filters = { request_uuid: uuid.value.trim(), matching_outcome: outcome.value, processing_status: status.value };
    table.reload();
  });
  clear.addEventListener('click', () => {
    uuid.value = '';
    outcome.value = '';
    status.value = '';
    filters = {};
    table.reload();
  });
  const refresh = h('button', { type: 'button', class: 'secondary', onclick: () => table.reload() }, 'Refresh');
  const upload = uploadForm(journey, {
    showRequest: (id) => { uuid.value = id; form.requestSubmit(); },
    done: () => table.reload(),
  });
  panel.append(
    upload,
    h('h3', { class: 'records-title' }, 'Target loader records'),
    h('div', { class: 'toolbar' }, h('p', { class: 'lead' }, 'One record per submitted target: how it was matched and processed, and why it failed.'), refresh),
    form, table.el);
  table.reload();
}
