/** DOM helpers shared by every screen: element builder, toasts, badges, timeline, photos, dialogs, times. */

import { photoUrl } from './api.js';
import { lang, pick, t } from './i18n.js';

/**
 * Build an element. attrs: `class`, `style` (string or object), `dataset`, `on<event>` handlers, `aria-*` and other
 * attributes; properties such as `value`, `checked`, `disabled`, `hidden` are set as properties.
 * @param {string} tag
 * @param {object|null} [attrs]
 * @param {...(Node|string|number|null|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple', 'required'].includes(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * Show a short message at the bottom of the screen (announced to screen readers).
 * @param {string} message
 * @param {'info'|'ok'|'error'} [kind]
 */
export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const el = h('div', { class: `toast toast-${kind}` }, message);
  // At most one at a time: a newer message replaces an older one (a burst of live events shows the latest).
  box.replaceChildren(el);
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 3500);
}

/** Remove the toast on screen (e.g. "take a photo first" once a photo is there): no stale advice stays up. */
export function clearToasts() {
  document.getElementById('toasts')?.replaceChildren();
}

/**
 * @param {{state: string, state_zh?: string, state_en?: string}} c a case
 * @returns {HTMLElement}
 */
export function stateBadge(c) {
  return h('span', { class: `badge state state-${c.state}`, dataset: { state: c.state } },
    pick(c, 'state') || t(`state.${c.state}`));
}

/**
 * The timer light of a case: green, yellow, red (or none when no clock runs).
 * @param {string} light
 * @returns {HTMLElement}
 */
export function lightBadge(light) {
  const l = ['green', 'yellow', 'red'].includes(light) ? light : 'none';
  return h('span', { class: `badge light light-${l}`, dataset: { light: l } },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`light.${l}`));
}

/**
 * Format an ISO time for people: `5月3日 14:05` (or with the year when not this year).
 * @param {string|Date|null} iso
 * @returns {string}
 */
export function formatTime(iso) {
  if (!iso) return '';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const opts = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(lang(), opts).format(d);
}

/**
 * The case timeline as an ordered list, oldest first.
 * @param {{timeline: Array<object>}} c
 * @returns {HTMLElement}
 */
export function renderTimeline(c) {
  const items = c.timeline || [];
  return h('ol', { class: 'timeline', 'aria-label': t('case.timeline') },
    items.map((e) => h('li', { class: `tl-item tl-${e.action}` },
      h('div', { class: 'tl-head' },
        h('strong', null, actionName(e.action)),
        h('time', { datetime: e.at }, formatTime(e.at))),
      h('div', { class: 'tl-who muted' }, e.actor_zh ? pick(e, 'actor') // a citizen's view: role · organisation only
        : [e.actor_id == null ? t('role.system') : e.actor_name, e.actor_role && e.actor_id != null ? t(`role.${e.actor_role}`) : '']
          .filter(Boolean).join(' · '),
        e.to_state && e.to_state !== e.from_state ? ` → ${t(`state.${e.to_state}`)}` : ''),
      e.note ? h('p', { class: 'tl-note' }, e.note) : null,
      resultText(e) ? h('p', { class: 'tl-note' }, resultText(e)) : null)));
}

function resultText(e) {
  const r = e.result ?? e.data?.result;
  return r ? t(`result.${r}`) : '';
}

/**
 * @param {string} action
 * @returns {string} the action's display name
 */
export function actionName(action) {
  const k = `action.${action}`;
  const s = t(k);
  return s === k ? action : s;
}

/**
 * Photo thumbnails grouped by kind (report, verify, after, check); tap to see the large version.
 * Images need the bearer token, so they are fetched as blobs.
 * @param {Array<{id:number, kind:string, thumb_url:string|null, display_url:string|null}>} photos
 * @returns {HTMLElement}
 */
export function renderPhotos(photos) {
  const box = h('div', { class: 'photo-groups' });
  const kinds = ['report', 'verify', 'after', 'check'];
  for (const kind of kinds) {
    const list = (photos || []).filter((p) => p.kind === kind && (p.thumb_url || p.display_url));
    if (!list.length) continue;
    box.append(h('figure', { class: `photo-group photo-${kind}` },
      h('figcaption', null, t(`photo.kind.${kind}`)),
      h('div', { class: 'thumbs' }, list.map((p) => photoThumb(p)))));
  }
  return box;
}

function photoThumb(p) {
  // The button's name is its picture's text (WCAG 2.5.3: a name that contains what is shown): kind, then what it does.
  const img = h('img', { alt: `${t(`photo.kind.${p.kind}`)} · ${t('photo.open')}`, loading: 'lazy', width: 96, height: 96 });
  photoUrl(p.thumb_url || p.display_url).then((u) => { img.src = u; }).catch(() => img.classList.add('broken'));
  return h('button', {
    type: 'button', class: 'thumb',
    onclick: async () => {
      const big = h('img', { alt: t(`photo.kind.${p.kind}`), class: 'photo-big' });
      const dlg = h('dialog', { class: 'photo-dialog', onclick: () => dlg.close(), onclose: () => dlg.remove() },
        photoWithText(big, p));
      document.body.append(dlg);
      dlg.showModal();
      big.src = await photoUrl(p.display_url || p.thumb_url);
    },
  }, img, privateBadge(p));
}

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

/**
 * A loading placeholder for a container.
 * @returns {HTMLElement}
 */
export function spinner() {
  return h('p', { class: 'loading', role: 'status' }, t('common.loading'));
}

/** A badge on a thumbnail whose photo is not public (yet): faces and plates not pixelated; the reason as its title. */
function privateBadge(p) {
  const r = p.redaction;
  if (!r || r.public) return null;
  return h('span', { class: 'redact-badge', title: pick(r, 'message') }, t('redact.private'));
}

/**
 * For staff: the large photo with a box on each region text was read from (phone numbers, plates, signs), whether the
 * photo is public or why not, and the texts; a text's button marks its region. Boxes are fractions of the display image.
 */
function photoWithText(big, p) {
  const r = p.redaction;
  const texts = r?.texts || [];
  const marks = texts.map((x) => {
    const [left, top, width, height] = x.box.map((v) => `${(v * 100).toFixed(2)}%`);
    return h('span', { class: `redact-mark redact-${x.kind}`, style: `left:${left};top:${top};width:${width};height:${height}` });
  });
  const frame = h('div', { class: 'redact-frame' }, big, ...marks);
  if (!r) return frame;
  const list = h('ul', { class: 'redact-texts' }, texts.map((x, i) => h('li', null, h('button', {
    type: 'button', class: 'btn btn-small', 'aria-label': t('redact.show', { text: x.text }),
    onclick: (e) => { e.stopPropagation(); marks.forEach((m, j) => m.classList.toggle('redact-current', i === j)); },
  }, `${t(`redact.kind.${x.kind}`)} · ${x.text}`))));
  return h('div', { class: 'redact-panel' }, frame, h('p', { class: 'small redact-status' }, pick(r, 'message')),
    texts.length ? h('section', null, h('h3', null, t('redact.texts')), list) : null);
}
