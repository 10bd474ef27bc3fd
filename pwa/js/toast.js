/** Toasts: one short message at a time at the bottom of the screen, announced to screen readers. */

import { h } from './dom.js';

/**
 * Show a short message at the bottom of the screen (announced to screen readers).
 * @param {string} message
 * @param {'info'|'ok'|'error'} [kind]
 */
export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const el = h('div', { class: `toast toast-${kind}` }, message);
  // At most one at a time: a newer message replaces an older one (a burst of live events shows the latest).
  box.replaceChildren(el);
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 3500);
}

/** Remove the toast on screen (e.g. "take a photo first" once a photo is there): no stale advice stays up. */
export function clearToasts() {
  document.getElementById('toasts')?.replaceChildren();
}
