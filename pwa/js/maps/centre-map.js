/** The centre's city map: open cases clustered by light (leaflet.markercluster), a heatmap by category and dates
 * (leaflet.heat), the responsibility grids. Desk only and online only: loaded on demand, not part of the shell. */

import { api } from '../api.js';
import { pick, t } from '../i18n.js';
import { lightBadge, stateBadge } from '../badges.js';
import { h, spinner } from '../dom.js';
import { caseCard, ensureDeskCss, liveReload, pageHead } from '../unit/desk.js';
import { createMap, loadLeaflet, responsibilityGrids } from '../map.js';
import { categories } from '../unit/pickers.js';
import { centreNav } from '../centre/nav.js';

/** The heat ramp, blue → yellow → red (the legend's ramp swatch shows the same). */
const HEAT_GRADIENT = { 0.2: '#2c7bb6', 0.45: '#00c0a0', 0.65: '#ffe14d', 1: '#d7191c' };
const LIGHT_ORDER = ['green', 'yellow', 'red'];

/**
 * The worst light among a cluster's cases (red over yellow over green).
 * @param {string[]} lights
 * @returns {string}
 */
export function worstLight(lights) {
  return LIGHT_ORDER[Math.max(0, ...lights.map((l) => LIGHT_ORDER.indexOf(l)))];
}

/**
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderMap(main) {
  ensureDeskCss();
  const today = new Date();
  const iso = (d) => d.toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' }); // the city's day, not UTC's
  const show = { cases: true, heat: false, grids: true };
  const toggle = (key) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: key, checked: show[key], onchange: (e) => { show[key] = e.target.checked; draw(); } }),
    t(`centre.map.${key}`));
  const category = h('select', { name: 'category' }, h('option', { value: '' }, t('desk.filter.all')));
  const from = h('input', { type: 'date', name: 'from', value: iso(new Date(today - 30 * 86400_000)) });
  const to = h('input', { type: 'date', name: 'to', value: iso(today) });
  const status = h('p', { class: 'muted small map-status', role: 'status' });
  const side = h('div', { class: 'grid-cases' }, h('p', { class: 'muted small' }, t('centre.map.pick_grid')));
  const mapEl = h('div', { class: 'city-map', id: 'city-map' });
  const controls = h('form', { class: 'map-controls', onsubmit: (e) => { e.preventDefault(); loadData(); } },
    h('div', { class: 'checks' }, toggle('cases'), toggle('heat'), toggle('grids')),
    h('label', null, t('centre.map.category'), category),
    h('label', null, t('centre.map.from'), from),
    h('label', null, t('centre.map.to'), to),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('centre.map.apply')));
  main.replaceChildren(h('div', { class: 'desk-page centre map-page' },
    centreNav('map'), pageHead(t('centre.map')),
    h('div', { class: 'map-layout' }, h('div', { class: 'map-main' }, mapEl, status), h('aside', { class: 'map-side' }, controls, side))));
  categories().then((tax) => {
    for (const m of tax?.majors || []) category.append(h('option', { value: m.code }, `${m.code} ${m.name}`));
  });

  const [{ L, map }] = await Promise.all([createMap(mapEl, { zoom: 13, outlines: false, canvas: true }),
    loadLeaflet('markercluster', 'heat')]);
  map.setMaxZoom(18); // markercluster needs the map's own (the base map's layers come later); 18 as the tiles'
  // The legend top right: on a short screen the map's bottom corners lie under the desk's fixed bottom bar.
  import('./legend.js').then(({ addLegend }) => addLegend(L, map, [
    ...['green', 'yellow', 'red'].map((light) => ({ swatch: `dot cluster-${light}`, label: t(`legend.${light}`) })),
    { swatch: 'count', label: t('legend.count') },
    { swatch: 'line', label: t('legend.rgrid') },
    { swatch: 'ramp', label: t('legend.heat') },
  ], { position: 'topright' })).catch((err) => console.warn('legend', err));
  // Intensities are case counts: max is the busiest point's, and maxZoom low, since leaflet.heat fades points
  // below its maxZoom (at the city's zoom every point would all but vanish).
  const heat = L.heatLayer([], { radius: 28, blur: 18, maxZoom: 11, gradient: HEAT_GRADIENT });
  const markers = L.markerClusterGroup({
    maxClusterRadius: 60, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
    iconCreateFunction: (cluster) => {
      const n = cluster.getChildCount();
      const light = worstLight(cluster.getAllChildMarkers().map((m) => m.options.light));
      return L.divIcon({ className: `cluster cluster-${light}`, html: `<span>${n}</span>`, iconSize: [36, 36] });
    },
  }).addTo(map);
  let gridLayer = null;
  let selectedGrid = null;
  let cases = [];
  let fitted = false;

  responsibilityGrids().then((geo) => {
    if (!geo?.features?.length) {
      status.textContent = t('centre.map.no_grids');
      return;
    }
    gridLayer = L.geoJSON(geo, {
      style: () => ({ color: '#0a5bb5', weight: 1.5, fillColor: '#0a5bb5', fillOpacity: 0.05 }),
      onEachFeature: (f, layer) => {
        const code = f.properties?.code;
        const name = f.properties?.name || code || '';
        layer.bindTooltip(name, { sticky: true });
        layer.on('click', () => selectGrid(code, name, layer));
      },
    });
    if (!fitted) { map.fitBounds(gridLayer.getBounds(), { animate: false }); fitted = true; }
    draw();
  });

  async function selectGrid(code, name, layer) {
    if (selectedGrid) gridLayer.resetStyle(selectedGrid);
    selectedGrid = layer;
    layer.setStyle({ weight: 3, fillOpacity: 0.18 });
    side.replaceChildren(h('h2', null, t('centre.map.cases_in', { name })), spinner());
    const page = await api(`cases?view=all&area=${encodeURIComponent(code)}&page_size=50&sort=created`);
    side.replaceChildren(h('h2', null, t('centre.map.cases_in', { name })),
      h('p', { class: 'muted small' }, t('desk.count', { n: page.total })),
      h('div', { class: 'desk-list compact', dataset: { grid: code } },
        page.items.length ? page.items.map((c) => caseCard(c, `#/centre/case/${c.id}`)) : h('p', { class: 'muted' }, t('desk.empty'))));
  }

  /** Show or hide the layers as the checkboxes say; the case markers are rebuilt only when the cases changed (a
   * live update or a toggle must not replace a marker under the user's pointer, nor close an open group). */
  let drawn = null;
  function draw() {
    if (gridLayer) {
      if (show.grids && !map.hasLayer(gridLayer)) gridLayer.addTo(map).bringToBack();
      if (!show.grids && map.hasLayer(gridLayer)) map.removeLayer(gridLayer);
    }
    if (show.heat && !map.hasLayer(heat)) heat.addTo(map);
    if (!show.heat && map.hasLayer(heat)) map.removeLayer(heat);
    const key = show.cases ? JSON.stringify(cases) : '';
    if (key === drawn) return;
    drawn = key;
    markers.clearLayers();
    if (!show.cases) return;
    // One marker per case, with its light; the plugin groups near ones (a click on a group zooms to its cases).
    markers.addLayers(cases.map((c) => {
      const light = LIGHT_ORDER.includes(c.light) ? c.light : 'green';
      const icon = L.divIcon({ className: `cluster cluster-${light} single`, html: '<span>1</span>', iconSize: [22, 22] });
      return L.marker([c.lat, c.lng], { icon, title: c.tracking_no, light }).bindPopup(() => h('div', { class: 'map-popup' },
        h('a', { href: `#/centre/case/${c.id}` }, c.tracking_no), h('div', null, pick(c, 'category_name')),
        h('div', null, stateBadge(c), ' ', c.unit_name ? lightBadge(c.light) : null), h('div', { class: 'muted' }, pick(c, 'unit_name'))));
    }));
  }

  async function loadData() {
    const cat = category.value;
    const [open, hm] = await Promise.all([
      api(`stats/open-cases${cat ? `?category=${cat}` : ''}`),
      api(`stats/heatmap?${new URLSearchParams({ ...(cat ? { category: cat } : {}), from: from.value, to: to.value })}`),
    ]);
    cases = open.items;
    heat.setOptions({ max: Math.max(1, ...hm.points.map((p) => p[2])) });
    heat.setLatLngs(hm.points.map(([lng, lat, w]) => [lat, lng, w]));
    status.textContent = [t('centre.map.count', { n: open.total }) + (open.truncated ? t('centre.map.truncated', { n: open.total }) : ''),
      t('centre.map.heat_total', { n: hm.total })].join(' · ');
    // The first view is set at once: markercluster computes its groups for the map's zoom, and an animated first fit
    // racing with the first markers left them grouped for the zoom before it (a click on a group then did nothing).
    if (!fitted && cases.length) { map.fitBounds(L.latLngBounds(cases.map((c) => [c.lat, c.lng])).pad(0.2), { animate: false }); fitted = true; }
    draw();
  }

  await loadData();
  const stop = liveReload(['command'], () => loadData().catch(() => {}));
  return () => { stop(); map.remove(); };
}
