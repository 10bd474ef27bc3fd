"""HTTP endpoints of the case loop: report, read, list per role, and perform lifecycle actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.openapi.spec import OpenAPIMediaType as MediaType
from litestar.openapi.spec import Operation, RequestBody
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import roles
from backend.cases import services, views
from backend.cases.access import allowed_actions, ensure_visible
from backend.cases.intake import read_report
from backend.cases.lifecycle import STATE_NAMES, TRANSITIONS
from backend.cases.schemas import ActionIn, ActionOut, CasePage, CaseView, PublicCasePage, ReportForm, ReportIn
from backend.cases.tables import Case
from backend.context import Ctx
from backend.errors import InvalidInput, NotFound
from backend.idempotency import IdemKey


def _file_schema(annotation: Any) -> dict[str, Any]:
    if annotation is UploadFile:
        return {"type": "string", "format": "binary"}
    raise NotImplementedError(annotation)


def body_schema(struct: type[msgspec.Struct]) -> Any:
    """The JSON Schema that msgspec derives from a flat body struct (its constraints, enums and refusal of unknown
    fields), as an OpenAPI 3.1 schema: a plain dict, which Litestar writes into the document as it is."""
    _, components = msgspec.json.schema_components([struct], schema_hook=_file_schema)
    return components[struct.__name__]


@dataclass
class ReportOperation(Operation):
    """One endpoint, two body types (Litestar picks a single body decoder per handler, and queued reports on phones
    are replayed to this path as multipart while API clients send JSON): the request body is documented from the two
    structs the body is decoded into."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={
            "application/json": MediaType(schema=body_schema(ReportIn)),
            "multipart/form-data": MediaType(schema=body_schema(ReportForm)),
        })


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["cases"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    # The guard refuses a role that may not report before any photo is read; the service checks again for its other
    # callers (Open311, the demo seed).
    @post("/", operation_id="createReport", operation_class=ReportOperation, guards=[roles(*services.REPORTER_ROLES)],
          summary="上报问题 Report a problem: JSON with photo_ids, or multipart with 1–4 files in 'photos'")
    async def create(
        self, ctx: Ctx, actor: CurrentActor, request: Request[Any, Any, Any], idempotency_key: IdemKey = None
    ) -> Response[CaseView]:
        data, uploads, flags = await read_report(ctx, request)
        case, replayed = await services.create_report(ctx, actor, data, idempotency_key, uploads=uploads, flags=flags)
        return Response(case, status_code=200 if replayed else 201,
                        headers={"Idempotent-Replayed": "true" if replayed else "false"})


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/", operation_id="listCases", summary="案件列表 List cases for a role's view")
    async def list_cases(
        self,
        ctx: Ctx,
        actor: CurrentActor,
        view: Annotated[str, QueryParameter(
            max_length=16, description="mine | inbox | triage | filing | dispatch | approvals | tasks | all")] = "mine",
        state_filter: Annotated[str | None, QueryParameter(name="state", max_length=300,
                                                           description="comma-separated states")] = None,
        category: Annotated[str | None, QueryParameter(max_length=8, pattern=r"^[0-9A-Za-z]*$")] = None,
        unit_id: Annotated[int | None, QueryParameter(ge=1)] = None,
        area: Annotated[str | None, QueryParameter(max_length=32)] = None,
        light: Annotated[str | None, QueryParameter(max_length=8)] = None,
        q: Annotated[str | None, QueryParameter(
            max_length=40, description="a tracking number's beginning (SSP…) or a place's name; staff also match text "
                                       "read from photos (phone numbers, plates, signs)")] = None,
        sort: Annotated[str, QueryParameter(max_length=10)] = "created",
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> CasePage:
        states = [s for s in (state_filter or "").split(",") if s]
        return await views.list_cases(
            ctx.settings, actor, view, states=states, category=category, unit_id=unit_id, area=area, light=light,
            q=q, page=page, page_size=page_size, sort=sort,
        )

    @get("/{case_id:int}", operation_id="getCase", summary="案件详情 A case with its timeline, photos and actions")
    async def detail(self, ctx: Ctx, actor: CurrentActor, case_id: FromPath[int]) -> CaseView:
        return await views.case_detail(ctx.settings, actor, case_id)

    @get("/track/{tracking_no:str}", operation_id="getCaseByTrackingNo", summary="按编号查询 A case by tracking number")
    async def by_tracking(self, ctx: Ctx, actor: CurrentActor, tracking_no: FromPath[str]) -> CaseView:
        row = await Case.select(Case.id).where(Case.tracking_no == tracking_no.upper()[:20]).first()
        if row is None:
            raise NotFound(f"案件不存在：{tracking_no}", f"No such case: {tracking_no}", code="case.not_found")
        return await views.case_detail(ctx.settings, actor, row["id"])

    @get("/{case_id:int}/actions", operation_id="listCaseActions", summary="可执行操作 What the caller may do now")
    async def actions(self, ctx: Ctx, actor: CurrentActor, case_id: FromPath[int]) -> list[ActionOut]:
        case = await views.load_case(case_id)
        ensure_visible(actor, case)
        return allowed_actions(ctx.settings, actor, case)

    @post("/{case_id:int}/actions/{action:str}", operation_id="performCaseAction", status_code=200,
          summary="执行操作 Perform a lifecycle action")
    async def perform(
        self, ctx: Ctx, actor: CurrentActor, case_id: FromPath[int], action: FromPath[str], data: JSONBody[ActionIn],
        idempotency_key: IdemKey = None,
    ) -> CaseView:
        if len(action) > 32:
            raise InvalidInput("操作名过长", "Action name too long", code="case.unknown_action")
        return await services.perform(ctx, actor, case_id, action, data, idempotency_key)


class PublicController(Controller):
    path = "/api/v1/public"
    tags = ["public"]

    @get("/cases", operation_id="listPublicCases", summary="公开案件 Anonymised public list of filed cases")
    async def cases(
        self,
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        bbox: Annotated[str | None, QueryParameter(max_length=100, description="west,south,east,north")] = None,
    ) -> PublicCasePage:
        box = None
        if bbox:
            try:
                w, s, e, n = (float(x) for x in bbox.split(","))
            except ValueError:
                raise InvalidInput("bbox 格式应为 west,south,east,north", "bbox must be west,south,east,north",
                                   code="request.bad_bbox") from None
            box = (w, s, e, n)
        return await views.public_cases(page, page_size, box)


class MetaController(Controller):
    path = "/api/v1/meta"
    tags = ["meta"]

    @get("/states", operation_id="listStates", summary="状态与操作 States and actions of the lifecycle")
    async def states(self) -> dict[str, object]:
        return {
            "states": [{"state": s.value, "name_zh": zh, "name_en": en} for s, (zh, en) in STATE_NAMES.items()],
            "actions": [
                {"action": t.action, "name_zh": t.name_zh, "name_en": t.name_en, "from": sorted(x.value for x in t.sources),
                 "to": t.target.value if t.target else None, "roles": sorted(r.value for r in t.roles),
                 "owner": t.owner.value, "required": list(t.required)}
                for t in TRANSITIONS
            ],
        }
