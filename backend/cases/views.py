"""Reading cases: one case with its timeline and photos, and the per-role lists (my reports, inbox, queues, tasks)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from piccolo.columns.combination import And, Or, Where
from piccolo.querystring import QueryString

from backend.accounts.roles import ROLE_NAMES, Role
from backend.accounts.services import Actor
from backend.cases import clock, follow
from backend.cases.access import allowed_actions, can_see, ensure_visible, find_case
from backend.cases.lifecycle import STATE_NAMES, WITH_UNIT, State
from backend.cases.names import category_name_en
from backend.cases.schemas import (
    PLACE_FIELDS,
    CaseOut,
    CasePage,
    CasePlace,
    CaseView,
    PhotoRef,
    PublicCaseOut,
    PublicCasePage,
    ReporterCaseOut,
    ReporterPhotoRef,
    ReporterTimelineOut,
    TimelineOut,
    UnitRef,
)
from backend.cases.tables import Case, TimelineEntry
from backend.cases.timelimits import parse_time_limit
from backend.context import CaseAccess
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.live.messages import is_reporter_view
from backend.org.tables import Unit
from backend.photos.tables import Photo
from backend.redaction import service as redaction
from backend.redaction.schemas import RedactionOut
from backend.settings import Settings

# Which list views each role may open.
VIEWS: dict[str, frozenset[Role]] = {
    "mine": frozenset(Role),
    "inbox": frozenset({Role.UNIT_STAFF}),
    "triage": frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN}),
    "filing": frozenset({Role.SHIFT_LEAD, Role.OPERATOR, Role.ADMIN}),
    "dispatch": frozenset({Role.DISPATCHER, Role.ADMIN}),
    "approvals": frozenset({Role.DISPATCHER, Role.ADMIN}),
    "tasks": frozenset({Role.SUPERVISOR}),
    "all": frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.ADMIN}),
}
LIGHTS = ("green", "yellow", "red")
WITH_UNIT_VALUES = frozenset(s.value for s in WITH_UNIT)
# Reports not yet filed (or voided) are not shown to the public.
NOT_PUBLIC = frozenset({State.NEW.value, State.VERIFYING.value, State.PENDING_FILING.value, State.VOIDED.value})


# What a citizen sees of their own report (PIPL): the public milestones. Internal workflow — approval requests,
# reassignments, re-routing, deadline warnings, duplicate checks, category corrections — stays with staff.
REPORTER_ACTIONS = frozenset({
    "report", "triage", "request_verify", "verify", "accept_report", "file", "void", "link_duplicate", "dispatch",
    "accept", "approve_suspension", "resume", "report_back", "check", "close", "rate", "reopen",
})
# Report and after-handling photos, as on the public map; verify and check photos are staff's working material.
REPORTER_PHOTO_KINDS = frozenset({"report", "after"})
# The checks of what the reporter sent; staff's own flags (unrouted, likely_duplicate, not_confirmed) stay internal.
REPORTER_FLAGS = frozenset({"location_mismatch", "old_photo", "outside_area"})
ROLE_VALUES = frozenset(r.value for r in Role)
# Centre staff and supervisors are shown to citizens as the centre, unit staff as their unit: never as a person.
CENTRE_NAME = ("城市管理指挥中心", "City management command centre")
MERGED_NOTE = ("已与其他群众的相同上报合并", "Merged with the same report from another citizen")


def public_states() -> frozenset[str]:
    return frozenset(s.value for s in State) - NOT_PUBLIC


async def load_case(case_id: int) -> Case:
    case = await Case.objects().output(load_json=True).get(Case.id == case_id)
    if case is None:
        raise NotFound(f"案件不存在：{case_id}", f"No such case: {case_id}", code="case.not_found")
    return case


def _unit_ref(units: dict[int, Unit], unit_id: int | None) -> UnitRef | None:
    unit = units.get(unit_id) if unit_id else None
    return UnitRef(id=unit.id, code=unit.code, name=unit.name, name_en=unit.name_en or unit.name) if unit else None


def photo_url(settings: Settings, photo_id: int, variant: str) -> str:
    return f"/api/v1/photos/{photo_id}/{variant}"


def _photo_ref(settings: Settings, row: dict[str, Any], redacted: RedactionOut | None = None) -> PhotoRef:
    ready = row["status"] == "ready"
    return PhotoRef(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        thumb_url=photo_url(settings, row["id"], "thumb") if ready else None,
        display_url=photo_url(settings, row["id"], "display") if ready else None,
        warnings=list(row["warnings"] or []),
        redaction=redacted,
    )


def _reporter_photo(settings: Settings, row: dict[str, Any], shown: bool) -> ReporterPhotoRef:
    """``shown``: the reporter took it, or its redacted derivative exists (the only one they may see of others')."""
    ref = _photo_ref(settings, row)
    if not shown:
        return ReporterPhotoRef(id=ref.id, kind=ref.kind, thumb_url=None, display_url=None)
    return ReporterPhotoRef(id=ref.id, kind=ref.kind, thumb_url=ref.thumb_url, display_url=ref.display_url)


def _json_list(value: Any) -> list[Any]:
    """A JSON column as a list: rows read with load_json are lists already, a fresh object may hold its text."""
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


def place_of(case: Case) -> CasePlace | None:
    """The stored place's parts (None for a case made before places were stored, until the backfill names it)."""
    value = case.place
    if isinstance(value, str):
        value = json.loads(value or "{}")
    if not value:
        return None
    return CasePlace(**{k: value[k] for k in PLACE_FIELDS if k in value})


def _limit_en(raw: str) -> str:
    try:
        return parse_time_limit(raw).english if raw else ""
    except InvalidInput:
        return raw


def case_out(settings: Settings, case: Case, units: dict[int, Unit], **extra: Any) -> CaseOut:
    zh, en = STATE_NAMES[State(case.state)]
    light, left = clock.reading(settings, case, case.state in WITH_UNIT_VALUES)
    return CaseOut(
        id=case.id,
        tracking_no=case.tracking_no,
        state=case.state,
        state_zh=zh,
        state_en=en,
        source=case.source,
        reporter_id=case.reporter,
        description=case.description,
        address=case.address,
        lng=case.lng,
        lat=case.lat,
        location_source=case.location_source,
        location_accuracy_m=case.location_accuracy_m,
        flags=_json_list(case.flags),
        menu=case.menu,
        category_code=case.category_code,
        category_name=case.category_name,
        category_kind=case.category_kind,
        standard_index=case.standard_index,
        urgent=case.urgent,
        time_limit=case.time_limit,
        confidence=case.confidence,
        classifier_version=case.classifier_version,
        suggestions=_json_list(case.suggestions),
        unit_grid=case.unit_grid,
        community=case.community,
        street=case.street,
        district=case.district,
        responsibility_grid=case.responsibility_grid,
        component_id=case.component,
        unit=_unit_ref(units, case.unit),
        suggested_unit=_unit_ref(units, case.suggested_unit),
        routing_rule=case.routing_rule,
        assigned_supervisor_id=case.assigned_supervisor,
        duplicate_of=case.duplicate_of,
        likely_duplicate_of=case.likely_duplicate_of,
        created_at=case.created_at,
        updated_at=case.updated_at,
        filed_at=case.filed_at,
        dispatched_at=case.dispatched_at,
        accepted_at=case.accepted_at,
        reported_back_at=case.reported_back_at,
        closed_at=case.closed_at,
        due_at=case.due_at,
        stage_due_at=case.stage_due_at,
        time_left_seconds=left,
        light=light,
        rework_count=case.rework_count,
        return_count=case.return_count,
        reopen_count=case.reopen_count,
        rating=case.rating,
        rating_comment=case.rating_comment,
        version=case.version,
        place_text=case.place_text,
        place=place_of(case),
        category_name_en=category_name_en(case.category_code, case.category_name),
        time_limit_en=_limit_en(case.time_limit),
        **extra,
    )


async def _units_for(cases: list[Case]) -> dict[int, Unit]:
    ids = {i for c in cases for i in (c.unit, c.suggested_unit) if i}
    if not ids:
        return {}
    return {u.id: u for u in await Unit.objects().output(load_json=True).where(Unit.id.is_in(list(ids)))}


def reporter_case_out(case: Case, units: dict[int, Unit], **extra: Any) -> ReporterCaseOut:
    zh, en = STATE_NAMES[State(case.state)]
    unit = units.get(case.unit) if case.unit else None
    seen_by_staff = case.state != State.NEW.value
    return ReporterCaseOut(
        id=case.id,
        tracking_no=case.tracking_no,
        state=case.state,
        state_zh=zh,
        state_en=en,
        description=case.description,
        address=case.address,
        lng=case.lng,
        lat=case.lat,
        location_source=case.location_source,
        flags=[f for f in _json_list(case.flags) if f in REPORTER_FLAGS],
        category_code=case.category_code if seen_by_staff else "",
        category_name=case.category_name if seen_by_staff else "",
        unit_name=unit.name if unit else None,
        unit_name_en=(unit.name_en or unit.name) if unit else None,
        category_name_en=category_name_en(case.category_code, case.category_name) if seen_by_staff else "",
        merged=case.duplicate_of is not None,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        due_at=case.due_at,
        rating=case.rating,
        rating_comment=case.rating_comment,
        version=case.version,
        place_text=case.place_text,  # the name only: grid and area codes are staff internals
        **extra,
    )


def reporter_actor(role: str, unit_name: str | None) -> tuple[str, str]:
    """Who acted, as a citizen may be told: the role and the organisation (zh, en)."""
    if role not in ROLE_VALUES:
        return "系统", "System"
    zh, en = ROLE_NAMES[Role(role)]
    if role == Role.CITIZEN.value:
        return zh, en
    if role == Role.UNIT_STAFF.value:
        return (f"{zh} · {unit_name}", f"{en} · {unit_name}") if unit_name else (zh, en)
    return f"{zh} · {CENTRE_NAME[0]}", f"{en} · {CENTRE_NAME[1]}"


def _reporter_timeline(case: Case, entries: list[dict[str, Any]], photo_ids: set[int]) -> list[ReporterTimelineOut]:
    timeline = []
    for e in entries:
        if e["action"] not in REPORTER_ACTIONS:
            continue
        actor_zh, actor_en = reporter_actor(e["actor_role"], e["actor_unit"])
        if e["action"] == "link_duplicate":
            note = MERGED_NOTE[0]
        else:
            # What the reporter wrote themselves (report, rating, reopen reason); staff notes are internal.
            note = e["note"] if e["actor"] is not None and e["actor"] == case.reporter else ""
        result = (e["data"] or {}).get("result")
        timeline.append(ReporterTimelineOut(
            id=e["id"], at=e["at"], action=e["action"], actor_role=e["actor_role"], actor_zh=actor_zh,
            actor_en=actor_en, from_state=e["from_state"], to_state=e["to_state"], note=note,
            photo_ids=[p for p in e["photo_ids"] or [] if p in photo_ids],
            result=result if isinstance(result, str) else None,
        ))
    return timeline


async def case_detail(settings: Settings, actor: Actor, case_id: int) -> CaseView:
    case = await load_case(case_id)
    kind = await follow.following(actor.id, case.id) if is_reporter_view(actor) and not can_see(actor, case) else None
    if kind is None:
        ensure_visible(actor, case)
        return await render_case(settings, actor, case)
    view = await render_case(settings, actor, case)
    assert isinstance(view, ReporterCaseOut)
    return follower_view(view, kind, case.state in public_states())


def follower_view(view: ReporterCaseOut, kind: str, public: bool) -> ReporterCaseOut:
    """A followed case: no actions; public photos only while the case is public. Someone who joined from the nearby
    list (another person) sees no words the reporter wrote, and no address beyond the map position. A photo not yet
    redacted (or whose redaction failed) stays in the list without addresses: the follower sees that one is being
    processed instead of nothing."""
    photos = [msgspec.structs.replace(p, thumb_url=f"/api/v1/public/photos/{p.id}/thumb",
                                      display_url=f"/api/v1/public/photos/{p.id}/display") if p.thumb_url else p
              for p in view.photos] if public else []
    stranger = kind != "device"
    return msgspec.structs.replace(
        view, photos=photos, actions=[], following=kind,
        description="" if stranger else view.description, address="" if stranger else view.address,
        rating_comment="" if stranger else view.rating_comment,
        timeline=[msgspec.structs.replace(e, note="") for e in view.timeline] if stranger else view.timeline)


async def render_case(settings: Settings, actor: Actor, case: Case) -> CaseView:
    entries = (
        await TimelineEntry.select(
            *TimelineEntry.all_columns(),
            TimelineEntry.actor._.display_name.as_alias("actor_name"),
            TimelineEntry.actor._.unit._.name.as_alias("actor_unit"),
        )
        .output(load_json=True)
        .where(TimelineEntry.case == case.id)
        .order_by(TimelineEntry.id)
    )
    photos = await Photo.select().output(load_json=True).where(Photo.case == case.id).order_by(Photo.id)
    if is_reporter_view(actor):
        shown = [p for p in photos if p["kind"] in REPORTER_PHOTO_KINDS]
        public = await redaction.public_ids([p["id"] for p in shown if p["uploader"] != actor.id])
        return reporter_case_out(
            case,
            await _units_for([case]),
            photos=[_reporter_photo(settings, p, p["uploader"] == actor.id or p["id"] in public) for p in shown],
            timeline=_reporter_timeline(case, entries, {p["id"] for p in shown}),
            actions=allowed_actions(settings, actor, case),
        )
    timeline = [
        TimelineOut(
            id=e["id"],
            at=e["at"],
            actor_id=e["actor"],
            actor_name=e["actor_name"] or "系统",
            actor_role=e["actor_role"],
            action=e["action"],
            from_state=e["from_state"],
            to_state=e["to_state"],
            note=e["note"],
            photo_ids=list(e["photo_ids"] or []),
            data=dict(e["data"] or {}),
        )
        for e in entries
    ]
    redacted = await redaction.staff_view([p["id"] for p in photos])
    return case_out(
        settings,
        case,
        await _units_for([case]),
        photos=[_photo_ref(settings, p, redacted.get(p["id"])) for p in photos],
        timeline=timeline,
        actions=allowed_actions(settings, actor, case),
        **_followers(settings, (await follow.follower_count([case.id])).get(case.id, 0)),
    )


def _followers(settings: Settings, followers: int) -> dict[str, Any]:
    """The follower count staff see, and whether it makes the case 重点 in this city (off when the setting is 0)."""
    return {"followers": followers,
            "priority": 0 < settings.follower_priority <= followers}


def _view_filter(actor: Actor, view: str) -> Where | And | Or | None:
    if view not in VIEWS:
        raise InvalidInput(f"未知列表：{view}", f"Unknown view: {view}", code="case.unknown_view",
                           details={"views": sorted(VIEWS)})
    if actor.role not in VIEWS[view]:
        raise Forbidden("无权查看此列表", "This list is not for your role", code="case.view_forbidden")
    match view:
        case "mine":
            return Case.reporter == actor.id
        case "inbox":
            return (Case.unit == actor.unit_id) & Case.state.is_in([s.value for s in WITH_UNIT])
        case "triage":
            return Case.state == State.NEW.value
        case "filing":
            return Case.state.is_in([State.PENDING_FILING.value, State.PENDING_CLOSE.value])
        case "dispatch":
            return Case.state == State.PENDING_DISPATCH.value
        case "approvals":
            return Case.state.is_in(
                [State.RETURN_REQUESTED.value, State.EXTENSION_REQUESTED.value, State.SUSPENSION_REQUESTED.value]
            )
        case "tasks":
            mine: Where | Or = Case.assigned_supervisor == actor.id
            task_states = Case.state.is_in([State.VERIFYING.value, State.CHECKING.value])
            if actor.grids:
                mine = mine | (Case.assigned_supervisor.is_null() & Case.responsibility_grid.is_in(list(actor.grids)))
            return task_states & mine
        case _:  # "all"
            return None


def _search(q: str) -> Where | Or | None:
    """A tracking number's beginning (SSP2026…), else a place's name: the stored place (district, street, community,
    nearby road or landmark) or the address the reporter wrote. LIKE's wildcards in the query count as nothing."""
    text = q.strip().replace("%", "").replace("_", "")
    if any(ord(c) < 32 for c in text):  # PostgreSQL refuses a NUL in a text parameter
        raise InvalidInput("查找内容含有控制字符", "The search contains control characters", code="case.bad_query")
    if not text:
        return None
    if text.upper().startswith("SSP"):
        return Case.tracking_no.like(text.upper() + "%")
    return Case.place_text.like(f"%{text}%") | Case.address.like(f"%{text}%")


async def list_cases(
    settings: Settings,
    actor: Actor,
    view: str,
    *,
    states: list[str],
    category: str | None,
    unit_id: int | None,
    area: str | None,
    light: str | None,
    q: str | None,
    page: int,
    page_size: int,
    sort: str,
) -> CasePage:
    where = _view_filter(actor, view)
    kinds: dict[int, str] = {}
    if view == "mine" and is_reporter_view(actor):
        kinds = {i: k for i, k in await follow.followed(actor.id)}
        if kinds:  # my reports and the ones I follow
            followed = Case.id.is_in(list(kinds))
            where = followed if where is None else where | followed
    clauses = [where] if where is not None else []
    valid_states = {s.value for s in State}
    for s in states:
        if s not in valid_states:
            raise InvalidInput(f"未知状态：{s}", f"Unknown state: {s}", code="case.unknown_state")
    if states:
        clauses.append(Case.state.is_in(states))
    if category:
        clauses.append(Case.category_code.like(category + "%"))
    if unit_id:
        clauses.append(Case.unit == unit_id)
    if area:
        clauses.append(
            (Case.district == area) | (Case.street == area) | (Case.community == area) | (Case.unit_grid == area)
            | (Case.responsibility_grid == area)
        )
    if light:
        if light not in LIGHTS:
            raise InvalidInput(f"未知时限灯：{light}", f"Unknown light: {light}", code="case.unknown_light")
        clauses.append(Case.light == light)
    if q and (clause := _search(q)) is not None:
        # Staff also find cases by text read from their photos (a phone number on an advert, a plate, a shop sign).
        read = await redaction.photos_with_text(q) if not is_reporter_view(actor) else []
        cases = [r["case"] for r in await Photo.select(Photo.case).where(Photo.id.is_in(read) & Photo.case.is_not_null())
                 ] if read else []
        clauses.append(clause | Case.id.is_in(cases) if cases else clause)
    query = Case.objects().output(load_json=True)
    count = Case.count()
    for condition in clauses:
        query = query.where(condition)
        count = count.where(condition)
    order = {"due": (Case.due_at, True), "created": (Case.created_at, False), "updated": (Case.updated_at, False)}
    if sort not in order:
        raise InvalidInput(f"未知排序：{sort}", f"Unknown sort: {sort}", code="case.unknown_sort")
    column, ascending = order[sort]
    if settings.follower_priority > 0 and not is_reporter_view(actor):
        # A city that lets followers raise a case puts its 重点 cases first in every staff list, then the chosen order.
        query = query.order_by(QueryString(
            '(SELECT count(*) FROM case_follow WHERE case_follow."case" = "case".id) >= {}', settings.follower_priority),
            ascending=False)
    rows = await query.order_by(column, ascending=ascending).order_by(Case.id, ascending=False).limit(
        page_size
    ).offset((page - 1) * page_size)
    units = await _units_for(rows)
    items: list[CaseView] = [
        reporter_case_out(c, units) if is_reporter_view(actor) else case_out(settings, c, units) for c in rows
    ]
    if not is_reporter_view(actor):
        counts = await follow.follower_count([c.id for c in rows])
        items = [msgspec.structs.replace(item, **_followers(settings, counts.get(item.id, 0))) for item in items]
    items = [follower_view(item, kinds[item.id], True) if isinstance(item, ReporterCaseOut) and item.id in kinds
             and c.reporter != actor.id else item for item, c in zip(items, rows, strict=True)]
    return CasePage(items=items, total=await count, page=page, page_size=page_size)


async def public_cases(page: int, page_size: int, bbox: tuple[float, float, float, float] | None) -> PublicCasePage:
    """Filed cases for the public map: anonymised, never the reporter or the text they wrote."""
    hidden = sorted(NOT_PUBLIC)
    query = Case.objects().output(load_json=True).where(Case.state.not_in(hidden))
    count = Case.count().where(Case.state.not_in(hidden))
    if bbox:
        w, s, e, n = bbox
        box = (Case.lng >= w) & (Case.lng <= e) & (Case.lat >= s) & (Case.lat <= n)
        query, count = query.where(box), count.where(box)
    rows = await query.order_by(Case.id, ascending=False).limit(page_size).offset((page - 1) * page_size)
    ids = [c.id for c in rows]
    thumbs: dict[int, list[str]] = {}
    if ids:
        shown = await Photo.select(Photo.id, Photo.case).where(
            Photo.case.is_in(ids) & (Photo.status == "ready") & Photo.kind.is_in(["report", "after"]))
        # Only photos whose faces and plates are pixelated are public at all.
        public = await redaction.public_ids([p["id"] for p in shown])
        for p in shown:
            if p["id"] in public:
                thumbs.setdefault(p["case"], []).append(f"/api/v1/public/photos/{p['id']}/thumb")
    items = []
    for c in rows:
        zh, en = STATE_NAMES[State(c.state)]
        items.append(
            PublicCaseOut(
                tracking_no=c.tracking_no,
                state=c.state,
                state_zh=zh,
                state_en=en,
                category_code=c.category_code,
                category_name=c.category_name,
                lng=round(c.lng, 3),
                lat=round(c.lat, 3),
                created_at=c.created_at,
                closed_at=c.closed_at,
                thumb_urls=thumbs.get(c.id, []),
                category_name_en=category_name_en(c.category_code, c.category_name),
            )
        )
    return PublicCasePage(items=items, total=await count, page=page, page_size=page_size)



def case_access() -> CaseAccess:
    """The cases domain's answers for the photos domain (which does not import this one): wired in app.py."""
    public = public_states()
    return CaseAccess(find_case, can_see, lambda case: case.state in public)
