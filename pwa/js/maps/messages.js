/** Messages of the lazily loaded map modules (js/maps/): registered when they load, so the shell stays light. */

import { registerMessages } from '../i18n.js';

registerMessages('zh-CN', {
  'map.demo_attribution': '示意底图：演示城市数据，道路与地标为虚构',
});

registerMessages('en', {
  'map.demo_attribution': 'Demo base map: demo city data, invented roads and landmarks',
});
