/** The stylesheet of the lazily loaded map modules, added to the page once by whichever loads first. */

let added = false;

export function ensureStyles() {
  if (added) return;
  added = true;
  document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/css/maps.css' }));
}
