/** The report form shared by citizens (menu icons) and supervisors (full category picker): photos, place, words. */

import { api, newKey, photoUrl } from './api.js';
import { menu } from './cache.js';
import { currentPosition } from './geo.js';
import { lang, t } from './i18n.js';
import { cancelUpload, enqueue, onUploadProgress, removeEntry } from './outbox.js';
import { MAX_PHOTOS, photoPreview, preparePhoto } from './photos.js';
import { categoryPicker } from './picker.js';
import { icon } from './icons.js';
import { h } from './dom.js';
import { clearToasts, toast } from './toast.js';

/**
 * Render the report form.
 * @param {HTMLElement} main
 * @param {{supervisor?: boolean}} [opts] supervisors must choose a 小类 (category_code)
 */
export async function renderReport(main, { supervisor = false } = {}) {
  const photos = [];
  const state = { menu: null, category: null };

  const shots = h('div', { class: 'shots', 'aria-live': 'polite' });
  const count = h('span', { class: 'muted small' });
  const camera = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'photo-camera',
    'aria-label': t('report.camera') });
  const gallery = h('input', { type: 'file', accept: 'image/*', multiple: true, id: 'photo-gallery',
    'aria-label': t('report.gallery') });
  const locLine = h('p', { class: 'loc-line', 'aria-live': 'polite' }, t('report.locating'));
  const desc = h('textarea', { id: 'report-desc', rows: 3, maxlength: 2000, placeholder: t('report.desc_ph') });
  const address = h('input', { id: 'report-address', maxlength: 200, placeholder: t('report.address_ph') });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-big' }, t('report.submit'));
  // Real byte progress of the upload (XMLHttpRequest upload events, outbox.js), under the submit button.
  const bar = h('progress', { max: 100, value: 0, id: 'upload-progress', 'aria-label': t('report.upload_label') });
  const barText = h('span', { class: 'small' });
  // Cancel stops the upload and keeps the form as it is; retry sends the same report again under the same key.
  let sending = null; // { key, same } of the report on its way or cancelled: same(fields, photos) keeps its key
  const cancel = h('button', { type: 'button', class: 'btn cancel-upload', onclick: () => {
    if (sending) cancelUpload(sending.key);
  } }, t('report.cancel_upload'));
  const progress = h('div', { class: 'upload-progress', hidden: true }, bar, barText, cancel);
  const retry = h('button', { type: 'button', class: 'btn btn-accent retry-upload', onclick: () => form.requestSubmit() },
    t('report.retry_upload'));
  const stopped = h('p', { class: 'upload-cancelled small', role: 'status', hidden: true }, t('report.upload_cancelled'), ' ', retry);
  const nearbyBox = h('section', { class: 'card nearby', hidden: true, 'aria-labelledby': 'nearby-title' });
  const where = h('section', { class: 'card' }, h('h2', null, t('report.where')), locLine);
  // The place field (positions, address, search, map) loads on demand; without it, the phone's position alone.
  const place = import('./maps/place-field.js').then((m) => m.placeField(where, address)).catch(() => {
    let at = null;
    currentPosition().then((p) => { at = { ...p, source: 'browser' }; locLine.textContent = `${p.lat.toFixed(5)}, ${p.lng.toFixed(5)}`; })
      .catch(() => { locLine.textContent = t('report.no_position'); });
    return { value: () => at, photo: (g) => { at = { ...g, accuracy: null, source: 'exif' }; }, refused: (m) => toast(m, 'error') };
  });

  const drawShots = () => {
    shots.replaceChildren(...photos.map((p, i) => h('div', { class: 'shot' },
      photoPreview(p, t('report.photo_n', { n: i + 1 }), h, t(p.heic ? 'report.heic' : 'report.photo_preview_na')),
      h('button', { type: 'button', class: 'remove', 'aria-label': t('report.remove_photo', { n: i + 1 }),
        onclick: () => { photos.splice(i, 1); drawShots(); } }, '×'))));
    count.textContent = t('report.count', { n: photos.length, max: MAX_PHOTOS });
    camera.disabled = gallery.disabled = photos.length >= MAX_PHOTOS;
  };

  const addFiles = async (files) => {
    for (const file of [...files].slice(0, MAX_PHOTOS - photos.length)) {
      try {
        const p = await preparePhoto(file);
        photos.push(p);
        clearToasts(); // "take a photo first" is no longer true
        if (p.gps) place.then((f) => { f.photo(p.gps); refreshNearby(); });
      } catch (err) {
        toast(t('report.photo_failed'), 'error');
        console.error(err);
      }
    }
    drawShots();
  };
  for (const input of [camera, gallery]) {
    input.addEventListener('change', async () => {
      await addFiles(input.files);
      input.value = '';
    });
  }

  let categoryBox;
  if (supervisor) {
    categoryBox = categoryPicker((c) => { state.category = c?.code || null; });
  } else {
    categoryBox = h('fieldset', { class: 'field' }, h('legend', null, t('report.what')), h('div', { class: 'chips' }));
    menu().then((items) => {
      categoryBox.querySelector('.chips').replaceChildren(...items.map((m) => h('button', {
        type: 'button', class: 'chip', 'aria-pressed': 'false', dataset: { menu: m.id },
        onclick: (e) => {
          const on = state.menu !== m.id;
          state.menu = on ? m.id : null;
          for (const b of categoryBox.querySelectorAll('.chip')) b.setAttribute('aria-pressed', 'false');
          e.currentTarget.setAttribute('aria-pressed', String(on));
          refreshNearby();
        },
      }, lang() === 'en' ? m.name_en : m.name)));
    }).catch(() => categoryBox.append(h('p', { class: 'muted small' }, t('report.menu_offline'))));
  }

  const form = h('form', { class: 'report-form', 'aria-label': t(supervisor ? 'nav.quick' : 'nav.report'), novalidate: true },
    h('section', { class: 'card' },
      h('h2', null, t('report.photos'), ' ', count),
      h('div', { class: 'capture-buttons' },
        h('label', { class: 'btn btn-accent btn-big file-btn', for: 'photo-camera' },
          icon('camera', 26), t('report.camera'), camera),
        h('label', { class: 'btn btn-big file-btn', for: 'photo-gallery' }, t('report.gallery'), gallery)),
      shots),
    where,
    h('section', { class: 'card' }, categoryBox,
      h('div', { class: 'field' }, h('label', { for: 'report-desc' }, t('report.desc')), desc),
      h('div', { class: 'field' }, h('label', { for: 'report-address' }, t('report.address')), address)),
    nearbyBox,
    // Kept in view at the bottom of a phone's screen, above the tab bar: no scrolling to find it.
    h('div', { class: 'submit-bar' }, submit, progress, stopped));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!photos.length) return toast(t('report.need_photo'), 'error');
    const at = (await place).value();
    if (!at) return toast(t('report.need_place'), 'error');
    if (supervisor && !state.category) return toast(t('report.need_category'), 'error');
    clearToasts();
    submit.disabled = true;
    stopped.hidden = true;
    const fields = {
      lng: +at.lng.toFixed(6), lat: +at.lat.toFixed(6), description: desc.value.trim(), address: address.value.trim(),
      accuracy_m: at.accuracy != null ? Math.round(at.accuracy * 10) / 10 : null, location_source: at.source,
      menu: supervisor ? null : state.menu, category_code: supervisor ? state.category : null,
    };
    const files = photos.map(({ name, type, data }) => ({ name, type, data }));
    // The same report again (a retry after cancel) keeps its key: if the server had it already, no second case.
    const print = JSON.stringify([fields, files.map((f) => [f.name, f.type, f.data.byteLength])]);
    const key = sending?.print === print ? sending.key : newKey();
    sending = { key, print };
    bar.value = 0;
    barText.textContent = t('report.uploading', { p: 0 });
    progress.hidden = false;
    const stopProgress = onUploadProgress(key, (loaded, total) => {
      const pct = Math.round((100 * loaded) / total);
      bar.value = pct;
      barText.textContent = t('report.uploading', { p: pct });
    });
    try {
      const entry = await enqueue(fields, files, key);
      if (entry.status === 'cancelled') {
        stopped.hidden = false;
        retry.focus();
        return;
      }
      sending = null;
      if (entry.status === 'failed') {
        // Refused by the server (e.g. outside the city): let the user correct the form instead of keeping it.
        await removeEntry(key);
        (await place).refused(entry.error);
        return;
      }
      showDone(main, entry, supervisor);
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      stopProgress();
      progress.hidden = true;
      submit.disabled = false;
    }
  });

  // 只报一次: open public reports of the same kind near the chosen place, to follow instead of reporting again.
  let nearbySeq = 0;
  let nearbyTimer = null;
  let nearbySeen = '';
  const refreshNearby = () => {
    clearTimeout(nearbyTimer);
    nearbyTimer = setTimeout(async () => {
      if (supervisor) return;
      const seq = ++nearbySeq;
      const at = (await place).value();
      if (!at) return;
      let page;
      try {
        const menuPart = state.menu ? `&menu=${encodeURIComponent(state.menu)}` : '';
        page = await api(`citizen/nearby?lng=${at.lng.toFixed(6)}&lat=${at.lat.toFixed(6)}${menuPart}`);
      } catch {
        return; // offline or refused: the form works without it
      }
      if (seq !== nearbySeq) return;
      // The same answer (a tap on a pin looks again too) keeps the list, and the focus a pin gave its 我也遇到.
      const seen = JSON.stringify(page.items);
      if (seen === nearbySeen) return;
      nearbySeen = seen;
      nearbyBox.hidden = !page.items.length;
      nearbyBox.replaceChildren(h('h2', { id: 'nearby-title' }, t('report.nearby_title')),
        h('p', { class: 'muted small' }, t('report.nearby_hint')),
        h('ul', { class: 'list nearby-list' }, page.items.map(nearbyItem)));
      const en = lang() === 'en';
      (await place).nearby?.(page.items.map((n) => ({ ...n, category: en ? n.category_en : n.category_zh })), (n) => {
        const item = nearbyBox.querySelector(`.nearby-item[data-tracking="${n.tracking_no}"]`);
        item?.scrollIntoView({ block: 'center' });
        item?.querySelector('.me-too')?.focus();
      });
    }, 250);
  };
  // The place changes from the map, the search or a photo's position: look again when the place card is used.
  where.addEventListener('pointerup', refreshNearby);
  where.addEventListener('change', refreshNearby);
  where.addEventListener('keyup', refreshNearby);
  new MutationObserver(refreshNearby).observe(locLine, { childList: true, characterData: true, subtree: true });

  drawShots();
  main.append(h('h1', { class: 'sr-only' }, t(supervisor ? 'nav.quick' : 'nav.report')), form);
  return () => photos.forEach((p) => p.preview && URL.revokeObjectURL(p.preview));
}

function nearbyItem(n, i) {
  const en = lang() === 'en';
  const label = t(n.mine ? 'report.nearby_followed' : 'report.nearby_me_too');
  const follow = h('button', { type: 'button', class: 'btn btn-accent me-too', disabled: n.mine,
    'aria-label': `${label} · ${en ? n.category_en : n.category_zh} · ${n.tracking_no}` }, label);
  follow.addEventListener('click', async () => {
    follow.disabled = true;
    try {
      const { case_id: id } = await api('citizen/follows', { method: 'POST', json: { tracking_no: n.tracking_no } });
      toast(t('report.nearby_done'), 'ok');
      location.hash = `#/case/${id}`;
    } catch (err) {
      follow.disabled = false;
      toast(err.message, 'error');
    }
  });
  return h('li', { class: 'list-item nearby-item', dataset: { tracking: n.tracking_no } },
    h('span', { class: 'nearby-n', title: t('report.nearby_on_map') }, String(i + 1)),
    n.thumb_urls[0] ? h('img', { src: n.thumb_urls[0], alt: '', width: 56, height: 56, loading: 'lazy' }) : null,
    h('div', { class: 'body' },
      h('div', { class: 'title' }, en ? n.category_en : n.category_zh),
      h('div', { class: 'meta' }, h('span', { class: 'badge state' }, en ? n.status_en : n.status_zh),
        h('span', null, t('report.nearby_distance', { m: n.distance_m })),
        n.followers ? h('span', null, t('report.nearby_followers', { n: n.followers })) : null)),
    follow);
}

function showDone(main, entry, supervisor) {
  const sent = entry.status === 'sent';
  // The follow code (with the tracking number) follows this report on another phone: shown to its reporter only.
  const code = h('p', { class: 'follow-line muted small', hidden: true });
  // The photos as the server keeps them: a HEIC the browser could not show in the form is a picture now.
  const kept = h('div', { class: 'done-shots', hidden: true });
  if (sent) {
    api(`cases/${entry.result.id}`).then((c) => {
      const shown = (c.photos || []).filter((p) => p.kind === 'report' && p.thumb_url);
      kept.replaceChildren(...shown.map((p, i) => {
        const img = h('img', { alt: t('report.photo_n', { n: i + 1 }), width: 72, height: 72 });
        photoUrl(p.thumb_url).then((u) => { img.src = u; }).catch(() => img.remove());
        return img;
      }));
      kept.hidden = !shown.length;
    }).catch(() => undefined); // offline right after sending: the tracking number is what matters
  }
  if (sent && !supervisor) {
    api(`citizen/cases/${entry.result.id}/status`).then((w) => {
      if (!w.follow_code) return;
      code.replaceChildren(t('cv.follow_code'), ' ', h('strong', { class: 'mono', dataset: { testid: 'follow-code' } }, w.follow_code),
        ' · ', t('report.follow_hint'));
      code.hidden = false;
    }).catch(() => undefined);
  }
  main.replaceChildren(h('section', { class: 'card success', role: 'status' },
    h('div', { class: `big-icon ${sent ? 'ok' : 'queued'}` }, icon(sent ? 'check' : 'clock', 56)),
    h('h2', null, sent ? t('report.sent') : t('report.queued')),
    sent ? [h('p', null, t('case.tracking')), h('p', { class: 'tracking', dataset: { testid: 'tracking-no' } }, entry.result.tracking_no), code, kept]
      : h('p', null, t(entry.next_at ? 'report.busy_hint' : 'report.queued_hint')),
    h('div', { class: 'btn-row' },
      sent ? h('a', { class: 'btn btn-primary', href: `#/case/${entry.result.id}` }, t('report.view_case')) : null,
      h('a', { class: 'btn', href: '#/mine' }, t('nav.mine')),
      h('button', { type: 'button', class: 'btn', onclick: () => {
        main.replaceChildren();
        renderReport(main, { supervisor });
      } }, t('report.another')))));
}
