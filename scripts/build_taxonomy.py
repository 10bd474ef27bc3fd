"""Derive backend/triage/data/taxonomy.json from a city's standards table plus this project's city extensions.

    .venv/bin/python scripts/build_taxonomy.py [--source city_standards.json] [--out taxonomy.json]

The source is Yuncheng's table (reference/standards/city_standards.json). Codes become ``C`` + 4 digits for
部件 (components) and ``E`` + 4 digits for 事件 (events), because the table reuses the same digits for both kinds.
City extensions use digits 70–79 of a 大类 (free in the source table) or, for a component that CJ/T 214 numbers and
the source lacks, the national code. The format is documented in backend/triage/taxonomy.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.cases.timelimits import parse_time_limit

DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "standards" / "city_standards.json"
DEFAULT_OUT = ROOT / "backend" / "triage" / "data" / "taxonomy.json"
URGENT_WORDS = ("安全隐患", "危险", "影响安全", "通行安全", "泄漏", "着火", "爆炸", "塌陷")

# (kind, code, major name, name, handling unit, supervisor, [(filing, closing, limit)], source note)
EXTENSIONS: list[tuple[str, str, str, str, str, str, list[tuple[str, str, str]], str]] = [
    ("component", "0105", "公用设施", "电力井盖", "电力公司、各产权单位", "城市管理局",
     [("缺失、移位、开裂，存在安全隐患的", "恢复", "2紧急工作时"), ("破损超过25c㎡", "更换或修复", "1天"),
      ("弹跳产生声响，翻盖明显影响安全", "更换或修复", "2天")], "CJ/T 214 0105"),
    ("component", "0107", "公用设施", "通讯井盖", "各通信运营企业、各产权单位", "通信管理部门、城市管理局",
     [("缺失、移位、开裂，存在安全隐患的", "恢复", "2紧急工作时"), ("破损超过25c㎡", "更换或修复", "1天"),
      ("弹跳产生声响，翻盖明显影响安全", "更换或修复", "2天")], "CJ/T 214 0107"),
    ("component", "0113", "公用设施", "消防设施", "消防救援部门、供水企业、各产权单位", "消防救援部门",
     [("消火栓漏水、倾斜、倒地，存在安全隐患的", "恢复", "2紧急工作时"), ("破损、缺失、严重锈蚀", "更换或修复", "2天"),
      ("外观不洁", "清洁", "1天")], "CJ/T 214 0113"),
    ("component", "0210", "道路交通设施", "交通信号灯", "公安交通管理部门", "公安交通管理部门、城市管理局",
     [("不亮、故障、信号紊乱，存在安全隐患的", "恢复正常", "2紧急工作时"), ("倾斜、倒地、折断", "扶正或更换", "4紧急工作时"),
      ("破损、缺失、严重锈蚀", "更换或修复", "2天"), ("外观不洁", "清洁", "1天")], "CJ/T 214 0210"),
    ("event", "0170", "市容环境", "社会生活噪声扰民", "所属派出所、所属街办、属地行政执法部门", "生态环境部门",
     [("广场舞、高音喇叭、娱乐场所、装修等社会生活噪声干扰周边居民正常生活", "噪声停止或达标", "2紧急工作时")],
     "city extension"),
    ("event", "0171", "市容环境", "餐饮油烟扰民", "属地行政执法部门、所属街办", "生态环境部门",
     [("餐饮服务单位油烟直排或未安装油烟净化设施，影响周边居民", "安装净化设施或停止直排", "1天")], "city extension"),
    ("event", "0470", "街面秩序", "机动车乱停放", "公安交通管理部门、所属街办、属地行政执法部门", "公安交通管理部门",
     [("机动车在人行道、盲道、绿地或禁停路段违规停放，影响通行", "车辆驶离或规范停放", "2小时"),
      ("机动车占用消防通道、路口或公交站，存在安全隐患的", "车辆驶离", "1紧急工作时")], "city extension"),
    ("event", "0471", "街面秩序", "废弃车辆（僵尸车）", "公安交通管理部门、所属街办、属地行政执法部门", "公安交通管理部门",
     [("长期停放在道路、小区周边或停车场的废弃、报废车辆", "车辆清理", "5天")], "city extension"),
]

# Citizen phrasing per 小类 (space separated); English words go to ``synonyms_en``.
SYNONYMS: dict[str, str] = {
    "C0101": "自来水井盖 供水井盖 水表井盖 给水井盖 上水井",
    "C0102": "下水道井盖 下水道盖子 污水井 排污井盖 下水井盖 污水井盖",
    "C0103": "雨水井 排水井盖 雨水检查井 雨水井盖",
    "C0104": "雨水篦子 雨水箅 箅子 篦子 下水口 雨水口 水篦子 铁篦子 格栅盖 排水口盖",
    "C0105": "电力井 电缆井盖 供电井盖 电力井盖",
    "C0106": "路灯检修井 路灯井",
    "C0107": "通信井盖 电信井盖 移动井盖 联通井盖 光缆井盖 网络井盖",
    "C0110": "暖气井盖 供热井盖 热力井",
    "C0111": "天然气井盖 煤气井盖 燃气阀门井 燃气井",
    "C0113": "消防栓 消火栓 消防箱 灭火器 消防水带",
    "C0114": "绿化井盖 绿地井盖 浇水井盖",
    "C0118": "化粪池盖 粪池井盖 化粪池井盖",
    "C0123": "井盖 井盖子 窨井盖 马葫芦盖 井口 窨井 检查井 井盖没了 井盖丢了 井盖被偷 井盖翘起 井盖破了 井盖松动 井盖响 盖子没了",
    "C0125": "取水器 洒水栓 取水栓 供水器",
    "C0126": "盖板 水沟盖板 排水沟盖板 沟盖板 明沟盖板 沟槽盖板",
    "C0127": "电信箱 光交箱 网络箱 通信箱 交接箱 光缆交接箱",
    "C0128": "配电箱 电箱 变压器 箱变 电闸箱 电表箱 配电柜",
    "C0129": "电力标识牌 高压危险牌 电力警示牌",
    "C0130": "电线杆 电杆 水泥杆 电力杆",
    "C0131": "通信杆 电信杆 网线杆 通讯杆",
    "C0137": "路灯 路灯不亮 路灯坏了 灯杆 街灯 路灯杆 路灯黑了 灯黑了 灯柱 马路灯 灯不亮",
    "C0138": "草坪灯 埋地灯 地灯",
    "C0139": "装饰灯 亮化灯 彩灯 庭院灯 景观灯",
    "C0140": "书报亭 报亭 报刊亭",
    "C0145": "售货机 贩卖机 自动售货机",
    "C0146": "健身器材 健身器 单杠 漫步机 健身路径 健身设施",
    "C0149": "调压箱 燃气调压箱 调压柜",
    "C0150": "摄像头 监控 天眼 电子眼 探头 监控杆",
    "C0151": "岗亭 治安亭 警务亭",
    "C0152": "凉亭 亭子 休息亭",
    "C0154": "充电桩 电动车充电桩 充电站 充电柜",
    "C0157": "燃气管道 煤气管 天然气管 燃气管",
    "C0188": "挡土墙 护坡 边坡",
    "C0186": "台阶 阶梯 踏步",
    "C0181": "盲道 无障碍坡道 无障碍通道 轮椅坡道",
    "C0180": "遮阳棚 遮阳伞 雨棚 雨篷",
    "C0179": "灯笼 彩灯串 中国结 节日装饰",
    "C0178": "楼体亮化 亮化 楼顶灯光 灯光秀",
    "C0192": "暖气管道 供热管道 暖气管",
    "C0201": "停车场 车场",
    "C0204": "公交站 公交车站 站台 公交站牌 候车亭 站牌 公交站亭",
    "C0206": "天桥 人行天桥 过街天桥",
    "C0207": "地道 人行地道 地下通道 过街地道",
    "C0208": "立交 立交桥",
    "C0209": "河桥 桥梁 桥面 跨河桥",
    "C0210": "红绿灯 信号灯 交通灯 人行灯 红绿灯不亮 红绿灯坏了 黄灯一直闪",
    "C0211": "限高杆 限高架 限高",
    "C0212": "路牌 街道牌 路名 路名牌",
    "C0217": "护栏 栏杆 隔离栏 隔离护栏 中间护栏 马路护栏 交通护栏",
    "C0219": "导流岛 安全岛 渠化岛",
    "C0220": "斑马线桩 人行横道桩",
    "C0221": "挡车桩 石墩 阻车桩 隔离桩 路桩 挡车石 隔离墩 便道桩",
    "C0224": "隔音屏 隔音墙 声屏障",
    "C0225": "自行车停放点 电动车停放区 单车停放区 非机动车停车区",
    "C0230": "河道标牌 防溺水牌 禁止游泳牌",
    "C0299": "高架 高架桥",
    "C0286": "路牙子 路牙 马路牙子 路缘石 侧石 道牙 路沿石",
    "C0285": "平石 平缘石",
    "C0284": "人行道 人行道砖 地砖 步道砖 彩砖 道板 便道 砖松了 地砖翘",
    "C0283": "指示牌 交通标志牌 交通标志 路标 指路牌 标志牌 限速牌",
    "C0301": "公厕 厕所 卫生间 茅房 茅厕 洗手间 公共厕所",
    "C0302": "厕所指示牌 公厕牌",
    "C0303": "粪池 化粪池 粪水",
    "C0304": "中转站 垃圾站 垃圾房 垃圾转运站",
    "C0305": "垃圾桶 果皮箱 垃圾箱 分类桶 垃圾筒",
    "C0306": "广告牌 大牌广告 广告屏 LED屏 广告灯箱",
    "C0307": "招牌 门头 店招 牌匾 门头招牌",
    "C0308": "宣传栏 公示栏 橱窗 阅报栏",
    "C0397": "烟灰桶 灭烟柱 烟头桶",
    "C0396": "施工公示牌破损 施工牌",
    "C0401": "古树 老树 百年树 古树名木",
    "C0402": "行道树 树 大树 树倒了 树枝 断枝 树木 树杈 枯树 死树 树挡住",
    "C0404": "树围 树箍 护树架 支撑杆 护树",
    "C0405": "花钵 花箱 花盆 花架",
    "C0406": "雕像 塑像 雕塑",
    "C0407": "座椅 长椅 椅子 凳子 长凳 石凳 休闲椅",
    "C0408": "绿化护栏 草坪护栏 绿篱护栏",
    "C0409": "喷灌 浇灌设施 喷头 绿地设施",
    "C0410": "喷泉 音乐喷泉 水景",
    "C0499": "绿化带 草坪 杂草 草长高了 绿篱 灌木 黄土裸露 草地",
    "C0498": "爱护草坪牌 绿地牌",
    "C0497": "树池 树篦 树池盖板 树池箅子",
    "C0496": "挂箱 桥上花箱",
    "C0495": "机非隔离带 分隔带",
    "C0494": "人行道绿化带",
    "C0493": "花带石 花坛石 花坛边石",
    "C0503": "加油站 加气站",
    "C0504": "液化气站 煤气站 气站",
    "C0506": "救生圈 亲水平台 河边台阶",
    "C0507": "河边护栏 河道护栏 湖边栏杆",
    "C0508": "防洪墙 河堤 防汛墙",
    "C0598": "标识牌 标牌 指示标识",
    "E0101": "违章建筑 违建 违章搭建 乱搭乱建 加盖 搭棚 彩钢棚 铁皮房 楼顶加层",
    "E0102": "店面装修 门面装修",
    "E0103": "接坡 搭坡 水泥坡",
    "E0104": "墙面脏 外墙脏 墙皮脱落 外立面 墙面",
    "E0105": "阳台 窗外晾晒 屋顶杂物",
    "E0106": "彩旗 挂旗子",
    "E0107": "晾衣服 晾晒 晒被子 挂衣服 晾衣绳",
    "E0108": "飞线充电 拉电线 私拉电线 私拉乱接 飞线",
    "E0110": "垃圾 垃圾堆 乱扔垃圾 乱丢垃圾 一堆垃圾 生活垃圾 垃圾袋 暴露垃圾 乱倒垃圾 垃圾成堆 垃圾散落",
    "E0111": "建筑垃圾 装修垃圾 渣土 渣土堆 碎砖头",
    "E0112": "路面脏 马路脏 纸屑 烟头 落叶 油污 路上脏 没扫",
    "E0113": "坑 坑洼 路面破损 路坏了 大坑 坑坑洼洼 路面开裂 裂缝 路烂了 烂路 沥青 凹坑 马路破",
    "E0114": "撒落 遗撒 洒落 撒了一路 漏了一路",
    "E0117": "绿化带垃圾 草丛垃圾 狗屎 狗粪 绿地脏",
    "E0118": "修剪树枝 树枝堆 剪下的树枝 枝叶堆",
    "E0119": "树上挂 塑料袋挂树上 风筝挂树上",
    "E0120": "烧垃圾 焚烧 烧树叶 烧东西 冒黑烟 露天焚烧",
    "E0121": "虫害 生虫 虫子 毛毛虫 蚜虫",
    "E0122": "砍树 伐树 偷树 锯树",
    "E0125": "河面垃圾 漂浮物 水面垃圾 河里垃圾 湖面垃圾",
    "E0126": "河水发黑 黑臭 河水臭 水发臭 臭水沟",
    "E0128": "高音喇叭 店门口音响 大喇叭 招揽顾客 叫卖",
    "E0129": "烧烤 撸串 烤串 烧烤摊",
    "E0130": "倒污水 排污水 泼脏水 洗车水 废水",
    "E0131": "泔水 潲水 剩饭 餐厨垃圾 地沟油 饭渣 剩菜",
    "E0132": "垃圾填埋 填埋场 埋垃圾",
    "E0133": "针头 输液瓶 医疗垃圾 针管",
    "E0135": "旧沙发 破沙发 废旧家具 旧床垫 旧柜子 废弃冰箱 床垫",
    "E0136": "乱堆 堆物 堆料 堆放杂物 乱堆乱放 杂物堆 沙子堆 砖头堆",
    "E0137": "死猫 死狗 死老鼠 死鸟 尸体",
    "E0138": "养鸡 养鸭 养猪 养鹅 鸡鸭",
    "E0199": "小产权房",
    "E0198": "农村自建房 自建房",
    "E0197": "开口子 开道口 绿化带开口",
    "E0196": "地锁 地桩 车位锁 停车杆 私装地锁 锥桶占位 雪糕筒",
    "E0195": "洒水车 清扫车 扫地车",
    "E0193": "垃圾分类 混装 没分类 混收",
    "E0192": "垃圾满了 垃圾桶满了 满溢 垃圾溢出 垃圾冒出来 爆满 桶满",
    "E0191": "种菜 毁绿 踩草坪 占绿",
    "E0190": "藤蔓 爬山虎",
    "E0187": "灯光刺眼 太亮 强光 晃眼",
    "E0184": "遛狗 狗不拴绳 大型犬 狗乱跑 狗咬人 不牵绳",
    "E0183": "墙裂了 墙体裂缝 房子裂缝 墙面开裂",
    "E0182": "河道堆放 河道取土",
    "E0181": "河边违建 河道搭建",
    "E0180": "电线垂下来 线垂落 网线耷拉 线缆垂落 电线乱拉 蜘蛛网线",
    "E0179": "公园路 园路 公园步道",
    "E0170": "噪音 噪声 吵 扰民 广场舞 大音量 很吵 吵死了 装修噪音 音响",
    "E0171": "油烟 油烟扰民 排烟 油烟机",
    "E0201": "小广告 牛皮癣 乱贴 乱涂乱画 办证 贴广告 喷涂 野广告 涂鸦 开锁广告",
    "E0202": "发传单 传单 派单 发广告",
    "E0203": "违规广告牌 楼顶广告 私设广告 墙体广告",
    "E0204": "错别字 错字",
    "E0205": "广告挡住 挡住信号灯 挡住路牌",
    "E0206": "违规招牌 私挂招牌",
    "E0207": "横幅 条幅 拉横幅 气球拱门 充气拱门",
    "E0299": "公益广告",
    "E0301": "施工噪音 半夜施工 夜间施工 工地吵 打桩 晚上施工 施工吵",
    "E0302": "施工占道 施工占路",
    "E0303": "挖路 挖马路 开挖 掘路 刨路",
    "E0304": "扬尘 灰尘 粉尘 灰好大 尘土飞扬",
    "E0305": "施工垃圾 工程渣土",
    "E0306": "施工材料 沙石 钢筋乱放 未覆盖",
    "E0307": "围挡 围挡倒了 挡板",
    "E0308": "工地路面 泥巴路",
    "E0309": "工地门口路面",
    "E0310": "场光地净 完工没清理",
    "E0311": "渣土车没盖 渣土车 泥头车",
    "E0312": "带泥上路 车轮带泥 车轮夹带",
    "E0399": "没有公示牌 无公示牌",
    "E0398": "残桩 螺丝 底座残留",
    "E0397": "露钢筋 预埋件",
    "E0396": "工期拖 施工慢 施工缓慢",
    "E0401": "摆摊 小贩 流动摊贩 游商 推车卖 地摊 流动摊点 三轮车卖 走鬼 摊贩",
    "E0402": "夜市 早市 夜宵摊",
    "E0404": "收废品 废品收购 收破烂 捡破烂",
    "E0405": "店外经营 出店经营 跨门经营 门口摆货 摆到门外 超出门面",
    "E0406": "占道经营 占道 占道摆摊 马路市场",
    "E0410": "电动车乱停 自行车乱停 电瓶车乱停 电驴乱停 非机动车",
    "E0470": "乱停车 违停 违章停车 乱停乱放 汽车乱停 占道停车 违规停车 停车挡路 摩托车乱停 乱停",
    "E0471": "僵尸车 废弃车辆 长期停放 报废车 破车",
    "E0498": "菜市场 农贸市场",
    "E0496": "消防通道 生命通道",
    "E0495": "促销 搭台促销 路演",
    "E0494": "洗车 路边洗车 占道洗车",
    "E0493": "共享单车 哈啰 美团单车 青桔 小黄车 共享电单车",
    "E0491": "早餐车 早点车",
    "E0501": "水管爆了 爆管 自来水管 冒水 跑水 水管漏水",
    "E0502": "煤气泄漏 燃气泄漏 天然气泄漏 煤气味 燃气味",
    "E0503": "下水道堵 下水道堵了 污水冒出来 下水道冒水 返水 排水不畅 冒污水",
    "E0504": "暖气管爆 冒热气 蒸汽",
    "E0505": "塌陷 路塌了 地陷 天坑 路面下沉 塌方",
    "E0506": "积水 水淹 淹水 内涝 渍水 路上全是水 水很深",
    "E0507": "积雪 结冰 路面结冰",
    "E0508": "电线断了 电线掉下来 线掉了 线缆脱落 断线",
    "E0596": "高空坠物 掉东西 砸下来 玻璃掉",
    "E0602": "杀鸡 宰鸡 杀鱼 宰杀",
    "E0604": "门前三包 门前四包 门前卫生",
    "E0698": "桥下 桥洞",
    "E0696": "挖沙 采砂 取土",
}

SYNONYMS_EN: dict[str, str] = {
    "C0102": "sewer cover|sewage manhole",
    "C0103": "storm drain cover|rainwater manhole",
    "C0104": "drain grate|gully grate|storm drain grate",
    "C0123": "manhole|manhole cover|drain cover|utility cover",
    "C0113": "fire hydrant|hydrant",
    "C0128": "electrical box|transformer",
    "C0130": "utility pole|power pole",
    "C0137": "streetlight|street light|street lamp|lamp post|light pole",
    "C0150": "cctv|camera",
    "C0204": "bus stop|bus shelter",
    "C0210": "traffic light|traffic signal|signal light",
    "C0217": "guardrail|railing|barrier",
    "C0284": "sidewalk|pavement|paving slab|footpath|tiles",
    "C0283": "road sign|traffic sign|sign",
    "C0301": "public toilet|toilet|restroom",
    "C0305": "bin|trash can|garbage can|litter bin",
    "C0402": "tree|fallen tree|branch",
    "C0407": "bench",
    "C0499": "grass|lawn|hedge|weeds",
    "E0101": "illegal building|illegal construction|shed",
    "E0108": "extension cord|charging cable",
    "E0110": "garbage|trash|rubbish|litter|dumped",
    "E0111": "construction waste|debris|rubble",
    "E0112": "dirty road|street dirty",
    "E0113": "pothole|potholes|road damage|cracked road|broken road",
    "E0120": "burning|fire|smoke",
    "E0126": "river pollution|smelly river",
    "E0129": "barbecue|bbq",
    "E0137": "dead animal|dead cat|dead dog",
    "E0170": "noise|noisy|loud music|square dancing",
    "E0171": "cooking fumes|oil smoke",
    "E0192": "overflowing|bin full|overflow",
    "E0201": "flyer|flyers|sticker|stickers|graffiti|posters",
    "E0207": "banner",
    "E0301": "construction noise|night construction",
    "E0304": "dust",
    "E0401": "street vendor|vendor|hawker|stall",
    "E0405": "goods outside shop",
    "E0406": "occupying road|occupying sidewalk|road occupation",
    "E0410": "bikes|bicycle|scooter|e-bike",
    "E0470": "illegal parking|parked car|parked on sidewalk|parking|car parked",
    "E0471": "abandoned car|abandoned vehicle",
    "E0493": "shared bike|shared bikes|bike share",
    "E0496": "fire lane|fire exit blocked",
    "E0501": "burst pipe|water leak|water main",
    "E0502": "gas leak|smell gas",
    "E0503": "blocked drain|clogged drain|sewage overflow",
    "E0505": "sinkhole|collapse|road collapse",
    "E0506": "flooding|flooded|waterlogging|standing water|puddle",
    "E0507": "ice|snow|icy",
    "E0508": "fallen wire|cable down|wire hanging",
}

# Citizen phrases that point to a kind of filing condition; `condition` entries are substrings of filing conditions.
CONDITION_CUES: list[dict[str, list[str]]] = [
    {"condition": ["缺失"], "phrases": ["缺失", "没了", "没有了", "不见了", "丢了", "被偷", "偷了", "少了", "没盖", "没得盖",
                                       "missing", "gone", "stolen"]},
    {"condition": ["移位"], "phrases": ["移位", "错位", "挪开", "移开", "翘起", "翘", "掀开", "翻开", "打开了", "shifted", "open"]},
    {"condition": ["开裂", "裂缝"], "phrases": ["裂", "碎", "cracked", "crack"]},
    {"condition": ["安全隐患", "影响安全", "危险"], "phrases": ["危险", "隐患", "安全", "掉进去", "掉下去", "摔", "绊倒", "差点",
                                                 "dangerous", "danger", "hazard", "unsafe", "fell"]},
    {"condition": ["破损", "损坏"], "phrases": ["破", "坏", "烂", "缺角", "缺了一块", "broken", "damaged"]},
    {"condition": ["故障", "紊乱"], "phrases": ["故障", "坏了", "闪", "乱套", "失灵", "malfunction", "broken", "not working"]},
    {"condition": ["功能缺失"], "phrases": ["不出水", "不能用", "用不了", "失灵", "not working"]},
    {"condition": ["外溢", "外流"], "phrases": ["冒", "外溢", "流出来", "溢出", "overflow"]},
    {"condition": ["声响", "弹跳"], "phrases": ["响", "咣当", "哐当", "异响", "晃", "松动", "rattle", "rattling", "loose", "noise"]},
    {"condition": ["倾斜"], "phrases": ["歪", "斜", "leaning", "tilted"]},
    {"condition": ["倒地", "倒伏", "倾倒"], "phrases": ["倒了", "倒地", "倒下", "倒伏", "吹倒", "fallen", "knocked over"]},
    {"condition": ["折断", "断枝"], "phrases": ["断了", "折断", "断枝", "snapped"]},
    {"condition": ["不亮", "缺亮"], "phrases": ["不亮", "黑", "灭", "熄", "没亮", "dark", "not working", "out"]},
    {"condition": ["启闭"], "phrases": ["白天", "一直亮", "白天亮", "daytime", "during the day"]},
    {"condition": ["不洁", "脏乱", "脏污"], "phrases": ["脏", "污", "灰", "蛛网", "dirty", "filthy"]},
    {"condition": ["锈蚀"], "phrases": ["锈", "rust", "rusty"]},
    {"condition": ["废弃", "残桩"], "phrases": ["废弃", "没人用", "残桩", "abandoned"]},
    {"condition": ["漏水", "跑水", "溢水"], "phrases": ["漏水", "冒水", "跑水", "漏", "leak", "leaking"]},
    {"condition": ["堵塞", "排水不畅"], "phrases": ["堵", "不通", "blocked", "clogged"]},
    {"condition": ["门未关闭", "门未关"], "phrases": ["门开着", "没关", "门没关", "door open"]},
    {"condition": ["深陷", "下沉", "沉陷", "塌陷", "沉降"], "phrases": ["下沉", "陷", "沉", "塌", "sunk", "sinking"]},
    {"condition": ["凸起", "拱起", "高低差", "错台"], "phrases": ["凸", "拱", "高低", "不平", "bulge"]},
    {"condition": ["松动"], "phrases": ["松动", "松了", "踩上去晃", "loose"]},
    {"condition": ["满溢", "烟蒂满溢"], "phrases": ["满", "溢", "overflow", "full"]},
    {"condition": ["异味"], "phrases": ["臭", "味", "smell", "stink"]},
    {"condition": ["正在建设"], "phrases": ["正在", "在建", "施工中", "在盖", "打地基", "under construction"]},
    {"condition": ["已形成"], "phrases": ["已经建好", "盖好了", "建好了", "好久了", "already built"]},
    {"condition": ["电线裸露"], "phrases": ["电线露", "露电线", "裸露", "线露出来", "exposed wire"]},
    {"condition": ["内容错误", "指向错误"], "phrases": ["错", "写错", "指错", "wrong"]},
    {"condition": ["清运不及时"], "phrases": ["没拉走", "没清运", "没人拉", "not collected"]},
    {"condition": ["泄漏", "着火", "爆炸"], "phrases": ["泄漏", "漏气", "气味", "着火", "爆炸", "gas"]},
    {"condition": ["塌陷"], "phrases": ["塌", "陷", "collapse"]},
    {"condition": ["未按时开放"], "phrases": ["没开门", "锁着", "关着门", "closed"]},
    {"condition": ["噪音扰民", "噪音"], "phrases": ["吵", "噪", "noise", "noisy"]},
    {"condition": ["枯死", "长势不良"], "phrases": ["枯", "死了", "dead"]},
    {"condition": ["修剪不及时"], "phrases": ["挡住", "挡路", "遮挡", "太长", "修剪", "overgrown"]},
    {"condition": ["乱停放", "停放"], "phrases": ["停", "parked"]},
    {"condition": ["消防通道", "路口"], "phrases": ["消防通道", "路口", "堵住", "fire lane"]},
    {"condition": ["飞线充电"], "phrases": ["充电", "飞线"]},
]

# The citizen menu: (id, 中文, English, 小类 codes). "other" gets every code no other icon lists.
MENU: list[tuple[str, str, str, str]] = [
    ("manhole", "井盖", "Manhole cover",
     "C0101 C0102 C0103 C0104 C0105 C0106 C0107 C0110 C0111 C0114 C0118 C0123 C0126 C0303"),
    ("garbage", "垃圾", "Garbage",
     "E0110 E0111 E0192 E0112 E0131 E0117 C0305 C0304 E0193 E0135 E0137 E0114 E0125 E0133 E0305"),
    ("vendors", "占道经营", "Street vending",
     "E0406 E0405 E0401 E0402 E0404 E0492 E0491 E0495 E0494 E0129 E0136 E0498"),
    ("parking", "乱停车", "Illegal parking", "E0470 E0410 E0493 E0496 E0196 E0471 C0225"),
    ("streetlight", "路灯", "Street light", "C0137 C0138 C0139 C0178 C0210 C0106"),
    ("road", "道路破损", "Damaged road",
     "E0113 E0505 C0284 C0286 C0285 E0179 E0309 C0181 C0217 C0221 E0303 C0186 C0206 C0209"),
    ("adverts", "违规广告", "Illegal adverts", "E0201 E0202 E0203 E0207 E0206 C0306 C0307 E0204 E0205 C0308 E0299"),
    ("flooding", "积水", "Waterlogging", "E0506 E0503 E0501 C0104 E0507 E0130 C0207"),
    ("greenery", "树木绿化", "Trees and greenery",
     "C0402 C0401 C0499 C0495 C0494 E0117 E0118 E0121 E0122 E0191 C0404 C0405 C0497 C0408 E0119 C0410"),
    ("construction", "施工", "Construction",
     "E0301 E0302 E0303 E0304 E0305 E0306 E0307 E0308 E0309 E0310 E0311 E0312 E0399 E0398 E0397 E0396 C0396"),
    ("noise", "噪音扰民", "Noise", "E0170 E0128 E0301 E0402 E0171 E0195"),
    ("other", "其他", "Other", ""),
]


def _clean(text: str) -> str:
    return " ".join(text.replace("\n", "、").split())


def _standards(rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    out = []
    for filing, closing, raw in rows:
        limit = parse_time_limit(raw)
        urgent = limit.is_emergency or any(word in filing for word in URGENT_WORDS)
        out.append({"filing_condition": _clean(filing), "closing_condition": _clean(closing), "time_limit": raw,
                    "urgent": urgent})
    return out


def build(source: Path) -> dict[str, Any]:
    rows = json.loads(source.read_text(encoding="utf-8"))
    categories: list[dict[str, Any]] = []

    def add(kind: str, digits: str, major: str, name: str, unit: str, supervisor: str,
            standards: list[tuple[str, str, str]], origin: str) -> None:
        code = ("C" if kind == "component" else "E") + digits
        categories.append({
            "code": code, "kind": kind, "major_code": code[:3], "major_name": _clean(major), "name": _clean(name),
            "synonyms": SYNONYMS.get(code, "").split(),
            "synonyms_en": [s for s in SYNONYMS_EN.get(code, "").split("|") if s],
            "department": _clean(unit), "supervising_department": _clean(supervisor),
            "standards": _standards(standards), "origin": origin,
        })

    for row in rows:
        add(row["type"], row["code"], row["big_name"], row["name"], row["handling_unit"], row["supervisor"],
            [(s["filing_condition"], s["closing_condition"], s["time_limit"]) for s in row["standards"]], source.name)
    taken = {c["code"] for c in categories}
    for kind, digits, major, name, unit, supervisor, standards, origin in EXTENSIONS:
        code = ("C" if kind == "component" else "E") + digits
        if code in taken:
            raise SystemExit(f"extension {code} {name} collides with the source table")
        add(kind, digits, major, name, unit, supervisor, standards, origin)
    codes = {c["code"] for c in categories}
    unknown = sorted((set(SYNONYMS) | set(SYNONYMS_EN)) - codes)
    listed: set[str] = set()
    menu = []
    for menu_id, name, name_en, menu_codes in MENU:
        items = menu_codes.split() if menu_codes else sorted(codes - listed)
        unknown += [c for c in items if c not in codes]
        listed.update(items)
        menu.append({"id": menu_id, "name": name, "name_en": name_en, "codes": items, "catch_all": not menu_codes})
    if unknown:
        raise SystemExit(f"unknown codes in the extension tables: {unknown}")
    categories.sort(key=lambda c: (c["kind"], c["code"]))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    return {
        "format": "suishoupai-taxonomy/1",
        "metadata": {
            "title": "运城市数字化城市管理部件和事件立案结案标准（含随手拍扩展）",
            "source": "reference/standards/city_standards.json (Yuncheng city standards table, 190 小类)",
            "source_sha256_12": digest,
            "extensions": "CJ/T 214 component codes (reference/standards/component_codes_cjt214.txt) and city "
                          "extensions in digits 70-79 of a 大类; synonyms and menu by the suishoupai project",
            "built": dt.date.today().isoformat(),
        },
        "menu": menu,
        "condition_cues": CONDITION_CUES,
        "categories": categories,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data = build(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {len(data['categories'])} categories to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
