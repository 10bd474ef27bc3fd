"""Organisation services: edit routing rules and units, import surveyed components, and serve boundaries as GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import shapely
from shapely.geometry import shape

from backend.context import AppContext
from backend.errors import Conflict, InvalidInput, NotFound
from backend.org import transfer
from backend.org.schemas import (
    ComponentCollectionIn,
    Feature,
    FeatureCollection,
    ImportOut,
    RuleIn,
    RuleOut,
    UnitIn,
    UnitOut,
)
from backend.org.tables import Community, Component, District, ResponsibilityGrid, RoutingRule, Street, Unit, UnitGrid

MAX_BBOX_DEG2 = 0.0025  # 0.05° × 0.05°: about 5 km × 5.5 km, some 2,800 unit grids
MAX_FEATURES = 5000
Bbox = tuple[float, float, float, float]


# ---------------------------------------------------------------- routing rules


def _rule_out(row: dict[str, Any]) -> RuleOut:
    return RuleOut(id=row["id"], label=f"R{row['id']} {row['name']}", name=row["name"], priority=row["priority"],
                   kind=row["kind"], category_prefix=row["category_prefix"], area_prefix=row["area_prefix"],
                   target=row["target"], unit_id=row["unit"], active=row["active"], note=row["note"])


async def _check_rule(ctx: AppContext, data: RuleIn) -> dict[Any, Any]:
    prefix = data.category_prefix.upper()
    if prefix and not any(code.startswith(prefix) for code in ctx.triage.taxonomy.codes):
        raise InvalidInput(f"没有以“{prefix}”开头的类别代码", f"No category code starts with {prefix!r}",
                           code="routing.unknown_category_prefix")
    if data.target in ("owner", "maintainer") and data.kind == "event":
        raise InvalidInput("事件没有权属或养护单位", "Events have no owner or maintainer: use unit or street_office",
                           code="routing.target_needs_component")
    if data.unit_id is not None:
        if data.target != "unit":
            raise InvalidInput("只有目标为 unit 的规则可以指定单位", "Only a rule with target 'unit' names a unit",
                               code="routing.unit_not_allowed")
        if not await Unit.exists().where(Unit.id == data.unit_id):
            raise InvalidInput(f"责任单位不存在：{data.unit_id}", f"No such unit: {data.unit_id}", code="unit.not_found")
    return {RoutingRule.name: data.name, RoutingRule.priority: data.priority, RoutingRule.kind: data.kind,
            RoutingRule.category_prefix: prefix, RoutingRule.area_prefix: data.area_prefix,
            RoutingRule.target: data.target, RoutingRule.unit: data.unit_id, RoutingRule.active: data.active,
            RoutingRule.note: data.note, RoutingRule.updated_at: datetime.now(UTC)}


async def list_rules() -> list[RuleOut]:
    rows = await RoutingRule.select().order_by(RoutingRule.priority).order_by(RoutingRule.id)
    return [_rule_out(r) for r in rows]


async def _rule(rule_id: int) -> RuleOut:
    row = await RoutingRule.select().where(RoutingRule.id == rule_id).first()
    if row is None:
        raise NotFound(f"路由规则不存在：{rule_id}", f"No such routing rule: {rule_id}", code="routing.rule_not_found")
    return _rule_out(row)


async def create_rule(ctx: AppContext, data: RuleIn) -> RuleOut:
    values = await _check_rule(ctx, data)
    rows = await RoutingRule.insert(RoutingRule({k._meta.name: v for k, v in values.items()})).returning(RoutingRule.id)
    ctx.triage.routing.invalidate()
    return await _rule(rows[0]["id"])


async def update_rule(ctx: AppContext, rule_id: int, data: RuleIn) -> RuleOut:
    await _rule(rule_id)
    await RoutingRule.update(await _check_rule(ctx, data)).where(RoutingRule.id == rule_id)
    ctx.triage.routing.invalidate()
    return await _rule(rule_id)


async def delete_rule(ctx: AppContext, rule_id: int) -> None:
    await _rule(rule_id)
    await RoutingRule.delete().where(RoutingRule.id == rule_id)
    ctx.triage.routing.invalidate()


# ---------------------------------------------------------------- units


def _unit_out(u: dict[str, Any]) -> UnitOut:
    return UnitOut(id=u["id"], code=u["code"], name=u["name"], kind=u["kind"], contact=u["contact"], phone=u["phone"],
                   categories=list(u["categories"] or []), areas=list(u["areas"] or []), active=u["active"],
                   name_en=u.get("name_en") or "")


async def list_units() -> list[UnitOut]:
    return [_unit_out(u) for u in await Unit.select().output(load_json=True).order_by(Unit.code)]


async def _unit(unit_id: int) -> UnitOut:
    row = await Unit.select().output(load_json=True).where(Unit.id == unit_id).first()
    if row is None:
        raise NotFound(f"责任单位不存在：{unit_id}", f"No such unit: {unit_id}", code="unit.not_found")
    return _unit_out(row)


def _unit_values(ctx: AppContext, data: UnitIn) -> dict[Any, Any]:
    unknown = [c for c in data.categories if c != "*" and not ctx.triage.taxonomy.has(c)]
    if unknown:
        raise InvalidInput(f"未知的类别代码：{', '.join(unknown[:10])}", f"Unknown category codes: {unknown[:10]}",
                           code="taxonomy.unknown_code", details={"codes": unknown})
    values = {Unit.code: data.code, Unit.name: data.name, Unit.kind: data.kind, Unit.contact: data.contact,
              Unit.phone: data.phone, Unit.categories: [c.upper() for c in data.categories], Unit.areas: data.areas,
              Unit.active: data.active}
    if data.name_en is not None:
        values[Unit.name_en] = data.name_en.strip()
    return values


async def _code_free(code: str, unit_id: int | None = None) -> None:
    query = Unit.exists().where(Unit.code == code)
    if unit_id is not None:
        query = query.where(Unit.id != unit_id)
    if await query:
        raise Conflict(f"单位代码已存在：{code}", f"Unit code already taken: {code}", code="unit.code_taken")


async def create_unit(ctx: AppContext, data: UnitIn) -> UnitOut:
    values = _unit_values(ctx, data)
    await _code_free(data.code)
    rows = await Unit.insert(Unit({k._meta.name: v for k, v in values.items()})).returning(Unit.id)
    ctx.triage.routing.invalidate()
    return await _unit(rows[0]["id"])


async def update_unit(ctx: AppContext, unit_id: int, data: UnitIn) -> UnitOut:
    await _unit(unit_id)
    values = _unit_values(ctx, data)
    await _code_free(data.code, unit_id)
    await Unit.update(values).where(Unit.id == unit_id)
    ctx.triage.routing.invalidate()
    return await _unit(unit_id)


# ---------------------------------------------------------------- components


async def import_components(ctx: AppContext, data: ComponentCollectionIn, by_user: int, by_name: str,
                            audit: Callable[[transfer.Report], Awaitable[None]]) -> ImportOut:
    """Insert new components and update known ones (by ``id``): the components dataset of the organisation data
    import (backend/org/transfer.py), given as JSON; the whole collection is refused on any bad record."""
    body = msgspec.json.encode(data)
    report = await transfer.import_files(ctx.engine, ctx.triage.taxonomy, [("components", body, "components.geojson")],
                                         by_user=by_user, by_name=by_name, audit=audit)
    if report.problems:
        problems = [p.as_dict() for p in report.problems]
        raise InvalidInput(f"部件数据有 {len(problems)} 处错误", f"{len(problems)} problems in the component data",
                           code="component.bad_data", details={"problems": problems[:50]})
    [outcome] = report.outcomes
    ctx.triage.components.signature = (-1, -1, "")  # updated rows do not move the signature: force a reload here
    await ctx.triage.refresh()
    # Every known id counts as updated, changed or not (what this endpoint has always answered).
    return ImportOut(added=outcome.added, updated=outcome.rows - outcome.added)


async def components_geojson(bbox: Bbox | None) -> FeatureCollection:
    query = Component.select(*Component.all_columns(), Component.owner._.code.as_alias("owner_code"),
                             Component.maintainer._.code.as_alias("maintainer_code")).order_by(Component.code)
    if bbox:
        w, s, e, n = bbox
        query = query.where((Component.lng >= w) & (Component.lng <= e) & (Component.lat >= s) & (Component.lat <= n))
    rows = await query.limit(MAX_FEATURES + 1)
    features = [Feature({"type": "Point", "coordinates": [r["lng"], r["lat"]]},
                        {"id": r["code"], "category": r["category_code"], "name": r["name"], "owner": r["owner_code"],
                         "maintainer": r["maintainer_code"], "unit_grid": r["unit_grid"], "status": r["status"]})
                for r in rows[:MAX_FEATURES]]
    return FeatureCollection(features, truncated=len(rows) > MAX_FEATURES)


# ---------------------------------------------------------------- boundaries


def parse_bbox(raw: str | None, required: bool) -> Bbox | None:
    if not raw:
        if required:
            raise InvalidInput("请提供 bbox=西,南,东,北", "bbox=w,s,e,n is required", code="org.bbox_required")
        return None
    try:
        w, s, e, n = (float(x) for x in raw.split(","))
    except ValueError:
        raise InvalidInput("bbox 格式应为 西,南,东,北", "bbox must be w,s,e,n in degrees", code="org.bad_bbox") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise InvalidInput("bbox 范围无效", "bbox must satisfy w < e and s < n within WGS-84", code="org.bad_bbox")
    if (e - w) * (n - s) > MAX_BBOX_DEG2:
        raise InvalidInput("查询范围过大，请放大地图", "The bbox is too large: zoom in",
                           code="org.bbox_too_large", details={"max_deg2": MAX_BBOX_DEG2})
    return w, s, e, n


def _geometry(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


async def boundaries(level: str) -> FeatureCollection:
    tables: dict[str, tuple[Any, tuple[Any, ...]]] = {
        "districts": (District, ()),
        "streets": (Street, (Street.district.code.as_alias("district"),)),
        "communities": (Community, (Community.street.code.as_alias("street"),)),
        "responsibility-grids": (ResponsibilityGrid, (ResponsibilityGrid.district.code.as_alias("district"),)),
    }
    table, parents = tables[level]
    rows = await table.select(table.code, table.name, table.geometry, *parents).order_by(table.code)
    return FeatureCollection([
        Feature(_geometry(r.pop("geometry")), r) for r in rows
    ])


async def unit_grids(ctx: AppContext, bbox: Bbox) -> FeatureCollection:
    await ctx.triage.refresh()  # an organisation import in any process moves the revision the cache is kept for
    revision, cache = ctx.extras.get("unit_grid_features", (None, None))
    if cache is None or revision != ctx.triage.org_revision:
        rows = await UnitGrid.select(UnitGrid.code, UnitGrid.geometry, UnitGrid.area_m2,
                                     UnitGrid.responsibility_grid.code.as_alias("responsibility_grid"),
                                     ).order_by(UnitGrid.code)
        geoms = [_geometry(r.pop("geometry")) for r in rows]
        bounds = shapely.bounds([shape(g) for g in geoms]) if geoms else []
        cache = [(tuple(b), Feature(g, r)) for b, g, r in zip(bounds, geoms, rows)]
        ctx.extras["unit_grid_features"] = (ctx.triage.org_revision, cache)
    w, s, e, n = bbox
    hits = [f for (minx, miny, maxx, maxy), f in cache if minx <= e and maxx >= w and miny <= n and maxy >= s]
    return FeatureCollection(hits[:MAX_FEATURES], truncated=len(hits) > MAX_FEATURES)
