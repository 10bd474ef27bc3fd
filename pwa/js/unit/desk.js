/** Shared pieces of the desk screens (unit inbox and command centre): stylesheet, case cards, times, live refresh. */

import './messages.js';
import { pick, t } from '../i18n.js';
import { subscribe } from '../live.js';
import { routeSignal } from '../router.js';
import { lightBadge, stateBadge } from '../badges.js';
import { h } from '../dom.js';

const LIGHT_ORDER = { red: 0, yellow: 1, green: 2 };

/** Add the desk stylesheet once (index.html may already link it; Leaflet's comes with Leaflet, js/map.js). */
export function ensureDeskCss() {
  for (const href of ['/css/desk.css']) {
    if (!document.querySelector(`link[href="${href}"]`)) {
      document.head.append(h('link', { rel: 'stylesheet', href }));
    }
  }
}

/**
 * A duration for people: "2天3小时", "45分钟".
 * @param {number} seconds
 * @returns {string}
 */
export function durationText(seconds) {
  const s = Math.abs(seconds);
  const d = Math.floor(s / 86400);
  const hrs = Math.floor((s % 86400) / 3600);
  const m = Math.max(1, Math.floor((s % 3600) / 60));
  if (d) return t('desk.dur.d', { n: d }) + (hrs ? t('desk.dur.h', { n: hrs }) : '');
  if (hrs) return t('desk.dur.h', { n: hrs }) + t('desk.dur.m', { n: m });
  return t('desk.dur.m', { n: m });
}

/**
 * "剩余 3小时" or "超时 20分钟" from a case's time_left_seconds (null: no clock).
 * @param {number|null|undefined} seconds
 * @returns {string}
 */
export function timeLeftText(seconds) {
  if (seconds === null || seconds === undefined) return t('desk.no_clock');
  return seconds >= 0 ? t('desk.time_left', { t: durationText(seconds) }) : t('desk.overdue_by', { t: durationText(seconds) });
}

/**
 * Order cases red first, then yellow, then green; within a light the least time left first.
 * @param {Array<object>} items
 * @returns {Array<object>} a new sorted array
 */
export function sortByLight(items) {
  const left = (c) => (c.time_left_seconds ?? Number.POSITIVE_INFINITY);
  return [...items].sort((a, b) => (LIGHT_ORDER[a.light] ?? 3) - (LIGHT_ORDER[b.light] ?? 3) || left(a) - left(b) || b.id - a.id);
}

/**
 * Count cases per light.
 * @param {Array<{light: string}>} items
 * @returns {{green: number, yellow: number, red: number}}
 */
export function lightCounts(items) {
  const counts = { green: 0, yellow: 0, red: 0 };
  for (const c of items) if (c.light in counts) counts[c.light] += 1;
  return counts;
}

/**
 * 重点: the city lets this many followers raise a case (a runtime setting); the count says why.
 * @param {object} c a case as staff see it
 * @returns {HTMLElement|null}
 */
export function priorityBadge(c) {
  return c.priority ? h('span', { class: 'badge badge-priority', title: t('case.priority_why', { n: c.followers }) },
    t('case.priority')) : null;
}

/**
 * One case as a clickable card for a list.
 * @param {object} c a case from the list API
 * @param {string} href where a click goes
 * @param {{fresh?: boolean, extra?: Node|Node[]}} [opts] fresh marks a case that just arrived live
 * @returns {HTMLElement}
 */
export function caseCard(c, href, { fresh = false, extra = null } = {}) {
  const withClock = c.time_left_seconds !== null && c.time_left_seconds !== undefined;
  return h('article', { class: `desk-card light-edge-${withClock ? c.light : 'none'}${fresh ? ' fresh' : ''}`,
    dataset: { caseId: c.id, tracking: c.tracking_no, state: c.state } },
  h('a', { class: 'desk-card-link', href },
    h('div', { class: 'desk-card-head' },
      h('span', { class: 'tracking' }, c.tracking_no),
      fresh ? h('span', { class: 'badge badge-new' }, t('desk.new_live')) : null,
      priorityBadge(c),
      stateBadge(c),
      withClock ? lightBadge(c.light) : null),
    h('div', { class: 'desk-card-body' },
      h('strong', null, pick(c, 'category_name') || t('desk.unclassified')),
      h('p', { class: 'muted clamp user-text' }, c.description || c.address || ''),
      c.place_text ? h('p', { class: 'small place-line' }, c.place_text) : null,
      h('div', { class: 'desk-card-meta small' },
        withClock ? h('span', { class: `time-left ${c.time_left_seconds < 0 ? 'over' : ''}` }, timeLeftText(c.time_left_seconds)) : null,
        c.unit ? h('span', null, pick(c.unit, 'name')) : null,
        c.responsibility_grid ? h('span', null, `${t('desk.grid')} ${c.responsibility_grid}`) : null,
        c.rework_count ? h('span', { class: 'warn' }, t('desk.rework', { n: c.rework_count })) : null,
        c.followers ? h('span', { class: 'followers' }, t('case.followers', { n: c.followers })) : null))),
  extra ? h('div', { class: 'desk-card-actions' }, extra) : null);
}

/**
 * Call fn at most once per `ms` after the last call.
 * @param {Function} fn
 * @param {number} ms
 * @returns {Function}
 */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * Reload a screen whenever an event arrives for the topics (debounced), or when the server asks for a resync.
 * @param {string[]} topics
 * @param {(event: object|null) => void} reload
 * @returns {() => void} stop listening
 */
export function liveReload(topics, reload) {
  const events = [];
  const run = debounce(() => reload(events.splice(0)), 250);
  return subscribe(topics, (e) => { events.push(e); run(); }, { onResync: () => run() });
}

/**
 * Whether the user is still on the page that called this, so that an answer arriving after they left is not drawn
 * over the next page. Call it at the start of a render, before any await: it follows that render's navigation (a
 * filter kept in the hash with history.replaceState is no navigation; going elsewhere, or to the same page with
 * another query through the router, is).
 * @returns {() => boolean}
 */
export function stillHere() {
  const signal = routeSignal();
  return () => !signal.aborted;
}

/**
 * A page heading with an optional back link.
 * @param {string} title
 * @param {{back?: [string, string], sub?: string}} [opts] back: [hash, label]
 * @returns {HTMLElement}
 */
export function pageHead(title, { back, sub } = {}) {
  return h('div', { class: 'desk-head' },
    back ? h('a', { class: 'back-link', href: back[0] }, `‹ ${back[1]}`) : null,
    h('h1', null, title),
    sub ? h('p', { class: 'muted small' }, sub) : null);
}

/**
 * @param {object} c
 * @returns {string} the state in the current language
 */
export function stateName(c) {
  return pick(c, 'state') || t(`state.${c.state}`);
}
