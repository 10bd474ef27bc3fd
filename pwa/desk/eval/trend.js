/** The trend chart of the evaluation desk: reports per month by source, drawn with ECharts (loaded on demand). */

import { api } from '/js/api.js';

/**
 * Draw the last twelve months up to `month` into `el`.
 * @param {HTMLElement} el
 * @param {string} month YYYY-MM
 */
export async function renderTrend(el, month) {
  const [y, m] = month.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 12, 1)).toISOString().slice(0, 10);
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  const data = await api(`stats/counts?${new URLSearchParams({ by: 'source', bucket: 'month', from: first, to: last })}`);
  const months = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(y, m - 12 + i, 1)).toISOString().slice(0, 10));
  const echarts = await import('/node_modules/echarts/dist/echarts.esm.min.mjs');
  el.style.height = '280px';
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 32, bottom: 24 },
    xAxis: { type: 'category', data: months.map((b) => b.slice(0, 7)) },
    yAxis: { type: 'value', minInterval: 1 },
    // The API lists only months that had reports: every other month of the twelve is a zero.
    series: data.series.map((s) => {
      const byMonth = Object.fromEntries(s.points.map((p) => [p.bucket, p.count]));
      return { name: s.name, type: 'line', data: months.map((b) => byMonth[b] || 0) };
    }),
  });
  el.dataset.ready = 'true';
  new ResizeObserver(() => chart.resize()).observe(el);
}
