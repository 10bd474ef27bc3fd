"""Generate the demo city (central Loudi, Hunan) under backend/demo/data/loudi/: run it again and nothing changes.

    .venv/bin/python scripts/make_demo_city.py [--out backend/demo/data/loudi]

Inputs: the outline and seed points below, a fixed random seed, and the taxonomy (backend/triage/data/taxonomy.json),
whose ``department`` texts decide which unit handles which 小类. The file formats are in the output's README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, box, mapping

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from backend.geo import GridIndex, LocalProjection, UnitGrid  # noqa: E402

SEED = 20261124
PREC = 1e-6  # coordinates are snapped to 6 decimals (about 0.1 m)
LNG0, LAT0, DX, DY = 111.958, 27.698, 0.001, 0.0009  # the unit-grid lattice: cells of about 98.6 m x 99.8 m
PROJ = LocalProjection(112.0, 27.73)
OUTLINE = Polygon([(111.9609, 27.7099), (111.9746, 27.6999), (112.0127, 27.6988), (112.0391, 27.7057),
                   (112.0412, 27.7353), (112.0349, 27.7596), (112.0011, 27.7612), (111.9672, 27.758), (111.9593, 27.7363)])
# district code, name, clip region (the real boundaries differ: see README)
DISTRICTS = [
    ("431302", "娄星区", box(111.9, 27.6, 112.018, 27.744)),
    ("431371", "娄底经济技术开发区", box(112.018, 27.6, 112.1, 27.744)),
    ("431372", "万宝新区", box(111.9, 27.744, 112.1, 27.8)),
]
# street name and seed point; the Voronoi cell of the seed inside its district is the street
STREETS = {
    "431302": [("乐坪街道", 112.000, 27.730), ("花山街道", 111.990, 27.738), ("长青街道", 112.010, 27.722),
               ("大科街道", 111.974, 27.722), ("黄泥塘街道", 112.004, 27.710), ("涟滨街道", 111.984, 27.707)],
    "431371": [("大埠桥街道", 112.028, 27.715), ("湘阳街道", 112.029, 27.735)],
    "431372": [("万宝街道", 111.985, 27.752), ("新星街道", 112.018, 27.752)],
}
COMMUNITY_NAMES = list("春贤秋青珠月新杏桃梅竹兰松柏荷枫湘涟华锦丰乐安康和平福寿德仁善吉祥瑞光明星辰栗桂棠樟雁鹿溪泉"
                       "湖塘桥井坪坡岭冲湾洲园苑")
UNITS = [  # code, name, kind, keywords that mark a 小类 as theirs in the taxonomy's department text
    ("ld_water", "娄底市自来水公司", "water", ["节约用水", "供水"]),
    ("ld_drainage", "娄底市城市排水管理处", "drainage", ["排水"]),
    ("ld_power", "国网娄底供电公司", "power", ["电力", "供电"]),
    ("ld_telecom", "中国电信娄底分公司", "telecom", ["通讯", "通信", "电信", "线缆"]),
    ("ld_mobile", "中国移动娄底分公司", "telecom", ["移动"]),
    ("ld_gas", "娄底市燃气有限公司", "gas", ["供热供气", "供气", "燃气"]),
    ("ld_sanitation", "娄底市环境卫生事务中心", "sanitation", ["环卫"]),
    ("ld_parks", "娄底市园林绿化事务中心", "parks", ["园林", "绿化"]),
    ("ld_traffic", "娄底市公安局交通警察支队", "traffic_police", ["公安交通", "交警"]),
    ("ld_enforcement", "娄底市城市管理综合行政执法支队", "law_enforcement", ["行政执法队", "市容秩序"]),
    ("ld_municipal", "娄底市市政设施维护中心", "municipal", ["市政"]),
    ("ld_housing", "娄底市住房和城乡建设局", "housing", ["住建", "物业"]),
]
STREET_OFFICE_KEYWORDS = ["所属街办", "属地行政执法"]
UNIT_NAMES_EN = {  # code → English name (street offices: the street's pinyin + "Subdistrict Office")
    "ld_water": "Loudi Water Supply Company", "ld_drainage": "Loudi Urban Drainage Office",
    "ld_power": "State Grid Loudi Power Supply Company", "ld_telecom": "China Telecom Loudi Branch",
    "ld_mobile": "China Mobile Loudi Branch", "ld_gas": "Loudi Gas Company", "ld_sanitation": "Loudi Sanitation Centre",
    "ld_parks": "Loudi Parks and Greening Centre", "ld_traffic": "Loudi Traffic Police Detachment",
    "ld_enforcement": "Loudi City Management Enforcement Detachment",
    "ld_municipal": "Loudi Municipal Facilities Maintenance Centre",
    "ld_housing": "Loudi Housing and Urban-Rural Development Bureau",
}
STREET_PINYIN = {"乐坪": "Leping", "花山": "Huashan", "长青": "Changqing", "大科": "Dake", "黄泥塘": "Huangnitang",
                 "涟滨": "Lianbin", "大埠桥": "Dabuqiao", "湘阳": "Xiangyang", "万宝": "Wanbao", "新星": "Xinxing"}
# 小类, count, owner, maintainer
COMPONENTS = [("C0101", 60, "ld_water", "ld_water"), ("C0102", 50, "ld_drainage", "ld_drainage"),
              ("C0103", 50, "ld_drainage", "ld_drainage"), ("C0104", 20, "ld_drainage", "ld_drainage"),
              ("C0105", 30, "ld_power", "ld_power"), ("C0107", 25, "ld_telecom", "ld_telecom"),
              ("C0111", 25, "ld_gas", "ld_gas"), ("C0127", 10, "ld_mobile", "ld_mobile"),
              ("C0128", 10, "ld_power", "ld_power"), ("C0137", 60, "ld_municipal", "ld_municipal"),
              ("C0204", 12, "ld_municipal", "ld_sanitation"), ("C0210", 12, "ld_traffic", "ld_traffic"),
              ("C0217", 10, "ld_municipal", "ld_traffic"), ("C0301", 12, "ld_sanitation", "ld_sanitation"),
              ("C0305", 45, "ld_sanitation", "ld_sanitation"), ("C0402", 25, "ld_parks", "ld_parks"),
              ("C0407", 12, "ld_parks", "ld_parks")]
# Invented road names (demo geography): every ROAD_EVERY-th lattice line is a named road; every second one of those is
# a 大道. North-south roads are 街 or 大道, east-west roads 路 or 大道.
ROAD_EVERY = 4
ROAD_NAMES = ["春晖", "文昌", "振兴", "育才", "丰收", "和平", "建设", "迎宾", "光明", "秀水", "翠竹", "金桂", "银杏", "石榴",
              "朝阳", "星月", "锦绣", "清风", "湘江", "云霞", "雁鸣", "荷香", "松林", "桃源", "梅岭", "兰亭", "枫林", "柳塘",
              "晨曦", "晚霞", "瑞丰", "福元", "长乐", "同心", "永安", "庆丰", "新华", "安康", "凤凰", "龙泉", "紫薇", "青山",
              "碧波", "玉兰", "海棠", "芙蓉", "书香", "丹桂"]
# A landmark of each kind in turn at every LANDMARK_EVERY-th community, named after it (invented).
LANDMARK_EVERY = 3
LANDMARK_KINDS = [("公园", "park"), ("小学", "school"), ("农贸市场", "market"), ("广场", "square"),
                  ("社区卫生服务中心", "clinic"), ("体育馆", "stadium")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏斌波宇浩凯健俊帆帅旭晨欣怡佳琪"


def snap(geom: Any) -> Any:
    return shapely.set_precision(geom, PREC)


def voronoi(seeds: list[tuple[float, float]], region: Any) -> list[Any]:
    """The Voronoi cell of each seed (in seed order) clipped to ``region``."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=region.envelope.buffer(0.1)).geoms
    by_seed = [next(c for c in cells if c.covers(Point(s))) for s in seeds]
    return [snap(c.intersection(region)) for c in by_seed]


def area_m2(geom: Any) -> float:
    return float(PROJ.geometry(geom).area)


def feature(geom: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def write_features(path: Path, features: list[dict[str, Any]]) -> None:
    """One feature per line keeps diffs readable and files small."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    path.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def organisation(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    districts, streets, communities = [], [], []
    names = rng.sample(COMMUNITY_NAMES, len(COMMUNITY_NAMES))
    for dcode, dname, clip in DISTRICTS:
        dgeom = snap(OUTLINE.intersection(clip))
        districts.append({"code": dcode, "name": dname, "geometry": dgeom})
        seeds = [(lng, lat) for _, lng, lat in STREETS[dcode]]
        for s, ((sname, _, _), sgeom) in enumerate(zip(STREETS[dcode], voronoi(seeds, dgeom)), start=1):
            scode = f"{dcode}{s:03d}"
            streets.append({"code": scode, "name": sname, "district": dcode, "geometry": sgeom})
            n = max(3, round(area_m2(sgeom) / 1.0e6))  # about one community per km²
            minx, miny, maxx, maxy = sgeom.bounds
            cseeds: list[tuple[float, float]] = []
            while len(cseeds) < n:
                p = (rng.uniform(minx, maxx), rng.uniform(miny, maxy))
                if sgeom.contains(Point(p)):
                    cseeds.append(p)
            cseeds.sort(key=lambda p: (-round(p[1], 3), p[0]))  # number communities north to south
            for c, cgeom in enumerate(voronoi(cseeds, sgeom), start=1):
                cname = names.pop() + ("园" if len(names) % 3 == 0 else "") + "社区"
                communities.append({"code": f"{scode}{c:03d}", "name": cname, "street": scode, "geometry": cgeom})
    return districts, streets, communities


def unit_grids(communities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lattice cells clipped to each community; slivers under a quarter cell merge into a neighbour."""
    grids = []
    for com in communities:
        minx, miny, maxx, maxy = com["geometry"].bounds
        pieces: dict[tuple[int, int], Any] = {}
        for i in range(math.floor((minx - LNG0) / DX), math.ceil((maxx - LNG0) / DX)):
            for j in range(math.floor((miny - LAT0) / DY), math.ceil((maxy - LAT0) / DY)):
                cell = box(LNG0 + i * DX, LAT0 + j * DY, LNG0 + (i + 1) * DX, LAT0 + (j + 1) * DY)
                parts = shapely.get_parts(shapely.intersection(cell, com["geometry"], grid_size=PREC))
                polygons = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]  # drop touching lines
                if polygons:
                    pieces[(i, j)] = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
        full = DX * DY
        for key in sorted(pieces, key=lambda k: pieces[k].area):
            piece = pieces.get(key)
            if piece is None or piece.area >= 0.25 * full:
                continue
            i, j = key
            neighbours = [(i + a, j + b) for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1)) if (i + a, j + b) in pieces]
            shared = {k: piece.intersection(pieces[k]).length for k in neighbours}
            if shared and max(shared.values()) > 0:
                target = max(sorted(shared), key=lambda k: shared[k])
                merged = shapely.union(pieces[target], piece, grid_size=PREC)
                if merged.geom_type == "Polygon":
                    pieces[target] = merged
                    del pieces[key]
        # serials run north to south, west to east
        for serial, (i, j) in enumerate(sorted(pieces, key=lambda k: (-k[1], k[0])), start=1):
            geom = pieces[(i, j)]
            grids.append({"code": f"{com['code']}{serial:03d}", "community": com["code"], "street": com["street"],
                          "district": com["code"][:6], "geometry": geom, "area_m2": round(area_m2(geom), 1)})
    return grids


def responsibility_grids(grids: list[dict[str, Any]], streets: list[dict[str, Any]], total: int = 39) -> list[dict[str, Any]]:
    """Split each street's unit grids into compact groups (k-means on cell centres); 39 groups over the city."""
    by_street: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in grids:
        by_street[g["street"]].append(g)
    shares = {s["code"]: total * len(by_street[s["code"]]) / len(grids) for s in streets}
    quota = {k: max(1, math.floor(v)) for k, v in shares.items()}
    for k in sorted(shares, key=lambda k: quota[k] - shares[k])[: total - sum(quota.values())]:
        quota[k] += 1
    out, serial = [], 0
    for street in streets:
        members = by_street[street["code"]]
        xy = np.array([PROJ.xy(*g["geometry"].centroid.coords[0]) for g in members])
        k = quota[street["code"]]
        centres = xy[np.argsort(xy[:, 0] + 0.5 * xy[:, 1])[np.linspace(0, len(xy) - 1, k).astype(int)]]
        for _ in range(30):
            label = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
            centres = np.array([xy[label == c].mean(axis=0) if (label == c).any() else centres[c] for c in range(k)])
        for c in sorted(range(k), key=lambda c: (-centres[c][1], centres[c][0])):
            serial += 1
            code = f"ZR{serial:02d}"
            group = [g for g, lab in zip(members, label) if lab == c]
            for g in group:
                g["responsibility_grid"] = code
            geom = shapely.union_all([g["geometry"] for g in group], grid_size=PREC)
            out.append({"code": code, "name": f"责任网格{serial:02d}", "district": street["district"],
                        "street": street["code"], "supervisor": f"supervisor{serial:02d}", "unit_grids": len(group),
                        "geometry": geom})
    return out


def units(streets: list[dict[str, Any]], taxonomy: dict[str, Any]) -> list[dict[str, Any]]:
    cats = taxonomy["categories"]
    all_districts = [code for code, _, _ in DISTRICTS]
    out = []
    for n, (code, name, kind, keywords) in enumerate(UNITS, start=1):
        handled = [c["code"] for c in cats if any(k in c["department"] for k in keywords)]
        out.append({"code": code, "name": name, "name_en": UNIT_NAMES_EN[code], "kind": kind, "contact": f"{name}值班室",
                    "phone": f"0738-8000{n:04d}", "categories": handled, "areas": all_districts})
    local = [c["code"] for c in cats if any(k in c["department"] for k in STREET_OFFICE_KEYWORDS)]
    for n, s in enumerate(streets, start=1):
        out.append({"code": f"jd_{s['code']}", "name": f"{s['name']}办事处",
                    "name_en": f"{STREET_PINYIN[s['name'].removesuffix('街道')]} Subdistrict Office", "kind": "street_office",
                    "contact": f"{s['name']}城管办", "phone": f"0738-8100{n:04d}", "categories": local,
                    "areas": [s["code"]]})
    return out


def components(rng: random.Random, index: GridIndex, names: dict[str, str]) -> list[dict[str, Any]]:
    """Points along the lattice lines (roads, in this demo), a few metres off the centre line."""
    minx, miny, maxx, maxy = OUTLINE.bounds
    out = []
    for category, count, owner, maintainer in COMPONENTS:
        n = 0
        while n < count:
            if rng.random() < 0.5:
                lng = LNG0 + DX * round((rng.uniform(minx, maxx) - LNG0) / DX) + rng.uniform(-6e-5, 6e-5)
                lat = rng.uniform(miny, maxy)
            else:
                lng = rng.uniform(minx, maxx)
                lat = LAT0 + DY * round((rng.uniform(miny, maxy) - LAT0) / DY) + rng.uniform(-5e-5, 5e-5)
            lng, lat = round(lng, 6), round(lat, 6)
            where = index.locate(lng, lat)
            if not hasattr(where, "unit_grid"):
                continue
            n += 1
            out.append(feature(Point(lng, lat), id=f"LD-{category}-{n:04d}", category=category,
                               name=names[category], owner=owner, maintainer=maintainer,
                               unit_grid=where.unit_grid))  # type: ignore[union-attr]
    return out


def roads() -> list[dict[str, Any]]:
    """Named roads along the lattice lines that stand in for roads, clipped to the city outline."""
    minx, miny, maxx, maxy = OUTLINE.bounds
    lines = []  # (orientation, lattice index, geometry)
    for i in range(math.ceil((minx - LNG0) / DX), math.floor((maxx - LNG0) / DX) + 1):
        if i % ROAD_EVERY == 2:
            lng = round(LNG0 + i * DX, 6)
            lines.append(("ns", i, OUTLINE.intersection(shapely.LineString([(lng, miny - 0.01), (lng, maxy + 0.01)]))))
    for j in range(math.ceil((miny - LAT0) / DY), math.floor((maxy - LAT0) / DY) + 1):
        if j % ROAD_EVERY == 2:
            lat = round(LAT0 + j * DY, 6)
            lines.append(("ew", j, OUTLINE.intersection(shapely.LineString([(minx - 0.01, lat), (maxx + 0.01, lat)]))))
    if len(lines) > len(ROAD_NAMES):
        raise SystemExit(f"{len(lines)} roads but only {len(ROAD_NAMES)} names")
    out = []
    for n, ((orientation, k, geom), name) in enumerate(zip(lines, ROAD_NAMES), start=1):
        major = (k // ROAD_EVERY) % 2 == 0
        suffix = "大道" if major else ("街" if orientation == "ns" else "路")
        out.append({"code": f"R{n:03d}", "name": name + suffix, "class": "major" if major else "minor",
                    "orientation": orientation, "geometry": snap(geom)})
    return out


def landmarks(communities: list[dict[str, Any]], streets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One named place at every LANDMARK_EVERY-th community's representative point, named after its street."""
    street_names = {s["code"]: s["name"].removesuffix("街道") for s in streets}
    out = []
    for n, com in enumerate(communities[1::LANDMARK_EVERY]):
        label, kind = LANDMARK_KINDS[n % len(LANDMARK_KINDS)]
        out.append({"code": f"L{n + 1:03d}", "name": street_names[com["street"]] + label, "kind": kind,
                    "community": com["code"], "geometry": snap(com["geometry"].point_on_surface())})
    if len({m["name"] for m in out}) != len(out):
        raise SystemExit("two landmarks got the same name")
    return out


def users(unit_list: list[dict[str, Any]], rgrids: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    people = [a + b + c for a in SURNAMES for b in GIVEN for c in ["", *GIVEN[:8]]]
    rng.shuffle(people)
    name = iter(people)
    out: list[dict[str, Any]] = [{"username": f"citizen{i:02d}", "display_name": next(name), "role": "citizen"}
                                 for i in range(1, 6)]
    out += [{"username": g["supervisor"], "display_name": next(name), "role": "supervisor",
             "responsibility_grids": [g["code"]]} for g in rgrids]
    for role, count in (("operator", 3), ("shift_lead", 2)):
        out += [{"username": f"{role.replace('_', '')}{i:02d}", "display_name": next(name), "role": role}
                for i in range(1, count + 1)]
    out.append({"username": "dispatcher01", "display_name": next(name), "role": "dispatcher", "areas": []})
    out += [{"username": f"dispatcher{i:02d}", "display_name": next(name), "role": "dispatcher", "areas": [code]}
            for i, (code, _, _) in enumerate(DISTRICTS, start=2)]
    out += [{"username": f"staff_{u['code']}", "display_name": next(name), "role": "unit_staff", "unit": u["code"]}
            for u in unit_list]
    out.append({"username": "admin", "display_name": "系统管理员", "role": "admin"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "backend" / "demo" / "data" / "loudi")
    args = parser.parse_args()
    rng = random.Random(SEED)
    taxonomy = json.loads((ROOT / "backend" / "triage" / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    districts, streets, communities = organisation(rng)
    grids = unit_grids(communities)
    rgrids = responsibility_grids(grids, streets)
    index = GridIndex.build(UnitGrid(g["code"], g["geometry"], responsibility_grid=g["responsibility_grid"])
                            for g in grids)
    unit_list = units(streets, taxonomy)
    comps = components(rng, index, {c["code"]: c["name"] for c in taxonomy["categories"]})
    road_list, landmark_list = roads(), landmarks(communities, streets)  # after everything drawn from rng: nothing else moves
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    write_features(out / "districts.geojson", [feature(d.pop("geometry"), **d) for d in districts])
    write_features(out / "streets.geojson", [feature(s.pop("geometry"), **s) for s in streets])
    write_features(out / "communities.geojson", [feature(c.pop("geometry"), **c) for c in communities])
    write_features(out / "unit_grids.geojson", [feature(g.pop("geometry"), **g) for g in grids])
    write_features(out / "responsibility_grids.geojson", [feature(r.pop("geometry"), **r) for r in rgrids])
    write_features(out / "components.geojson", comps)
    write_features(out / "roads.geojson", [feature(r.pop("geometry"), **r) for r in road_list])
    write_features(out / "landmarks.geojson", [feature(m.pop("geometry"), **m) for m in landmark_list])
    for name, key, rows in (("units.json", "units", unit_list), ("users.json", "users", users(unit_list, rgrids, rng))):
        (out / name).write_text(json.dumps({key: rows}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    total = sum(g["area_m2"] for g in grids) / 1e6
    print(f"{out}: {len(districts)} districts, {len(streets)} streets, {len(communities)} communities, "
          f"{len(grids)} unit grids ({total:.1f} km²), {len(rgrids)} responsibility grids, {len(unit_list)} units, "
          f"{len(comps)} components, {len(road_list)} named roads, {len(landmark_list)} landmarks")


if __name__ == "__main__":
    main()
