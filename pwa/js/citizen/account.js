/** 账号与隐私 on 我的上报 (PIPL): download everything the city holds about me, or delete my account. */

import { api, apiUrl, clearSession, parseResponse, session } from '../api.js';
import { t } from '../i18n.js';
import { reconnect } from '../live.js';
import { listOutbox, removeEntry } from '../outbox.js';
import { db } from '../store.js';
import { confirmDialog, h, toast } from '../ui.js';

/**
 * The account card: 下载我的数据 and 注销账号, for account holders and anonymous devices alike.
 * @returns {HTMLElement}
 */
export function accountCard() {
  const user = session().user;
  const download = h('button', { type: 'button', class: 'btn', id: 'download-data' }, t('account.download'));
  download.addEventListener('click', async () => {
    download.disabled = true;
    try {
      await downloadData();
      toast(t('account.downloaded'), 'ok');
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      download.disabled = false;
    }
  });
  return h('section', { class: 'card account', 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title' }, t('account.title')),
    h('p', { class: 'muted small' }, t('account.hint')),
    h('div', { class: 'btn-row' },
      download,
      h('button', { type: 'button', class: 'btn btn-danger', id: 'delete-account', onclick: () => deleteAccount(user) },
        t('account.delete'))));
}

/** Fetch the JSON document of my data and hand it to the browser as a file. */
async function downloadData() {
  let res;
  try {
    res = await fetch(apiUrl('me/data'), { headers: { Authorization: `Bearer ${session().token}` } });
  } catch {
    throw new Error(t('error.network'));
  }
  if (!res.ok) await parseResponse(res, true); // throws the server's message
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || 'suishoupai-my-data.json';
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Explain what stays and what goes, confirm (with the password for an account), delete, then forget this account on
 * this phone: its credential, cached cases and unsent reports.
 * @param {{id: number, anonymous: boolean}} user
 */
async function deleteAccount(user) {
  const answer = await confirmDialog({
    title: t('account.delete_title'),
    message: t(user.anonymous ? 'account.delete_explain_device' : 'account.delete_explain'),
    confirmText: t('account.delete_confirm'),
    danger: true,
    fields: user.anonymous ? undefined : [{ name: 'password', label: t('account.password'), type: 'password', required: true }],
  });
  if (!answer) return;
  try {
    await api('me', { method: 'DELETE', json: user.anonymous ? { confirm: true } : { password: answer.password } });
  } catch (err) {
    toast(err.message, 'error');
    return;
  }
  await forget(user);
  toast(t('account.deleted'), 'ok');
  reconnect();
  globalThis.dispatchEvent(new CustomEvent('ssp:unauthorised')); // the shell redraws and shows the login page
}

async function forget(user) {
  for (const e of await listOutbox()) await removeEntry(e.key); // this user's unsent reports (they hold photos)
  const d = await db();
  const device = await d.get('kv', 'device');
  if (device?.user?.id === user.id) await d.delete('kv', 'device');
  for (const key of await d.getAllKeys('kv')) {
    if (/^(case|mine):/.test(String(key))) await d.delete('kv', key);
  }
  await clearSession();
}
