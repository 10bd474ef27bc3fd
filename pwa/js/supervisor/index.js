/** Supervisor routes: patrol tasks (verify, check) and quick reports. */

/**
 * @param {typeof import('../router.js').route} route
 */
export function registerSupervisorRoutes(route) {
  route('#/tasks', (main) => { main.textContent = '巡查任务'; });
  route('#/quick', (main) => { main.textContent = '快速上报'; });
}
