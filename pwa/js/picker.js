/** The full 大类/小类 category picker with search, for supervisors' reports. */

import { categories } from './cache.js';
import { lang, pick, t } from './i18n.js';
import { h } from './dom.js';

/**
 * Render the picker.
 * @param {(c: object|null) => void} onChange called with the chosen 小类 (code, name, major_name, kind)
 * @returns {HTMLElement}
 */
export function categoryPicker(onChange) {
  const chosen = h('p', { class: 'picked', 'aria-live': 'polite' }, t('picker.none'));
  const search = h('input', { id: 'cat-search', type: 'search', placeholder: t('picker.search_ph'), autocomplete: 'off' });
  const major = h('select', { id: 'cat-major', 'aria-label': t('picker.major') });
  const results = h('div', { class: 'picker-results', role: 'group', 'aria-label': t('picker.minor') });
  const box = h('fieldset', { class: 'field picker' }, h('legend', null, t('picker.title')),
    h('label', { for: 'cat-search', class: 'small muted' }, t('picker.search')), search,
    h('label', { for: 'cat-major', class: 'small muted' }, t('picker.major')), major, results, chosen);
  let all = [];
  let current = null;

  const show = () => {
    const q = search.value.trim().toLowerCase();
    const list = q
      ? all.filter((c) => c.code.toLowerCase().includes(q) || c.name.includes(q) ||
        (c.name_en || '').toLowerCase().includes(q) || c.synonyms.some((s) => s.toLowerCase().includes(q)) || c.synonyms_en.some((s) => s.toLowerCase().includes(q)))
      : all.filter((c) => c.major_code === major.value);
    results.replaceChildren(...list.slice(0, 60).map((c) => h('button', {
      type: 'button', class: 'chip', 'aria-pressed': String(current?.code === c.code), dataset: { code: c.code },
      onclick: () => {
        current = c;
        chosen.replaceChildren(h('strong', null, `${c.code} ${pick(c, 'name')}`), ` · ${pick(c, 'major_name')} · ${lang() === 'en' ? c.kind : c.kind_zh}`);
        show();
        onChange(c);
      },
    }, `${c.code} ${c.name}`)));
    if (!list.length) results.append(h('p', { class: 'muted' }, t('picker.no_match')));
  };

  categories().then((data) => {
    all = data.categories.filter((c) => c.enabled !== false); // switched off by the city: not offered anew
    major.replaceChildren(...data.majors.map((m) => h('option', { value: m.code },
      `${m.code} ${m.name}（${m.kind === 'component' ? t('picker.component') : t('picker.event')}）`)));
    show();
  }).catch((err) => results.replaceChildren(h('p', { class: 'error' }, err.message)));
  search.addEventListener('input', show);
  major.addEventListener('change', () => {
    search.value = '';
    show();
  });
  return box;
}
