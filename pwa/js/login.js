/** The login screen: staff log in with an account; citizens may report anonymously with a device credential. */

import { ApiError, api, deviceCredential, setSession } from './api.js';
import { registerMessages, t } from './i18n.js';
import { icon } from './icons.js';
import { h } from './dom.js';
import { toast } from './toast.js';

registerMessages('zh-CN', {
  'password.title': '请设置新密码',
  'password.why': '这是管理员为你设置的初始密码或已重置的密码，继续使用前请设置只有你知道的新密码。',
  'password.new': '新密码', 'password.confirm': '再次输入新密码', 'password.submit': '保存新密码',
  'password.rules': '至少 10 个字符，包含大写字母、小写字母、数字、符号中的至少三类，不能包含用户名，不能是常见密码。',
  'password.mismatch': '两次输入的新密码不一致', 'password.done': '密码已修改，其他设备上的登录已退出',
});
registerMessages('en', {
  'password.title': 'Choose a new password',
  'password.why': 'Your administrator set or reset this password. Choose one only you know before you continue.',
  'password.new': 'New password', 'password.confirm': 'New password again', 'password.submit': 'Save the new password',
  'password.rules': 'At least 10 characters with three of: upper case, lower case, digits, symbols; not your username; not a common password.',
  'password.mismatch': 'The two new passwords differ', 'password.done': 'Password changed; other devices were logged out',
});

/**
 * The forced change after logging in with an initial or reset password.
 * @param {HTMLElement} main
 * @param {string} current the password just used to log in
 * @param {(s: object) => void} onChanged receives the new session
 */
export function renderPasswordChange(main, current, onChanged) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const fresh = h('input', { id: 'new-pass', type: 'password', autocomplete: 'new-password', required: true,
    'aria-describedby': 'pass-rules' });
  const again = h('input', { id: 'new-pass2', type: 'password', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('password.submit'));
  const form = h('form', { class: 'card login-form', 'aria-label': t('password.title') },
    h('h2', null, t('password.title')),
    h('p', { class: 'muted' }, t('password.why')),
    h('div', { class: 'field' }, h('label', { for: 'new-pass' }, t('password.new')), fresh),
    h('p', { id: 'pass-rules', class: 'muted small' }, t('password.rules')),
    h('div', { class: 'field' }, h('label', { for: 'new-pass2' }, t('password.confirm')), again),
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (fresh.value !== again.value) {
      error.textContent = t('password.mismatch');
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      const s = await api('auth/password', { method: 'POST',
        json: { current_password: current, new_password: fresh.value } });
      await setSession(s);
      toast(t('password.done'));
      onChanged(s);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : t('login.failed');
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(h('section', { class: 'login' }, form));
  fresh.focus();
}

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
    h('h2', null, t('login.account_title')),
    h('p', { class: 'muted small' }, t('login.account_hint')),
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
      if (s.must_change_password) renderPasswordChange(main, pass.value, onLoggedIn);
      else onLoggedIn(s);
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
