/** Inline SVG icons (no icon font or emoji font needed; they inherit the text colour). */

const PATHS = {
  camera: 'M9 4h6l1.5 2H20a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h3.5L9 4zm3 4.5a4 4 0 1 0 0 8 4 4 0 0 0 0-8z',
  list: 'M4 5h2v2H4V5zm4 0h12v2H8V5zM4 11h2v2H4v-2zm4 0h12v2H8v-2zm-4 6h2v2H4v-2zm4 0h12v2H8v-2z',
  compass: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm4 6-6 2-2 6 6-2 2-6zm-4 3a1 1 0 1 1 0 2 1 1 0 0 1 0-2z',
  tool: 'M14.7 3.3a5 5 0 0 0-6.1 6.6L3 15.5 5.5 18l5.6-5.6a5 5 0 0 0 6.6-6.1l-3 3-2.4-.6-.6-2.4 3-3z',
  screen: 'M3 4h18v12H3V4zm6 14h6v2H9v-2z',
  gear: 'M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.6 7.6 0 0 0-1.7-1L15 3.3h-4l-.4 2.6a7.6 7.6 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.7 1.7 1l.4 2.6h4l.4-2.6c.6-.3 1.2-.6 1.7-1l2.5 1 2-3.5-2.1-1.6zM12 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4L9 16.2z',
  bell: 'M12 2a1.5 1.5 0 0 1 1.5 1.5v.7A6 6 0 0 1 18 10v5l2 2v1H4v-1l2-2v-5a6 6 0 0 1 4.5-5.8v-.7A1.5 1.5 0 0 1 12 2zm-2 18h4a2 2 0 0 1-4 0z',
  clock: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm1 5h-2v6l5 3 1-1.7-4-2.3V7z',
  up: 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6V3a1.5 1.5 0 0 0-.5-1L14 1 7.6 7.4A2 2 0 0 0 7 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z',
  down: 'M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.4c0 .4.2.8.5 1l1.2 1 6.4-6.4A2 2 0 0 0 18 15V5a2 2 0 0 0-2-2H7a2 2 0 0 0-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z',
  globe: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1.6 2.2A8 8 0 0 0 4.1 11h3.9c.1-2.5.9-4.9 2.4-6.8zm3.2 0c1.5 1.9 2.3 4.3 2.4 6.8h3.9a8 8 0 0 0-6.3-6.8zM12 4.6c-1.3 1.7-2 3.9-2 6.4h4c0-2.5-.7-4.7-2-6.4zM4.1 13a8 8 0 0 0 6.3 6.8A11.4 11.4 0 0 1 8 13H4.1zM10 13c.1 2.5.8 4.7 2 6.4 1.2-1.7 1.9-3.9 2-6.4h-4zm6 0a11.4 11.4 0 0 1-2.4 6.8 8 8 0 0 0 6.3-6.8H16z',
  logout: 'M10 3h9a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-9v-2h9V5h-9V3zm-.6 4.4L11 9l-2 2h8v2H9l2 2-1.6 1.6L4.8 12l4.6-4.6z',
  login: 'M12 2a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 12c4.4 0 8 2.2 8 5v3H4v-3c0-2.8 3.6-5 8-5z',
};

/**
 * @param {keyof PATHS} name
 * @param {number} [size]
 * @returns {SVGSVGElement}
 */
export function icon(name, size = 22) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name}`);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', PATHS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
