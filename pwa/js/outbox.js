/** The outbox: reports kept in IndexedDB until the server has them.
 *
 * Each entry holds the form fields, the photos as ArrayBuffers and a client-made idempotency key, so a retry after a
 * lost answer returns the same case instead of a second one. Entries are sent on submit, on `online`, on Background
 * Sync (from the service worker) and on app start; unsent entries expire after 7 days. This module runs in pages and
 * in the service worker, so it uses only fetch and IndexedDB.
 */

import { ApiError, parseResponse, session } from './api.js';
import { db, kvGet } from './store.js';

export const EXPIRE_MS = 7 * 24 * 3600 * 1000;
const STALE_SENDING_MS = 2 * 60 * 1000; // a send cut off by a closed tab
const SYNC_TAG = 'ssp-outbox';
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('ssp-outbox') : null;
let flushing = null;

/** @typedef {{key: string, created_at: number, status: 'pending'|'sending'|'sent'|'failed'|'expired',
 *   fields: object, photos: Array<{name: string, type: string, data: ArrayBuffer}>, owner: number|null,
 *   token: string|null, attempts: number, error: string|null, result: {id: number, tracking_no: string}|null,
 *   sending_at?: number}} OutboxEntry */

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
export async function enqueue(fields, photos, key) {
  const s = session();
  /** @type {OutboxEntry} */
  const entry = {
    key, created_at: Date.now(), status: 'pending', fields, photos, owner: s?.user.id ?? null,
    token: s?.token ?? null, attempts: 0, error: null, result: null,
  };
  await (await db()).put('outbox', entry);
  changed();
  await requestSync();
  await flushOutbox();
  return (await db()).get('outbox', key);
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
  e.error = null;
  e.created_at = Math.max(e.created_at, Date.now() - EXPIRE_MS + 3600_000);
  await d.put('outbox', e);
  changed();
  await flushOutbox();
}

/** Ask the browser to wake the service worker when the network returns (Background Sync, where supported). */
export async function requestSync() {
  try {
    const reg = await globalThis.navigator?.serviceWorker?.ready;
    await reg?.sync?.register(SYNC_TAG);
  } catch { /* not supported or not allowed: online and app-start retries still run */ }
}

/**
 * Send every pending entry, oldest first; stops at the first network failure. Safe to call from many places:
 * calls share one run per context, and a Web Lock keeps the page and the service worker from sending together.
 * @returns {Promise<void>}
 */
export function flushOutbox() {
  flushing ??= (async () => {
    try {
      const locks = globalThis.navigator?.locks;
      if (locks) await locks.request('ssp-outbox', () => flushAll());
      else await flushAll();
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

async function flushAll() {
  const d = await db();
  const now = Date.now();
  const entries = (await d.getAll('outbox')).sort((a, b) => a.created_at - b.created_at);
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
    const online = await send(d, e);
    if (!online) break;
  }
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
    const res = await fetch('/api/v1/reports', {
      method: 'POST',
      headers: { 'Idempotency-Key': e.key, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: formFor(e),
    });
    const data = await parseResponse(res);
    e.status = 'sent';
    e.error = null;
    e.result = { id: data.id, tracking_no: data.tracking_no };
    e.token = null; // no need to keep a credential on disk longer than the report
  } catch (err) {
    const network = !(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429 ||
      err.status === 408;
    e.status = network ? 'pending' : 'failed';
    e.error = err.message;
    await d.put('outbox', e);
    changed();
    return !network;
  }
  await d.put('outbox', e);
  changed();
  return true;
}

function formFor(e) {
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
  globalThis.addEventListener('online', () => flushOutbox());
  flushOutbox();
}
