/** The working calendar (工作日历): a year as twelve small months, where each day's status comes from, and the ways an
 * admin changes a year — a CSV file, or holidays and 调休 working days entered by clicking days. */

import { apiUrl, ApiError, api, parseResponse, session } from '../api.js';
import { lang, t } from '../i18n.js';
import { hashQuery, navigate } from '../router.js';
import { confirmDialog } from '../dialog.js';
import { h, spinner } from '../dom.js';
import { pageHead, stillHere } from '../unit/desk.js';
import './messages.js';
import { adminNav, errorBox, scrollTable } from './nav.js';

const KIND_MARK = { holiday: 'admin.cal.mark.holiday', swap: 'admin.cal.mark.swap' };

/** Today's year in the city (Asia/Shanghai). */
function cityYear() {
  return Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));
}

/** Day of week of an ISO date, Monday 0 … Sunday 6 (dates are calendar days, so read them in UTC). */
function weekday(iso) {
  return (new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/**
 * What a day is, for display: a working day, a weekend, a holiday on a weekday or named by the city, or a weekend
 * made a working day (调休上班).
 * @param {{date: string, workday: boolean, source: string}} d
 * @returns {'work'|'weekend'|'holiday'|'swap'}
 */
function kindOf(d) {
  const weekend = weekday(d.date) >= 5;
  if (d.workday) return weekend ? 'swap' : 'work';
  return weekend && d.source !== 'city' ? 'weekend' : 'holiday';
}

/** The city's saved entry for a day as the API takes it, or null when the day is not the city's. */
function savedEntry(d) {
  return d.source === 'city' ? { type: d.workday ? 'workday' : 'holiday', name: d.name } : null;
}

/** PUT a file's text as text/csv (api() sends JSON or forms only). */
async function putCsv(year, text) {
  let res;
  try {
    res = await fetch(apiUrl(`admin/calendar/${year}/csv`), {
      method: 'PUT', body: text,
      headers: { Authorization: `Bearer ${session()?.token}`, 'Content-Type': 'text/csv; charset=utf-8' },
    });
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  return parseResponse(res, true);
}

/**
 * Render `#/admin?year=2027`.
 * @param {HTMLElement} main
 */
export async function renderCalendar(main) {
  const asked = Number(hashQuery().get('year'));
  const year = Number.isInteger(asked) && asked >= 2000 && asked <= 2100 ? asked : cityYear();
  const here = stillHere();
  const status = h('div', { class: 'admin-status', 'aria-live': 'polite' });
  const body = h('div', { class: 'cal-body' }, spinner());
  /** Pending clicks: date → {type: 'holiday'|'workday'|'', name} ('' removes the city's entry). */
  const edits = new Map();
  let days = [];

  const goto = (y) => navigate(`#/admin?year=${y}`);
  const yearInput = h('input', { type: 'number', id: 'cal-year', min: 2000, max: 2100, value: String(year), class: 'year-input',
    onchange: (e) => { const y = Number(e.target.value); if (y >= 2000 && y <= 2100) goto(y); } });
  const file = h('input', { type: 'file', id: 'cal-file', accept: '.csv,text/csv', class: 'visually-hidden', onchange: () => loadFile() });
  const saveBtn = h('button', { type: 'button', class: 'btn btn-primary', disabled: true, dataset: { role: 'save' }, onclick: () => saveEdits() });
  const undoBtn = h('button', { type: 'button', class: 'btn', disabled: true, onclick: () => { edits.clear(); draw(); } }, t('admin.cal.discard'));

  main.replaceChildren(h('div', { class: 'desk-page admin' },
    adminNav('calendar'),
    pageHead(t('admin.calendar')),
    h('div', { class: 'cal-tools desk-panel' },
      h('div', { class: 'year-picker' },
        h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('admin.cal.prev'), onclick: () => goto(year - 1) }, '‹'),
        h('label', { for: 'cal-year', class: 'visually-hidden' }, t('admin.cal.year')), yearInput,
        h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('admin.cal.next'), onclick: () => goto(year + 1) }, '›')),
      h('div', { class: 'cal-actions' },
        h('label', { for: 'cal-file', class: 'btn btn-outline' }, t('admin.cal.load_file')), file,
        undoBtn, saveBtn),
      h('p', { class: 'muted small cal-hint' }, t('admin.cal.hint'))),
    status, body));

  async function load() {
    const cal = await api(`admin/calendar/${year}`);
    if (!here()) return;
    days = cal.days;
    edits.clear();
    draw(cal.complete);
  }

  /** The days with the pending clicks applied (a removed entry falls back to what its weekday says). */
  function shown() {
    return days.map((d) => {
      const e = edits.get(d.date);
      if (!e) return d;
      if (!e.type) return { ...d, workday: weekday(d.date) < 5, source: d.source === 'city' ? 'weekday' : d.source, name: '', pending: true };
      return { ...d, workday: e.type === 'workday', source: 'city', name: e.name, pending: true };
    });
  }

  let complete = true;
  function draw(isComplete = complete) {
    complete = isComplete;
    const list = shown();
    saveBtn.disabled = !edits.size;
    undoBtn.disabled = !edits.size;
    saveBtn.textContent = edits.size ? t('admin.cal.save_n', { n: edits.size }) : t('admin.cal.save');
    const special = list.filter((d) => ['holiday', 'swap'].includes(kindOf(d)) || d.source === 'city');
    const fallback = list.filter((d) => d.source === 'weekday').length;
    body.replaceChildren(...[
      !complete ? h('div', { class: 'cal-warning', role: 'alert', dataset: { warning: 'no-official' } },
        h('strong', null, t('admin.cal.no_data', { year })), h('p', null, t('admin.cal.no_data_hint'))) : null,
      complete && fallback ? h('p', { class: 'muted small' }, t('admin.cal.partial', { n: fallback })) : null,
      legend(),
      monthGrid(list),
      h('section', { class: 'desk-panel' },
        h('h2', null, t('admin.cal.special', { year })),
        special.length ? scrollTable(t('admin.cal.special', { year }),
          [t('admin.cal.col.date'), t('admin.cal.col.type'), t('admin.cal.col.name'), t('admin.cal.col.source')],
          special.map((d) => h('tr', { dataset: { date: d.date, kind: kindOf(d) } },
            h('td', { class: 'nowrap' }, `${d.date} ${t('admin.cal.wd').split(',')[weekday(d.date)]}`),
            h('td', null, t(`admin.cal.kind.${kindOf(d)}`)),
            h('td', null, d.name || '—'),
            h('td', null, t(`admin.cal.source.${d.source}`), d.pending ? h('span', { class: 'badge pending-badge' }, t('admin.cal.pending')) : null))))
          : h('p', { class: 'muted' }, t('admin.cal.none')))].filter(Boolean));
  }

  function legend() {
    return h('ul', { class: 'cal-legend', 'aria-label': t('admin.cal.legend') },
      ['work', 'weekend', 'holiday', 'swap'].map((k) => h('li', null, h('span', { class: `cal-swatch day-${k}`, 'aria-hidden': 'true' },
        KIND_MARK[k] ? t(KIND_MARK[k]) : ''), t(`admin.cal.kind.${k}`))),
      h('li', null, h('span', { class: 'cal-swatch src-city', 'aria-hidden': 'true' }), t('admin.cal.source.city')),
      h('li', null, h('span', { class: 'cal-swatch pending', 'aria-hidden': 'true' }), t('admin.cal.pending')));
  }

  function monthGrid(list) {
    const wd = t('admin.cal.wd').split(',');
    const monthName = new Intl.DateTimeFormat(lang(), { month: 'long', timeZone: 'UTC' });
    const grid = h('div', { class: 'cal-year', onkeydown: moveFocus });
    let first = true;
    for (let m = 0; m < 12; m += 1) {
      const inMonth = list.filter((d) => Number(d.date.slice(5, 7)) === m + 1);
      const cells = [...Array(weekday(inMonth[0].date)).fill(null), ...inMonth];
      const rows = [];
      for (let i = 0; i < cells.length; i += 7) rows.push(cells.slice(i, i + 7));
      grid.append(h('section', { class: 'cal-month' },
        h('h3', null, monthName.format(new Date(Date.UTC(year, m, 1)))),
        h('table', null,
          h('thead', null, h('tr', null, wd.map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, rows.map((r) => h('tr', null, r.map((d) => h('td', null, d ? dayButton(d, first && !(first = false)) : null))))))));
    }
    return grid;
  }

  function dayButton(d, focusable) {
    const kind = kindOf(d);
    const label = [d.date, t(`admin.cal.kind.${kind}`), d.name, t(`admin.cal.source.${d.source}`), d.pending ? t('admin.cal.pending') : '']
      .filter(Boolean).join('，');
    return h('button', {
      type: 'button', class: `cal-day day-${kind} src-${d.source}${d.pending ? ' pending' : ''}`, tabindex: focusable ? '0' : '-1',
      title: label, 'aria-label': label, dataset: { date: d.date, kind, source: d.source },
      onclick: () => editDay(d),
    }, String(Number(d.date.slice(8))), KIND_MARK[kind] ? h('span', { class: 'mark', 'aria-hidden': 'true' }, t(KIND_MARK[kind])) : null);
  }

  /** Arrow keys move between days (one tab stop for the whole year); Home/End jump to the week's ends. */
  function moveFocus(e) {
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[e.key];
    const from = e.target.closest?.('.cal-day');
    if (!step || !from) return;
    const next = new Date(`${from.dataset.date}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + step);
    const to = body.querySelector(`.cal-day[data-date="${next.toISOString().slice(0, 10)}"]`);
    if (!to) return;
    e.preventDefault();
    from.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  }

  async function editDay(d) {
    const current = edits.get(d.date) ?? savedEntry(d) ?? { type: '', name: '' };
    const values = await confirmDialog({
      title: t('admin.cal.edit_title', { date: d.date, wd: t('admin.cal.wd').split(',')[weekday(d.date)] }),
      fields: [
        { name: 'type', type: 'radio', label: t('admin.cal.col.type'), value: current.type, options: [
          { value: '', label: t('admin.cal.type.default') },
          { value: 'holiday', label: t('admin.cal.type.holiday') },
          { value: 'workday', label: t('admin.cal.type.workday') }] },
        { name: 'name', type: 'text', label: t('admin.cal.col.name'), value: current.name },
      ],
    });
    if (!values) return;
    const was = savedEntry(days.find((x) => x.date === d.date)) ?? { type: '', name: '' };
    const next = { type: values.type, name: values.type ? values.name.trim() : '' };
    if (next.type === was.type && next.name === was.name) edits.delete(d.date);
    else edits.set(d.date, next);
    draw();
    body.querySelector(`.cal-day[data-date="${d.date}"]`)?.focus();
  }

  /** The whole set of the year's city entries after the pending clicks (the API replaces the year). */
  function cityEntries() {
    const out = [];
    for (const d of days) {
      const e = edits.get(d.date) ?? savedEntry(d);
      if (e?.type) out.push({ date: d.date, type: e.type, name: e.name });
    }
    return out;
  }

  async function saveEdits() {
    saveBtn.disabled = true;
    await run(() => api(`admin/calendar/${year}`, { method: 'PUT', json: { days: cityEntries() } }));
  }

  async function loadFile() {
    const picked = file.files?.[0];
    file.value = '';
    if (!picked) return;
    const ok = await confirmDialog({ title: t('admin.cal.file_title', { year }), message: t('admin.cal.file_confirm', { name: picked.name, year }),
      confirmText: t('admin.cal.file_ok') });
    if (!ok) return;
    await run(async () => putCsv(year, await picked.text()));
  }

  /** Save, then say what changed and how many running deadlines moved; a refusal lists its lines. */
  async function run(save) {
    status.replaceChildren(h('p', { class: 'loading', role: 'status' }, t('admin.cal.saving')));
    try {
      const r = await save();
      status.replaceChildren(h('div', { class: 'admin-ok', role: 'status', dataset: { moved: r.deadlines_moved } },
        h('strong', null, t('admin.cal.saved', { year, holidays: r.holidays, workdays: r.workdays })), ' ',
        t('admin.cal.moved', { n: r.deadlines_moved })));
      await load();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      status.replaceChildren(errorBox(err));
      saveBtn.disabled = !edits.size;
    }
  }

  try {
    await load();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    body.replaceChildren(errorBox(err));
  }
}
