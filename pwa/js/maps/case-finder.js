/** Staff's case finder: the gazetteer's search box (names, pinyin, initials, typos; tracking numbers too, for staff)
 * turned into a case filter — an area by its code, a road or landmark by the place name stored with each case. */

import { t } from '../i18n.js';
import { h } from '../dom.js';
import './messages.js';
import { placeSearch } from './place-search.js';
import { ensureStyles } from './styles.js';

const AREA_KINDS = new Set(['district', 'street', 'community', 'responsibility_grid', 'unit_grid']);

/**
 * The list filter a picked place stands for: `area` (a code the case list filters on) or `q` (a tracking number, or a
 * name matched against the stored place names).
 * @param {{kind: string, code: string, name: string, context: string}} p
 * @returns {{area: string, q: string}}
 */
export function filterFor(p) {
  if (AREA_KINDS.has(p.kind)) return { area: p.code, q: '' };
  if (p.kind === 'case') return { area: '', q: p.code };
  if (p.kind === 'component') return { area: '', q: (p.context || '').split(' · ')[0] || p.name };
  return { area: '', q: p.name };
}

/**
 * @param {{onQuery: (filter: {area: string, q: string}, label: string) => void}} opts
 * @returns {HTMLElement}
 */
export function caseFinder({ onQuery }) {
  ensureStyles();
  const { el } = placeSearch({ label: t('finder.label'), onPick: (p) => onQuery(filterFor(p), p.name) });
  el.classList.add('case-finder');
  return h('div', { class: 'case-finder-box', role: 'search' }, el);
}
