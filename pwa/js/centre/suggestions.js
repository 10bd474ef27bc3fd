/** Classifier suggestions with their reasons, and the one-click "accept": reclassify, then take in (and file) as allowed. */

import { lang, pick, t } from '../i18n.js';
import { h } from '../dom.js';
import { toast } from '../toast.js';
import { performAction } from '../unit/actions.js';

/**
 * Accept a suggested category: reclassify with it, then accept the report and file it when the caller may.
 * @param {object} c the case (state new, verifying or pending_filing)
 * @param {{code: string, standard_index?: number}} s
 * @param {{file?: boolean}} [opts] file: also file it (shift leads)
 * @returns {Promise<object>} the case afterwards
 */
export async function acceptSuggestion(c, s, { file = true } = {}) {
  let updated = await performAction(c, 'reclassify', { category_code: s.code, standard_index: s.standard_index ?? 0 });
  const can = (a) => (updated.actions || []).some((x) => x.action === a);
  if (updated.state === 'new' && (can('accept_report') || !updated.actions?.length)) {
    updated = await performAction(c, 'accept_report');
  }
  if (file && updated.state === 'pending_filing' && can('file')) updated = await performAction(c, 'file');
  return updated;
}

/**
 * The reasons of one suggestion as a short list.
 * @param {{reasons?: Array<{kind: string, text_zh: string, text_en: string}>}} s
 * @param {number} [max]
 * @returns {HTMLElement|null}
 */
export function reasonList(s, max = 4) {
  const reasons = (s.reasons || []).slice(0, max);
  if (!reasons.length) return null;
  return h('ul', { class: 'reasons small' }, reasons.map((r) => h('li', { class: `reason reason-${r.kind}` },
    lang() === 'en' ? r.text_en : r.text_zh)));
}

/**
 * One suggestion line: code, name, confidence, reasons, and an accept button.
 * @param {object} s suggestion
 * @param {() => void} onAccept
 * @param {{compact?: boolean, label?: string}} [opts]
 * @returns {HTMLElement}
 */
export function suggestionItem(s, onAccept, { compact = false, label } = {}) {
  const pct = `${Math.round((s.confidence || 0) * 100)}%`;
  return h('div', { class: 'suggestion', dataset: { code: s.code } },
    h('div', { class: 'suggestion-head' },
      h('span', { class: 'code' }, s.code),
      h('strong', null, pick(s, 'name')),
      h('span', { class: 'confidence muted small', title: t('centre.confidence', { p: pct }) },
        h('span', { class: 'bar', style: { width: pct } }), pct),
      h('button', { type: 'button', class: 'btn btn-primary btn-small accept-suggestion', onclick: async (e) => {
        const button = e.currentTarget;
        button.disabled = true;
        try { await onAccept(); } catch (err) { toast(err.message, 'error'); } finally { button.disabled = false; }
      } }, label || t('centre.accept_suggestion'))),
    compact ? reasonList(s, 2) : [s.filing_condition ? h('p', { class: 'muted small' }, `${t('desk.filing_condition')}${lang() === 'en' ? ': ' : '：'}${pick(s, 'filing_condition')}`) : null, reasonList(s)]);
}
