/** Translations: zh-CN by default, English second; the choice is kept in localStorage. */

const STORE_KEY = 'ssp.lang';
const DEFAULT = 'zh-CN';
const SUPPORTED = ['zh-CN', 'en'];
const dicts = { 'zh-CN': {}, en: {} };

function stored() {
  try { return globalThis.localStorage?.getItem(STORE_KEY); } catch { return null; }
}

let current = SUPPORTED.includes(stored()) ? stored() : DEFAULT;

/**
 * Add (or override) messages for a language. Modules register their own keys.
 * @param {'zh-CN'|'en'} language
 * @param {Record<string, string>} dict
 */
export function registerMessages(language, dict) {
  dicts[language] = Object.assign(dicts[language] || {}, dict);
}

/**
 * Translate a key, filling `{name}` placeholders from vars. Falls back to Chinese, then to the key itself.
 * @param {string} key
 * @param {Record<string, string|number>} [vars]
 * @returns {string}
 */
export function t(key, vars) {
  const text = dicts[current]?.[key] ?? dicts[DEFAULT][key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** @returns {'zh-CN'|'en'} the current language */
export function lang() {
  return current;
}

/**
 * Switch language, persist the choice and tell the page (event `ssp:langchange` on window).
 * @param {'zh-CN'|'en'} l
 */
export function setLang(l) {
  if (!SUPPORTED.includes(l)) throw new Error(`unsupported language ${l}`);
  current = l;
  try { globalThis.localStorage?.setItem(STORE_KEY, l); } catch { /* private mode: keep it for this page only */ }
  if (globalThis.document) {
    document.documentElement.lang = l;
    globalThis.dispatchEvent(new CustomEvent('ssp:langchange', { detail: l }));
  }
}

/**
 * Pick the Chinese or English variant of a server-sent pair, e.g. `pick(c, 'state')` → c.state_zh or c.state_en.
 * @param {object} obj
 * @param {string} base
 * @returns {string}
 */
export function pick(obj, base) {
  if (!obj) return '';
  const en = obj[`${base}_en`];
  const zh = obj[`${base}_zh`] ?? obj[base];
  return current === 'en' && en ? en : zh ?? en ?? '';
}

/**
 * A bracketed aside, full-width in Chinese and ` (…)` in English, e.g. a name and its code.
 * @param {string|number} text
 * @returns {string}
 */
export function paren(text) {
  return current === 'en' ? ` (${text})` : `（${text}）`;
}
