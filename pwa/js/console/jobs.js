/** Failed jobs (失败任务): the queue's dead letter — what ran out of attempts and why — with a retry for each. */

import { ApiError, api } from '../api.js';
import { t } from '../i18n.js';
import { h, spinner } from '../dom.js';
import { toast } from '../toast.js';
import { pageHead, stillHere } from '../unit/desk.js';
import './messages.js';
import { adminNav, beijingTime, errorBox, scrollTable } from './nav.js';

const PAGE = 100;

/**
 * Render `#/admin/jobs`.
 * @param {HTMLElement} main
 */
export async function renderJobs(main) {
  const here = stillHere();
  const results = h('div', { class: 'job-results', 'aria-live': 'polite' }, spinner());
  main.replaceChildren(h('div', { class: 'desk-page admin' },
    adminNav('jobs'), pageHead(t('admin.jobs')),
    h('div', null, h('button', { type: 'button', class: 'btn btn-small', onclick: () => load() }, t('admin.jobs.refresh'))),
    results));

  let jobs = [];
  let lastPage = [];
  async function load(beforeId = null) {
    try {
      lastPage = await api(`admin/jobs/failed?limit=${PAGE}${beforeId ? `&before_id=${beforeId}` : ''}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.replaceChildren(errorBox(err));
      return;
    }
    if (!here()) return;
    jobs = beforeId ? [...jobs, ...lastPage] : lastPage;
    draw();
  }

  function draw() {
    if (!jobs.length) {
      results.replaceChildren(h('p', { class: 'muted empty' }, t('admin.jobs.none')));
      return;
    }
    results.replaceChildren(...[
      scrollTable(t('admin.jobs'), ['retry', 'id', 'kind', 'attempts', 'error', 'created', 'failed', 'payload'].map((c) => t(`admin.jobs.col.${c}`)),
        // The button comes first, so a phone shows it without scrolling the table sideways.
        jobs.map((j) => h('tr', { dataset: { jobId: j.id, kind: j.kind } },
          h('td', null, h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: 'retry' },
            'aria-label': t('admin.jobs.retry_label', { id: j.id, kind: j.kind }), onclick: (e) => retry(j, e.currentTarget) },
          t('admin.jobs.retry'))),
          h('td', { class: 'mono' }, String(j.id)),
          h('td', { class: 'mono' }, j.kind),
          h('td', null, String(j.attempts)),
          h('td', { class: 'mono details' }, j.last_error || '—'),
          h('td', { class: 'nowrap' }, beijingTime(j.created_at)),
          h('td', { class: 'nowrap' }, beijingTime(j.failed_at) || '—'),
          h('td', { class: 'mono details' }, JSON.stringify(j.payload))))),
      lastPage.length === PAGE ? h('button', { type: 'button', class: 'btn', onclick: () => load(jobs.at(-1).id) }, t('common.more')) : null].filter(Boolean));
  }

  async function retry(job, button) {
    button.disabled = true;
    try {
      await api(`admin/jobs/${job.id}/retry`, { method: 'POST' });
      toast(t('admin.jobs.retried', { id: job.id }), 'ok');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      toast(err.message, 'error'); // job.not_failed: someone else retried it; the reload below drops it
      if (err.code !== 'job.not_failed') {
        button.disabled = false;
        return;
      }
    }
    await load();
  }

  await load();
}
