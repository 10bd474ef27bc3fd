/** The actions panel: exactly the actions the API offers the caller, each with its required fields as inputs.
 * A unit's field actions (签收, 处置反馈 and its requests) go through the outbox, so none is lost without signal. */

import { api, newKey } from '../api.js';
import { lang, t } from '../i18n.js';
import { enqueueAction, listOutbox, removeEntry, retryEntry } from '../outbox.js';
import { h } from '../dom.js';
import { actionName } from '../format.js';
import { toast } from '../toast.js';
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
/** What a unit does on site, often without signal: kept in the outbox until the server has it. The centre's desk
 * actions (file, dispatch, approve …) decide on what the desk sees now, so they are sent directly or not at all. */
export const FIELD_ACTIONS = new Set(['accept', 'report_back', 'request_return', 'request_extension', 'request_suspension']);
const submitting = new Set(); // outbox keys performAction waits on in this page: it handles their answer itself

/**
 * Perform an action on a case. A field action goes through the outbox with its photos: when the server cannot be
 * reached it stays queued (sent on reconnect) and this answers null.
 * @param {{id: number, tracking_no: string}} c the case
 * @param {string} action
 * @param {object} [body]
 * @param {string} [doneText] the message shown on success (default: 已{action})
 * @param {Array<{name: string, type: string, data: ArrayBuffer}>} [photos] a field action's photos, not yet uploaded
 * @returns {Promise<object|null>} the case after the action, or null when it was queued
 * @throws {Error} the server refused the action
 */
export async function performAction(c, action, body = {}, doneText = '', photos = []) {
  let updated;
  if (FIELD_ACTIONS.has(action)) {
    const key = newKey();
    submitting.add(key);
    let entry;
    try {
      entry = await enqueueAction(c, action, body, photos, key, PHOTO_KIND[action] || action);
    } finally {
      submitting.delete(key);
    }
    if (entry.status === 'failed') {
      await removeEntry(key); // refused (e.g. the case moved on): say why instead of keeping it
      throw new Error(entry.error);
    }
    if (entry.status !== 'sent') {
      toast(t('desk.queued', { action: actionName(action) }), 'info');
      return null;
    }
    await removeEntry(key);
    updated = entry.result.case;
  } else {
    updated = await api(`cases/${c.id}/actions/${action}`, { method: 'POST', json: body, idempotencyKey: newKey() });
  }
  toast(doneText || t('desk.done', { action: actionName(action) }), 'ok');
  return updated;
}

/**
 * This case's field actions in the outbox (waiting, sending, sent later, refused), except those a form of this page
 * is still submitting.
 * @param {number} caseId
 * @returns {Promise<import('../outbox.js').OutboxEntry[]>}
 */
export async function queuedActions(caseId) {
  return (await listOutbox()).filter((e) => e.kind === 'action' && e.case_id === caseId && !submitting.has(e.key));
}

/**
 * The field actions of a case waiting in the outbox, with their state (待发送 / 发送中 / 发送失败 / 已过期).
 * @param {import('../outbox.js').OutboxEntry[]} entries not yet sent
 * @returns {HTMLElement|null}
 */
export function queuedPanel(entries) {
  if (!entries.length) return null;
  return h('section', { class: 'desk-panel queued-actions', 'aria-label': t('desk.outbox.title') },
    h('h2', null, t('desk.outbox.title')),
    h('ul', { class: 'plain-list' }, entries.map((e) => h('li', {
      class: `queued-action out-item-${e.status}`, dataset: { key: e.key, status: e.status, action: e.action },
    },
    h('strong', null, actionName(e.action)), ' ', h('span', { class: `badge out-${e.status}` }, t(`outbox.${e.status}`)),
    e.photos.length ? h('span', { class: 'muted small' }, ` · ${t('outbox.photos', { n: e.photos.length })}`) : null,
    e.status === 'pending' ? h('p', { class: 'muted small' }, t('outbox.pending_hint')) : null,
    e.error && e.status !== 'pending' ? h('p', { class: 'error small' }, e.error) : null,
    e.status === 'failed' || e.status === 'expired' ? h('div', { class: 'btn-row' },
      e.status === 'expired'
        ? h('button', { type: 'button', class: 'btn', onclick: () => retryEntry(e.key) }, t('desk.outbox.retry')) : null,
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => removeEntry(e.key) }, t('outbox.delete')))
      : null))));
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
          onDone(await performAction(c, a.action));
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
  const queued = FIELD_ACTIONS.has(a.action); // photos stay on the device until the outbox sends them
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const rows = fields.map((f) => {
    const { el, get } = fieldInput(c, a.action, f, queued);
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
    let photos = [];
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
      if (f.name === 'photo_ids' && queued) photos = v;
      else body[f.name] = v;
    }
    submit.disabled = true;
    error.hidden = true;
    try {
      onDone(await performAction(c, a.action, body, '', photos));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return form;
}

function fieldInput(c, action, f, queued) {
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
      return photoInput(PHOTO_KIND[action] || 'after', { queued });
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
