/** The evaluation desk (综合考评): a month's table per subject with grades, the change since the previous month, the
 * cases behind any figure, an Excel export and a trend chart. Loaded on demand from the desk, never precached. */

import './messages.js';
import { ApiError, api, apiUrl, session } from '/js/api.js';
import { lang, t } from '/js/i18n.js';
import { hashQuery, lazy, navigate } from '/js/router.js';
import { h, spinner } from '/js/dom.js';
import { toast } from '/js/toast.js';
import { ensureDeskCss, pageHead } from '/js/unit/desk.js';
import { renderTrend } from './trend.js';

const SUBJECTS = [['unit', 'units'], ['street', 'areas'], ['community', 'areas'], ['district', 'areas'],
  ['grid', 'areas'], ['supervisor', 'supervisors'], ['dispatcher', 'dispatchers']];

function ensureCss() {
  ensureDeskCss();
  if (!document.querySelector('link[href="/desk/eval/eval.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/desk/eval/eval.css' }));
  }
}

/** The first and last day of a month given as YYYY-MM. */
function monthRange(month) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

function thisMonth() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date());
}

const percent = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const label = (item) => (lang() === 'en' ? item.en : item.zh);

/** A figure's path: /evaluation/units/3/figures/on_time_rate, …/areas/street/431302001/figures/… */
function figurePath(subject, key, figure) {
  const [level, base] = SUBJECTS.find(([s]) => s === subject);
  const middle = base === 'areas' ? `areas/${level}/${encodeURIComponent(key)}` : `${base}/${encodeURIComponent(key)}`;
  return `evaluation/${middle}/figures/${figure}`;
}

function tablePath(subject, range) {
  const [level, base] = SUBJECTS.find(([s]) => s === subject);
  const q = new URLSearchParams({ ...range, compare: 'true' });
  if (base === 'areas') q.set('level', level);
  return `evaluation/${base}?${q}`;
}

function gradeBadge(grade) {
  return grade ? h('span', { class: `grade grade-${grade}`, title: t('ev.grade') }, grade) : h('span', { class: 'muted' }, '—');
}

function delta(row) {
  const prev = row.previous?.score;
  if (prev === null || prev === undefined || row.score === null) return h('span', { class: 'muted small' }, t('ev.prev_none'));
  const d = row.score - prev;
  const cls = d > 0 ? 'up' : d < 0 ? 'down' : 'same';
  return h('span', { class: `delta ${cls}` }, `${d > 0 ? '▲' : d < 0 ? '▼' : '＝'} ${Math.abs(d).toFixed(1)}`,
    h('span', { class: 'muted small' }, ` (${gradeOrDash(row.previous.grade)})`));
}
const gradeOrDash = (g) => g || '—';

/**
 * Render the evaluation desk into `main`.
 * @param {HTMLElement} main
 * @param {object} params
 * @param {AbortSignal} signal the navigation's (see router.js): aborted, nothing more is drawn
 */
export async function renderEval(main, params, signal) {
  ensureCss();
  const role = session()?.user.role;
  const q = hashQuery();
  if (q.get('view') === 'wall' && role !== 'unit_staff') return lazy(() => import('./wall.js'), 'renderWall')(main, params, signal);
  const month = /^\d{4}-\d{2}$/.test(q.get('month') || '') ? q.get('month') : thisMonth();
  const unitOnly = role === 'unit_staff';
  if (q.get('view') === 'report' && !unitOnly) {
    return (await import('./report.js')).renderReport(main, { month, range: monthRange(month) });
  }
  if (q.get('view') === 'followup' && !unitOnly) {
    const status = ['pending', 'done', 'all'].includes(q.get('status')) ? q.get('status') : 'pending';
    return (await import('./followup.js')).renderFollowUp(main, { month, range: monthRange(month), status });
  }
  const subject = unitOnly ? 'unit' : SUBJECTS.some(([s]) => s === q.get('subject')) ? q.get('subject') : 'unit';
  const go = (changes) => navigate(`#/eval?${new URLSearchParams({ month, subject, ...changes })}`);

  const picker = h('input', { type: 'month', value: month, id: 'ev-month', onchange: (e) => e.target.value && go({ month: e.target.value }) });
  const select = h('select', { id: 'ev-subject', onchange: (e) => go({ subject: e.target.value }), disabled: unitOnly },
    SUBJECTS.map(([s]) => h('option', { value: s, selected: s === subject }, t(`ev.${s}`))));
  const exportBtn = h('button', { type: 'button', class: 'btn', onclick: () => exportXlsx(subject, month) }, t('ev.export'));
  const wallLink = unitOnly ? null : h('a', { class: 'btn btn-ghost', href: '#/eval?view=wall' }, t('ev.wall.open'));
  const viewLink = (view, key) => (unitOnly ? null
    : h('a', { class: 'btn btn-ghost', href: `#/eval?${new URLSearchParams({ view, month })}` }, t(key)));
  const body = h('div', { class: 'ev-body' }, spinner());
  const drill = h('section', { class: 'ev-drill', hidden: true, 'aria-live': 'polite' });
  main.replaceChildren(h('div', { class: 'desk-page ev' },
    pageHead(t('ev.title')),
    h('div', { class: 'ev-controls' },
      h('label', null, t('ev.month'), ' ', picker), h('label', null, t('ev.subject'), ' ', select), exportBtn,
      viewLink('report', 'rp.open'), viewLink('followup', 'fu.title'), wallLink),
    body, drill,
    unitOnly ? null : h('section', { class: 'ev-trend' }, h('h2', null, t('ev.trend')), h('div', { id: 'ev-trend-chart' }))));

  let data;
  try {
    data = await api(tablePath(subject, monthRange(month)));
  } catch (err) {
    body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? err.message : String(err)));
    return;
  }
  if (signal?.aborted) return; // another month or subject asked for meanwhile: its page owns #ev-trend-chart now
  body.replaceChildren(renderTable(data, subject, (row, figure) => showDrill(drill, subject, row, figure, data, month)));
  if (!unitOnly) renderTrend(document.getElementById('ev-trend-chart'), month).catch((err) => console.warn('trend', err));
  return undefined;
}

function renderTable(data, subject, onFigure) {
  const rates = data.rates;
  const counts = data.counts.filter((c) => ['due', 'handled', 'reported', 'filed', 'verify_due', 'check_due', 'dispatched'].includes(c.key));
  const weights = Object.entries(data.weights).map(([k, v]) => `${t(`ev.w.${k}`)} ${v}`).join(' · ');
  const head = [t('ev.rank'), t('ev.name'), t('ev.score'), t('ev.grade'), t('ev.delta'),
    ...rates.map(label), ...counts.map(label)];
  const rows = data.rows.map((row, i) => h('tr', { dataset: { key: row.key } },
    h('td', null, row.score === null ? '' : String(i + 1)),
    h('th', { scope: 'row' }, row.name),
    h('td', { class: 'num' }, row.score === null ? '—' : row.score.toFixed(1)),
    h('td', null, gradeBadge(row.grade)),
    h('td', null, delta(row)),
    ...rates.map((r) => h('td', { class: 'num' }, row.rates[r.key] === null || row.rates[r.key] === undefined ? '—'
      : h('button', { type: 'button', class: 'linkish', dataset: { figure: r.key },
        onclick: () => onFigure(row, r) }, r.key === 'cases_per_km2' ? String(row.rates[r.key]) : percent(row.rates[r.key])))),
    ...counts.map((c) => h('td', { class: 'num' }, h('button', { type: 'button', class: 'linkish', dataset: { figure: c.key },
      onclick: () => onFigure(row, c) }, String(row.counts[c.key] ?? 0))))));
  const cutoff = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' })
    .format(new Date(data.period.cutoff));
  return h('div', null,
    h('p', { class: 'muted small' }, `${data.period.first} – ${data.period.last} · ${t('ev.period', { cutoff })} · ${t('ev.weights')} ${weights}`),
    data.rows.length ? h('div', { class: 'table-scroll', role: 'region', tabindex: '0', 'aria-label': t('ev.title') },
      h('table', { class: 'admin-table ev-table' },
        h('thead', null, h('tr', null, head.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, rows))) : h('p', null, t('ev.none')));
}

async function showDrill(panel, subject, row, figure, data, month) {
  panel.hidden = false;
  panel.replaceChildren(spinner());
  let d;
  try {
    d = await api(`${figurePath(subject, row.key, figure.key)}?${new URLSearchParams(monthRange(month))}`);
  } catch (err) {
    panel.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  const centre = session()?.user.role !== 'unit_staff';
  const list = (part) => h('div', { class: 'ev-part' },
    h('h3', null, t(part === d.numerator ? 'ev.numerator' : 'ev.denominator',
      { count: lang() === 'en' ? part.name_en : part.name_zh, n: part.total })),
    part.cases.length ? h('ul', { class: 'ev-cases' }, part.cases.map((c) => h('li', null,
      centre ? h('a', { href: `#/centre/case/${c.case_id}` }, c.tracking_no) : c.tracking_no))) : h('p', { class: 'muted' }, t('ev.empty_list')),
    part.truncated ? h('p', { class: 'muted small' }, t('ev.truncated', { n: part.cases.length })) : null);
  panel.replaceChildren(
    h('div', { class: 'ev-drill-head' },
      h('h2', null, t('ev.drill', { figure: label(figure), name: row.name })),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => { panel.hidden = true; } }, t('ev.close'))),
    h('div', { class: 'ev-parts' }, list(d.numerator), d.denominator ? list(d.denominator) : null));
  panel.scrollIntoView({ block: 'nearest' });
}

async function exportXlsx(subject, month) {
  const [level] = SUBJECTS.find(([s]) => s === subject);
  const kind = ['street', 'community', 'district', 'grid'].includes(subject) ? 'area' : subject;
  const q = new URLSearchParams({ ...monthRange(month), subjects: kind, level: kind === 'area' ? level : 'street' });
  const res = await fetch(apiUrl(`exports/evaluation.xlsx?${q}`), { headers: { Authorization: `Bearer ${session()?.token}` } });
  if (!res.ok) {
    toast((await res.json().catch(() => ({})))?.error?.[lang() === 'en' ? 'message_en' : 'message_zh'] || res.statusText, 'error');
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `evaluation-${month}.xlsx` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  toast(t('ev.exported'), 'ok');
}
