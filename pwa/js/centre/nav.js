/** The command centre's own navigation: queues, overdue board, map. */

import { t } from '../i18n.js';
import { h } from '../dom.js';

/**
 * @param {'queues'|'board'|'map'} current
 * @returns {HTMLElement}
 */
export function centreNav(current) {
  const items = [['queues', '#/centre', 'centre.queues'], ['board', '#/centre/board', 'centre.board'], ['map', '#/centre/map', 'centre.map']];
  return h('nav', { class: 'centre-nav', 'aria-label': t('centre.title') },
    items.map(([key, href, label]) => h('a', { href, class: 'centre-nav-link', 'aria-current': key === current ? 'page' : null }, t(label))));
}
