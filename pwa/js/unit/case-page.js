/** One case for desk staff: photos, map, filing condition and time limit, the actions allowed now, the timeline; live. */

import { api } from '../api.js';
import { lang, paren, pick, t } from '../i18n.js';
import { onOutboxChange, removeEntry } from '../outbox.js';
import { kvGet, kvSet } from '../store.js';
import { lightBadge, renderTimeline, stateBadge } from '../badges.js';
import { h, spinner } from '../dom.js';
import { actionName, formatTime } from '../format.js';
import { renderPhotos } from '../photo-view.js';
import { toast } from '../toast.js';
import { actionPanel, queuedActions, queuedPanel } from './actions.js';
import { ensureDeskCss, liveReload, pageHead, priorityBadge, stillHere, timeLeftText } from './desk.js';
import { caseMap } from './case-map.js';
import { categoryByCode } from './pickers.js';

/**
 * Render a case page into `main` and keep it live.
 * @param {HTMLElement} main
 * @param {number} id
 * @param {{back: [string, string], panels?: Array<(c: object, reload: (c?: object) => void) => (Node|null)>,
 *          skip?: (c: object) => string[]}} opts panels: extra sections (the centre's triage, duplicate, dispatch)
 *          shown above the actions; skip: actions those panels already offer; field: navigation under the map
 * @returns {Promise<() => void>} cleanup
 */
export async function renderCasePage(main, id, { back, panels = [], skip = () => [], field = false }) {
  ensureDeskCss();
  main.append(spinner());
  let disposeMap = () => {};
  let shown = -1;
  let drawn = -1; // the version on the page
  let current = null; // the case as last drawn
  let queuedShown = ''; // the statuses of this case's queued actions as last drawn
  const here = stillHere();
  const show = async (c) => {
    // A live reload's GET may finish after an action's own answer: never go back to an older version.
    if (c.version < shown || !here()) return;
    shown = c.version;
    current = c;
    const formBefore = main.querySelector('.action-form');
    const queued = (await queuedActions(c.id)).filter((e) => e.status !== 'sent');
    if (c.version < shown || !here()) return;
    // The same case again (an action's answer and its outbox entry both bring it) never closes a form the person
    // opened while this was on its way; a newer version, or the form that asked for this redraw, does.
    const formNow = main.querySelector('.action-form');
    if (formNow && formNow !== formBefore && c.version <= drawn) return;
    queuedShown = JSON.stringify(queued.map((e) => [e.key, e.status]));
    disposeMap();
    const left = h('div', { class: 'desk-col' }, infoPanel(c), photosPanel(c), h('section', { class: 'desk-panel' },
      h('h2', null, t('desk.section.map')), h('div', { class: 'case-map', id: 'case-map' })));
    const right = h('div', { class: 'desk-col' },
      panels.map((p) => p(c, reload)).filter(Boolean),
      queuedPanel(queued),
      // An action waiting in the outbox is not offered again: its answer redraws the page.
      actionPanel(c, { onDone: (updated) => show(updated || current),
        skip: [...skip(c), ...queued.filter((e) => e.status !== 'failed').map((e) => e.action)] }),
      h('section', { class: 'desk-panel' }, h('h2', null, t('case.timeline')), renderTimeline(c)));
    main.replaceChildren(
      h('div', { class: 'desk-page case-page', dataset: { caseId: c.id, state: c.state } },
        pageHead(c.tracking_no, { back }),
        h('div', { class: 'case-badges' }, stateBadge(c),
          c.time_left_seconds !== null ? lightBadge(c.light) : null,
          c.time_left_seconds !== null ? h('span', { class: 'time-left' }, timeLeftText(c.time_left_seconds)) : null,
          c.urgent ? h('span', { class: 'badge badge-urgent' }, t('desk.urgent')) : null, priorityBadge(c),
          c.followers ? h('span', { class: 'followers small' }, t('case.followers', { n: c.followers })) : null),
        h('div', { class: 'desk-case-grid' }, right, left)));
    drawn = c.version;
    disposeMap = await caseMap(main.querySelector('#case-map'), c, field).catch(() => () => {});
  };
  // Someone filling a form keeps it: the next action reloads anyway. Asked again once the GET is back, since the
  // person may have opened a form while it was on its way.
  const busy = () => Boolean(main.querySelector('.action-form'));
  const reload = async (known) => {
    if (known) return show(known);
    if (busy()) return;
    const c = await api(`cases/${id}`);
    if (!busy()) await show(c);
  };
  await show(await loadCase(id));
  const stop = liveReload([`case:${id}`], () => reload().catch(() => {}));
  // A queued action sent later (the signal came back, or the service worker sent it): its answer redraws the page.
  const delivered = new Set(); // change events come in bursts: each answer is shown once
  const stopOutbox = onOutboxChange(async () => {
    const queued = await queuedActions(id);
    for (const e of queued.filter((q) => q.status === 'sent' && !delivered.has(q.key))) {
      delivered.add(e.key);
      await removeEntry(e.key);
      toast(t('desk.outbox.sent', { action: actionName(e.action) }), 'ok');
      if (e.result?.case) await show(e.result.case);
    }
    const waiting = queued.filter((e) => e.status !== 'sent' && !delivered.has(e.key));
    if (current && !busy() && JSON.stringify(waiting.map((e) => [e.key, e.status])) !== queuedShown) await show(current);
  });
  return () => { stop(); stopOutbox(); disposeMap(); };
}

/** The case from the server, kept on the device for a page opened again without signal (as the field often is). */
async function loadCase(id) {
  try {
    const c = await api(`cases/${id}`);
    await kvSet(`desk-case:${id}`, c);
    return c;
  } catch (err) {
    const kept = err.status === 0 ? await kvGet(`desk-case:${id}`) : null;
    if (!kept) throw err;
    toast(t('case.offline_copy'), 'info');
    return kept;
  }
}

function row(label, value) {
  if (value === null || value === undefined || value === '') return null;
  return [h('dt', null, label), h('dd', null, value)];
}

function infoPanel(c) {
  const filing = h('dd', { class: 'filing-condition' }, '…');
  categoryByCode(c.category_code).then((cat) => {
    filing.textContent = pick(cat?.standards?.[c.standard_index], 'filing_condition') || '—';
  });
  return h('section', { class: 'desk-panel case-info' },
    h('h2', null, t('desk.section.info')),
    h('dl', { class: 'facts' },
      row(t('case.category'), c.category_code ? `${pick(c, 'category_name')}${paren(c.category_code)}` : '—'),
      c.category_code ? [h('dt', null, t('desk.filing_condition')), filing] : null,
      row(t('desk.time_limit'), c.time_limit ? `${pick(c, 'time_limit')}${c.urgent ? ` · ${t('desk.urgent')}` : ''}` : null),
      row(t('desk.due_at'), c.due_at ? formatTime(c.due_at) : null),
      row(t('case.unit'), pick(c.unit, 'name')),
      row(t('case.description'), c.description ? h('span', { class: 'user-text' }, c.description) : null),
      row(t('case.place'), c.place_text ? h('span', { class: 'place-text' }, c.place_text) : null),
      row(t(c.place_text ? 'case.reported_address' : 'case.address'), c.address !== c.place_text ? c.address : null),
      row(t('desk.grid'), [c.responsibility_grid, c.unit_grid].filter(Boolean).join(' · ')),
      row(t('desk.source'), t(`desk.source.${c.source}`)),
      row(t('case.created'), formatTime(c.created_at)),
      row(t('desk.flags'), (c.flags || []).map(flagText).join(lang() === 'en' ? ', ' : '、')),
      row('', [c.rework_count ? t('desk.rework', { n: c.rework_count }) : '', c.return_count ? t('desk.returns', { n: c.return_count }) : '']
        .filter(Boolean).join(' · '))));
}

function photosPanel(c) {
  if (!c.photos?.length) return null;
  return h('section', { class: 'desk-panel' }, h('h2', null, t('case.photos')), renderPhotos(c.photos));
}

/** A flag's label, or its code when this version has no label for it yet. */
function flagText(flag) {
  const text = t(`flag.${flag}`);
  return text === `flag.${flag}` ? flag : text;
}
