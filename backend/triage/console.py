"""HTTP endpoints of the admin console for the city's own configuration: categories (switch off, time limits, city
additions), the settings safe to change at run time, and surveyed components (list, move). Each change is audited
with its before and after."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, Parameter
from msgspec import Meta, Struct

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only
from backend.audit.service import record_request
from backend.cases.timelimits import parse_time_limit
from backend.context import Ctx
from backend.errors import InvalidInput
from backend.org import components, runtime
from backend.triage import cityconfig
from backend.triage.taxonomy import Category

AnyRequest = Request[Any, Any, Any]


class SettingOut(Struct):
    key: str
    kind: str  # bool | int | float
    value: Any
    default: Any
    min: float
    max: float
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    changed: bool  # an admin set it (else settings.py's value)
    updated_at: str | None


class SettingsIn(Struct):
    values: dict[str, Any]


class LimitOut(Struct):
    filing_condition: str
    closing_condition: str
    time_limit: str  # in force
    standard_limit: str  # the file's (a city addition: as added)
    urgent: bool
    filing_condition_en: str = ""  # English wording ("" for none: show the Chinese)
    closing_condition_en: str = ""
    time_limit_en: str = ""  # both limits in English words ("2 emergency hours")
    standard_limit_en: str = ""


class AdminCategoryOut(Struct):
    code: str
    name: str
    kind: str
    major_code: str
    major_name: str
    department: str
    enabled: bool
    city_addition: bool
    limits_changed: bool
    standards: list[LimitOut]
    updated_at: str | None
    name_en: str = ""  # English names ("" for none, e.g. a city addition: show the Chinese)
    major_name_en: str = ""


class CategoryPatch(Struct):
    enabled: bool | None = None
    time_limits: list[Annotated[str, Meta(max_length=32)]] | None = None


class StandardIn(Struct):
    filing_condition: Annotated[str, Meta(max_length=500)]
    time_limit: Annotated[str, Meta(max_length=32)]
    closing_condition: Annotated[str, Meta(max_length=500)] = ""


class CategoryIn(Struct):
    major_code: Annotated[str, Meta(max_length=8)]
    name: Annotated[str, Meta(max_length=64)]
    standards: Annotated[list[StandardIn], Meta(max_length=20)]
    synonyms: Annotated[list[Annotated[str, Meta(max_length=32)]], Meta(max_length=50)] = []
    department: Annotated[str, Meta(max_length=200)] = ""


class ComponentOut(Struct):
    code: str
    category: str
    name: str
    lng: float
    lat: float
    owner: str
    maintainer: str
    unit_grid: str
    status: str
    moved_at: str | None


class ComponentListOut(Struct):
    items: list[ComponentOut]
    total: int


class LocationIn(Struct):
    lng: float
    lat: float


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _settings_out(ctx: Ctx) -> list[SettingOut]:
    stored = await runtime.stored()
    base = cityconfig.city_config(ctx).base_settings
    return [SettingOut(key=s.key, kind=s.kind.__name__, value=getattr(ctx.settings, s.key),
                       default=getattr(base, s.key), min=s.lo, max=s.hi, label_zh=s.label_zh, label_en=s.label_en,
                       unit_zh=s.unit_zh, unit_en=s.unit_en, changed=s.key in stored,
                       updated_at=_iso(stored[s.key]["updated_at"]) if s.key in stored else None)
            for s in runtime.SPECS]


def _limit_en(raw: str) -> str:
    try:
        return parse_time_limit(raw).english
    except InvalidInput:
        return raw


def _category_out(ctx: Ctx, c: Category, rows: dict[str, dict[str, Any]]) -> AdminCategoryOut:
    base = cityconfig.city_config(ctx).base_taxonomy
    row = rows.get(c.code)
    file_limits = [s.time_limit.raw for s in base.get(c.code).standards] if base.has(c.code) else [
        s["time_limit"] for s in (row or {}).get("addition", {}).get("standards", [])]
    standards = [LimitOut(s.filing_condition, s.closing_condition, s.time_limit.raw,
                          file_limits[i] if i < len(file_limits) else s.time_limit.raw, s.urgent,
                          s.filing_condition_en, s.closing_condition_en, s.time_limit.english,
                          _limit_en(file_limits[i]) if i < len(file_limits) else s.time_limit.english)
                 for i, s in enumerate(c.standards)]
    return AdminCategoryOut(code=c.code, name=c.name, kind=c.kind, major_code=c.major_code, major_name=c.major_name,
                            department=c.department, enabled=c.code not in ctx.triage.taxonomy.disabled,
                            city_addition=not base.has(c.code), limits_changed=any(
                                s.time_limit != s.standard_limit for s in standards),
                            standards=standards, updated_at=_iso(row["updated_at"]) if row else None,
                            name_en=c.name_en, major_name_en=c.major_name_en)


async def _categories(ctx: Ctx) -> dict[str, AdminCategoryOut]:
    await cityconfig.sync(ctx)
    rows = {r["code"]: r for r in await cityconfig.category_rows()}
    return {c.code: _category_out(ctx, c, rows) for c in ctx.triage.taxonomy.categories}


class CityConfigController(Controller):
    """The city's configuration over its files (admin only)."""

    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [admin_only]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/settings", operation_id="listRuntimeSettings",
         summary="运行参数 Settings that can be changed while running, with their defaults")
    async def settings(self, ctx: Ctx) -> list[SettingOut]:
        await cityconfig.sync(ctx)
        return await _settings_out(ctx)

    @put("/settings", operation_id="setRuntimeSettings",
         summary="修改运行参数 Change some of those settings (every process uses them within seconds)")
    async def set_settings(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor,
                           data: JSONBody[SettingsIn]) -> list[SettingOut]:
        await cityconfig.sync(ctx)
        shown = {k: getattr(ctx.settings, k) for k in data.values if k in runtime.BY_KEY}
        await runtime.save(data.values, actor.id)
        await cityconfig.city_config(ctx).sync(ctx, force=True)
        after = {k: getattr(ctx.settings, k) for k in data.values}
        await record_request(request, "settings.changed", actor_id=actor.id, actor_name=actor.username,
                             target="settings", details={"before": shown, "after": after})
        return await _settings_out(ctx)

    @get("/categories", operation_id="listAdminCategories",
         summary="类别管理 Every 小类 with its state, limits in force and the file's limits")
    async def categories(self, ctx: Ctx) -> list[AdminCategoryOut]:
        return list((await _categories(ctx)).values())

    @patch("/categories/{code:str}", operation_id="changeCategory",
           summary="启用/停用类别、修改处置时限 Switch a 小类 on or off, or change its time limits")
    async def change_category(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, code: FromPath[str],
                              data: JSONBody[CategoryPatch]) -> AdminCategoryOut:
        before = (await _categories(ctx)).get(ctx.triage.taxonomy.get(code).code)
        await cityconfig.change_category(ctx, code, actor.id, data.enabled, data.time_limits)
        after = (await _categories(ctx))[ctx.triage.taxonomy.get(code).code]
        await record_request(request, "taxonomy.category_changed", actor_id=actor.id, actor_name=actor.username,
                             target=f"category:{after.code}", details={"before": _audit_view(before),
                                                                       "after": _audit_view(after)})
        return after

    @post("/categories", operation_id="addCategory", status_code=201,
          summary="新增城市小类 A city's own 小类 under an existing 大类 (numbered after the file's)")
    async def add_category(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor,
                           data: JSONBody[CategoryIn]) -> AdminCategoryOut:
        await cityconfig.sync(ctx)
        category = await cityconfig.add_category(
            ctx, actor.id, data.major_code, data.name, data.synonyms, data.department,
            [{"filing_condition": s.filing_condition, "closing_condition": s.closing_condition,
              "time_limit": s.time_limit} for s in data.standards])
        out = (await _categories(ctx))[category.code]
        await record_request(request, "taxonomy.category_added", actor_id=actor.id, actor_name=actor.username,
                             target=f"category:{out.code}", details={"after": _audit_view(out)})
        return out

    @get("/components", operation_id="searchComponents",
         summary="部件列表 Components of a 小类 and/or within a grid or area (the first 500)")
    async def components(self, category: Annotated[str, Parameter(max_length=8)] = "",
                         grid: Annotated[str, Parameter(max_length=32)] = "") -> ComponentListOut:
        items, total = await components.search(category, grid)
        return ComponentListOut([ComponentOut(**i) for i in items], total)

    @put("/components/{code:str}/location", operation_id="moveComponent",
         summary="移动部件 Move a component's point (its unit grid follows)")
    async def move_component(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, code: FromPath[str],
                             data: JSONBody[LocationIn]) -> ComponentOut:
        before, after = await components.move(ctx, code, data.lng, data.lat)
        keys = ("lng", "lat", "unit_grid")
        await record_request(request, "org.component_moved", actor_id=actor.id, actor_name=actor.username,
                             target=f"component:{code}", details={"before": {k: before[k] for k in keys},
                                                                  "after": {k: after[k] for k in keys}})
        return ComponentOut(**after)


def _audit_view(c: AdminCategoryOut | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"name": c.name, "enabled": c.enabled, "time_limits": [s.time_limit for s in c.standards]}
