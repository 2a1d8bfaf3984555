// The management API (/manage/...), signed in with the session's ID token.
// Every failure becomes an Error whose message the page can show: the
// problem document's detail, or what went wrong on the way.

import { idToken, expire } from './session.js';

const TIMEOUT_MS = 30000;

// ApiError is a refusal or a failure of the API.
export class ApiError extends Error {
  constructor(message, status, problem) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

// url is an API path relative to the console (which lives at
// {ApiUrl}/console/), so the stage prefix is kept.
function url(path, query) {
  const u = new URL(`../${path}`, document.baseURI);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u;
}

// problemMessage is the text of a failed response: the problem document's
// detail (and its field errors), API Gateway's own {"message"}, or the status.
async function problemMessage(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // not JSON: fall back to the status
  }
  if (body && (body.detail || body.title)) {
    const extra = (body.errors || []).map((e) => `${e.field}: ${e.message}`);
    return { text: [body.detail || body.title, ...extra].join(' '), body };
  }
  if (body && body.message) return { text: `The API refused the request: ${body.message} (HTTP ${resp.status}).`, body };
  return { text: `The API answered HTTP ${resp.status} ${resp.statusText || ''}`.trim() + '. Try again.', body };
}

// api calls the management API and resolves to the response's JSON. body
// is sent as JSON; file is sent as it is: {contentType, data, headers}.
export async function api(path, { method = 'GET', body, query, file } = {}) {
  const token = await idToken();
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json, application/problem+json' };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  } else if (file) {
    Object.assign(headers, file.headers, { 'Content-Type': file.contentType });
    payload = file.data;
  }
  let resp;
  try {
    resp = await fetch(url(path, query), {
      method,
      headers,
      body: payload,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    if (err && err.name === 'TimeoutError') throw new ApiError('The service did not answer in time. Try again.', 0, null);
    throw new ApiError('The service could not be reached. Check your connection and try again.', 0, null);
  }
  if (resp.status === 401) throw expire();
  if (!resp.ok) {
    const { text, body: problem } = await problemMessage(resp);
    throw new ApiError(text, resp.status, problem);
  }
  return resp.json();
}

// loadConfig reads where to sign in (no sign-in needed).
export async function loadConfig() {
  let resp;
  try {
    resp = await fetch(url('console/config.json'), { cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new ApiError('The service could not be reached. Check your connection and reload the page.', 0, null);
  }
  if (!resp.ok) throw new ApiError((await problemMessage(resp)).text, resp.status, null);
  const cfg = await resp.json();
  if (!cfg.cognito_endpoint || !cfg.client_id) throw new ApiError('The service gave no sign-in configuration.', resp.status, null);
  return cfg;
}

// Paths of the management API (PRODUCT.md §8).
export const paths = {
  journeys: () => 'manage/journeys',
  journey: (id) => `manage/journeys/${encodeURIComponent(id)}`,
  tokens: (id) => `manage/journeys/${encodeURIComponent(id)}/tokens`,
  expireToken: (tokenId) => `manage/tokens/${encodeURIComponent(tokenId)}/expire`,
  targets: (id) => `manage/journeys/${encodeURIComponent(id)}/targets`,
  loaderRecords: (id) => `manage/journeys/${encodeURIComponent(id)}/loader-records`,
  deliveries: (id) => `manage/journeys/${encodeURIComponent(id)}/webhook-deliveries`,
};

// A filtered page may be empty while more items follow (the API reads a
// bounded part of the table per call): follow the cursor this many pages
// before showing an empty page with Next page.
const MAX_EMPTY_HOPS = 10;

// filteredPage reads a page of a filtered listing at path from cursor,
// skipping empty pages: {rows: page[key], next}.
export async function filteredPage(path, key, query, cursor) {
  let page;
  for (let hop = 0; ; hop++) {
    page = await api(path, { query: { ...query, cursor } });
    if (page[key].length > 0 || !page.next_cursor || hop >= MAX_EMPTY_HOPS) break;
    cursor = page.next_cursor;
  }
  return { rows: page[key], next: page.next_cursor };
}
