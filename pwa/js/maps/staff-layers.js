/** Staff layers on a case's map: the surveyed components around it coloured by type with their names, the case
 * coloured by its timer light, and a legend that says what each colour is. Loaded on demand (unit and centre pages). */

import { api } from '../api.js';
import { t } from '../i18n.js';
import { addLegend } from './legend.js';
import './messages.js';
import { ensureStyles } from './styles.js';

const LIGHTS = { green: '#1f9d55', yellow: '#d69e0b', red: '#d64545', none: '#6b7280' };
const PALETTE = ['#0a5bb5', '#7c3aed', '#0f766e', '#b45309', '#be185d', '#4d7c0f', '#1d4ed8', '#9f1239'];
const RADIUS = 0.004; // degrees around the case (~400 m)

/**
 * @param {object} L Leaflet
 * @param {object} map
 * @param {{lat: number, lng: number, light?: string}} c
 * @returns {Promise<object>} the legend control
 */
export async function staffLayers(L, map, c) {
  ensureStyles();
  const bbox = [c.lng - RADIUS, c.lat - RADIUS, c.lng + RADIUS, c.lat + RADIUS].map((x) => x.toFixed(5)).join(',');
  const fc = await api(`org/components?bbox=${bbox}`).catch(() => ({ features: [] }));
  const types = new Map(); // category → {name, colour}
  for (const f of fc.features) {
    const { category, name } = f.properties;
    if (!types.has(category)) types.set(category, { name, colour: PALETTE[types.size % PALETTE.length] });
  }
  L.layerGroup(fc.features.map((f) => {
    const [lng, lat] = f.geometry.coordinates;
    return L.circleMarker([lat, lng], { radius: 5, color: '#fff', weight: 1, fillOpacity: 0.95,
      fillColor: types.get(f.properties.category).colour })
      .bindTooltip(`${f.properties.name} ${f.properties.id}`);
  })).addTo(map);
  const light = LIGHTS[c.light] ? c.light : 'none';
  return addLegend(L, map, [
    { swatch: 'dot', colour: LIGHTS[light], label: t('legend.case', { light: t(`light.${light}`) }) },
    { swatch: 'line', label: t('legend.grid') },
    ...[...types.values()].map((ty) => ({ swatch: 'dot', colour: ty.colour, label: ty.name })),
  ]);
}
