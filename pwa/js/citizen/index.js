/** Citizen routes: 随手拍 (report) and 我的上报 (my reports) with the case page. */

/**
 * @param {typeof import('../router.js').route} route
 */
export function registerCitizenRoutes(route) {
  route('#/report', (main) => { main.textContent = '随手拍'; });
  route('#/mine', (main) => { main.textContent = '我的上报'; });
}
