/** Where the problem is, in the report form: the phone's position, the photo's and the one picked on the map or found
 * by name are kept side by side; when they disagree the person sees them together and chooses. The address of the
 * chosen point comes from the server (近某某路); outside the service area an inline notice (never over a control)
 * says what to do. 重新定位 always asks the phone again and always ends, with a position or with a message. */

import { api } from '../api.js';
import { currentPosition, distanceM, formatDistance } from '../geo.js';
import { t } from '../i18n.js';
import { cityCentre, loadLeaflet, pinMap } from '../map.js';
import { h } from '../dom.js';
import './messages.js';
import { placeSearch } from './place-search.js';
import { ensureStyles } from './styles.js';

const DISAGREE_M = 150; // further apart than this, positions are shown side by side to choose from
const SOURCES = ['browser', 'exif', 'manual', 'search'];

/**
 * Fill the report form's 位置 card.
 * @param {HTMLElement} card holds a `.loc-line` paragraph
 * @param {HTMLInputElement} addressInput the form's free-text address, filled with the found address while untouched
 * @returns {{value: () => ({lat:number,lng:number,accuracy:number|null,source:string}|null),
 *            photo: (gps: {lat:number,lng:number}) => void, refused: (message: string) => void}}
 */
export function placeField(card, addressInput) {
  ensureStyles();
  const spots = {}; // source → {lat, lng, accuracy?, name?}
  const addresses = new Map(); // "lat,lng" → text | Promise
  let chosen = null;
  let mapReady = null;
  let circle = null;
  let autoAddress = '';
  let asked = 0;

  const line = card.querySelector('.loc-line');
  const addr = h('p', { class: 'loc-address', 'aria-live': 'polite' });
  const notice = h('div', { class: 'loc-notice', role: 'alert', hidden: true });
  const choice = h('fieldset', { class: 'loc-choice', hidden: true });
  const search = placeSearch({ onPick: (p) => set('search', { lat: p.lat, lng: p.lng, accuracy: null, name: p.name }) });
  const mapEl = h('div', { class: 'map', id: 'report-map', role: 'application', 'aria-label': t('report.map') });
  card.append(addr, notice, choice, search.el, mapEl, h('p', { class: 'muted small' }, t('report.map_hint')));

  const key = (p) => `${p.lat.toFixed(5)},${p.lng.toFixed(5)}`;
  const lookUp = (p) => {
    const k = key(p);
    if (!addresses.has(k)) {
      addresses.set(k, api(`places/reverse?lat=${p.lat.toFixed(6)}&lng=${p.lng.toFixed(6)}`)
        .catch((err) => ({ error: err })));
    }
    return addresses.get(k);
  };

  const say = (text, ...actions) => {
    notice.replaceChildren(h('p', null, text), actions.length ? h('div', { class: 'btn-row' }, ...actions) : null);
    notice.hidden = false;
  };
  const whatToDo = () => [
    h('button', { type: 'button', class: 'btn', onclick: () => search.input.focus() }, t('place.do_search')),
    h('button', { type: 'button', class: 'btn', onclick: pickOnMap }, t('place.do_pick')),
  ];

  const ensureMap = (p) => {
    mapReady ??= pinMap(mapEl, p, (q) => set('manual', { ...q, accuracy: null }));
    return mapReady;
  };

  async function pickOnMap() {
    const c = await cityCentre();
    if (c) (await ensureMap(c)).map.setView([c.lat, c.lng], 14);
    mapEl.scrollIntoView({ block: 'center' });
    mapEl.focus?.();
  }

  async function describe(p) {
    const mine = ++asked;
    addr.textContent = '';
    notice.hidden = true;
    const a = await lookUp(p);
    if (mine !== asked) return;
    if (a.error) {
      if (a.error.code === 'places.outside_city' || a.error.code === 'geo.bad_coordinates') {
        // The server's sentence already says "outside the service area": only its distance goes in ours.
        const km = a.error.details?.distance_m;
        say(t('place.outside', { detail: km != null ? t('place.outside_km', { km: (km / 1000).toFixed(1) }) : a.error.message }),
          ...whatToDo());
      } // offline or a server hiccup: no address line, the coordinates still stand
      return;
    }
    addr.textContent = a.text;
    if (a.outside_m > 0) say(t('place.edge', { m: Math.round(a.outside_m) }), ...whatToDo());
    if (!addressInput.value.trim() || addressInput.value === autoAddress) {
      addressInput.value = autoAddress = a.text;
    }
  }

  function drawChoice() {
    const here = SOURCES.filter((s) => spots[s]);
    const far = here.some((a) => here.some((b) => distanceM(spots[a], spots[b]) > DISAGREE_M));
    choice.hidden = !far;
    if (!far) return;
    choice.replaceChildren(h('legend', null, t('place.disagree')), ...here.map((s) => {
      const p = spots[s];
      const text = h('span', { class: 'muted small' });
      lookUp(p).then((a) => { text.textContent = a.error ? a.error.message : a.text; });
      return h('div', { class: 'loc-option', dataset: { source: s } },
        h('div', null, h('strong', null, t(`report.source.${s}`)), p.name ? ` ${p.name}` : '',
          s !== chosen && spots[chosen] ? h('span', { class: 'small' }, ` · ${t('place.away', { d: formatDistance(distanceM(p, spots[chosen])) })}`) : null,
          h('br'), text),
        h('button', { type: 'button', class: 'btn', 'aria-pressed': String(s === chosen),
          onclick: () => { chosen = s; draw(); } }, s === chosen ? t('place.using') : t('place.use')));
    }));
  }

  async function draw() {
    const p = spots[chosen];
    if (!p) return;
    const acc = p.accuracy != null ? t('report.accuracy', { m: Math.round(p.accuracy) }) : '';
    line.replaceChildren(
      h('span', null, h('strong', null, t(`report.source.${chosen}`)), ' ', p.name || acc),
      h('span', { class: 'muted small' }, `${p.lat.toFixed(5)}, ${p.lng.toFixed(5)}`), relocate);
    drawChoice();
    describe(p);
    const ctl = await ensureMap(p);
    const L = await loadLeaflet();
    const now = spots[chosen]; // the latest choice, if it changed while the map was loading
    ctl.setPin(now);
    circle?.remove();
    circle = now.accuracy ? L.circle([now.lat, now.lng], { radius: now.accuracy, color: '#2563eb', weight: 1,
      fillOpacity: 0.12, interactive: false, className: 'accuracy-circle' }).addTo(ctl.map) : null;
  }

  function set(source, p, choose = true) {
    spots[source] = p;
    if (choose || !chosen) chosen = source;
    draw();
  }

  const relocate = h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => locate(true) }, t('report.relocate'));

  async function locate(again) {
    relocate.disabled = true;
    line.firstChild.textContent = t('report.locating');
    try {
      const p = await currentPosition(again ? { maximumAge: 0, timeout: 15000 } : undefined);
      // At start the photo's position (if any) stays chosen; asked again, the person wants the phone's.
      set('browser', p, again || !spots.exif || chosen === 'browser');
    } catch {
      if (chosen) draw(); // the position chosen before stays, and says so
      else {
        line.replaceChildren(h('span', { class: 'warn' }, t('place.no_fix')), relocate);
        const c = await cityCentre();
        if (c) ensureMap(c);
      }
      say(t('place.no_fix_hint'), ...whatToDo());
    } finally {
      relocate.disabled = false;
    }
  }

  // 只报一次 on the map too: the open reports nearby as numbered pins (their photo when public), the same numbers as the
  // list under the form; a pin leads to its list entry, where 我也遇到 is.
  let nearbyLayer = null;
  async function nearby(items, onPick) {
    if (!mapReady) return; // no position yet: no list either
    const [ctl, L] = await Promise.all([mapReady, loadLeaflet()]);
    nearbyLayer?.remove();
    nearbyLayer = L.layerGroup(items.map((n, i) => {
      const name = t('report.nearby_pin', { n: i + 1, what: n.category, m: n.distance_m });
      return L.marker([n.lat, n.lng], { keyboard: true, title: name, riseOnHover: true,
        icon: L.divIcon({ className: 'nearby-pin', html: '', iconSize: [40, 40], iconAnchor: [20, 20] }) })
        .on('add', (e) => {
          const el = e.target.getElement();
          el.setAttribute('aria-label', name);
          el.dataset.tracking = n.tracking_no;
          el.replaceChildren(n.thumb_urls[0] ? h('img', { src: n.thumb_urls[0], alt: '', width: 36, height: 36 }) : '',
            h('span', { class: 'nearby-pin-n' }, String(i + 1)));
        })
        .on('click', () => onPick(n)); // Leaflet fires click on Enter too (keyboard: true)
    })).addTo(ctl.map);
  }

  locate(false);
  return {
    nearby,
    value: () => (spots[chosen] ? {
      lat: spots[chosen].lat, lng: spots[chosen].lng, accuracy: spots[chosen].accuracy ?? null,
      source: chosen === 'search' ? 'manual' : chosen,
    } : null),
    photo: (gps) => set('exif', { lat: gps.lat, lng: gps.lng, accuracy: null }, !['manual', 'search'].includes(chosen)),
    refused: (message) => {
      say(t('place.refused', { detail: message }), ...whatToDo());
      notice.scrollIntoView({ block: 'center' });
    },
  };
}
