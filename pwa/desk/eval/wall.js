/** The 大屏 situation screen for the command centre's wall (1920×1080, readable across a room): today's reports and
 * where they stand, the month's on-time rate, overdue cases, top categories, the districts, and a live feed. */

import { api } from '/js/api.js';
import { t } from '/js/i18n.js';
import { subscribe } from '/js/live.js';
import { h } from '/js/dom.js';
import { createMap, loadLeaflet, responsibilityGrids } from '/js/map.js';

const FILED = ['pending_dispatch', 'dispatched', 'handling', 'return_requested', 'extension_requested',
  'suspension_requested', 'suspended', 'checking', 'pending_close', 'closed'];
const DISPATCHED = FILED.slice(1);

function today() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(new Date());
}

function tile(key, value, extra) {
  return h('div', { class: 'wall-tile', dataset: { kpi: key } },
    h('div', { class: 'wall-label' }, t(`ev.wall.${key}`)), h('div', { class: 'wall-value' }, value), extra || null);
}

function bars(series, limit) {
  const top = series.slice(0, limit);
  const max = Math.max(1, ...top.map((s) => s.total));
  return h('ol', { class: 'wall-bars' }, top.map((s) => h('li', null,
    h('span', { class: 'wall-bar-name' }, s.name), h('span', { class: 'wall-bar' },
      h('span', { class: 'wall-bar-fill', style: { width: `${(100 * s.total) / max}%` } })),
    h('span', { class: 'wall-bar-n' }, String(s.total)))));
}

/**
 * Render the wall screen; returns its cleanup (live subscription, timers).
 * @param {HTMLElement} main
 */
export async function renderWall(main) {
  document.body.classList.add('ev-wall');
  const clock = h('div', { class: 'wall-clock' });
  const tiles = h('div', { class: 'wall-tiles' });
  const cats = h('section', { class: 'wall-panel' }, h('h2', null, t('ev.wall.categories')));
  const districts = h('section', { class: 'wall-panel' }, h('h2', null, t('ev.wall.districts')));
  const feed = h('ol', { class: 'wall-feed', 'aria-live': 'polite' });
  const mapEl = h('div', { class: 'wall-map-canvas', id: 'wall-map' });
  const mapNote = h('p', { class: 'wall-map-note' });
  main.replaceChildren(h('div', { class: 'wall' },
    h('header', { class: 'wall-head' }, h('h1', null, t('ev.wall.title')), clock),
    tiles, h('div', { class: 'wall-grid' }, cats, districts,
      h('section', { class: 'wall-panel wall-feed-panel' }, h('h2', null, t('ev.wall.feed')), feed),
      h('section', { class: 'wall-panel wall-map' }, h('h2', null, t('ev.wall.map')), mapEl, mapNote))));
  const [{ L, map }] = await Promise.all([createMap(mapEl, { zoom: 13, outlines: false, canvas: true }),
    loadLeaflet('heat')]);
  // leaflet.heat (npm), as on the centre's map: intensities are case counts, max the busiest bin's; maxZoom low, since
  // the plugin fades points below it.
  const heat = L.heatLayer([], { radius: 28, blur: 18, maxZoom: 11,
    gradient: { 0.2: '#2c7bb6', 0.45: '#00c0a0', 0.65: '#ffe14d', 1: '#d7191c' } });
  // The plugin draws at once, and on a canvas with no height it throws (getImageData), which took the whole wall down
  // when the map was made before the wall's grid was laid out: the layer goes on the map once the map has a size.
  const sized = () => { map.invalidateSize(); const size = map.getSize(); return size.x > 0 && size.y > 0; };
  if (sized()) heat.addTo(map);
  else {
    const watch = new ResizeObserver(() => { if (sized()) { watch.disconnect(); heat.addTo(map); } });
    watch.observe(mapEl);
  }
  const red = L.layerGroup().addTo(map);
  responsibilityGrids().then((geo) => {
    if (!geo?.features?.length) return;
    const grids = L.geoJSON(geo, { interactive: false, style: () => ({ color: '#3d8bff', weight: 1, fillOpacity: 0 }) }).addTo(map);
    map.fitBounds(grids.getBounds());
  }).catch((err) => console.warn('wall grids', err));

  const tick = () => { clock.textContent = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'long', timeStyle: 'medium' }).format(new Date()); };
  tick();
  const timer = setInterval(tick, 1000);

  async function load() {
    const day = today();
    const range = { from: day, to: day };
    const week = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() - 6 * 86400_000));
    const [states, categories, areas, board, units, hot] = await Promise.all([
      api(`stats/counts?${new URLSearchParams({ ...range, by: 'state' })}`),
      api(`stats/counts?${new URLSearchParams({ ...range, by: 'category' })}`),
      api(`stats/counts?${new URLSearchParams({ ...range, by: 'district' })}`),
      api('stats/overdue'),
      api(`evaluation/units?${new URLSearchParams({ from: `${day.slice(0, 8)}01`, to: day })}`),
      api(`stats/heatmap?${new URLSearchParams({ from: week, to: day, zoom: String(Math.round(map.getZoom())) })}`),
    ]);
    heat.setOptions({ max: Math.max(1, ...hot.points.map((p) => p[2])) });
    heat.setLatLngs(hot.points.map(([lng, lat, w]) => [lat, lng, w]));
    const overdue = board.items.filter((c) => c.light === 'red' && (c.lng || c.lat));
    red.clearLayers();
    for (const c of overdue) {
      red.addLayer(L.marker([c.lat, c.lng], { interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'wall-red', iconSize: [18, 18] }) }));
    }
    mapNote.textContent = t('ev.wall.map_note', { heat: hot.total, red: overdue.length });
    const byState = Object.fromEntries(states.series.map((s) => [s.key, s.total]));
    const sum = (keys) => keys.reduce((n, k) => n + (byState[k] || 0), 0);
    const due = units.rows.reduce((n, r) => n + r.counts.due, 0);
    const onTime = units.rows.reduce((n, r) => n + r.counts.on_time, 0);
    tiles.replaceChildren(
      tile('reported', String(states.total)), tile('filed', String(sum(FILED))),
      tile('dispatched', String(sum(DISPATCHED))), tile('closed', String(byState.closed || 0)),
      tile('on_time', due ? `${((100 * onTime) / due).toFixed(1)}%` : '—'),
      tile('overdue', String(board.counts.red), h('div', { class: 'wall-sub' }, t('ev.wall.yellow', { n: board.counts.yellow }))));
    tiles.querySelector('[data-kpi=overdue]').classList.toggle('alarm', board.counts.red > 0);
    cats.replaceChildren(cats.firstChild, categories.series.length ? bars(categories.series, 5) : h('p', { class: 'wall-none' }, t('ev.wall.none')));
    districts.replaceChildren(districts.firstChild, areas.series.length ? bars(areas.series, 6) : h('p', { class: 'wall-none' }, t('ev.wall.none')));
  }

  await load();
  let pending = null;
  const stop = subscribe(['command'], (e) => {
    const time = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', timeStyle: 'short' }).format(new Date(e.at || Date.now()));
    feed.prepend(h('li', null, h('span', { class: 'wall-time' }, time), ' ', h('strong', null, e.tracking_no || ''), ' ', e.text_zh || e.kind));
    while (feed.children.length > 12) feed.lastChild.remove();
    // At most one reload a second, however many events come: a report and its triage arrive together.
    pending ??= setTimeout(() => { pending = null; load().catch((err) => console.warn('wall', err)); }, 1000);
  }, { onResync: () => load().catch(() => {}) });
  return () => {
    clearInterval(timer);
    clearTimeout(pending);
    stop();
    map.remove();
    document.body.classList.remove('ev-wall');
  };
}
