/** The responsible unit's inbox: its cases, live over the websocket, ordered by timer light, with filters and counts. */

import { api, session } from '../api.js';
import { t } from '../i18n.js';
import { listOutbox, onOutboxChange, removeEntry } from '../outbox.js';
import { hashQuery } from '../router.js';
import { h, spinner } from '../dom.js';
import { actionName } from '../format.js';
import { caseCard, ensureDeskCss, lightCounts, liveReload, pageHead, sortByLight, stillHere } from './desk.js';

const INBOX_STATES = ['dispatched', 'handling', 'return_requested', 'extension_requested', 'suspension_requested', 'suspended'];

/**
 * Render the inbox. Filters live in the hash query (`#/unit?state=handling&light=red`) so a reload keeps them.
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderInbox(main) {
  ensureDeskCss();
  const q = hashQuery();
  const filters = { state: q.get('state') || '', light: q.get('light') || '', category: q.get('category') || '', area: q.get('area') || '',
    q: q.get('q') || '' };
  const seen = new Set();
  let first = true;
  const counts = h('div', { class: 'light-counts', role: 'group', 'aria-label': t('desk.filter.light') });
  const list = h('div', { class: 'desk-list', 'aria-live': 'polite' }, spinner());
  const total = h('p', { class: 'muted small list-total' });
  // Field actions still on this device (taken without signal): which case, what, and whether it is on its way.
  const queuedBox = h('section', { class: 'desk-panel queued-actions inbox-queued', hidden: true, 'aria-live': 'polite' });
  const drawQueued = async () => {
    const entries = (await listOutbox()).filter((e) => e.kind === 'action');
    for (const e of entries) if (e.status === 'sent') await removeEntry(e.key); // delivered: the list shows its effect
    const waiting = entries.filter((e) => e.status !== 'sent');
    queuedBox.hidden = !waiting.length;
    queuedBox.replaceChildren(h('h2', null, t('desk.outbox.count', { n: waiting.length })),
      h('ul', { class: 'plain-list' }, waiting.map((e) => h('li', { class: 'queued-action', dataset: { key: e.key, status: e.status } },
        h('a', { href: `#/unit/case/${e.case_id}` }, e.tracking_no), ' ', actionName(e.action), ' ',
        h('span', { class: `badge out-${e.status}` }, t(`outbox.${e.status}`))))));
  };

  const setFilter = (patch) => {
    Object.assign(filters, patch);
    const qs = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
    history.replaceState(null, '', `#/unit${qs ? `?${qs}` : ''}`);
    load();
  };

  let loads = 0;
  const here = stillHere();
  async function load() {
    const mine = ++loads;
    const params = new URLSearchParams({ view: 'inbox', page_size: '100', sort: 'due' });
    for (const k of ['state', 'category', 'area', 'q']) if (filters[k]) params.set(k, filters[k]);
    const page = await api(`cases?${params}`);
    if (mine !== loads || !here()) return; // a newer filter's answer wins, whatever order they arrive in
    // The light is computed by the server at read time; filter on it here rather than on a stored column.
    const all = page.items;
    const shown = sortByLight(filters.light ? all.filter((c) => c.light === filters.light) : all);
    renderCounts(lightCounts(all));
    total.textContent = t('desk.count', { n: shown.length }) + (filters.q ? ` · ${filters.q}` : '');
    list.replaceChildren(...(shown.length ? shown.map((c) => caseCard(c, `#/unit/case/${c.id}`, { fresh: !first && !seen.has(c.id) }))
      : [h('p', { class: 'empty muted' }, t('desk.empty'))]));
    all.forEach((c) => seen.add(c.id));
    first = false;
  }

  function renderCounts(n) {
    counts.replaceChildren(
      ...[['', t('desk.filter.all'), n.green + n.yellow + n.red], ['red', t('light.red'), n.red],
        ['yellow', t('light.yellow'), n.yellow], ['green', t('light.green'), n.green]]
        .map(([light, label, count]) => h('button', {
          type: 'button', class: `light-count light-count-${light || 'all'}`, 'aria-pressed': String(filters.light === light),
          dataset: { light: light || 'all' }, onclick: () => setFilter({ light }),
        }, h('span', { class: 'count' }, count), h('span', null, label))));
  }

  const stateSelect = h('select', { name: 'state', onchange: (e) => setFilter({ state: e.target.value }) },
    h('option', { value: '' }, t('desk.filter.all')),
    INBOX_STATES.map((s) => h('option', { value: s, selected: filters.state === s }, t(`state.${s}`))));
  // Plain code fields until the lists by name (js/maps/filters.js) arrive.
  let category = h('input', { name: 'category', value: filters.category, size: 6 });
  let area = h('input', { name: 'area', value: filters.area, size: 12 });
  import('../maps/filters.js').then((m) => Promise.all([m.categorySelect(filters.category), m.areaSelect(filters.area)]))
    .then(([c, a]) => { category.replaceWith(c); area.replaceWith(a); [category, area] = [c, a]; }).catch(() => {});
  // Find by place name (pinyin and initials too) or tracking number: an area picked sets the area filter, a road or
  // landmark filters on the place names stored with the cases.
  const finderSlot = h('div');
  import('../maps/case-finder.js').then((m) => finderSlot.replaceWith(m.caseFinder({
    onQuery: (f) => { if ([...area.options || []].some((o) => o.value === f.area)) area.value = f.area; setFilter(f); },
  }))).catch(() => {});
  const filterForm = h('form', { class: 'desk-filters', onsubmit: (e) => { e.preventDefault(); setFilter({ category: category.value.trim().toUpperCase(), area: area.value.trim() }); } },
    h('label', null, t('desk.filter.state'), stateSelect),
    h('label', null, t('desk.filter.category'), category),
    h('label', null, t('desk.filter.area'), area),
    h('button', { type: 'submit', class: 'btn' }, t('desk.filter.apply')),
    h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => { category.value = ''; area.value = ''; stateSelect.value = ''; setFilter({ state: '', light: '', category: '', area: '', q: '' }); } }, t('desk.filter.clear')));

  main.replaceChildren(h('div', { class: 'desk-page inbox' },
    pageHead(t('desk.inbox'), { sub: t('desk.inbox_sub') }), queuedBox, counts, finderSlot, filterForm, total, list));
  drawQueued().catch(() => {});
  await load();
  const stopOutbox = onOutboxChange(() => drawQueued().catch(() => {}));
  const unitId = session()?.user?.unit_id;
  const stop = unitId ? liveReload([`unit:${unitId}`], () => load().catch(() => {})) : () => {};
  // Lights change with time alone: refresh each minute even without events.
  const tick = setInterval(() => load().catch(() => {}), 60_000);
  return () => { stop(); stopOutbox(); clearInterval(tick); };
}
