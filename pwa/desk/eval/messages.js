/** Texts of the evaluation desk (综合考评), loaded with it: the citizen shell never carries them. */

import { registerMessages } from '/js/i18n.js';

registerMessages('zh-CN', {
  'ev.title': '综合考评', 'ev.month': '考评月份', 'ev.subject': '考评对象', 'ev.export': '导出 Excel',
  'ev.unit': '责任单位', 'ev.street': '街道', 'ev.community': '社区', 'ev.district': '区', 'ev.grid': '单元网格',
  'ev.supervisor': '监督员', 'ev.dispatcher': '派遣员', 'ev.name': '名称', 'ev.score': '得分', 'ev.grade': '等级',
  'ev.delta': '较上期', 'ev.rank': '排名', 'ev.none': '本期无可考评的数据', 'ev.drill': '{figure}：{name}',
  'ev.numerator': '分子：{count}（{n} 件）', 'ev.denominator': '分母：{count}（{n} 件）', 'ev.close': '关闭明细',
  'ev.period': '统计至 {cutoff}', 'ev.weights': '权重', 'ev.truncated': '仅显示前 {n} 条', 'ev.empty_list': '无',
  'ev.prev_none': '上期无', 'ev.loading': '正在计算…', 'ev.exported': '已开始下载',
  'ev.trend': '近 12 个月上报趋势（按来源）',
  'ev.w.volume': '工作量', 'ev.w.closure': '结案率', 'ev.w.on_time': '按期率', 'ev.w.rework': '1−返工率',
  'ev.w.on_time_closure': '按期结案率', 'ev.w.valid_report': '有效上报率', 'ev.w.verify_on_time': '按时核实率',
  'ev.w.check_on_time': '按时核查率', 'ev.w.accurate': '准确派遣率',
  'ev.wall.title': '城市管理运行态势', 'ev.wall.reported': '今日上报', 'ev.wall.filed': '其中已立案',
  'ev.wall.dispatched': '其中已派遣', 'ev.wall.closed': '其中已结案', 'ev.wall.on_time': '本月按期处置率',
  'ev.wall.overdue': '超时案件', 'ev.wall.yellow': '即将超时 {n} 件', 'ev.wall.categories': '今日高发问题',
  'ev.wall.districts': '今日各区上报', 'ev.wall.feed': '实时动态', 'ev.wall.none': '今日暂无', 'ev.wall.open': '大屏',
});
registerMessages('en', {
  'ev.title': 'Evaluation', 'ev.month': 'Month', 'ev.subject': 'Evaluate', 'ev.export': 'Export to Excel',
  'ev.unit': 'Units', 'ev.street': 'Streets', 'ev.community': 'Communities', 'ev.district': 'Districts',
  'ev.grid': 'Unit grids', 'ev.supervisor': 'Supervisors', 'ev.dispatcher': 'Dispatchers', 'ev.name': 'Name',
  'ev.score': 'Score', 'ev.grade': 'Grade', 'ev.delta': 'vs last', 'ev.rank': '#',
  'ev.none': 'Nothing to evaluate in this period', 'ev.drill': '{figure}: {name}',
  'ev.numerator': 'Numerator: {count} ({n} cases)', 'ev.denominator': 'Denominator: {count} ({n} cases)',
  'ev.close': 'Close details', 'ev.period': 'Counted up to {cutoff}', 'ev.weights': 'Weights',
  'ev.truncated': 'First {n} shown', 'ev.empty_list': 'None', 'ev.prev_none': 'none before', 'ev.loading': 'Computing…',
  'ev.exported': 'Download started', 'ev.trend': 'Reports over the last 12 months, by source',
  'ev.w.volume': 'volume', 'ev.w.closure': 'closure', 'ev.w.on_time': 'on time', 'ev.w.rework': '1 − rework',
  'ev.w.on_time_closure': 'on-time closure', 'ev.w.valid_report': 'valid reports', 'ev.w.verify_on_time': 'verify on time',
  'ev.w.check_on_time': 'check on time', 'ev.w.accurate': 'accurate dispatch',
  'ev.wall.title': 'City management at a glance', 'ev.wall.reported': 'Reported today', 'ev.wall.filed': 'of them filed',
  'ev.wall.dispatched': 'of them dispatched', 'ev.wall.closed': 'of them closed', 'ev.wall.on_time': 'On time this month',
  'ev.wall.overdue': 'Overdue', 'ev.wall.yellow': '{n} about to be', 'ev.wall.categories': 'Top problems today',
  'ev.wall.districts': 'Reports by district today', 'ev.wall.feed': 'Live', 'ev.wall.none': 'None yet today',
  'ev.wall.open': 'Wall screen',
});
