"""HTTP endpoints: Open311 GeoReport v2 under /open311/v2 (spec formats and errors), and the interop admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, patch, post
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only
from backend.accounts.throttle import RATE_LIMIT_STORE, Limit, client_address
from backend.audit.service import record_request
from backend.context import Ctx
from backend.errors import AppError
from backend.idempotency import IdemKey
from backend.interop import catalogue, clients, open311, webhooks
from backend.interop.wire import bad_request, error_response, render, split_format
from backend.settings import Settings

Query = Annotated[str | None, QueryParameter(max_length=20000)]
ShortQuery = Annotated[str | None, QueryParameter(max_length=64)]
MAX_FORM_BYTES = 64 * 1024


def _base_url(ctx: Any, request: Request[Any, Any, Any]) -> str:
    return (ctx.settings.public_url or str(request.base_url)).rstrip("/")


def _op(name: str) -> Any:
    """One operation id per path of a handler that serves several (``.json``/``.xml``): Litestar refuses duplicates."""

    def create(_: Any, __: Any, components: list[Any]) -> str:
        parts = [c for c in components if isinstance(c, str)]
        fmt = parts[-1].rpartition(".")[2].capitalize() if parts and "." in parts[-1] else ""
        return name + ("V2" if "v2" in parts and name == "open311Discovery" else "") + fmt

    return create


# ---------------------------------------------------------------- Open311


def _discovery(request: Request[Any, Any, Any], ctx: Any) -> dict[str, Any]:
    base = _base_url(ctx, request)
    return {
        "changeset": "2026-12-04T00:00:00+08:00",
        "contact": "城市管理指挥中心 / City management command centre",
        "key_service": "向系统管理员申请 api_key / Ask the system administrator for an api_key",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": f"{base}/open311/v2",
                       "changeset": "2026-12-04T00:00:00+08:00", "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }


@get(["/discovery.json", "/discovery.xml", "/v2/discovery.json", "/v2/discovery.xml"], operation_id=_op("open311Discovery"),
     summary="Open311 发现 Discovery")
async def discovery(request: Request[Any, Any, Any], ctx: Ctx) -> Response[bytes]:
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    data = _discovery(request, ctx)
    if fmt == "xml":
        data = {**data, "endpoints": [{**e, "formats": None} for e in data["endpoints"]]}
    return render(fmt, data, "discovery", None)


@get(["/v2/services.json", "/v2/services.xml"], operation_id=_op("open311Services"),
     summary="Open311 服务列表 One service per 小类, grouped by 大类")
async def services(request: Request[Any, Any, Any], ctx: Ctx, jurisdiction_id: ShortQuery = None) -> Response[bytes]:
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    return render(fmt, catalogue.services(ctx.triage.taxonomy), "services", "service")


@get("/v2/services/{segment:str}", operation_id="open311ServiceDefinition",
     summary="Open311 服务定义 A service's attributes (extra questions)")
async def service_definition(ctx: Ctx, segment: FromPath[str], jurisdiction_id: ShortQuery = None) -> Response[bytes]:
    code, fmt = split_format(segment)
    if not ctx.triage.taxonomy.has(code):
        raise bad_request(f"未知的服务代码：{code}", f"Unknown service_code: {code}", "open311.unknown_service", 404)
    return render(fmt, catalogue.definition(ctx.triage.taxonomy.get(code)), "service_definition", None)


@post(["/v2/requests.json", "/v2/requests.xml"], operation_id=_op("open311CreateRequest"), status_code=200,
      summary="Open311 提交服务请求 Post a request (form-encoded, api_key in the form)")
async def create_request(
    request: Request[Any, Any, Any], ctx: Ctx,
    idempotency_key: IdemKey = None,
) -> Response[bytes]:
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise bad_request("请以 application/x-www-form-urlencoded 提交", "Send application/x-www-form-urlencoded",
                          "open311.bad_content_type")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise bad_request("请求体过大", "Request body too large", "open311.too_large", 413)
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        fields.setdefault(k, []).append(str(v))
    client = await clients.authenticate((fields.get("api_key") or [""])[0])
    await clients.take(request.app.stores.get(RATE_LIMIT_STORE), client)
    created = await open311.create_request(ctx, client, fields, idempotency_key)
    await record_request(request, "interop.open311_request", actor_id=client.actor.id, actor_name=client.name,
                         target=f"case:{created['service_request_id']}", details={"client_id": client.id})
    return render(fmt, [created], "service_requests", "request")


@get(["/v2/requests.json", "/v2/requests.xml"], operation_id=_op("open311ListRequests"),
     summary="Open311 查询服务请求 Public requests (90 days, 1000 at most by default)")
async def list_requests(
    request: Request[Any, Any, Any], ctx: Ctx, service_request_id: Query = None, service_code: Query = None,
    start_date: ShortQuery = None, end_date: ShortQuery = None, status: ShortQuery = None,
    jurisdiction_id: ShortQuery = None,
) -> Response[bytes]:
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    rows = await open311.list_requests(ctx, _base_url(ctx, request), ids=service_request_id, codes=service_code,
                                       start=start_date, end=end_date, status=status)
    return render(fmt, rows, "service_requests", "request")


@get("/v2/requests/{segment:str}", operation_id="open311GetRequest", summary="Open311 单个服务请求 One request")
async def get_request(request: Request[Any, Any, Any], ctx: Ctx, segment: FromPath[str],
                      jurisdiction_id: ShortQuery = None) -> Response[bytes]:
    request_id, fmt = split_format(segment)
    return render(fmt, await open311.get_request(ctx, _base_url(ctx, request), request_id), "service_requests",
                  "request")


@get("/v2/tokens/{segment:str}", operation_id="open311Token", summary="Open311 令牌 The request id of a token")
async def token(segment: FromPath[str], jurisdiction_id: ShortQuery = None) -> Response[bytes]:
    value, fmt = split_format(segment)
    return render(fmt, await open311.token(value), "service_requests", "request")


@get(["/v2/servicerequestupdates.json", "/v2/servicerequestupdates.xml"], operation_id=_op("open311Updates"),
     summary="Open311 进展（FixMyStreet 扩展）Timeline steps of public requests")
async def request_updates(request: Request[Any, Any, Any], ctx: Ctx, start_date: ShortQuery = None,
                          end_date: ShortQuery = None, jurisdiction_id: ShortQuery = None) -> Response[bytes]:
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    return render(fmt, await open311.updates(ctx, start_date, end_date), "service_request_updates", "request_update")


def open311_router(settings: Settings) -> Router:
    # Reading is public: a limit per client address, on the project's rate-limit store (Redis across processes).
    every = frozenset({"GET", "POST"})
    per_ip = Limit("open311-ip", "minute", settings.open311_rate_per_ip, every, "/open311/", client_address)
    return Router(
        path="/open311",
        route_handlers=[discovery, services, service_definition, create_request, list_requests, get_request, token,
                        request_updates],
        tags=["open311"],
        middleware=[per_ip.config().middleware],
        exception_handlers={AppError: error_response, HTTPException: error_response, Exception: error_response},
    )


# ---------------------------------------------------------------- admin


class ClientIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=48, pattern=r"^[a-z0-9][a-z0-9_-]+$")]
    rate_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None


class ClientPatch(msgspec.Struct, forbid_unknown_fields=True):
    active: bool | None = None
    rate_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None


class ClientOut(msgspec.Struct):
    id: int
    name: str
    key_prefix: str
    rate_per_minute: int
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    user_id: int
    api_key: str | None = None  # only in the answer to the creation


def _client_out(row: dict[str, Any], key: str | None = None) -> ClientOut:
    return ClientOut(id=row["id"], name=row["name"], key_prefix=row["key_prefix"], rate_per_minute=row["rate_per_minute"],
                     active=row["active"], created_at=row["created_at"], last_used_at=row["last_used_at"],
                     user_id=row["user"], api_key=key)


class ClientAdminController(Controller):
    path = "/api/v1/admin/api-clients"
    tags = ["admin"]
    dependencies = {"actor": Provide(provide_actor)}
    guards = [admin_only]
    security = [{"bearer": []}]

    @get("/", operation_id="listApiClients", summary="外部系统 API clients (admin)")
    async def index(self) -> list[ClientOut]:
        return [_client_out(r) for r in await clients.list_clients()]

    @post("/", operation_id="createApiClient", summary="新建外部系统 A client and its key, shown once (admin)")
    async def create(self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor,
                     data: JSONBody[ClientIn]) -> ClientOut:
        row, key = await clients.create_client(ctx.engine, data.name,
                                               data.rate_per_minute or ctx.settings.open311_rate_per_minute, actor.id)
        await record_request(request, "interop.client_created", actor_id=actor.id, actor_name=actor.username,
                             target=f"api_client:{row['id']}", details={"name": data.name})
        return _client_out(row, key)

    @patch("/{client_id:int}", operation_id="updateApiClient", summary="停用/启用、限流 Disable, enable, limit (admin)")
    async def update(self, request: Request[Any, Any, Any], actor: CurrentActor, client_id: FromPath[int],
                     data: JSONBody[ClientPatch]) -> ClientOut:
        row = await clients.update_client(client_id, active=data.active, rate_per_minute=data.rate_per_minute)
        await record_request(request, "interop.client_changed", actor_id=actor.id, actor_name=actor.username,
                             target=f"api_client:{client_id}",
                             details={"active": data.active, "rate_per_minute": data.rate_per_minute})
        return _client_out(row)


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=500)]
    kinds: Annotated[list[str], msgspec.Meta(max_length=20)] = []
    states: Annotated[list[str], msgspec.Meta(max_length=20)] = []
    categories: Annotated[list[str], msgspec.Meta(max_length=200)] = []
    areas: Annotated[list[str], msgspec.Meta(max_length=200)] = []


class WebhookPatch(msgspec.Struct, forbid_unknown_fields=True):
    active: bool


class WebhookOut(msgspec.Struct):
    id: int
    name: str
    url: str
    kinds: list[str]
    states: list[str]
    categories: list[str]
    areas: list[str]
    active: bool
    created_at: datetime
    secret: str | None = None  # only in the answer to the creation


class ReplayIn(msgspec.Struct, forbid_unknown_fields=True):
    from_seq: Annotated[int, msgspec.Meta(ge=1)]


class ReplayOut(msgspec.Struct):
    queued: int


class DeadOut(msgspec.Struct):
    id: int
    delivery_id: str
    subscriber_id: int
    event_seq: int
    kind: str
    attempts: int
    last_status: int | None
    last_error: str
    created_at: datetime


def _webhook_out(row: dict[str, Any], secret: str | None = None) -> WebhookOut:
    return WebhookOut(**{k: row[k] for k in ("id", "name", "url", "kinds", "states", "categories", "areas", "active",
                                             "created_at")}, secret=secret)


class WebhookAdminController(Controller):
    path = "/api/v1/admin/webhooks"
    tags = ["admin"]
    dependencies = {"actor": Provide(provide_actor)}
    guards = [admin_only]
    security = [{"bearer": []}]

    @get("/", operation_id="listWebhooks", summary="回调订阅 Webhook subscribers (admin)")
    async def index(self) -> list[WebhookOut]:
        return [_webhook_out(r) for r in await webhooks.list_subscribers()]

    @post("/", operation_id="createWebhook", summary="新建回调 A subscriber; its signing secret is shown once (admin)")
    async def create(self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor,
                     data: JSONBody[WebhookIn]) -> WebhookOut:
        row, secret = await webhooks.create_subscriber(ctx, msgspec.structs.asdict(data), actor.id)
        await record_request(request, "interop.webhook_created", actor_id=actor.id, actor_name=actor.username,
                             target=f"webhook:{row['id']}", details={"name": data.name})
        return _webhook_out(row, secret)

    @patch("/{subscriber_id:int}", operation_id="updateWebhook", summary="停用/启用回调 Disable or enable (admin)")
    async def update(self, request: Request[Any, Any, Any], actor: CurrentActor, subscriber_id: FromPath[int],
                     data: JSONBody[WebhookPatch]) -> WebhookOut:
        row = await webhooks.set_active(subscriber_id, data.active)
        await record_request(request, "interop.webhook_changed", actor_id=actor.id, actor_name=actor.username,
                             target=f"webhook:{subscriber_id}", details={"active": data.active})
        return _webhook_out(row)

    @post("/{subscriber_id:int}/replay", operation_id="replayWebhook", status_code=202,
          summary="从序号重放 Send events from a sequence number again (admin)")
    async def replay(self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor,
                     subscriber_id: FromPath[int], data: JSONBody[ReplayIn]) -> ReplayOut:
        queued = await webhooks.replay(ctx, subscriber_id, data.from_seq)
        await record_request(request, "interop.webhook_replayed", actor_id=actor.id, actor_name=actor.username,
                             target=f"webhook:{subscriber_id}", details={"from_seq": data.from_seq, "queued": queued})
        return ReplayOut(queued=queued)

    @get("/dead", operation_id="listDeadDeliveries", summary="投递失败 Deliveries out of attempts (admin)")
    async def dead(self, limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100) -> list[DeadOut]:
        return [DeadOut(id=r["id"], delivery_id=r["delivery_id"], subscriber_id=r["subscriber"],
                        event_seq=r["event_seq"], kind=r["kind"], attempts=r["attempts"], last_status=r["last_status"],
                        last_error=r["last_error"], created_at=r["created_at"]) for r in await webhooks.dead(limit)]

    @post("/deliveries/{delivery_id:str}/retry", operation_id="retryDelivery", status_code=202,
          summary="重发 Send a dead delivery again, same delivery id (admin)")
    async def retry(self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor,
                    delivery_id: FromPath[str]) -> ReplayOut:
        await webhooks.resend(ctx, delivery_id[:36])
        await record_request(request, "interop.delivery_retried", actor_id=actor.id, actor_name=actor.username,
                             target=f"delivery:{delivery_id[:36]}")
        return ReplayOut(queued=1)
