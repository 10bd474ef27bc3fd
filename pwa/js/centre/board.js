/** The live overdue board: cases with units by timer light, the red and yellow ones listed, most overdue first. */

import { api } from '../api.js';
import { pick, t } from '../i18n.js';
import { h, spinner } from '../dom.js';
import { formatTime } from '../format.js';
import { ensureDeskCss, liveReload, pageHead, timeLeftText } from '../unit/desk.js';
import { centreNav } from './nav.js';

/**
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderBoard(main) {
  ensureDeskCss();
  const body = h('div', { class: 'board' }, spinner());
  main.replaceChildren(h('div', { class: 'desk-page centre' },
    centreNav('board'), pageHead(t('centre.board'), { sub: t('centre.board.sub') }), body));

  async function load() {
    const b = await api('stats/overdue');
    const column = (light) => {
      const items = b.items.filter((c) => c.light === light);
      return h('section', { class: `board-col board-${light}`, dataset: { light } },
        h('h2', null, t(`centre.board.${light}`), h('span', { class: 'count' }, b.counts[light])),
        items.length ? h('ol', { class: 'board-list' }, items.map((c) => h('li', { dataset: { caseId: c.id } },
          h('a', { href: `#/centre/case/${c.id}` },
            h('span', { class: 'tracking' }, c.tracking_no),
            h('strong', null, pick(c, 'category_name')),
            h('span', { class: `time-left ${c.time_left_seconds < 0 ? 'over' : ''}` }, timeLeftText(c.time_left_seconds)),
            h('span', { class: 'muted small' }, [pick(c, 'unit_name'), pick(c, 'state'), c.due_at ? formatTime(c.due_at) : ''].filter(Boolean).join(' · '))))))
          : h('p', { class: 'muted small' }, t('centre.board.none')));
    };
    body.replaceChildren(
      h('div', { class: 'board-counts' }, ['red', 'yellow', 'green'].map((l) => h('div', { class: `board-count light-count-${l}`, dataset: { light: l } },
        h('span', { class: 'count' }, b.counts[l]), h('span', null, t(`light.${l}`))))),
      h('div', { class: 'board-cols' }, column('red'), column('yellow')));
  }

  await load();
  const stop = liveReload(['command'], () => load().catch(() => {}));
  const tick = setInterval(() => load().catch(() => {}), 30_000);
  return () => { stop(); clearInterval(tick); };
}
