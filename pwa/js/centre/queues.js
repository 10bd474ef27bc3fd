/** The command centre's work queues (intake, verifying, filing, dispatch, approvals, closing, rework), live. */

import { api, session } from '../api.js';
import { t } from '../i18n.js';
import { hashQuery } from '../router.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { performAction } from '../unit/actions.js';
import { caseCard, ensureDeskCss, liveReload, pageHead, stillHere } from '../unit/desk.js';
import { centreNav } from './nav.js';
import { lifecycle, may } from './rules.js';
import { acceptSuggestion, suggestionItem } from './suggestions.js';

/** Queue → the states it lists. Every queue uses view=all, which every centre role may open. */
const QUEUES = {
  triage: ['new'],
  verifying: ['verifying'],
  filing: ['pending_filing'],
  dispatch: ['pending_dispatch'],
  approvals: ['return_requested', 'extension_requested', 'suspension_requested'],
  closing: ['pending_close'],
  rework: ['dispatched', 'handling'],
};
const BY_ROLE = {
  operator: ['triage', 'verifying', 'filing'],
  shift_lead: ['triage', 'verifying', 'filing', 'closing'],
  dispatcher: ['dispatch', 'approvals', 'rework'],
  admin: Object.keys(QUEUES),
};

/**
 * Render the queues page; `#/centre?q=dispatch` opens a queue.
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderQueues(main) {
  ensureDeskCss();
  const role = session()?.user?.role;
  const tabs = BY_ROLE[role] || BY_ROLE.admin;
  let current = tabs.includes(hashQuery().get('q')) ? hashQuery().get('q') : tabs[0];
  const here = stillHere();
  const rules = await lifecycle().catch(() => []);
  if (!here()) return undefined;
  const seen = new Set();
  let first = true;
  const tabBar = h('div', { class: 'queue-tabs', role: 'tablist' });
  const list = h('div', { class: 'desk-list', role: 'tabpanel', 'aria-live': 'polite' }, spinner());

  const fetchQueue = async (q, pageSize) => {
    const page = await api(`cases?view=all&state=${QUEUES[q].join(',')}&page_size=${pageSize}&sort=created`);
    if (q === 'rework') {
      page.items = page.items.filter((c) => c.rework_count > 0);
      page.total = page.items.length;
    }
    return page;
  };

  async function loadCounts() {
    const totals = await Promise.all(tabs.map((q) => fetchQueue(q, q === 'rework' ? 100 : 1).then((p) => p.total).catch(() => '?')));
    tabBar.replaceChildren(...tabs.map((q, i) => h('button', {
      type: 'button', role: 'tab', class: 'queue-tab', 'aria-selected': String(q === current), dataset: { queue: q },
      onclick: () => { current = q; found = null; history.replaceState(null, '', `#/centre?q=${q}`); first = true; load(); },
    }, t(`centre.tab.${q}`), h('span', { class: 'queue-count' }, totals[i]))));
  }

  // A search by place or number (js/maps/case-finder.js) lists every matching case instead of the open tab's queue.
  let found = null;
  const foundHead = h('div', { class: 'finder-head', hidden: true });
  const finderSlot = h('div');
  import('../maps/case-finder.js').then((m) => finderSlot.replaceWith(m.caseFinder({
    onQuery: (filter, label) => { found = { filter, label }; first = true; loadList(); },
  }))).catch(() => {});
  const fetchFound = () => api(`cases?${new URLSearchParams({ view: 'all', page_size: '100', sort: 'created',
    ...Object.fromEntries(Object.entries(found.filter).filter(([, v]) => v)) })}`);

  let loads = 0;
  async function loadList() {
    const mine = ++loads;
    const page = found ? await fetchFound() : await fetchQueue(current, 100);
    if (mine !== loads || !here()) return; // a newer tab's answer wins
    foundHead.hidden = !found;
    if (found) {
      foundHead.replaceChildren(h('h2', null, t('finder.results', { label: found.label }), ' ',
        h('span', { class: 'queue-count' }, page.total)),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => { found = null; first = true; loadList(); } },
        t('finder.clear')));
    }
    const items = !found && (current === 'triage' || current === 'filing') ? page.items.reverse() : page.items; // oldest first to work
    list.replaceChildren(...(items.length ? items.map((c) => caseCard(c, `#/centre/case/${c.id}`, {
      fresh: !first && !seen.has(c.id), extra: quickActions(c, role, rules, load),
    })) : [h('p', { class: 'empty muted' }, t('desk.empty'))]));
    items.forEach((c) => seen.add(c.id));
    first = false;
  }

  async function load() {
    await Promise.all([loadCounts(), loadList()]);
  }

  main.replaceChildren(h('div', { class: 'desk-page centre' },
    centreNav('queues'), pageHead(t('centre.queues')), finderSlot, tabBar, foundHead, list));
  await load();
  const stop = liveReload(['command'], () => load().catch(() => {}));
  return stop;
}

/** Buttons that finish the common case without opening it. */
function quickActions(c, role, rules, reload) {
  const can = (a) => may(rules, a, c.state, role);
  const run = (fn) => async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      await fn();
      await reload();
    } catch (err) {
      toast(err.message, 'error');
      button.disabled = false;
    }
  };
  const out = [];
  if (c.likely_duplicate_of) {
    out.push(h('a', { class: 'badge badge-dup', href: `#/centre/case/${c.id}` }, t('centre.duplicate')));
  }
  if (c.state === 'new' || (c.state === 'pending_filing' && !c.category_code)) {
    const top = c.suggestions?.[0];
    if (top && can('reclassify')) {
      out.push(suggestionItem(top, () => acceptSuggestion(c, top, { file: false }).then(reload),
        { compact: true, label: c.state === 'new' ? t('centre.accept_and_file') : t('centre.accept_suggestion') }));
    } else if (!top) {
      out.push(h('span', { class: 'muted small' }, t('centre.no_suggestion')));
    }
    if (c.state === 'new' && can('request_verify')) {
      out.push(h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'request_verify' },
        onclick: run(() => performAction(c, 'request_verify')) }, t('action.request_verify')));
    }
  }
  if (c.state === 'pending_filing' && c.category_code && can('file')) {
    out.push(h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: 'file' },
      onclick: run(() => performAction(c, 'file')) }, t('action.file')));
  }
  if (c.state === 'pending_dispatch' && can('dispatch')) {
    out.push(h('span', { class: 'small routing' }, c.suggested_unit
      ? [t('desk.unit.suggested', { name: c.suggested_unit.name }), c.routing_rule ? h('span', { class: 'muted' }, ` · ${c.routing_rule}`) : null]
      : t('centre.routing.none')));
    if (c.suggested_unit) {
      out.push(h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: 'dispatch' },
        onclick: run(() => performAction(c, 'dispatch')) }, t('centre.dispatch_to', { name: c.suggested_unit.name })));
    }
  }
  for (const a of ['approve_return', 'approve_extension', 'approve_suspension', 'close']) {
    if (can(a)) {
      out.push(h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: a },
        onclick: run(() => performAction(c, a)) }, t(`action.${a}`)));
    }
  }
  return out.length ? out : null;
}
