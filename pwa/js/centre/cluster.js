/** Grid-based point clustering in screen space: points closer than a cell merge into one counted marker. */

/**
 * @param {Array<{lat: number, lng: number}>} points
 * @param {(latlng: [number, number]) => {x: number, y: number}} project to pixels at the current zoom
 * @param {number} cell pixel size of a cluster cell
 * @returns {Array<{lat: number, lng: number, items: Array<object>}>} clusters, each at the mean of its points
 */
export function clusterPoints(points, project, cell = 60) {
  const cells = new Map();
  for (const p of points) {
    const { x, y } = project([p.lat, p.lng]);
    const key = `${Math.floor(x / cell)}:${Math.floor(y / cell)}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { lat: 0, lng: 0, items: [] }));
    c.items.push(p);
  }
  for (const c of cells.values()) {
    c.lat = c.items.reduce((s, p) => s + p.lat, 0) / c.items.length;
    c.lng = c.items.reduce((s, p) => s + p.lng, 0) / c.items.length;
  }
  return [...cells.values()];
}

/**
 * The worst light among a cluster's cases (red over yellow over green).
 * @param {Array<{light: string}>} items
 * @returns {string}
 */
export function worstLight(items) {
  if (items.some((c) => c.light === 'red')) return 'red';
  if (items.some((c) => c.light === 'yellow')) return 'yellow';
  return 'green';
}
