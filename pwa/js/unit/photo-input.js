/** A photo field for an action form: pick or take photos, and either upload each through the photo pipeline now
 * (keeping their ids) or, for an action sent through the outbox, keep them on the device for the outbox to upload. */

import { api, newKey, photoUrl } from '../api.js';
import { t } from '../i18n.js';
import { MAX_PHOTOS, photoPreview, preparePhoto } from '../photos.js';
import { h } from '../dom.js';
import { toast } from '../toast.js';

/**
 * @param {'after'|'verify'|'check'} kind the photo kind the server records
 * @param {{queued?: boolean}} [opts] queued: keep the photos (downscaled) instead of uploading them
 * @returns {{el: HTMLElement, get: () => number[]|Array<{name: string, type: string, data: ArrayBuffer}>}}
 *   get: the uploaded photos' ids, or (queued) the prepared photos
 */
export function photoInput(kind, { queued = false } = {}) {
  const ids = [];
  const kept = [];
  const thumbs = h('div', { class: 'thumbs' });
  const status = h('span', { class: 'muted small', role: 'status' });
  const input = h('input', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment', multiple: true,
    class: 'visually-hidden', 'aria-label': t('desk.photo.add') });
  const alt = t(`photo.kind.${kind}`);
  const keep = async (file) => {
    if (kept.length >= MAX_PHOTOS) return;
    const p = await preparePhoto(file);
    kept.push({ name: p.name, type: p.type, data: p.data });
    const pic = photoPreview(p, alt, h, t('desk.photo.kept'));
    if (pic.tagName === 'IMG') Object.assign(pic, { width: 72, height: 72 });
    thumbs.append(h('span', { class: 'thumb', dataset: { kept: kept.length } }, pic));
  };
  const upload = async (file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('kind', kind);
    const photo = await api('photos', { method: 'POST', form, idempotencyKey: newKey() });
    ids.push(photo.id);
    const img = h('img', { alt, width: 72, height: 72 });
    img.src = photo.thumb_url ? await photoUrl(photo.thumb_url).catch(() => URL.createObjectURL(file))
      : URL.createObjectURL(file);
    thumbs.append(h('span', { class: 'thumb', dataset: { photoId: photo.id } }, img));
  };
  input.addEventListener('change', async () => {
    const files = [...input.files];
    input.value = '';
    for (const file of files) {
      status.textContent = t(queued ? 'desk.photo.preparing' : 'desk.photo.uploading');
      try {
        await (queued ? keep(file) : upload(file));
      } catch (err) {
        toast(err.message, 'error');
      }
    }
    const n = queued ? kept.length : ids.length;
    status.textContent = n ? t(queued ? 'desk.photo.ready' : 'desk.photo.uploaded', { n }) : '';
  });
  const el = h('div', { class: 'photo-input' },
    h('label', { class: 'btn btn-outline photo-pick' }, input, t('desk.photo.add')), status, thumbs);
  return { el, get: () => (queued ? [...kept] : [...ids]) };
}
