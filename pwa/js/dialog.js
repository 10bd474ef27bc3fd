/** A modal dialog: confirm, or ask for a few fields. */

import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * A modal dialog. Without fields it resolves true/false; with fields it resolves their values, or null when
 * cancelled. Field: `{name, label, type: 'text'|'textarea'|'number'|'select'|'radio', options: [{value,label}],
 * required, value}`.
 * @param {{title: string, message?: string, confirmText?: string, cancelText?: string, danger?: boolean,
 *          fields?: Array<object>}} opts
 * @returns {Promise<boolean|object|null>}
 */
export function confirmDialog({ title, message, confirmText, cancelText, danger = false, fields } = {}) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', null, title),
      message ? h('p', null, message) : null,
      (fields || []).map(fieldEl),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'btn', value: 'cancel', onclick: () => finish(null) },
          cancelText || t('common.cancel')),
        h('button', { type: 'submit', class: danger ? 'btn btn-danger' : 'btn btn-primary', value: 'ok' },
          confirmText || t('common.ok'))));
    const dlg = h('dialog', { class: 'dialog', 'aria-label': title }, form);
    let done = false;
    const finish = (values) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(fields ? values : values !== null);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      const data = Object.fromEntries(new FormData(form).entries());
      finish(data);
    });
    dlg.addEventListener('cancel', () => finish(null));
    document.body.append(dlg);
    dlg.showModal();
  });
}

function fieldEl(f) {
  const id = `f-${f.name}-${Math.random().toString(36).slice(2, 7)}`;
  if (f.type === 'radio') {
    return h('fieldset', { class: 'field' }, h('legend', null, f.label),
      f.options.map((o, i) => h('label', { class: 'radio' },
        h('input', { type: 'radio', name: f.name, value: o.value, required: f.required, checked: f.value ? f.value === o.value : i === 0 }),
        o.label)));
  }
  let input;
  if (f.type === 'textarea') input = h('textarea', { id, name: f.name, rows: 3, required: f.required }, f.value || '');
  else if (f.type === 'select') {
    input = h('select', { id, name: f.name, required: f.required },
      f.options.map((o) => h('option', { value: o.value, selected: o.value === f.value }, o.label)));
  } else {
    input = h('input', { id, name: f.name, type: f.type || 'text', required: f.required, value: f.value ?? '',
      min: f.min, max: f.max, step: f.step });
  }
  return h('div', { class: 'field' }, h('label', { for: id }, f.label), input);
}
