"""Triage of a new case: classify, locate, snap to a surveyed component, route — the steps the triage job runs.

``Triage`` is loaded once per process and holds what these steps read: the taxonomy, the unit-grid index, the index of
surveyed components, the text classifier (optional: without it only trusted codes classify) and the routing rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.cases.names import register_category_names_en
from backend.cases.tables import Case
from backend.errors import InvalidInput
from backend.geo import Component, ComponentIndex, GridIndex, OutsideArea, check_coordinates
from backend.geo import UnitGrid as GeoUnitGrid
from backend.instruments import CLASSIFY_SECONDS
from backend.org import runtime
from backend.org.tables import Component as ComponentRow
from backend.org.tables import UnitGrid
from backend.settings import Settings
from backend.triage.learning import model_path
from backend.triage.routing import Decision, Place, RouterCache, Trial
from backend.triage.taxonomy import Category, Taxonomy, load_taxonomy

log = logging.getLogger("suishoupai.triage")

# Further than this from every grid, a point is not in this city at all: refused, not flagged.
OUTSIDE_CITY_M = 3000.0
NEARBY_COMPONENT_M = 30.0  # components this close are a hint to the classifier
ADVERT_NAME = "非法小广告"
PHONE_ADVERT_SCORE = 0.6  # a phone number read from a photo, as the photo's score for 非法小广告


@dataclass(frozen=True)
class Classification:
    """What classification decided: the category (None: an operator must choose) and what to store on the case."""

    category: Category | None
    standard_index: int
    confidence: float
    suggestions: list[dict[str, Any]]
    version: str
    error: str = ""
    urgent: bool = False  # from the whole suggestion list: the right urgent 小类 may be ranked second


@dataclass(frozen=True)
class Snap:
    component_id: int
    code: str
    distance_m: float
    owner_id: int | None
    maintainer_id: int | None


@dataclass
class ComponentCatalogue:
    index: ComponentIndex | None = None
    rows: dict[str, tuple[int, int | None, int | None]] = field(default_factory=dict)  # code → (id, owner, maintainer)
    signature: tuple[Any, ...] = (0, 0, "")


def _load_classifier(taxonomy: Taxonomy, model: Path | None = None) -> Any:
    """The text classifier when its module is present and loads; triage works without it."""
    try:
        from backend.triage.classifier import Classifier

        return Classifier.load(taxonomy, model)
    except Exception:  # an absent or broken model degrades to manual classification, loudly
        log.exception("text classifier unavailable: citizen reports will wait for an operator to classify them")
        return None


class Triage:
    """Loaded once per process: the taxonomy, the grid index, the component index, the classifier and the router."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy, grids: GridIndex | None, classifier: Any = None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy
        register_category_names_en({c.code: c.name_en for c in taxonomy.categories})
        self.grids = grids
        self.classifier = classifier
        self.components = ComponentCatalogue()
        self.routing = RouterCache()
        self.rules_signature: tuple[int, str] = (0, "")  # as last read by refresh()
        self.org_revision: int | None = None  # the newest organisation import (org/transfer.py) this process loaded
        self.config_stamp: tuple[Any, ...] = ()  # the city's settings and category changes, as last read by refresh()

    @classmethod
    async def load(cls, settings: Settings, with_classifier: bool = True) -> Triage:
        taxonomy = load_taxonomy(settings.taxonomy_path or None)
        classifier = _load_classifier(taxonomy, model_path(settings)) if with_classifier else None
        triage = cls(settings, taxonomy, await load_grid_index(), classifier)
        await triage.refresh()
        return triage

    async def reload_grids(self) -> None:
        self.grids = await load_grid_index()

    async def refresh(self) -> None:
        """Reload the components and the routing rules when their rows were added, removed or changed, in this process
        or another. One query reads their signatures and the city configuration's stamp: the triage job runs it for
        every case."""
        rows = await ComponentRow.raw(
            "SELECT (SELECT count(*) FROM component) AS components, (SELECT coalesce(max(id), 0) FROM component) AS "
            "last_component, (SELECT max(moved_at) FROM component) AS last_moved, (SELECT count(*) FROM routing_rule) "
            "AS rules, (SELECT max(updated_at) FROM routing_rule) AS last_rule, "
            f"(SELECT coalesce(max(id), 0) FROM org_import) AS org_revision, {runtime.STAMP_COLUMNS}"
        )
        self.config_stamp = runtime.stamp_of(rows[0])
        revision = int(rows[0]["org_revision"])
        if self.org_revision is not None and revision != self.org_revision:
            # An import anywhere (updated rows move no count): grids, components and units are read again.
            self.grids = await load_grid_index()
            self.components.signature = (-1, -1, "")
            self.routing.invalidate()
        self.org_revision = revision
        components = (int(rows[0]["components"]), int(rows[0]["last_component"]), str(rows[0]["last_moved"]))
        if components != self.components.signature:
            self.components = await load_components(components)
        self.rules_signature = (int(rows[0]["rules"]), str(rows[0]["last_rule"]))

    # -- validation used on the request path -------------------------------------------------------------

    def category(self, code: str) -> Category:
        return self.taxonomy.get(code)

    def choosable(self, code: str) -> Category:
        """A category a new report or a new classification may take (not switched off)."""
        return self.taxonomy.choosable(code)

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

    # -- the steps of the job ------------------------------------------------------------------------------

    def locate_fields(self, lng: float, lat: float) -> dict[Any, Any]:
        """Unit grid → community → street → district → responsibility grid; outside the area: the nearest grid's."""
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

    def is_outside(self, lng: float, lat: float) -> bool:
        return self.grids is not None and len(self.grids) > 0 and not self.grids.in_service_area(lng, lat)

    def category_fields(self, category: Category, standard_index: int = 0) -> dict[Any, Any]:
        index = min(standard_index, len(category.standards) - 1)
        standard = category.standards[index]
        return {
            Case.category_code: category.code,
            Case.category_name: category.name,
            Case.category_kind: category.kind,
            Case.standard_index: index,
            Case.urgent: standard.urgent,
            Case.time_limit: standard.time_limit.raw,
        }

    def nearby_codes(self, lng: float, lat: float) -> list[str]:
        index = self.components.index
        if index is None:
            return []
        hit = index.nearest(lng, lat, NEARBY_COMPONENT_M)
        return [hit[0].category] if hit else []

    def photo_hints(self, phone_read: bool) -> dict[str, float]:
        """What the text read from the case's photos says, as the classifier's photo scores: a phone number on a
        photo is evidence of an illegal small advert (非法小广告), whose numbers go to the telecom operator."""
        if not phone_read:
            return {}
        codes = [c.code for c in self.taxonomy.categories if c.name == ADVERT_NAME]
        return {codes[0]: PHONE_ADVERT_SCORE} if codes else {}

    def classify(self, text: str, menu: str, code: str, lng: float, lat: float,
                 hints: dict[str, float] | None = None) -> Classification:
        """A trusted ``code`` is taken as given; otherwise the classifier suggests and the threshold decides.
        ``hints``: photo scores by 小类 code (``photo_hints``)."""
        category = self.taxonomy.get(code) if code else None
        if self.classifier is None:
            return Classification(category, 0, 1.0 if category else 0.0, [], "")
        from backend.triage.classifier import ClassifyInput

        try:
            query = ClassifyInput(text=text, menu=menu or None, code=code or None,
                                  nearby_component_codes=self.nearby_codes(lng, lat), image_scores=hints or None)
            with CLASSIFY_SECONDS.time():
                result = self.classifier.classify(query)
        except Exception as exc:  # classification must never stop triage: logged and recorded
            log.exception("classifier failed")
            return Classification(category, 0, 1.0 if category else 0.0, [], "", f"{type(exc).__name__}: {exc}")
        # The classifier knows the file's taxonomy: the city's switched-off 小类 are no choice, and its limits win.
        offered = [s for s in result.suggestions if s.code not in self.taxonomy.disabled and self.taxonomy.has(s.code)]
        suggestions = [self._suggestion_dict(s) for s in offered]
        top = offered[0] if offered else None
        if category is None and top is not None and top.confidence >= self.auto_threshold:
            category = self.taxonomy.get(top.code)
        index = top.standard_index if top is not None and category is not None and top.code == category.code else 0
        confidence = 1.0 if code else (top.confidence if top else 0.0)
        return Classification(category, index, confidence, suggestions, result.model_version,
                              urgent=bool(getattr(result, "urgent", False)))

    def _suggestion_dict(self, s: Any) -> dict[str, Any]:
        standards = self.taxonomy.get(s.code).standards
        limit = standards[s.standard_index].time_limit if s.standard_index < len(standards) else s.time_limit
        return {
            "code": s.code, "name": s.name, "name_en": self.taxonomy.get(s.code).name_en or s.name, "kind": s.kind,
            "confidence": round(float(s.confidence), 4),
            "standard_index": s.standard_index, "urgent": bool(s.urgent),
            "time_limit": getattr(limit, "raw", str(limit)),
            "reasons": [{"kind": r.kind, "text_zh": r.text_zh, "text_en": r.text_en} for r in s.reasons],
        }

    @property
    def auto_threshold(self) -> float:
        """The model's calibrated threshold (a stated precision, see training.py) unless the settings say otherwise."""
        own = getattr(self.classifier, "auto_threshold", None)
        if own is not None and self.settings.auto_classify_threshold_from_model:
            return float(own)
        return self.settings.auto_classify_threshold

    def snap(self, lng: float, lat: float, category_code: str) -> Snap | None:
        """The nearest surveyed component of the same 小类 within ``component_snap_m``."""
        index = self.components.index
        if index is None or not category_code:
            return None
        hit = index.nearest(lng, lat, self.settings.component_snap_m, {category_code})
        if hit is None:
            return None
        component, distance = hit
        row_id, owner, maintainer = self.components.rows[component.id]
        return Snap(row_id, component.id, round(distance, 1), owner, maintainer)

    async def simulate(self, category: Category, lng: float, lat: float) -> tuple[dict[Any, Any], Snap | None, list[Trial]]:
        """Where a report of this 小类 at this point would go, and why: the point's place, the component it would snap
        to, and every rule as routing would try it. Reads the current rules; writes nothing."""
        check_coordinates(lng, lat)
        await self.refresh()
        place_fields = self.locate_fields(lng, lat)
        snap = self.snap(lng, lat, category.code) if category.kind == "component" else None
        fields = {column._meta.name: value for column, value in place_fields.items()}
        router = await self.routing.get(self.rules_signature)
        area = fields.get("unit_grid") or fields.get("street") or fields.get("district") or ""
        place = Place(category.code, category.kind, area, fields.get("street", ""),
                      snap.owner_id if snap else None, snap.maintainer_id if snap else None)
        return fields, snap, router.explain(place)

    async def route(self, case: Any, snap: Snap | None) -> Decision:
        """Call ``refresh()`` first (the triage jobs do, in their transaction), so an edit in another process counts."""
        router = await self.routing.get(self.rules_signature)
        place = Place(case.category_code, case.category_kind, case.unit_grid or case.street or case.district,
                      case.street, snap.owner_id if snap else None, snap.maintainer_id if snap else None)
        return router.route(place)




async def load_components(signature: tuple[Any, ...] = (0, 0, "")) -> ComponentCatalogue:
    rows = await ComponentRow.select(ComponentRow.id, ComponentRow.code, ComponentRow.category_code, ComponentRow.lng,
                                     ComponentRow.lat, ComponentRow.owner, ComponentRow.maintainer)
    if not rows:
        return ComponentCatalogue(signature=signature)
    index = ComponentIndex.build(Component(r["code"], r["category_code"], r["lng"], r["lat"]) for r in rows)
    return ComponentCatalogue(index, {r["code"]: (r["id"], r["owner"], r["maintainer"]) for r in rows}, signature)


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
