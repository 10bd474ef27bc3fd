/** Words and times for people: an action's display name, a time in the reader's language. */

import { lang, t } from './i18n.js';

/**
 * Format an ISO time for people: `5月3日 14:05` (or with the year when not this year).
 * @param {string|Date|null} iso
 * @returns {string}
 */
export function formatTime(iso) {
  if (!iso) return '';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const opts = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(lang(), opts).format(d);
}

/**
 * @param {string} action
 * @returns {string} the action's display name
 */
export function actionName(action) {
  const k = `action.${action}`;
  const s = t(k);
  return s === k ? action : s;
}
