/** 巡查任务: the supervisor's verify (核实) and check (核查) tasks, nearest first, on a list and a map. */

import { api, session } from '../api.js';
import { distanceM, formatDistance } from '../geo.js';
import { pick, t } from '../i18n.js';
import { subscribe } from '../live.js';
import { createMap, pinIcon } from '../map.js';
import { kvGet, kvSet } from '../store.js';
import { lightBadge } from '../badges.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';
import { toast } from '../toast.js';

const TASK_OF_STATE = { verifying: 'verify', checking: 'check' };

/**
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderTasks(main) {
  const user = session().user;
  const where = h('p', { class: 'muted small', 'aria-live': 'polite' }, t('report.locating'));
  const mapEl = h('div', { class: 'map', id: 'tasks-map', role: 'application', 'aria-label': t('tasks.map') });
  const list = h('ul', { class: 'list tasks', 'aria-label': t('nav.tasks') });
  main.append(h('h1', null, t('nav.tasks')), where, mapEl, list);
  let me = null;
  let mapCtl = null;
  let markers = null;
  let fitted = false;

  const draw = (items) => {
    const rows = items.map((c) => ({ c, d: me ? distanceM(me, c) : null }));
    rows.sort((a, b) => (a.d ?? 0) - (b.d ?? 0) || Date.parse(a.c.created_at) - Date.parse(b.c.created_at));
    list.replaceChildren(...rows.map(({ c, d }) => {
      const task = TASK_OF_STATE[c.state] || 'verify';
      return h('li', null, h('a', { class: 'list-item', href: `#/task/${c.id}`, dataset: { caseId: c.id, task } },
        h('span', { class: `badge task-${task}` }, t(`task.kind.${task}`)),
        h('div', { class: 'body' },
          h('div', { class: 'title' }, pick(c, 'category_name') || c.description || c.tracking_no),
          h('div', { class: 'meta' }, h('span', null, c.tracking_no), h('span', { class: 'place-line' }, c.place_text || c.address || ''),
            h('span', null, formatTime(c.stage_due_at || c.created_at)), c.light !== 'none' ? lightBadge(c.light) : null)),
        d != null ? h('span', { class: 'distance' }, formatDistance(d)) : null));
    }));
    if (!items.length) list.append(h('li', { class: 'muted empty' }, t('tasks.empty')));
    if (mapCtl) {
      const { L, map } = mapCtl;
      markers?.remove();
      markers = L.layerGroup(items.map((c) => L.marker([c.lat, c.lng], {
        icon: pinIcon(L, `task-${TASK_OF_STATE[c.state] || 'verify'}`), title: c.tracking_no, zIndexOffset: 1000,
      }).on('click', () => { location.hash = `#/task/${c.id}`; }))).addTo(map);
      if (me) markers.addLayer(L.circleMarker([me.lat, me.lng], { radius: 7, color: '#fff', fillColor: '#25e', fillOpacity: 1 }));
      const pts = items.map((c) => [c.lat, c.lng]).concat(me ? [[me.lat, me.lng]] : []);
      if (pts.length && !fitted) map.fitBounds(pts, { padding: [30, 30], maxZoom: 17 });
      fitted = pts.length > 0 && me != null;
    }
  };

  let items = [];
  const load = async () => {
    try {
      items = (await api('cases?view=tasks&page_size=100')).items;
      await kvSet(`tasks:${user.id}`, items);
    } catch (err) {
      items = (await kvGet(`tasks:${user.id}`)) || [];
      toast(err.message, 'error');
    }
    draw(items);
  };
  await load();
  createMap(mapEl).then((ctl) => { mapCtl = ctl; draw(items); }).catch((err) => console.warn('map', err));
  // Live distance: the list re-sorts as the supervisor walks.
  let stopWatch = null;
  import('../maps/navigate.js').then((m) => {
    stopWatch ??= m.watchPosition((p) => {
      me = p;
      where.textContent = t('tasks.sorted', { m: Math.round(p.accuracy) });
      draw(items);
    }, () => { if (!me) where.textContent = t('tasks.no_position'); });
  });
  const topics = [`supervisor:${user.id}`, ...(user.grids || []).map((g) => `grid:${g}`)];
  const stopLive = subscribe(topics, load, { onResync: load });
  return () => { stopWatch?.(); stopWatch = () => {}; stopLive(); };
}
