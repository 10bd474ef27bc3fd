/** A small map of one case: its point, and the unit grid outlines around it when the API offers them (field: and
 * js/maps/navigate.js's 导航). */

import { createMap, unitGrids } from '../map.js';

/**
 * @param {HTMLElement} el
 * @param {{lng: number, lat: number, light: string, unit_grid: string}} c
 * @param {boolean} [field]
 * @returns {Promise<() => void>} remove the map
 */
export async function caseMap(el, c, field = false) {
  if (!el) return () => {};
  const { L, map } = await createMap(el, { center: [c.lat, c.lng], zoom: 17, outlines: false, canvas: true });
  L.circleMarker([c.lat, c.lng], { radius: 9, color: '#fff', weight: 2, fillColor: { green: '#1f9d55', yellow: '#d69e0b', red: '#d64545' }[c.light] || '#d9480f', fillOpacity: 1 }).addTo(map);
  import('../maps/staff-layers.js').then((m) => { if (el.isConnected) m.staffLayers(L, map, c); }).catch(() => {});
  const d = 0.004;
  unitGrids([c.lng - d, c.lat - d, c.lng + d, c.lat + d]).then((geo) => {
    if (!geo || !el.isConnected) return;
    L.geoJSON(geo, {
      style: (f) => ({ color: f.properties?.code === c.unit_grid ? '#0a5bb5' : '#7a8899', weight: f.properties?.code === c.unit_grid ? 2 : 1, fillOpacity: 0.04 }),
    }).addTo(map);
  });
  let stop = () => {};
  if (field) {
    import('../maps/navigate.js').then((m) => { if (el.isConnected) stop = m.fieldNav(L, map, el, c); });
  }
  return () => { stop(); map.remove(); };
}
