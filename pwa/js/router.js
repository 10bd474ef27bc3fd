/** A small hash router: `route('#/case/:id', render)`; render(main, params, signal) may be async and may return a
 * cleanup.
 *
 * Every screen draws into the one <main> (some redraw it in place later). A screen still loading when the person
 * moves on must not draw over the next one: each navigation has an AbortSignal, aborted when the next navigation
 * starts, handed to the render (third argument, also `routeSignal()` while the render starts, which `stillHere()` in
 * unit/desk.js reads), and a render checks it after each await before it touches <main>. */

const routes = [];
let guard = null;
let cleanup = null;
let renderSeq = 0;
let navigation = new AbortController();

/**
 * Register a route.
 * @param {string} pattern e.g. `#/case/:id`
 * @param {(main: HTMLElement, params: Record<string,string>, signal: AbortSignal) =>
 *   (void|Function|Promise<void|Function>)} render may return a function, called when the user leaves the page
 *   (e.g. to unsubscribe); signal: aborted once the person has gone elsewhere (draw nothing more then)
 */
export function route(pattern, render) {
  const keys = [];
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (m, k) => {
    keys.push(k);
    return '([^/?]+)';
  });
  routes.push({ re: new RegExp(`^${source}(?:\\?.*)?$`), keys, render, pattern });
}

/**
 * Run before each render; return a hash to redirect instead (e.g. to the login page).
 * @param {(hash: string) => (string|null)} fn
 */
export function setGuard(fn) {
  guard = fn;
}

/**
 * Go to a hash (re-renders even if it is the current one).
 * @param {string} hash
 */
export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/**
 * The signal of the navigation now shown: aborted as soon as the person goes elsewhere (or the same hash is rendered
 * again). Read it synchronously at the start of a render, before any await.
 * @returns {AbortSignal}
 */
export function routeSignal() {
  return navigation.signal;
}

/**
 * Load a screen's module on demand and render it, unless the person left while it was loading.
 * @param {() => Promise<object>} load e.g. `() => import('./console/users.js')`
 * @param {string} name the render function's export name
 * @returns {(main: HTMLElement, params: Record<string,string>, signal: AbortSignal) => Promise<void|Function>}
 */
export function lazy(load, name) {
  return async (main, params, signal) => {
    const m = await load();
    return signal.aborted ? undefined : m[name](main, params, signal);
  };
}

/** @returns {URLSearchParams} the query part of the current hash (`#/mine?page=2`) */
export function hashQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

async function render() {
  const seq = ++renderSeq;
  navigation.abort();
  navigation = new AbortController();
  const { signal } = navigation;
  const hash = location.hash || '#/';
  const redirect = guard?.(hash);
  if (redirect && redirect !== hash) {
    location.replace(redirect);
    return;
  }
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (err) { console.error(err); }
  }
  cleanup = null;
  const main = document.getElementById('main');
  main.replaceChildren();
  main.removeAttribute('aria-busy');
  for (const r of routes) {
    const m = r.re.exec(hash);
    if (!m) continue;
    const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
    document.dispatchEvent(new CustomEvent('ssp:route', { detail: { hash, pattern: r.pattern } }));
    try {
      const result = await r.render(main, params, signal);
      if (seq === renderSeq) cleanup = result;
      else if (typeof result === 'function') result();
    } catch (err) {
      console.error(err);
      if (seq === renderSeq) {
        main.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: err.message }));
      }
    }
    if (seq === renderSeq) main.focus({ preventScroll: true });
    return;
  }
  document.dispatchEvent(new CustomEvent('ssp:route', { detail: { hash, pattern: null } }));
  location.replace('#/');
}

/** Start routing: render the current hash and follow changes. */
export function start() {
  window.addEventListener('hashchange', render);
  render();
}
