/** The JSON API client: bearer session, error translation, authorised photo URLs. */

import { lang, t } from './i18n.js';
import { kvGet, kvSet } from './store.js';

/** An API failure. `status` 0 means the network failed (offline, server down). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure
   * @param {string} code stable error code from the server (e.g. `case.not_found`) or `network`
   * @param {string} message in the current language
   * @param {object} [details]
   * @param {number} [retryAfter] seconds the server asked to wait (its Retry-After header), 0 when it said nothing
   */
  constructor(status, code, message, details = {}, retryAfter = 0) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

let current = null;

/** @returns {{token: string, user: object}|null} the signed-in session (restored from IndexedDB at start) */
export function session() {
  return current;
}

/**
 * Set and persist the session. An anonymous device credential is also kept apart so it survives a later login.
 * @param {{token: string, user: object, expires_at?: string}} s
 * @returns {Promise<void>} resolves when stored
 */
export function setSession(s) {
  current = s ? { token: s.token, user: s.user, expires_at: s.expires_at } : null;
  const writes = [kvSet('session', current || undefined)];
  if (s?.user?.anonymous) writes.push(kvSet('device', current));
  return Promise.all(writes).then(() => undefined);
}

/** Forget the session (the device credential stays, so an anonymous citizen keeps their reports). */
export function clearSession() {
  current = null;
  return kvSet('session', undefined);
}

/** Load the session saved in IndexedDB; call once before the first render. */
export async function restoreSession() {
  const s = await kvGet('session');
  // A session that still had to change its initial password is not resumed: log in again and change it.
  if (s && !s.user?.must_change_password && (!s.expires_at || Date.parse(s.expires_at) > Date.now())) current = s;
  return current;
}

/** @returns {Promise<object|null>} the stored anonymous device credential, if still valid */
export async function deviceCredential() {
  const d = await kvGet('device');
  return d && (!d.expires_at || Date.parse(d.expires_at) > Date.now()) ? d : null;
}

/**
 * @param {string} path `/api/v1/...` (absolute) or relative to it, e.g. `cases?view=mine`
 * @returns {string}
 */
export function apiUrl(path) {
  if (/^(https?:)?\//.test(path)) return path;
  return `/api/v1/${path}`;
}

/**
 * Call the API.
 * @param {string} path absolute (`/api/v1/cases`) or relative to /api/v1 (`cases`)
 * @param {{method?: string, json?: any, form?: FormData, headers?: Record<string,string>,
 *          idempotencyKey?: string, signal?: AbortSignal}} [options]
 * @returns {Promise<any>} parsed JSON, or null for 204
 * @throws {ApiError}
 */
export async function api(path, { method = 'GET', json, form, headers, idempotencyKey, signal } = {}) {
  const h = new Headers(headers || {});
  if (current?.token) h.set('Authorization', `Bearer ${current.token}`);
  if (idempotencyKey) h.set('Idempotency-Key', idempotencyKey);
  let body;
  if (json !== undefined) {
    h.set('Content-Type', 'application/json');
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let res;
  try {
    res = await fetch(apiUrl(path), { method, headers: h, body, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', t('error.network'));
  }
  return parseResponse(res, Boolean(current?.token));
}

/**
 * Turn a fetch Response into JSON or an ApiError.
 * @param {Response} res
 * @param {boolean} [hadToken] a 401 then means the session is gone
 */
export async function parseResponse(res, hadToken = false) {
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (res.ok) return data;
  const e = data?.error;
  if (res.status === 401 && hadToken) {
    await clearSession();
    globalThis.dispatchEvent?.(new CustomEvent('ssp:unauthorised'));
  }
  const message = e ? (lang() === 'en' ? e.message_en : e.message_zh) : t('error.http', { status: res.status });
  const retryAfter = Number(res.headers.get('Retry-After')) || 0;
  throw new ApiError(res.status, e?.code || `http.${res.status}`, message, e?.details || {}, retryAfter);
}

const blobUrls = new Map();

/**
 * Fetch an image that needs the bearer token and return an object URL for it (cached per path).
 * @param {string} path e.g. `/api/v1/photos/12/thumb`
 * @returns {Promise<string>}
 */
export async function photoUrl(path) {
  if (!blobUrls.has(path)) {
    const load = (async () => {
      const res = await fetch(apiUrl(path), {
        headers: current?.token ? { Authorization: `Bearer ${current.token}` } : {},
      });
      if (!res.ok) throw new ApiError(res.status, `http.${res.status}`, t('error.photo'));
      return URL.createObjectURL(await res.blob());
    })();
    blobUrls.set(path, load);
    load.catch(() => blobUrls.delete(path));
  }
  return blobUrls.get(path);
}

/** @returns {string} a fresh client-made idempotency key */
export function newKey() {
  return `ssp-${crypto.randomUUID()}`;
}
