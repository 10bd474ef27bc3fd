/** Leaflet maps for the field apps: a movable report pin, task markers, and the responsibility-grid outlines.
 * The base map (tiles or the demo city's own layers) comes from js/maps/basemap.js, loaded on demand. */

import { grids } from './cache.js';
import { t } from './i18n.js';

let leafletReady = null;

/** Load Leaflet (its minified build sets window.L) and its stylesheet once. */
export function loadLeaflet() {
  leafletReady ??= (async () => {
    if (!document.querySelector('link[data-leaflet]')) {
      const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/node_modules/leaflet/dist/leaflet.css' });
      link.dataset.leaflet = '';
      document.head.append(link);
    }
    await import('leaflet');
    return window.L;
  })();
  return leafletReady;
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
 * @param {{center?: [number, number], zoom?: number}} [opts]
 * @returns {Promise<{L: any, map: any, gridLayer: Promise<any>}>}
 */
export async function createMap(el, { center, zoom = 16 } = {}) {
  const L = await loadLeaflet();
  const map = L.map(el, { zoomControl: false });
  // Leaflet names its zoom buttons in English: named in the page's language instead (screen readers read them).
  L.control.zoom({ zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
  import('./maps/basemap.js').then((m) => m.addBasemap(L, map)).catch((err) => console.warn('basemap', err));
  const gridLayer = grids().then((fc) => {
    const layer = L.geoJSON(fc, {
      style: { color: '#0a5bb5', weight: 1.5, opacity: 0.8, fillColor: '#0a5bb5', fillOpacity: 0.05 },
      onEachFeature: (f, l) => l.bindTooltip(f.properties?.name || f.properties?.code || '', { sticky: true }),
    }).addTo(map);
    layer.bringToBack();
    if (!center) map.fitBounds(layer.getBounds());
    return layer;
  }).catch(() => null);
  if (center) map.setView(center, zoom);
  else map.setView([27.73, 112.0], 13);
  // The container is often laid out after creation (a freshly rendered page): measure again.
  setTimeout(() => map.invalidateSize(), 0);
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
