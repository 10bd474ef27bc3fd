/** Unit desk: routes for unit staff (the inbox and a case page). */

import { t } from '../i18n.js';
import { renderCasePage } from './case-page.js';
import { ensureDeskCss } from './desk.js';
import { renderInbox } from './inbox.js';

/**
 * Register the unit desk routes.
 * @param {(pattern: string, render: (main: HTMLElement, params: object) => unknown) => void} route
 */
export function registerUnitRoutes(route) {
  ensureDeskCss();
  route('#/unit', (main) => renderInbox(main));
  route('#/unit/case/:id', (main, { id }) => renderCasePage(main, Number(id), { back: ['#/unit', t('desk.back_inbox')], field: true }));
}
