/** A case as a citizen reads it: the five citizen statuses, the expected completion, the before/after photo pair, who
 * acted by role and organisation only, the follow code for another phone. No codes, lights or internal state names. */

import { api, photoUrl } from '../api.js';
import { lang, pick, registerMessages, t } from '../i18n.js';
import { h } from '../dom.js';
import { actionName, formatTime } from '../format.js';
import { icon } from '../icons.js';
import { renderPhotos } from '../photo-view.js';
import { toast } from '../toast.js';

registerMessages('zh-CN', {
  'cv.status': '办理进度', 'cv.category': '问题', 'cv.place': '地点', 'cv.reported': '上报时间', 'cv.unit': '办理单位',
  'cv.before': '处理前', 'cv.after': '处理后', 'cv.before_after': '处理前后对比',
  'cv.follow_title': '在另一部手机上查看进度', 'cv.follow_hint': '在另一部手机的“我的”页面输入案件编号和关注码，即可在那部手机上收到进度通知。关注码请勿公开。',
  'cv.follow_code': '关注码', 'cv.following_nearby': '您关注的上报（我也遇到）', 'cv.following_device': '您在另一部手机上的上报',
  'cv.unfollow': '取消关注', 'cv.unfollowed': '已取消关注', 'cv.not_public_photos': '照片在上报受理后公开',
  'cv.steps': '办理过程', 'cv.photo_processing': '照片处理中：人脸和车牌打码后显示',
  'cv.act.report': '提交上报', 'cv.act.triage': '系统登记', 'cv.act.request_verify': '派发现场核实',
  'cv.act.verify': '现场核实', 'cv.act.accept_report': '受理', 'cv.act.file': '立案', 'cv.act.void': '不予受理',
  'cv.act.link_duplicate': '与相同上报合并', 'cv.act.dispatch': '交办理单位', 'cv.act.accept': '办理单位接收',
  'cv.act.approve_suspension': '暂缓办理', 'cv.act.resume': '恢复办理', 'cv.act.report_back': '办理完成，待复查',
  'cv.act.check': '现场复查', 'cv.act.close': '办结', 'cv.act.rate': '评价', 'cv.act.reopen': '重新打开',
});
registerMessages('en', {
  'cv.status': 'Progress', 'cv.category': 'Problem', 'cv.place': 'Place', 'cv.reported': 'Reported', 'cv.unit': 'Handled by',
  'cv.before': 'Before', 'cv.after': 'After', 'cv.before_after': 'Before and after',
  'cv.follow_title': 'Follow it on another phone', 'cv.follow_hint': 'On the other phone, open "Me" and enter the tracking number and this follow code to get the news there too. Keep the code to yourself.',
  'cv.follow_code': 'Follow code', 'cv.following_nearby': 'A report you follow (me too)', 'cv.following_device': 'Your report from another phone',
  'cv.unfollow': 'Stop following', 'cv.unfollowed': 'You no longer follow this report', 'cv.not_public_photos': 'Photos are shown once the report is accepted',
  'cv.steps': 'Steps so far', 'cv.photo_processing': 'Photo being processed: shown once faces and plates are blurred',
  'cv.act.report': 'Report sent', 'cv.act.triage': 'Registered', 'cv.act.request_verify': 'Sent for verification',
  'cv.act.verify': 'Checked on site', 'cv.act.accept_report': 'Accepted', 'cv.act.file': 'Case opened', 'cv.act.void': 'Not accepted',
  'cv.act.link_duplicate': 'Merged with the same report', 'cv.act.dispatch': 'Passed to the unit in charge',
  'cv.act.accept': 'Taken on by the unit', 'cv.act.approve_suspension': 'Put on hold', 'cv.act.resume': 'Work resumed',
  'cv.act.report_back': 'Work done, to be checked', 'cv.act.check': 'Checked on site', 'cv.act.close': 'Resolved',
  'cv.act.rate': 'Rated', 'cv.act.reopen': 'Reopen',
});

/**
 * The facts card of a citizen's case page.
 * @param {object} c the reporter view of the case
 * @param {object|null} w its citizen words (GET citizen/cases/{id}/status), null when offline and never loaded
 * @returns {HTMLElement}
 */
export function citizenFacts(c, w) {
  const status = w ? pick(w, 'name') : '';
  const note = w ? pick(w, 'expected') || pick(w, 'reason') : '';
  return h('section', { class: 'card' },
    c.following ? h('p', { class: 'muted small following' }, t(c.following === 'device' ? 'cv.following_device' : 'cv.following_nearby')) : null,
    h('div', { class: 'case-head' },
      h('h1', { class: 'tracking-title' }, c.tracking_no),
      status ? h('span', { class: `badge state citizen-${w.status}`, dataset: { status: w.status } }, status) : null),
    note ? h('p', { class: 'expected' }, note) : null,
    h('dl', { class: 'facts' },
      w ? [h('dt', null, t('cv.category')), h('dd', { class: 'category' }, pick(w, 'category'))] : null,
      c.place_text ? [h('dt', null, t('cv.place')), h('dd', { class: 'place-text', lang: 'zh-CN' }, c.place_text)] : null,
      c.address && c.address !== c.place_text ? [h('dt', null, t('case.reported_address')), h('dd', null, c.address)] : null,
      h('dt', null, t('cv.reported')), h('dd', null, formatTime(c.created_at)),
      // The organisation's English name where it has one; its Chinese name is marked so screen readers say it right.
      c.unit_name ? [h('dt', null, t('cv.unit')), pick(c, 'unit_name') === c.unit_name
        ? h('dd', { lang: 'zh-CN' }, c.unit_name) : h('dd', null, pick(c, 'unit_name'))] : null),
    c.description ? h('p', { class: 'desc' }, c.description) : null,
    c.merged ? h('p', { class: 'muted merged' }, t('case.merged')) : null);
}

/**
 * Photos: once the unit reports back, the first report photo and the first after photo side by side.
 * @param {object} c
 * @returns {HTMLElement|null}
 */
export function citizenPhotos(c) {
  const before = c.photos?.find((p) => p.kind === 'report' && p.thumb_url);
  const after = c.photos?.find((p) => p.kind === 'after' && p.thumb_url);
  if (!c.photos?.length) {
    return c.following ? h('section', { class: 'card' }, h('p', { class: 'muted small' }, t('cv.not_public_photos'))) : null;
  }
  // Someone else's photo reaches a citizen only once faces and plates are pixelated: until then (or when that failed)
  // it comes without an address, and the page says so instead of showing nothing.
  const waiting = c.photos.filter((p) => !p.thumb_url && !p.display_url);
  const pending = waiting.length ? h('div', { class: 'photo-pending-list', role: 'status' }, waiting.map((p) => h('div', { class: 'photo-pending' },
    icon('clock', 28), h('span', null, t(p.kind === 'after' ? 'cv.after' : 'cv.before')), h('span', { class: 'small' }, t('cv.photo_processing'))))) : null;
  if (!before || !after) return h('section', { class: 'card' }, h('h2', null, t('case.photos')), renderPhotos(c.photos), pending);
  const half = (p, side, label) => {
    const img = h('img', { alt: label, width: 160, height: 160 });
    photoUrl(p.display_url || p.thumb_url).then((u) => { img.src = u; }).catch(() => img.classList.add('broken'));
    return h('figure', { class: `pair-half pair-${side}` }, img, h('figcaption', null, label));
  };
  return h('section', { class: 'card', 'aria-labelledby': 'pair-title' },
    h('h2', { id: 'pair-title' }, t('cv.before_after')),
    h('div', { class: 'before-after' }, half(before, 'before', t('cv.before')), half(after, 'after', t('cv.after'))), pending);
}

/**
 * The steps as a citizen reads them: citizen action words, who by role and organisation, the status when it changed.
 * @param {object} c
 * @param {object|null} w
 * @returns {HTMLElement}
 */
export function citizenTimeline(c, w) {
  const states = w?.states || {};
  const statusOf = (s) => (states[s] ? states[s][lang() === 'en' ? 1 : 0] : '');
  return h('section', { class: 'card' }, h('h2', null, t('cv.steps')),
    h('ol', { class: 'timeline', 'aria-label': t('cv.steps') }, (c.timeline || []).map((e) => {
      const key = `cv.act.${e.action}`;
      const name = t(key) === key ? actionName(e.action) : t(key);
      const before = statusOf(e.from_state);
      const now = statusOf(e.to_state);
      const [role, ...rest] = pick(e, 'actor').split(' · ');
      const org = rest.join(' · ');
      return h('li', { class: `tl-item tl-${e.action}` },
        h('div', { class: 'tl-head' }, h('strong', null, name), h('time', { datetime: e.at }, formatTime(e.at))),
        // A unit's own name stays Chinese in English (a proper noun): marked so, for screen readers.
        h('div', { class: 'tl-who muted' }, role, org ? [' · ', h('span', { lang: /[\u4e00-\u9fff]/.test(org) ? 'zh-CN' : null }, org)] : null,
          now && now !== before ? ` → ${now}` : ''),
        e.note ? h('p', { class: 'tl-note' }, e.note) : null);
    })));
}

/**
 * For the reporter: the follow code to use on another phone. For a follower: stop following.
 * @param {object} c
 * @param {object|null} w
 * @returns {HTMLElement|null}
 */
export function followCard(c, w) {
  if (c.following) {
    return h('section', { class: 'card' }, h('button', { type: 'button', class: 'btn btn-block', onclick: async () => {
      try {
        await api(`citizen/follows/${c.id}`, { method: 'DELETE' });
        toast(t('cv.unfollowed'), 'ok');
        location.hash = '#/mine';
      } catch (err) {
        toast(err.message, 'error');
      }
    } }, t('cv.unfollow')));
  }
  if (!w?.follow_code) return null;
  return h('details', { class: 'card follow-code' },
    h('summary', null, t('cv.follow_title')),
    h('p', { class: 'muted small' }, t('cv.follow_hint')),
    h('dl', { class: 'code-facts' },
      h('dt', null, t('case.tracking')), h('dd', { class: 'mono' }, c.tracking_no),
      h('dt', null, t('cv.follow_code')), h('dd', { class: 'mono code', dataset: { testid: 'follow-code' } }, w.follow_code)));
}
