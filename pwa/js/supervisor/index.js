/** Supervisor routes: patrol tasks (核实 verify, 核查 check) and quick reports with the full category picker. */

import { renderReport } from '../report.js';
import { renderTasks } from './tasks.js';

/**
 * @param {typeof import('../router.js').route} route
 */
export function registerSupervisorRoutes(route) {
  route('#/tasks', (main) => renderTasks(main));
  route('#/quick', (main) => renderReport(main, { supervisor: true }));
}
