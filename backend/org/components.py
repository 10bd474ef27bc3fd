"""Surveyed components for the admin console: a filtered list, and moving one point (the survey had it wrong)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.context import AppContext
from backend.errors import InvalidInput, NotFound
from backend.geo import OutsideArea, check_coordinates
from backend.org.tables import Component, ResponsibilityGrid, UnitGrid

LIST_LIMIT = 500


def _out(r: dict[str, Any]) -> dict[str, Any]:
    return {"code": r["code"], "category": r["category_code"], "name": r["name"], "lng": r["lng"], "lat": r["lat"],
            "owner": r["owner_name"] or "", "maintainer": r["maintainer_name"] or "", "unit_grid": r["unit_grid"],
            "status": r["status"], "moved_at": r["moved_at"].isoformat() if r["moved_at"] else None}


def _query() -> Any:
    return Component.select(Component.code, Component.category_code, Component.name, Component.lng, Component.lat,
                            Component.unit_grid, Component.status, Component.moved_at,
                            Component.owner.name.as_alias("owner_name"),
                            Component.maintainer.name.as_alias("maintainer_name"))


async def search(category: str = "", grid: str = "", limit: int = LIST_LIMIT) -> tuple[list[dict[str, Any]], int]:
    """Components of a 小类 (or 大类 prefix) within a responsibility grid (its code) or an area (a unit-grid code
    prefix: district, street, community); the first ``limit`` by code, and how many match in all."""
    query, count = _query(), Component.count()
    conditions = []
    if category:
        if not category.isalnum():
            raise InvalidInput("类别代码只能包含字母和数字", "A category code has letters and digits only",
                               code="taxonomy.unknown_code", details={"code": category})
        conditions.append(Component.category_code.like(f"{category.upper()}%"))
    if grid:
        if await ResponsibilityGrid.exists().where(ResponsibilityGrid.code == grid):
            codes = [r["code"] for r in await UnitGrid.select(UnitGrid.code).where(
                UnitGrid.responsibility_grid.code == grid)]
            conditions.append(Component.unit_grid.is_in(codes or ["-"]))
        elif grid.isdigit():
            conditions.append(Component.unit_grid.like(f"{grid}%"))
        else:
            raise InvalidInput(f"没有这个网格或区域：{grid}", f"No such grid or area: {grid}", code="grid.not_found")
    for c in conditions:
        query, count = query.where(c), count.where(c)
    rows = await query.order_by(Component.code).limit(limit)
    return [_out(r) for r in rows], await count


async def get(code: str) -> dict[str, Any]:
    row = await _query().where(Component.code == code).first()
    if row is None:
        raise NotFound(f"部件不存在：{code}", f"No such component: {code}", code="component.not_found")
    return _out(row)


async def move(ctx: AppContext, code: str, lng: float, lat: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put the component at (lng, lat), with the unit grid found there; (before, after). A point outside every grid
    is refused: routing and snapping need the grid."""
    before = await get(code)
    check_coordinates(lng, lat)
    grids = ctx.triage.grids
    unit_grid = before["unit_grid"]
    if grids is not None and len(grids) > 0:
        found = grids.locate(lng, lat)
        if isinstance(found, OutsideArea):
            raise InvalidInput(f"新位置不在任何单元网格内（距最近网格 {found.distance_m:.0f} 米）",
                               f"The new point is outside every unit grid ({found.distance_m:.0f} m away)",
                               code="component.outside_grids", details={"nearest": found.nearest_unit_grid})
        unit_grid = found.unit_grid
    await Component.update({Component.lng: lng, Component.lat: lat, Component.unit_grid: unit_grid,
                            Component.moved_at: datetime.now(UTC)}).where(Component.code == code)
    await ctx.triage.refresh()  # this process snaps to the new point at once; the others see moved_at change
    return before, await get(code)
