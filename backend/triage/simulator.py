"""The routing simulator: "a report of 小类 X at this point goes to … by rule …", with every rule as routing tries it.

Admins use it to test rules before and after an edit; dispatchers to see why a unit was suggested. It reads the
current rules, units and components (an edit in any process counts at once) and writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, post
from litestar.di import Provide
from litestar.params import JSONBody

from backend.accounts.auth import provide_actor
from backend.accounts.guards import centre_only
from backend.context import Ctx
from backend.org.tables import Community, District, Street, Unit

OUTCOME_TEXT = {
    "fired": ("命中：由此规则派往该单位", "Fired: this rule picks the unit"),
    "unresolved": ("条件符合，但找不到对应单位，继续下一条", "Conditions fit but no unit resolves; next rule"),
    "no_match": ("条件不符", "Conditions do not fit"),
    "not_reached": ("未尝试：前面的规则已命中", "Not tried: an earlier rule fired"),
}
MISMATCH_TEXT = {
    "kind": ("部件/事件类型不符", "component/event kind differs"),
    "category": ("类别前缀不符", "category prefix differs"),
    "area": ("区域前缀不符", "area prefix differs"),
}
TARGET_TEXT = {
    "owner": ("部件权属单位", "the component's owner"),
    "maintainer": ("部件养护单位", "the component's maintainer"),
    "unit": ("指定或小类责任单位", "the named unit or the 小类's unit"),
    "street_office": ("属地街道办", "the street office of the place"),
}


class SimulateIn(msgspec.Struct, forbid_unknown_fields=True):
    category_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]


async def _units(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = await Unit.select(Unit.id, Unit.code, Unit.name).where(Unit.id.is_in(sorted(ids)))
    return {r["id"]: r for r in rows}


async def _names(place: dict[str, Any]) -> dict[str, str]:
    """The district, street and community names of a located point (codes stay in ``place``)."""
    names = {}
    for key, table in (("district", District), ("street", Street), ("community", Community)):
        if place.get(key):
            row = await table.select(table.name).where(table.code == place[key]).first()
            names[f"{key}_name"] = row["name"] if row else ""
    return names


class RoutingSimulatorController(Controller):
    path = "/api/v1/admin/routing"
    tags = ["org"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @post("/simulate", guards=[centre_only], operation_id="simulateRouting", status_code=200,
          summary="路由模拟 Where a report of this 小类 at this point would go, and why (centre and admin)")
    async def simulate(self, ctx: Ctx, data: JSONBody[SimulateIn]) -> dict[str, Any]:
        category = ctx.triage.category(data.category_code)
        place, snap, trials = await ctx.triage.simulate(category, data.lng, data.lat)
        ids = {t.unit_id for t in trials if t.unit_id} | {a for t in trials for a in t.alternatives}
        ids |= {t.rule.unit_id for t in trials if t.rule.unit_id}
        units = await _units({i for i in ids if i is not None})
        fired = next((t for t in trials if t.outcome == "fired"), None)
        return {
            "category": {"code": category.code, "name": category.name, "kind": category.kind},
            "place": {**place, **await _names(place)},
            "component": {"id": snap.component_id, "code": snap.code, "distance_m": snap.distance_m} if snap else None,
            "unit": units.get(fired.unit_id) if fired and fired.unit_id else None,
            "rule": fired.rule.label if fired else None,
            "alternatives": [units[a] for a in (fired.alternatives if fired else ()) if a in units],
            "trials": [{
                "rule_id": t.rule.id, "label": t.rule.label, "priority": t.rule.priority, "kind": t.rule.kind,
                "category_prefix": t.rule.category_prefix, "area_prefix": t.rule.area_prefix,
                "target": t.rule.target, "target_zh": TARGET_TEXT[t.rule.target][0],
                "target_en": TARGET_TEXT[t.rule.target][1], "rule_unit": units.get(t.rule.unit_id or 0),
                "outcome": t.outcome, "detail": t.detail,
                "text_zh": OUTCOME_TEXT[t.outcome][0] + (f"（{MISMATCH_TEXT[t.detail][0]}）" if t.outcome == "no_match" else ""),
                "text_en": OUTCOME_TEXT[t.outcome][1] + (f" ({MISMATCH_TEXT[t.detail][1]})" if t.outcome == "no_match" else ""),
                "unit": units.get(t.unit_id or 0),
            } for t in trials],
        }
