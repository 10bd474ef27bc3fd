/** The case page for citizens and supervisors: facts, photos, timeline (live), and what the caller may do now. */

import { api, newKey, session } from './api.js';
import { paren, pick, t } from './i18n.js';
import { subscribe } from './live.js';
import { enqueueAction, listOutbox, onOutboxChange, removeEntry } from './outbox.js';
import { preparePhoto } from './photos.js';
import { kvGet, kvSet } from './store.js';
import { icon } from './icons.js';
import { citizenFacts, citizenPhotos, citizenTimeline, followCard } from './citizen/case-view.js';
import { lightBadge, renderTimeline, stateBadge } from './badges.js';
import { confirmDialog } from './dialog.js';
import { h } from './dom.js';
import { actionName, formatTime } from './format.js';
import { renderPhotos } from './photo-view.js';
import { toast } from './toast.js';

const RESULTS = { verify: ['confirmed', 'not_confirmed'], check: ['pass', 'fail'] };

/**
 * Render a case and keep it live.
 * @param {HTMLElement} main
 * @param {{id: string}} params
 * @returns {Promise<() => void>} cleanup
 */
export async function renderCase(main, { id }) {
  const box = h('div', { class: 'case-page' }, h('p', { class: 'loading' }, t('common.loading')));
  main.append(h('a', { href: session()?.user.role === 'supervisor' ? '#/tasks' : '#/mine', class: 'btn btn-ghost back' },
    '‹ ', t('common.back')), box);
  let warned = false; // one "offline copy" toast per visit, however often the page redraws
  let shown = ''; // the statuses of this case's queued results as last drawn
  let following = ''; // a citizen following this case (not its reporter): nearby | device
  const queuedHere = async () => (await listOutbox()).filter((e) => e.kind === 'action' && e.case_id === Number(id));
  const load = async () => {
    let c;
    const queued = await queuedHere();
    shown = JSON.stringify(queued.map((e) => e.status));
    let words = null;
    try {
      c = await api(`cases/${id}`);
      // A citizen reads their case in citizen words (status, expected completion, category without its code).
      if (c.view === 'reporter') words = await api(`citizen/cases/${id}/status`).catch(() => null);
      await kvSet(`case:${id}`, { ...c, words });
      warned = false;
    } catch (err) {
      c = await kvGet(`case:${id}`);
      if (!c) {
        box.replaceChildren(h('p', { class: 'error' }, err.message));
        return;
      }
      words = c.words || null;
      if (!warned) toast(t('case.offline_copy'), 'info');
      warned = true;
    }
    following = c.following || '';
    box.replaceChildren(...(c.view === 'reporter' ? drawForCitizen(c, words, load, queued) : draw(c, load, queued)));
  };
  await load();
  const stopOutbox = onOutboxChange(async () => {
    // Redraw when one of this case's queued results changes status (e.g. 待发送 → 已发送 when the signal returns).
    if (JSON.stringify((await queuedHere()).map((e) => e.status)) !== shown) load();
  });
  // A follower may not watch someone else's case: they hear of it on their own topic (the recorder adds it to the
  // case's events). The reporter and staff watch the case. A citizen's page redraws in citizen words, no toast of
  // the internal step.
  const me = session()?.user;
  const citizen = me?.role === 'citizen';
  const stopLive = subscribe([following ? `reporter:${me.id}` : `case:${id}`], (ev) => {
    if (following && ev.case_id !== Number(id)) return;
    if (!citizen && (ev.text_zh || ev.text_en)) toast(pick(ev, 'text'), 'info');
    load();
  }, { onResync: load });
  return () => {
    stopOutbox();
    stopLive();
  };
}

function draw(c, reload, queued) {
  const can = new Map((c.actions || []).map((a) => [a.action, a]));
  return [
    h('section', { class: 'card' },
      h('div', { class: 'case-head' },
        h('h1', { class: 'tracking-title' }, c.tracking_no),
        h('div', { class: 'btn-row badges' }, stateBadge(c), c.light && c.light !== 'none' ? lightBadge(c.light) : null,
          c.priority ? h('span', { class: 'badge badge-priority' }, t('case.priority')) : null)),
      h('dl', { class: 'facts' },
        h('dt', null, t('case.category')), h('dd', { class: 'category' }, c.category_name ? `${pick(c, 'category_name')}${paren(c.category_code)}` : t('case.unclassified')),
        c.place_text ? [h('dt', null, t('case.place')), h('dd', { class: 'place-text' }, c.place_text)] : null,
        c.address && c.address !== c.place_text ? [h('dt', null, t('case.address')), h('dd', null, c.address)] : null,
        h('dt', null, t('case.created')), h('dd', null, formatTime(c.created_at)),
        // A citizen's view names only the unit (unit_name); staff get the unit record.
        c.unit_name || c.unit ? [h('dt', null, t('case.unit')), h('dd', null, pick(c, 'unit_name') || pick(c.unit, 'name'))] : null,
        c.due_at ? [h('dt', null, t('case.due')), h('dd', null, formatTime(c.due_at))] : null,
        c.followers ? [h('dt', null, t('case.followers_title')), h('dd', { class: 'followers' }, t('case.followers', { n: c.followers }))] : null),
      c.description ? h('p', { class: 'desc' }, c.description) : null,
      c.merged ? h('p', { class: 'muted merged' }, t('case.merged')) : null),
    c.photos?.length ? h('section', { class: 'card' }, h('h2', null, t('case.photos')), renderPhotos(c.photos)) : null,
    actionsCard(c, can, reload, queued),
    h('section', { class: 'card' }, h('h2', null, t('case.timeline')), renderTimeline(c)),
  ].filter(Boolean);
}

function drawForCitizen(c, words, reload, queued) {
  const can = new Map((c.actions || []).map((a) => [a.action, a]));
  return [citizenFacts(c, words), citizenPhotos(c), actionsCard(c, can, reload, queued), followCard(c, words),
    citizenTimeline(c, words)].filter(Boolean);
}

function actionsCard(c, can, reload, queued) {
  const parts = queued.map(queuedResult);
  for (const action of ['verify', 'check']) {
    const waiting = queued.some((e) => e.action === action && e.status !== 'sent');
    if (can.has(action) && !waiting) parts.push(taskForm(c, action, reload));
  }
  // The rating shows after it is given (once only), so the citizen can see what they said.
  if (c.rating != null) {
    parts.push(h('div', { class: 'rate rated' }, h('h2', null, t('case.rated', { r: t(c.rating ? 'case.satisfied' : 'case.unsatisfied') })),
      c.rating_comment ? h('p', { class: 'muted' }, c.rating_comment) : null));
  } else if (can.has('rate')) {
    parts.push(h('div', { class: 'rate' }, h('h2', null, t('case.rate_q')),
      h('div', { class: 'rating' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => rate(c, true, reload) }, icon('up'), t('case.satisfied')),
        h('button', { type: 'button', class: 'btn', onclick: () => rate(c, false, reload) }, icon('down'), t('case.unsatisfied')))));
  }
  if (can.has('reopen')) {
    parts.push(h('button', { type: 'button', class: 'btn btn-block', onclick: () => reopen(c, reload) }, actionName('reopen')));
  }
  return parts.length ? h('section', { class: 'card actions' }, parts) : null;
}

async function act(c, action, body, reload) {
  try {
    await api(`cases/${c.id}/actions/${action}`, { method: 'POST', json: body, idempotencyKey: newKey() });
    toast(t('case.done', { action: actionName(action) }), 'ok');
    await reload();
    return true;
  } catch (err) {
    toast(err.message, 'error');
    return false;
  }
}

async function rate(c, satisfied, reload) {
  const v = await confirmDialog({ title: satisfied ? t('case.satisfied') : t('case.unsatisfied'),
    fields: [{ name: 'comment', label: t('case.comment'), type: 'textarea' }], confirmText: t('case.send_rating') });
  if (v) await act(c, 'rate', { satisfied, comment: v.comment || '' }, reload);
}

async function reopen(c, reload) {
  const v = await confirmDialog({ title: actionName('reopen'), message: t('case.reopen_hint'),
    fields: [{ name: 'reason', label: t('case.reason'), type: 'textarea', required: true }] });
  if (v) await act(c, 'reopen', { reason: v.reason }, reload);
}

/** Verify (核实) or check (核查) on site: result, at least one photo, a note. */
function taskForm(c, action, reload) {
  const photos = [];
  const shots = h('div', { class: 'shots' });
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: `task-photo-${action}`,
    'aria-label': t('task.photo') });
  const note = h('textarea', { id: `task-note-${action}`, rows: 2 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-big' }, actionName(action));
  const draw = () => shots.replaceChildren(...photos.map((p, i) => h('div', { class: 'shot' },
    h('img', { src: p.preview, alt: t('report.photo_n', { n: i + 1 }) }))));
  input.addEventListener('change', async () => {
    for (const f of input.files) if (photos.length < 4) photos.push(await preparePhoto(f));
    input.value = '';
    draw();
  });
  const form = h('form', { class: `task-form task-${action}` },
    h('h2', null, t(`task.title.${action}`)),
    h('fieldset', { class: 'field' }, h('legend', null, t('task.result')),
      RESULTS[action].map((r, i) => h('label', { class: 'radio' },
        h('input', { type: 'radio', name: 'result', value: r, checked: i === 0 }), t(`result.${r}`)))),
    h('label', { class: 'btn btn-accent btn-big file-btn btn-block', for: `task-photo-${action}` }, icon('camera', 26), t('task.photo'), input),
    shots,
    h('div', { class: 'field' }, h('label', { for: `task-note-${action}` }, t('task.note')), note),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!photos.length) return toast(t('task.need_photo'), 'error');
    submit.disabled = true;
    try {
      // Through the outbox, like a report: on site there is often no signal.
      const key = newKey();
      const body = { result: new FormData(form).get('result'), note: note.value.trim() };
      const entry = await enqueueAction(c, action, body, photos.map(({ name, type, data }) => ({ name, type, data })), key);
      if (entry.status === 'failed') {
        await removeEntry(key); // refused (e.g. the task moved on): say why instead of keeping it
        toast(entry.error, 'error');
        return;
      }
      toast(entry.status === 'sent' ? t('case.done', { action: actionName(action) }) : t('task.queued'),
        entry.status === 'sent' ? 'ok' : 'info');
      await reload();
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** A task result waiting in the outbox (待发送 / 发送中 / 已发送 / 失败 / 过期). */
function queuedResult(e) {
  return h('div', { class: `queued-result out-item-${e.status}`, dataset: { key: e.key, status: e.status } },
    h('h2', null, t(`task.title.${e.action}`), ' ', h('span', { class: `badge out-${e.status}` }, t(`outbox.${e.status}`))),
    h('p', { class: 'small' }, `${t(`result.${e.fields.result}`)} · ${t('outbox.photos', { n: e.photos.length })}`),
    e.status === 'pending' ? h('p', { class: 'muted small' }, t('outbox.pending_hint')) : null,
    e.error && e.status !== 'pending' ? h('p', { class: 'error small' }, e.error) : null,
    e.status === 'sent' || e.status === 'failed' || e.status === 'expired'
      ? h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => removeEntry(e.key) }, t(e.status === 'sent' ? 'common.close' : 'outbox.delete'))
      : null);
}
