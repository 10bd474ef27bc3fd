/** Runtime settings (运行参数): the values that are safe to change while the city runs, each beside its default,
 * and the evaluation scheme (weights and grade thresholds). Online only. */

import { ApiError, api } from '../api.js';
import { lang, t } from '../i18n.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { adminNav, beijingTime, errorBox } from './nav.js';
import { historyHref } from './common.js';
import './messages.js';
import './messages-city.js';

const shown = (s, v) => (s.kind === 'bool' ? t(v ? 'city.set.on' : 'city.set.off') : `${v} ${lang() === 'en' ? s.unit_en : s.unit_zh}`);

/**
 * Render `#/admin/settings`.
 * @param {HTMLElement} main
 */
export async function renderSettings(main) {
  const here = stillHere();
  const runtime = h('section', { class: 'admin-section', 'aria-labelledby': 'set-rt' }, spinner());
  const scheme = h('section', { class: 'admin-section', 'aria-labelledby': 'set-eval' });
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('settings'), pageHead(t('city.settings')), runtime, scheme));
  let settings;
  let evaluation;
  try {
    [settings, evaluation] = await Promise.all([api('admin/settings'), api('evaluation/scheme')]);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    runtime.replaceChildren(errorBox(err));
    return;
  }
  if (!here()) return;
  drawRuntime();
  drawScheme();

  function drawRuntime() {
    const status = h('div', { 'aria-live': 'polite' });
    const inputs = new Map();
    const rows = settings.map((s) => {
      const id = `set-${s.key}`;
      const input = s.kind === 'bool'
        ? h('input', { id, name: s.key, type: 'checkbox', checked: s.value })
        : h('input', { id, name: s.key, type: 'number', value: s.value, min: s.min, max: s.max, step: s.kind === 'int' ? 1 : 'any',
          required: true, class: 'num-input' });
      inputs.set(s.key, input);
      const label = lang() === 'en' ? s.label_en : s.label_zh;
      return h('div', { class: 'setting-row', dataset: { key: s.key, changed: String(s.changed) } },
        h('label', { for: id }, label),
        h('div', { class: 'setting-value' }, input,
          s.kind === 'bool' ? null : h('span', { class: 'muted small' }, t('city.set.range', { min: s.min, max: s.max, unit: lang() === 'en' ? s.unit_en : s.unit_zh }))),
        h('p', { class: 'muted small' }, t('city.set.default', { v: shown(s, s.default) }),
          s.changed ? h('span', { class: 'badge' }, `${t('city.set.changed')} ${beijingTime(s.updated_at)}`) : null));
    });
    // The server's message names the setting and its range in both languages: no browser bubble in front of it.
    const form = h('form', { class: 'settings-form', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const values = {};
      for (const s of settings) {
        const input = inputs.get(s.key);
        const v = s.kind === 'bool' ? input.checked : Number(input.value);
        if (v !== s.value) values[s.key] = v;
      }
      if (!Object.keys(values).length) return;
      try {
        settings = await api('admin/settings', { method: 'PUT', json: { values } });
        toast(t('city.set.saved'));
        drawRuntime();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        status.replaceChildren(errorBox(err));
        inputs.get(err.details?.key)?.focus();
      }
    } }, rows, status,
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save-settings' } }, t('city.set.save')),
      h('a', { href: historyHref('settings') }, t('con.history'))));
    runtime.replaceChildren(h('h2', { id: 'set-rt' }, t('city.set.cases')), h('p', { class: 'muted' }, t('city.set.hint')), form);
  }

  function drawScheme() {
    const status = h('div', { 'aria-live': 'polite' });
    const fields = [];
    const number = (name, value, label) => {
      const id = `eval-${name.replace('.', '-')}`;
      const input = h('input', { id, name, type: 'number', value, min: 0, max: name.startsWith('grade') ? 100 : 1000, step: 'any', required: true, class: 'num-input' });
      fields.push(input);
      return h('label', { for: id, class: 'eval-field' }, label, input);
    };
    const groups = Object.entries(evaluation.weights).map(([subject, parts]) => h('fieldset', { class: 'eval-group' },
      h('legend', null, t(`city.set.subject.${subject}`)),
      Object.entries(parts).map(([part, w]) => number(`${subject}.${part}`, w, t(`city.set.part.${part}`)))));
    const grades = h('fieldset', { class: 'eval-group' }, h('legend', null, t('city.set.grades')),
      Object.entries(evaluation.grades).map(([g, v]) => number(`grade.${g}`, v, t('city.set.grade', { g }))));
    const form = h('form', { class: 'settings-form', onsubmit: async (e) => {
      e.preventDefault();
      const weights = {};
      const gradeValues = {};
      for (const input of fields) {
        const [a, b] = input.name.split('.');
        if (a === 'grade') gradeValues[b] = Number(input.value);
        else (weights[a] ??= {})[b] = Number(input.value);
      }
      try {
        evaluation = await api('evaluation/scheme', { method: 'PUT', json: { weights, grades: gradeValues } });
        toast(t('city.set.eval_saved'));
        drawScheme();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        status.replaceChildren(errorBox(err));
      }
    } }, h('div', { class: 'eval-groups' }, groups, grades), status,
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save-scheme' } }, t('city.set.save_eval')),
      h('a', { href: historyHref('evaluation.scheme') }, t('con.history'))));
    scheme.replaceChildren(h('h2', { id: 'set-eval' }, t('city.set.eval')), h('p', { class: 'muted' }, t('city.set.eval_hint')), form);
  }
}
