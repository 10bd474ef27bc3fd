/**
 * Interoperability (对接): external systems' API keys for Open311, and outgoing webhooks with their dead letters.
 * Keys and signing secrets are shown once, when made; the server keeps only their hashes. Online only.
 */

import { ApiError, api } from '../api.js';
import { lang, t } from '../i18n.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import './messages.js';
import { adminNav, beijingTime, errorBox, scrollTable } from './nav.js';
import { historyHref, splitList } from './common.js';

const KINDS = ['case.created', 'case.triaged', 'case.updated', 'case.escalated'];

/**
 * Render `#/admin/interop`.
 * @param {HTMLElement} main
 */
export async function renderInterop(main) {
  const here = stillHere();
  const clientsBox = h('section', { class: 'card', 'aria-labelledby': 'clients-title' }, spinner());
  const hooksBox = h('section', { class: 'card', 'aria-labelledby': 'hooks-title' }, spinner());
  const deadBox = h('section', { class: 'card', 'aria-labelledby': 'dead-title' }, spinner());
  const shown = h('div', { class: 'secret-once', 'aria-live': 'polite' });
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('interop'), pageHead(t('admin.interop')),
    shown, clientsBox, hooksBox, deadBox));
  let clients = [];
  let hooks = [];
  let dead = [];
  try {
    [clients, hooks, dead] = await Promise.all([api('admin/api-clients'), api('admin/webhooks'), api('admin/webhooks/dead')]);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    clientsBox.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  draw();

  function once(label, value) {
    // Shown here once; copying it is the admin's job. It never goes into the URL or a log.
    shown.replaceChildren(h('div', { class: 'admin-error', role: 'status' },
      h('p', null, h('strong', null, label)), h('p', { class: 'mono', dataset: { secret: 'once' } }, value),
      h('p', { class: 'muted' }, t('con.once_hint'))));
  }

  async function send(path, method, json) {
    try {
      return await api(path, { method, json });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error');
      return null;
    }
  }

  function draw() {
    const sep = lang() === 'en' ? ', ' : '、';
    clientsBox.replaceChildren(h('h2', { id: 'clients-title' }, t('con.clients')), h('p', { class: 'muted' }, t('con.clients_hint')),
      h('button', { type: 'button', class: 'btn', dataset: { action: 'new-client' }, onclick: newClient }, t('con.new_client')),
      clients.length ? scrollTable(t('con.clients'), ['name', 'key', 'rate', 'last_used', 'actions'].map((c) => t(`con.ic.${c}`)),
        clients.map((c) => h('tr', { dataset: { clientId: c.id, name: c.name } },
          h('td', { class: 'mono' }, c.name), h('td', { class: 'mono' }, `${c.key_prefix}…`),
          h('td', null, String(c.rate_per_minute)), h('td', { class: 'nowrap' }, beijingTime(c.last_used_at) || '—'),
          h('td', { class: 'nowrap' },
            h('button', { type: 'button', class: c.active ? 'btn btn-small btn-danger' : 'btn btn-small', dataset: { action: c.active ? 'disable' : 'enable' },
              onclick: async () => { const r = await send(`admin/api-clients/${c.id}`, 'PATCH', { active: !c.active }); if (r) { Object.assign(c, r); draw(); } } },
            t(c.active ? 'con.deactivate' : 'con.activate')), ' ',
            h('a', { href: historyHref(`api_client:${c.id}`) }, t('con.history')))))) : h('p', { class: 'muted empty' }, t('con.none')));

    hooksBox.replaceChildren(h('h2', { id: 'hooks-title' }, t('con.hooks')), h('p', { class: 'muted' }, t('con.hooks_hint')),
      h('button', { type: 'button', class: 'btn', dataset: { action: 'new-hook' }, onclick: newHook }, t('con.new_hook')),
      hooks.length ? scrollTable(t('con.hooks'), ['name', 'url', 'filters', 'actions'].map((c) => t(`con.ic.${c}`)),
        hooks.map((w) => h('tr', { dataset: { hookId: w.id, name: w.name } },
          h('td', null, w.name), h('td', { class: 'mono details' }, w.url),
          h('td', { class: 'mono details' }, [...w.kinds, ...w.states, ...w.categories, ...w.areas].join(sep) || t('con.any')),
          h('td', { class: 'nowrap' },
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'replay' }, onclick: () => replay(w) }, t('con.replay')), ' ',
            h('button', { type: 'button', class: w.active ? 'btn btn-small btn-danger' : 'btn btn-small', dataset: { action: w.active ? 'disable' : 'enable' },
              onclick: async () => { const r = await send(`admin/webhooks/${w.id}`, 'PATCH', { active: !w.active }); if (r) { Object.assign(w, r); draw(); } } },
            t(w.active ? 'con.deactivate' : 'con.activate')))))) : h('p', { class: 'muted empty' }, t('con.none')));

    deadBox.replaceChildren(h('h2', { id: 'dead-title' }, t('con.dead')),
      dead.length ? scrollTable(t('con.dead'), ['retry', 'hook', 'seq', 'kind', 'attempts', 'error', 'time'].map((c) => t(`con.ic.${c}`)),
        dead.map((d) => h('tr', { dataset: { deliveryId: d.delivery_id } },
          h('td', null, h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: 'resend' },
            onclick: async (e) => { e.currentTarget.disabled = true; if (await send(`admin/webhooks/deliveries/${d.delivery_id}/retry`, 'POST')) { dead = dead.filter((x) => x !== d); toast(t('con.queued', { n: 1 })); draw(); } } },
          t('con.resend'))),
          h('td', null, hooks.find((w) => w.id === d.subscriber_id)?.name || String(d.subscriber_id)),
          h('td', null, String(d.event_seq)), h('td', { class: 'mono' }, d.kind), h('td', null, String(d.attempts)),
          h('td', { class: 'mono details' }, `${d.last_status ?? ''} ${d.last_error}`.trim()),
          h('td', { class: 'nowrap' }, beijingTime(d.created_at))))) : h('p', { class: 'muted empty' }, t('con.dead_none')));
  }

  async function newClient() {
    const v = await confirmDialog({ title: t('con.new_client'), confirmText: t('con.save'), fields: [
      { name: 'name', label: t('con.client_name'), required: true },
      { name: 'rate', label: t('con.ic.rate'), type: 'number', min: 1, max: 100000, value: 60 }] });
    if (!v) return;
    const r = await send('admin/api-clients', 'POST', { name: v.name.trim(), rate_per_minute: Number(v.rate) || null });
    if (!r) return;
    once(t('con.key_once', { name: r.name }), r.api_key);
    clients = [...clients, { ...r, api_key: null }];
    draw();
  }

  async function newHook() {
    const v = await confirmDialog({ title: t('con.new_hook'), confirmText: t('con.save'), fields: [
      { name: 'name', label: t('con.ic.name'), required: true },
      { name: 'url', label: t('con.ic.url'), type: 'url', required: true },
      { name: 'kinds', label: t('con.hook_kinds', { kinds: KINDS.join(', ') }) },
      { name: 'categories', label: t('con.hook_categories') },
      { name: 'areas', label: t('con.hook_areas') }] });
    if (!v) return;
    const r = await send('admin/webhooks', 'POST', { name: v.name.trim(), url: v.url.trim(), kinds: splitList(v.kinds),
      categories: splitList(v.categories).map((c) => c.toUpperCase()), areas: splitList(v.areas) });
    if (!r) return;
    once(t('con.secret_once', { name: r.name }), r.secret);
    hooks = [...hooks, { ...r, secret: null }];
    draw();
  }

  async function replay(w) {
    const v = await confirmDialog({ title: `${t('con.replay')} · ${w.name}`, confirmText: t('con.replay'),
      fields: [{ name: 'from_seq', label: t('con.from_seq'), type: 'number', min: 1, required: true, value: 1 }] });
    if (!v) return;
    const r = await send(`admin/webhooks/${w.id}/replay`, 'POST', { from_seq: Number(v.from_seq) });
    if (r) toast(t('con.queued', { n: r.queued }));
  }
}
