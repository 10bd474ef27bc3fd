/** A place search box: type a name, pinyin or initials (typos are fine), pick a result. Works with no map at all,
 * so a place can be chosen with a keyboard or a screen reader. */

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../dom.js';
import './messages.js';

let serial = 0;

/**
 * @param {{onPick: (p: {kind: string, code: string, name: string, context: string, lat: number, lng: number}) => void,
 *          label?: string}} opts
 * @returns {{el: HTMLElement, input: HTMLInputElement}}
 */
export function placeSearch({ onPick, label = t('place.search') }) {
  const id = `place-search-${++serial}`;
  const input = h('input', { id, type: 'search', autocomplete: 'off', placeholder: t('place.search_ph'),
    'aria-describedby': `${id}-status` });
  const status = h('p', { id: `${id}-status`, class: 'muted small', 'aria-live': 'polite' });
  const list = h('ul', { class: 'place-results', 'aria-label': t('place.results') });
  let timer = 0;
  let asked = 0;

  const show = (results, q) => {
    list.replaceChildren(...results.map((p) => h('li', null, h('button', {
      type: 'button', class: 'place-result', dataset: { kind: p.kind, code: p.code },
      onclick: () => {
        input.value = p.name;
        list.replaceChildren();
        status.textContent = t('place.chosen', { name: p.name });
        onPick(p);
      },
    }, h('strong', null, p.kind === 'component' ? `${p.name} ${p.code}` : p.name),
    h('span', { class: 'place-kind' }, t(`place.kind.${p.kind}`)),
    p.context ? h('span', { class: 'muted small' }, p.context) : null))));
    status.textContent = results.length ? t('place.found', { n: results.length }) : t('place.none', { q });
  };

  const run = async () => {
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) {
      list.replaceChildren();
      status.textContent = '';
      return;
    }
    try {
      const res = await api(`places/search?q=${encodeURIComponent(q)}&limit=8`);
      if (mine === asked) show(res.results, q);
    } catch (err) {
      if (mine !== asked) return;
      list.replaceChildren();
      status.textContent = err.message;
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault(); // inside a form: search, do not submit the report
      clearTimeout(timer);
      run();
    }
  });
  const el = h('div', { class: 'field place-search' }, h('label', { for: id }, label), input, status, list);
  return { el, input };
}
