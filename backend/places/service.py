"""Load the gazetteer from the org tables and the city folder's roads and landmarks; the demo base map's layers."""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from pathlib import Path

from backend import places as places_module
from backend.context import AppContext
from backend.errors import Unavailable
from backend.geo import GridIndex
from backend.org.loader import DEMO_CITY
from backend.org.tables import Community, Component, District, ResponsibilityGrid, Street, UnitGrid
from backend.places.gazetteer import Places, read_features
from backend.settings import Settings

LAYERS = ("roads", "landmarks")  # the city folder's files that only the base map and the gazetteer read


def city_folder(settings: Settings) -> Path:
    return Path(settings.city_path) if settings.city_path else DEMO_CITY


async def get_places(ctx: AppContext) -> Places:
    """This process's gazetteer, loaded on first use (about half a second for the demo city, so an app that never
    names a place never pays for it) and installed for ``backend.places.describe``."""
    found: Places | None = ctx.extras.get("places")
    if found is not None:
        return found
    lock = ctx.extras.setdefault("places_lock", asyncio.Lock())
    async with lock:
        found = ctx.extras.get("places")
        if found is None:
            found = await load_places(ctx.settings, getattr(ctx.triage, "grids", None))
            if found is None:
                raise Unavailable("尚未载入城市数据，无法查询地名", "No city is loaded: place names are unavailable",
                                  code="places.no_city", retry_after=60)
            ctx.extras["places"] = found
            places_module.install(found)
    return found


async def load_places(settings: Settings, grids: GridIndex | None = None) -> Places | None:
    """The gazetteer of the city in the database; ``None`` before a city is loaded (no unit grids)."""
    rows = await UnitGrid.select(UnitGrid.code, UnitGrid.geometry,
                                 UnitGrid.responsibility_grid.code.as_alias("responsibility_grid"),
                                 ).output(load_json=True)
    if not rows:
        return None
    districts = await District.select(District.code, District.name, District.geometry).output(load_json=True)
    streets = await Street.select(Street.code, Street.name, Street.geometry).output(load_json=True)
    communities = await Community.select(Community.code, Community.name, Community.geometry).output(load_json=True)
    rgrids = await ResponsibilityGrid.select(
        ResponsibilityGrid.code, ResponsibilityGrid.name, ResponsibilityGrid.geometry,
    ).output(load_json=True)
    # A responsibility grid's street is its unit grids' (they all lie in one street).
    street_of = {g["responsibility_grid"]: g["code"][:9] for g in rows if g["responsibility_grid"]}
    for r in rgrids:
        r["street"] = street_of.get(r["code"], "")
    components = await Component.select(Component.code, Component.name, Component.lng, Component.lat)
    folder = city_folder(settings)
    # Building takes a few hundred milliseconds of CPU: off the event loop.
    return await asyncio.to_thread(Places.build, districts, streets, communities, rows, rgrids, components,
                                   read_features(folder / "roads.geojson"), read_features(folder / "landmarks.geojson"),
                                   grids)


def layer_bytes(settings: Settings, name: str) -> bytes:
    """A base-map layer file of the city folder as GeoJSON bytes (an empty collection when the city has none)."""
    assert name in LAYERS
    return _layer(city_folder(settings) / f"{name}.geojson")


@lru_cache(maxsize=8)
def _layer(path: Path) -> bytes:
    if not path.exists():
        return b'{"type":"FeatureCollection","features":[]}'
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False,
                      separators=(",", ":")).encode()

