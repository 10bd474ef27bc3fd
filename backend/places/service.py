"""Load the gazetteer from the org tables and the city folder's roads and landmarks; the demo base map's layers."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend import places as places_module
from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.cases.access import can_see
from backend.cases.tables import Case
from backend.context import AppContext, PlaceNames
from backend.errors import Unavailable
from backend.geo import GridIndex
from backend.org.loader import DEMO_CITY
from backend.org.tables import Community, Component, District, ResponsibilityGrid, Street, UnitGrid
from backend.places.gazetteer import Hit, Place, Places, read_features
from backend.settings import Settings

log = logging.getLogger("suishoupai.places")

LAYERS = ("roads", "landmarks")  # the city folder's files that only the base map and the gazetteer read


def city_folder(settings: Settings) -> Path:
    return Path(settings.city_path) if settings.city_path else DEMO_CITY


# This process's gazetteers by the signature of the city they were built from. Building one costs about half a second
# of CPU: every app built in the process (a server builds one; the tests build hundreds, each on a copy of the same
# city) shares it. Built under a thread lock, so two apps starting together build it once.
_SHARED: dict[str, Places] = {}
_SHARED_MAX = 4
_BUILD_LOCK = threading.Lock()
RECHECK_SECONDS = 60.0  # how often an app asks whether its city changed (a component import adds places)

# Everything the gazetteer reads from the database, cheaply: names and geometry sizes of the areas, the components,
# and an aggregate of the unit grids (thousands of polygons: their count, last id and total geometry size).
_SIGNATURE_SQL = " UNION ALL ".join([
    *(f"SELECT '{t}' AS k, code, name, length(CAST(geometry AS TEXT)) AS n, 0.0 AS x, 0.0 AS y FROM {t}"
      for t in ("district", "street", "community", "responsibility_grid")),
    "SELECT 'component', code, name, 0, lng, lat FROM component",
    ("SELECT 'unit_grid', CAST(count(*) AS VARCHAR), CAST(coalesce(max(id), 0) AS VARCHAR), "
     "coalesce(sum(length(CAST(geometry AS TEXT)) + coalesce(responsibility_grid, 0)), 0), 0.0, 0.0 FROM unit_grid"),
])


class _AppPlaces:
    """One app's view of the shared gazetteer: which one it uses and when it last checked the city."""

    def __init__(self) -> None:
        self.places: Places | None = None
        self.checked = 0.0
        self.lock = asyncio.Lock()


async def get_places(ctx: AppContext) -> Places:
    """This app's gazetteer: the process's shared one for the city in the database (loaded at start by ``preload``,
    or here on first use), checked again for changes every RECHECK_SECONDS. Also installed for
    ``backend.places.describe``."""
    state: _AppPlaces = ctx.extras.setdefault("places_state", _AppPlaces())
    if state.places is not None and time.monotonic() - state.checked < RECHECK_SECONDS:
        return state.places
    async with state.lock:
        if state.places is None or time.monotonic() - state.checked >= RECHECK_SECONDS:
            found = await shared_places(ctx.settings, getattr(ctx.triage, "grids", None))
            if found is None:
                raise Unavailable("尚未载入城市数据，无法查询地名", "No city is loaded: place names are unavailable",
                                  code="places.no_city", retry_after=60)
            state.places, state.checked = found, time.monotonic()
            places_module.install(found)
    return state.places


def preload(ctx: AppContext) -> asyncio.Task[None]:
    """Load the gazetteer in the background as the app starts, so the first report does not wait for it (the app's
    lifespan cancels the task when it stops). A failure here is logged; the first use tries again."""

    async def load() -> None:
        try:
            await get_places(ctx)
        except Unavailable:
            pass  # no city loaded yet
        except Exception:
            log.warning("could not preload the gazetteer; the first place lookup will try again", exc_info=True)

    return asyncio.create_task(load(), name="places-preload")


def place_names(ctx: AppContext) -> PlaceNames:
    """The gazetteer as the cases domain asks it: a point's address to store with a new case (None without a city)."""

    async def describe(lat: float, lng: float) -> dict[str, Any] | None:
        # Called inside the new case's transaction: the gazetteer the app has, never a recheck or rebuild there
        # (only the very first use, when the background preload has not finished, waits for it).
        state: _AppPlaces | None = ctx.extras.get("places_state")
        found = state.places if state is not None else None
        if found is None:
            try:
                found = await get_places(ctx)
            except Unavailable:
                return None
        return found.describe(lat, lng).as_dict()

    return PlaceNames(describe)


async def city_signature(settings: Settings) -> str:
    """A digest of what the gazetteer is built from: the org tables and the city folder's road and landmark files."""
    rows = await UnitGrid.raw(_SIGNATURE_SQL)
    folder = city_folder(settings)
    files = [(name, p.stat().st_size, p.stat().st_mtime_ns) for name in LAYERS
             if (p := folder / f"{name}.geojson").exists()]
    text = repr((sorted(tuple(map(str, r.values())) for r in rows), str(folder), files))
    return hashlib.sha256(text.encode()).hexdigest()


async def shared_places(settings: Settings, grids: GridIndex | None = None) -> Places | None:
    """The process's gazetteer of the city in the database, built if no app in this process has built it yet."""
    signature = await city_signature(settings)
    found = _SHARED.get(signature)
    if found is not None:
        return found
    args = await _read_city(settings)
    if args is None:
        return None

    def build() -> Places:
        with _BUILD_LOCK:
            ready = _SHARED.get(signature)
            if ready is None:
                ready = Places.build(*args, grids=grids)
                while len(_SHARED) >= _SHARED_MAX:
                    _SHARED.pop(next(iter(_SHARED)))
                _SHARED[signature] = ready
            return ready

    # Building takes a few hundred milliseconds of CPU: off the event loop.
    return await asyncio.to_thread(build)


async def load_places(settings: Settings, grids: GridIndex | None = None) -> Places | None:
    """A new gazetteer of the city in the database (not shared); ``None`` before a city is loaded (no unit grids)."""
    args = await _read_city(settings)
    return None if args is None else await asyncio.to_thread(Places.build, *args, grids=grids)


# Places.build's arguments but ``grids``: districts … components from the database, roads and landmarks from files.
_CityRows = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]],
                  list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


async def _read_city(settings: Settings) -> _CityRows | None:
    """``Places.build``'s arguments from the database and the city folder; None with no unit grids."""
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
    return (districts, streets, communities, rows, rgrids, components, read_features(folder / "roads.geojson"),
            read_features(folder / "landmarks.geojson"))


TRACKING_QUERY = re.compile(r"^SSP\d{0,14}$")


async def case_hits(actor: Actor, query: str, limit: int) -> list[Hit]:
    """Staff's cases whose tracking number begins with ``query`` (SSP2026…), as places to go to: the gazetteer's
    search finds a case by its number for those who may see it. Citizens look up their own reports elsewhere."""
    q = query.strip().upper()
    if actor.role is Role.CITIZEN or not TRACKING_QUERY.match(q) or len(q) < 5:
        return []
    rows = await Case.objects().where(Case.tracking_no.like(q + "%")).order_by(Case.id, ascending=False).limit(50)
    found = [c for c in rows if can_see(actor, c)][:limit]
    return [Hit(Place("case", c.tracking_no, f"{c.tracking_no} {c.category_name}".strip(), c.lng, c.lat,
                      c.place_text), 100.0 if c.tracking_no == q else 95.0) for c in found]


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

