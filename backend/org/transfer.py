"""Import and export of a city's organisation data as files (the formats are described in docs/org-data.md).

An import checks every row of every file and refuses the whole lot when one row is wrong: the files are applied in one
transaction, in dependency order (districts → streets → communities → responsibility grids → unit grids → units →
components → routing rules), so a later file may name what an earlier one adds. Places, units and components are
added or updated by code and never deleted; routing rules have no code, so a rules file replaces the rule set. An
accepted import writes an ``OrgImport`` row: its id is the revision every process follows (``Triage.refresh``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry import shape

from backend.db import write_transaction
from backend.errors import InvalidInput
from backend.geo import GridIndex, LocalProjection, OutsideArea
from backend.geo import UnitGrid as GeoUnitGrid
from backend.org import files
from backend.org.files import Problem, Row
from backend.org.tables import (
    Community,
    Component,
    District,
    OrgImport,
    ResponsibilityGrid,
    RoutingRule,
    Street,
    Unit,
    UnitGrid,
)

DATASETS = ("districts", "streets", "communities", "responsibility_grids", "unit_grids", "units", "components",
            "routing_rules")
GEOMETRY = {"districts", "streets", "communities", "responsibility_grids", "unit_grids"}  # GeoJSON only
KINDS = ("component", "event", "any")  # as backend/triage/routing.py reads them
TARGETS = ("owner", "maintainer", "unit", "street_office")
# Neighbours share edges, and surveyed boundaries leave slivers where they were rounded (the demo city has some of
# up to 22 m² between streets): an overlap counts above 1% of the smaller polygon, and above 1 m² at least.
OVERLAP_SHARE, OVERLAP_M2 = 0.01, 1.0
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
KIND = re.compile(r"^[a-z_]{1,32}$")
LIST_SPLIT = re.compile(r"[\s,;，；、]+")
TRUE, FALSE = {"1", "true", "yes", "y", "是", "启用"}, {"0", "false", "no", "n", "否", "停用"}
AUDIT_LIMIT = 200  # codes listed per dataset in the audit entry; the counts are always complete


class Categories(Protocol):
    """What the import needs of the taxonomy (the triage layer's, passed in: org sits below triage)."""

    @property
    def codes(self) -> tuple[str, ...]: ...

    def has(self, code: str) -> bool: ...

    def get(self, code: str) -> Any: ...


@dataclass
class Outcome:
    dataset: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    added_codes: list[str] = field(default_factory=list)
    updated_codes: list[dict[str, Any]] = field(default_factory=list)  # {"code", "fields": [changed columns]}

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "added": self.added, "updated": self.updated, "removed": self.removed}


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    revision: int = 0


class _Rollback(Exception):
    """Leaves the transaction without keeping anything (a dry run, or a refused file)."""


@dataclass
class _Check:
    """The problems of one dataset, and its helpers to read fields."""

    dataset: str
    problems: list[Problem]

    def add(self, row: Row | int, name: str, zh: str, en: str) -> None:
        self.problems.append(Problem(row if isinstance(row, int) else row.line, name, zh, en, self.dataset))

    def required(self, row: Row, name: str, limit: int = 128) -> str:
        value = row.values.get(name, "")
        if not value:
            self.add(row, name, f"缺少 {name}", f"{name} is required")
        elif len(value) > limit:
            self.add(row, name, f"{name} 超过 {limit} 个字符", f"{name} is longer than {limit} characters")
        return value

    def optional(self, row: Row, name: str, limit: int = 128) -> str:
        value = row.values.get(name, "")
        if len(value) > limit:
            self.add(row, name, f"{name} 超过 {limit} 个字符", f"{name} is longer than {limit} characters")
        return value

    def code(self, row: Row, name: str, pattern: re.Pattern[str], zh_rule: str, en_rule: str) -> str:
        value = row.values.get(name, "")
        if not pattern.match(value):
            self.add(row, name, f"{name}“{value}”无效：{zh_rule}", f"{name} {value!r} is invalid: {en_rule}")
            return ""
        return value

    def unique(self, rows: Iterable[tuple[Row, str]], name: str) -> None:
        seen: dict[str, int] = {}
        for row, value in rows:
            if value and value in seen:
                self.add(row, name, f"编码 {value} 重复（第 {seen[value]} 行已有）",
                         f"Duplicate code {value} (already on line {seen[value]})")
            seen.setdefault(value, row.line)

    def flag(self, row: Row, name: str, default: bool = True) -> bool:
        value = row.values.get(name, "").lower()
        if not value:
            return default
        if value in TRUE or value in FALSE:
            return value in TRUE
        self.add(row, name, f"{name} 应为 true 或 false", f"{name} must be true or false")
        return default

    def number(self, row: Row, name: str, default: float | None = None) -> float | None:
        value = row.values.get(name, "")
        if not value:
            if default is None:
                self.add(row, name, f"缺少 {name}", f"{name} is required")
            return default
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not np.isfinite(number):
            self.add(row, name, f"{name} 不是数字：{value}", f"{name} is not a number: {value}")
            return default
        return number

    def polygon(self, row: Row) -> Any:
        if row.geometry is None:
            self.add(row, "geometry", "缺少几何图形（需要 GeoJSON）", "No geometry (this dataset needs GeoJSON)")
            return None
        try:
            geom = shape(row.geometry)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError, RecursionError,
                shapely.errors.GEOSException) as exc:
            self.add(row, "geometry", f"几何图形无法解析：{exc}", f"The geometry cannot be read: {exc}")
            return None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            self.add(row, "geometry", f"应为面（Polygon），实为 {geom.geom_type}",
                     f"Expected a Polygon or MultiPolygon, got {geom.geom_type}")
            return None
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            self.add(row, "geometry", f"多边形无效：{reason}", f"Invalid polygon: {reason}")
            return None
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
            self.add(row, "geometry", "坐标超出 WGS-84 经纬度范围", "Coordinates outside WGS-84 degrees")
            return None
        return geom


@dataclass
class _State:
    """What the datasets share during one import."""

    categories: Categories
    grid_index: GridIndex | None = None
    grids_changed: bool = True


# ---------------------------------------------------------------- writing rows


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return bool(a == b)


async def _upsert(table: Any, outcome: Outcome, rows: list[dict[str, Any]]) -> None:
    """Insert rows whose ``code`` is new, update those that differ; counts and codes go to ``outcome``."""
    existing = {r["code"]: r for r in await table.select().output(load_json=True)}
    first: dict[str, dict[str, Any]] = {}
    for r in rows:  # a duplicate code is already reported: its first row stands in until the import is refused
        first.setdefault(r["code"], r)
    rows = list(first.values())
    new = [r for r in rows if r["code"] not in existing]
    for start in range(0, len(new), 500):
        await table.insert(*(table(r) for r in new[start : start + 500]))
    for r in rows:
        old = existing.get(r["code"])
        if old is None:
            continue
        changed = [k for k, v in r.items() if not _same(old.get(k), v)]
        if changed:
            await table.update({getattr(table, k): r[k] for k in changed}).where(table.code == r["code"])
            outcome.updated += 1
            if len(outcome.updated_codes) < AUDIT_LIMIT:
                outcome.updated_codes.append({"code": r["code"], "fields": changed})
    outcome.rows, outcome.added = len(rows), len(new)
    outcome.added_codes = [r["code"] for r in new[:AUDIT_LIMIT]]


async def _codes(table: Any) -> dict[str, int]:
    return {r["code"]: r["id"] for r in await table.select(table.id, table.code)}


def _projected(geoms: list[Any]) -> np.ndarray:
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms))
    return np.asarray(LocalProjection((minx + maxx) / 2, (miny + maxy) / 2).geometry(np.array(geoms)))


def _overlaps(check: _Check, new: list[tuple[Row, str, Any]], others: list[tuple[str, Any]], what: str) -> None:
    """Refuse every new polygon that overlaps another (in the file or already stored) beyond the survey tolerance."""
    if not new:
        return
    codes = [c for _, c, _ in new] + [c for c, _ in others]
    geoms = _projected([g for _, _, g in new] + [g for _, g in others])
    left, right = shapely.STRtree(geoms).query(geoms[: len(new)], predicate="intersects")
    keep = (left != right) & ((right >= len(new)) | (right < left))  # a pair in the file: on the later row
    left, right = left[keep], right[keep]
    if not len(left):
        return
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    limits = np.maximum(np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right])) * OVERLAP_SHARE, OVERLAP_M2)
    for a, b, area, limit in zip(left.tolist(), right.tolist(), areas.tolist(), limits.tolist()):
        if area > limit:
            check.add(new[a][0], "geometry", f"{what} {codes[a]} 与 {codes[b]} 重叠 {area:.0f} 平方米",
                      f"{what} {codes[a]} overlaps {codes[b]} by {area:.0f} m²")


# ---------------------------------------------------------------- the datasets


async def _places(rows: list[Row], check: _Check, table: Any, digits: int, parent: tuple[str, Any] | None) -> Outcome:
    """Districts (6 digits), streets (9: district + 3) and communities (12: street + 3)."""
    outcome = Outcome(check.dataset)
    pattern = re.compile(rf"^\d{{{digits}}}$")
    parents = await _codes(parent[1]) if parent else {}
    out: list[dict[str, Any]] = []
    coded = [(row, check.code(row, "code", pattern, f"应为 {digits} 位数字", f"expected {digits} digits"))
             for row in rows]
    check.unique(coded, "code")
    for row, code in coded:
        name, geom = check.required(row, "name", 64), check.polygon(row)
        values: dict[str, Any] = {"code": code, "name": name, "geometry": row.geometry}
        if parent and code:
            key, _ = parent
            parent_code = row.values.get(key) or code[: digits - 3]
            if parent_code != code[: digits - 3]:
                check.add(row, key, f"{key} {parent_code} 与编码前缀 {code[: digits - 3]} 不符",
                          f"{key} {parent_code} does not match the code's prefix {code[: digits - 3]}")
            elif parent_code not in parents:
                check.add(row, key, f"上级 {parent_code} 不存在", f"No such {key}: {parent_code}")
            else:
                values[key] = parents[parent_code]
        if code and name and geom is not None and (not parent or parent[0] in values):
            out.append(values)
    await _upsert(table, outcome, out)
    return outcome


async def districts(rows: list[Row], check: _Check, state: _State) -> Outcome:
    return await _places(rows, check, District, 6, None)


async def streets(rows: list[Row], check: _Check, state: _State) -> Outcome:
    return await _places(rows, check, Street, 9, ("district", District))


async def communities(rows: list[Row], check: _Check, state: _State) -> Outcome:
    return await _places(rows, check, Community, 12, ("street", Street))


async def responsibility_grids(rows: list[Row], check: _Check, state: _State) -> Outcome:
    outcome = Outcome(check.dataset)
    district_ids = await _codes(District)
    coded = [(row, check.code(row, "code", CODE, "字母、数字、_.-，至多 32 位", "letters, digits, _.- up to 32"))
             for row in rows]
    check.unique(coded, "code")
    out, polygons = [], []
    for row, code in coded:
        name, geom = check.required(row, "name", 64), check.polygon(row)
        district = row.values.get("district", "")
        if district and district not in district_ids:
            check.add(row, "district", f"区 {district} 不存在", f"No such district: {district}")
        if code and name and geom is not None:
            out.append({"code": code, "name": name, "district": district_ids.get(district), "geometry": row.geometry})
            polygons.append((row, code, geom))
    mine = {c for _, c, _ in polygons}
    others = [(r["code"], shape(r["geometry"])) for r in await ResponsibilityGrid.select(
        ResponsibilityGrid.code, ResponsibilityGrid.geometry).output(load_json=True)
        if r["code"] not in mine and r["geometry"]]
    _overlaps(check, polygons, others, "责任网格/responsibility grid")
    await _upsert(ResponsibilityGrid, outcome, out)
    return outcome


async def unit_grids(rows: list[Row], check: _Check, state: _State) -> Outcome:
    outcome = Outcome(check.dataset)
    community_ids, rgrid_ids = await _codes(Community), await _codes(ResponsibilityGrid)
    coded = [(row, check.code(row, "code", re.compile(r"^\d{15}$"), "应为 15 位数字（社区 12 位 + 3 位序号）",
                              "expected 15 digits (12-digit community + 3-digit serial)")) for row in rows]
    check.unique(coded, "code")
    out, polygons = [], []
    for row, code in coded:
        geom = check.polygon(row)
        if not code:
            continue
        community = row.values.get("community") or code[:12]
        if community != code[:12] or community not in community_ids:
            check.add(row, "community", f"社区 {community} 不存在或与编码前缀不符",
                      f"Community {community} does not exist or does not match the code's prefix")
            continue
        rgrid = row.values.get("responsibility_grid", "")
        if rgrid and rgrid not in rgrid_ids:
            check.add(row, "responsibility_grid", f"责任网格 {rgrid} 不存在", f"No such responsibility grid: {rgrid}")
        area = check.number(row, "area_m2", default=-1.0)
        if geom is not None:
            if area is None or area < 0:
                area = float(shapely.area(_projected([geom])[0]))
            out.append({"code": code, "community": community_ids[community], "responsibility_grid": rgrid_ids.get(rgrid),
                        "geometry": row.geometry, "area_m2": round(area, 1)})
            polygons.append((row, code, geom))
    mine = {c for _, c, _ in polygons}
    others = [(r["code"], shape(r["geometry"])) for r in await UnitGrid.select(
        UnitGrid.code, UnitGrid.geometry).output(load_json=True) if r["code"] not in mine]
    _overlaps(check, polygons, others, "单元网格/unit grid")
    await _upsert(UnitGrid, outcome, out)
    state.grids_changed = True
    return outcome


async def _area_codes() -> set[str]:
    codes: set[str] = set()
    for table in (District, Street, Community, UnitGrid):
        codes.update(r["code"] for r in await table.select(table.code))
    return codes


def _split(value: str) -> list[str]:
    return [v for v in LIST_SPLIT.split(value) if v]


async def units(rows: list[Row], check: _Check, state: _State) -> Outcome:
    outcome = Outcome(check.dataset)
    areas_known = await _area_codes()
    coded = [(row, check.code(row, "code", CODE, "字母、数字、_.-，至多 32 位", "letters, digits, _.- up to 32"))
             for row in rows]
    check.unique(coded, "code")
    out = []
    for row, code in coded:
        name = check.required(row, "name", 128)
        kind = check.code(row, "kind", KIND, "小写字母和下划线", "lower-case letters and _")
        categories = [c.upper() for c in _split(row.values.get("categories", ""))]
        unknown = [c for c in categories if c != "*" and not state.categories.has(c)]
        if unknown:
            check.add(row, "categories", f"未知的类别代码：{'、'.join(unknown[:10])}",
                      f"Unknown category codes: {', '.join(unknown[:10])}")
        areas = _split(row.values.get("areas", ""))
        missing = [a for a in areas if a not in areas_known]
        if missing:
            check.add(row, "areas", f"区域不存在：{'、'.join(missing[:10])}", f"No such areas: {', '.join(missing[:10])}")
        values = {"code": code, "name": name, "kind": kind, "contact": check.optional(row, "contact", 64),
                  "phone": check.optional(row, "phone", 32), "categories": categories, "areas": areas,
                  "active": check.flag(row, "active")}
        if "name_en" in row.values:  # optional column: a file without it leaves the English names as they are
            values["name_en"] = check.optional(row, "name_en", 128)
        if code and name and kind and not unknown and not missing:
            out.append(values)
    await _upsert(Unit, outcome, out)
    return outcome


async def _grid_index(state: _State) -> GridIndex | None:
    if state.grids_changed:
        rows = await UnitGrid.select(UnitGrid.code, UnitGrid.geometry,
                                     UnitGrid.responsibility_grid.code.as_alias("rgrid")).output(load_json=True)
        state.grid_index = GridIndex.build(
            GeoUnitGrid(code=r["code"], geometry=r["geometry"], responsibility_grid=r["rgrid"] or "") for r in rows
        ) if rows else None
        state.grids_changed = False
    return state.grid_index


async def components(rows: list[Row], check: _Check, state: _State) -> Outcome:
    outcome = Outcome(check.dataset)
    unit_ids, grids = await _codes(Unit), await _grid_index(state)
    coded = [(row, check.code(row, "id", CODE, "字母、数字、_.-，至多 32 位", "letters, digits, _.- up to 32"))
             for row in rows]
    check.unique(coded, "id")
    out = []
    for row, code in coded:
        category = row.values.get("category", "").upper()
        if not state.categories.has(category) or state.categories.get(category).kind != "component":
            check.add(row, "category", f"不是部件类别：{category}", f"Not a component category: {category}")
        if row.geometry is not None:
            coords = row.geometry.get("coordinates") if row.geometry.get("type") == "Point" else None
            ok = isinstance(coords, list) and len(coords) >= 2 and all(isinstance(c, (int, float)) for c in coords[:2])
            lng, lat = (float(coords[0]), float(coords[1])) if ok and coords else (None, None)
            if not ok:
                check.add(row, "geometry", "部件应为点（Point）", "A component must be a Point")
        else:
            lng, lat = check.number(row, "lng"), check.number(row, "lat")
        owners = {}
        for role in ("owner", "maintainer"):
            unit = row.values.get(role, "")
            if unit and unit not in unit_ids:
                check.add(row, role, f"责任单位 {unit} 不存在", f"No such unit: {unit}")
            owners[role] = unit_ids.get(unit)
        if lng is None or lat is None:
            continue
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            check.add(row, "geometry", f"坐标超出范围：{lng}, {lat}", f"Coordinates out of range: {lng}, {lat}")
            continue
        found = grids.locate(lng, lat) if grids is not None else None
        if found is None or isinstance(found, OutsideArea):
            check.add(row, "geometry", "部件不在任何单元网格内", "The component lies outside every unit grid")
            continue
        given = row.values.get("unit_grid", "")
        if given and given != found.unit_grid:
            check.add(row, "unit_grid", f"坐标位于单元网格 {found.unit_grid}，不是 {given}",
                      f"The point lies in unit grid {found.unit_grid}, not {given}")
        out.append({"code": code, "category_code": category, "name": check.optional(row, "name", 128), "lng": lng,
                    "lat": lat, **owners, "unit_grid": found.unit_grid,
                    "status": check.optional(row, "status", 16) or "normal"})
    await _upsert(Component, outcome, out)
    return outcome


def _never_fires(kind: str, prefix: str, area: str, target: str, unit: dict[str, Any] | None, state: _State,
                 areas_known: set[str], units: list[dict[str, Any]]) -> tuple[str, str, str] | None:
    """Why a rule can never fire, as (field, zh, en), or None."""
    codes = [c for c in state.categories.codes if c.startswith(prefix)]
    if not codes:
        return "category_prefix", f"没有以“{prefix}”开头的类别", f"No category code starts with {prefix!r}"
    if kind != "any" and not any(state.categories.get(c).kind == kind for c in codes):
        return "kind", f"以“{prefix}”开头的类别中没有 {kind}", f"No {kind} category starts with {prefix!r}"
    if area and not any(a.startswith(area) for a in areas_known):
        return "area_prefix", f"没有以“{area}”开头的区域编码", f"No area code starts with {area!r}"
    if target in ("owner", "maintainer") and kind == "event":
        return "target", "事件没有权属或养护单位", "Events have no owner or maintainer"
    if target == "unit" and unit is not None and not unit["active"]:
        return "unit", f"单位 {unit['code']} 已停用", f"Unit {unit['code']} is inactive"
    if target == "unit" and unit is None and not any(
            u["active"] and ("*" in u["categories"] or any(c in u["categories"] for c in codes)) for u in units):
        return "target", "没有单位负责这些类别", "No active unit lists any of these categories"
    if target == "street_office" and not any(u["active"] and u["kind"] == "street_office" for u in units):
        return "target", "没有街道办（kind=street_office）单位", "There is no street_office unit"
    return None


async def routing_rules(rows: list[Row], check: _Check, state: _State) -> Outcome:
    outcome = Outcome(check.dataset)
    units = await Unit.select().output(load_json=True)
    by_code = {u["code"]: u for u in units}
    areas_known = await _area_codes()
    out: list[tuple[Row, dict[str, Any]]] = []
    for row in rows:
        name = check.required(row, "name", 128)
        priority = check.number(row, "priority", default=100.0)
        kind = row.values.get("kind", "any") or "any"
        target = row.values.get("target", "")
        if kind not in KINDS:
            check.add(row, "kind", f"kind 应为 {'/'.join(KINDS)}", f"kind must be one of {', '.join(KINDS)}")
        if target not in TARGETS:
            check.add(row, "target", f"target 应为 {'/'.join(TARGETS)}", f"target must be one of {', '.join(TARGETS)}")
        unit_code = row.values.get("unit", "")
        unit = by_code.get(unit_code) if unit_code else None
        if unit_code and unit is None:
            check.add(row, "unit", f"责任单位 {unit_code} 不存在", f"No such unit: {unit_code}")
        elif unit_code and target != "unit":
            check.add(row, "unit", "只有 target 为 unit 的规则可以指定单位", "Only a rule with target 'unit' names a unit")
        prefix, area = row.values.get("category_prefix", "").upper(), row.values.get("area_prefix", "")
        if not re.match(r"^[A-Z0-9]{0,8}$", prefix):
            check.add(row, "category_prefix", "category_prefix 应为至多 8 位字母数字",
                      "category_prefix must be up to 8 letters and digits")
        if not re.match(r"^\d{0,15}$", area):
            check.add(row, "area_prefix", "area_prefix 应为至多 15 位数字", "area_prefix must be up to 15 digits")
        active = check.flag(row, "active")
        if kind in KINDS and target in TARGETS and active and (not unit_code or unit is not None):
            why = _never_fires(kind, prefix, area, target, unit, state, areas_known, units)
            if why:
                check.add(row, why[0], f"规则永远不会生效：{why[1]}", f"The rule can never fire: {why[2]}")
        if priority is not None and priority != int(priority):
            check.add(row, "priority", "priority 应为整数", "priority must be a whole number")
        out.append((row, {"priority": int(priority or 0), "name": name, "kind": kind, "category_prefix": prefix,
                          "area_prefix": area, "target": target, "unit": unit["id"] if unit else None,
                          "active": active, "note": check.optional(row, "note", 500),
                          "updated_at": datetime.now(UTC)}))
    # A rule behind an active one that always resolves (a fixed unit) and covers it entirely is never reached.
    ordered = sorted(out, key=lambda pair: (pair[1]["priority"], pair[0].line))
    active_units = {u["id"] for u in units if u["active"]}
    for i, (row, rule) in enumerate(ordered):
        for earlier_row, earlier in ordered[:i]:
            if (earlier["active"] and earlier["target"] == "unit" and earlier["unit"] in active_units
                    and earlier["kind"] in ("any", rule["kind"])
                    and rule["category_prefix"].startswith(earlier["category_prefix"])
                    and rule["area_prefix"].startswith(earlier["area_prefix"]) and rule["active"]):
                check.add(row, "priority", f"规则永远不会生效：第 {earlier_row.line} 行的规则总是先命中",
                          f"The rule can never fire: the rule on line {earlier_row.line} always fires first")
                break
    outcome.removed = await RoutingRule.count()
    await RoutingRule.delete(force=True)
    if out:
        await RoutingRule.insert(*(RoutingRule(**values) for _, values in out))
    outcome.rows = outcome.added = len(out)
    outcome.added_codes = [f"{v['priority']} {v['name']}" for _, v in out[:AUDIT_LIMIT]]
    return outcome


IMPORTERS: dict[str, Callable[[list[Row], _Check, _State], Awaitable[Outcome]]] = {
    "districts": districts, "streets": streets, "communities": communities,
    "responsibility_grids": responsibility_grids, "unit_grids": unit_grids, "units": units,
    "components": components, "routing_rules": routing_rules,
}


def dataset_of(filename: str) -> str:
    """The dataset a file is named after (``units.csv``, ``unit_grids.geojson``, ``routing-rules.xlsx``), or ""."""
    stem = filename.rsplit("/", 1)[-1].split(".", 1)[0].lower().replace("-", "_")
    return stem if stem in DATASETS else ""


def _unknown_dataset(name: str) -> InvalidInput:
    return InvalidInput(f"未知的数据集：{name}", f"Unknown dataset: {name}", code="org.unknown_dataset",
                        details={"allowed": list(DATASETS)})


async def import_files(engine: Any, categories: Categories, uploads: list[tuple[str, bytes, str]], *,
                       dry_run: bool = False, by_user: int | None = None, by_name: str = "",
                       audit: Callable[[Report], Awaitable[None]] | None = None) -> Report:
    """Check and (unless ``dry_run``) apply ``(dataset, content, filename)`` files in one transaction, with the audit
    entry (``audit``) written in it too.

    Returns the report; a refused import (any problem) changes nothing and its report lists every problem found.
    """
    report = Report()
    tables = []
    for dataset, data, filename in uploads:
        if dataset not in IMPORTERS:
            raise _unknown_dataset(dataset)
        table = files.read_table(data, filename)
        if dataset in GEOMETRY and table.format in ("csv", "xlsx"):
            table.problems.append(Problem(0, "", "此数据集含几何图形，只接受 GeoJSON",
                                          "This dataset has geometry: GeoJSON only"))
            table.rows = []
        report.problems.extend(Problem(p.line, p.field, p.zh, p.en, dataset) for p in table.problems)
        tables.append((dataset, table))
    tables.sort(key=lambda pair: DATASETS.index(pair[0]))
    state = _State(categories)
    try:
        async with write_transaction(engine):
            for dataset, table in tables:
                check = _Check(dataset, report.problems)
                report.outcomes.append(await IMPORTERS[dataset](table.rows, check, state))
            if report.problems or dry_run:
                raise _Rollback
            rows = await OrgImport.insert(OrgImport(
                at=datetime.now(UTC), by_user=by_user, by_name=by_name,
                datasets=[o.dataset for o in report.outcomes],
                summary={o.dataset: o.summary() for o in report.outcomes})).returning(OrgImport.id)
            report.revision = rows[0]["id"]
            report.applied = True
            if audit is not None:
                await audit(report)
    except _Rollback:
        pass
    return report


def audit_details(report: Report) -> dict[str, Any]:
    """What the audit entry of an accepted import records: per dataset the counts and the codes added or changed."""
    return {"revision": report.revision, "datasets": {
        o.dataset: {**o.summary(), "added_codes": o.added_codes, "updated_codes": o.updated_codes}
        for o in report.outcomes}}


def refused(report: Report) -> InvalidInput:
    problems = sorted(report.problems, key=lambda p: (DATASETS.index(p.dataset) if p.dataset in DATASETS else 99,
                                                      p.line))
    return InvalidInput(f"导入被拒绝：{len(problems)} 处错误，未导入任何数据",
                        f"Import refused: {len(problems)} problems, nothing was imported",
                        code="org.import_refused",
                        details={"count": len(problems), "problems": [p.as_dict() for p in problems[:500]]})


# ---------------------------------------------------------------- export


HEADERS = {
    "units": ("code", "name", "kind", "contact", "phone", "categories", "areas", "active", "name_en"),
    "components": ("id", "category", "name", "lng", "lat", "owner", "maintainer", "unit_grid", "status"),
    "routing_rules": ("priority", "name", "kind", "category_prefix", "area_prefix", "target", "unit", "active", "note"),
}


async def _rows(dataset: str) -> list[dict[str, Any]]:
    match dataset:
        case "districts":
            return await District.select(District.code, District.name, District.geometry).order_by(District.code)
        case "streets":
            return await Street.select(Street.code, Street.name, Street.district.code.as_alias("district"),
                                       Street.geometry).order_by(Street.code)
        case "communities":
            return await Community.select(Community.code, Community.name, Community.street.code.as_alias("street"),
                                          Community.geometry).order_by(Community.code)
        case "responsibility_grids":
            return await ResponsibilityGrid.select(
                ResponsibilityGrid.code, ResponsibilityGrid.name,
                ResponsibilityGrid.district.code.as_alias("district"), ResponsibilityGrid.geometry,
            ).order_by(ResponsibilityGrid.code)
        case "unit_grids":
            return await UnitGrid.select(
                UnitGrid.code, UnitGrid.community.code.as_alias("community"),
                UnitGrid.responsibility_grid.code.as_alias("responsibility_grid"), UnitGrid.area_m2, UnitGrid.geometry,
            ).order_by(UnitGrid.code)
        case "units":
            return [{**u, "categories": " ".join(u["categories"] or []), "areas": " ".join(u["areas"] or [])}
                    for u in await Unit.select(*(getattr(Unit, h) for h in HEADERS["units"])).output(load_json=True)
                    .order_by(Unit.code)]
        case "components":
            return await Component.select(
                Component.code.as_alias("id"), Component.category_code.as_alias("category"), Component.name,
                Component.lng, Component.lat, Component.owner.code.as_alias("owner"),
                Component.maintainer.code.as_alias("maintainer"), Component.unit_grid, Component.status,
            ).order_by(Component.code)
        case "routing_rules":
            return await RoutingRule.select(
                RoutingRule.priority, RoutingRule.name, RoutingRule.kind, RoutingRule.category_prefix,
                RoutingRule.area_prefix, RoutingRule.target, RoutingRule.unit.code.as_alias("unit"),
                RoutingRule.active, RoutingRule.note,
            ).order_by(RoutingRule.priority).order_by(RoutingRule.id)
    raise _unknown_dataset(dataset)


def export_formats(dataset: str) -> tuple[str, ...]:
    if dataset in GEOMETRY:
        return ("geojson",)
    return ("csv", "xlsx", "geojson") if dataset == "components" else ("csv", "xlsx")


async def counts() -> dict[str, int]:
    tables = (District, Street, Community, ResponsibilityGrid, UnitGrid, Unit, Component, RoutingRule)
    return {name: await table.count() for name, table in zip(DATASETS, tables)}


async def recent_imports(limit: int = 20) -> list[dict[str, Any]]:
    return await OrgImport.select().output(load_json=True).order_by(OrgImport.id, ascending=False).limit(limit)


async def export(dataset: str, fmt: str) -> bytes:
    """One dataset as a file that ``import_files`` reads back unchanged."""
    if dataset not in IMPORTERS:
        raise _unknown_dataset(dataset)
    if fmt not in export_formats(dataset):
        raise InvalidInput(f"{dataset} 不能导出为 {fmt}", f"{dataset} cannot be exported as {fmt}",
                           code="org.bad_format", details={"allowed": list(export_formats(dataset))})
    rows = await _rows(dataset)
    if fmt == "geojson":
        if dataset == "components":
            return files.write_geojson([({"type": "Point", "coordinates": [r.pop("lng"), r.pop("lat")]}, r)
                                        for r in rows])
        return files.write_geojson([(json.loads(g) if isinstance(g := r.pop("geometry"), str) else g,
                                     {k: v for k, v in r.items() if v is not None}) for r in rows])
    header = HEADERS[dataset]
    table = [[r.get(h) for h in header] for r in rows]
    return files.write_csv(header, table) if fmt == "csv" else files.write_xlsx(dataset, header, table)
