/** 数据导入导出: organisation data as files (docs/org-data.md) — export each dataset, check a file, import it all or nothing. */

import { ApiError, api, apiUrl, parseResponse, session } from '../api.js';
import { lang, t } from '../i18n.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import { adminNav, beijingTime, errorBox, scrollTable } from './nav.js';
import './messages.js';

/**
 * The rows of an import's report: what each dataset would add or change, and every refused row with its reason.
 * @param {{outcomes?: Array<object>, problems: Array<object>}} report an import answer, or an error's details
 * @returns {HTMLElement}
 */
export function importReport(report) {
  const problems = report.problems || [];
  const outcomes = report.outcomes || [];
  return h('div', { class: 'import-report' },
    outcomes.length ? scrollTable(t('data.outcomes'), ['dataset', 'rows', 'added', 'updated', 'removed'].map((c) => t(`data.col.${c}`)),
      outcomes.map((o) => h('tr', { dataset: { dataset: o.dataset } }, h('td', null, t(`data.ds.${o.dataset}`)),
        h('td', null, String(o.rows)), h('td', null, String(o.added)), h('td', null, String(o.updated)),
        h('td', null, String(o.removed))))) : null,
    problems.length ? h('div', { class: 'admin-error', role: 'alert' },
      h('p', { class: 'error' }, t('data.refused', { n: problems.length })),
      scrollTable(t('data.problems'), ['dataset', 'line', 'field', 'reason'].map((c) => t(`data.col.${c}`)),
        problems.map((p) => h('tr', { class: 'problem', dataset: { line: p.line, field: p.field } },
          h('td', null, p.dataset ? t(`data.ds.${p.dataset}`) : ''),
          h('td', { class: 'nowrap' }, p.line ? t('admin.line', { n: p.line }) : t('admin.whole_file')),
          h('td', { class: 'mono' }, p.field || '–'),
          h('td', null, lang() === 'en' ? p.reason_en : p.reason_zh))))) : null);
}

/**
 * Send a file as the body of an import (or its dry run): the answer, or the refused import's report.
 * @param {string} path API path, e.g. `org/transfer/units`
 * @param {File} file
 * @param {boolean} dryRun
 * @returns {Promise<{ok: boolean, report: object}>}
 */
export async function sendFile(path, file, dryRun) {
  const query = new URLSearchParams({ filename: file.name, dry_run: String(dryRun) });
  try {
    return { ok: true, report: await api(`${path}?${query}`, { method: 'POST', form: file }) };
  } catch (err) {
    if (err instanceof ApiError && err.details?.problems) return { ok: false, report: err.details };
    throw err;
  }
}

/**
 * Hand a download to the browser: the API needs the bearer token, so it is fetched and given as a blob.
 * @param {string} path
 * @param {string} fallbackName
 */
export async function download(path, fallbackName) {
  let res;
  try {
    res = await fetch(apiUrl(path), { headers: { Authorization: `Bearer ${session().token}` } });
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  if (!res.ok) await parseResponse(res, true);
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || fallbackName;
  saveBlob(await res.blob(), name);
}

/**
 * @param {Blob} blob
 * @param {string} name
 */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Render `#/admin/data`.
 * @param {HTMLElement} main
 */
export async function renderData(main) {
  const here = stillHere();
  const exports = h('div', { class: 'data-exports', 'aria-live': 'polite' }, spinner());
  const history = h('div', { class: 'data-history' });
  const result = h('div', { class: 'data-result', 'aria-live': 'polite' });
  const dataset = h('select', { name: 'dataset', required: true });
  const file = h('input', { type: 'file', name: 'file', required: true, accept: '.csv,.xlsx,.geojson,.json' });
  const form = h('form', { class: 'desk-filters admin-filters data-import', onsubmit: (e) => { e.preventDefault(); send(false); } },
    h('label', null, t('data.dataset'), dataset), h('label', null, t('data.file'), file),
    h('div', { class: 'filter-buttons' },
      h('button', { type: 'button', class: 'btn', dataset: { action: 'check' }, onclick: () => send(true) }, t('data.check')),
      h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'import' } }, t('data.import'))));
  main.replaceChildren(h('div', { class: 'desk-page admin' }, adminNav('data'), pageHead(t('admin.data')),
    h('p', { class: 'hint' }, t('data.hint')),
    h('h2', null, t('data.import_title')), form, result,
    h('h2', null, t('data.export_title')), exports,
    h('h2', null, t('data.history')), history));
  await load();

  async function load() {
    let overview;
    try {
      overview = await api('org/transfer');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      exports.replaceChildren(errorBox(err));
      return;
    }
    if (!here()) return;
    const chosen = dataset.value;
    dataset.replaceChildren(...overview.datasets.map((d) => h('option', { value: d.name, selected: d.name === chosen },
      `${t(`data.ds.${d.name}`)} (${d.name})`)));
    exports.replaceChildren(scrollTable(t('data.export_title'), ['dataset', 'count', 'export'].map((c) => t(`data.col.${c}`)),
      overview.datasets.map((d) => h('tr', { dataset: { dataset: d.name } },
        h('td', null, t(`data.ds.${d.name}`), ' ', h('span', { class: 'mono' }, d.name)), h('td', null, String(d.count)),
        h('td', { class: 'nowrap' }, d.formats.flatMap((f) => [h('button', { type: 'button', class: 'btn btn-small',
          dataset: { format: f }, onclick: () => download(`org/transfer/${d.name}?format=${f}`, `${d.name}.${f}`)
            .catch((err) => toast(err.message, 'error')) }, f.toUpperCase()), ' ']))))));
    history.replaceChildren(overview.imports.length ? scrollTable(t('data.history'),
      ['time', 'by', 'datasets'].map((c) => t(`data.col.${c}`)),
      overview.imports.map((i) => h('tr', null, h('td', { class: 'nowrap' }, beijingTime(i.at)), h('td', null, i.by_name),
        h('td', null, i.datasets.map((d) => {
          const s = i.summary[d] || {};
          return t('data.summary', { name: t(`data.ds.${d}`), added: s.added ?? 0, updated: s.updated ?? 0 });
        }).join('；'))))) : h('p', { class: 'hint' }, t('data.no_history')));
  }

  async function send(dryRun) {
    const chosen = file.files?.[0];
    if (!chosen) {
      toast(t('data.pick_file'), 'error');
      return;
    }
    result.replaceChildren(spinner());
    let answer;
    try {
      answer = await sendFile(`org/transfer/${dataset.value}`, chosen, dryRun);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      result.replaceChildren(errorBox(err));
      return;
    }
    if (!here()) return;
    const { ok, report } = answer;
    const clean = ok && !report.problems.length;
    const head = clean ? h('p', { class: 'admin-ok', role: 'status' }, t(dryRun ? 'data.checked' : 'data.imported')) : null;
    result.replaceChildren(...[head, importReport(report)].filter(Boolean));
    if (clean && !dryRun) {
      toast(t('data.imported'));
      await load();
    }
  }
}
