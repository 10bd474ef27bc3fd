/** Supervisor routes: patrol tasks (核实 verify, 核查 check), one task with field navigation (loaded on demand), and
 * quick reports with the full category picker. */

import { renderReport } from '../report.js';
import { lazy } from '../router.js';
import { renderTasks } from './tasks.js';

/**
 * @param {typeof import('../router.js').route} route
 */
export function registerSupervisorRoutes(route) {
  route('#/tasks', (main) => renderTasks(main));
  route('#/task/:id', lazy(() => import('../maps/task.js'), 'renderTask'));
  route('#/quick', (main) => renderReport(main, { supervisor: true }));
}
