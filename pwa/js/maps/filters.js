/** The unit inbox's filters by name instead of by raw code: categories grouped by 大类, areas as district › street ›
 * community. Loaded on demand; the values sent are the codes the API filters on. */

import { cachedGet } from '../cache.js';
import { pick, t } from '../i18n.js';
import { h } from '../dom.js';
import { categories } from '../unit/pickers.js';
import './messages.js';

const option = (value, text, chosen) => h('option', { value, selected: value === chosen }, text);

/**
 * @param {string} chosen the current code prefix ('' for all)
 * @returns {Promise<HTMLSelectElement>}
 */
export async function categorySelect(chosen) {
  const tax = await categories();
  return h('select', { name: 'category' }, option('', t('desk.filter.all'), chosen),
    (tax?.majors || []).map((m) => h('optgroup', { label: pick(m, 'name') }, option(m.code, t('filter.whole', { name: pick(m, 'name') }), chosen),
      tax.categories.filter((c) => c.major_code === m.code).map((c) => option(c.code, pick(c, 'name'), chosen)))));
}

/**
 * @param {string} chosen the current district, street or community code ('' for all)
 * @returns {Promise<HTMLSelectElement>}
 */
export async function areaSelect(chosen) {
  const [districts, streets, communities] = await Promise.all(['org/districts', 'org/streets', 'org/communities']
    .map((p) => cachedGet(p)));
  // Place names are the gazetteer's proper nouns: Chinese in both languages, marked so screen readers say them right.
  return h('select', { name: 'area', lang: 'zh-CN' }, option('', t('desk.filter.all'), chosen),
    districts.features.map(({ properties: d }) => h('optgroup', { label: d.name }, option(d.code, t('filter.whole', { name: d.name }), chosen),
      streets.features.filter((s) => s.properties.district === d.code).map(({ properties: s }) => [
        option(s.code, `· ${s.name}`, chosen),
        communities.features.filter((c) => c.properties.street === s.code).map(({ properties: c }) => option(c.code, `· · ${c.name}`, chosen)),
      ]))));
}
