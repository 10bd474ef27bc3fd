/**
 * The admin area (admin only): the working calendar, users, units, routing rules with the simulator, the security
 * audit log and failed jobs. Every screen changes the server's data, so they need the network anyway: they load on
 * demand from js/console/ (cached by the service worker once used), and the shell carries only these routes.
 */

import { session } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../dom.js';
import { ensureDeskCss } from '../unit/desk.js';

const SCREENS = {
  '#/admin': ['calendar', 'renderCalendar'], '#/admin/users': ['users', 'renderUsers'],
  '#/admin/units': ['units', 'renderUnits'], '#/admin/rules': ['rules', 'renderRules'],
  '#/admin/interop': ['interop', 'renderInterop'], '#/admin/audit': ['audit', 'renderAudit'],
  '#/admin/jobs': ['jobs', 'renderJobs'], '#/admin/data': ['data', 'renderData'],
  '#/admin/categories': ['categories', 'renderCategories'],
  '#/admin/settings': ['settings', 'renderSettings'], '#/admin/grids': ['grids', 'renderGrids'],
  '#/admin/components': ['components', 'renderComponents'],
};

/**
 * Register the admin routes.
 * @param {(pattern: string, render: (main: HTMLElement, params: object) => unknown) => void} route
 */
export function registerAdminRoutes(route) {
  for (const [pattern, [file, name]] of Object.entries(SCREENS)) {
    route(pattern, async (main, params, signal) => {
      // Only admins get the screens; anyone else who types the address is told so (the API refuses them anyway).
      if (session()?.user.role !== 'admin') {
        main.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('admin.forbidden')));
        return undefined;
      }
      ensureDeskCss();
      let screen;
      try {
        screen = await import(`../console/${file}.js`);
      } catch {
        if (!signal.aborted) main.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('error.network')));
        return undefined;
      }
      // The person may have gone elsewhere while the screen loaded: then it is not drawn at all.
      return signal.aborted ? undefined : screen[name](main, params, signal);
    });
  }
}
