/** A map legend: a small button in a corner that opens a key of what each colour and line means (closed at first,
 * so it never hides the map on a phone). Used by the case maps' staff layers and the centre's city map. */

import { t } from '../i18n.js';
import { h } from '../dom.js';
import './messages.js';
import { ensureStyles } from './styles.js';

/**
 * @param {object} L Leaflet
 * @param {object} map
 * @param {Array<{swatch: string, colour?: string, label: string}>} items swatch: `dot` | `line` | `ramp` | `count`
 * @param {{position?: string, open?: boolean}} [opts]
 * @returns {object} the Leaflet control
 */
export function addLegend(L, map, items, { position = 'bottomleft', open = false } = {}) {
  ensureStyles();
  const legend = L.control({ position });
  legend.onAdd = () => {
    const body = h('div', { class: 'legend-body', hidden: !open },
      items.map((it) => h('div', { dataset: { swatch: it.swatch } },
        h('span', { class: `swatch ${it.swatch}`, style: it.colour ? { background: it.colour } : null }), it.label)));
    const toggle = h('button', { type: 'button', class: 'legend-toggle', 'aria-expanded': String(open),
      onclick: () => {
        body.hidden = !body.hidden;
        toggle.setAttribute('aria-expanded', String(!body.hidden));
      } }, t('legend.title'));
    const el = h('div', { class: 'map-legend leaflet-bar' }, toggle, body);
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
    return el;
  };
  legend.addTo(map);
  return legend;
}
