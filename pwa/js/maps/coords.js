/** WGS-84 ⇄ GCJ-02 (the offset coordinates 高德/AMap and Tencent tiles are drawn in). Stored coordinates are always
 * WGS-84: GCJ-02 is used only to line AMap tiles up with them and to hand a point to the AMap app.
 * The forward transform is the published GCJ-02 formula (Krasovsky ellipsoid, two trigonometric series); the inverse
 * has no closed form and is found by fixed-point iteration, to well under a centimetre in a few steps. */

const A = 6378245.0; // Krasovsky 1940 semi-major axis, metres
const EE = 0.00669342162296594323; // its first eccentricity squared
const PI = Math.PI;

/** Mainland China's rough bounding box: outside it GCJ-02 equals WGS-84. */
export function inChina(lat, lng) {
  return lng > 72.004 && lng < 137.8347 && lat > 0.8293 && lat < 55.8271;
}

function series(x, y, swap) {
  // The two polynomial-plus-harmonics terms of the offset; `swap` selects the latitude one.
  const base = swap
    ? -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
    : 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  const u = swap ? y : x;
  const [k1, k2, k3, k4] = swap ? [160, 320, 3, 30] : [150, 300, 3, 30];
  return base
    + (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3
    + (20 * Math.sin(u * PI) + 40 * Math.sin((u / k3) * PI)) * 2 / 3
    + (k1 * Math.sin((u / 12) * PI) + k2 * Math.sin((u / k4) * PI)) * 2 / 3;
}

/**
 * @param {number} lat WGS-84
 * @param {number} lng WGS-84
 * @returns {{lat: number, lng: number}} GCJ-02
 */
export function wgsToGcj(lat, lng) {
  if (!inChina(lat, lng)) return { lat, lng };
  const x = lng - 105;
  const y = lat - 35;
  const rad = (lat / 180) * PI;
  const s = 1 - EE * Math.sin(rad) ** 2;
  const dLat = (series(x, y, true) * 180) / (((A * (1 - EE)) / (s * Math.sqrt(s))) * PI);
  const dLng = (series(x, y, false) * 180) / ((A / Math.sqrt(s)) * Math.cos(rad) * PI);
  return { lat: lat + dLat, lng: lng + dLng };
}

/**
 * @param {number} lat GCJ-02
 * @param {number} lng GCJ-02
 * @returns {{lat: number, lng: number}} WGS-84
 */
export function gcjToWgs(lat, lng) {
  let w = { lat, lng };
  for (let i = 0; i < 8; i += 1) {
    const g = wgsToGcj(w.lat, w.lng);
    const dLat = g.lat - lat;
    const dLng = g.lng - lng;
    w = { lat: w.lat - dLat, lng: w.lng - dLng };
    if (Math.abs(dLat) < 1e-10 && Math.abs(dLng) < 1e-10) break;
  }
  return w;
}
