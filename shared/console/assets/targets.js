// The Target List tab: the journey's targets, with how and from where each
// was added (PRODUCT.md §6).

import { api, paths } from './api.js';
import { h, fmtTime, pagedTable } from './ui.js';

const PAGE_SIZE = 50;

export function targetListTab(panel, journey) {
  const table = pagedTable({
    caption: 'Target list',
    empty: 'No targets yet. Targets an external system adds with an API token appear here once processed.',
    columns: [
      { title: 'Account', cell: (t) => h('code', {}, t.account_id) },
      { title: 'Added via', cell: (t) => t.added_via },
      { title: 'Source System', cell: (t) => t.source_system_id },
      { title: 'Added at', cell: (t) => fmtTime(t.added_at) },
      { title: 'Request', cell: (t) => (t.request_uuid ? h('code', { class: 'uuid' }, t.request_uuid) : '') },
    ],
    load: async (cursor) => {
      const page = await api(paths.targets(journey.journey_id), { query: { cursor, limit: PAGE_SIZE } });
      return { rows: page.targets, next: page.next_cursor };
    },
  });
  const refresh = h('button', { type: 'button', class: 'secondary', onclick: () => table.reload() }, 'Refresh');
  panel.append(h('div', { class: 'toolbar' }, h('p', { class: 'lead' }, 'The accounts this journey targets.'), refresh), table.el);
  table.reload();
}
