/** The PWA entry: restores the session, draws the shell, registers every role's routes and starts the router. */

import './messages.js';
import { api, clearSession, restoreSession, session } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { reconnect } from './live.js';
import { renderLogin } from './login.js';
import { startOutbox } from './outbox.js';
import { lazy, navigate, route, setGuard, start } from './router.js';
import { icon } from './icons.js';
import { h } from './dom.js';
import { registerAdminRoutes } from './admin/index.js';
import { registerCentreRoutes } from './centre/index.js';
import { registerCitizenRoutes } from './citizen/index.js';
import { registerSupervisorRoutes } from './supervisor/index.js';
import { registerUnitRoutes } from './unit/index.js';

const CENTRE_ROLES = ['operator', 'shift_lead', 'dispatcher', 'admin'];
const EVAL = ['#/eval', 'nav.eval', 'list'];

/** Navigation tabs per role: [hash, message key, icon]. */
function tabsFor(role) {
  if (role === 'citizen') return [['#/report', 'nav.report', 'camera'], ['#/map', 'nav.map', 'compass'], ['#/mine', 'nav.mine', 'list']];
  if (role === 'supervisor') return [['#/tasks', 'nav.tasks', 'compass'], ['#/quick', 'nav.quick', 'camera'], ['#/mine', 'nav.mine', 'list']];
  if (role === 'unit_staff') return [['#/unit', 'nav.unit', 'tool'], EVAL];
  if (role === 'admin') return [['#/admin', 'nav.admin', 'gear'], ['#/centre', 'nav.centre', 'screen'], EVAL];
  if (CENTRE_ROLES.includes(role)) return [['#/centre', 'nav.centre', 'screen'], EVAL];
  return [];
}

/** @returns {string} the first page for the signed-in role */
export function homeFor(role) {
  return tabsFor(role)[0]?.[0] || '#/login';
}

function renderShell() {
  const s = session();
  const top = document.getElementById('top');
  const other = lang() === 'en' ? 'zh-CN' : 'en';
  const who = s ? s.user.anonymous ? t('role.citizen') : `${s.user.display_name || s.user.username} · ${t(`role.${s.user.role}`)}` : '';
  // On a phone only the short role fits beside the name and the icon buttons; the full line stays in the tooltip.
  top.replaceChildren(
    h('div', { class: 'brand' },
      h('img', { src: '/icons/icon-192.png', alt: '', width: 28, height: 28 }),
      h('span', { class: 'brand-name' }, t('app.name')),
      s ? h('span', { class: 'who', title: who },
        h('span', { class: 'who-long' }, who),
        h('span', { class: 'who-short' }, s.user.anonymous ? t('role.citizen') : t(`role.short.${s.user.role}`))) : null),
    h('div', { class: 'top-actions' },
      h('span', { class: 'live-dot', 'aria-hidden': 'true', title: t('live.on') }),
      s ? h('a', { href: '#/notify', class: 'btn btn-ghost icon-btn', 'aria-label': t('nav.notify'), title: t('nav.notify') }, icon('bell', 22)) : null,
      // Its name starts with what it shows (EN / 中), then says it in full: WCAG 2.5.3, label in name.
      h('button', { type: 'button', class: 'btn btn-ghost icon-btn lang-btn', 'aria-label': `${t('lang.short')} ${t('lang.switch')}`,
        title: t('lang.label'), lang: other, onclick: () => setLang(other) }, icon('globe', 20), h('span', null, t('lang.short'))),
      // An anonymous citizen has nothing to log out of: the person icon opens 我的 (the device, follow, log in).
      s?.user.anonymous ? h('a', { href: '#/me', class: 'btn btn-ghost icon-btn', 'aria-label': t('me.title'), title: t('me.title') },
        icon('login', 22)) : null,
      s && !s.user.anonymous ? h('button', { type: 'button', class: 'btn btn-ghost icon-btn', onclick: logout,
        'aria-label': t('nav.logout'), title: t('nav.logout') }, icon('logout', 22)) : null));
  const nav = document.getElementById('nav');
  const tabs = s ? tabsFor(s.user.role) : [];
  nav.hidden = tabs.length < 2;
  nav.setAttribute('aria-label', t('nav.main'));
  nav.replaceChildren(...tabs.map(([hash, key, iconName]) => h('a', { href: hash, class: 'tab', dataset: { hash } },
    h('span', { class: 'tab-icon' }, icon(iconName, 26)), h('span', null, t(key)))));
  markTab();
}

function markTab() {
  const hash = location.hash.split('?')[0];
  // A case page belongs to the tab it is reached from: patrol tasks for a supervisor, my reports for a citizen.
  const caseTab = session()?.user.role === 'supervisor' ? '#/tasks' : '#/mine';
  for (const a of document.querySelectorAll('#nav .tab')) {
    const on = hash === a.dataset.hash || hash.startsWith(`${a.dataset.hash}/`)
      || (a.dataset.hash === caseTab && hash.startsWith('#/case/'));
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function logout() {
  const s = session();
  if (s && !s.user.anonymous) {
    try { await api('auth/logout', { method: 'POST' }); } catch { /* offline: the token expires by itself */ }
  }
  await clearSession();
  reconnect();
  renderShell();
  navigate('#/login');
}

function showOffline() {
  const bar = document.getElementById('offline');
  bar.textContent = t('offline.banner');
  bar.hidden = navigator.onLine;
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }).catch((err) => console.warn('SW', err));
}

async function boot() {
  document.documentElement.lang = lang();
  await restoreSession();
  route('#/', () => navigate(homeFor(session()?.user.role)));
  route('#/login', (main) => renderLogin(main, (s) => {
    renderShell();
    reconnect();
    navigate(homeFor(s.user.role));
  }));
  registerCitizenRoutes(route);
  registerSupervisorRoutes(route);
  registerUnitRoutes(route);
  registerCentreRoutes(route);
  registerAdminRoutes(route);
  route('#/eval', lazy(() => import('/desk/eval/index.js'), 'renderEval'));
  route('#/notify', lazy(() => import('/notify/settings.js'), 'renderNotify'));
  setGuard((hash) => (!session() && !hash.startsWith('#/login') ? '#/login' : null));
  renderShell();
  showOffline();
  window.addEventListener('online', showOffline);
  window.addEventListener('offline', showOffline);
  window.addEventListener('hashchange', markTab);
  window.addEventListener('ssp:langchange', () => {
    renderShell();
    showOffline();
    navigate(location.hash || '#/');
  });
  window.addEventListener('ssp:unauthorised', () => {
    renderShell();
    navigate('#/login');
  });
  start();
  registerServiceWorker();
  startOutbox();
}

boot();
