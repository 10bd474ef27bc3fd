/** Users (用户管理): find, create, edit role / unit / grids, reset a password, deactivate, unlock. Online only. */

import { ApiError, api } from '../api.js';
import { pick, t } from '../i18n.js';
import { hashQuery } from '../router.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { adminNav, errorBox, scrollTable } from './nav.js';
import { ROLES, historyHref, loadUnits, splitList } from './common.js';
import { openUserImport } from './userimport.js';
import './messages.js';

/**
 * Render `#/admin/users?q=…&role=…`.
 * @param {HTMLElement} main
 */
export async function renderUsers(main) {
  const q = hashQuery();
  const here = stillHere();
  const results = h('div', { class: 'user-results', 'aria-live': 'polite' }, spinner());
  const search = h('input', { name: 'q', type: 'search', value: q.get('q') || '', maxlength: 64, autocomplete: 'off' });
  const role = h('select', { name: 'role' }, h('option', { value: '' }, t('con.all_roles')),
    ROLES.map((r) => h('option', { value: r, selected: q.get('role') === r }, t(`role.${r}`))));
  const form = h('form', { class: 'desk-filters admin-filters', role: 'search', onsubmit: (e) => { e.preventDefault(); draw(); } },
    h('label', null, t('con.search'), search), h('label', null, t('con.role'), role),
    h('div', { class: 'filter-buttons' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('con.search')),
      h('button', { type: 'button', class: 'btn', dataset: { action: 'new-user' }, onclick: () => create() }, t('con.new_user')),
      h('button', { type: 'button', class: 'btn', dataset: { action: 'import-users' },
        onclick: () => openUserImport(importPanel, async () => { users = await api('users'); draw(); }) }, t('data.users_import'))));
  const importPanel = h('div', { class: 'import-panel' });
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('users'), pageHead(t('admin.users')), form, importPanel, results));

  let users = [];
  let units = [];
  try {
    [users, units] = await Promise.all([api('users'), loadUnits()]);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    results.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  const unitName = (id) => units.find((u) => u.id === id)?.name || '';
  const unitCode = (id) => units.find((u) => u.id === id)?.code || '';
  draw();

  function draw() {
    const text = search.value.trim().toLowerCase();
    const shown = users.filter((u) => (!role.value || u.role === role.value) && !u.anonymous
      && (!text || u.username.toLowerCase().includes(text) || u.display_name.toLowerCase().includes(text)));
    if (!shown.length) {
      results.replaceChildren(h('p', { class: 'muted empty' }, t('con.none')));
      return;
    }
    results.replaceChildren(
      h('p', { class: 'muted' }, t('con.count', { n: shown.length })),
      scrollTable(t('admin.users'), ['username', 'person', 'actions', 'role', 'unit', 'grids', 'active'].map((c) => t(c === 'role' ? 'con.role' : c === 'active' ? 'con.active' : `con.col.${c}`)),
        shown.map((u) => h('tr', { dataset: { userId: u.id, username: u.username } },
          h('td', { class: 'mono' }, u.username),
          h('td', null, u.display_name),
          h('td', { class: 'nowrap' },
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'edit' }, onclick: () => edit(u) }, t('con.edit')), ' ',
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'reset' }, onclick: () => reset(u) }, t('con.reset')), ' ',
            h('button', { type: 'button', class: u.active ? 'btn btn-small btn-danger' : 'btn btn-small', dataset: { action: u.active ? 'deactivate' : 'activate' },
              onclick: () => toggle(u) }, t(u.active ? 'con.deactivate' : 'con.activate')), ' ',
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'unlock' }, onclick: () => unlock(u) }, t('con.unlock')), ' ',
            h('a', { href: historyHref(`user:${u.id}`) }, t('con.history'))),
          h('td', null, t(`role.${u.role}`), u.must_change_password ? h('span', { class: 'badge' }, ` ${t('con.must_change')}`) : null),
          h('td', null, unitName(u.unit_id)),
          h('td', { class: 'mono' }, (u.grids || []).join(', ')),
          h('td', null, t(u.active ? 'con.on' : 'con.off'))))));
  }

  const unitOptions = () => [{ value: '', label: t('con.no_unit') }, ...units.map((u) => ({ value: u.code, label: pick(u, 'name') }))];

  async function send(path, method, json) {
    try {
      const saved = await api(path, { method, json });
      toast(t('con.saved'));
      return saved;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
      return null;
    }
  }

  function replace(saved) {
    const i = users.findIndex((u) => u.id === saved.id);
    if (i >= 0) users[i] = saved; else users.unshift(saved);
    draw();
  }

  async function create() {
    const v = await confirmDialog({ title: t('con.new_user'), confirmText: t('con.save'), fields: [
      { name: 'username', label: t('con.col.username'), required: true },
      { name: 'display_name', label: t('con.col.person') },
      { name: 'role', label: t('con.role'), type: 'select', options: ROLES.filter((r) => r !== 'citizen').map((r) => ({ value: r, label: t(`role.${r}`) })) },
      { name: 'unit_code', label: t('con.col.unit'), type: 'select', options: unitOptions() },
      { name: 'password', label: t('con.password'), type: 'password', required: true }] });
    if (!v) return;
    const saved = await send('users', 'POST', { username: v.username.trim(), display_name: v.display_name.trim(), role: v.role,
      unit_code: v.unit_code || null, password: v.password });
    if (saved) replace(saved);
  }

  async function edit(u) {
    const v = await confirmDialog({ title: `${t('con.edit')} ${u.username}`, confirmText: t('con.save'), fields: [
      { name: 'display_name', label: t('con.col.person'), value: u.display_name },
      { name: 'role', label: t('con.role'), type: 'select', value: u.role, options: ROLES.map((r) => ({ value: r, label: t(`role.${r}`) })) },
      { name: 'unit_code', label: t('con.col.unit'), type: 'select', value: unitCode(u.unit_id), options: unitOptions() },
      { name: 'grids', label: t('con.grids_label'), value: (u.grids || []).join(',') }] });
    if (!v) return;
    const body = {};
    if (v.display_name.trim() !== u.display_name) body.display_name = v.display_name.trim();
    const grids = splitList(v.grids);
    if (grids.join(',') !== (u.grids || []).join(',')) body.grids = grids;
    if (v.role !== u.role) body.role = v.role;
    if (v.unit_code !== unitCode(u.unit_id)) body.unit_code = v.unit_code;
    if (!Object.keys(body).length) return;
    const saved = await send(`users/${u.id}`, 'PATCH', body);
    if (saved) replace(saved);
  }

  async function reset(u) {
    const v = await confirmDialog({ title: `${t('con.reset')} ${u.username}`, confirmText: t('con.save'),
      fields: [{ name: 'password', label: t('con.reset_pw'), type: 'password', required: true }] });
    if (!v) return;
    const saved = await send(`users/${u.id}`, 'PATCH', { password: v.password });
    if (saved) replace(saved);
  }

  async function toggle(u) {
    if (u.active && !(await confirmDialog({ title: t('con.deactivate'), message: t('con.deactivate_q', { name: u.display_name || u.username }),
      confirmText: t('con.deactivate'), danger: true }))) return;
    const saved = await send(`users/${u.id}`, 'PATCH', { active: !u.active });
    if (saved) replace(saved);
  }

  async function unlock(u) {
    try {
      const r = await api(`users/${u.id}/unlock`, { method: 'POST' });
      toast(t(r.was_locked ? 'con.unlocked' : 'con.not_locked'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
    }
  }
}
