// The Target Loader console: sign in, the journeys, a journey's page.
// Plain ES modules, no build step; served by the manage function at
// {ApiUrl}/console/ under a Content-Security-Policy without inline script.

import { loadConfig } from './api.js';
import * as session from './session.js';
import { revoke } from './cognito.js';
import { h, replace, message } from './ui.js';
import { signInView } from './signin.js';
import { journeysView } from './journeys.js';
import { journeyView, TABS } from './journey.js';

const main = document.getElementById('main');
const userBox = document.getElementById('user');
let cfg = null;
let page = null; // the view shown: {el, title, dispose, journeyId?, select?}

// route shows what the address names: #/ the journeys, #/journeys/{id}[/{tab}].
function route() {
  const who = session.user();
  if (!who) {
    showSignIn();
    return;
  }
  showUser(who);
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'journeys' && parts[1]) {
    const tab = TABS.includes(parts[2]) ? parts[2] : 'add-targets';
    if (page && page.journeyId === parts[1]) {
      page.select(tab);
      return;
    }
    show(journeyView(parts[1], tab, who));
    return;
  }
  show(journeysView());
}

function show(view) {
  leave();
  page = view;
  replace(main, view.el);
  document.title = `${view.title} — Target Loader`;
  const heading = main.querySelector('h1');
  if (heading) heading.focus();
}

// leave drops the page shown, and with it any token secret it showed.
function leave() {
  if (page) page.dispose();
  page = null;
}

function showSignIn(msg) {
  leave();
  replace(userBox);
  signInView(main, cfg, { message: msg, onSignedIn: route });
}

function showUser(who) {
  const role = who.groups.includes('admins') ? 'Admin' : 'Marketer';
  const signOut = h('button', { type: 'button', class: 'secondary on-dark' }, 'Sign out');
  signOut.addEventListener('click', () => {
    const token = session.end();
    // Best effort: the tab forgets the session whatever Cognito says.
    if (token) revoke(cfg, token).catch(() => {});
    history.replaceState(null, '', '#/');
    showSignIn('You are signed out.');
  });
  replace(userBox, h('span', { class: 'who' }, h('span', { class: 'email' }, who.email), ' ', h('span', { class: 'role' }, role)), signOut);
}

async function boot() {
  // The page's relative URLs are those of {ApiUrl}/console/: keep the slash.
  if (!location.pathname.endsWith('/')) history.replaceState(null, '', `${location.pathname}/${location.search}${location.hash}`);
  try {
    cfg = await loadConfig();
  } catch (err) {
    const retry = h('button', { type: 'button', onclick: () => location.reload() }, 'Retry');
    replace(main, h('section', { class: 'page' }, h('h1', {}, 'The console could not start'), h('p', { class: 'notice error', role: 'alert' }, message(err)), retry));
    return;
  }
  session.configure(cfg, () => showSignIn('Your session has expired. Sign in again.'));
  window.addEventListener('hashchange', route);
  // Leaving the site drops the token secret too (and a page restored from
  // the back-forward cache has none).
  window.addEventListener('pagehide', leave);
  route();
}

boot();
