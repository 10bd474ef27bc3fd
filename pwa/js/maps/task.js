/** A supervisor's task: the case page (with its verify or check form) and, above it, the field panel: a map with the
 * case and the supervisor, distance and direction, 导航 links. Loaded on demand from the supervisor's routes. */

import { api } from '../api.js';
import { renderCase } from '../case.js';
import { createMap, pinIcon } from '../map.js';
import { h } from '../dom.js';
import { fieldPanel } from './navigate.js';

/**
 * @param {HTMLElement} main
 * @param {{id: string}} params
 * @param {AbortSignal} signal the navigation's (see router.js)
 * @returns {Promise<() => void>} cleanup
 */
export async function renderTask(main, { id }, signal) {
  const field = h('section', { class: 'card field-nav' });
  const stop = await renderCase(main, { id });
  if (signal.aborted) return stop; // the router calls it: the person left while the case loaded
  main.querySelector('.case-page')?.before(field);
  const dispose = api(`cases/${id}`).then((c) => fieldPanel(field, c, createMap, pinIcon))
    .catch(() => { field.remove(); return () => {}; });
  return () => { stop?.(); dispose.then((d) => d()); };
}
