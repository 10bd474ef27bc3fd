/** Command centre: routes for operators, shift leads, dispatchers and admins. */

/**
 * Register the command-centre routes.
 * @param {(pattern: string, render: (main: HTMLElement, params: object) => void) => void} route
 */
export function registerCentreRoutes(route) {
  route('#/centre', (main) => { main.textContent = '指挥中心'; });
}
