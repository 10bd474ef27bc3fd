"""Open311 GeoReport v2 services: post a request through the ordinary report path, and read public requests back.

Reading is public and shows public data only: no reporter, no text anyone wrote, locations rounded like the public
map. A request is visible when its case is public (filed) or it came in through Open311 (so its client can follow it
from the first minute).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query import Select

from backend.cases import services as case_services
from backend.cases.lifecycle import STATE_NAMES, TRANSITIONS, State
from backend.cases.schemas import ReportIn
from backend.cases.tables import Case, TimelineEntry
from backend.cases.views import NOT_PUBLIC
from backend.context import AppContext
from backend.errors import AppError
from backend.interop import catalogue, media
from backend.interop.clients import Client
from backend.interop.tables import Open311Request
from backend.interop.wire import bad_request, w3c
from backend.org.tables import Unit
from backend.photos.tables import Photo
from backend.places.service import get_places
from backend.redaction import service as redaction
from backend.triage.taxonomy import Category

MAX_RESULTS = 1000
DEFAULT_SPAN = timedelta(days=90)
CLOSED_STATES = frozenset({State.CLOSED.value, State.VOIDED.value, State.DUPLICATE.value})
POST_FIELDS = frozenset({"api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
                         "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
                         "media_url"})
# Who the reporter is stays with the client (PIPL: collect only what the case needs); these are accepted, not kept.
NOT_KEPT = frozenset({"email", "device_id", "account_id", "first_name", "last_name", "phone", "address_id"})
ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_.-]{1,40})\](\[\])?$")
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$")
# FixMyStreet's update statuses for where a timeline entry left the case.
UPDATE_STATUS = {
    "new": "OPEN", "verifying": "INVESTIGATING", "pending_filing": "INVESTIGATING", "voided": "NO_FURTHER_ACTION",
    "duplicate": "DUPLICATE", "pending_dispatch": "ACTION_SCHEDULED", "dispatched": "ACTION_SCHEDULED",
    "handling": "IN_PROGRESS", "return_requested": "IN_PROGRESS", "extension_requested": "IN_PROGRESS",
    "suspension_requested": "IN_PROGRESS", "suspended": "PLANNED", "checking": "IN_PROGRESS",
    "pending_close": "FIXED", "closed": "FIXED",
}
ACTION_NAMES = {t.action: (t.name_zh, t.name_en) for t in TRANSITIONS} | {
    "report": ("收到上报", "Report received"), "triage": ("自动分拣", "Triaged"),
}


# ---------------------------------------------------------------- posting


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    if len(values) > 1:
        raise bad_request(f"参数 {name} 只能出现一次", f"Parameter {name} may appear only once", "open311.repeated")
    return values[0].strip()


def _location(form: dict[str, list[str]]) -> tuple[float, float] | None:
    """lat/long as given, or None when only ``address_string`` places the request (resolved by ``_place_address``)."""
    lat, lng = _one(form, "lat"), _one(form, "long")
    if lat or lng:
        try:
            lat_f, lng_f = float(lat), float(lng)
        except ValueError:
            raise bad_request("lat 和 long 必须同时给出且为数字", "lat and long must both be given as numbers",
                              "open311.bad_location") from None
        if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
            raise bad_request("lat/long 超出范围", "lat/long out of range", "open311.bad_location")
        return lat_f, lng_f
    if _one(form, "address_string"):
        return None
    if _one(form, "address_id"):
        # address_id names a record in the client's own address book, which this city cannot look up.
        raise bad_request("不支持 address_id，请提供 lat 和 long 或 address_string",
                          "address_id is not supported: send lat and long, or address_string",
                          "open311.address_not_supported")
    raise bad_request("缺少位置：请提供 lat 和 long", "Missing location: send lat and long", "open311.location_required")


ADDRESS_MIN_SCORE = 80.0  # a gazetteer hit this good or better places the request; below it, the client is asked


async def _place_address(ctx: AppContext, address: str) -> tuple[float, float]:
    """The point of the best gazetteer match for an address (a road, landmark, community, street …)."""
    try:
        hits = (await get_places(ctx)).search(address, 1)
    except AppError as err:
        if err.status >= 500:
            raise
        hits = []
    if not hits or hits[0].score < ADDRESS_MIN_SCORE:
        raise bad_request(f"找不到地址“{address}”，请提供 lat 和 long", f"Address not found: {address}; send lat and long",
                          "open311.address_not_found")
    return hits[0].place.lat, hits[0].place.lng


async def parse_post(ctx: AppContext, form: dict[str, list[str]]) -> tuple[Category, ReportIn, dict[str, Any], str]:
    """Everything checked before anything is stored: the service, the location, the attributes, the fields."""
    answers: dict[str, list[str]] = {}
    unknown = []
    for name, values in form.items():
        match = ATTRIBUTE.match(name)
        if match:
            answers.setdefault(match.group(1), []).extend(values)
            if not match.group(2) and len(values) > 1:
                raise bad_request(f"属性 {match.group(1)} 只能有一个值（多选请用 attribute[CODE][]）",
                                  f"Attribute {match.group(1)} takes one value (use attribute[CODE][] for several)",
                                  "open311.bad_attribute")
        elif name not in POST_FIELDS:
            unknown.append(name)
    if unknown:
        raise bad_request(f"未知参数：{', '.join(sorted(unknown))}", f"Unknown parameter(s): {', '.join(sorted(unknown))}",
                          "open311.unknown_parameter")
    code = _one(form, "service_code")
    if not code:
        raise bad_request("缺少 service_code", "Missing service_code", "open311.service_code_required")
    category = _category(ctx, code, status=400)
    point = _location(form)
    try:
        attributes = catalogue.check_answers(category, answers)
    except catalogue.AttributeProblem as problem:
        raise bad_request(problem.zh, problem.en, "open311.bad_attribute") from None
    description = _one(form, "description")
    address = _one(form, "address_string")
    if len(description) > 2000 or len(address) > 200:
        raise bad_request("description 最多 2000 字，address_string 最多 200 字",
                          "description is limited to 2000 characters, address_string to 200", "open311.too_long")
    lat, lng = point if point is not None else await _place_address(ctx, address)
    data = ReportIn(lng=lng, lat=lat, description=description, address=address, location_source="manual",
                    category_code=category.code)
    return category, data, attributes, _one(form, "media_url")


def _category(ctx: AppContext, code: str, status: int) -> Category:
    if not ctx.triage.taxonomy.has(code):
        raise bad_request(f"未知的服务代码：{code}", f"Unknown service_code: {code}", "open311.unknown_service", status)
    category: Category = ctx.triage.taxonomy.get(code)
    return category


async def create_request(ctx: AppContext, client: Client, form: dict[str, list[str]],
                         key: str | None) -> dict[str, Any]:
    category, data, attributes, media_url = await parse_post(ctx, form)
    uploads = []
    if media_url:
        uploads.append((await media.fetch(ctx, media_url), "media"))
    token = secrets.token_hex(16)

    async def remember(case: Any) -> None:  # in the case's own transaction: both commit, or neither
        await Open311Request.insert(Open311Request(
            case=case.id, client=client.id, service_code=category.code, attributes=attributes, media_url=media_url,
            address_string=data.address, token=token, created_at=datetime.now(UTC)))

    try:
        view, replayed = await case_services.create_report(ctx, client.actor, data, key, uploads=uploads,
                                                           source="open311", on_created=remember)
    except AppError as err:
        if err.status == 422:  # the spec knows 400 for a request it cannot accept (e.g. outside the city)
            err.status = 400
        raise
    if replayed:  # a retry with the same key: the token given the first time
        existing = await Open311Request.select(Open311Request.token).where(Open311Request.case == view.id).first()
        token = existing["token"] if existing else token
    return {"service_request_id": view.tracking_no, "token": token,
            "service_notice": "已受理，分拣后派往责任单位 / Received; it is routed to the responsible unit after triage"}


# ---------------------------------------------------------------- reading


def parse_date(name: str, raw: str, tz: str) -> datetime:
    # An unencoded "+" in a query string arrives as a space: take it back, it cannot mean anything else here.
    raw = raw.strip().replace(" ", "+")
    if not W3C.match(raw):
        raise bad_request(f"{name} 应为 W3C 日期时间，如 2026-12-01T00:00:00+08:00",
                          f"{name} must be a W3C datetime such as 2026-12-01T00:00:00+08:00", "open311.bad_date")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} 不是有效日期", f"{name} is not a valid date", "open311.bad_date") from None
    if value.tzinfo is None:  # a bare date: midnight in the city
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def window(start_raw: str | None, end_raw: str | None, tz: str) -> tuple[datetime, datetime]:
    """The spec's defaults: the last 90 days; one end given, 90 days from it; a longer span is refused."""
    start = parse_date("start_date", start_raw, tz) if start_raw else None
    end = parse_date("end_date", end_raw, tz) if end_raw else None
    if start is None and end is None:
        end = datetime.now(UTC)
    if start is None:
        assert end is not None
        start = end - DEFAULT_SPAN
    if end is None:
        end = start + DEFAULT_SPAN
    if end < start:
        raise bad_request("end_date 早于 start_date", "end_date is before start_date", "open311.bad_date")
    if end - start > DEFAULT_SPAN:
        raise bad_request("查询时间跨度不能超过 90 天", "The date range may not span more than 90 days",
                          "open311.span_too_long")
    return start, end


def _visible() -> Any:
    return Case.state.not_in(sorted(NOT_PUBLIC)) | Case.id.is_in(Open311Request.select(Open311Request.case))


def _split(raw: str | None) -> list[str]:
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


async def list_requests(ctx: AppContext, base_url: str, *, ids: str | None, codes: str | None, start: str | None,
                        end: str | None, status: str | None) -> list[dict[str, Any]]:
    query: Select[Case] = Case.select().where(_visible())
    wanted_ids = _split(ids)
    if wanted_ids:  # the spec: service_request_id overrides every other parameter
        if len(wanted_ids) > MAX_RESULTS:
            raise bad_request("service_request_id 最多 1000 个", "At most 1000 service_request_id values",
                              "open311.too_many_ids")
        query = query.where(Case.tracking_no.is_in([i.upper()[:20] for i in wanted_ids]))
    else:
        for code in (wanted_codes := _split(codes)):
            _category(ctx, code, status=400)
        statuses = _split(status)
        bad = [s for s in statuses if s not in ("open", "closed")]
        if bad:
            raise bad_request(f"status 只能是 open 或 closed：{', '.join(bad)}",
                              f"status must be open or closed: {', '.join(bad)}", "open311.bad_status")
        since, until = window(start, end, ctx.settings.timezone)
        query = query.where((Case.created_at >= since) & (Case.created_at <= until))
        if wanted_codes:
            query = query.where(Case.category_code.is_in([c.upper() for c in wanted_codes]))
        if statuses == ["open"]:
            query = query.where(Case.state.not_in(sorted(CLOSED_STATES)))
        elif statuses == ["closed"]:
            query = query.where(Case.state.is_in(sorted(CLOSED_STATES)))
    rows = await query.order_by(Case.created_at, ascending=False).limit(MAX_RESULTS)
    return await _render(ctx, base_url, rows)


async def get_request(ctx: AppContext, base_url: str, request_id: str) -> list[dict[str, Any]]:
    rows = await Case.select().where(_visible() & (Case.tracking_no == request_id.upper()[:20])).limit(1)
    if not rows:
        raise bad_request(f"没有这个服务请求：{request_id}", f"No such service request: {request_id}",
                          "open311.request_not_found", 404)
    return await _render(ctx, base_url, rows)


async def token(request_token: str) -> list[dict[str, Any]]:
    row = await Open311Request.select(Open311Request.case.tracking_no, Open311Request.token).where(
        Open311Request.token == request_token[:40]).first()
    if row is None:
        raise bad_request(f"没有这个令牌：{request_token[:40]}", f"No such token: {request_token[:40]}",
                          "open311.token_not_found", 404)
    return [{"service_request_id": row["case.tracking_no"], "token": row["token"]}]


def status_of(state: str) -> str:
    return "closed" if state in CLOSED_STATES else "open"


async def _render(ctx: AppContext, base_url: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    asked: dict[int, str] = {}
    photos: dict[int, int] = {}
    units: dict[int, str] = {}
    if ids:
        asked = {r["case"]: r["service_code"] for r in await Open311Request.select(
            Open311Request.case, Open311Request.service_code).where(Open311Request.case.is_in(ids))}
        ready = await Photo.select(Photo.id, Photo.case).where(
            Photo.case.is_in(ids) & (Photo.status == "ready") & Photo.kind.is_in(["report", "after"])
        ).order_by(Photo.id)
        public = await redaction.public_ids([p["id"] for p in ready])  # faces and plates pixelated: public at all
        for p in ready:
            if p["id"] in public:
                photos.setdefault(p["case"], p["id"])
        unit_ids = sorted({r["unit"] for r in rows if r["unit"]})
        if unit_ids:
            units = {u["id"]: u["name"] for u in await Unit.select(Unit.id, Unit.name).where(Unit.id.is_in(unit_ids))}
    return [public_request(ctx, base_url, r, asked.get(r["id"], ""), photos.get(r["id"]), units.get(r["unit"] or 0))
            for r in rows]


def public_request(ctx: AppContext, base_url: str, row: dict[str, Any], asked_code: str, photo_id: int | None,
                   unit_name: str | None) -> dict[str, Any]:
    """One case as Open311 shows it to anyone: no reporter, no text, a rounded location."""
    tz = ctx.settings.timezone
    code = row["category_code"] or asked_code
    taxonomy = ctx.triage.taxonomy
    name = row["category_name"] or (taxonomy.get(code).name if code and taxonomy.has(code) else "")
    zh, en = STATE_NAMES[State(row["state"])]
    out: dict[str, Any] = {
        "service_request_id": str(row["tracking_no"]),
        "status": status_of(row["state"]),
        "status_notes": f"{zh} / {en}",
        "service_name": name,
        "service_code": str(code),
        "agency_responsible": unit_name or None,
        "requested_datetime": w3c(row["created_at"], tz),
        "updated_datetime": w3c(row["updated_at"], tz),
        "expected_datetime": w3c(row["due_at"], tz),
        "lat": round(row["lat"], 3),
        "long": round(row["lng"], 3),
        "media_url": f"{base_url}/api/v1/public/photos/{photo_id}/thumb" if photo_id else None,
    }
    return {k: v for k, v in out.items() if v is not None}


async def updates(ctx: AppContext, start: str | None, end: str | None) -> list[dict[str, Any]]:
    """The FixMyStreet extension: every step of a visible case's timeline in the window, oldest first."""
    since, until = window(start, end, ctx.settings.timezone)
    visible_ids = Case.select(Case.id).where(_visible())
    rows = await TimelineEntry.select(
        TimelineEntry.id, TimelineEntry.at, TimelineEntry.action, TimelineEntry.to_state,
        TimelineEntry.case.tracking_no,
    ).where((TimelineEntry.at >= since) & (TimelineEntry.at <= until) & (TimelineEntry.to_state != "")
            & TimelineEntry.case.is_in(visible_ids)).order_by(TimelineEntry.id).limit(MAX_RESULTS)
    out = []
    for r in rows:
        zh, en = ACTION_NAMES.get(r["action"]) or STATE_NAMES.get(State(r["to_state"]), (r["action"], r["action"]))
        status = "REOPEN" if r["action"] == "reopen" else UPDATE_STATUS.get(r["to_state"], "OPEN")
        out.append({"update_id": str(r["id"]), "service_request_id": str(r["case.tracking_no"]), "status": status,
                    "updated_datetime": w3c(r["at"], ctx.settings.timezone), "description": f"{zh} / {en}"})
    return out
