/* The service worker: precaches the app shell, serves it offline, and sends the outbox on Background Sync.
 * Never touches /api, /ws or /schema: those always go to the network. */

import { flushOutbox } from './js/outbox.js';

const VERSION = 'v1';
const SHELL_CACHE = `ssp-shell-${VERSION}`;
const RUNTIME_CACHE = `ssp-runtime-${VERSION}`;

const SHELL = [
  '/', '/index.html', '/manifest.webmanifest', '/css/app.css',
  '/icons/icon-192.png', '/icons/icon-512.png', '/icons/maskable-192.png', '/icons/maskable-512.png',
  '/js/app.js', '/js/api.js', '/js/i18n.js', '/js/messages.js', '/js/live.js', '/js/router.js', '/js/ui.js',
  '/js/store.js', '/js/login.js', '/js/outbox.js', '/js/cache.js', '/js/photos.js', '/js/geo.js', '/js/map.js',
  '/js/picker.js', '/js/report.js', '/js/case.js', '/js/icons.js',
  '/js/citizen/index.js', '/js/citizen/mine.js', '/js/supervisor/index.js', '/js/supervisor/tasks.js',
  '/node_modules/leaflet/dist/leaflet.js', '/node_modules/leaflet/dist/leaflet.css',
  '/node_modules/idb/build/index.js',
  '/node_modules/exifr/dist/mini.esm.js',
];
// Files other modules own: cached when present, without failing the install when one is missing.
const OPTIONAL = ['/css/desk.css', '/js/unit/index.js', '/js/centre/index.js'];

const NETWORK_ONLY = /^\/(api|ws|schema|healthz)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL);
    await Promise.allSettled(OPTIONAL.map((u) => cache.add(u)));
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
