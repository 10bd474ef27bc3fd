/** Leaflet maps, the one way every screen loads Leaflet (and its plugins from npm): the field apps' movable report
 * pin, task markers and grid outlines, and the desks' maps. The base map (tiles or the demo city's own layers) comes
 * from js/maps/basemap.js, loaded on demand. */

import { api } from './api.js';
import { grids } from './cache.js';
import { t } from './i18n.js';

const CITY = [27.73, 112.0];
const LEAFLET_CSS = '/node_modules/leaflet/dist/leaflet.css';
/** Plugins from npm (they extend the global L, so they load after Leaflet). */
const PLUGINS = {
  markercluster: { js: '/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js',
    css: '/node_modules/leaflet.markercluster/dist/MarkerCluster.css' },
  heat: { js: '/node_modules/leaflet.heat/dist/leaflet-heat.js' },
};
let leafletReady = null;
const pluginsReady = new Map();

function addCss(href) {
  if (!document.querySelector(`link[href="${href}"]`)) {
    document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
  }
}

/**
 * Load Leaflet (its build sets window.L) and its stylesheet once, and the named plugins.
 * @param {...('markercluster'|'heat')} plugins
 * @returns {Promise<object>} the Leaflet namespace
 */
export function loadLeaflet(...plugins) {
  leafletReady ??= (async () => {
    addCss(LEAFLET_CSS);
    await import('leaflet');
    const { Map, Control } = window.L;
    // An answer that arrives after its page moved on must not draw on the map that page removed (Leaflet would throw
    // finding no panes): layers and controls added to a removed map are dropped, wherever they come from.
    for (const name of ['addLayer', 'addControl']) {
      const add = Map.prototype[name];
      Map.prototype[name] = function addIfAlive(x) { return this.getPane('mapPane') ? add.call(this, x) : this; };
    }
    const addTo = Control.prototype.addTo; // control.addTo(map) does not go through map.addControl
    Control.prototype.addTo = function addToIfAlive(map) { return map.getPane('mapPane') ? addTo.call(this, map) : this; };
    return window.L;
  })();
  return Promise.all([leafletReady, ...plugins.map((name) => {
    if (!pluginsReady.has(name)) {
      const { js, css } = PLUGINS[name];
      if (css) addCss(css);
      pluginsReady.set(name, leafletReady.then(() => import(js)));
    }
    return pluginsReady.get(name);
  })]).then(([L]) => L);
}

/**
 * A pin marker drawn with CSS (no image files to cache).
 * @param {string} [kind] `report` | `task-verify` | `task-check` | `me`
 */
export function pinIcon(L, kind = 'report') {
  return L.divIcon({ className: `pin pin-${kind}`, html: '<span></span>', iconSize: [28, 28], iconAnchor: [14, 28] });
}

/**
 * Create a map in an element.
 * @param {HTMLElement} el
 * @param {{center?: [number, number], zoom?: number, outlines?: boolean, canvas?: boolean}} [opts] center: [lat, lng]
 *   (none: the city, fitted to the grid outlines); outlines: draw the responsibility grids (the field apps; desks
 *   draw their own); canvas: vector layers on a canvas (desks with many shapes)
 * @returns {Promise<{L: any, map: any, gridLayer: Promise<any>}>}
 */
export async function createMap(el, { center, zoom, outlines = true, canvas = false } = {}) {
  const L = await loadLeaflet();
  const map = L.map(el, { preferCanvas: canvas, zoomControl: false });
  // Leaflet names its zoom buttons in English: named in the page's language instead (screen readers read them).
  L.control.zoom({ zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
  import('./maps/basemap.js').then((m) => m.addBasemap(L, map)).catch((err) => console.warn('basemap', err));
  const gridLayer = !outlines ? Promise.resolve(null) : grids().then((fc) => {
    const layer = L.geoJSON(fc, {
      style: { color: '#0a5bb5', weight: 1.5, opacity: 0.8, fillColor: '#0a5bb5', fillOpacity: 0.05 },
      onEachFeature: (f, l) => l.bindTooltip(f.properties?.name || f.properties?.code || '', { sticky: true }),
    }).addTo(map);
    layer.bringToBack();
    if (!center) map.fitBounds(layer.getBounds());
    return layer;
  }).catch(() => null);
  if (center) map.setView(center, zoom ?? 16);
  else map.setView(CITY, zoom ?? 13);
  // The container is often laid out after creation (a freshly rendered page): measure again.
  setTimeout(() => { if (el.isConnected) map.invalidateSize(); }, 0);
  return { L, map, gridLayer };
}

/**
 * A map with one draggable pin; tapping the map moves the pin too.
 * @param {HTMLElement} el
 * @param {{lat:number,lng:number}} at
 * @param {(p: {lat:number,lng:number}) => void} onMove called when the user moves the pin
 * @returns {Promise<{setPin: (p: {lat:number,lng:number}) => void, map: any}>}
 */
export async function pinMap(el, at, onMove) {
  const { L, map } = await createMap(el, { center: [at.lat, at.lng], zoom: 17 });
  const marker = L.marker([at.lat, at.lng], { draggable: true, icon: pinIcon(L), keyboard: true, title: t('map.pin') }).addTo(map);
  marker.on('dragend', () => {
    const p = marker.getLatLng();
    onMove({ lat: p.lat, lng: p.lng });
  });
  map.on('click', (e) => {
    marker.setLatLng(e.latlng);
    onMove({ lat: e.latlng.lat, lng: e.latlng.lng });
  });
  return {
    map,
    setPin: (p) => {
      marker.setLatLng([p.lat, p.lng]);
      map.panTo([p.lat, p.lng]);
    },
  };
}

/**
 * The centre of the city (the grid outlines' bounds), for a first view without a position.
 * @returns {Promise<{lat:number,lng:number}|null>}
 */
export async function cityCentre() {
  try {
    const fc = await grids();
    let [w, s, e, n] = [180, 90, -180, -90];
    const walk = (c) => {
      if (typeof c[0] === 'number') {
        w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
      } else c.forEach(walk);
    };
    fc.features.forEach((f) => walk(f.geometry.coordinates));
    return w <= e ? { lat: (s + n) / 2, lng: (w + e) / 2 } : null;
  } catch {
    return null;
  }
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
