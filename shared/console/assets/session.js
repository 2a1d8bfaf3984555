// The signed-in session: Cognito's ID and refresh tokens, in this tab's
// sessionStorage (gone when the tab closes; nothing kept longer, never a
// cookie). It never holds a password or an API token.

import { refresh } from './cognito.js';

const KEY = 'targetloader.session';
// Renew the ID token a minute before it expires: clocks and the request's flight.
const MARGIN_MS = 60000;

// SessionExpired is thrown by calls made without a usable session; the
// console then shows the sign-in page with a message.
export class SessionExpired extends Error {
  constructor() {
    super('Your session has expired. Sign in again.');
    this.name = 'SessionExpired';
  }
}

let cfg = null;
let onExpired = () => {};
let current = load();
let refreshing = null;

// configure tells the session where to renew the ID token, and what to do
// when the session has expired.
export function configure(config, expired) {
  cfg = config;
  onExpired = expired;
}

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && s.idToken ? s : null;
  } catch {
    return null;
  }
}

function save() {
  if (current) sessionStorage.setItem(KEY, JSON.stringify(current));
  else sessionStorage.removeItem(KEY);
}

// claims reads an ID token's payload to show who is signed in and which
// tabs to offer. The API checks the token itself; nothing here is trusted.
function claims(jwt) {
  const part = (jwt || '').split('.')[1] || '';
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// start keeps the tokens of a sign-in (or a renewal, which brings no new
// refresh token).
export function start(result) {
  const c = claims(result.IdToken);
  let groups = c['cognito:groups'] || [];
  if (typeof groups === 'string') groups = groups.split(/[ ,]+/).filter(Boolean);
  current = {
    idToken: result.IdToken,
    refreshToken: result.RefreshToken || (current && current.refreshToken) || '',
    expiresAt: (c.exp || 0) * 1000,
    email: c.email || '',
    groups,
  };
  save();
  return current;
}

// user is the signed-in user ({email, groups}), or null.
export function user() {
  return current ? { email: current.email, groups: current.groups } : null;
}

// idToken is a valid ID token, renewed when it is about to expire; a
// session that cannot be renewed has expired.
export async function idToken() {
  if (!current) throw expire();
  if (Date.now() + MARGIN_MS < current.expiresAt) return current.idToken;
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const out = await refresh(cfg, current.refreshToken);
        if (!out.AuthenticationResult) throw new Error('no tokens');
        start(out.AuthenticationResult);
      } finally {
        refreshing = null;
      }
    })();
  }
  try {
    await refreshing;
  } catch {
    throw expire();
  }
  return current.idToken;
}

// expire ends a session the API or Cognito refused, and tells the console.
export function expire() {
  const had = current !== null;
  current = null;
  save();
  if (had) onExpired();
  return new SessionExpired();
}

// end forgets the session (signing out) and hands back its refresh token
// for revocation.
export function end() {
  const token = current ? current.refreshToken : '';
  current = null;
  save();
  return token;
}
