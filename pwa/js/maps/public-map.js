/** 全城案件: the city's filed cases on a map and in a list, exactly as anonymous as the public API keeps them (no
 * reporter, no words, positions rounded to about 100 m, photos only once faces and plates are pixelated). States read
 * as citizen statuses and categories as the menu's words, never codes. */

import { api } from '../api.js';
import { menu } from '../cache.js';
import { currentPosition } from '../geo.js';
import { lang, registerMessages, t } from '../i18n.js';
import { cityCentre, createMap } from '../map.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';
import { citizenStates } from '../citizen/mine.js';

registerMessages('zh-CN', {
  'pm.title': '全城案件', 'pm.hint': '地图上是已受理的上报。位置只精确到约 100 米，不显示上报人和描述；照片在人脸和车牌打码后显示。',
  'pm.map': '公开案件地图', 'pm.list': '地图范围内的案件', 'pm.count': '本区域共 {n} 件，显示最新 {shown} 件', 'pm.count_all': '本区域共 {n} 件',
  'pm.none': '地图范围内没有公开的案件', 'pm.pin': '{what}，{status}，{date}', 'pm.offline': '暂时无法载入案件，请稍后再试',
});
registerMessages('en', {
  'pm.title': 'Cases in the city', 'pm.hint': 'The map shows accepted reports. Positions are shown to about 100 m, without who reported or what they wrote; photos appear once faces and plates are blurred.',
  'pm.map': 'Map of public cases', 'pm.list': 'Cases in the map area', 'pm.count': '{n} here; the latest {shown} are shown', 'pm.count_all': 'Cases here: {n}',
  'pm.none': 'No public cases in this map area', 'pm.pin': '{what}, {status}, {date}', 'pm.offline': 'Cases cannot be loaded right now; please try again later',
});

const PAGE = 100;

/**
 * Render `#/map`.
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} cleanup
 */
export async function renderPublicMap(main) {
  const en = lang() === 'en';
  const mapEl = h('div', { class: 'map public-map', id: 'public-map', role: 'region', 'aria-label': t('pm.map') });
  const count = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const list = h('ul', { class: 'list public-cases', 'aria-label': t('pm.list') });
  main.append(h('h1', null, t('pm.title')), h('p', { class: 'muted small' }, t('pm.hint')),
    h('section', { class: 'card' }, mapEl), h('section', { class: 'card' }, h('h2', null, t('pm.list')), count, list));
  const [states, items] = await Promise.all([citizenStates().catch(() => ({})), menu().catch(() => [])]);
  const byCode = new Map(items.flatMap((m) => m.codes.map((c) => [c, m])));
  const words = (c) => {
    const m = byCode.get(c.category_code);
    // Not on the menu: the 小类's own name, in English where the taxonomy has one (Chinese is marked for screen readers).
    if (m) return { text: en ? m.name_en : m.name, lang: null };
    return en && c.category_name_en && c.category_name_en !== c.category_name ? { text: c.category_name_en, lang: null }
      : { text: c.category_name, lang: 'zh-CN' };
  };
  const status = (c) => (states[c.state] || [c.state_zh, c.state_en])[en ? 1 : 0];

  const at = await Promise.race([currentPosition().catch(() => null), new Promise((r) => { setTimeout(() => r(null), 4000); })]);
  const centre = at || (await cityCentre()) || { lat: 27.73, lng: 112.0 };
  const { L, map } = await createMap(mapEl, { center: [centre.lat, centre.lng], zoom: at ? 16 : 14 });
  const layer = L.layerGroup().addTo(map);
  let seq = 0;

  const load = async () => {
    const mine = ++seq;
    const b = map.getBounds();
    const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(4)).join(',');
    let page;
    try {
      page = await api(`public/cases?bbox=${box}&page_size=${PAGE}`);
    } catch {
      if (mine === seq) count.textContent = t('pm.offline');
      return;
    }
    if (mine !== seq) return;
    const all = page.total <= page.items.length;
    count.textContent = page.items.length ? t(all ? 'pm.count_all' : 'pm.count', { n: page.total, shown: page.items.length })
      : t('pm.none');
    layer.clearLayers();
    list.replaceChildren(...page.items.map((c) => {
      const what = words(c);
      const name = t('pm.pin', { what: what.text, status: status(c), date: formatTime(c.created_at) });
      L.marker([c.lat, c.lng], { keyboard: true, title: name,
        icon: L.divIcon({ className: 'public-pin', html: '', iconSize: [18, 18] }) })
        .on('add', (e) => {
          const el = e.target.getElement();
          el.setAttribute('aria-label', name);
          el.dataset.tracking = c.tracking_no;
          el.dataset.state = c.state;
        })
        .on('click', () => {
          const row = list.querySelector(`[data-tracking="${c.tracking_no}"]`);
          row?.scrollIntoView({ block: 'center' });
          row?.focus();
        })
        .addTo(layer);
      return h('li', { class: 'list-item public-case', tabindex: '-1', dataset: { tracking: c.tracking_no } },
        c.thumb_urls[0] ? h('img', { src: c.thumb_urls[0], alt: '', width: 56, height: 56, loading: 'lazy' }) : null,
        h('div', { class: 'body' },
          h('div', { class: 'title', lang: what.lang }, what.text),
          h('div', { class: 'meta' }, h('span', { class: 'badge state' }, status(c)),
            h('time', { datetime: c.created_at }, formatTime(c.created_at)))));
    }));
  };
  map.on('moveend', load);
  await load();
  return () => { seq += 1; map.off(); map.remove(); };
}
