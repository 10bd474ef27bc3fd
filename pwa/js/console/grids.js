/** Responsibility grids (责任网格) and their supervisors: list, map, assign and unassign. A grid has one supervisor;
 * assigning goes through the user's grids (PATCH users/{id}), which takes the grid from whoever had it. Online only. */

import { ApiError, api } from '../api.js';
import { t } from '../i18n.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { createMap } from '../map.js';
import { adminNav, errorBox, scrollTable } from './nav.js';
import { historyHref } from './common.js';
import './messages.js';
import './messages-city.js';

const STYLE = { color: '#0a5bb5', weight: 1.5, fillOpacity: 0.08 };
const FREE = { color: '#b3261e', weight: 2, dashArray: '4 4', fillOpacity: 0.12 };
const PICKED = { color: '#e8a200', weight: 4, fillOpacity: 0.25 };

/**
 * Render `#/admin/grids`.
 * @param {HTMLElement} main
 */
export async function renderGrids(main) {
  const here = stillHere();
  const results = h('div', { class: 'grid-results', 'aria-live': 'polite' }, spinner());
  const mapEl = h('div', { class: 'city-map admin-map', id: 'grid-map', role: 'region', 'aria-label': t('city.grid.map') });
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('grids'), pageHead(t('city.grids')),
    h('p', { class: 'muted' }, t('city.grid.hint')), h('div', { class: 'admin-split' }, results, mapEl)));
  let grids;
  let supervisors;
  try {
    [grids, supervisors] = await Promise.all([api('org/responsibility-grids'), api('users?role=supervisor')]);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    results.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  const { L, map } = await createMap(mapEl, { zoom: 13, outlines: false, canvas: true });
  const layers = new Map();
  const holder = (code) => supervisors.find((s) => s.active && s.grids.includes(code)) || supervisors.find((s) => s.grids.includes(code));
  const layer = L.geoJSON(grids, {
    style: (f) => (holder(f.properties.code) ? STYLE : FREE),
    onEachFeature: (f, l) => {
      layers.set(f.properties.code, l);
      l.bindTooltip(() => `${f.properties.code} ${f.properties.name} · ${holder(f.properties.code)?.display_name || t('city.grid.nobody')}`, { sticky: true });
      l.on('click', () => show(f.properties.code, true));
    },
  }).addTo(map);
  if (grids.features.length) map.fitBounds(layer.getBounds());
  draw();

  function show(code, fromMap = false) {
    layer.resetStyle();
    const l = layers.get(code);
    if (!l) return;
    l.setStyle(PICKED);
    if (!fromMap) map.fitBounds(l.getBounds(), { maxZoom: 16 });
    results.querySelectorAll('tr[aria-current]').forEach((r) => r.removeAttribute('aria-current'));
    const row = results.querySelector(`tr[data-code="${CSS.escape(code)}"]`);
    row?.setAttribute('aria-current', 'true');
    if (fromMap) row?.scrollIntoView({ block: 'nearest' });
  }

  function draw() {
    const free = grids.features.filter((f) => !holder(f.properties.code)).length;
    layer.setStyle((f) => (holder(f.properties.code) ? STYLE : FREE));
    results.replaceChildren(
      h('p', { class: 'muted' }, t('city.grid.count', { n: grids.features.length, free })),
      ...(supervisors.length ? [] : [h('p', { class: 'error' }, t('city.grid.no_supervisors'))]),
      scrollTable(t('city.grids'), ['code', 'name', 'supervisor', 'actions', 'district'].map((c) => t(`city.grid.col.${c}`)),
        grids.features.map(({ properties: g }) => {
          const s = holder(g.code);
          return h('tr', { dataset: { code: g.code } },
            h('td', { class: 'mono' }, h('button', { type: 'button', class: 'link-button', title: t('city.grid.show'), onclick: () => show(g.code) }, g.code)),
            h('td', { class: 'nowrap' }, g.name),
            h('td', { class: s ? null : 'muted', dataset: { supervisor: s?.username || '' } }, s ? `${s.display_name}（${s.username}）` : t('city.grid.nobody')),
            h('td', { class: 'nowrap' },
              h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'assign' }, disabled: !supervisors.length,
                onclick: () => assign(g, s) }, t(s ? 'city.grid.change' : 'city.grid.assign')),
              s ? [' ', h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'unassign' }, onclick: () => unassign(g, s) }, t('city.grid.unassign'))] : null,
              s ? [' ', h('a', { href: historyHref(`user:${s.id}:${s.username}`) }, t('con.history'))] : null),
            h('td', { class: 'mono' }, g.district || ''));
        })));
  }

  async function setGrids(user, codes) {
    try {
      const saved = await api(`users/${user.id}`, { method: 'PATCH', json: { grids: codes } });
      // The grid left its previous holder on the server: mirror that here instead of reloading every user.
      for (const s of supervisors) if (s.id !== saved.id) s.grids = s.grids.filter((c) => !codes.includes(c));
      supervisors[supervisors.findIndex((s) => s.id === saved.id)] = saved;
      toast(t('con.saved'));
      draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }

  async function assign(g, current) {
    const v = await confirmDialog({ title: t('city.grid.assign_title', { code: g.code, name: g.name }), confirmText: t('con.save'),
      fields: [{ name: 'user', label: t('city.grid.who'), type: 'select', value: String(current?.id ?? ''),
        options: supervisors.filter((s) => s.active).map((s) => ({ value: String(s.id),
          label: `${s.display_name}（${s.username}）${s.grids.length ? ` · ${s.grids.join(', ')}` : ''}` })) }] });
    if (!v || Number(v.user) === current?.id) return;
    const user = supervisors.find((s) => s.id === Number(v.user));
    await setGrids(user, [...new Set([...user.grids, g.code])]);
  }

  async function unassign(g, s) {
    if (!(await confirmDialog({ title: t('city.grid.unassign_q', { code: g.code, name: s.display_name }), confirmText: t('city.grid.unassign'), danger: true }))) return;
    await setGrids(s, s.grids.filter((c) => c !== g.code));
  }
}
