/** Command centre: routes for operators, shift leads, dispatchers and admins (queues, board, map, case page). */

import { t } from '../i18n.js';
import { renderCasePage } from '../unit/case-page.js';
import { ensureDeskCss } from '../unit/desk.js';
import { renderBoard } from './board.js';
import { duplicatePanel, requestPanel, routingPanel, triagePanel } from './case-panels.js';
import { renderQueues } from './queues.js';

/**
 * Register the command-centre routes.
 * @param {(pattern: string, render: (main: HTMLElement, params: object) => unknown) => void} route
 */
export function registerCentreRoutes(route) {
  ensureDeskCss();
  route('#/centre', (main) => renderQueues(main));
  route('#/centre/board', (main) => renderBoard(main));
  route('#/centre/map', (main) => import('../maps/centre-map.js').then((m) => m.renderMap(main)));
  route('#/centre/case/:id', (main, { id }) => renderCasePage(main, Number(id), {
    back: ['#/centre', t('desk.back_centre')],
    panels: [requestPanel, duplicatePanel, triagePanel, routingPanel],
    skip: (c) => (c.likely_duplicate_of ? ['dismiss_duplicate'] : []), // offered beside the pair instead
  }));
}
