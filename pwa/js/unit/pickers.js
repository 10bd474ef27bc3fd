/** Choosers for action forms (category, unit, supervisor), each degrading to a plain input when its list is missing. */

import { api } from '../api.js';
import { lang, paren, pick, t } from '../i18n.js';
import { h } from '../dom.js';

const cache = new Map();

function once(key, load) {
  if (!cache.has(key)) {
    const p = load().catch(() => null);
    cache.set(key, p);
    p.then((v) => { if (v === null) cache.delete(key); });
  }
  return cache.get(key);
}

/** @returns {Promise<{majors: object[], categories: object[]}|null>} the taxonomy, or null when not available */
export function categories() {
  return once('categories', () => api('meta/categories'));
}

/** @returns {Promise<object[]|null>} active responsible units, or null when not available */
export function units() {
  return once('units', async () => {
    const r = await api('org/units');
    return Array.isArray(r) ? r : r?.items ?? null;
  });
}

/** @returns {Promise<object[]|null>} the supervisors (centre roles only) */
export function supervisors() {
  return once('supervisors', () => api('users?role=supervisor'));
}

/**
 * The category record for a code, with its standards (filing conditions), or null.
 * @param {string} code
 * @returns {Promise<object|null>}
 */
export async function categoryByCode(code) {
  const tax = await categories();
  return tax?.categories.find((c) => c.code === code) ?? null;
}

/**
 * A category code input with a searchable list of every 小类 (code, name, synonyms) when the taxonomy loads.
 * @param {string} initial
 * @param {boolean} required
 * @returns {{el: HTMLElement, get: () => string}}
 */
export function categoryInput(initial, required) {
  const listId = `cat-list-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', { name: 'category_code', value: initial || '', required, list: listId, autocomplete: 'off',
    pattern: '[0-9A-Za-z]{2,8}', placeholder: 'C0101', class: 'code-input' });
  const list = h('datalist', { id: listId });
  const hint = h('span', { class: 'muted small' });
  categories().then((tax) => {
    if (!tax) return;
    list.replaceChildren(...tax.categories.map((c) => h('option', { value: c.code }, `${pick(c, 'name')} · ${pick(c, 'major_name')}`)));
    const show = () => {
      const c = tax.categories.find((x) => x.code === input.value.trim().toUpperCase());
      hint.textContent = c ? `${pick(c, 'name')}${paren(lang() === 'en' ? c.kind : c.kind_zh)}` : '';
    };
    input.addEventListener('input', show);
    show();
  });
  return { el: h('div', { class: 'code-field' }, input, list, hint), get: () => input.value.trim().toUpperCase() };
}

/**
 * Responsible unit chooser, the routing suggestion first and selected.
 * @param {{id: number, name: string}|null} suggested
 * @param {boolean} required
 * @returns {{el: HTMLElement, get: () => number|undefined}}
 */
export function unitSelect(suggested, required) {
  const select = h('select', { name: 'unit_id', required },
    suggested ? h('option', { value: suggested.id, selected: true }, t('desk.unit.suggested', { name: pick(suggested, 'name') }))
      : h('option', { value: '' }, '—'));
  const fallback = h('input', { type: 'number', name: 'unit_id_number', min: 1, hidden: true, placeholder: 'ID' });
  units().then((list) => {
    if (!list) {
      if (!suggested) { select.hidden = true; fallback.hidden = false; fallback.required = required; select.required = false; }
      return;
    }
    for (const u of list) {
      if (u.id !== suggested?.id) select.append(h('option', { value: u.id }, pick(u, 'name')));
    }
  });
  return {
    el: h('div', null, select, fallback),
    get: () => (select.hidden ? (fallback.value ? Number(fallback.value) : undefined) : (select.value ? Number(select.value) : undefined)),
  };
}

/**
 * Supervisor chooser; when optional, its first choice leaves it to the grid's own supervisor.
 * @param {boolean} required
 * @returns {{el: HTMLElement, get: () => number|undefined}}
 */
export function supervisorSelect(required) {
  const select = h('select', { name: 'supervisor_id', required },
    h('option', { value: '' }, required ? '—' : t('desk.grid_supervisor')));
  supervisors().then((list) => {
    for (const s of list || []) {
      const grids = s.grids?.length ? ` · ${s.grids.join(', ')}` : '';
      select.append(h('option', { value: s.id }, `${s.display_name || s.username}${grids}`));
    }
  });
  return { el: select, get: () => (select.value ? Number(select.value) : undefined) };
}

/**
 * @param {{name: string, name_en?: string}} o
 * @returns {string}
 */
export function nameOf(o) {
  return lang() === 'en' && o.name_en ? o.name_en : o.name;
}
