"""Aggregations over cases for the command centre; timer lights are computed now, never read from a stale column."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from backend.cases import clock
from backend.cases.lifecycle import OPEN_STATES, STATE_NAMES, WITH_UNIT, State
from backend.cases.names import category_name_en
from backend.cases.tables import Case
from backend.org.tables import Unit
from backend.settings import Settings
from backend.stats.schemas import BoardCase, Heatmap, LightCounts, MapCase, MapCases, OverdueBoard

MAP_LIMIT = 5000
HEAT_BIN_DEGREES = 0.001  # about 100 m at Loudi's latitude
Box = tuple[float, float, float, float]


async def _unit_names() -> dict[int, str]:
    return {r["id"]: r["name"] for r in await Unit.select(Unit.id, Unit.name)}


async def _unit_names_en() -> dict[int, str]:
    """Unit id → English name, its Chinese name when it has none."""
    return {r["id"]: r["name_en"] or r["name"] for r in await Unit.select(Unit.id, Unit.name, Unit.name_en)}


def _in_box(box: Box) -> Any:
    w, s, e, n = box
    return (Case.lng >= w) & (Case.lng <= e) & (Case.lat >= s) & (Case.lat <= n)


async def open_cases(settings: Settings, box: Box | None, category: str | None) -> MapCases:
    query = Case.objects().output(load_json=True).where(Case.state.is_in([s.value for s in OPEN_STATES]))
    if box:
        query = query.where(_in_box(box))
    if category:
        query = query.where(Case.category_code.like(category + "%"))
    rows = await query.order_by(Case.id, ascending=False).limit(MAP_LIMIT + 1)
    names, names_en = await _unit_names(), await _unit_names_en()
    items = []
    for case in rows[:MAP_LIMIT]:
        zh, en = STATE_NAMES[State(case.state)]
        light = clock.light_of(settings, case) if State(case.state) in WITH_UNIT else "green"
        items.append(MapCase(
            id=case.id, tracking_no=case.tracking_no, state=case.state, state_zh=zh, state_en=en, light=light,
            lng=case.lng, lat=case.lat, category_code=case.category_code, category_name=case.category_name,
            responsibility_grid=case.responsibility_grid, unit_name=names.get(case.unit or 0, ""),
            category_name_en=category_name_en(case.category_code, case.category_name),
            unit_name_en=names_en.get(case.unit or 0, ""),
        ))
    return MapCases(items=items, total=len(items), truncated=len(rows) > MAP_LIMIT)


async def overdue_board(settings: Settings, unit_id: int | None) -> OverdueBoard:
    query = Case.objects().output(load_json=True).where(Case.state.is_in([s.value for s in WITH_UNIT]))
    if unit_id:
        query = query.where(Case.unit == unit_id)
    names, names_en = await _unit_names(), await _unit_names_en()
    counts = Counter[str]()
    items = []
    for case in await query:
        timer = clock.timer(settings, case)
        light = timer.light if timer else "green"
        counts[light] += 1
        if light == "green":
            continue
        zh, en = STATE_NAMES[State(case.state)]
        items.append(BoardCase(
            id=case.id, tracking_no=case.tracking_no, state=case.state, state_zh=zh, state_en=en, light=light,
            category_name=case.category_name, unit_id=case.unit, unit_name=names.get(case.unit or 0, ""),
            address=case.address, due_at=case.due_at,
            time_left_seconds=timer.remaining.total_seconds() if timer else None, lng=case.lng, lat=case.lat,
            category_name_en=category_name_en(case.category_code, case.category_name),
            unit_name_en=names_en.get(case.unit or 0, ""),
        ))
    items.sort(key=lambda c: c.time_left_seconds if c.time_left_seconds is not None else 0.0)
    return OverdueBoard(counts=LightCounts(**{k: counts[k] for k in ("green", "yellow", "red")}), items=items)


HEAT_CELL_PX = 16  # a heat cell is about this many screen pixels wide at the zoom asked for
HEAT_LIMIT = 5000


def heat_cell(zoom: int | None) -> float:
    """The cell's side in degrees: ~100 m without a zoom, else ``HEAT_CELL_PX`` pixels of a 256-px Web-Mercator tile."""
    if zoom is None:
        return HEAT_BIN_DEGREES
    return 360 / (256 * 2.0**zoom) * HEAT_CELL_PX


async def heatmap(category: str | None, start: datetime | None, end: datetime | None, zoom: int | None = None,
                  box: Box | None = None) -> Heatmap:
    """Every case reported in the range (voided and duplicates left out: they are not real problems), binned in SQL.

    Each bin is placed at its cases' mean position, so a point sits on its cases at any zoom; the densest
    ``HEAT_LIMIT`` bins are returned (a city-wide view at street zoom would otherwise send every case).
    """
    cell = heat_cell(zoom)
    where = ["state NOT IN ({}, {})"]
    args: list[object] = [State.VOIDED.value, State.DUPLICATE.value]
    if category:
        where.append("category_code LIKE {}")
        args.append(category + "%")
    if start:
        where.append("created_at >= {}")
        args.append(start)
    if end:
        where.append("created_at < {}")
        args.append(end)
    if box:
        where.append("lng >= {} AND lng <= {} AND lat >= {} AND lat <= {}")
        args += [box[0], box[2], box[1], box[3]]
    rows = await Case.raw(
        f'SELECT AVG(lng) AS x, AVG(lat) AS y, COUNT(*) AS n FROM "case" WHERE {" AND ".join(where)} '
        f"GROUP BY ROUND(lng / {cell!r}), ROUND(lat / {cell!r}) ORDER BY n DESC", *args)
    points = [(round(float(r["x"]), 6), round(float(r["y"]), 6), int(r["n"])) for r in rows[:HEAT_LIMIT]]
    return Heatmap(points=points, total=sum(int(r["n"]) for r in rows), max_weight=points[0][2] if points else 0,
                   cell_degrees=cell, truncated=len(rows) > HEAT_LIMIT)
