/** Responsible units (责任单位): contacts, the 小类 each handles and the areas it covers; routing reads them. Online only. */

import { ApiError, api } from '../api.js';
import { pick, t } from '../i18n.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { adminNav, errorBox, scrollTable } from './nav.js';
import { historyHref, loadUnits, splitList } from './common.js';
import './messages.js';

/**
 * Render `#/admin/units`.
 * @param {HTMLElement} main
 */
export async function renderUnits(main) {
  const here = stillHere();
  const results = h('div', { class: 'unit-results', 'aria-live': 'polite' }, spinner());
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('units'), pageHead(t('admin.units')),
    h('div', null, h('button', { type: 'button', class: 'btn', dataset: { action: 'new-unit' }, onclick: () => edit(null) }, t('con.new_unit'))),
    results));
  let units = [];
  try {
    units = await loadUnits();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    results.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  draw();

  function draw() {
    results.replaceChildren(scrollTable(t('admin.units'),
      ['code', 'name', 'actions', 'kind', 'contact', 'phone', 'categories', 'areas'].map((c) => t(`con.col.${c}`)).concat(t('con.active')),
      units.map((u) => h('tr', { dataset: { unitId: u.id, code: u.code } },
        h('td', { class: 'mono' }, u.code), h('td', null, pick(u, 'name')),
        h('td', { class: 'nowrap' },
          h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' }, onclick: () => edit(u) }, t('con.edit')), ' ',
          h('a', { href: historyHref(`unit:${u.id}`) }, t('con.history'))),
        h('td', { class: 'mono' }, u.kind),
        h('td', null, u.contact), h('td', { class: 'nowrap' }, u.phone),
        h('td', { class: 'mono details' }, u.categories.join(', ')), h('td', { class: 'mono details' }, u.areas.join(', ')),
        h('td', null, t(u.active ? 'con.on' : 'con.off'))))));
  }

  async function edit(u) {
    const v = await confirmDialog({ title: u ? `${t('con.edit')} ${pick(u, 'name')}` : t('con.new_unit'), confirmText: t('con.save'), fields: [
      { name: 'code', label: t('con.col.code'), value: u?.code, required: true },
      { name: 'name', label: t('con.col.name'), value: u?.name, required: true },
      { name: 'name_en', label: t('con.col.name_en'), value: u?.name_en },
      { name: 'kind', label: `${t('con.col.kind')} · ${t('con.kind_hint')}`, value: u?.kind || 'department', required: true },
      { name: 'contact', label: t('con.col.contact'), value: u?.contact },
      { name: 'phone', label: t('con.col.phone'), value: u?.phone },
      { name: 'categories', label: `${t('con.col.categories')} · ${t('con.list_hint')}`, type: 'textarea', value: (u?.categories || []).join(', ') },
      { name: 'areas', label: `${t('con.col.areas')} · ${t('con.list_hint')}`, value: (u?.areas || []).join(', ') },
      { name: 'active', label: t('con.active'), type: 'select', value: u && !u.active ? 'no' : 'yes',
        options: [{ value: 'yes', label: t('con.on') }, { value: 'no', label: t('con.off') }] }] });
    if (!v) return;
    const body = { code: v.code.trim(), name: v.name.trim(), name_en: v.name_en.trim(), kind: v.kind.trim(), contact: v.contact.trim(), phone: v.phone.trim(),
      categories: splitList(v.categories).map((c) => c.toUpperCase()), areas: splitList(v.areas), active: v.active === 'yes' };
    try {
      const saved = await api(u ? `org/units/${u.id}` : 'org/units', { method: u ? 'PUT' : 'POST', json: body });
      const i = units.findIndex((x) => x.id === saved.id);
      if (i >= 0) units[i] = saved; else units.push(saved);
      toast(t('con.saved'));
      draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }
}
