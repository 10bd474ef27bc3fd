/** 账号与隐私 on 我的上报 (PIPL): download everything the city holds about me, or delete my account. */

import { api, apiUrl, clearSession, parseResponse, session } from '../api.js';
import { registerMessages, t } from '../i18n.js';
import { reconnect } from '../live.js';
import { listOutbox, removeEntry } from '../outbox.js';
import { db } from '../store.js';
import { confirmDialog } from '../dialog.js';
import { h } from '../dom.js';
import { toast } from '../toast.js';

registerMessages('zh-CN', {
  'follow.title': '关注在另一部手机上报的问题', 'follow.hint': '在上报的那部手机上打开该上报，可看到案件编号和关注码。',
  'follow.tracking': '案件编号', 'follow.code': '关注码', 'follow.submit': '关注', 'follow.done': '已关注，进度会通知到这部手机',
  'me.title': '我的', 'me.anonymous': '您正在匿名使用随手拍', 'me.anonymous_hint': '上报记录保存在这部手机的匿名凭证中。有账号的市民也可以登录，匿名上报仍保留在本机。',
  'me.login': '使用账号登录', 'mine.following': '关注中',
});
registerMessages('en', {
  'follow.title': 'Follow a report made on another phone', 'follow.hint': 'On the phone you reported with, open the report: it shows the tracking number and the follow code.',
  'follow.tracking': 'Tracking number', 'follow.code': 'Follow code', 'follow.submit': 'Follow', 'follow.done': 'Followed: news of it comes to this phone',
  'me.title': 'Me', 'me.anonymous': 'You are using Suishoupai without an account', 'me.anonymous_hint': 'Your reports are kept with this phone\'s anonymous credential. Citizens with an account can log in too; the anonymous reports stay on this phone.',
  'me.login': 'Log in with an account', 'mine.following': 'Following',
});

/**
 * Follow a report from another phone: its tracking number and follow code, sent in the request body (never the URL).
 * @returns {HTMLElement}
 */
export function followForm() {
  const tracking = h('input', { id: 'follow-tracking', name: 'tracking_no', required: true, autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', maxlength: 20, pattern: '[A-Za-z0-9-]{6,20}' });
  const code = h('input', { id: 'follow-code', name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', maxlength: 12, minlength: 4 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('follow.submit'));
  const form = h('form', { class: 'card follow-form', 'aria-labelledby': 'follow-title' },
    h('h2', { id: 'follow-title' }, t('follow.title')),
    h('p', { class: 'muted small' }, t('follow.hint')),
    h('div', { class: 'field' }, h('label', { for: 'follow-tracking' }, t('follow.tracking')), tracking),
    h('div', { class: 'field' }, h('label', { for: 'follow-code' }, t('follow.code')), code),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    try {
      const { case_id: id } = await api('citizen/follows', { method: 'POST',
        json: { tracking_no: tracking.value.trim(), code: code.value.trim() } });
      toast(t('follow.done'), 'ok');
      location.hash = `#/case/${id}`;
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/**
 * 我的 for a citizen: who they are here (anonymous or their account), follow from another phone, data and account.
 * @param {HTMLElement} main
 */
export function renderMe(main) {
  const user = session().user;
  main.append(h('h1', null, t('me.title')),
    user.anonymous ? h('section', { class: 'card' },
      h('h2', null, t('me.anonymous')), h('p', { class: 'muted small' }, t('me.anonymous_hint')),
      h('button', { type: 'button', class: 'btn btn-block', id: 'me-login', onclick: async () => {
        await clearSession(); // the device credential stays: its reports come back when reporting anonymously again
        reconnect();
        globalThis.dispatchEvent(new CustomEvent('ssp:unauthorised'));
      } }, t('me.login'))) : null,
    followForm(), accountCard());
}

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
