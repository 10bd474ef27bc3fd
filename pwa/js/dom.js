/** Building DOM elements: the element builder every screen uses, and a loading placeholder. */

import { t } from './i18n.js';

/**
 * Build an element. attrs: `class`, `style` (string or object), `dataset`, `on<event>` handlers, `aria-*` and other
 * attributes; properties such as `value`, `checked`, `disabled`, `hidden` are set as properties.
 * @param {string} tag
 * @param {object|null} [attrs]
 * @param {...(Node|string|number|null|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple', 'required'].includes(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * A loading placeholder for a container.
 * @returns {HTMLElement}
 */
export function spinner() {
  return h('p', { class: 'loading', role: 'status' }, t('common.loading'));
}
