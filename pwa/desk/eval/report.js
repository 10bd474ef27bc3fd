/** The printable monthly evaluation report (考评月报): the month's totals, the units' scores as a chart and a table, the
 * streets, supervisors and dispatchers, the reports' trend and the follow-ups. Laid out for A4 by eval.css's print
 * rules, so the browser's "save as PDF" gives the paper for the monthly meeting. Charts are SVG: sharp on paper. */

import { ApiError, api } from '/js/api.js';
import { lang, t } from '/js/i18n.js';
import { h, spinner } from '/js/dom.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const num = (v) => (v === null || v === undefined ? '—' : v.toFixed(1));
const sum = (rows, key) => rows.reduce((n, r) => n + (r.counts[key] || 0), 0);
const ratio = (a, b) => (b ? a / b : null);

/**
 * Render the report of `month` (YYYY-MM) covering `range` ({from, to}).
 * @param {HTMLElement} main
 * @param {{month: string, range: {from: string, to: string}}} opts
 */
export async function renderReport(main, { month, range }) {
  const page = h('article', { class: 'ev-report' }, spinner());
  main.replaceChildren(h('div', { class: 'desk-page ev' },
    h('div', { class: 'ev-controls no-print' },
      h('a', { class: 'btn btn-ghost', href: `#/eval?${new URLSearchParams({ month })}` }, `‹ ${t('ev.title')}`),
      h('button', { type: 'button', class: 'btn', id: 'rp-print', onclick: () => window.print() }, t('rp.print'))),
    page));
  const [y, m] = month.split('-').map(Number);
  const trendFrom = new Date(Date.UTC(y, m - 12, 1)).toISOString().slice(0, 10);
  const level = new URLSearchParams({ ...range, level: 'street' });
  let units; let streets; let supervisors; let dispatchers; let trend; let followups;
  try {
    [units, streets, supervisors, dispatchers, trend, followups] = await Promise.all([
      api(`evaluation/units?${new URLSearchParams({ ...range, compare: 'true' })}`),
      api(`evaluation/areas?${level}`),
      api(`evaluation/supervisors?${new URLSearchParams(range)}`),
      api(`evaluation/dispatchers?${new URLSearchParams(range)}`),
      api(`stats/counts?${new URLSearchParams({ by: 'source', bucket: 'month', from: trendFrom, to: range.to })}`),
      api(`evaluation/followups?${new URLSearchParams({ ...range, status: 'all' })}`),
    ]);
  } catch (err) {
    page.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? err.message : String(err)));
    return;
  }
  const scored = units.rows.filter((r) => r.score !== null);
  const monthTotal = trend.series.reduce((n, s) => n + (s.points.find((p) => p.bucket === range.from)?.count || 0), 0);
  const generated = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' })
    .format(new Date());
  const grades = Object.fromEntries(['A', 'B', 'C', 'D', 'E'].map((g) => [g, scored.filter((r) => r.grade === g).length]));
  const unitChart = h('div', { class: 'rp-chart', id: 'rp-units-chart', role: 'img', 'aria-label': t('rp.chart.units') });
  const trendChart = h('div', { class: 'rp-chart', id: 'rp-trend-chart', role: 'img', 'aria-label': t('rp.chart.trend') });
  page.replaceChildren(
    h('header', { class: 'rp-head' },
      h('h1', null, t('rp.title', { month: lang() === 'en'
        ? new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)))
        : `${y}年${m}月` })),
      h('p', { class: 'muted' }, t('rp.sub', { first: units.period.first, last: units.period.last, generated }))),
    h('section', { class: 'rp-kpis', 'aria-label': t('rp.overview') },
      kpi('reported', String(monthTotal)),
      kpi('due', String(sum(units.rows, 'due'))),
      kpi('on_time', pct(ratio(sum(units.rows, 'on_time'), sum(units.rows, 'due')))),
      kpi('closure', pct(ratio(sum(units.rows, 'closed'), sum(units.rows, 'due')))),
      kpi('satisfaction', pct(ratio(sum(units.rows, 'satisfied'), sum(units.rows, 'rated')))),
      kpi('followups', t('rp.followups_value', { pending: followups.pending, done: followups.done }))),
    h('p', { class: 'rp-grades' }, t('rp.grades'), ...['A', 'B', 'C', 'D', 'E'].map((g) =>
      h('span', { class: 'rp-grade' }, h('span', { class: `grade grade-${g}` }, g), ` ${grades[g]}`))),
    h('section', { class: 'rp-section rp-charts' },
      h('figure', null, h('figcaption', null, t('rp.chart.units')), unitChart),
      h('figure', null, h('figcaption', null, t('rp.chart.trend')), trendChart)),
    section('rp-units', t('rp.units'), table(units, ['on_time_rate', 'closure_rate', 'rework_rate', 'satisfaction_rate'],
      ['due', 'handled'], true)),
    section('rp-streets', t('rp.streets'), table(streets, ['public_share', 'closure_rate', 'on_time_closure_rate'],
      ['reported', 'filed'])),
    section('rp-supervisors', t('rp.supervisors'), table(supervisors,
      ['valid_report_rate', 'verify_on_time_rate', 'check_on_time_rate', 'missed_rate'], ['reported'])),
    section('rp-dispatchers', t('rp.dispatchers'), table(dispatchers, ['on_time_rate', 'accurate_rate'], ['dispatched'])),
    h('footer', { class: 'rp-foot muted small' }, t('rp.foot', {
      weights: Object.entries(units.weights).map(([k, v]) => `${t(`ev.w.${k}`)} ${v}`).join(' · '),
      grades: `A ≥ ${units.grades.A} · B ≥ ${units.grades.B} · C ≥ ${units.grades.C} · D ≥ ${units.grades.D}` })));
  const echarts = await import('/node_modules/echarts/dist/echarts.esm.min.mjs');
  const charts = [drawUnits(echarts, unitChart, scored), drawTrend(echarts, trendChart, trend, y, m)];
  // Paper is wider than the sheet on screen (no padding): redraw the charts to the printed width and back.
  const media = window.matchMedia('print');
  const fit = () => (page.isConnected ? charts.forEach((c) => c.resize()) : media.removeEventListener('change', fit));
  media.addEventListener('change', fit);
  page.dataset.ready = 'true';
}

function kpi(key, value) {
  return h('div', { class: 'rp-kpi', dataset: { kpi: key } }, h('div', { class: 'rp-kpi-label' }, t(`rp.kpi.${key}`)),
    h('div', { class: 'rp-kpi-value' }, value));
}

function section(id, title, content) {
  return h('section', { class: 'rp-section', id }, h('h2', null, title), content);
}

function table(data, rates, counts, withDelta = false) {
  const rows = data.rows.filter((r) => r.score !== null);
  if (!rows.length) return h('p', { class: 'muted' }, t('ev.none'));
  const name = (key, list) => { const f = list.find((x) => x.key === key); return lang() === 'en' ? f.en : f.zh; };
  const head = [t('ev.rank'), t('ev.name'), t('ev.score'), t('ev.grade'), ...(withDelta ? [t('ev.delta')] : []),
    ...rates.map((k) => name(k, data.rates)), ...counts.map((k) => name(k, data.counts))];
  return h('table', { class: 'rp-table' },
    h('thead', null, h('tr', null, head.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows.map((r, i) => h('tr', { dataset: { key: r.key } },
      h('td', null, String(i + 1)), h('th', { scope: 'row' }, r.name), h('td', { class: 'num' }, num(r.score)),
      h('td', null, h('span', { class: `grade grade-${r.grade}` }, r.grade)),
      withDelta ? h('td', { class: 'num' }, r.previous?.score === null || r.previous?.score === undefined ? t('ev.prev_none')
        : `${r.score - r.previous.score >= 0 ? '+' : '−'}${Math.abs(r.score - r.previous.score).toFixed(1)}`) : null,
      ...rates.map((k) => h('td', { class: 'num' }, pct(r.rates[k]))),
      ...counts.map((k) => h('td', { class: 'num' }, String(r.counts[k] ?? 0)))))));
}

const CHART = { animation: false, textStyle: { fontFamily: 'sans-serif' } };

function drawUnits(echarts, el, rows) {
  const top = rows.slice(0, 15).reverse();
  el.style.height = `${Math.max(120, 40 + top.length * 26)}px`;
  const chart = echarts.init(el, null, { renderer: 'svg' });
  chart.setOption({ ...CHART,
    grid: { left: 150, right: 40, top: 8, bottom: 24 },
    xAxis: { type: 'value', min: 0, max: 100 },
    yAxis: { type: 'category', data: top.map((r) => r.name), axisLabel: { width: 140, overflow: 'truncate' } },
    series: [{ type: 'bar', data: top.map((r) => r.score), label: { show: true, position: 'right', formatter: ({ value }) => value.toFixed(1) },
      itemStyle: { color: ({ dataIndex }) => ({ A: '#1b7f3b', B: '#2f7a8c', C: '#9a6a00', D: '#b5540c', E: '#b3261e' })[top[dataIndex].grade] } }] });
  return chart;
}

function drawTrend(echarts, el, data, y, m) {
  const months = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(y, m - 12 + i, 1)).toISOString().slice(0, 10));
  el.style.height = '220px';
  const chart = echarts.init(el, null, { renderer: 'svg' });
  chart.setOption({ ...CHART,
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 30, bottom: 24 },
    xAxis: { type: 'category', data: months.map((b) => b.slice(0, 7)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: data.series.map((s) => {
      const byMonth = Object.fromEntries(s.points.map((p) => [p.bucket, p.count]));
      return { name: s.name, type: 'bar', stack: 'all', data: months.map((b) => byMonth[b] || 0) };
    }) });
  return chart;
}
