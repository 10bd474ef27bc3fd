/** Messages of the lazily loaded map modules (js/maps/): registered when they load, so the shell stays light. */

import { registerMessages } from '../i18n.js';

registerMessages('zh-CN', {
  'map.demo_attribution': '示意底图：演示城市数据，道路与地标为虚构',
  'place.search': '按地名查找位置（汉字、拼音或首字母）',
  'place.search_ph': '如：长青街道、changqing、cqjd、春晖大道',
  'place.results': '地名查找结果',
  'place.found': '找到 {n} 个地点，选择一个即可，无需操作地图',
  'place.none': '没有找到“{q}”，换个说法或用拼音试试',
  'place.chosen': '已选择：{name}',
  'place.kind.district': '区', 'place.kind.street': '街道', 'place.kind.community': '社区', 'place.kind.road': '道路',
  'place.kind.landmark': '地标', 'place.kind.responsibility_grid': '责任网格', 'place.kind.component': '部件',
  'place.kind.unit_grid': '单元网格',
  'report.source.search': '按地名选择',
  'place.disagree': '这几个位置相距较远，请选择问题所在的位置',
  'place.away': '相距 {d}',
  'place.use': '用这个位置', 'place.using': '正在使用',
  'place.outside': '这个位置不在本市服务范围内（{detail}）。请在下方按地名查找，或在地图上点选问题所在位置。',
  'place.edge': '这个位置在服务范围边缘之外约 {m} 米。如位置有误，请按地名查找或在地图上点选。',
  'place.refused': '未能提交：{detail}。请在下方按地名查找，或在地图上点选问题所在位置，然后再提交。',
  'place.no_fix': '无法获取手机定位',
  'place.no_fix_hint': '无法获取手机定位。请在下方按地名查找，或在地图上点选问题所在位置；也可稍后再点“重新定位”。',
  'place.do_search': '按地名查找', 'place.do_pick': '在地图上点选',
});

registerMessages('en', {
  'map.demo_attribution': 'Demo base map: demo city data, invented roads and landmarks',
  'place.search': 'Find the place by name (Chinese, pinyin or initials)',
  'place.search_ph': 'e.g. 长青街道, changqing, cqjd',
  'place.results': 'Places found',
  'place.found': '{n} places found: choose one, no map needed',
  'place.none': 'Nothing found for “{q}”: try other words or pinyin',
  'place.chosen': 'Chosen: {name}',
  'place.kind.district': 'District', 'place.kind.street': 'Street office', 'place.kind.community': 'Community',
  'place.kind.road': 'Road', 'place.kind.landmark': 'Landmark', 'place.kind.responsibility_grid': 'Responsibility grid',
  'place.kind.component': 'Component', 'place.kind.unit_grid': 'Unit grid',
  'report.source.search': 'Chosen by name',
  'place.disagree': 'These positions are far apart: choose where the problem is',
  'place.away': '{d} away',
  'place.use': 'Use this one', 'place.using': 'In use',
  'place.outside': 'This point is outside the city\'s service area ({detail}). Find the place by name below, or tap where the problem is on the map.',
  'place.edge': 'This point is about {m} m outside the service area. If it is wrong, find the place by name or tap the map.',
  'place.refused': 'Not sent: {detail}. Find the place by name below, or tap where the problem is on the map, then submit again.',
  'place.no_fix': 'No position from the phone',
  'place.no_fix_hint': 'The phone gave no position. Find the place by name below, or tap where the problem is on the map; or try “Locate again” later.',
  'place.do_search': 'Find by name', 'place.do_pick': 'Tap on the map',
});

registerMessages('zh-CN', {
  'nav.title': '现场导航', 'nav.map': '地图：问题位置和我的位置', 'nav.go': '导航', 'nav.amap': '高德地图',
  'nav.baidu': '百度地图', 'nav.other': '其他地图应用', 'nav.destination': '随手拍问题位置', 'nav.me': '我的位置',
  'nav.locating': '正在获取我的位置…', 'nav.where': '问题在我{dir}方向 {d}', 'nav.no_position': '无法获取我的位置，距离和方向暂不可用',
  'nav.dir.n': '北', 'nav.dir.ne': '东北', 'nav.dir.e': '东', 'nav.dir.se': '东南', 'nav.dir.s': '南', 'nav.dir.sw': '西南',
  'nav.dir.w': '西', 'nav.dir.nw': '西北',
});

registerMessages('en', {
  'nav.title': 'Getting there', 'nav.map': 'Map: the problem and me', 'nav.go': 'Navigate', 'nav.amap': 'AMap',
  'nav.baidu': 'Baidu Maps', 'nav.other': 'Other map app', 'nav.destination': 'Reported problem', 'nav.me': 'Me',
  'nav.locating': 'Finding my position…', 'nav.where': '{d} to the {dir}', 'nav.no_position': 'No position: distance and direction unavailable',
  'nav.dir.n': 'north', 'nav.dir.ne': 'north-east', 'nav.dir.e': 'east', 'nav.dir.se': 'south-east', 'nav.dir.s': 'south',
  'nav.dir.sw': 'south-west', 'nav.dir.w': 'west', 'nav.dir.nw': 'north-west',
});

registerMessages('zh-CN', { 'filter.whole': '{name}（全部）' });
registerMessages('en', { 'filter.whole': '{name} (all)' });

registerMessages('zh-CN', { 'legend.title': '图例', 'legend.case': '本案件（{light}）', 'legend.grid': '单元网格（蓝色为本案所在）' });
registerMessages('en', { 'legend.title': 'Legend', 'legend.case': 'This case ({light})', 'legend.grid': 'Unit grids (blue: this case\'s)' });

registerMessages('zh-CN', {
  'legend.green': '绿灯：在处置时限内', 'legend.yellow': '黄灯：已用时限八成以上', 'legend.red': '红灯：已超时',
  'legend.count': '圆内数字：该处案件数（点击放大）', 'legend.rgrid': '责任网格（点击查看其案件）',
  'legend.heat': '热力图：颜色越暖，案件越密',
});
registerMessages('en', {
  'legend.green': 'Green: within the time limit', 'legend.yellow': 'Yellow: over 80% of the limit used',
  'legend.red': 'Red: overdue', 'legend.count': 'Number: cases at that spot (click to zoom in)',
  'legend.rgrid': 'Responsibility grids (click for their cases)', 'legend.heat': 'Heatmap: warmer colours, more cases',
});

registerMessages('zh-CN', {
  'place.kind.case': '案件', 'finder.label': '按地名或编号查找案件（汉字、拼音、首字母或 SSP 编号）',
  'finder.results': '“{label}”的案件', 'finder.clear': '清除查找',
});
registerMessages('en', {
  'place.kind.case': 'Case', 'finder.label': 'Find cases by place or number (Chinese, pinyin, initials or SSP number)',
  'finder.results': 'Cases for “{label}”', 'finder.clear': 'Clear search',
});

registerMessages('zh-CN', { 'place.outside_km': '距最近网格 {km} 公里' });
registerMessages('en', { 'place.outside_km': '{km} km from the nearest grid' });
// #17 (complete English): the example in pinyin, which the search understands too.
registerMessages('en', { 'place.search_ph': 'e.g. Changqing Street, changqing, cqjd' });
