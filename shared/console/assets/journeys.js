// The journeys list: every journey the service knows, each a link to its page.

import { api, paths } from './api.js';
import { h, pagedTable } from './ui.js';

const PAGE_SIZE = 50;

export function journeysView() {
  const table = pagedTable({
    caption: 'Journeys',
    empty: 'No journeys yet: ops create them with tl journeys put.',
    columns: [
      { title: 'Journey', cell: (j) => h('a', { href: `#/journeys/${encodeURIComponent(j.journey_id)}` }, j.name || j.journey_id) },
      { title: 'ID', cell: (j) => h('code', {}, j.journey_id) },
      { title: 'End date', cell: (j) => j.end_date || 'No end date' },
      { title: 'Status', cell: (j) => h('span', { class: `badge ${j.ended ? 'ended' : 'active'}` }, j.ended ? 'Ended' : 'Active') },
    ],
    load: async (cursor) => {
      const page = await api(paths.journeys(), { query: { cursor, limit: PAGE_SIZE } });
      // A page comes in the table's (hash) order: sort it for people.
      const rows = page.journeys.slice().sort((a, b) => (a.name || a.journey_id).localeCompare(b.name || b.journey_id));
      return { rows, next: page.next_cursor };
    },
  });
  const el = h('section', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'Journeys'),
    h('p', { class: 'lead' }, 'Open a journey to generate API tokens for it, see its target list and, for admins, its target loader records and webhook deliveries.'),
    table.el);
  table.reload();
  return { el, title: 'Journeys', dispose() {} };
}
