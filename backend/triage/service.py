"""Triage of a new case: classify, locate, route, set its time limit — run as a durable job after each report."""

from __future__ import annotations

import logging
from typing import Any

from backend.cases.tables import Case
from backend.errors import InvalidInput
from backend.org.tables import UnitGrid
from backend.settings import Settings
from backend.triage.geo import GridIndex, OutsideArea, check_coordinates
from backend.triage.geo import UnitGrid as GeoUnitGrid
from backend.triage.taxonomy import Category, Taxonomy, load_taxonomy

log = logging.getLogger("suishoupai.triage")

# Further than this from every grid, a point is not in this city at all: refused, not flagged.
OUTSIDE_CITY_M = 3000.0


class Triage:
    """Loaded once per process: the taxonomy, the grid index and the classifier."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy, grids: GridIndex | None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy
        self.grids = grids

    @classmethod
    async def load(cls, settings: Settings) -> Triage:
        taxonomy = load_taxonomy(settings.taxonomy_path or None)
        return cls(settings, taxonomy, await load_grid_index())

    async def reload_grids(self) -> None:
        self.grids = await load_grid_index()

    # -- validation used on the request path -------------------------------------------------------------

    def category(self, code: str) -> Category:
        return self.taxonomy.get(code)

    def check_menu(self, menu: str) -> None:
        self.taxonomy.menu_item(menu)

    def check_location(self, lng: float, lat: float) -> list[str]:
        """Flags for a report's point; a point far away from the city is refused."""
        check_coordinates(lng, lat)
        if self.grids is None or len(self.grids) == 0:
            return []
        found = self.grids.locate(lng, lat)
        if isinstance(found, OutsideArea):
            if found.distance_m > OUTSIDE_CITY_M:
                raise InvalidInput(
                    f"位置不在本市服务范围内（距最近网格 {found.distance_m / 1000:.1f} 公里）",
                    f"The location is outside the city's service area ({found.distance_m / 1000:.1f} km away)",
                    code="location.outside_city",
                    details={"nearest_unit_grid": found.nearest_unit_grid, "distance_m": round(found.distance_m)},
                )
            return ["outside_area"]
        return []

    # -- the job -------------------------------------------------------------------------------------------

    def locate_fields(self, lng: float, lat: float) -> dict[str, Any]:
        if self.grids is None or len(self.grids) == 0:
            return {}
        found = self.grids.locate(lng, lat)
        loc = found.nearest if isinstance(found, OutsideArea) else found
        return {
            Case.unit_grid: loc.unit_grid,
            Case.community: loc.community,
            Case.street: loc.street,
            Case.district: loc.district,
            Case.responsibility_grid: loc.responsibility_grid,
        }

    def category_fields(self, category: Category, standard_index: int = 0) -> dict[Any, Any]:
        standard = category.standards[min(standard_index, len(category.standards) - 1)]
        return {
            Case.category_code: category.code,
            Case.category_name: category.name,
            Case.category_kind: category.kind,
            Case.standard_index: standard_index,
            Case.urgent: standard.urgent,
            Case.time_limit: standard.time_limit.raw,
        }


async def load_grid_index() -> GridIndex | None:
    rows = await UnitGrid.select(
        UnitGrid.code,
        UnitGrid.geometry,
        UnitGrid.responsibility_grid.code.as_alias("rgrid"),
    ).output(load_json=True)
    if not rows:
        return None
    return GridIndex.build(
        GeoUnitGrid(code=r["code"], geometry=r["geometry"], responsibility_grid=r["rgrid"] or "") for r in rows
    )

