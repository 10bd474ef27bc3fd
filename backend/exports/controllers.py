"""HTTP endpoints of the exports: cases as CSV, XLSX or GeoJSON with the case list's filters; evaluation as XLSX."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import roles
from backend.accounts.roles import CENTRE_ROLES, Role
from backend.audit.service import record_request
from backend.context import Ctx
from backend.errors import Forbidden, NotFound
from backend.evaluation import services as evaluation
from backend.exports import service

centre_or_unit = roles(*CENTRE_ROLES, Role.UNIT_STAFF)
SUBJECTS = ("unit", "area", "supervisor", "dispatcher")


def _stream(chunks: Any, fmt: str, stem: str) -> Stream:
    media, ext = service.FORMATS[fmt]
    name = f"{stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{ext}"
    return Stream(chunks, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "no-store"})


class ExportController(Controller):
    path = "/api/v1/exports"
    tags = ["exports"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]
    guards = [centre_or_unit]

    @get("/cases/{fmt:str}", operation_id="exportCases",
         summary="导出案件 Cases as csv, xlsx or geojson, with the case list's filters (audited)")
    async def cases(
        self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor, fmt: FromPath[str],
        state_filter: Annotated[str | None, QueryParameter(name="state", max_length=300)] = None,
        category: Annotated[str | None, QueryParameter(max_length=8, pattern=r"^[0-9A-Za-z]*$")] = None,
        unit_id: Annotated[int | None, QueryParameter(ge=1)] = None,
        area: Annotated[str | None, QueryParameter(max_length=32)] = None,
        light: Annotated[str | None, QueryParameter(max_length=8)] = None,
        q: Annotated[str | None, QueryParameter(max_length=20)] = None,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Stream:
        if fmt not in service.FORMATS:
            raise NotFound(f"不支持的格式：{fmt}", f"Unknown format: {fmt}", code="export.bad_format",
                           details={"formats": list(service.FORMATS)})
        if not actor.is_centre:
            if unit_id is not None and unit_id != actor.unit_id:
                raise Forbidden("只能导出本单位的案件", "You may export only your own unit's cases",
                                code="evaluation.other_unit")
            unit_id = actor.unit_id
        tz = ctx.settings.timezone
        f = service.CaseFilter(states=tuple(s for s in (state_filter or "").split(",") if s), category=category,
                               unit_id=unit_id, area=area, light=light, q=q, start=service.day_start(date_from, tz),
                               end=service.day_start(date_to, tz, plus_days=1))
        rows = await service.check_size(f, ctx.settings.export_max_rows)
        await record_request(request, "data.exported", actor_id=actor.id, actor_name=actor.username,
                             target=f"cases.{fmt}", details={"rows": rows, **f.describe()})
        return _stream(service.case_chunks(ctx.settings, f, fmt), fmt, "cases")

    @get("/evaluation.xlsx", operation_id="exportEvaluation",
         summary="导出考评表 Evaluation tables as XLSX, a sheet per subject (audited)")
    async def evaluation(
        self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor,
        subjects: Annotated[str, QueryParameter(max_length=60, description="comma-separated: unit,area,…")] = "unit",
        level: Annotated[str, QueryParameter(max_length=12)] = "street",
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        compare: Annotated[bool, QueryParameter(description="add the previous period")] = True,
    ) -> Stream:
        wanted = [s for s in subjects.split(",") if s]
        unknown = [s for s in wanted if s not in SUBJECTS]
        if unknown or not wanted:
            raise NotFound(f"未知的考评对象：{','.join(unknown)}", f"Unknown subject: {','.join(unknown)}",
                           code="evaluation.bad_subject", details={"subjects": list(SUBJECTS)})
        only = None
        if not actor.is_centre:
            if wanted != ["unit"]:
                raise Forbidden("只能导出本单位的考评", "You may export only your own unit's evaluation",
                                code="evaluation.other_unit")
            only = evaluation.own_unit(actor, None)
        p = evaluation.period(ctx, date_from, date_to, None)
        tables = [await evaluation.table(ctx, s, p, level=level if s == "area" else None,
                                         only=only if s == "unit" else None, compare=compare) for s in wanted]
        await record_request(request, "data.exported", actor_id=actor.id, actor_name=actor.username,
                             target="evaluation.xlsx", details={"subjects": wanted, "from": p.first.isoformat(),
                                                               "to": p.last.isoformat()})
        return _stream(service.evaluation_chunks(ctx.settings, tables), "xlsx", "evaluation")
