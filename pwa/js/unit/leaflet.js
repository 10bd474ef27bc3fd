/** Leaflet from npm (through the import map), with the configured base map (js/maps/basemap.js, loaded on demand). */

import { api } from '../api.js';
import { t } from '../i18n.js';

let loading = null;

/** @returns {Promise<object>} the Leaflet namespace */
export function loadLeaflet() {
  loading ||= import('leaflet').then(() => globalThis.L);
  return loading;
}

/**
 * A Leaflet map in `el` with the configured base map.
 * @param {HTMLElement} el
 * @param {{center?: [number, number], zoom?: number}} [opts] center as [lat, lng]
 * @returns {Promise<{L: object, map: object}>}
 */
export async function createMap(el, { center = [27.73, 111.99], zoom = 14 } = {}) {
  const L = await loadLeaflet();
  const map = L.map(el, { center, zoom, preferCanvas: true, zoomControl: false });
  L.control.zoom({ zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map); // not Leaflet's English
  import('../maps/basemap.js').then((m) => m.addBasemap(L, map)).catch((err) => console.warn('basemap', err));
  return { L, map };
}

/**
 * Responsibility grids as GeoJSON, or null when the endpoint is not there.
 * @returns {Promise<object|null>}
 */
export async function responsibilityGrids() {
  try {
    return await api('org/responsibility-grids');
  } catch {
    return null;
  }
}

/**
 * Unit grids in a box as GeoJSON, or null when not available.
 * @param {[number, number, number, number]} bbox west, south, east, north
 * @returns {Promise<object|null>}
 */
export async function unitGrids(bbox) {
  try {
    return await api(`org/unit-grids?bbox=${bbox.map((x) => x.toFixed(5)).join(',')}`);
  } catch {
    return null;
  }
}
