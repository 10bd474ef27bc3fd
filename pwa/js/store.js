/** The app's IndexedDB: a key-value store (session, device credential, caches) and the outbox of unsent reports.
 *
 * idb is imported by relative URL rather than through the import map so that the service worker (which has no
 * import map) can load this module too.
 */

import { openDB } from '../node_modules/idb/build/index.js';

const DB_NAME = 'suishoupai';
let dbPromise = null;

/** @returns {Promise<import('idb').IDBPDatabase>} the opened database */
export function db() {
  dbPromise ??= openDB(DB_NAME, 1, {
    upgrade(d) {
      d.createObjectStore('kv');
      const outbox = d.createObjectStore('outbox', { keyPath: 'key' });
      outbox.createIndex('created', 'created_at');
    },
  });
  return dbPromise;
}

/**
 * @param {string} key
 * @returns {Promise<any>} the stored value or undefined
 */
export async function kvGet(key) {
  return (await db()).get('kv', key);
}

/**
 * @param {string} key
 * @param {any} value structured-cloneable; undefined deletes the key
 */
export async function kvSet(key, value) {
  const d = await db();
  if (value === undefined) await d.delete('kv', key);
  else await d.put('kv', value, key);
}
