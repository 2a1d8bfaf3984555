// A journey's page: its tabs Add Targets (with the tab API), Target List
// and, for admins, Target Loader and Webhook Deliveries. The selected tab is in the address
// (#/journeys/{id}/{tab}) so a reload or a link opens it again.

import { api, paths } from './api.js';
import { h, notice, replace, tabs } from './ui.js';
import { apiTab } from './tokens.js';
import { targetListTab } from './targets.js';
import { targetLoaderTab } from './loader.js';
import { webhookDeliveriesTab } from './webhooks.js';

export const TABS = ['add-targets', 'target-list', 'target-loader', 'webhook-deliveries'];

export function journeyView(journeyId, tab, user) {
  const status = notice();
  const title = h('h1', { tabindex: '-1' }, journeyId);
  const body = h('div', { class: 'journey-body' });
  const el = h('section', { class: 'page' },
    h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('a', { href: '#/' }, 'Journeys'), h('span', { 'aria-hidden': 'true' }, ' › '), h('span', {}, journeyId)),
    title, status.el, body);
  const disposers = [];
  let tablist = null;
  let wanted = tab;

  (async () => {
    status.info('Loading the journey…');
    let journey;
    try {
      journey = await api(paths.journey(journeyId));
    } catch (err) {
      status.error(err);
      return;
    }
    status.clear();
    title.textContent = journey.name || journey.journey_id;
    document.title = `${title.textContent} — Target Loader`;
    const facts = h('dl', { class: 'facts' },
      h('dt', {}, 'ID'), h('dd', {}, h('code', {}, journey.journey_id)),
      h('dt', {}, 'End date'), h('dd', {}, journey.end_date || 'No end date'),
      h('dt', {}, 'Status'), h('dd', {}, h('span', { class: `badge ${journey.ended ? 'ended' : 'active'}` }, journey.ended ? 'Ended' : 'Active')));

    const items = [
      { id: 'add-targets', text: 'Add Targets', render: (p) => addTargets(p, journey) },
      { id: 'target-list', text: 'Target List', render: (p) => targetListTab(p, journey) },
    ];
    if (user.groups.includes('admins')) {
      items.push({ id: 'target-loader', text: 'Target Loader', render: (p) => targetLoaderTab(p, journey) });
      items.push({ id: 'webhook-deliveries', text: 'Webhook Deliveries', render: (p) => webhookDeliveriesTab(p, journey) });
    }
    tablist = tabs({
      label: 'Journey',
      items,
      onSelect: (id) => history.replaceState(null, '', `#/journeys/${encodeURIComponent(journeyId)}/${id}`),
    });
    replace(body, facts, tablist.list, tablist.panels);
    tablist.select(tablist.has(wanted) ? wanted : 'add-targets');
  })();

  // Add Targets holds one way in for now: the API tab.
  function addTargets(panel, journey) {
    const inner = tabs({ label: 'Add Targets', items: [{ id: 'api', text: 'API', render: (p) => disposers.push(apiTab(p, journey).dispose) }] });
    panel.append(inner.list, ...inner.panels);
    inner.select('api');
  }

  return {
    el,
    title: journeyId,
    journeyId,
    // select shows another tab of the same journey without leaving the page.
    select(id) {
      wanted = id;
      if (tablist) tablist.select(tablist.has(id) ? id : 'add-targets');
    },
    dispose() { for (const d of disposers) d(); },
  };
}
