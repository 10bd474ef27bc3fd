"""HTTP endpoints of the organisation: admins edit routing rules, units and components; maps read boundaries."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only, staff_only
from backend.accounts.services import Actor
from backend.audit.service import record_request
from backend.context import Ctx
from backend.errors import InvalidInput
from backend.org import admin, files, transfer
from backend.org.schemas import (
    ComponentCollectionIn,
    DatasetOut,
    FeatureCollection,
    ImportOut,
    ImportReportOut,
    OrgImportOut,
    OutcomeOut,
    ProblemOut,
    RuleIn,
    RuleOut,
    TransferOut,
    UnitIn,
    UnitOut,
)

AnyRequest = Request[Any, Any, Any]


async def _audit(request: AnyRequest, actor: Actor, action: str, target: str, **details: Any) -> None:
    await record_request(request, action, actor_id=actor.id, actor_name=actor.username, target=target,
                         details=details)
CACHE = {"Cache-Control": "public, max-age=300"}


async def _rule(rule_id: int) -> RuleOut | None:
    """A rule as it stands, for the audit's "before" (the rule table is small; one list serves every admin view)."""
    return next((r for r in await admin.list_rules() if r.id == rule_id), None)


class OrgAdminController(Controller):
    """Routing rules, units and components: admins write, staff read units and components."""

    path = "/api/v1/org"
    tags = ["org"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/routing-rules", guards=[admin_only], operation_id="listRoutingRules", summary="路由规则 List routing rules")
    async def list_rules(self) -> list[RuleOut]:
        return await admin.list_rules()

    @post("/routing-rules", guards=[admin_only], operation_id="createRoutingRule",
          summary="新建路由规则 Create a routing rule")
    async def create_rule(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, data: JSONBody[RuleIn]) -> RuleOut:
        rule = await admin.create_rule(ctx, data)
        await _audit(request, actor, "rules.changed", f"rule:{rule.id}", change="created", after=msgspec.to_builtins(rule))
        return rule

    @put("/routing-rules/{rule_id:int}", guards=[admin_only], operation_id="updateRoutingRule",
         summary="修改路由规则 Replace a routing rule")
    async def update_rule(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, rule_id: FromPath[int],
                          data: JSONBody[RuleIn]) -> RuleOut:
        before = await _rule(rule_id)
        rule = await admin.update_rule(ctx, rule_id, data)
        await _audit(request, actor, "rules.changed", f"rule:{rule_id}", change="updated",
                     before=msgspec.to_builtins(before), after=msgspec.to_builtins(rule))
        return rule

    @delete("/routing-rules/{rule_id:int}", guards=[admin_only], operation_id="deleteRoutingRule",
            summary="删除路由规则 Delete a routing rule")
    async def delete_rule(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, rule_id: FromPath[int]) -> None:
        before = await _rule(rule_id)
        await admin.delete_rule(ctx, rule_id)
        await _audit(request, actor, "rules.changed", f"rule:{rule_id}", change="deleted", before=msgspec.to_builtins(before))

    @get("/units", guards=[staff_only], operation_id="listUnits", summary="责任单位 List responsible units (staff)")
    async def list_units(self) -> list[UnitOut]:
        return await admin.list_units()

    @post("/units", guards=[admin_only], operation_id="createUnit", summary="新建责任单位 Create a unit")
    async def create_unit(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, data: JSONBody[UnitIn]) -> UnitOut:
        unit = await admin.create_unit(ctx, data)
        await _audit(request, actor, "org.unit_changed", f"unit:{unit.id}", change="created", after=msgspec.to_builtins(unit))
        return unit

    @put("/units/{unit_id:int}", guards=[admin_only], operation_id="updateUnit", summary="修改责任单位 Replace a unit")
    async def update_unit(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, unit_id: FromPath[int],
                          data: JSONBody[UnitIn]) -> UnitOut:
        before = next((u for u in await admin.list_units() if u.id == unit_id), None)
        unit = await admin.update_unit(ctx, unit_id, data)
        await _audit(request, actor, "org.unit_changed", f"unit:{unit_id}", change="updated",
                     before=msgspec.to_builtins(before), after=msgspec.to_builtins(unit))
        return unit

    @get("/components", guards=[staff_only], operation_id="listComponents",
         summary="部件 Surveyed components as GeoJSON (staff), optionally within bbox=w,s,e,n")
    async def components(self, bbox: FromQuery[str | None] = None) -> FeatureCollection:
        return await admin.components_geojson(admin.parse_bbox(bbox, required=False))

    @post("/components/import", guards=[admin_only], operation_id="importComponents", status_code=200,
          summary="导入部件 Import surveyed components from a GeoJSON FeatureCollection (insert or update by id)")
    async def import_components(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor,
                                data: JSONBody[ComponentCollectionIn]) -> ImportOut:
        async def audit(report: transfer.Report) -> None:
            [outcome] = report.outcomes
            await _audit(request, actor, "org.components_imported", "components", added=outcome.added,
                         updated=outcome.rows - outcome.added)

        return await admin.import_components(ctx, data, actor.id, actor.username, audit)


def _report_out(report: transfer.Report) -> ImportReportOut:
    return ImportReportOut(
        applied=report.applied, revision=report.revision,
        outcomes=[OutcomeOut(o.dataset, o.rows, o.added, o.updated, o.removed) for o in report.outcomes],
        problems=[ProblemOut(**p.as_dict()) for p in report.problems[:500]])


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class OrgTransferController(Controller):
    """Import and export of organisation data files (admins): docs/org-data.md describes the formats."""

    path = "/api/v1/org/transfer"
    tags = ["org"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]
    guards = [admin_only]

    @get("", operation_id="orgTransfer", summary="数据导入导出 Datasets, their sizes and the latest imports")
    async def overview(self) -> TransferOut:
        counts = await transfer.counts()
        imports = await transfer.recent_imports()
        return TransferOut(
            datasets=[DatasetOut(name, list(transfer.export_formats(name)), counts[name]) for name in transfer.DATASETS],
            imports=[OrgImportOut(r["id"], r["at"].isoformat(), r["by_name"], list(r["datasets"] or []),
                                  dict(r["summary"] or {})) for r in imports])

    @get("/{dataset:str}", operation_id="exportOrgDataset", summary="导出 Export one dataset as a file")
    async def export(self, request: AnyRequest, actor: CurrentActor, dataset: FromPath[str],
                     format: FromQuery[str] = "") -> Response[bytes]:
        fmt = format or transfer.export_formats(dataset if dataset in transfer.DATASETS else "units")[0]
        body = await transfer.export(dataset, fmt)
        await _audit(request, actor, "data.exported", f"org:{dataset}", dataset=dataset, format=fmt)
        return Response(body, media_type=MEDIA_TYPES[fmt], headers={
            "Content-Disposition": f'attachment; filename="{dataset}.{fmt}"', "Cache-Control": "no-store"})

    @post("/{dataset:str}", operation_id="importOrgDataset", status_code=200, request_max_body_size=files.MAX_BYTES,
          summary="导入 Import one dataset (the raw file as the body; dry_run=true only checks). All or nothing")
    async def import_file(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, dataset: FromPath[str],
                          dry_run: FromQuery[bool] = False, filename: FromQuery[str] = "") -> ImportReportOut:
        data = await request.body()
        if not data:
            raise InvalidInput("请上传文件", "Send the file as the request body", code="org.empty_file")

        async def audit(report: transfer.Report) -> None:
            await _audit(request, actor, "org.imported", f"org:{dataset}", **transfer.audit_details(report))

        report = await transfer.import_files(ctx.engine, ctx.triage.taxonomy, [(dataset, data, filename[:200])],
                                             dry_run=dry_run, by_user=actor.id, by_name=actor.username, audit=audit)
        if report.problems and not dry_run:
            raise transfer.refused(report)
        if report.applied:
            await ctx.triage.refresh()
        return _report_out(report)


class OrgMapController(Controller):
    """Public boundaries for the staff desk and the PWA map (no login: they are public administrative areas)."""

    path = "/api/v1/org"
    tags = ["org"]

    @get("/districts", operation_id="districtsGeojson", summary="区 Districts (GeoJSON)")
    async def districts(self) -> Response[FeatureCollection]:
        return Response(await admin.boundaries("districts"), headers=CACHE)

    @get("/streets", operation_id="streetsGeojson", summary="街道 Streets (GeoJSON)")
    async def streets(self) -> Response[FeatureCollection]:
        return Response(await admin.boundaries("streets"), headers=CACHE)

    @get("/communities", operation_id="communitiesGeojson", summary="社区 Communities (GeoJSON)")
    async def communities(self) -> Response[FeatureCollection]:
        return Response(await admin.boundaries("communities"), headers=CACHE)

    @get("/responsibility-grids", operation_id="responsibilityGridsGeojson", summary="责任网格 Responsibility grids")
    async def responsibility_grids(self) -> Response[FeatureCollection]:
        return Response(await admin.boundaries("responsibility-grids"), headers=CACHE)

    @get("/unit-grids", operation_id="unitGridsGeojson",
         summary="单元网格 Unit grids within bbox=w,s,e,n (at most 0.05°×0.05°)")
    async def unit_grids(self, ctx: Ctx, bbox: FromQuery[str]) -> Response[FeatureCollection]:
        box = admin.parse_bbox(bbox, required=True)
        assert box is not None
        return Response(await admin.unit_grids(ctx, box), headers=CACHE)
