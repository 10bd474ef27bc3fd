/** Bulk user import on the users screen: pick a CSV/XLSX file, see the check, confirm, get the initial passwords once. */

import { ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { errorBox } from './nav.js';
import { importReport, saveBlob, sendFile } from './data.js';

/**
 * Open the import panel in `panel`.
 * @param {HTMLElement} panel where the check and the result are shown
 * @param {() => Promise<void>} onImported reloads the user list
 */
export function openUserImport(panel, onImported) {
  const file = h('input', { type: 'file', name: 'users-file', accept: '.csv,.xlsx' });
  const out = h('div', { class: 'data-result', 'aria-live': 'polite' });
  file.addEventListener('change', () => check());
  panel.replaceChildren(h('section', { class: 'user-import' },
    h('h2', null, t('data.users_title')), h('p', { class: 'hint' }, t('data.users_hint')),
    h('label', null, t('data.file'), file),
    h('button', { type: 'button', class: 'btn', onclick: () => panel.replaceChildren() }, t('data.close')), out));

  async function run(dryRun) {
    out.replaceChildren(spinner());
    try {
      return await sendFile('users/import', file.files[0], dryRun);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      out.replaceChildren(errorBox(err));
      return null;
    }
  }

  async function check() {
    if (!file.files?.[0]) return;
    const answer = await run(true);
    if (!answer) return;
    if (!answer.ok || answer.report.problems.length) {
      out.replaceChildren(importReport(answer.report));
      return;
    }
    out.replaceChildren(h('p', { class: 'admin-ok', role: 'status' }, t('data.users_ready', { n: answer.report.rows })),
      h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'confirm-import' }, onclick: () => apply() },
        t('data.users_confirm', { n: answer.report.rows })));
  }

  async function apply() {
    const answer = await run(false);
    if (!answer) return;
    if (!answer.ok) {
      out.replaceChildren(importReport(answer.report));
      return;
    }
    const created = answer.report.created;
    const csv = `\ufeffusername,role,initial_password\r\n${created.map((c) => `${c.username},${c.role},${c.initial_password}`).join('\r\n')}\r\n`;
    out.replaceChildren(h('p', { class: 'admin-ok', role: 'status' }, t('data.users_done', { n: created.length })),
      h('p', { class: 'hint' }, t('data.users_once')),
      h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'download-passwords' },
        onclick: () => saveBlob(new Blob([csv], { type: 'text/csv' }), 'initial-passwords.csv') }, t('data.users_download')),
      h('table', { class: 'admin-table' }, h('thead', null, h('tr', null, ['username', 'role', 'password'].map((c) => h('th', null, t(`data.col.${c}`))))),
        h('tbody', null, created.map((c) => h('tr', null, h('td', { class: 'mono' }, c.username), h('td', null, t(`role.${c.role}`)),
          h('td', { class: 'mono secret' }, c.initial_password))))));
    toast(t('data.users_done', { n: created.length }));
    await onImported();
  }
}
