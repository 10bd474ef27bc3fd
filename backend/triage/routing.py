"""Routing as data: ordered rules pick a case's responsible unit, and every decision names the rule that fired.

A rule matches a case when its ``kind`` (component | event | any), ``category_prefix`` ("" all, "C01" a 大类, "C0101"
one 小类) and ``area_prefix`` (a prefix of the 15-digit unit-grid code: district, street or community) all fit. Rules
are tried by ``priority`` (lowest first, then id); the first one whose target resolves to a unit fires:

- ``owner`` / ``maintainer``: the owner or maintainer of the surveyed component the case snapped to;
- ``unit`` with a unit set: that unit;
- ``unit`` without a unit: the unit listed for the 小类 (``Unit.categories``) whose ``areas`` cover the point, the most
  local one first (a street office listing the 小类 beats a city-wide department: "the locality first");
- ``street_office``: the active unit of kind ``street_office`` whose areas contain the point's street.

A rule whose target does not resolve is skipped, so a component without a surveyed match falls through to the next.
No rule at all: the case is *unrouted* and waits for a dispatcher. Rules and units are cached per process and reloaded
when their signature (row count and last change) moves, so an admin's edit in any process takes effect at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from backend.org.tables import RoutingRule, Unit

TARGETS = ("owner", "maintainer", "unit", "street_office")
KINDS = ("component", "event", "any")
UNITS_TTL_S = 30.0  # units carry no change stamp: re-read them at most this often unless told to


@dataclass(frozen=True)
class Rule:
    id: int
    priority: int
    name: str
    kind: str
    category_prefix: str
    area_prefix: str
    target: str
    unit_id: int | None = None

    @property
    def label(self) -> str:
        return f"R{self.id} {self.name}"

    def matches(self, kind: str, category_code: str, area: str) -> bool:
        return not self.mismatch(kind, category_code, area)

    def mismatch(self, kind: str, category_code: str, area: str) -> str:
        """Why this rule does not apply ("kind", "category" or "area"), or "" when it does."""
        if self.kind not in ("any", kind):
            return "kind"
        if not category_code.startswith(self.category_prefix):
            return "category"
        if not area.startswith(self.area_prefix):
            return "area"
        return ""


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    kind: str
    categories: frozenset[str]
    areas: tuple[str, ...]

    def locality(self, area: str) -> int:
        """How local this unit is to ``area``: the length of its matching area code, 0 city-wide, -1 not covering."""
        if not self.areas:
            return 0
        return max((len(a) for a in self.areas if area.startswith(a)), default=-1)


@dataclass(frozen=True)
class Place:
    """What routing needs to know about a case."""

    category_code: str
    kind: str  # component | event
    area: str  # the unit-grid code (or the street/district code when there is no grid)
    street: str = ""
    owner_id: int | None = None
    maintainer_id: int | None = None


@dataclass(frozen=True)
class Decision:
    rule: Rule | None
    unit_id: int | None
    alternatives: tuple[int, ...] = ()  # other units just as local, for the dispatcher to consider

    @property
    def label(self) -> str:
        return self.rule.label if self.rule else ""


@dataclass(frozen=True)
class Trial:
    """One rule as the simulator tried it: ``outcome`` is fired | unresolved | no_match | not_reached; ``detail`` the
    mismatching condition (kind, category, area) or the target that found no unit."""

    rule: Rule
    outcome: str
    detail: str
    unit_id: int | None = None
    alternatives: tuple[int, ...] = ()


class Router:
    def __init__(self, rules: Iterable[Rule], units: Iterable[UnitInfo]) -> None:
        self.rules = sorted(rules, key=lambda r: (r.priority, r.id))
        self.units = sorted(units, key=lambda u: u.code)

    def category_units(self, code: str, area: str) -> list[UnitInfo]:
        """Units listing the 小类 whose areas cover ``area``, the most local first (then by code)."""
        found = [(u.locality(area), u) for u in self.units if code in u.categories or "*" in u.categories]
        found = [(loc, u) for loc, u in found if loc >= 0]
        found.sort(key=lambda pair: (-pair[0], pair[1].code))
        if not found:
            return []
        best = found[0][0]
        return [u for loc, u in found if loc == best]

    def street_office(self, street: str) -> UnitInfo | None:
        for unit in self.units:
            if unit.kind == "street_office" and street and any(street.startswith(a) for a in unit.areas):
                return unit
        return None

    def _resolve(self, rule: Rule, place: Place) -> tuple[int | None, tuple[int, ...]]:
        match rule.target:
            case "owner":
                return place.owner_id, ()
            case "maintainer":
                return place.maintainer_id, ()
            case "unit" if rule.unit_id is not None:
                return (rule.unit_id if any(u.id == rule.unit_id for u in self.units) else None), ()
            case "unit":
                units = self.category_units(place.category_code, place.area)
                return (units[0].id, tuple(u.id for u in units[1:])) if units else (None, ())
            case "street_office":
                office = self.street_office(place.street or place.area[:9])
                return (office.id if office else None), ()
        return None, ()

    def explain(self, place: Place) -> list[Trial]:
        """Every active rule in the order routing tries them, with what happened: the simulator's answer to "why
        this unit?". Routing itself stops at the first one that fires (``route``)."""
        trials: list[Trial] = []
        fired = False
        for rule in self.rules:
            why = rule.mismatch(place.kind, place.category_code, place.area)
            if why:
                trials.append(Trial(rule, "no_match", why))
                continue
            if fired:
                trials.append(Trial(rule, "not_reached", ""))
                continue
            unit_id, alternatives = self._resolve(rule, place)
            if unit_id is None:
                trials.append(Trial(rule, "unresolved", rule.target))
                continue
            fired = True
            trials.append(Trial(rule, "fired", "", unit_id, alternatives))
        return trials

    def route(self, place: Place) -> Decision:
        if not place.category_code:
            return Decision(None, None)
        for rule in self.rules:
            if rule.matches(place.kind, place.category_code, place.area):
                unit_id, alternatives = self._resolve(rule, place)
                if unit_id is not None:
                    return Decision(rule, unit_id, alternatives)
        return Decision(None, None)


async def load_router() -> Router:
    rules = [
        Rule(r["id"], r["priority"], r["name"], r["kind"], r["category_prefix"], r["area_prefix"], r["target"], r["unit"])
        for r in await RoutingRule.select().where(RoutingRule.active == True)
    ]
    units = [
        UnitInfo(u["id"], u["code"], u["kind"], frozenset(u["categories"] or []), tuple(u["areas"] or []))
        for u in await Unit.select().output(load_json=True).where(Unit.active == True)
    ]
    return Router(rules, units)


class RouterCache:
    """The process's router: reloaded when the rules' signature moves, units are stale or ``invalidate()`` was called.

    The signature (the rules' row count and last change) is read by ``Triage.refresh`` in one query with the
    components' own, and passed in.
    """

    def __init__(self) -> None:
        self._router: Router | None = None
        self._signature: tuple[int, str] | None = None
        self._loaded_at = 0.0

    def invalidate(self) -> None:
        self._router = None

    async def get(self, signature: tuple[int, str]) -> Router:
        stale = time.monotonic() - self._loaded_at > UNITS_TTL_S
        if self._router is None or signature != self._signature or stale:
            self._router = await load_router()
            self._signature = signature
            self._loaded_at = time.monotonic()
        return self._router


# The default rules of a city whose units list their 小类 and areas (the demo city; see backend/demo/seed.py).
DEFAULT_RULES: Sequence[dict[str, Any]] = (
    {"priority": 10, "name": "部件→权属单位", "kind": "component", "target": "owner",
     "note": "a report next to a surveyed component goes to its owner"},
    {"priority": 20, "name": "部件→小类责任单位", "kind": "component", "target": "unit",
     "note": "otherwise the unit listed for the 小类 in the area"},
    {"priority": 30, "name": "事件→小类主管部门", "kind": "event", "target": "unit",
     "note": "the unit named for the 小类 in the area, the most local first"},
    {"priority": 40, "name": "事件→属地街道", "kind": "event", "target": "street_office",
     "note": "else the street office of the street where the point falls"},
    {"priority": 50, "name": "部件→属地街道", "kind": "component", "target": "street_office",
     "note": "a component nobody lists falls to the locality"},
)


async def seed_default_rules() -> int:
    """Insert ``DEFAULT_RULES`` when the city has no rules yet; returns how many were added."""
    if await RoutingRule.count() > 0:
        return 0
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    await RoutingRule.insert(*(RoutingRule(**r, updated_at=now) for r in DEFAULT_RULES))
    return len(DEFAULT_RULES)
