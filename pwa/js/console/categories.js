/** Categories (案件类别): the taxonomy by 大类, switching a 小类 off or on, its time limits per filing condition beside
 * the standard's, and the city's own 小类. Online only. */

import { ApiError, api } from '../api.js';
import { paren, pick, t } from '../i18n.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { adminNav, errorBox, scrollTable } from './nav.js';
import { historyHref, splitList } from './common.js';
import './messages.js';
import './messages-city.js';

/**
 * Render `#/admin/categories`.
 * @param {HTMLElement} main
 */
export async function renderCategories(main) {
  const here = stillHere();
  const results = h('div', { class: 'cat-results', 'aria-live': 'polite' }, spinner());
  const major = h('select', { name: 'major', id: 'cat-major' }, h('option', { value: '' }, t('city.cat.all_majors')));
  const kind = h('select', { name: 'kind' }, ['', 'component', 'event'].map((k) => h('option', { value: k }, t(k ? `city.cat.${k}` : 'city.cat.all_kinds'))));
  const state = h('select', { name: 'state', id: 'cat-state' }, [['', 'all_states'], ['off', 'disabled_only'], ['changed', 'changed_only'], ['city', 'city_only']]
    .map(([v, k]) => h('option', { value: v }, t(`city.cat.${k}`))));
  const search = h('input', { name: 'q', type: 'search', id: 'cat-search', maxlength: 32, autocomplete: 'off' });
  for (const el of [major, kind, state]) el.addEventListener('change', draw);
  search.addEventListener('input', draw);
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('categories'), pageHead(t('city.categories')),
    h('p', { class: 'muted' }, t('city.cat.hint')),
    h('form', { class: 'desk-filters admin-filters', role: 'search', onsubmit: (e) => e.preventDefault() },
      h('label', null, t('city.cat.major'), major), h('label', null, t('city.cat.kind'), kind),
      h('label', null, t('city.cat.state'), state), h('label', null, t('city.cat.search'), search),
      h('div', { class: 'filter-buttons' },
        h('button', { type: 'button', class: 'btn', dataset: { action: 'new-category' }, onclick: () => add() }, t('city.cat.new')))),
    results));
  let cats = [];
  try {
    cats = await api('admin/categories');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    results.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  const majors = () => [...new Map(cats.map((c) => [c.major_code, c])).values()];
  major.append(...majors().map((c) => h('option', { value: c.major_code }, `${c.major_code} ${pick(c, 'major_name')}`)));
  major.value = majors()[0]?.major_code || ''; // one 大类 at a time: 190-odd rows of limits are too many to read
  draw();

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = cats.filter((c) => (!major.value || c.major_code === major.value) && (!kind.value || c.kind === kind.value)
      && (!state.value || (state.value === 'off' && !c.enabled) || (state.value === 'changed' && c.limits_changed)
        || (state.value === 'city' && c.city_addition))
      && (!q || c.code.toLowerCase().includes(q) || c.name.toLowerCase().includes(q) || (c.name_en || '').toLowerCase().includes(q)));
    if (!shown.length) {
      results.replaceChildren(h('p', { class: 'muted empty' }, t('city.cat.none')));
      return;
    }
    results.replaceChildren(h('p', { class: 'muted' }, t('city.cat.count', { n: shown.length })),
      scrollTable(t('city.categories'), ['code', 'name', 'actions', 'state', 'limits', 'major', 'kind'].map((c) => t(`city.cat.col.${c}`)),
        shown.map((c) => h('tr', { dataset: { code: c.code }, class: c.enabled ? null : 'row-off' },
          h('td', { class: 'mono' }, c.code),
          h('td', null, pick(c, 'name'), c.city_addition ? h('span', { class: 'badge' }, t('city.cat.city')) : null),
          h('td', { class: 'nowrap' },
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: c.enabled ? 'disable' : 'enable' },
              onclick: () => toggle(c) }, t(c.enabled ? 'city.cat.disable' : 'city.cat.enable')), ' ',
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'limits' }, onclick: () => limits(c) }, t('city.cat.limits')), ' ',
            h('a', { href: historyHref(`category:${c.code}`) }, t('con.history'))),
          h('td', { class: 'nowrap', dataset: { state: c.enabled ? 'on' : 'off' } }, t(c.enabled ? 'city.cat.on' : 'city.cat.off')),
          h('td', { class: 'limits' }, h('ol', { class: 'limit-list' }, c.standards.map((s) => h('li', { title: pick(s, 'filing_condition') },
            h('span', { class: s.time_limit !== s.standard_limit ? 'limit-changed' : null }, pick(s, 'time_limit')),
            s.time_limit !== s.standard_limit ? h('span', { class: 'muted small' }, ` (${t('city.cat.was', { limit: pick(s, 'standard_limit') })})`) : null,
            h('span', { class: 'muted small condition' }, ` ${pick(s, 'filing_condition')}`))))),
          h('td', null, `${c.major_code} ${pick(c, 'major_name')}`),
          h('td', null, t(`city.cat.${c.kind}`))))));
  }

  async function save(c, body) {
    try {
      const saved = await api(`admin/categories/${c.code}`, { method: 'PATCH', json: body });
      cats[cats.findIndex((x) => x.code === saved.code)] = saved;
      toast(t('con.saved'));
      draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }

  async function toggle(c) {
    if (c.enabled && !(await confirmDialog({ title: t('city.cat.disable_q', { code: c.code, name: pick(c, 'name') }),
      message: t('city.cat.disable_msg'), confirmText: t('city.cat.disable'), danger: true }))) return;
    await save(c, { enabled: !c.enabled });
  }

  async function limits(c) {
    const v = await confirmDialog({ title: t('city.cat.limits_title', { code: c.code, name: pick(c, 'name') }), message: t('city.cat.limit_help'),
      confirmText: t('con.save'), fields: c.standards.map((s, i) => ({ name: `limit${i}`,
        label: `${i + 1}. ${pick(s, 'filing_condition')} · ${t('city.cat.limit_hint', { limit: pick(s, 'standard_limit') })}`,
        value: s.time_limit !== s.standard_limit ? s.time_limit : '' })) });
    if (!v) return;
    await save(c, { time_limits: c.standards.map((_, i) => v[`limit${i}`].trim()) });
  }

  async function add() {
    const v = await confirmDialog({ title: t('city.cat.new_title'), confirmText: t('con.save'), fields: [
      { name: 'major_code', label: t('city.cat.new_major'), type: 'select', value: major.value || majors()[0]?.major_code,
        options: majors().map((c) => ({ value: c.major_code, label: `${c.major_code} ${pick(c, 'major_name')}${paren(t(`city.cat.${c.kind}`))}` })) },
      { name: 'name', label: t('city.cat.new_name'), required: true },
      { name: 'synonyms', label: t('city.cat.new_synonyms') },
      { name: 'department', label: t('city.cat.new_dept') },
      { name: 'filing_condition', label: t('city.cat.new_filing'), required: true },
      { name: 'time_limit', label: t('city.cat.new_limit'), required: true },
      { name: 'closing_condition', label: t('city.cat.new_closing') }] });
    if (!v) return;
    try {
      const added = await api('admin/categories', { method: 'POST', json: { major_code: v.major_code, name: v.name.trim(),
        synonyms: splitList(v.synonyms), department: v.department.trim(),
        standards: [{ filing_condition: v.filing_condition.trim(), time_limit: v.time_limit.trim(), closing_condition: v.closing_condition.trim() }] } });
      const at = cats.findLastIndex((x) => x.major_code === added.major_code);
      cats.splice(at + 1, 0, added);
      toast(t('city.cat.added', { code: added.code, name: added.name }));
      search.value = added.code;
      draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }
}
