/** 消息通知 settings (#/notify): turn Web Push on or off for this device, choose what to hear about and quiet hours.
 * Loaded on demand through import(), so the shell never carries it. The server side is backend/notify/. */

import { api, session } from '/js/api.js';
import { registerMessages, t } from '/js/i18n.js';
import { h } from '/js/dom.js';
import { toast } from '/js/toast.js';

registerMessages('zh-CN', {
  'nt.title': '消息通知', 'nt.hint': '关闭应用后也能收到办理进度、新任务和新案件的提醒。',
  'nt.on': '开启本机通知', 'nt.off': '关闭本机通知', 'nt.state_on': '本机已开启通知', 'nt.state_off': '本机未开启通知',
  'nt.unsupported': '此浏览器不支持消息推送', 'nt.denied': '通知权限已被拒绝，请在浏览器设置中允许',
  'nt.status': '我的上报的办理进度', 'nt.tasks': '新的核实、核查任务', 'nt.cases': '本单位的新案件和时限提醒',
  'nt.quiet': '免打扰时段（北京时间，期间的消息推迟到结束时送达）', 'nt.from': '开始', 'nt.to': '结束',
  'nt.save': '保存设置', 'nt.saved': '已保存', 'nt.enabled': '接收通知',
});
registerMessages('en', {
  'nt.title': 'Notifications', 'nt.hint': 'Hear about progress, new tasks and new cases even when the app is closed.',
  'nt.on': 'Turn on for this device', 'nt.off': 'Turn off for this device', 'nt.state_on': 'On for this device',
  'nt.state_off': 'Off for this device', 'nt.unsupported': 'This browser cannot receive push messages',
  'nt.denied': 'Notifications are blocked: allow them in the browser settings',
  'nt.status': 'Progress of my reports', 'nt.tasks': 'New verify and check tasks', 'nt.cases': "My unit's new cases and deadlines",
  'nt.quiet': 'Quiet hours (Beijing time; messages wait until they end)', 'nt.from': 'From', 'nt.to': 'To',
  'nt.save': 'Save settings', 'nt.saved': 'Saved', 'nt.enabled': 'Receive notifications',
});

const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** The base64url VAPID key as the bytes PushManager.subscribe wants. */
function keyBytes(b64url) {
  const raw = atob(b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** Ask permission, subscribe with the server's VAPID key and post the subscription. */
export async function turnOn() {
  if ((await Notification.requestPermission()) !== 'granted') throw new Error(t('nt.denied'));
  const reg = await navigator.serviceWorker.ready;
  const { public_key: key } = await api('push/key');
  let sub = await reg.pushManager.getSubscription();
  if (sub && btoa(String.fromCharCode(...new Uint8Array(sub.options.applicationServerKey || []))) !== btoa(String.fromCharCode(...keyBytes(key)))) {
    await sub.unsubscribe(); // made with another server key: the push service would refuse our messages
    sub = null;
  }
  sub = sub || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  const { endpoint, keys } = sub.toJSON();
  try {
    await api('push/subscriptions', { method: 'POST', json: { endpoint, keys, lang: document.documentElement.lang === 'en' ? 'en' : 'zh' } });
  } catch (err) {
    await sub.unsubscribe(); // the server would never use it: this device is not on
    throw err;
  }
}

/** Remove this device's subscription here and on the server. */
export async function turnOff() {
  const sub = await (await navigator.serviceWorker.ready).pushManager.getSubscription();
  if (!sub) return;
  await api('push/subscriptions', { method: 'DELETE', json: { endpoint: sub.endpoint } }).catch(() => undefined);
  await sub.unsubscribe();
}

const hhmm = (m) => (m == null ? '' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const minutes = (v) => (v ? Number(v.slice(0, 2)) * 60 + Number(v.slice(3, 5)) : null);

/**
 * Render the settings page.
 * @param {HTMLElement} main
 * @param {object} params
 * @param {AbortSignal} signal the navigation's (see router.js): aborted, nothing more is drawn
 */
export async function renderNotify(main, params, signal) {
  const role = session()?.user.role;
  const state = h('p', { class: 'muted', id: 'notify-state', role: 'status' });
  const toggle = h('button', { type: 'button', class: 'btn btn-primary', id: 'notify-toggle' });
  const show = async () => {
    const sub = supported() && await (await navigator.serviceWorker.ready).pushManager.getSubscription();
    state.textContent = !supported() ? t('nt.unsupported') : sub ? t('nt.state_on') : t('nt.state_off');
    toggle.textContent = sub ? t('nt.off') : t('nt.on');
    toggle.dataset.on = sub ? '1' : '';
    toggle.disabled = !supported();
  };
  toggle.addEventListener('click', async () => {
    toggle.disabled = true;
    try {
      await (toggle.dataset.on ? turnOff() : turnOn());
    } catch (err) {
      toast(err.message, 'error');
    }
    await show();
  });
  const prefs = await api('push/preferences');
  if (signal.aborted) return; // the person left while it loaded
  const box = (name) => h('label', { class: 'radio' },
    h('input', { type: 'checkbox', name, checked: prefs[name] }), ' ', t(`nt.${name}`));
  const topics = role === 'supervisor' ? ['status', 'tasks'] : role === 'unit_staff' ? ['cases'] : ['status'];
  const from = h('input', { type: 'time', name: 'quiet_start', value: hhmm(prefs.quiet_start) });
  const to = h('input', { type: 'time', name: 'quiet_end', value: hhmm(prefs.quiet_end) });
  const form = h('form', { class: 'stack', id: 'notify-prefs' }, box('enabled'), ...topics.map(box),
    h('fieldset', null, h('legend', { class: 'small' }, t('nt.quiet')),
      h('label', null, t('nt.from'), ' ', from), ' ', h('label', null, t('nt.to'), ' ', to)),
    h('button', { type: 'submit', class: 'btn' }, t('nt.save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { ...prefs };
    for (const name of ['enabled', ...topics]) body[name] = form.elements[name].checked;
    body.quiet_start = minutes(from.value);
    body.quiet_end = minutes(to.value);
    try {
      Object.assign(prefs, await api('push/preferences', { method: 'PUT', json: body }));
      toast(t('nt.saved'), 'ok');
    } catch (err) {
      toast(err.message, 'error');
    }
  });
  main.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'notify-title' },
    h('h2', { id: 'notify-title' }, t('nt.title')), h('p', { class: 'muted small' }, t('nt.hint')),
    state, h('div', { class: 'btn-row' }, toggle), form));
  await show();
}
