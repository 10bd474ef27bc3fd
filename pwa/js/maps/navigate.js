/** Field navigation: where a case is from the worker (distance, compass direction), both on a map, and links that
 * hand the destination to the phone's map app: 高德/AMap (GCJ-02, converted here), 百度/Baidu (told it is WGS-84) and a
 * plain `geo:` URI (RFC 5870) for any other app. No case details leave the app: the destination is named generically. */

import { api } from '../api.js';
import { distanceM, formatDistance } from '../geo.js';
import { t } from '../i18n.js';
import { h } from '../dom.js';
import { wgsToGcj } from './coords.js';
import './messages.js';
import { ensureStyles } from './styles.js';

const DIRS = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'];

/**
 * Follow the browser's position as it changes.
 * @param {(p: {lat: number, lng: number, accuracy: number}) => void} onPosition
 * @param {(err: Error) => void} [onError]
 * @returns {() => void} stop following
 */
export function watchPosition(onPosition, onError) {
  if (!navigator.geolocation) {
    onError?.(new Error('geolocation unavailable'));
    return () => {};
  }
  const id = navigator.geolocation.watchPosition(
    (p) => onPosition({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy }),
    (err) => onError?.(err), { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  return () => navigator.geolocation.clearWatch(id);
}

/** Initial bearing from a to b in degrees clockwise from north. */
export function bearing(a, b) {
  const r = Math.PI / 180;
  const y = Math.sin((b.lng - a.lng) * r) * Math.cos(b.lat * r);
  const x = Math.cos(a.lat * r) * Math.sin(b.lat * r) - Math.sin(a.lat * r) * Math.cos(b.lat * r) * Math.cos((b.lng - a.lng) * r);
  return ((Math.atan2(y, x) / r) + 360) % 360;
}

/** @returns {string} 东北 / NE for a bearing */
export function compass(deg) {
  return t(`nav.dir.${DIRS[Math.round(deg / 45) % 8]}`);
}

/**
 * The three ways to open the phone's map app at a WGS-84 point.
 * @param {{lat: number, lng: number}} p
 * @returns {{amap: string, baidu: string, geo: string}}
 */
export function navUris(p) {
  const name = encodeURIComponent(t('nav.destination'));
  const g = wgsToGcj(p.lat, p.lng);
  const lat = p.lat.toFixed(6);
  const lng = p.lng.toFixed(6);
  return {
    amap: `https://uri.amap.com/navigation?to=${g.lng.toFixed(6)},${g.lat.toFixed(6)},${name}&mode=walk&coordinate=gaode&callnative=1`,
    baidu: `baidumap://map/direction?destination=latlng:${lat},${lng}|name:${name}&coord_type=wgs84&mode=walking&src=webapp.suishoupai`,
    geo: `geo:${lat},${lng}?q=${lat},${lng}(${name})`,
  };
}

/** The 导航 row: one link per map app. */
export function navLinks(p) {
  ensureStyles();
  const u = navUris(p);
  const link = (href, label, app) => h('a', { class: 'btn nav-link', href, rel: 'noopener noreferrer', dataset: { app } }, label);
  return h('div', { class: 'nav-links', role: 'group', 'aria-label': t('nav.go') },
    h('strong', null, t('nav.go')), link(u.amap, t('nav.amap'), 'amap'), link(u.baidu, t('nav.baidu'), 'baidu'),
    link(u.geo, t('nav.other'), 'geo'));
}

/**
 * Follow the worker's position on a map that shows a case: a small dot for the worker (it never hides the case's pin),
 * a dashed line to the case, and the distance and direction in `status`.
 * @param {object} L Leaflet
 * @param {object} map
 * @param {{lat: number, lng: number}} target
 * @param {HTMLElement} status
 * @returns {() => void} stop
 */
export function followWorker(L, map, target, status) {
  let me = null;
  let line = null;
  let fitted = false;
  const svg = L.svg(); // the dot stays a DOM element (with its tooltip) on canvas-drawn maps too
  status.textContent = t('nav.locating');
  return watchPosition((p) => {
    status.textContent = t('nav.where', { d: formatDistance(distanceM(p, target)), dir: compass(bearing(p, target)) });
    status.dataset.distance = String(Math.round(distanceM(p, target)));
    me?.remove();
    line?.remove();
    line = L.polyline([[p.lat, p.lng], [target.lat, target.lng]], { color: '#2563eb', weight: 2, dashArray: '6 6', interactive: false }).addTo(map);
    me = L.circleMarker([p.lat, p.lng], { radius: 7, color: '#fff', weight: 2, fillColor: '#2563eb', fillOpacity: 1,
      className: 'me-dot', renderer: svg }).bindTooltip(t('nav.me')).addTo(map);
    me.bringToBack();
    if (!fitted) {
      fitted = true;
      map.fitBounds([[p.lat, p.lng], [target.lat, target.lng]], { padding: [40, 40], maxZoom: 17 });
    }
  }, () => { status.textContent = t('nav.no_position'); });
}

/**
 * Under a case's map: the distance and direction from the viewer, and the 导航 links.
 * @param {object} L Leaflet
 * @param {object} map the case's map
 * @param {HTMLElement} el the map's element
 * @param {{lat: number, lng: number}} c
 * @returns {() => void} stop following
 */
export function fieldNav(L, map, el, c) {
  const status = h('p', { class: 'nav-status', 'aria-live': 'polite' });
  el.after(status, navLinks(c));
  return followWorker(L, map, c, status);
}

/**
 * A field panel for one case: map with the case and the worker, distance and direction, 导航 links.
 * @param {HTMLElement} el an empty section
 * @param {{lat: number, lng: number, address?: string, place_text?: string}} c
 * @param {(el: HTMLElement, opts: object) => Promise<{L: object, map: object}>} createMap
 * @param {(L: object, kind: string) => object} pinIcon
 * @returns {Promise<() => void>} dispose
 */
export async function fieldPanel(el, c, createMap, pinIcon) {
  ensureStyles();
  const status = h('p', { class: 'nav-status', 'aria-live': 'polite' });
  const mapEl = h('div', { class: 'map nav-map', role: 'application', 'aria-label': t('nav.map') });
  // The place's name as stored with the case (the gazetteer's, for a case made before names were stored), with what
  // the reporter wrote when it says something else.
  const named = (text) => (c.address && c.address !== text ? `${text}（${c.address}）` : text);
  const where = h('p', { class: 'loc-address' }, c.place_text ? named(c.place_text) : c.address || '');
  el.replaceChildren(h('h2', null, t('nav.title')), where, status, navLinks(c), mapEl);
  if (!c.place_text) {
    api(`places/reverse?lat=${c.lat}&lng=${c.lng}`).then((a) => { where.textContent = named(a.text); }).catch(() => {});
  }
  const { L, map } = await createMap(mapEl, { center: [c.lat, c.lng], zoom: 16 });
  L.marker([c.lat, c.lng], { icon: pinIcon(L, 'report'), zIndexOffset: 1000, keyboard: false }).addTo(map);
  const stop = followWorker(L, map, c, status);
  return () => { stop(); map.remove(); };
}
