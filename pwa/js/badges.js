/** A case's state and timer-light badges, and its timeline. */

import { h } from './dom.js';
import { actionName, formatTime } from './format.js';
import { pick, t } from './i18n.js';

/**
 * @param {{state: string, state_zh?: string, state_en?: string}} c a case
 * @returns {HTMLElement}
 */
export function stateBadge(c) {
  return h('span', { class: `badge state state-${c.state}`, dataset: { state: c.state } },
    pick(c, 'state') || t(`state.${c.state}`));
}

/**
 * The timer light of a case: green, yellow, red (or none when no clock runs).
 * @param {string} light
 * @returns {HTMLElement}
 */
export function lightBadge(light) {
  const l = ['green', 'yellow', 'red'].includes(light) ? light : 'none';
  return h('span', { class: `badge light light-${l}`, dataset: { light: l } },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`light.${l}`));
}

/**
 * The case timeline as an ordered list, oldest first.
 * @param {{timeline: Array<object>}} c
 * @returns {HTMLElement}
 */
export function renderTimeline(c) {
  const items = c.timeline || [];
  return h('ol', { class: 'timeline', 'aria-label': t('case.timeline') },
    items.map((e) => h('li', { class: `tl-item tl-${e.action}` },
      h('div', { class: 'tl-head' },
        h('strong', null, actionName(e.action)),
        h('time', { datetime: e.at }, formatTime(e.at))),
      h('div', { class: 'tl-who muted' }, e.actor_zh ? pick(e, 'actor') // a citizen's view: role · organisation only
        // A person's name is theirs as written: a Chinese one is marked so screen readers say it right.
        : [e.actor_id == null ? t('role.system') : h('span', { lang: /[\u4e00-\u9fff]/.test(e.actor_name || '') ? 'zh-CN' : null }, e.actor_name),
          e.actor_role && e.actor_id != null ? t(`role.${e.actor_role}`) : ''].filter(Boolean).flatMap((x, i) => (i ? [' · ', x] : [x])),
        e.to_state && e.to_state !== e.from_state ? ` → ${t(`state.${e.to_state}`)}` : ''),
      e.note ? h('p', { class: 'tl-note' }, e.note) : null,
      resultText(e) ? h('p', { class: 'tl-note' }, resultText(e)) : null)));
}

function resultText(e) {
  const r = e.result ?? e.data?.result;
  return r ? t(`result.${r}`) : '';
}
