/** 回访: the month's dissatisfied ratings and reopened cases for the centre to call back, each call's outcome recorded.
 * The citizen's name and phone come only to the hotline seats (operators, shift leads), who also record the calls. */

import { ApiError, api, session } from '/js/api.js';
import { lang, t } from '/js/i18n.js';
import { navigate } from '/js/router.js';
import { h, spinner } from '/js/dom.js';
import { formatTime } from '/js/format.js';
import { toast } from '/js/toast.js';
import { pageHead } from '/js/unit/desk.js';

const OUTCOMES = ['resolved', 'dissatisfied', 'unreachable', 'refused'];
const CALLERS = ['operator', 'shift_lead'];

/**
 * Render the follow-up list for `month` (YYYY-MM) and `range` ({from, to}).
 * @param {HTMLElement} main
 * @param {{month: string, range: {from: string, to: string}, status: string}} opts
 */
export async function renderFollowUp(main, { month, range, status }) {
  const caller = CALLERS.includes(session()?.user.role);
  const go = (changes) => navigate(`#/eval?${new URLSearchParams({ view: 'followup', month, status, ...changes })}`);
  const summary = h('p', { class: 'muted small', id: 'fu-summary' });
  const body = h('div', { class: 'fu-body' }, spinner());
  main.replaceChildren(h('div', { class: 'desk-page ev' },
    pageHead(t('fu.title'), { back: ['#/eval?' + new URLSearchParams({ month }), t('ev.title')] }),
    h('div', { class: 'ev-controls' },
      h('label', null, t('ev.month'), ' ', h('input', { type: 'month', id: 'fu-month', value: month,
        onchange: (e) => e.target.value && go({ month: e.target.value }) })),
      h('label', null, t('fu.status'), ' ', h('select', { id: 'fu-status', onchange: (e) => go({ status: e.target.value }) },
        ['pending', 'done', 'all'].map((s) => h('option', { value: s, selected: s === status }, t(`fu.status.${s}`)))))),
    summary, body));
  let data;
  try {
    data = await api(`evaluation/followups?${new URLSearchParams({ ...range, status })}`);
  } catch (err) {
    body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? err.message : String(err)));
    return;
  }
  const counts = { pending: data.pending, done: data.done };
  const showCounts = () => {
    summary.textContent = t('fu.summary', counts) + (data.contact_hidden ? ` · ${t('fu.contact_hidden')}` : '');
  };
  showCounts();
  const settled = () => {
    counts.pending -= 1;
    counts.done += 1;
    showCounts();
  };
  if (!data.items.length) {
    body.replaceChildren(h('p', null, t('fu.none')));
    return;
  }
  body.replaceChildren(h('div', { class: 'table-scroll', role: 'region', tabindex: '0', 'aria-label': t('fu.title') },
    h('table', { class: 'admin-table fu-table' },
      h('thead', null, h('tr', null, [t('fu.when'), t('fu.case'), t('fu.kind'), t('fu.unit'), t('fu.words'),
        ...(data.contact_hidden ? [] : [t('fu.contact')]), t('fu.calls')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, data.items.map((item) => row(item, caller, data.contact_hidden, settled))))));
}

function row(item, caller, hidden, settled) {
  const tr = h('tr', { dataset: { entry: String(item.entry), status: item.status } });
  const draw = (it) => tr.replaceChildren(
    h('td', { class: 'nowrap' }, formatTime(it.at)),
    h('td', { class: 'nowrap' }, h('a', { href: `#/centre/case/${it.case_id}` }, it.tracking_no),
      h('div', { class: 'muted small' }, it.category_name)),
    h('td', null, h('span', { class: `fu-kind fu-${it.kind}` }, t(`fu.kind.${it.kind}`))),
    h('td', null, it.unit_name || '—'),
    h('td', { class: 'fu-words' }, it.words || h('span', { class: 'muted' }, t('fu.no_words'))),
    hidden ? null : h('td', { class: 'nowrap fu-contact' }, contact(it.contact)),
    h('td', null, calls(it), it.status === 'pending' && caller ? form(it, (next) => {
      tr.dataset.status = next.status;
      if (next.status === 'done') settled();
      draw(next);
    }) : null));
  draw(item);
  return tr;
}

function contact(c) {
  if (!c || (!c.name && !c.phone)) return h('span', { class: 'muted' }, t('fu.no_contact'));
  return h('span', null, c.name || t('fu.anonymous'), c.phone ? h('br') : null,
    c.phone ? h('a', { href: `tel:${c.phone}` }, c.phone) : null);
}

function calls(item) {
  if (!item.calls.length) return h('p', { class: 'muted small fu-none' }, t('fu.not_called'));
  return h('ol', { class: 'fu-calls' }, item.calls.map((c) => h('li', null,
    h('b', null, lang() === 'en' ? c.outcome_en : c.outcome_zh), ` · ${c.caller_name} · ${formatTime(c.at)}`,
    c.note ? h('div', { class: 'small' }, c.note) : null)));
}

function form(item, onDone) {
  const outcome = h('select', { name: 'outcome', 'aria-label': t('fu.outcome') },
    OUTCOMES.map((o) => h('option', { value: o }, t(`fu.outcome.${o}`))));
  const note = h('input', { type: 'text', name: 'note', maxlength: 500, placeholder: t('fu.note'), 'aria-label': t('fu.note') });
  const button = h('button', { type: 'submit', class: 'btn btn-small' }, t('fu.record'));
  return h('form', { class: 'fu-form', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      const next = await api(`evaluation/followups/${item.entry}/calls`, { method: 'POST',
        json: { outcome: outcome.value, note: note.value } });
      toast(t('fu.recorded'), 'ok');
      onDone(next);
    } catch (err) {
      toast(err.message, 'error');
      button.disabled = false;
    }
  } }, outcome, note, button);
}
