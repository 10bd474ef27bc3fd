/** Citizen routes: 随手拍 (report), 我的上报 (my reports) and the case page. */

import { renderCase } from '../case.js';
import { renderReport } from '../report.js';
import { renderMe } from './account.js';
import { renderMine } from './mine.js';

/**
 * @param {typeof import('../router.js').route} route
 */
export function registerCitizenRoutes(route) {
  route('#/report', (main) => renderReport(main));
  route('#/mine', (main) => renderMine(main));
  route('#/me', (main) => renderMe(main));
  route('#/case/:id', (main, params) => renderCase(main, params));
  route('#/map', (main) => import('../maps/public-map.js').then((m) => m.renderPublicMap(main)));
}
