"""Load a city's organisation data (districts … unit grids, units, components) from its data folder, idempotently."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from piccolo.table import Table

from backend.org.tables import Community, Component, District, ResponsibilityGrid, Street, Unit, UnitGrid

DEMO_CITY = Path(__file__).resolve().parent.parent / "demo" / "data" / "loudi"
BATCH = 500

Progress = Callable[[str, int, int], None]


def _features(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return list(json.load(f)["features"])


async def _existing_codes(table: type[Table], column: Any) -> set[str]:
    return {r[column._meta.name] for r in await table.select(column)}


async def _ids(table: type[Table], column: Any) -> dict[str, int]:
    return {r[column._meta.name]: r["id"] for r in await table.select(table.id, column)}  # type: ignore[attr-defined]


async def _insert_missing(
    table: type[Table], rows: list[dict[str, Any]], key: str, progress: Progress, label: str
) -> int:
    column = getattr(table, key)
    existing = await _existing_codes(table, column)
    todo = [r for r in rows if r[key] not in existing]
    for start in range(0, len(todo), BATCH):
        await table.insert(*(table(**r) for r in todo[start : start + BATCH]))
        progress(label, min(start + BATCH, len(todo)), len(todo))
    if not todo:
        progress(label, 0, 0)
    return len(todo)


async def load_city(folder: Path = DEMO_CITY, progress: Progress | None = None) -> dict[str, int]:
    """Insert what is missing; rows already present (by code) are left as they are, so a rerun changes nothing."""
    report = progress or (lambda label, done, total: None)
    added: dict[str, int] = {}
    districts = [
        {"code": f["properties"]["code"], "name": f["properties"]["name"], "geometry": f["geometry"]}
        for f in _features(folder / "districts.geojson")
    ]
    added["districts"] = await _insert_missing(District, districts, "code", report, "districts 区")
    district_ids = await _ids(District, District.code)

    streets = [
        {"code": p["code"], "name": p["name"], "district": district_ids[p["district"]], "geometry": f["geometry"]}
        for f in _features(folder / "streets.geojson")
        for p in [f["properties"]]
    ]
    added["streets"] = await _insert_missing(Street, streets, "code", report, "streets 街道")
    street_ids = await _ids(Street, Street.code)

    communities = [
        {"code": p["code"], "name": p["name"], "street": street_ids[p["street"]], "geometry": f["geometry"]}
        for f in _features(folder / "communities.geojson")
        for p in [f["properties"]]
    ]
    added["communities"] = await _insert_missing(Community, communities, "code", report, "communities 社区")
    community_ids = await _ids(Community, Community.code)

    rgrids = [
        {"code": p["code"], "name": p["name"], "district": district_ids.get(p.get("district", "")),
         "geometry": f["geometry"]}
        for f in _features(folder / "responsibility_grids.geojson")
        for p in [f["properties"]]
    ]
    added["responsibility_grids"] = await _insert_missing(
        ResponsibilityGrid, rgrids, "code", report, "responsibility grids 责任网格"
    )
    rgrid_ids = await _ids(ResponsibilityGrid, ResponsibilityGrid.code)

    unit_grids = [
        {"code": p["code"], "community": community_ids[p["community"]],
         "responsibility_grid": rgrid_ids.get(p.get("responsibility_grid", "")), "geometry": f["geometry"],
         "area_m2": float(p.get("area_m2", 0.0))}
        for f in _features(folder / "unit_grids.geojson")
        for p in [f["properties"]]
    ]
    added["unit_grids"] = await _insert_missing(UnitGrid, unit_grids, "code", report, "unit grids 单元网格")

    with (folder / "units.json").open(encoding="utf-8") as f:
        units = [
            {"code": u["code"], "name": u["name"], "name_en": u.get("name_en", ""), "kind": u["kind"],
             "contact": u.get("contact", ""),
             "phone": u.get("phone", ""), "categories": u.get("categories", []), "areas": u.get("areas", [])}
            for u in json.load(f)["units"]
        ]
    added["units"] = await _insert_missing(Unit, units, "code", report, "units 责任单位")
    unit_ids = await _ids(Unit, Unit.code)

    components = [
        {"code": p["id"], "category_code": p["category"], "name": p.get("name", ""),
         "lng": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1],
         "owner": unit_ids.get(p.get("owner", "")), "maintainer": unit_ids.get(p.get("maintainer", "")),
         "unit_grid": p.get("unit_grid", "")}
        for f in _features(folder / "components.geojson")
        for p in [f["properties"]]
    ]
    added["components"] = await _insert_missing(Component, components, "code", report, "components 部件")
    return added
