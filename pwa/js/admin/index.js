/** The admin area: the working calendar, the security audit log and failed jobs (admin only). */

import { session } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';
import { ensureDeskCss } from '../unit/desk.js';
import { renderAudit } from './audit.js';
import { renderCalendar } from './calendar.js';
import { renderJobs } from './jobs.js';

/** Only admins get the screens; anyone else who types the address is told so (the API refuses them anyway). */
const adminOnly = (render) => (main) => {
  if (session()?.user.role === 'admin') return render(main);
  main.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('admin.forbidden')));
  return undefined;
};

/**
 * Register the admin routes.
 * @param {(pattern: string, render: (main: HTMLElement, params: object) => unknown) => void} route
 */
export function registerAdminRoutes(route) {
  ensureDeskCss();
  route('#/admin', adminOnly(renderCalendar));
  route('#/admin/audit', adminOnly(renderAudit));
  route('#/admin/jobs', adminOnly(renderJobs));
}
