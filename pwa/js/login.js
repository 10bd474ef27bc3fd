/** The login screen: staff log in with an account; citizens may report anonymously with a device credential. */

import { ApiError, api, deviceCredential, setSession } from './api.js';
import { t } from './i18n.js';
import { icon } from './icons.js';
import { h, toast } from './ui.js';

/**
 * Get (or reuse) the anonymous device credential and make it the session.
 * @returns {Promise<object>} the session
 */
export async function anonymousSession() {
  const kept = await deviceCredential();
  if (kept) {
    await setSession(kept);
    return kept;
  }
  const s = await api('auth/device', { method: 'POST' });
  await setSession(s);
  return s;
}

/**
 * Render the login screen.
 * @param {HTMLElement} main
 * @param {(s: object) => void} onLoggedIn
 */
export function renderLogin(main, onLoggedIn) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password',
    required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
  const form = h('form', { class: 'card login-form', 'aria-label': t('login.title') },
    h('h2', null, t('login.staff')),
    h('div', { class: 'field' }, h('label', { for: 'login-user' }, t('login.username')), user),
    h('div', { class: 'field' }, h('label', { for: 'login-pass' }, t('login.password')), pass),
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const s = await api('auth/login', { method: 'POST', json: { username: user.value.trim(), password: pass.value } });
      await setSession(s);
      onLoggedIn(s);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : t('login.failed');
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  const anon = h('button', {
    type: 'button', class: 'btn btn-accent btn-block btn-big',
    onclick: async () => {
      anon.disabled = true;
      try {
        onLoggedIn(await anonymousSession());
      } catch (err) {
        toast(err.message, 'error');
      } finally {
        anon.disabled = false;
      }
    },
  }, icon('camera', 28), t('login.anonymous'));
  main.append(
    h('section', { class: 'login' },
      h('div', { class: 'hero' },
        h('img', { src: '/icons/icon-192.png', alt: '', width: 72, height: 72 }),
        h('h1', null, t('app.name')),
        h('p', { class: 'muted' }, t('app.subtitle'))),
      h('div', { class: 'card' }, anon, h('p', { class: 'muted small' }, t('login.anonymous_hint'))),
      form));
}
