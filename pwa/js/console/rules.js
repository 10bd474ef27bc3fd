/**
 * Routing rules (路由规则) and the routing simulator: the ordered rules that pick a case's unit, edited here, and
 * "a report of 小类 X at this place goes to … by rule …" with every rule as routing tries it. Online only.
 */

import { ApiError, api } from '../api.js';
import { lang, pick, t } from '../i18n.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { adminNav, errorBox, scrollTable } from './nav.js';
import { historyHref, loadUnits } from './common.js';
import './messages.js';

const KINDS = ['any', 'component', 'event'];
const TARGETS = ['owner', 'maintainer', 'unit', 'street_office'];

/**
 * Render `#/admin/rules`.
 * @param {HTMLElement} main
 */
export async function renderRules(main) {
  const here = stillHere();
  const results = h('div', { class: 'rule-results', 'aria-live': 'polite' }, spinner());
  const sim = h('section', { class: 'card routing-sim', 'aria-labelledby': 'sim-title' });
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('rules'), pageHead(t('admin.rules')),
    sim,
    h('div', null, h('button', { type: 'button', class: 'btn', dataset: { action: 'new-rule' }, onclick: () => edit(null) }, t('con.new_rule'))),
    results));
  let rules = [];
  let units = [];
  let categories = [];
  try {
    [rules, units, categories] = await Promise.all([api('org/routing-rules'), loadUnits(), api('meta/categories').then((c) => c.categories)]);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    results.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  const unitName = (id) => units.find((u) => u.id === id)?.name || '';
  draw();
  simulator();

  function draw() {
    rules.sort((a, b) => a.priority - b.priority || a.id - b.id);
    results.replaceChildren(scrollTable(t('admin.rules'),
      ['priority', 'rule_name', 'actions', 'rule_kind', 'category_prefix', 'area_prefix', 'target'].map((c) => t(`con.col.${c}`)).concat(t('con.active')),
      rules.map((r) => h('tr', { dataset: { ruleId: r.id } },
        h('td', null, String(r.priority)), h('td', null, r.label),
        h('td', { class: 'nowrap' },
          h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' }, onclick: () => edit(r) }, t('con.edit')), ' ',
          h('button', { type: 'button', class: 'btn btn-small btn-danger', dataset: { action: 'delete' }, onclick: () => remove(r) }, t('con.delete')), ' ',
          h('a', { href: historyHref(`rule:${r.id}`) }, t('con.history'))),
        h('td', null, t(`con.kind.${r.kind}`)),
        h('td', { class: 'mono' }, r.category_prefix || t('con.any')), h('td', { class: 'mono' }, r.area_prefix || t('con.any')),
        h('td', null, r.unit_id ? unitName(r.unit_id) : t(`con.target.${r.target}`)),
        h('td', null, t(r.active ? 'con.on' : 'con.off'))))));
  }

  async function edit(r) {
    const v = await confirmDialog({ title: r ? `${t('con.edit')} ${r.label}` : t('con.new_rule'), confirmText: t('con.save'), fields: [
      { name: 'name', label: t('con.col.rule_name'), value: r?.name, required: true },
      { name: 'priority', label: t('con.col.priority'), type: 'number', min: 0, max: 100000, value: r?.priority ?? 100, required: true },
      { name: 'kind', label: t('con.col.rule_kind'), type: 'select', value: r?.kind || 'any', options: KINDS.map((k) => ({ value: k, label: t(`con.kind.${k}`) })) },
      { name: 'category_prefix', label: `${t('con.col.category_prefix')} · ${t('con.prefix_hint')}`, value: r?.category_prefix },
      { name: 'area_prefix', label: `${t('con.col.area_prefix')} · ${t('con.prefix_hint')}`, value: r?.area_prefix },
      { name: 'target', label: t('con.col.target'), type: 'select', value: r?.target || 'unit', options: TARGETS.map((x) => ({ value: x, label: t(`con.target.${x}`) })) },
      { name: 'unit_id', label: t('con.col.unit'), type: 'select', value: r?.unit_id ? String(r.unit_id) : '',
        options: [{ value: '', label: t('con.no_unit') }, ...units.map((u) => ({ value: String(u.id), label: pick(u, 'name') }))] },
      { name: 'note', label: t('con.col.note'), type: 'textarea', value: r?.note },
      { name: 'active', label: t('con.active'), type: 'select', value: r && !r.active ? 'no' : 'yes',
        options: [{ value: 'yes', label: t('con.on') }, { value: 'no', label: t('con.off') }] }] });
    if (!v) return;
    const body = { name: v.name.trim(), priority: Number(v.priority), kind: v.kind, category_prefix: v.category_prefix.trim().toUpperCase(),
      area_prefix: v.area_prefix.trim(), target: v.target, unit_id: v.unit_id ? Number(v.unit_id) : null, note: v.note.trim(),
      active: v.active === 'yes' };
    try {
      const saved = await api(r ? `org/routing-rules/${r.id}` : 'org/routing-rules', { method: r ? 'PUT' : 'POST', json: body });
      rules = [...rules.filter((x) => x.id !== saved.id), saved];
      toast(t('con.saved'));
      draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }

  async function remove(r) {
    if (!(await confirmDialog({ title: t('con.delete'), message: t('con.delete_q', { name: r.label }), confirmText: t('con.delete'), danger: true }))) return;
    try {
      await api(`org/routing-rules/${r.id}`, { method: 'DELETE' });
      rules = rules.filter((x) => x.id !== r.id);
      toast(t('con.deleted'));
      draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }

  function simulator() {
    const category = h('select', { name: 'category_code', id: 'sim-category', required: true },
      categories.map((c) => h('option', { value: c.code }, `${c.code} ${c.name}`)));
    const lng = h('input', { name: 'lng', id: 'sim-lng', type: 'number', step: 'any', min: -180, max: 180, required: true });
    const lat = h('input', { name: 'lat', id: 'sim-lat', type: 'number', step: 'any', min: -90, max: 90, required: true });
    const place = h('input', { name: 'place', id: 'sim-place', type: 'search', autocomplete: 'off', placeholder: t('con.place_ph') });
    const hits = h('ul', { class: 'place-hits' });
    const out = h('div', { class: 'sim-result', 'aria-live': 'polite' });
    let timer = 0;
    place.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = place.value.trim();
        if (!q) { hits.replaceChildren(); return; }
        try {
          const found = await api(`places/search?q=${encodeURIComponent(q)}&limit=5`);
          hits.replaceChildren(...found.results.map((p) => h('li', null, h('button', { type: 'button', class: 'btn btn-small',
            onclick: () => { lng.value = p.lng.toFixed(6); lat.value = p.lat.toFixed(6); place.value = p.name; hits.replaceChildren(); } },
          `${p.name} · ${p.context || ''}`))));
        } catch {
          hits.replaceChildren();
        }
      }, 250);
    });
    const field = (label, el) => h('label', null, label, el);
    const form = h('form', { class: 'desk-filters admin-filters', onsubmit: (e) => { e.preventDefault(); run(); } },
      field(t('con.sim.category'), category), field(t('con.place'), place), field(t('con.sim.lng'), lng), field(t('con.sim.lat'), lat),
      h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'simulate' } }, t('con.sim.run'))));
    sim.replaceChildren(h('h2', { id: 'sim-title' }, t('con.sim')), h('p', { class: 'muted' }, t('con.sim_hint')), form, hits, out);

    async function run() {
      let r;
      try {
        r = await api('admin/routing/simulate', { method: 'POST', json: { category_code: category.value, lng: Number(lng.value), lat: Number(lat.value) } });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        out.replaceChildren(errorBox(err));
        return;
      }
      const where = [r.place.district_name, r.place.street_name, r.place.community_name].filter(Boolean).join(' › ')
        + (r.place.unit_grid ? ` · ${r.place.unit_grid}` : '');
      out.replaceChildren(...[
        h('p', { class: 'sim-verdict', dataset: { unit: r.unit?.code || '' } },
          h('strong', null, r.unit ? t('con.sim.result', { unit: pick(r.unit, 'name'), rule: r.rule }) : t('con.sim.unrouted'))),
        h('p', { class: 'muted' }, t('con.sim.place', { place: where || '—' })),
        r.component ? h('p', { class: 'muted' }, t('con.sim.component', { code: r.component.code, m: r.component.distance_m })) : null,
        r.alternatives.length ? h('p', { class: 'muted' }, t('con.sim.also', { units: r.alternatives.map((u) => pick(u, 'name')).join(lang() === 'en' ? ', ' : '、') })) : null,
        scrollTable(t('con.sim'), [t('con.sim.col.rule'), t('con.col.target'), t('con.sim.col.outcome'), t('con.sim.col.unit')],
          r.trials.map((x) => h('tr', { class: `trial-${x.outcome}`, dataset: { outcome: x.outcome, ruleId: x.rule_id } },
            h('td', null, x.label), h('td', null, x.rule_unit ? x.rule_unit.name : pick(x, 'target')),
            h('td', null, pick(x, 'text')), h('td', null, x.unit ? pick(x.unit, 'name') : ''))))].filter(Boolean));
    }
  }
}
