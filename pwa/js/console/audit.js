/** The security audit log (安全审计): filters, newest first, more on demand with before_id. */

import { ApiError, api } from '../api.js';
import { pick, t } from '../i18n.js';
import { hashQuery } from '../router.js';
import { h, spinner } from '../dom.js';
import { pageHead, stillHere } from '../unit/desk.js';
import './messages.js';
import { adminNav, beijingTime, errorBox, scrollTable } from './nav.js';

const OUTCOMES = ['ok', 'denied', 'failed'];
const PAGE = 50;

/** A Beijing calendar day as the first instant of it (or of the next day, for an `until` that includes the day). */
function beijingMidnight(day, nextDay = false) {
  const d = new Date(`${day}T00:00:00+08:00`);
  if (nextDay) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

function detailsText(details) {
  return Object.entries(details || {}).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`).join('  ');
}

/**
 * Render `#/admin/audit?action=…&actor=…&target=…&outcome=…&since=YYYY-MM-DD&until=YYYY-MM-DD`.
 * @param {HTMLElement} main
 */
export async function renderAudit(main) {
  const q = hashQuery();
  const here = stillHere();
  let actions = [];
  try {
    actions = await api('admin/audit/actions');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (here()) main.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  const field = (name, label, control) => h('label', null, label, control);
  const form = h('form', { class: 'desk-filters admin-filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    field('action', t('admin.audit.action'), h('select', { name: 'action' },
      h('option', { value: '' }, t('desk.filter.all')),
      // The server's own list, with its names: whatever it audits can be searched.
      actions.map((a) => h('option', { value: a.action, selected: q.get('action') === a.action }, pick(a, 'name'))))),
    field('actor', t('admin.audit.actor'), h('input', { name: 'actor', value: q.get('actor') || '', maxlength: 64, autocomplete: 'off' })),
    field('target', t('admin.audit.target'), h('input', { name: 'target', value: q.get('target') || '', maxlength: 128,
      placeholder: t('admin.audit.target_ph'), autocomplete: 'off' })),
    field('outcome', t('admin.audit.outcome'), h('select', { name: 'outcome' },
      h('option', { value: '' }, t('desk.filter.all')),
      OUTCOMES.map((o) => h('option', { value: o, selected: q.get('outcome') === o }, t(`admin.outcome.${o}`))))),
    field('since', t('admin.audit.since'), h('input', { name: 'since', type: 'date', value: q.get('since') || '' })),
    field('until', t('admin.audit.until'), h('input', { name: 'until', type: 'date', value: q.get('until') || '' })),
    h('div', { class: 'filter-buttons' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('desk.filter.apply')),
      h('button', { type: 'button', class: 'btn', onclick: () => { form.reset(); for (const el of form.elements) if (el.name) el.value = ''; apply(); } },
        t('desk.filter.clear'))));
  const results = h('div', { class: 'audit-results', 'aria-live': 'polite' }, spinner());
  main.replaceChildren(h('div', { class: 'desk-page admin' },
    adminNav('audit'), pageHead(t('admin.audit')), form, results));

  /** Put the filters in the address (so reload and back keep them) and search again. */
  function apply() {
    const data = new FormData(form);
    const query = new URLSearchParams([...data.entries()].filter(([, v]) => String(v).trim()));
    history.replaceState(null, '', `#/admin/audit${query.size ? `?${query}` : ''}`);
    search();
  }

  const rows = [];
  let lastPage = [];
  async function search(beforeId = null) {
    const data = new FormData(form);
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const [name, key] of [['action', 'action'], ['actor', 'actor_name'], ['target', 'target'], ['outcome', 'outcome']]) {
      const v = String(data.get(name) || '').trim();
      if (v) params.set(key, v);
    }
    if (data.get('since')) params.set('since', beijingMidnight(data.get('since')));
    if (data.get('until')) params.set('until', beijingMidnight(data.get('until'), true));
    if (beforeId) params.set('before_id', String(beforeId));
    else rows.length = 0;
    try {
      lastPage = await api(`admin/audit?${params}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.replaceChildren(errorBox(err));
      return;
    }
    if (!here()) return;
    rows.push(...lastPage);
    draw();
  }

  function draw() {
    if (!rows.length) {
      results.replaceChildren(h('p', { class: 'muted empty' }, t('admin.audit.none')));
      return;
    }
    results.replaceChildren(...[
      scrollTable(t('admin.audit'), ['col.time', 'action', 'outcome', 'actor', 'col.ip', 'target', 'col.details'].map((c) => t(`admin.audit.${c}`)),
        rows.map((e) => h('tr', { dataset: { id: e.id, action: e.action, outcome: e.outcome } },
          h('td', { class: 'nowrap' }, h('time', { datetime: e.at }, beijingTime(e.at))),
          h('td', { class: 'nowrap' }, pick(e, 'action')),
          h('td', null, h('span', { class: `badge outcome-${e.outcome}` }, t(`admin.outcome.${e.outcome}`))),
          h('td', null, e.actor_name || '—'),
          h('td', { class: 'nowrap', title: e.user_agent || null }, e.ip || '—'),
          h('td', { class: 'mono' }, e.target || '—'),
          h('td', { class: 'mono details' }, detailsText(e.details) || '—')))),
      h('p', { class: 'muted small' }, t('admin.audit.count', { n: rows.length })),
      lastPage.length === PAGE ? h('button', { type: 'button', class: 'btn', onclick: (ev) => { ev.currentTarget.disabled = true; search(rows.at(-1).id); } },
        t('common.more')) : null].filter(Boolean));
  }

  await search();
}
