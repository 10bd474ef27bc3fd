/** The shared Chinese and English texts (screens may register more of their own). */

import { registerMessages } from './i18n.js';

const zh = {
  'app.name': '随手拍', 'app.subtitle': '城市管理 · 随手拍', 'lang.switch': 'English', 'lang.short': 'EN',
  'lang.label': '切换语言 / Language',
  'common.ok': '确定', 'common.cancel': '取消', 'common.loading': '加载中…', 'common.retry': '重试',
  'common.back': '返回', 'common.more': '加载更多', 'common.empty': '暂无内容', 'common.save': '保存',
  'common.search': '搜索', 'common.close': '关闭',
  'error.network': '网络不可用，请稍后再试', 'error.http': '服务器错误（{status}）', 'error.photo': '照片加载失败',
  'nav.main': '主导航', 'nav.report': '随手拍', 'nav.mine': '我的上报', 'nav.tasks': '巡查任务', 'nav.quick': '快速上报',
  'nav.unit': '案件处置', 'nav.centre': '指挥中心', 'nav.eval': '考评', 'nav.logout': '退出', 'nav.notify': '消息通知', 'nav.login': '登录',
  'login.title': '登录', 'login.username': '用户名', 'login.password': '密码', 'login.submit': '登录',
  'login.anonymous': '不登录，直接随手拍', 'login.anonymous_hint': '匿名上报会在本机保存凭证，可随时查看进度',
  'login.failed': '登录失败', 'login.staff': '工作人员请使用账号登录', 'login.expired': '登录已过期，请重新登录',
  'live.on': '实时', 'live.off': '离线',
  'offline.banner': '当前离线：上报会保存在本机，联网后自动发送',
  'role.citizen': '市民', 'role.supervisor': '监督员', 'role.operator': '受理员', 'role.shift_lead': '值班长',
  'role.dispatcher': '派遣员', 'role.unit_staff': '责任单位', 'role.admin': '管理员', 'role.system': '系统',
  'role.short.supervisor': '监督员', 'role.short.operator': '受理员', 'role.short.shift_lead': '值班长',
  'role.short.dispatcher': '派遣员', 'role.short.unit_staff': '单位', 'role.short.admin': '管理员',
  'role.short.citizen': '市民',
  'light.green': '绿灯', 'light.yellow': '黄灯', 'light.red': '红灯', 'light.none': '未计时',
  'state.new': '待受理', 'state.verifying': '核实中', 'state.pending_filing': '待立案', 'state.voided': '已作废',
  'state.duplicate': '已合并', 'state.pending_dispatch': '待派遣', 'state.dispatched': '已派遣',
  'state.handling': '处置中', 'state.return_requested': '回退待审', 'state.extension_requested': '延期待审',
  'state.suspension_requested': '挂账待审', 'state.suspended': '已挂账', 'state.checking': '已处置待核查',
  'state.pending_close': '待结案', 'state.closed': '已结案',
  'action.report': '上报', 'action.request_verify': '派发核实', 'action.assign_supervisor': '改派监督员',
  'action.verify': '核实', 'action.accept_report': '受理', 'action.reclassify': '修改分类', 'action.file': '立案',
  'action.void': '作废', 'action.link_duplicate': '合并为重复案件', 'action.dispatch': '派遣', 'action.accept': '签收',
  'action.request_return': '申请回退', 'action.approve_return': '同意回退', 'action.reject_return': '驳回回退',
  'action.request_extension': '申请延期', 'action.approve_extension': '同意延期', 'action.reject_extension': '驳回延期',
  'action.request_suspension': '申请挂账', 'action.approve_suspension': '同意挂账',
  'action.reject_suspension': '驳回挂账', 'action.resume': '解除挂账', 'action.report_back': '处置反馈',
  'action.check': '核查', 'action.close': '结案', 'action.rate': '评价', 'action.reopen': '重新打开',
  'action.dismiss_duplicate': '不是重复', 'action.escalate': '超时预警', 'action.deadline_recomputed': '工作日历更新，处置时限重新计算', 'action.reroute': '按新类别重新分拣',
  'action.classify': '自动分类', 'action.triage': '自动分拣', 'action.route': '自动派遣建议',
  'result.confirmed': '核实属实', 'result.not_confirmed': '核实不属实', 'result.pass': '核查通过', 'result.fail': '核查不通过',
  'photo.kind.report': '上报照片', 'photo.kind.verify': '核实照片', 'photo.kind.after': '处置后照片',
  'photo.kind.check': '核查照片', 'photo.open': '查看大图',
  'case.timeline': '处理过程', 'case.photos': '照片', 'case.tracking': '案件编号', 'case.category': '类别',
  'case.address': '地点', 'case.description': '描述', 'case.created': '上报时间', 'case.unit': '处置单位',
  'case.due': '处置时限', 'case.unclassified': '待分类', 'case.not_found': '案件不存在',
  'redact.private': '未公开', 'redact.texts': '照片中的文字', 'redact.kind.phone': '电话',
  'redact.kind.plate': '车牌', 'redact.kind.text': '文字', 'redact.show': '在照片上标出：{text}',
  'action.photo_hint': '照片中识别出电话号码，已更新分类建议',
};

const en = {
  'app.name': 'Suishoupai', 'app.subtitle': 'City problems, snap and report', 'lang.switch': '中文', 'lang.short': '中',
  'lang.label': 'Language / 切换语言',
  'common.ok': 'OK', 'common.cancel': 'Cancel', 'common.loading': 'Loading…', 'common.retry': 'Retry',
  'common.back': 'Back', 'common.more': 'Load more', 'common.empty': 'Nothing here yet', 'common.save': 'Save',
  'common.search': 'Search', 'common.close': 'Close',
  'error.network': 'No network, please try again later', 'error.http': 'Server error ({status})',
  'error.photo': 'Could not load the photo',
  'nav.main': 'Main navigation', 'nav.report': 'Report', 'nav.mine': 'My reports', 'nav.tasks': 'Patrol tasks',
  'nav.quick': 'Quick report', 'nav.unit': 'Cases', 'nav.centre': 'Command centre', 'nav.eval': 'Evaluation', 'nav.logout': 'Log out', 'nav.notify': 'Notifications',
  'nav.login': 'Log in',
  'login.title': 'Log in', 'login.username': 'Username', 'login.password': 'Password', 'login.submit': 'Log in',
  'login.anonymous': 'Report without an account', 'login.anonymous_hint': 'This phone keeps an anonymous credential so you can follow your reports',
  'login.failed': 'Login failed', 'login.staff': 'Staff: log in with your account', 'login.expired': 'Your session expired, please log in again',
  'live.on': 'Live', 'live.off': 'Offline',
  'offline.banner': 'You are offline: reports are kept on this phone and sent when the network returns',
  'role.citizen': 'Citizen', 'role.supervisor': 'Supervisor', 'role.operator': 'Intake operator',
  'role.shift_lead': 'Shift lead', 'role.dispatcher': 'Dispatcher', 'role.unit_staff': 'Responsible unit',
  'role.admin': 'Administrator', 'role.system': 'System',
  'role.short.supervisor': 'Supervisor', 'role.short.operator': 'Intake', 'role.short.shift_lead': 'Shift lead',
  'role.short.dispatcher': 'Dispatch', 'role.short.unit_staff': 'Unit', 'role.short.admin': 'Admin',
  'role.short.citizen': 'Citizen',
  'light.green': 'Green', 'light.yellow': 'Yellow', 'light.red': 'Red', 'light.none': 'No clock',
  'state.new': 'New', 'state.verifying': 'Verifying', 'state.pending_filing': 'Awaiting filing', 'state.voided': 'Voided',
  'state.duplicate': 'Merged as duplicate', 'state.pending_dispatch': 'Awaiting dispatch', 'state.dispatched': 'Dispatched',
  'state.handling': 'Being handled', 'state.return_requested': 'Return requested',
  'state.extension_requested': 'Extension requested', 'state.suspension_requested': 'Suspension requested',
  'state.suspended': 'Suspended', 'state.checking': 'Handled, awaiting check', 'state.pending_close': 'Awaiting closing',
  'state.closed': 'Closed',
  'action.report': 'Reported', 'action.request_verify': 'Asked to verify', 'action.assign_supervisor': 'Supervisor reassigned',
  'action.verify': 'Verified', 'action.accept_report': 'Accepted', 'action.reclassify': 'Category changed', 'action.file': 'Filed',
  'action.void': 'Voided', 'action.link_duplicate': 'Linked as duplicate', 'action.dispatch': 'Dispatched',
  'action.accept': 'Task accepted', 'action.request_return': 'Return requested', 'action.approve_return': 'Return approved',
  'action.reject_return': 'Return rejected', 'action.request_extension': 'Extension requested',
  'action.approve_extension': 'Extension approved', 'action.reject_extension': 'Extension rejected',
  'action.request_suspension': 'Suspension requested', 'action.approve_suspension': 'Suspension approved',
  'action.reject_suspension': 'Suspension rejected', 'action.resume': 'Resumed', 'action.report_back': 'Reported back',
  'action.check': 'Checked', 'action.close': 'Closed', 'action.rate': 'Rated', 'action.reopen': 'Reopened',
  'action.dismiss_duplicate': 'Not a duplicate', 'action.escalate': 'Deadline warning', 'action.deadline_recomputed': 'Deadline recomputed (working calendar updated)',
  'action.reroute': 'Re-triaged', 'action.classify': 'Classified', 'action.triage': 'Auto-triage',
  'action.route': 'Routing suggested',
  'result.confirmed': 'Confirmed on site', 'result.not_confirmed': 'Not confirmed', 'result.pass': 'Check passed',
  'result.fail': 'Check failed',
  'photo.kind.report': 'Reported', 'photo.kind.verify': 'Verification', 'photo.kind.after': 'After handling',
  'photo.kind.check': 'Check', 'photo.open': 'Open the large photo',
  'case.timeline': 'Timeline', 'case.photos': 'Photos', 'case.tracking': 'Tracking no.', 'case.category': 'Category',
  'case.address': 'Place', 'case.description': 'Description', 'case.created': 'Reported', 'case.unit': 'Unit',
  'case.due': 'Due', 'case.unclassified': 'Not yet classified', 'case.not_found': 'No such case',
  'redact.private': 'Not public', 'redact.texts': 'Text in the photo', 'redact.kind.phone': 'Phone',
  'redact.kind.plate': 'Plate', 'redact.kind.text': 'Text', 'redact.show': 'Mark on the photo: {text}',
  'action.photo_hint': 'Phone number in a photo: suggestions updated',
};

registerMessages('zh-CN', zh);
registerMessages('en', en);

// The field screens: report form, category picker, outbox, my reports, case page, patrol tasks.
registerMessages('zh-CN', {
  'report.photos': '照片', 'report.camera': '拍照', 'report.gallery': '相册', 'report.count': '{n}/{max}',
  'report.photo_n': '照片 {n}', 'report.remove_photo': '删除照片 {n}', 'report.photo_failed': '无法读取这张照片',
  'report.where': '位置', 'report.locating': '正在定位…', 'report.relocate': '重新定位',
  'report.accuracy': '精度约 {m} 米', 'report.source.browser': '当前位置', 'report.source.exif': '照片拍摄位置',
  'report.source.manual': '地图选点', 'report.no_position': '无法获取位置，请在地图上点选问题位置',
  'report.map': '地图：拖动或点击以调整位置', 'report.map_hint': '拖动图钉或点击地图，可调整问题所在位置',
  'report.what': '是什么问题？（可选）', 'report.menu_offline': '离线时可不选类别，直接描述问题',
  'report.desc': '补充说明（可选）', 'report.desc_ph': '例如：井盖缺失，路人易踩空',
  'report.address': '地址或参照物（可选）', 'report.address_ph': '例如：人民路与长青街交叉口东侧',
  'report.submit': '提交', 'report.need_photo': '请至少拍一张照片', 'report.need_place': '请先确定位置',
  'report.need_category': '请选择问题小类', 'report.sent': '上报成功', 'report.queued': '已保存，待发送',
  'report.queued_hint': '当前网络不可用。上报已保存在本机，联网后会自动发送（7 天内有效）。',
  'report.busy_hint': '服务器暂时繁忙。上报已保存在本机，稍后会自动重新发送（7 天内有效），无需重复上报。',
  'report.view_case': '查看进度', 'report.another': '再报一个',
  'picker.title': '问题类别（大类/小类）', 'picker.search': '搜索小类（名称、俗称或编码）',
  'picker.search_ph': '如：井盖、占道、0101', 'picker.major': '大类', 'picker.minor': '小类',
  'picker.none': '尚未选择小类', 'picker.no_match': '没有匹配的小类', 'picker.component': '部件', 'picker.event': '事件',
  'outbox.title': '待发送的上报', 'outbox.pending': '待发送', 'outbox.sending': '发送中', 'outbox.sent': '已发送',
  'outbox.failed': '发送失败', 'outbox.expired': '已过期', 'outbox.untitled': '随手拍上报',
  'outbox.photos': '{n} 张照片', 'outbox.delete': '删除', 'outbox.pending_hint': '联网后自动发送',
  'outbox.expiring': '注意：{days} 天内仍未发送将过期', 'outbox.expired_warn': '已超过 7 天未能发送，上报已过期。可重试或删除。',
  'mine.empty': '还没有上报。发现问题，随手拍一下！',
  'case.merged': '已与其他群众的相同上报合并，将一并处理',
  'account.title': '账号与隐私', 'account.hint': '您可以随时下载我们保存的关于您的全部数据，或注销账号。',
  'account.download': '下载我的数据', 'account.downloaded': '数据已下载', 'account.delete': '注销账号',
  'account.delete_title': '注销账号？', 'account.delete_confirm': '确认注销', 'account.password': '请输入登录密码确认',
  'account.delete_explain': '将删除：您的用户名、姓名、手机号和密码，所有登录立即失效；照片中的拍摄位置、时间和设备信息将被清除，未用于上报的照片将被删除。将保留：您已提交的上报作为城市管理的公共记录继续处理，但不再显示您的身份（显示为“已注销用户”）。注销后无法恢复，建议先下载我的数据。',
  'account.delete_explain_device': '将删除：本机的匿名凭证，所有登录立即失效；照片中的拍摄位置、时间和设备信息将被清除，未用于上报的照片将被删除，本机保存的上报记录和待发送的上报也会删除。将保留：您已提交的上报作为城市管理的公共记录继续处理，但不再与您关联（显示为“已注销用户”）。注销后无法恢复，建议先下载我的数据。',
  'account.deleted': '账号已注销',
  'case.rate_q': '对处理结果满意吗？', 'case.satisfied': '满意', 'case.unsatisfied': '不满意',
  'case.rated': '您的评价：{r}', 'case.comment': '留言（可选）', 'case.send_rating': '提交评价',
  'case.reason': '原因', 'case.reopen_hint': '问题没有解决？说明原因后重新打开案件。', 'case.done': '{action}成功',
  'case.offline_copy': '离线：显示的是上次保存的内容',
  'task.title.verify': '现场核实', 'task.title.check': '现场核查', 'task.result': '结果', 'task.photo': '拍现场照片',
  'task.note': '说明', 'task.need_photo': '请拍摄现场照片',
  'task.queued': '结果已保存在本机，联网后自动发送', 'task.kind.verify': '核实', 'task.kind.check': '核查',
  'tasks.map': '任务地图', 'tasks.empty': '暂无核实、核查任务', 'tasks.sorted': '按距离排序（定位精度约 {m} 米）',
  'tasks.no_position': '无法定位，按时间排序',
});
registerMessages('en', {
  'report.photos': 'Photos', 'report.camera': 'Take photo', 'report.gallery': 'Gallery', 'report.count': '{n}/{max}',
  'report.photo_n': 'Photo {n}', 'report.remove_photo': 'Remove photo {n}', 'report.photo_failed': 'Could not read this photo',
  'report.where': 'Place', 'report.locating': 'Finding your position…', 'report.relocate': 'Locate again',
  'report.accuracy': '±{m} m', 'report.source.browser': 'Your position', 'report.source.exif': 'Where the photo was taken',
  'report.source.manual': 'Chosen on the map', 'report.no_position': 'No position available: tap the map where the problem is',
  'report.map': 'Map: drag or tap to move the pin', 'report.map_hint': 'Drag the pin or tap the map to set the exact place',
  'report.what': 'What is it? (optional)', 'report.menu_offline': 'Offline: describe the problem in words',
  'report.desc': 'Details (optional)', 'report.desc_ph': 'e.g. manhole cover missing, people may fall in',
  'report.address': 'Address or landmark (optional)', 'report.address_ph': 'e.g. east side of Renmin Rd and Changqing St',
  'report.submit': 'Submit', 'report.need_photo': 'Take at least one photo', 'report.need_place': 'Set the place first',
  'report.need_category': 'Choose a category', 'report.sent': 'Report sent', 'report.queued': 'Saved, waiting to send',
  'report.queued_hint': 'No network now. The report is kept on this phone and sent automatically when the network returns (within 7 days).',
  'report.busy_hint': 'The server is busy right now. The report is kept on this phone and sent again automatically in a moment (within 7 days); no need to report it again.',
  'report.view_case': 'Follow it', 'report.another': 'Report another',
  'picker.title': 'Category (major / minor)', 'picker.search': 'Search (name, common word or code)',
  'picker.search_ph': 'e.g. manhole, vendor, 0101', 'picker.major': 'Major category', 'picker.minor': 'Minor category',
  'picker.none': 'No category chosen', 'picker.no_match': 'No matching category', 'picker.component': 'component',
  'picker.event': 'event',
  'outbox.title': 'Reports waiting to send', 'outbox.pending': 'Waiting', 'outbox.sending': 'Sending', 'outbox.sent': 'Sent',
  'outbox.failed': 'Failed', 'outbox.expired': 'Expired', 'outbox.untitled': 'Report', 'outbox.photos': '{n} photo(s)',
  'outbox.delete': 'Delete', 'outbox.pending_hint': 'Sends itself when the network returns',
  'outbox.expiring': 'Note: expires unless sent within {days} day(s)',
  'outbox.expired_warn': 'Could not be sent for 7 days and has expired. Retry or delete it.',
  'mine.empty': 'No reports yet. Spot a problem? Snap it!',
  'case.merged': 'Merged with the same report from another citizen; they are handled together',
  'account.title': 'Account and privacy', 'account.hint': 'You can download all the data we hold about you, or delete your account, at any time.',
  'account.download': 'Download my data', 'account.downloaded': 'Your data was downloaded', 'account.delete': 'Delete account',
  'account.delete_title': 'Delete your account?', 'account.delete_confirm': 'Delete', 'account.password': 'Enter your password to confirm',
  'account.delete_explain': 'Deleted: your username, name, phone number and password; every login ends at once. The place, time and phone model are removed from your photos, and photos not used in a report are deleted. Kept: the reports you sent stay on the city record and are still handled, but no longer show who you are (they show "deleted user"). This cannot be undone: download your data first if you want a copy.',
  'account.delete_explain_device': 'Deleted: the anonymous credential on this phone; every login ends at once. The place, time and phone model are removed from your photos, photos not used in a report are deleted, and the reports kept or waiting on this phone are removed. Kept: the reports you sent stay on the city record and are still handled, but no longer linked to you (they show "deleted user"). This cannot be undone: download your data first if you want a copy.',
  'account.deleted': 'Your account was deleted',
  'case.rate_q': 'Are you satisfied with the result?', 'case.satisfied': 'Satisfied', 'case.unsatisfied': 'Not satisfied',
  'case.rated': 'Your rating: {r}', 'case.comment': 'Comment (optional)', 'case.send_rating': 'Send rating',
  'case.reason': 'Reason', 'case.reopen_hint': 'Not fixed? Say why and reopen the case.', 'case.done': '{action}: done',
  'case.offline_copy': 'Offline: showing the last saved copy',
  'task.title.verify': 'Verify on site', 'task.title.check': 'Check on site', 'task.result': 'Result',
  'task.photo': 'Take a site photo', 'task.note': 'Note', 'task.need_photo': 'Take a site photo first',
  'task.queued': 'Saved on this phone; it sends itself when the network returns',
  'task.kind.verify': 'Verify', 'task.kind.check': 'Check',
  'tasks.map': 'Task map', 'tasks.empty': 'No verify or check tasks', 'tasks.sorted': 'Nearest first (position ±{m} m)',
  'tasks.no_position': 'No position: oldest first',
});

// The admin area's navigation (its screens bring their own messages: js/console/messages.js).
registerMessages('zh-CN', {
  'nav.admin': '系统管理', 'admin.title': '系统管理', 'admin.forbidden': '只有系统管理员可以使用此页面', 'admin.calendar': '工作日历',
  'admin.audit': '安全审计', 'admin.jobs': '失败任务', 'admin.users': '用户', 'admin.units': '责任单位', 'admin.rules': '路由规则', 'admin.interop': '对接',
});
registerMessages('en', {
  'nav.admin': 'Administration', 'admin.title': 'Administration',
  'admin.forbidden': 'Only administrators can use this page', 'admin.calendar': 'Working calendar',
  'admin.audit': 'Security audit', 'admin.jobs': 'Failed jobs', 'admin.users': 'Users', 'admin.units': 'Units',
  'admin.rules': 'Routing rules', 'admin.interop': 'Interop',
});
registerMessages('zh-CN', { 'admin.data': '数据导入导出' });
registerMessages('en', { 'admin.data': 'Data import/export' });

// The place's name stored with each case (issue 16), on every role's case pages and lists.
registerMessages('zh-CN', { 'case.place': '所在位置', 'case.reported_address': '上报人填写的地址' });
registerMessages('en', { 'case.place': 'Location', 'case.reported_address': 'Address as reported' });

// #17: the login card speaks to citizens and staff alike; action names as the city's English glossary has them.
registerMessages('zh-CN', {
  'login.account_title': '账号登录', 'login.account_hint': '市民和工作人员都可以用账号登录；没有账号也能直接随手拍。',
  'report.nearby_title': '附近已有类似上报', 'report.nearby_hint': '是同一个问题吗？点“我也遇到”关注它，无需重复上报，进度会通知您。',
  'report.nearby_me_too': '我也遇到', 'report.nearby_followed': '已关注', 'report.nearby_distance': '约 {m} 米',
  'report.nearby_followers': '{n} 人关注', 'report.nearby_done': '已关注这条上报，进度会通知您',
  'report.uploading': '正在上传 {p}%', 'report.upload_label': '上传进度', 'report.heic': 'HEIC 照片 上传后预览',
  'report.photo_preview_na': '无法预览的照片',
});
registerMessages('en', {
  'action.request_verify': 'Sent for verification', 'action.reopen': 'Reopen',
  'login.account_title': 'Log in with an account', 'login.account_hint': 'Citizens and staff with an account log in here; without one you can still report straight away.',
  'report.nearby_title': 'Similar reports nearby', 'report.nearby_hint': 'The same problem? Tap "Me too" to follow it instead of reporting it again; you will hear of its progress.',
  'report.nearby_me_too': 'Me too', 'report.nearby_followed': 'Following', 'report.nearby_distance': 'about {m} m',
  'report.nearby_followers': '{n} following', 'report.nearby_done': 'You follow this report now; you will hear of its progress',
  'report.uploading': 'Uploading {p}%', 'report.upload_label': 'Upload progress', 'report.heic': 'HEIC photo, preview after upload',
  'report.photo_preview_na': 'Photo without a preview',
});
registerMessages('zh-CN', { 'report.follow_hint': '在另一部手机的“我的”页面输入编号和关注码，也能收到进度。' });
registerMessages('en', { 'report.follow_hint': 'enter the number and this code under "Me" on another phone to follow it there too.' });

// Staff see how many citizens follow a case (我也遇到 or a second phone): how many people it concerns.
registerMessages('zh-CN', { 'case.followers_title': '关注', 'case.followers': '{n} 人关注' });
registerMessages('en', { 'case.followers_title': 'Followers', 'case.followers': '{n} following' });

// 重点: a city may let the follower count raise a case for staff (runtime setting follower_priority).
registerMessages('zh-CN', { 'case.priority': '重点', 'case.priority_why': '{n} 人关注，达到本市的重点标准' });
registerMessages('en', { 'case.priority': 'Priority', 'case.priority_why': '{n} following: the city makes such cases a priority' });

// Cancel and retry while a report uploads (report.js).
registerMessages('zh-CN', { 'report.cancel_upload': '取消上传', 'report.upload_cancelled': '已取消上传，填写的内容都还在。', 'report.retry_upload': '重新上传' });
registerMessages('en', { 'report.cancel_upload': 'Cancel upload', 'report.upload_cancelled': 'Upload cancelled; everything you entered is still here.', 'report.retry_upload': 'Upload again' });

// 只报一次 on the report form's map: numbered pins, the same numbers as the list.
registerMessages('zh-CN', { 'report.nearby_pin': '附近上报 {n}：{what}，约 {m} 米', 'report.nearby_on_map': '地图上的编号' });
registerMessages('en', { 'report.nearby_pin': 'Report nearby {n}: {what}, about {m} m', 'report.nearby_on_map': 'Its number on the map' });

// Map controls named in the page's language (Leaflet's own names are English).
registerMessages('zh-CN', { 'map.zoom_in': '放大地图', 'map.zoom_out': '缩小地图', 'map.pin': '问题位置（可拖动）' });
registerMessages('en', { 'map.zoom_in': 'Zoom in', 'map.zoom_out': 'Zoom out', 'map.pin': 'Place of the problem (drag to move)' });

// The citizen's map of the city's public cases (citizen/public-map.js).
registerMessages('zh-CN', { 'nav.map': '全城案件' });
registerMessages('en', { 'nav.map': 'City map' });
