/** The outbox: reports and field actions (a supervisor's 核实 verify and 核查 check; a unit's 签收 accept, 处置反馈
 * report_back and its requests) kept in IndexedDB until the server has them.
 *
 * Each entry holds its fields, the photos as ArrayBuffers and a client-made idempotency key, so a retry after a lost
 * answer returns the same case (or the same action) instead of a second one. A report goes out as one multipart
 * request; an action first uploads each photo (`POST /photos`, each with its own key, the id kept in the entry once
 * known) and then performs the action with the photo ids. Entries are sent on submit, on `online`, on Background Sync
 * (from the service worker) and on app start; when the server is busy or down (5xx, 429) an entry waits for the
 * server's Retry-After or an exponential backoff (2 s … 5 min) and is sent again by a timer while the page is open.
 * Unsent entries expire after 7 days. This module runs in pages and in
 * the service worker, so it uses only fetch and IndexedDB, and never waits on the service worker.
 */

import { ApiError, parseResponse, session } from './api.js';
import { db, kvGet } from './store.js';

export const EXPIRE_MS = 7 * 24 * 3600 * 1000;
const STALE_SENDING_MS = 2 * 60 * 1000; // a send cut off by a closed tab
const SYNC_TAG = 'ssp-outbox';
const MAX_BACKOFF_MS = 5 * 60 * 1000;
let retryTimer = null;
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('ssp-outbox') : null;
let flushing = null;
let again = null; // a run asked for while one was under way: it must see entries added since that one started

/** @typedef {{name: string, type: string, data: ArrayBuffer, key?: string, id?: number}} OutboxPhoto
 *  key and id: an action's photo is uploaded on its own, with its own idempotency key; id is the server's answer. */
/** @typedef {{key: string, kind: 'report'|'action', created_at: number,
 *   status: 'pending'|'sending'|'sent'|'failed'|'expired', fields: object, photos: OutboxPhoto[],
 *   case_id?: number, tracking_no?: string, action?: string, photo_kind?: string, owner: number|null,
 *   token: string|null, attempts: number, error: string|null,
 *   result: {id: number, tracking_no: string, case?: object}|null, sending_at?: number, next_at?: number}} OutboxEntry
 *  next_at: after a retryable failure, not before this time (ms) unless the browser comes back online.
 *  fields: the report's form fields, or the action's JSON body without photo_ids.
 *  photo_kind: the kind an action's photos are uploaded as (default: the action's name).
 *  result.case: an action's answer, the case as it is after the action (a desk page redraws from it). */

function changed() {
  channel?.postMessage('changed');
  globalThis.dispatchEvent?.(new CustomEvent('ssp:outbox'));
}

/**
 * Listen for outbox changes made by this page, other tabs or the service worker.
 * @param {() => void} fn
 * @returns {() => void} stop listening
 */
export function onOutboxChange(fn) {
  const bc = typeof BroadcastChannel === 'function' ? new BroadcastChannel('ssp-outbox') : null;
  bc?.addEventListener('message', fn);
  globalThis.addEventListener('ssp:outbox', fn);
  return () => {
    bc?.close();
    globalThis.removeEventListener('ssp:outbox', fn);
  };
}

/**
 * Keep a report for sending and try to send it now.
 * @param {object} fields report fields (lng, lat, description, address, accuracy_m, location_source, menu, category_code)
 * @param {Array<{name: string, type: string, data: ArrayBuffer}>} photos
 * @param {string} key idempotency key made by the client
 * @returns {Promise<OutboxEntry>} the entry after the first attempt
 */
export function enqueue(fields, photos, key) {
  return keep({ key, kind: 'report', fields, photos });
}

/**
 * Keep a lifecycle action taken in the field (a supervisor's verify or check, a unit's accept or report_back) for
 * sending and try to send it now.
 * @param {{id: number, tracking_no: string}} c the case
 * @param {string} action e.g. `verify`
 * @param {object} body the action's JSON body without photo_ids (result, note)
 * @param {Array<{name: string, type: string, data: ArrayBuffer}>} photos uploaded with kind = photoKind
 * @param {string} key idempotency key of the action; each photo gets its own
 * @param {string} [photoKind] the photos' kind (`after` for a report_back); default: the action
 * @returns {Promise<OutboxEntry>} the entry after the first attempt
 */
export function enqueueAction(c, action, body, photos, key, photoKind = action) {
  return keep({ key, kind: 'action', case_id: c.id, tracking_no: c.tracking_no, action, photo_kind: photoKind,
    fields: body, photos: photos.map((p, i) => ({ ...p, key: `${key}.p${i}` })) });
}

async function keep(part) {
  const s = session();
  /** @type {OutboxEntry} */
  const entry = { ...part, created_at: Date.now(), status: 'pending', owner: s?.user.id ?? null,
    token: s?.token ?? null, attempts: 0, error: null, result: null };
  await (await db()).put('outbox', entry);
  changed();
  await flushOutbox();
  // Gone: the person cancelled the upload (cancelUpload), and the form that sent it keeps what they entered.
  const after = await (await db()).get('outbox', entry.key);
  // Still to send (offline, a busy server): ask the browser to wake the service worker for it even if the app is
  // closed. Not before this page's own attempt: an online sync fires at once, and the service worker would take the
  // upload from the page (no progress, no cancel). Not awaited: where service workers are blocked it never settles.
  if (after?.status === 'pending') requestSync();
  return after ?? { ...entry, status: 'cancelled' };
}

/**
 * The outbox entries of the signed-in user (or all when called without a session), newest first.
 * Photos are left out unless asked for.
 * @param {{withPhotos?: boolean}} [opts]
 * @returns {Promise<OutboxEntry[]>}
 */
export async function listOutbox({ withPhotos = false } = {}) {
  const owner = session()?.user.id;
  const all = await (await db()).getAll('outbox');
  return all
    .filter((e) => owner == null || e.owner == null || e.owner === owner)
    .map((e) => (withPhotos ? e : { ...e, photos: e.photos.map((p) => ({ name: p.name, type: p.type, size: p.data.byteLength })) }))
    .sort((a, b) => b.created_at - a.created_at);
}

/**
 * Delete an entry (the user gave up on a failed or expired report, or dismissed a sent one).
 * @param {string} key
 */
export async function removeEntry(key) {
  await (await db()).delete('outbox', key);
  changed();
}

/**
 * Put a failed entry back in line and try again.
 * @param {string} key
 */
export async function retryEntry(key) {
  const d = await db();
  const e = await d.get('outbox', key);
  if (!e) return;
  e.status = 'pending';
  e.next_at = 0;
  e.error = null;
  e.created_at = Math.max(e.created_at, Date.now() - EXPIRE_MS + 3600_000);
  await d.put('outbox', e);
  changed();
  await flushOutbox();
  if ((await d.get('outbox', key))?.status === 'pending') requestSync();
}

/** Ask the browser to wake the service worker when the network returns (Background Sync, where supported).
 * Uses getRegistration, not `ready`: `ready` never settles when no service worker may run (blocked, private mode). */
export async function requestSync() {
  try {
    const reg = await globalThis.navigator?.serviceWorker?.getRegistration?.();
    await reg?.sync?.register(SYNC_TAG);
  } catch { /* not supported or not allowed: online and app-start retries still run */ }
}

/**
 * Send every pending entry, oldest first; stops at the first network failure. Safe to call from many places:
 * calls share one run per context, and a Web Lock keeps the page and the service worker from sending together.
 * @returns {Promise<void>}
 */
export function flushOutbox(now = false) {
  if (flushing) {
    again ??= flushing.catch(() => {}).then(() => { again = null; return flushOutbox(now); });
    return again;
  }
  flushing = (async () => {
    try {
      const locks = globalThis.navigator?.locks;
      if (locks) await locks.request('ssp-outbox', () => flushAll(now));
      else await flushAll(now);
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** @param {boolean} ignoreWait send entries that are waiting out a backoff too (the network just came back) */
async function flushAll(ignoreWait) {
  const d = await db();
  const now = Date.now();
  const entries = (await d.getAll('outbox')).sort((a, b) => a.created_at - b.created_at);
  let earliest = Infinity;
  for (const e of entries) {
    if (e.status === 'sent') {
      if (now - e.created_at > EXPIRE_MS) await d.delete('outbox', e.key);
      continue;
    }
    if (e.status === 'expired' || e.status === 'failed') continue;
    if (e.status === 'sending' && now - (e.sending_at || 0) < STALE_SENDING_MS) continue;
    if (now - e.created_at > EXPIRE_MS) {
      e.status = 'expired';
      await d.put('outbox', e);
      changed();
      continue;
    }
    if (!ignoreWait && e.status === 'pending' && e.next_at > now) {
      earliest = Math.min(earliest, e.next_at);
      continue;
    }
    const online = await send(d, e);
    if (e.status === 'pending' && e.next_at) earliest = Math.min(earliest, e.next_at);
    if (!online) break;
  }
  scheduleRetry(earliest);
}

/** One timer for the earliest waiting entry (pages only: a service worker is not kept alive for it). */
function scheduleRetry(at) {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  if (at === Infinity || typeof globalThis.document === 'undefined') return;
  retryTimer = setTimeout(() => { retryTimer = null; flushOutbox(); }, Math.max(0, at - Date.now()) + 50);
}

/** How long to wait after a retryable failure: the server's Retry-After, else 2, 4, 8 … s (±20 %), at most 5 min. */
function retryDelay(err, attempts) {
  const asked = err instanceof ApiError && err.retryAfter > 0 ? err.retryAfter * 1000 : 0;
  const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20)) * (0.8 + 0.4 * Math.random());
  return Math.min(MAX_BACKOFF_MS, asked || backoff);
}

/** @returns {Promise<boolean>} false when the network is down (stop trying for now) */
async function send(d, e) {
  e.status = 'sending';
  e.sending_at = Date.now();
  e.attempts += 1;
  await d.put('outbox', e);
  changed();
  try {
    const token = e.token || session()?.token || (await kvGet('session'))?.token;
    const auth = token ? { Authorization: `Bearer ${token}` } : {};
    e.result = e.kind === 'action' ? await sendAction(d, e, auth) : await sendReport(e, auth);
    e.status = 'sent';
    e.error = null;
    e.next_at = 0;
    e.token = null; // no need to keep a credential on disk longer than the entry
  } catch (err) {
    if (cancelled.delete(e.key)) {
      // Cancelled by the person: not to be sent behind their back later (a retry from the form uses the same key).
      await d.delete('outbox', e.key);
      changed();
      return true;
    }
    const network = !(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429 ||
      err.status === 408;
    e.status = network ? 'pending' : 'failed';
    e.error = err.message;
    // Offline (status 0): the 'online' event sends it; a busy or failing server: after its Retry-After or a backoff.
    e.next_at = network && err instanceof ApiError && err.status > 0 ? Date.now() + retryDelay(err, e.attempts) : 0;
    await d.put('outbox', e);
    changed();
    return !network;
  }
  await d.put('outbox', e);
  changed();
  return true;
}

const progressListeners = new Map();
const inflight = new Map(); // key → abort() of the request sending that entry now, in this context
const cancelled = new Set();

/**
 * Stop sending an entry now (the person tapped cancel during the upload): the request is aborted and the entry
 * removed from the outbox, so nothing sends it later. The server may have had it all already: sending the same
 * fields again with the same key then answers with the same case, not a second one.
 * @param {string} key the entry's key
 * @returns {boolean} false when no request of this entry was on its way from this page
 */
export function cancelUpload(key) {
  const abort = inflight.get(key);
  if (!abort) return false;
  cancelled.add(key);
  abort();
  return true;
}

/**
 * Hear the upload progress of one entry's report while this page sends it (bytes sent of the whole request).
 * @param {string} key the entry's key
 * @param {(loaded: number, total: number) => void} fn
 * @returns {() => void} stop listening
 */
export function onUploadProgress(key, fn) {
  progressListeners.set(key, fn);
  return () => progressListeners.delete(key);
}

/* fetch has no upload progress: a page that listens gets the same request through XMLHttpRequest, whose upload
 * events count the bytes really sent. The service worker (no XMLHttpRequest there) uses fetch. */
function post(url, headers, body, key) {
  const listener = progressListeners.get(key);
  if (!listener || typeof XMLHttpRequest !== 'function') {
    const stop = new AbortController();
    inflight.set(key, () => stop.abort());
    return fetch(url, { method: 'POST', headers, body, signal: stop.signal }).finally(() => inflight.delete(key));
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    inflight.set(key, () => xhr.abort());
    xhr.addEventListener('loadend', () => inflight.delete(key));
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (ev) => { if (ev.lengthComputable) listener(ev.loaded, ev.total); });
    xhr.addEventListener('load', () => {
      const headersOut = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const i = line.indexOf(':');
        if (i > 0) headersOut.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      const empty = [101, 204, 205, 304].includes(xhr.status);
      resolve(new Response(empty ? null : xhr.responseText, { status: xhr.status, headers: headersOut }));
    });
    for (const type of ['error', 'abort', 'timeout']) xhr.addEventListener(type, () => reject(new TypeError(`upload ${type}`)));
    xhr.send(body);
  });
}

async function sendReport(e, auth) {
  const res = await post('/api/v1/reports', { 'Idempotency-Key': e.key, ...auth }, reportForm(e), e.key);
  const data = await parseResponse(res);
  return { id: data.id, tracking_no: data.tracking_no };
}

/* Photos first, each id saved as soon as it is known, so a retry uploads only what is missing. */
async function sendAction(d, e, auth) {
  for (const p of e.photos) {
    if (p.id) continue;
    const form = new FormData();
    form.append('file', new Blob([p.data], { type: p.type }), p.name);
    form.append('kind', e.photo_kind || e.action);
    const res = await fetch('/api/v1/photos', { method: 'POST', headers: { 'Idempotency-Key': p.key, ...auth }, body: form });
    p.id = (await parseResponse(res)).id;
    await d.put('outbox', e);
  }
  const res = await fetch(`/api/v1/cases/${e.case_id}/actions/${e.action}`, {
    method: 'POST',
    headers: { 'Idempotency-Key': e.key, 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify({ ...e.fields, photo_ids: e.photos.map((p) => p.id) }),
  });
  const data = await parseResponse(res);
  return { id: data.id, tracking_no: data.tracking_no, case: data };
}

function reportForm(e) {
  const form = new FormData();
  for (const [k, v] of Object.entries(e.fields)) {
    if (v !== null && v !== undefined && v !== '') form.append(k, String(v));
  }
  form.append('idempotency_key', e.key);
  for (const p of e.photos) form.append('photos', new Blob([p.data], { type: p.type }), p.name);
  return form;
}

/** Send on app start and whenever the browser comes back online. */
export function startOutbox() {
  globalThis.addEventListener('online', () => flushOutbox(true));
  // Leaving the app with something still to send (a page closed mid-upload): the service worker takes it over.
  globalThis.document?.addEventListener('visibilitychange', async () => {
    if (document.visibilityState !== 'hidden') return;
    const waiting = (await (await db()).getAll('outbox')).some((e) => e.status === 'pending' || e.status === 'sending');
    if (waiting) requestSync();
  });
  flushOutbox();
}
