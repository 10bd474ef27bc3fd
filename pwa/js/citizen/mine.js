/** 我的上报: reports still in the outbox (待发送 / 发送中 / 失败 / 过期) and the server's list, updated live. */

import { api, photoUrl, session } from '../api.js';
import { lang, t } from '../i18n.js';
import { cachedGet } from '../cache.js';
import { subscribe } from '../live.js';
import { EXPIRE_MS, flushOutbox, listOutbox, onOutboxChange, removeEntry, retryEntry } from '../outbox.js';
import { kvGet, kvSet } from '../store.js';
import { stateBadge } from '../badges.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';
import { toast } from '../toast.js';
import { accountCard, followForm } from './account.js';

/** @returns {Promise<Record<string, string[]>>} every case state as the citizen status it reads as */
export const citizenStates = () => cachedGet('citizen/states');

/**
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderMine(main) {
  const user = session().user;
  const outboxBox = h('section', { class: 'outbox', 'aria-label': t('outbox.title') });
  const listBox = h('ul', { class: 'list cases', 'aria-label': t('nav.mine') });
  main.append(h('h1', null, t('nav.mine')), outboxBox, listBox);
  if (user.role === 'citizen') main.append(followForm(), accountCard()); // staff accounts: managed by an administrator
  let serverIds = new Set();
  const shownState = new Map();
  const states = await citizenStates().catch(() => ({}));

  const drawOutbox = async () => {
    // A sent report shows in the server's list once it is there; a sent task result shows on its case page.
    const entries = (await listOutbox()).filter((e) => e.status !== 'sent' || (e.kind !== 'action' && !serverIds.has(e.result?.id)));
    outboxBox.replaceChildren(...entries.map(outboxItem));
    listBox.querySelector('.empty')?.toggleAttribute('hidden', entries.length > 0);
  };
  const loadList = async () => {
    let page;
    try {
      page = await api('cases?view=mine&page_size=50&sort=created');
      await kvSet(`mine:${user.id}`, page);
    } catch {
      page = (await kvGet(`mine:${user.id}`)) || { items: [] };
    }
    serverIds = new Set(page.items.map((c) => c.id));
    for (const c of page.items) shownState.set(c.id, c.state);
    listBox.replaceChildren(...page.items.map((c) => caseItem(c, user.role === 'citizen' ? states : {})));
    if (!page.items.length) listBox.append(h('li', { class: 'muted empty' }, t('mine.empty')));
    await drawOutbox();
  };
  await loadList();
  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(loadList, 300); };
  const stopOutbox = onOutboxChange(() => {
    drawOutbox();
    soon();
  });
  const stopLive = subscribe([`reporter:${user.id}`], (ev) => {
    // In citizen words (已受理, 处理中 …), never the internal step the event names.
    const word = ev.state && states[ev.state] ? states[ev.state][lang() === 'en' ? 1 : 0] : '';
    if (word && ev.state !== shownState.get(ev.case_id)) toast(`${ev.tracking_no || ''} ${word}`.trim());
    soon();
  }, { onResync: soon });
  const onOnline = () => flushOutbox().then(soon);
  window.addEventListener('online', onOnline);
  return () => {
    stopOutbox();
    stopLive();
    clearTimeout(timer);
    window.removeEventListener('online', onOnline);
  };
}

function outboxItem(e) {
  const leftMs = e.created_at + EXPIRE_MS - Date.now();
  const days = Math.max(0, Math.ceil(leftMs / 86400_000));
  const warn = e.status === 'expired' ? t('outbox.expired_warn')
    : e.status === 'pending' && leftMs < 2 * 86400_000 ? t('outbox.expiring', { days }) : null;
  return h('div', { class: `list-item outbox-item out-item-${e.status}`, dataset: { key: e.key, status: e.status } },
    h('div', { class: 'body' },
      h('div', { class: e.kind === 'action' || !e.fields.description ? 'title' : 'title user-text' }, e.kind === 'action' ? `${t(`task.title.${e.action}`)} · ${e.tracking_no}`
        : e.fields.description || t('outbox.untitled')),
      h('div', { class: 'meta' },
        h('span', { class: `badge out-${e.status}` }, t(`outbox.${e.status}`)),
        h('span', null, formatTime(new Date(e.created_at))),
        h('span', null, t('outbox.photos', { n: e.photos.length })),
        e.result ? h('a', { href: `#/case/${e.result.id}` }, e.result.tracking_no) : null),
      e.status === 'pending' && !warn ? h('p', { class: 'muted small' }, t('outbox.pending_hint')) : null,
      warn ? h('p', { class: 'warn small', role: 'alert' }, warn) : null,
      e.status === 'failed' && e.error ? h('p', { class: 'error small' }, e.error) : null,
      ['failed', 'expired'].includes(e.status) ? h('div', { class: 'btn-row' },
        h('button', { type: 'button', class: 'btn', onclick: () => retryEntry(e.key) }, t('common.retry')),
        h('button', { type: 'button', class: 'btn', onclick: () => removeEntry(e.key) }, t('outbox.delete'))) : null));
}

/**
 * A citizen case's status badge in citizen words.
 * @param {{state: string}} c
 * @param {Record<string, string[]>} states state → [zh, en] citizen status
 * @returns {HTMLElement}
 */
export function citizenBadge(c, states) {
  const word = states[c.state];
  return word ? h('span', { class: 'badge state', dataset: { state: c.state } }, word[lang() === 'en' ? 1 : 0]) : stateBadge(c);
}

function caseItem(c, states) {
  const thumb = c.photos?.find((p) => p.thumb_url);
  const img = thumb ? h('img', { alt: '', width: 56, height: 56 }) : null;
  if (thumb) photoUrl(thumb.thumb_url).then((u) => { img.src = u; }).catch(() => undefined);
  return h('li', null, h('a', { class: 'list-item', href: `#/case/${c.id}`, dataset: { caseId: c.id } },
    img,
    h('div', { class: 'body' },
      h('div', { class: c.description ? 'title user-text' : 'title' }, c.description || c.tracking_no),
      h('div', { class: 'meta' }, citizenBadge(c, states),
        c.following ? h('span', { class: 'badge following' }, t('mine.following')) : h('span', { class: 'badge out-sent' }, t('outbox.sent')),
        h('span', null, c.tracking_no), h('span', null, formatTime(c.created_at))),
      c.rating != null ? h('div', { class: 'meta' }, c.rating ? t('case.satisfied') : t('case.unsatisfied')) : null)));
}
