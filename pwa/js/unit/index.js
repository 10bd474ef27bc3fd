/** Unit desk: routes for unit staff (inbox and case page). */

/**
 * Register the unit desk routes.
 * @param {(pattern: string, render: (main: HTMLElement, params: object) => void) => void} route
 */
export function registerUnitRoutes(route) {
  route('#/unit', (main) => { main.textContent = '单位工作台'; });
}
