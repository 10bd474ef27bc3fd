/** Surveyed components (部件): list and map filtered by category and grid, and moving a point the survey had wrong
 * (drag the marker or type the coordinates). Online only. */

import { ApiError, api } from '../api.js';
import { t } from '../i18n.js';
import { hashQuery } from '../router.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { createMap } from '../map.js';
import { adminNav, beijingTime, errorBox, scrollTable } from './nav.js';
import { historyHref } from './common.js';
import './messages.js';
import './messages-city.js';

const DOT = { radius: 6, color: '#0a5bb5', weight: 2, fillColor: '#fff', fillOpacity: 1 };
const PICKED = { radius: 9, color: '#e8a200', weight: 3, fillColor: '#e8a200', fillOpacity: 0.6 };

/**
 * Render `#/admin/components?category=…&grid=…`.
 * @param {HTMLElement} main
 */
export async function renderComponents(main) {
  const q = hashQuery();
  const here = stillHere();
  const results = h('div', { class: 'comp-results', 'aria-live': 'polite' });
  const mover = h('div', { class: 'comp-mover', 'aria-live': 'polite' });
  const mapEl = h('div', { class: 'city-map admin-map', id: 'comp-map', role: 'region', 'aria-label': t('city.comp.map') });
  const category = h('input', { id: 'comp-category', name: 'category', value: q.get('category') || '', maxlength: 8,
    autocomplete: 'off', placeholder: 'C0101', pattern: '[A-Za-z0-9]{0,8}', class: 'code-input' });
  const grid = h('select', { id: 'comp-grid', name: 'grid' }, h('option', { value: '' }, t('city.comp.all_grids')));
  const form = h('form', { class: 'desk-filters admin-filters', role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } },
    h('label', null, t('city.comp.category'), category), h('label', null, t('city.comp.grid'), grid),
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('city.comp.filter'))));
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('components'), pageHead(t('city.components')),
    h('p', { class: 'muted' }, t('city.comp.hint')), form, mover, h('div', { class: 'admin-split' }, results, mapEl)));
  const [{ L, map }, grids] = await Promise.all([createMap(mapEl, { zoom: 13, outlines: false, canvas: true }), api('org/responsibility-grids').catch(() => null)]);
  if (!here()) return;
  if (grids) {
    grid.append(...grids.features.map((f) => h('option', { value: f.properties.code, selected: f.properties.code === q.get('grid') },
      `${f.properties.code} ${f.properties.name}`)));
    const outline = L.geoJSON(grids, { style: { color: '#0a5bb5', weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
    if (grids.features.length) map.fitBounds(outline.getBounds());
  }
  const dots = L.layerGroup().addTo(map);
  const markers = new Map();
  let items = [];
  let moving = null;
  await load();

  async function load() {
    stopMoving();
    results.replaceChildren(spinner());
    const params = new URLSearchParams();
    if (category.value.trim()) params.set('category', category.value.trim().toUpperCase());
    if (grid.value) params.set('grid', grid.value);
    let data;
    try {
      data = await api(`admin/components?${params}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.replaceChildren(errorBox(err));
      return;
    }
    if (!here()) return;
    items = data.items;
    draw(data.total);
    dots.clearLayers();
    markers.clear();
    for (const c of items) {
      const m = L.circleMarker([c.lat, c.lng], DOT).bindTooltip(`${c.code} ${c.name}`).on('click', () => pick(c.code));
      markers.set(c.code, m);
      dots.addLayer(m);
    }
    if (items.length && (params.size)) map.fitBounds(L.latLngBounds(items.map((c) => [c.lat, c.lng])), { maxZoom: 17, padding: [20, 20] });
  }

  function draw(total) {
    if (!items.length) {
      results.replaceChildren(h('p', { class: 'muted empty' }, t('city.comp.none')));
      return;
    }
    results.replaceChildren(h('p', { class: 'muted', dataset: { total } }, t('city.comp.count', { shown: items.length, total })),
      scrollTable(t('city.components'), ['code', 'name', 'actions', 'category', 'grid', 'owner', 'maintainer', 'moved'].map((c) => t(`city.comp.col.${c}`)),
        items.map((c) => h('tr', { dataset: { code: c.code } },
          h('td', { class: 'mono' }, h('button', { type: 'button', class: 'link-button', onclick: () => pick(c.code) }, c.code)),
          h('td', null, c.name),
          h('td', { class: 'nowrap' },
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'move' }, onclick: () => startMoving(c) }, t('city.comp.move')), ' ',
            h('a', { href: historyHref(`component:${c.code}`) }, t('con.history'))),
          h('td', { class: 'mono' }, c.category), h('td', { class: 'mono' }, c.unit_grid),
          h('td', null, c.owner), h('td', null, c.maintainer), h('td', { class: 'nowrap' }, beijingTime(c.moved_at))))));
  }

  function pick(code) {
    for (const [k, m] of markers) m.setStyle(k === code ? PICKED : DOT);
    const c = items.find((x) => x.code === code);
    if (c) map.setView([c.lat, c.lng], Math.max(map.getZoom(), 17));
    results.querySelectorAll('tr[aria-current]').forEach((r) => r.removeAttribute('aria-current'));
    results.querySelector(`tr[data-code="${CSS.escape(code)}"]`)?.setAttribute('aria-current', 'true');
  }

  function stopMoving() {
    moving?.pin.remove();
    moving = null;
    mover.replaceChildren();
  }

  function startMoving(c) {
    stopMoving();
    pick(c.code);
    const lng = h('input', { id: 'move-lng', name: 'lng', type: 'number', step: 'any', min: -180, max: 180, required: true, value: c.lng, class: 'num-input' });
    const lat = h('input', { id: 'move-lat', name: 'lat', type: 'number', step: 'any', min: -90, max: 90, required: true, value: c.lat, class: 'num-input' });
    const pin = L.marker([c.lat, c.lng], { draggable: true, autoPan: true, keyboard: true, title: c.code,
      icon: L.divIcon({ className: 'pin pin-report', html: '<span></span>', iconSize: [28, 28], iconAnchor: [14, 28] }) }).addTo(map);
    pin.on('drag', () => {
      const p = pin.getLatLng();
      lng.value = p.lng.toFixed(7);
      lat.value = p.lat.toFixed(7);
    });
    const follow = () => {
      const at = [Number(lat.value), Number(lng.value)];
      if (lng.value && lat.value && at.every(Number.isFinite) && Math.abs(at[0]) <= 90 && Math.abs(at[1]) <= 180) {
        pin.setLatLng(at);
        map.panTo(at);
      }
    };
    lng.addEventListener('input', follow);
    lat.addEventListener('input', follow);
    const status = h('div');
    moving = { pin };
    mover.replaceChildren(h('form', { class: 'move-form', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const saved = await api(`admin/components/${encodeURIComponent(c.code)}/location`, { method: 'PUT',
          json: { lng: Number(lng.value), lat: Number(lat.value) } });
        items[items.findIndex((x) => x.code === saved.code)] = saved;
        markers.get(saved.code)?.setLatLng([saved.lat, saved.lng]);
        stopMoving();
        toast(t('city.comp.moved', { code: saved.code, grid: saved.unit_grid }));
        draw(Number(results.querySelector('[data-total]')?.dataset.total || items.length));
        pick(saved.code);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        status.replaceChildren(errorBox(err));
      }
    } }, h('p', null, h('strong', null, t('city.comp.moving', { code: c.code, name: c.name }))),
    h('div', { class: 'move-fields' }, h('label', { for: 'move-lng' }, t('city.comp.lng'), lng), h('label', { for: 'move-lat' }, t('city.comp.lat'), lat),
      h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save-move' } }, t('city.comp.save')),
      h('button', { type: 'button', class: 'btn', onclick: stopMoving }, t('city.comp.cancel'))), status));
    mapEl.scrollIntoView({ block: 'nearest' });
  }
}
