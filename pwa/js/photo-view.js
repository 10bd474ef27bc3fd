/** A case's photos: thumbnails by kind, opened large; for staff, the texts read from a photo and why it is
 * not public. Images need the bearer token, so they are fetched as blobs. */

import { photoUrl } from './api.js';
import { h } from './dom.js';
import { pick, t } from './i18n.js';

/**
 * Photo thumbnails grouped by kind (report, verify, after, check); tap to see the large version.
 * Images need the bearer token, so they are fetched as blobs.
 * @param {Array<{id:number, kind:string, thumb_url:string|null, display_url:string|null}>} photos
 * @returns {HTMLElement}
 */
export function renderPhotos(photos) {
  const box = h('div', { class: 'photo-groups' });
  const kinds = ['report', 'verify', 'after', 'check'];
  for (const kind of kinds) {
    const list = (photos || []).filter((p) => p.kind === kind && (p.thumb_url || p.display_url));
    if (!list.length) continue;
    box.append(h('figure', { class: `photo-group photo-${kind}` },
      h('figcaption', null, t(`photo.kind.${kind}`)),
      h('div', { class: 'thumbs' }, list.map((p) => photoThumb(p)))));
  }
  return box;
}

function photoThumb(p) {
  // The button's name is its picture's text (WCAG 2.5.3: a name that contains what is shown): kind, then what it does.
  const img = h('img', { alt: `${t(`photo.kind.${p.kind}`)} · ${t('photo.open')}`, loading: 'lazy', width: 96, height: 96 });
  photoUrl(p.thumb_url || p.display_url).then((u) => { img.src = u; }).catch(() => img.classList.add('broken'));
  return h('button', {
    type: 'button', class: 'thumb',
    onclick: async () => {
      const big = h('img', { alt: t(`photo.kind.${p.kind}`), class: 'photo-big' });
      const dlg = h('dialog', { class: 'photo-dialog', onclick: () => dlg.close(), onclose: () => dlg.remove() },
        photoWithText(big, p));
      document.body.append(dlg);
      dlg.showModal();
      big.src = await photoUrl(p.display_url || p.thumb_url);
    },
  }, img, privateBadge(p));
}

/** A badge on a thumbnail whose photo is not public (yet): faces and plates not pixelated; the reason as its title. */
function privateBadge(p) {
  const r = p.redaction;
  if (!r || r.public) return null;
  return h('span', { class: 'redact-badge', title: pick(r, 'message') }, t('redact.private'));
}

/**
 * For staff: the large photo with a box on each region text was read from (phone numbers, plates, signs), whether the
 * photo is public or why not, and the texts; a text's button marks its region. Boxes are fractions of the display image.
 */
function photoWithText(big, p) {
  const r = p.redaction;
  const texts = r?.texts || [];
  const marks = texts.map((x) => {
    const [left, top, width, height] = x.box.map((v) => `${(v * 100).toFixed(2)}%`);
    return h('span', { class: `redact-mark redact-${x.kind}`, style: `left:${left};top:${top};width:${width};height:${height}` });
  });
  const frame = h('div', { class: 'redact-frame' }, big, ...marks);
  if (!r) return frame;
  const list = h('ul', { class: 'redact-texts' }, texts.map((x, i) => h('li', null, h('button', {
    type: 'button', class: 'btn btn-small', 'aria-label': t('redact.show', { text: x.text }),
    onclick: (e) => { e.stopPropagation(); marks.forEach((m, j) => m.classList.toggle('redact-current', i === j)); },
  }, `${t(`redact.kind.${x.kind}`)} · ${x.text}`))));
  return h('div', { class: 'redact-panel' }, frame, h('p', { class: 'small redact-status' }, pick(r, 'message')),
    texts.length ? h('section', null, h('h3', null, t('redact.texts')), list) : null);
}
