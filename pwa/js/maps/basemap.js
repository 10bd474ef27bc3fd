/** The base map under every Leaflet map, loaded on demand (not part of the precached shell).
 * The server names the preset in `<meta name="ssp-basemap">` (backend/places/basemap.py): tile layers for 天地图,
 * 高德/AMap or any XYZ template, or the demo city's own vector layers (districts, streets, communities, named roads
 * and landmarks from the API, kept in IndexedDB so the map works offline and needs no key).
 * AMap tiles are drawn in GCJ-02: instead of converting every marker, their pane is shifted by the GCJ-02 offset at
 * the view's centre, so everything the app draws or the user picks stays WGS-84. */

import { cachedGet } from '../cache.js';
import { t } from '../i18n.js';
import './messages.js';
import { ensureStyles } from './styles.js';
import { wgsToGcj } from './coords.js';

/** @returns {{preset: string, crs: string, layers: Array<{url: string, subdomains: string, attribution: string, max_zoom: number}>}} */
export function basemapConfig() {
  try {
    const raw = document.querySelector('meta[name="ssp-basemap"]')?.content;
    if (raw) return JSON.parse(raw);
  } catch { /* a broken tag falls back to the demo map */ }
  return { preset: 'demo', crs: 'wgs84', layers: [] };
}

/** Whether a map is still on the page (`map.remove()` drops its panes). */
const alive = (map) => Boolean(map.getPane('mapPane'));

/** Listen to a map's events until it is removed: Leaflet can still fire a late moveend (a zoom animation's end timer)
 * after `map.remove()`, when the map has no panes to measure. */
function onMap(map, types, fn) {
  map.on(types, fn);
  map.once('unload', () => map.off(types, fn));
}

/** Keep GCJ-02 tiles over the WGS-84 points they show: shift their pane by the offset at the view's centre. */
function shiftForGcj(map, pane) {
  const place = () => {
    const c = map.getCenter();
    const g = wgsToGcj(c.lat, c.lng);
    const z = map.getZoom();
    const d = map.project([c.lat, c.lng], z).subtract(map.project([g.lat, g.lng], z));
    pane.style.transform = `translate(${Math.round(d.x)}px, ${Math.round(d.y)}px)`;
  };
  onMap(map, 'moveend zoomend viewreset', place);
  place();
}

const ZOOM_BANDS = [[0, 'city'], [14, 'area'], [16, 'street']];

function label(L, latlng, text, kind, pane) {
  return L.marker(latlng, {
    pane, interactive: false, keyboard: false,
    icon: L.divIcon({ className: `map-label lbl-${kind}`, html: '<span></span>', iconSize: null }),
  }).on('add', (e) => { e.target.getElement().firstChild.textContent = text; });
}

function areaLabels(L, fc, kind, pane) {
  return fc.features.map((f) => {
    const b = L.geoJSON(f).getBounds();
    return label(L, b.getCenter(), f.properties.name, kind, pane);
  });
}

/** The point of a line nearest to `p` (lng/lat treated as planar: fine across a city). */
function nearestOnLine(coords, p) {
  let best = null;
  for (let i = 1; i < coords.length; i += 1) {
    const [ax, ay] = coords[i - 1];
    const [bx, by] = coords[i];
    const dx = bx - ax;
    const dy = by - ay;
    const k = Math.max(0, Math.min(1, ((p[0] - ax) * dx + (p[1] - ay) * dy) / (dx * dx + dy * dy || 1)));
    const q = [ax + k * dx, ay + k * dy];
    const d = (q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2;
    if (!best || d < best.d) best = { q, d };
  }
  return best.q;
}

/** Road names follow the view: each road's label sits where the road passes nearest a point near the view's top
 * (north-south roads) or left edge (east-west roads), so a road crossing the screen is always named, whatever part of
 * it is shown, and two crossing roads' names do not meet at their crossing. */
function roadLabels(L, map, roads) {
  const marks = roads.features.map((f) => ({
    f, m: label(L, [0, 0], f.properties.name, `road ${f.properties.orientation}`, 'ssp-labels'),
  }));
  const place = () => {
    const b = map.getBounds();
    const w = b.getEast() - b.getWest();
    const ht = b.getNorth() - b.getSouth();
    for (const { f, m } of marks) {
      const ns = f.properties.orientation === 'ns';
      const target = [b.getWest() + w * (ns ? 0.5 : 0.12), b.getSouth() + ht * (ns ? 0.85 : 0.5)];
      const [lng, lat] = nearestOnLine(f.geometry.coordinates, target);
      m.setLatLng([lat, lng]);
    }
  };
  onMap(map, 'moveend', place);
  place();
  return marks.map(({ m }) => m);
}

/** Draw the demo city's own map: areas with names, named roads, landmarks. */
async function demoLayers(L, map) {
  map.getContainer().classList.add('demo-basemap');
  const pane = map.getPane('ssp-base') || map.createPane('ssp-base');
  pane.style.zIndex = 250;
  pane.style.pointerEvents = 'none';
  const labels = map.getPane('ssp-labels') || map.createPane('ssp-labels');
  labels.style.zIndex = 450;
  labels.style.pointerEvents = 'none';
  const [districts, streets, communities, roads, landmarks] = await Promise.all(
    ['org/districts', 'org/streets', 'org/communities', 'places/layers/roads', 'places/layers/landmarks']
      .map((p) => cachedGet(p).catch(() => ({ features: [] }))));
  if (!alive(map)) return null; // the page moved on while the layers loaded
  const opts = { pane, interactive: false };
  // Roads as wide as streets close up, thin lines from afar (a city of 400 m blocks would be all road otherwise).
  const width = (f, close, far) => (map.getZoom() >= 15 ? close : far) * (f.properties.class === 'major' ? 1.5 : 1);
  const casing = L.geoJSON(roads, { ...opts, style: (f) => ({ color: '#d3cab9', weight: width(f, 7, 2.5), lineCap: 'butt' }) });
  const fill = L.geoJSON(roads, { ...opts, style: (f) => ({ color: f.properties.class === 'major' ? '#fff1b8' : '#fff', weight: width(f, 4.5, 1.2) }) });
  onMap(map, 'zoomend', () => { casing.setStyle(casing.options.style); fill.setStyle(fill.options.style); });
  const group = L.layerGroup([
    L.geoJSON(communities, { ...opts, style: { color: '#cfc6b8', weight: 1, dashArray: '3 4', fillColor: '#fbf8f1', fillOpacity: 0.9 } }),
    L.geoJSON(streets, { ...opts, style: { color: '#a99f90', weight: 1.5, fill: false } }),
    casing, fill,
    L.geoJSON(districts, { ...opts, style: { color: '#8c7b6b', weight: 3, dashArray: '10 6', fill: false } }),
    ...areaLabels(L, districts, 'district', 'ssp-labels'),
    ...areaLabels(L, streets, 'street', 'ssp-labels'),
    ...areaLabels(L, communities, 'community', 'ssp-labels'),
    ...roadLabels(L, map, roads),
    ...landmarks.features.map((f) => label(L, [f.geometry.coordinates[1], f.geometry.coordinates[0]],
      f.properties.name, `landmark ${f.properties.kind}`, 'ssp-labels')),
  ]).addTo(map);
  map.attributionControl?.addAttribution(t('map.demo_attribution'));
  return group;
}

/**
 * Add the configured base map to a Leaflet map.
 * @param {object} L the Leaflet namespace
 * @param {object} map
 * @returns {Promise<object|null>} the base layer group (null when the map was removed meanwhile)
 */
export async function addBasemap(L, map) {
  if (!alive(map)) return null; // removed before this module loaded
  ensureStyles();
  const cfg = basemapConfig();
  const el = map.getContainer();
  const band = () => {
    const z = map.getZoom();
    el.dataset.zoomBand = ZOOM_BANDS.filter(([min]) => z >= min).pop()[1];
  };
  onMap(map, 'zoomend', band);
  band();
  if (!cfg.layers?.length) return demoLayers(L, map);
  let pane;
  if (cfg.crs === 'gcj02') {
    pane = map.getPane('ssp-gcj') || map.createPane('ssp-gcj');
    pane.style.zIndex = 200;
    shiftForGcj(map, pane);
  }
  const group = L.layerGroup(cfg.layers.map((l) => L.tileLayer(l.url, {
    subdomains: l.subdomains, attribution: l.attribution, maxZoom: l.max_zoom || 18, ...(pane ? { pane: 'ssp-gcj' } : {}),
  }))).addTo(map);
  return group;
}
