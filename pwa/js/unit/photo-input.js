/** A photo field for an action form: pick or take photos, upload each through the photo pipeline, keep their ids. */

import { api, newKey, photoUrl } from '../api.js';
import { t } from '../i18n.js';
import { h, toast } from '../ui.js';

/**
 * @param {'after'|'verify'|'check'} kind the photo kind the server records
 * @returns {{el: HTMLElement, get: () => number[]}}
 */
export function photoInput(kind) {
  const ids = [];
  const thumbs = h('div', { class: 'thumbs' });
  const status = h('span', { class: 'muted small', role: 'status' });
  const input = h('input', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment', multiple: true,
    class: 'visually-hidden', 'aria-label': t('desk.photo.add') });
  input.addEventListener('change', async () => {
    const files = [...input.files];
    input.value = '';
    for (const file of files) {
      status.textContent = t('desk.photo.uploading');
      const form = new FormData();
      form.append('file', file, file.name);
      form.append('kind', kind);
      try {
        const photo = await api('photos', { method: 'POST', form, idempotencyKey: newKey() });
        ids.push(photo.id);
        const img = h('img', { alt: t(`photo.kind.${kind}`), width: 72, height: 72 });
        img.src = photo.thumb_url ? await photoUrl(photo.thumb_url).catch(() => URL.createObjectURL(file))
          : URL.createObjectURL(file);
        thumbs.append(h('span', { class: 'thumb', dataset: { photoId: photo.id } }, img));
      } catch (err) {
        toast(err.message, 'error');
      }
    }
    status.textContent = ids.length ? t('desk.photo.uploaded', { n: ids.length }) : '';
  });
  const el = h('div', { class: 'photo-input' },
    h('label', { class: 'btn btn-outline photo-pick' }, input, t('desk.photo.add')), status, thumbs);
  return { el, get: () => [...ids] };
}
