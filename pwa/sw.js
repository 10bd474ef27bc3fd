/* The service worker: precaches the app shell, serves it offline, and sends the outbox on Background Sync.
 * Never touches /api, /ws or /schema: those always go to the network.
 * Size: the precached JS+CSS plus this file weigh 143.4 KB (140.1 KiB) with gzip -9, file by file (Dec 2026; the admin
 * console's screens load on demand from js/console/ and are cached when first used);
 * the budget is 150 KB, checked by tests/browser/test_install.py. Leaflet is a third of it. */

import { flushOutbox } from './js/outbox.js';

const VERSION = 'v8';
const SHELL_CACHE = `ssp-shell-${VERSION}`;
const RUNTIME_CACHE = `ssp-runtime-${VERSION}`;

const SHELL = [
  '/', '/index.html', '/manifest.webmanifest', '/css/app.css', '/css/desk.css',
  '/icons/icon-192.png', '/icons/icon-512.png', '/icons/maskable-192.png', '/icons/maskable-512.png',
  // Every module app.js reaches (all roles share one app), so any role's screens open offline.
  '/js/admin/index.js',
  '/js/api.js', '/js/app.js', '/js/cache.js', '/js/case.js', '/js/centre/board.js', '/js/centre/case-panels.js',
  '/js/centre/cluster.js', '/js/centre/heat-layer.js', '/js/centre/index.js', '/js/centre/map.js',
  '/js/centre/nav.js', '/js/centre/queues.js', '/js/centre/rules.js', '/js/centre/suggestions.js',
  '/js/citizen/account.js', '/js/citizen/case-view.js', '/js/citizen/index.js', '/js/citizen/mine.js', '/js/geo.js', '/js/i18n.js', '/js/icons.js',
  '/js/live.js',
  '/js/login.js', '/js/map.js', '/js/messages.js', '/js/outbox.js', '/js/photos.js', '/js/picker.js',
  '/js/report.js', '/js/router.js', '/js/store.js', '/js/supervisor/index.js', '/js/supervisor/tasks.js',
  '/js/ui.js', '/js/unit/actions.js', '/js/unit/case-map.js', '/js/unit/case-page.js', '/js/unit/desk.js',
  '/js/unit/inbox.js', '/js/unit/index.js', '/js/unit/leaflet.js', '/js/unit/messages.js', '/js/unit/photo-input.js',
  '/js/unit/pickers.js',
  '/node_modules/leaflet/dist/leaflet.js', '/node_modules/leaflet/dist/leaflet.css',
  '/node_modules/idb/build/index.js',
  '/node_modules/exifr/dist/mini.esm.js',
];

const NETWORK_ONLY = /^\/(api|ws|schema|healthz)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, RUNTIME_CACHE]);
    for (const name of await caches.keys()) if (name.startsWith('ssp-') && !keep.has(name)) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== location.origin || NETWORK_ONLY.test(url.pathname)) return;
  if (req.mode === 'navigate') {
    event.respondWith(navigation(req));
    return;
  }
  event.respondWith(staleWhileRevalidate(event, req));
});

async function navigation(req) {
  try {
    return await fetch(req);
  } catch {
    return (await caches.match('/index.html')) || Response.error();
  }
}

/* Answer from the cache at once and refresh it in the background, so a deploy reaches users on their next visit. */
async function staleWhileRevalidate(event, req) {
  const cached = await caches.match(req, { ignoreSearch: true });
  const refresh = fetch(req).then(async (res) => {
    if (res.ok) {
      const name = (await caches.open(SHELL_CACHE).then((c) => c.match(req))) ? SHELL_CACHE : RUNTIME_CACHE;
      await (await caches.open(name)).put(req, res.clone());
    }
    return res;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh.catch(() => Response.error());
}

self.addEventListener('sync', (event) => {
  if (event.tag === 'ssp-outbox') event.waitUntil(flushOutbox());
});

/* Web Push (backend/notify/): the payload is {title, body, tag, url}; one notification per case (its tag). */
self.addEventListener('push', (event) => {
  let msg = {};
  try { msg = event.data ? event.data.json() : {}; } catch { msg = { body: event.data.text() }; }
  const url = new URL(msg.url || '/', location.origin);
  event.waitUntil(self.registration.showNotification(msg.title || '随手拍', {
    body: msg.body || '', tag: msg.tag || 'ssp', renotify: Boolean(msg.tag), icon: '/icons/icon-192.png',
    data: { url: url.origin === location.origin ? url.href : '/' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data?.url || '/';
  event.waitUntil((async () => {
    const open = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true }))
      .find((c) => new URL(c.url).origin === location.origin);
    const moved = open && await open.navigate(url).catch(() => null);
    if (!moved) return self.clients.openWindow(url);
    return moved.focus().catch(() => undefined); // focus needs the click's user activation
  })());
});
