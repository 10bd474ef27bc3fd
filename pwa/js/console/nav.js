/** The admin area's own navigation and the pieces its screens share: Beijing times and scrolling tables. */

import { lang, t } from '../i18n.js';
import { h } from '../dom.js';
import './messages-city.js';

/**
 * @param {'calendar'|'audit'|'jobs'|'users'|'units'|'rules'|'interop'|'data'|'categories'|'grids'|'components'|'settings'} current
 * @returns {HTMLElement}
 */
export function adminNav(current) {
  const items = [['calendar', '#/admin', 'admin.calendar'], ['users', '#/admin/users', 'admin.users'],
    ['units', '#/admin/units', 'admin.units'], ['rules', '#/admin/rules', 'admin.rules'],
    ['categories', '#/admin/categories', 'city.categories'], ['grids', '#/admin/grids', 'city.grids'],
    ['components', '#/admin/components', 'city.components'], ['settings', '#/admin/settings', 'city.settings'],
    ['interop', '#/admin/interop', 'admin.interop'], ['audit', '#/admin/audit', 'admin.audit'], ['jobs', '#/admin/jobs', 'admin.jobs'],
    ['data', '#/admin/data', 'admin.data']];
  const nav = h('nav', { class: 'centre-nav', 'aria-label': t('admin.title') },
    items.map(([key, href, label]) => h('a', { href, class: 'centre-nav-link', 'aria-current': key === current ? 'page' : null }, t(label))));
  // On a phone the tabs scroll sideways: bring the current one into view once the page is laid out.
  requestAnimationFrame(() => nav.querySelector('[aria-current=page]')?.scrollIntoView({ block: 'nearest', inline: 'center' }));
  return nav;
}

/**
 * A time as the city reads it (Asia/Shanghai), to the second: `2026-12-04 14:05:09`.
 * @param {string|null} iso
 * @returns {string}
 */
export function beijingTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  // Swedish writes dates as ISO does: 2026-12-04 14:05:09.
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

/**
 * A table in a box that scrolls sideways on a phone, reachable and scrollable with the keyboard.
 * @param {string} label what the table lists (for screen readers)
 * @param {string[]} headings column headings
 * @param {HTMLElement[]} rows `tr` elements
 * @returns {HTMLElement}
 */
export function scrollTable(label, headings, rows) {
  return h('div', { class: 'table-scroll', role: 'region', tabindex: '0', 'aria-label': label },
    h('table', { class: 'admin-table' },
      h('thead', null, h('tr', null, headings.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows)));
}

/**
 * A server's error in the current language, with a list of its per-line reasons when it sent any.
 * @param {{message: string, details?: {errors?: Array<object>}}} err an ApiError
 * @returns {HTMLElement}
 */
export function errorBox(err) {
  const lines = err.details?.errors || [];
  return h('div', { class: 'admin-error', role: 'alert' },
    h('p', { class: 'error' }, err.message),
    lines.length ? h('ul', { class: 'line-errors' }, lines.map((e) => h('li', { dataset: { line: e.line, field: e.field } },
      h('strong', null, e.line ? t('admin.line', { n: e.line }) : t('admin.whole_file')),
      ` · ${t('admin.field_sep', { field: t(`admin.${['date', 'type', 'name'].includes(e.field) ? 'cal.col' : 'field'}.${e.field}`) })}`,
      lang() === 'en' ? e.reason_en : e.reason_zh))) : null);
}
