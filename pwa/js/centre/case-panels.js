/** Sections the command centre adds to a case page: triage suggestions, a likely duplicate, routing, a unit's request. */

import { api } from '../api.js';
import { lang, paren, pick, t } from '../i18n.js';
import { stateBadge } from '../badges.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';
import { renderPhotos } from '../photo-view.js';
import { toast } from '../toast.js';
import { actionForm, performAction } from '../unit/actions.js';
import { acceptSuggestion, suggestionItem } from './suggestions.js';

const has = (c, a) => (c.actions || []).some((x) => x.action === a);

/**
 * Classifier suggestions with reasons; accept one in a click, or choose another code (stored as a label).
 * @param {object} c
 * @param {(c?: object) => void} reload
 * @returns {HTMLElement|null}
 */
export function triagePanel(c, reload) {
  if (!has(c, 'reclassify') || !['new', 'verifying', 'pending_filing'].includes(c.state)) return null;
  const formBox = h('div');
  const other = h('button', { type: 'button', class: 'btn btn-outline', dataset: { action: 'choose-code' }, onclick: () => {
    const a = c.actions.find((x) => x.action === 'reclassify');
    formBox.replaceChildren(actionForm(c, a, [{ name: 'category_code', required: true }, { name: 'standard_index', required: false }],
      { onDone: (u) => reload(u), onCancel: () => formBox.replaceChildren() }));
  } }, t('centre.other_code'));
  const suggestions = c.suggestions || [];
  return h('section', { class: 'desk-panel triage-panel' },
    h('h2', null, t('centre.suggestions')),
    c.category_code ? h('p', { class: 'small' }, `${t('centre.current_category')}${lang() === 'en' ? ': ' : '：'}${pick(c, 'category_name')}${paren(c.category_code)}`) : null,
    suggestions.length
      ? suggestions.map((s, i) => suggestionItem(s, async () => reload(await acceptSuggestion(c, s)),
        { label: i === 0 && c.state === 'new' ? t('centre.accept_and_file') : t('centre.accept_suggestion') }))
      : h('p', { class: 'muted' }, t('centre.no_suggestion')),
    h('div', { class: 'action-buttons' }, other), formBox);
}

/**
 * A likely-duplicate pair side by side: confirm (link as duplicate) or dismiss the match (`dismiss_duplicate`, which
 * clears `likely_duplicate_of` on the server, so every desk stops offering the pair).
 * @param {object} c
 * @param {(c?: object) => void} reload
 * @returns {HTMLElement|null}
 */
export function duplicatePanel(c, reload) {
  if (!c.likely_duplicate_of || !(has(c, 'link_duplicate') || has(c, 'dismiss_duplicate'))) return null;
  const original = h('div', { class: 'dup-side' }, t('common.loading'));
  const run = (action, body, doneText) => async (e) => {
    const buttons = e.currentTarget.parentElement.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      reload(await performAction(c, action, body, doneText));
    } catch (err) {
      toast(err.message, 'error');
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  const panel = h('section', { class: 'desk-panel dup-panel' },
    h('h2', null, t('centre.duplicate')),
    h('div', { class: 'dup-pair' },
      h('div', { class: 'dup-side' }, h('h3', null, t('centre.dup.this')), brief(c)),
      original),
    h('div', { class: 'action-buttons' },
      has(c, 'link_duplicate') ? h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'link_duplicate' },
        onclick: run('link_duplicate', { original_case_id: c.likely_duplicate_of }) }, t('centre.dup.confirm')) : null,
      has(c, 'dismiss_duplicate') ? h('button', { type: 'button', class: 'btn', dataset: { action: 'dismiss_duplicate' },
        onclick: run('dismiss_duplicate', {}, t('centre.dup.kept')) }, t('centre.dup.keep')) : null));
  api(`cases/${c.likely_duplicate_of}`).then((o) => {
    original.replaceChildren(h('h3', null, t('centre.dup.original')),
      h('a', { href: `#/centre/case/${o.id}` }, o.tracking_no), brief(o));
  }).catch((err) => { original.textContent = err.message; });
  return panel;
}

function brief(c) {
  return h('div', { class: 'small' },
    h('p', null, stateBadge(c), ' ', pick(c, 'category_name') || '—'),
    h('p', { class: 'muted' }, c.description || ''),
    h('p', { class: 'muted' }, formatTime(c.created_at)),
    renderPhotos((c.photos || []).filter((p) => p.kind === 'report')));
}

/**
 * The routing suggestion and the rule that fired, with one-click dispatch.
 * @param {object} c
 * @param {(c?: object) => void} reload
 * @returns {HTMLElement|null}
 */
export function routingPanel(c, reload) {
  if (!has(c, 'dispatch')) return null;
  return h('section', { class: 'desk-panel routing-panel' },
    h('h2', null, t('centre.routing')),
    c.suggested_unit
      ? [h('p', null, h('strong', null, c.suggested_unit.name)),
        c.routing_rule ? h('p', { class: 'muted small' }, t('centre.routing.rule', { rule: c.routing_rule })) : null,
        h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'dispatch-suggested' }, onclick: async (e) => {
          e.currentTarget.disabled = true;
          try { reload(await performAction(c, 'dispatch')); } catch (err) { toast(err.message, 'error'); }
        } }, t('centre.dispatch_to', { name: c.suggested_unit.name }))]
      : h('p', { class: 'muted' }, t('centre.routing.none')));
}

/**
 * What a unit asked for (return, extension, suspension): the latest request's reason and hours.
 * @param {object} c
 * @returns {HTMLElement|null}
 */
export function requestPanel(c) {
  if (!c.state.endsWith('_requested')) return null;
  const action = `request_${c.state.replace('_requested', '')}`;
  const entry = [...(c.timeline || [])].reverse().find((e) => e.action === action);
  if (!entry) return null;
  return h('section', { class: 'desk-panel request-panel' },
    h('h2', null, `${t('centre.request')}：${t(`action.${action}`)}`),
    h('p', null, entry.note),
    entry.data?.extension_hours ? h('p', null, `${t('desk.field.extension_hours')}：${entry.data.extension_hours}`) : null,
    h('p', { class: 'muted small' }, `${entry.actor_name} · ${formatTime(entry.at)}`));
}
