// Upload on the Target Loader tab (admins): a CSV or JSON lines file of
// targets becomes target loader records, processed like targets sent with
// the API (PRODUCT.md §10). The file is cut into parts of at most 500 rows
// and 1 MiB exactly as `tl loader import` cuts it (shared/linefile.Split),
// each part sent under an Idempotency-Key made from its content the way tl
// makes it, so uploading the same file again, here or with tl, queues
// nothing twice. The rows are checked by the API, with the API's rules:
// this page only cuts the file and shows the answers.

import { api, paths } from './api.js';
import { h, field, notice, busy, replace } from './ui.js';

const MAX_ROWS_PER_PART = 500;
const MAX_PART_BYTES = 1 << 20;
const MAX_FILE_ROWS = 100000;
const CONCURRENCY = 4;
// Waits before each retry of a part the API answered "try again".
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];
const RETRYABLE = new Set([409, 429, 502, 503, 504]);
const MEDIA_TYPES = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

const encoder = new TextEncoder();
const bytes = (s) => encoder.encode(s).length;

// detectFormat follows the extension, else the first character ('{': JSON lines).
export function detectFormat(name, text) {
  const ext = (name.match(/\.[^.]*$/) || [''])[0].toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return text.replace(/^\uFEFF/, '').trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

// split cuts text into parts: {body, lines (the file line of each body
// line), rows}; tooBig lists rows that fit in no part.
export function split(text, format) {
  const raw = text.split('\n');
  let i = 0;
  const next = () => {
    while (i < raw.length) {
      let line = raw[i];
      i += 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (i === 1) line = line.replace(/^\uFEFF/, '');
      if (line.trim() !== '') return { n: i, text: line };
    }
    return null;
  };
  let header = '';
  let headerLine = 0;
  if (format === 'csv') {
    const first = next();
    if (!first) return { parts: [], rows: 0, tooBig: [] };
    header = `${first.text}\n`;
    headerLine = first.n;
  }
  const headerBytes = bytes(header);
  const parts = [];
  const tooBig = [];
  let rows = 0;
  let cur = null;
  for (let line = next(); line; line = next()) {
    rows += 1;
    const row = `${line.text}\n`;
    const size = bytes(row);
    if (headerBytes + size > MAX_PART_BYTES) {
      tooBig.push(line.n);
      continue;
    }
    if (cur && (cur.rows === MAX_ROWS_PER_PART || cur.size + size > MAX_PART_BYTES)) cur = null;
    if (!cur) {
      cur = { chunks: [], lines: [], rows: 0, size: 0 };
      if (header) {
        cur.chunks.push(header);
        cur.lines.push(headerLine);
        cur.size = headerBytes;
      }
      parts.push(cur);
    }
    cur.chunks.push(row);
    cur.lines.push(line.n);
    cur.rows += 1;
    cur.size += size;
  }
  return { parts: parts.map((p) => ({ body: p.chunks.join(''), lines: p.lines, rows: p.rows })), rows, tooBig };
}

// partKey is the part's Idempotency-Key, as tl makes it: "part-" and the
// SHA-256 of the format, a line break and the body.
export async function partKey(format, body) {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${format}\n${body}`));
  return `part-${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function uploadPart(journeyId, format, part) {
  const file = { contentType: MEDIA_TYPES[format], data: part.body, headers: { 'Idempotency-Key': await partKey(format, part.body) } };
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api(paths.loaderRecords(journeyId), { method: 'POST', file });
    } catch (err) {
      if (!RETRYABLE.has(err.status) || attempt === RETRY_DELAYS_MS.length) throw err;
      await sleep(RETRY_DELAYS_MS[attempt]);
    }
  }
}

// importFile uploads the parts, a few at once, and sums up what became of
// the rows, as tl loader import's summary does. The first part the API
// refuses stops it.
async function importFile(journeyId, format, cut, onProgress) {
  const sum = { rows: cut.rows, queued: 0, already: 0, requests: [], badRows: cut.tooBig.map((line) => ({ line, message: `is longer than ${MAX_PART_BYTES} bytes, the most one upload may hold` })) };
  let nextPart = 0;
  let done = 0;
  let failed = null;
  async function worker() {
    while (!failed && nextPart < cut.parts.length) {
      const part = cut.parts[nextPart];
      nextPart += 1;
      try {
        const res = await uploadPart(journeyId, format, part);
        const first = part.lines[part.lines.length - part.rows];
        const last = part.lines[part.lines.length - 1];
        if (res.request_uuid) sum.requests.push({ uuid: res.request_uuid, first, last, accepted: res.accepted, replayed: res.replayed });
        if (res.replayed) sum.already += res.accepted;
        else sum.queued += res.accepted;
        for (const b of res.bad_rows) sum.badRows.push({ line: part.lines[b.line - 1], message: b.message });
        done += part.rows;
        onProgress(done);
      } catch (err) {
        failed = failed || err;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, cut.parts.length) }, worker));
  sum.requests.sort((a, b) => a.first - b.first);
  sum.badRows.sort((a, b) => a.line - b.line);
  return { sum, failed };
}

const plural = (n, one, many) => (n === 1 ? one : many);

// summaryText is tl loader import's summary line.
export function summaryText(sum) {
  const fresh = sum.requests.filter((r) => !r.replayed).length;
  return `${sum.rows} ${plural(sum.rows, 'row', 'rows')}: ${sum.queued} queued in ${fresh} new ${plural(fresh, 'request', 'requests')}, `
    + `${sum.already} already imported, ${sum.badRows.length} bad`;
}

// uploadForm is the upload's form and summary. showRequest(uuid) shows a
// request's records; done() runs after each upload.
export function uploadForm(journey, { showRequest, done }) {
  const status = notice();
  const input = h('input', { type: 'file', name: 'file', accept: '.csv,.jsonl,.ndjson,text/csv,application/x-ndjson' });
  const hint = h('p', { class: 'hint' }, journey.ended
    ? 'This journey has ended: it accepts no more targets.'
    : 'CSV (header source_system_id, account_id, email, first_name, last_name) or JSON lines with those keys; up to 100,000 rows.');
  const upload = h('button', { type: 'submit', disabled: Boolean(journey.ended) }, 'Upload');
  const progress = h('progress', { max: '1', value: '0', hidden: true });
  const progressText = h('span', { class: 'progress-text' });
  const result = h('div', { class: 'upload-result', hidden: true });
  const form = h('form', { method: 'post', class: 'upload-form', 'aria-label': 'Upload targets' },
    h('p', { class: 'lead' }, 'Each valid row becomes a target loader record, processed like a target sent with the API (Added via Target Loader). Bad rows are listed and skipped; uploading a file again adds nothing twice.'),
    h('div', { class: 'upload-row' }, field('File', input, hint), h('div', { class: 'actions' }, upload, progress, progressText)));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(upload, async () => {
      status.clear();
      result.hidden = true;
      const chosen = input.files && input.files[0];
      if (!chosen) {
        status.error('Choose a file to upload.');
        return;
      }
      const text = await chosen.text();
      const format = detectFormat(chosen.name, text);
      const cut = split(text, format);
      if (cut.rows === 0) {
        status.error(`${chosen.name} holds no targets.`);
        return;
      }
      if (cut.rows > MAX_FILE_ROWS) {
        status.error(`${chosen.name} holds ${cut.rows} rows; at most ${MAX_FILE_ROWS} are uploaded at once: split the file.`);
        return;
      }
      progress.max = cut.rows;
      progress.value = 0;
      progress.hidden = false;
      const onProgress = (n) => {
        progress.value = n;
        progressText.textContent = `${n} of ${cut.rows} rows uploaded`;
      };
      onProgress(0);
      const { sum, failed } = await importFile(journey.journey_id, format, cut, onProgress);
      progress.hidden = true;
      progressText.textContent = '';
      if (failed) {
        const queued = sum.queued ? ` ${sum.queued} rows were queued before it stopped; upload the same file again to add the rest: the parts already uploaded are recognised.` : '';
        status.error(`${failed.message || 'The upload failed.'}${queued}`);
      }
      if (!failed || sum.requests.length > 0) showSummary(chosen.name, sum);
      done();
    });
  });

  function showSummary(name, sum) {
    const requests = h('table', {},
      h('caption', {}, 'Uploaded requests'),
      h('thead', {}, h('tr', {}, ['Request', 'Lines', 'Targets', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, sum.requests.map((r) => h('tr', {},
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link uuid', title: r.uuid, 'aria-label': `Show the records of request ${r.uuid}`, onclick: () => showRequest(r.uuid) }, `${r.uuid.slice(0, 8)}…`)),
        h('td', {}, `${r.first}–${r.last}`),
        h('td', {}, String(r.accepted)),
        h('td', {}, r.replayed ? 'Already imported' : 'Queued')))));
    const bad = h('table', {},
      h('caption', {}, 'Bad rows'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Line'), h('th', { scope: 'col' }, 'Problem'))),
      h('tbody', {}, sum.badRows.map((b) => h('tr', {}, h('th', { scope: 'row' }, String(b.line)), h('td', {}, b.message)))));
    replace(result,
      h('p', { class: 'upload-summary', role: 'status' }, h('strong', {}, name), `: ${summaryText(sum)}`),
      sum.requests.length ? h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Uploaded requests', tabindex: '0' }, requests) : null,
      sum.badRows.length ? h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Bad rows', tabindex: '0' }, bad) : null);
    result.hidden = false;
  }

  // Folded away until asked for: the records below are what the tab is
  // mostly for.
  return h('details', { class: 'upload' }, h('summary', {}, 'Upload targets'), form, status.el, result);
}
