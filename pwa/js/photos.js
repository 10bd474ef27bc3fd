/** Photos picked or taken in the browser: read EXIF GPS first, then downscale to at most 2560 px for upload. */

import { gps as exifGps } from 'exifr';

export const MAX_EDGE = 2560;
export const MAX_PHOTOS = 4;

/**
 * Read the GPS position a camera wrote into the file. Must run on the original file: the canvas drops EXIF.
 * @param {Blob} file
 * @returns {Promise<{lat: number, lng: number}|null>}
 */
export async function readGps(file) {
  try {
    const gps = await exifGps(file);
    if (gps && Number.isFinite(gps.latitude) && Number.isFinite(gps.longitude) && (gps.latitude || gps.longitude)) {
      return { lat: gps.latitude, lng: gps.longitude };
    }
  } catch { /* no EXIF, or a format exifr's mini build does not read (HEIC): the browser position is used */ }
  return null;
}

/**
 * Downscale a photo so its long edge is at most MAX_EDGE px, upright, as JPEG. Small JPEGs pass through unchanged.
 * @param {File|Blob} file
 * @returns {Promise<{blob: Blob, width: number, height: number}>}
 */
export async function downscale(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    // A format this browser cannot decode (e.g. HEIC on Chromium): send the original and let the server convert it.
    return { blob: file, width: 0, height: 0 };
  }
  const { width, height } = bitmap;
  const scale = Math.min(1, MAX_EDGE / Math.max(width, height));
  if (scale === 1 && file.type === 'image/jpeg') {
    bitmap.close();
    return { blob: file, width, height };
  }
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
  canvas.getContext('2d').drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const blob = canvas.convertToBlob
    ? await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 })
    : await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  return { blob, width: w, height: h };
}

/**
 * Prepare a picked file for the outbox: GPS from EXIF, the downscaled bytes as an ArrayBuffer, a preview URL.
 * @param {File} file
 * @returns {Promise<{name: string, type: string, data: ArrayBuffer, gps: {lat:number,lng:number}|null, preview: string}>}
 */
export async function preparePhoto(file) {
  const gps = await readGps(file);
  const { blob, width } = await downscale(file);
  const name = (file.name || 'photo').replace(/\.[^.]+$/, '') + (blob.type === 'image/jpeg' ? '.jpg' : '');
  // A file this browser cannot decode (HEIC on most browsers) has no preview: the form shows a placeholder instead
  // of a broken image, and the server makes the thumbnail once it is uploaded.
  return { name, type: blob.type || file.type || 'application/octet-stream', data: await blob.arrayBuffer(), gps,
    preview: width ? URL.createObjectURL(blob) : null, heic: /hei[cf]/i.test(`${file.type} ${file.name}`) };
}

/**
 * The picture of a prepared photo in a form: its preview, or a labelled placeholder when it has none.
 * @param {{preview: string|null, heic?: boolean}} p
 * @param {string} alt
 * @param {(tag: string, attrs?: object, ...children: any[]) => HTMLElement} h the element builder
 * @param {string} placeholderText
 * @returns {HTMLElement}
 */
export function photoPreview(p, alt, h, placeholderText) {
  if (p.preview) return h('img', { src: p.preview, alt });
  return h('div', { class: 'shot-placeholder', role: 'img', 'aria-label': `${alt}: ${placeholderText}` },
    h('span', { 'aria-hidden': 'true' }, placeholderText));
}
