/** The actions panel: exactly the actions the API offers the caller, each with its required fields as inputs. */

import { api, newKey } from '../api.js';
import { lang, t } from '../i18n.js';
import { actionName, h, toast } from '../ui.js';
import { photoInput } from './photo-input.js';
import { categoryInput, supervisorSelect, unitSelect } from './pickers.js';

/** Optional fields worth offering per action, beside the API's required ones. */
const OPTIONAL = {
  request_verify: ['supervisor_id'],
  verify: ['note'],
  accept_report: ['note'],
  reclassify: ['standard_index'],
  file: ['note'],
  dispatch: ['unit_id', 'note'],
  approve_return: ['note'],
  approve_extension: ['extension_hours', 'note'],
  approve_suspension: ['note'],
  resume: ['note'],
  check: ['note'],
  close: ['note'],
  rate: ['comment'],
};
const DANGER = new Set(['void', 'request_return', 'reject_return', 'reject_extension', 'reject_suspension']);
const PHOTO_KIND = { report_back: 'after', verify: 'verify', check: 'check' };
const RESULTS = { verify: ['confirmed', 'not_confirmed'], check: ['pass', 'fail'] };

/**
 * Perform an action on a case.
 * @param {number} caseId
 * @param {string} action
 * @param {object} [body]
 * @param {string} [doneText] the message shown on success (default: 已{action})
 * @returns {Promise<object>} the case after the action
 * @throws {ApiError}
 */
export async function performAction(caseId, action, body = {}, doneText = '') {
  const updated = await api(`cases/${caseId}/actions/${action}`, { method: 'POST', json: body, idempotencyKey: newKey() });
  toast(doneText || t('desk.done', { action: actionName(action) }), 'ok');
  return updated;
}

/**
 * The panel of the actions a case offers now (`c.actions`), with inline forms.
 * @param {object} c the case (from GET /cases/{id})
 * @param {{onDone: (updated: object) => void, skip?: string[]}} opts skip: actions shown elsewhere on the page
 * @returns {HTMLElement}
 */
export function actionPanel(c, { onDone, skip = [] }) {
  const list = (c.actions || []).filter((a) => !skip.includes(a.action));
  const formBox = h('div', { class: 'action-form-box' });
  const buttons = list.map((a) => h('button', {
    type: 'button',
    class: `btn ${DANGER.has(a.action) ? 'btn-danger-outline' : 'btn-primary'}`,
    dataset: { action: a.action },
    onclick: async (e) => {
      const fields = fieldsOf(a);
      if (!fields.length) {
        e.currentTarget.disabled = true;
        try {
          onDone(await performAction(c.id, a.action));
        } catch (err) {
          toast(err.message, 'error');
          e.currentTarget.disabled = false;
        }
        return;
      }
      formBox.replaceChildren(actionForm(c, a, fields, { onDone, onCancel: () => formBox.replaceChildren() }));
      formBox.querySelector('input, select, textarea')?.focus();
    },
  }, lang() === 'en' ? a.name_en : a.name_zh));
  return h('section', { class: 'desk-panel actions-panel', 'aria-label': t('desk.section.actions') },
    h('h2', null, t('desk.section.actions')),
    list.length ? h('div', { class: 'action-buttons' }, buttons) : h('p', { class: 'muted' }, t('desk.no_actions')),
    formBox);
}

function fieldsOf(a) {
  const required = a.required || [];
  const optional = (OPTIONAL[a.action] || []).filter((f) => !required.includes(f));
  return [...required.map((name) => ({ name, required: true })), ...optional.map((name) => ({ name, required: false }))];
}

/**
 * The inline form of one action.
 * @param {object} c
 * @param {{action: string, name_zh: string, name_en: string}} a
 * @param {Array<{name: string, required: boolean}>} fields
 * @param {{onDone: Function, onCancel: Function}} handlers
 * @returns {HTMLFormElement}
 */
export function actionForm(c, a, fields, { onDone, onCancel }) {
  const getters = {};
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const rows = fields.map((f) => {
    const { el, get } = fieldInput(c, a.action, f);
    getters[f.name] = get;
    const label = t(`desk.field.${f.name}`) + (f.required ? '' : t('desk.field.optional'));
    return h('div', { class: 'field', dataset: { field: f.name } }, h('span', { class: 'field-label' }, label), el);
  });
  const submit = h('button', { type: 'submit', class: `btn ${DANGER.has(a.action) ? 'btn-danger' : 'btn-primary'}` },
    lang() === 'en' ? a.name_en : a.name_zh);
  const form = h('form', { class: 'action-form', dataset: { action: a.action } },
    h('h3', null, lang() === 'en' ? a.name_en : a.name_zh),
    rows, error,
    h('div', { class: 'dialog-buttons' },
      h('button', { type: 'button', class: 'btn', onclick: onCancel }, t('common.cancel')), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const body = {};
    for (const f of fields) {
      const v = getters[f.name]();
      if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) {
        if (f.required) {
          error.textContent = f.name === 'photo_ids' ? t('desk.photo.need') : `${t(`desk.field.${f.name}`)}?`;
          error.hidden = false;
          return;
        }
        continue;
      }
      body[f.name] = v;
    }
    submit.disabled = true;
    error.hidden = true;
    try {
      onDone(await performAction(c.id, a.action, body));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return form;
}

function fieldInput(c, action, f) {
  const req = f.required;
  switch (f.name) {
    case 'note':
    case 'reason':
    case 'comment': {
      const el = h('textarea', { name: f.name, rows: 3, required: req, maxlength: f.name === 'comment' ? 500 : 2000 });
      return { el, get: () => el.value.trim() };
    }
    case 'result': {
      const opts = RESULTS[action] || ['pass', 'fail'];
      const el = h('div', { class: 'radio-row' }, opts.map((o, i) => h('label', { class: 'radio' },
        h('input', { type: 'radio', name: 'result', value: o, checked: i === 0 }), t(`result.${o}`))));
      return { el, get: () => el.querySelector('input:checked')?.value };
    }
    case 'satisfied': {
      const el = h('div', { class: 'radio-row' }, [['true', 'desk.yes'], ['false', 'desk.no']].map(([v, k], i) =>
        h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'satisfied', value: v, checked: i === 0 }), t(k))));
      return { el, get: () => el.querySelector('input:checked')?.value === 'true' };
    }
    case 'photo_ids':
      return photoInput(PHOTO_KIND[action] || 'after');
    case 'supervisor_id':
      return supervisorSelect(req);
    case 'unit_id':
      return unitSelect(c.suggested_unit, req);
    case 'category_code':
    case 'standard_index': {
      if (f.name === 'standard_index') {
        const el = h('input', { type: 'number', name: 'standard_index', min: 0, max: 50, step: 1 });
        return { el, get: () => (el.value === '' ? undefined : Number(el.value)) };
      }
      return categoryInput(c.suggestions?.[0]?.code || c.category_code, req);
    }
    case 'original_case_id': {
      const el = h('input', { type: 'number', name: 'original_case_id', min: 1, required: req,
        value: c.likely_duplicate_of ?? '' });
      return { el, get: () => (el.value ? Number(el.value) : undefined) };
    }
    case 'extension_hours': {
      const el = h('input', { type: 'number', name: 'extension_hours', min: 1, max: 2160, step: 1, required: req,
        value: req ? 24 : '' });
      return { el, get: () => (el.value ? Number(el.value) : undefined) };
    }
    default: {
      const el = h('input', { name: f.name, required: req });
      return { el, get: () => el.value.trim() };
    }
  }
}
