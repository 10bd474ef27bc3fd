"""Case services: create a report, and perform lifecycle actions with timeline, events and idempotency."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from backend import idempotency
from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.cases import clock
from backend.cases.access import blocked_reason, describe_allowed, ensure_visible, may, transition
from backend.cases.change import case_change
from backend.cases.lifecycle import STATE_NAMES, State, Transition
from backend.cases.schemas import ActionIn, CaseView, ReportIn
from backend.cases.tables import Case, TrackingCounter
from backend.cases.views import load_case, render_case
from backend.context import AppContext
from backend.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from backend.live.log import EventKind
from backend.photos.service import Checked, Stored, forget, record, store_upload
from backend.photos.tables import Photo

log = logging.getLogger("suishoupai.cases")

REPORTER_ROLES = frozenset({Role.CITIZEN, Role.SUPERVISOR, Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN})
SOURCE_BY_ROLE = {Role.CITIZEN: "citizen", Role.SUPERVISOR: "supervisor"}
PHOTO_KIND_BY_ACTION = {"verify": "verify", "check": "check", "report_back": "after"}


# ---------------------------------------------------------------- idempotency


async def _replay(actor: Actor, scope: str, key: str | None, body_hash: str) -> int | None:
    """The case id answered for this key before, or None."""
    answer = await idempotency.replay(actor.id, scope, key, body_hash)
    return None if answer is None else int(answer["case_id"])


async def _remember(actor: Actor, scope: str, key: str | None, body_hash: str, case_id: int) -> None:
    await idempotency.remember(actor.id, scope, key, body_hash, {"case_id": case_id})


# ---------------------------------------------------------------- helpers


async def next_tracking_no(ctx: AppContext) -> str:
    day = clock.now().astimezone(ZoneInfo(ctx.settings.timezone)).strftime("%Y%m%d")
    # One statement, so two processes can never hand out the same number.
    rows = await TrackingCounter.raw(
        "INSERT INTO tracking_counter (day, value) VALUES ({}, 1) "
        "ON CONFLICT (day) DO UPDATE SET value = tracking_counter.value + 1 RETURNING value",
        day,
    )
    return f"SSP{day}{int(rows[0]['value']):06d}"


async def _attach_photos(actor: Actor, case: Case, photo_ids: list[int], kind: str) -> None:
    if not photo_ids:
        return
    rows = await Photo.select(Photo.id, Photo.uploader, Photo.case, Photo.status).where(Photo.id.is_in(photo_ids))
    found = {r["id"]: r for r in rows}
    for pid in photo_ids:
        row = found.get(pid)
        if row is None or row["uploader"] != actor.id:
            raise InvalidInput(f"照片不存在或不属于你：{pid}", f"No such photo of yours: {pid}", code="photo.not_found",
                               details={"photo_id": pid})
        if row["case"] is not None and row["case"] != case.id:
            raise Conflict(f"照片已用于其他案件：{pid}", f"Photo already belongs to another case: {pid}",
                           code="photo.already_used", details={"photo_id": pid})
        if row["status"] not in ("pending", "ready"):  # failed, or a direct upload not confirmed
            raise InvalidInput(f"照片不可用：{pid}", f"Photo is not usable: {pid}", code="photo.not_ready",
                               details={"photo_id": pid, "status": row["status"]})
    await Photo.update({Photo.case: case.id, Photo.kind: kind}).where(Photo.id.is_in(photo_ids))


# ---------------------------------------------------------------- create


async def _check_location(triage: Any, lng: float, lat: float) -> list[str]:
    """The report's point checked against the grids this process holds. A point outside them is checked once more
    after ``triage.refresh()``: an organisation import in another process may have added that area since (one query;
    the grids are read again only when the import revision moved)."""
    try:
        flags = triage.check_location(lng, lat)
    except InvalidInput as refused:
        if refused.code != "location.outside_city":
            raise
    else:
        if "outside_area" not in flags:
            return list(flags)
    await triage.refresh()
    return list(triage.check_location(lng, lat))


async def create_report(
    ctx: AppContext, actor: Actor, data: ReportIn, key: str | None, *,
    uploads: list[tuple[Checked, str]] | None = None, flags: list[str] | None = None, source: str | None = None,
    on_created: Callable[[Case], Awaitable[None]] | None = None,
) -> tuple[CaseView, bool]:
    """File a new report; returns (case, replayed). A retry with the same key returns the first answer.

    ``uploads`` are photos sent with the report (multipart): stored and processed first, and removed again if the
    case cannot be written, so nothing is left half-done. ``source`` overrides the one the role implies (an external
    system's channel, e.g. ``open311``); ``on_created`` writes what the caller keeps about a new case in the same
    transaction, so the case and its caller's record commit together or not at all.
    """
    if actor.role not in REPORTER_ROLES:
        raise Forbidden("此角色不能上报问题", "Your role cannot file reports", code="report.role_forbidden")
    key = key or data.idempotency_key
    uploads = uploads or []
    body_hash = idempotency.request_hash({
        **{k: getattr(data, k) for k in data.__struct_fields__ if k != "idempotency_key"},
        "uploads": [c.sha256 for c, _ in uploads],
    })
    triage = ctx.triage
    category = triage.choosable(data.category_code) if data.category_code else None
    if data.menu:
        triage.check_menu(data.menu)
    flags = [*await _check_location(triage, data.lng, data.lat), *(flags or [])]
    trusted_code = category is not None and actor.role is not Role.CITIZEN
    replayed = await _replay(actor, "report", key, body_hash)
    if replayed is not None:
        return await render_case(ctx.settings, actor, await load_case(replayed)), True
    if len(data.photo_ids) + len(uploads) > ctx.settings.max_photos:
        raise InvalidInput(f"最多只能上传 {ctx.settings.max_photos} 张照片",
                           f"At most {ctx.settings.max_photos} photos per report", code="photo.too_many")
    backlog = ctx.extras.get("intake")
    async with backlog.admit() if backlog is not None else contextlib.nullcontext():
        return await _take_report(ctx, actor, data, key, body_hash, flags, category if trusted_code else None,
                                  uploads, source, on_created)


async def _take_report(
    ctx: AppContext, actor: Actor, data: ReportIn, key: str | None, body_hash: str, flags: list[str],
    category: Any, uploads: list[tuple[Checked, str]], source: str | None,
    on_created: Callable[[Case], Awaitable[None]] | None,
) -> tuple[CaseView, bool]:
    stored: list[Stored] = []
    try:
        # All or nothing: the photos are processed and stored first, then recorded in the case's own transaction.
        # A bad or unstorable Nth photo, a failed commit or a client gone mid-way leaves no row, and the objects
        # already stored for this report are removed (after a crash, by the sweeper).
        for checked, name in uploads:
            stored.append(await store_upload(ctx, actor, checked, name, "report"))
        result = await _create_case(ctx, actor, data, key, body_hash, flags, category, data.photo_ids, source,
                                    on_created, stored)
    except BaseException:
        await asyncio.shield(forget(ctx, stored))
        raise
    if result[1]:  # a concurrent retry won the race: these copies are not needed
        await forget(ctx, stored)
    return result


async def _create_case(
    ctx: AppContext, actor: Actor, data: ReportIn, key: str | None, body_hash: str, flags: list[str],
    category: Any, photo_ids: list[int], source: str | None = None,
    on_created: Callable[[Case], Awaitable[None]] | None = None, uploads: Sequence[Stored] = (),
) -> tuple[CaseView, bool]:
    if len(photo_ids) + len(uploads) > ctx.settings.max_photos:
        raise InvalidInput(f"最多只能上传 {ctx.settings.max_photos} 张照片",
                           f"At most {ctx.settings.max_photos} photos per report", code="photo.too_many")
    async with case_change(ctx, None, actor) as change:
        # The event-log lock first (taken by case_change): an overlapping retry (on any process) waits there for the
        # first one's commit, then finds its record. Looked up before the lock, both would make a case (PostgreSQL).
        replayed = await _replay(actor, "report", key, body_hash)
        if replayed is not None:
            return await render_case(ctx.settings, actor, await load_case(replayed)), True
        now = clock.now()
        # A supervisor reports from the spot, so the report counts as verified (DOMAIN §2, stage 1).
        state = State.PENDING_FILING if actor.role is Role.SUPERVISOR else State.NEW
        case = await change.create(Case(
            tracking_no=await next_tracking_no(ctx),
            state=state.value,
            source=source or SOURCE_BY_ROLE.get(actor.role, "hotline"),
            reporter=actor.id,
            idempotency_key=key,
            description=data.description.strip(),
            address=data.address.strip(),
            lng=data.lng,
            lat=data.lat,
            location_source=data.location_source,
            location_accuracy_m=data.accuracy_m,
            flags=flags,
            menu=data.menu or "",
            category_code=category.code if category else "",
            category_name=category.name if category else "",
            category_kind=category.kind if category else "",
            created_at=now,
            updated_at=now,
        ))
        await _attach_photos(actor, case, photo_ids, "report")  # photos uploaded before, on their own
        photo_ids = [*photo_ids, *[(await record(upload, case.id)).id for upload in uploads]]
        change.record("report", from_state="", kind=EventKind.CASE_CREATED, text=("收到新上报", "New report received"),
                      note=case.description[:500], photo_ids=photo_ids, bump=False,
                      data={"hint_code": data.category_code or "", "flags": flags})
        change.enqueue("triage", {"case_id": case.id, "code_hint": data.category_code or ""})
        if on_created is not None:
            await on_created(case)
        await _remember(actor, "report", key, body_hash, case.id)
    return await render_case(ctx.settings, actor, case), False


# ---------------------------------------------------------------- actions


def _missing(t: Transition, body: ActionIn, case: Case) -> list[str]:
    missing = []
    for name in t.required:
        value = getattr(body, name)
        if value is None or value == "" or value == []:
            missing.append(name)
    if t.action == "dispatch" and not body.unit_id and not case.suggested_unit:
        missing.append("unit_id")
    return missing


async def perform(
    ctx: AppContext, actor: Actor, case_id: int, action: str, body: ActionIn, key: str | None
) -> CaseView:
    t = transition(action)
    if t is None:
        raise NotFound(f"未知操作：{action}", f"Unknown action: {action}", code="case.unknown_action")
    body_hash = idempotency.request_hash({"action": action, "case": case_id, **{k: getattr(body, k) for k in body.__struct_fields__}})
    async with case_change(ctx, case_id, actor) as change:
        # The locks first, so an overlapping retry finds the first one's record instead of acting again.
        case = change.case
        assert case is not None
        replayed = await _replay(actor, f"action:{case_id}", key, body_hash)
        if replayed is not None:
            return await render_case(ctx.settings, actor, await load_case(replayed))
        ensure_visible(actor, case)
        if not may(actor, case, t):
            raise Forbidden(f"你不能对此案件执行“{t.name_zh}”", f"You may not '{t.name_en}' this case",
                            code="case.action_forbidden", details=describe_allowed(ctx.settings, actor, case))
        state = State(case.state)
        if state not in t.sources:
            zh, en = STATE_NAMES[state]
            raise IllegalTransition(
                f"案件当前为“{zh}”，不能执行“{t.name_zh}”", f"The case is '{en}'; '{t.name_en}' is not possible now",
                details=describe_allowed(ctx.settings, actor, case),
            )
        blocked = blocked_reason(ctx.settings, case, t)
        if blocked:
            raise IllegalTransition(blocked[1], blocked[2], code=blocked[0],
                                    details=describe_allowed(ctx.settings, actor, case))
        missing = _missing(t, body, case)
        if missing:
            raise InvalidInput(f"缺少必填项：{', '.join(missing)}", f"Missing required fields: {', '.join(missing)}",
                               code="case.missing_fields", details={"missing": missing})
        if body.photo_ids and t.action in PHOTO_KIND_BY_ACTION:
            await _attach_photos(actor, case, body.photo_ids, PHOTO_KIND_BY_ACTION[t.action])
        await change.apply(t, body)
        await _remember(actor, f"action:{case_id}", key, body_hash, case.id)
    return await render_case(ctx.settings, actor, case)
