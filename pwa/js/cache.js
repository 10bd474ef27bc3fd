/** Reference data (menu, categories, grid outlines) fetched once and kept in IndexedDB for offline use. */

import { api } from './api.js';
import { kvGet, kvSet } from './store.js';

const MAX_AGE_MS = 24 * 3600 * 1000;
const memory = new Map();

/**
 * GET an API path, answering from the stored copy when fresh or when the network fails.
 * @param {string} path
 * @returns {Promise<any>}
 */
export function cachedGet(path) {
  if (!memory.has(path)) {
    const load = (async () => {
      const kept = await kvGet(`cache:${path}`);
      if (kept && Date.now() - kept.at < MAX_AGE_MS) return kept.data;
      try {
        const data = await api(path);
        await kvSet(`cache:${path}`, { at: Date.now(), data });
        return data;
      } catch (err) {
        if (kept) return kept.data;
        throw err;
      }
    })();
    memory.set(path, load);
    load.catch(() => memory.delete(path));
  }
  return memory.get(path);
}

/** @returns {Promise<Array<{id:string,name:string,name_en:string,codes:string[]}>>} the citizen menu */
export const menu = () => cachedGet('meta/menu');
/** @returns {Promise<{majors: object[], categories: object[]}>} 大类 and 小类 */
export const categories = () => cachedGet('meta/categories');
/** @returns {Promise<object>} responsibility grid outlines (GeoJSON FeatureCollection) */
export const grids = () => cachedGet('org/responsibility-grids');
