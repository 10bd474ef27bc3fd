"""The triage job: what happens to a case right after it is reported, in the background, durably and only once.

It classifies, locates, snaps to a surveyed component, routes and checks for duplicates, then one write transaction
writes the 'triage' timeline entry and one event — and files and dispatches on its own when the city allows it
(policy below).

Auto-dispatch policy (``settings.auto_dispatch``): only a supervisor's report (state ``pending_filing``: the supervisor
stood on the spot, so it counts as verified) whose category is sure (a supervisor's code, or confidence at or above
``auto_classify_threshold``), that is not a likely duplicate and carries no other warning flag (outside the area, old
photo, location mismatch…). Routed: filed and dispatched to the suggested unit. Unrouted: filed only, so it lands in
the dispatcher's queue marked ``unrouted``. Citizen reports always wait for an operator (and usually a supervisor's
核实): a photo and a sentence from the public are not enough to send a crew.
"""

from __future__ import annotations

from typing import Any

from backend.cases import clock
from backend.cases.change import CaseChange, case_change
from backend.cases.lifecycle import BY_ACTION, State
from backend.cases.schemas import ActionIn
from backend.cases.tables import Case
from backend.cases.transitions import grid_supervisor
from backend.context import AppContext
from backend.live.log import EventKind
from backend.photos.tables import Photo
from backend.redaction import service as redaction
from backend.triage import cityconfig
from backend.triage.duplicates import find_duplicate, mark
from backend.triage.service import Triage

ROUTABLE = {State.NEW.value, State.VERIFYING.value, State.PENDING_FILING.value, State.PENDING_DISPATCH.value}
NOT_BLOCKING = {"unrouted"}


def _set(case: Case, fields: dict[Any, Any]) -> None:
    for column, value in fields.items():
        setattr(case, column._meta.name, value)


def _flag(case: Case, flag: str, on: bool) -> None:
    flags = [f for f in case.flags or [] if f != flag]
    case.flags = [*flags, flag] if on else flags


async def _route(triage: Triage, case: Case) -> dict[str, Any]:
    """Snap, route and check for duplicates; returns what the timeline records."""
    snap = triage.snap(case.lng, case.lat, case.category_code) if case.category_kind == "component" else None
    case.component = snap.component_id if snap else None
    decision = await triage.route(case, snap)
    case.suggested_unit = decision.unit_id
    case.routing_rule = decision.label
    _flag(case, "unrouted", decision.rule is None)
    candidate = await find_duplicate(triage.settings, case)
    mark(case, candidate)
    return {
        "component": {"id": snap.component_id, "code": snap.code, "distance_m": snap.distance_m} if snap else None,
        "rule": decision.label or None,
        "unit_id": decision.unit_id,
        "alternatives": list(decision.alternatives),
        "duplicate": candidate.as_data() if candidate else None,
    }


async def _photo_hints(triage: Triage, case_id: int) -> dict[str, float]:
    return triage.photo_hints(await redaction.phone_found(case_id))


async def _classify_and_locate(triage: Triage, case: Case) -> dict[str, Any]:
    # A category already on the case came from a supervisor or an operator: it is kept, never overwritten.
    given = case.category_code
    hints = await _photo_hints(triage, case.id) if not given else {}  # a given code needs no evidence
    result = triage.classify(case.description, case.menu, given, case.lng, case.lat, hints)
    case.suggestions = result.suggestions
    case.classifier_version = result.version
    if given:
        case.confidence = max(case.confidence, result.confidence)
        if not case.time_limit and result.category is not None:  # code given with the report: fill its standard
            _set(case, triage.category_fields(result.category, result.standard_index))
    else:
        case.confidence = result.confidence
        if result.category is not None:
            _set(case, triage.category_fields(result.category, result.standard_index))
        # Urgency is read from all suggestions, so an unsure category can still be urgent (and queue first).
        case.urgent = bool(case.urgent or result.urgent)
    _set(case, triage.locate_fields(case.lng, case.lat))
    if triage.is_outside(case.lng, case.lat):
        _flag(case, "outside_area", True)
    if case.assigned_supervisor is None and case.state == State.VERIFYING.value:
        case.assigned_supervisor = await grid_supervisor(case.responsibility_grid)
    return {
        "category_code": case.category_code,
        "confidence": round(case.confidence, 4),
        "auto_classified": bool(case.category_code) and not given,
        "classifier_version": result.version,
        "classifier_error": result.error or None,
        "unit_grid": case.unit_grid,
        "outside_area": "outside_area" in (case.flags or []),
    }


def auto_dispatch_allowed(ctx: AppContext, case: Case) -> bool:
    settings = ctx.settings
    return (
        settings.auto_dispatch
        and case.state == State.PENDING_FILING.value
        and bool(case.category_code)
        and case.confidence >= settings.auto_classify_threshold
        and case.likely_duplicate_of is None
        and not set(case.flags or []) - NOT_BLOCKING
    )


AUTO_TEXT = {"dispatch": ("已自动派遣", "Dispatched automatically"), "file": ("已自动立案，待派遣", "Filed automatically")}


async def _auto_dispatch(change: CaseChange) -> None:
    """File, and dispatch when routed to an active unit, as the system: the same lifecycle actions as the shift lead's
    and the dispatcher's, allowed here by the policy above instead of by role."""
    case = change.case
    assert case is not None
    await change.apply(BY_ACTION["file"], ActionIn(), note="自动立案", data={"auto": True}, text=AUTO_TEXT["file"])
    # Routing only ever suggests an active unit, in this same transaction; dispatch checks it again.
    if case.suggested_unit is not None:
        await change.apply(BY_ACTION["dispatch"], ActionIn(unit_id=case.suggested_unit), note="自动派遣",
                           data={"auto": True, "rule": case.routing_rule}, text=AUTO_TEXT["dispatch"])


async def _prepare(ctx: AppContext, case: Case) -> dict[str, Any]:
    """Everything triage reads (classifier, places, components, rules, duplicates), written onto ``case``; returns what
    the timeline records."""
    triage: Triage = ctx.triage
    await triage.refresh()  # components and rules edited anywhere count
    await cityconfig.city_config(ctx).sync(ctx, current=triage.config_stamp)  # and the city's settings, categories
    data = await _classify_and_locate(triage, case)
    data.update(await _route(triage, case))
    return data


async def triage_case(ctx: AppContext, payload: dict[str, Any]) -> None:
    # The reads run first, on a copy of the case and outside the write lock (SQLite has one writer for the whole
    # process, and every report waits behind whoever holds it). In the transaction, if the case is still as it was
    # read, only the writes remain; if anything changed in between (an operator acted, another process triaged it),
    # the reads are done again under the lock. Duplicates are looked for among earlier cases, which the copy sees.
    draft = await Case.objects().output(load_json=True).get(Case.id == payload["case_id"])
    if draft is None or draft.triaged_at is not None:
        return
    read = draft.to_dict()
    data = await _prepare(ctx, draft)
    async with case_change(ctx, payload["case_id"], missing_ok=True) as change:
        case = change.case
        if case is None or case.triaged_at is not None:
            return  # already done: a job re-run after a crash must not triage twice
        if case.to_dict() == read:
            for name, value in draft.to_dict().items():
                if value != read[name]:
                    setattr(case, name, value)
        else:
            data = await _prepare(ctx, case)
        case.triaged_at = clock.now()
        change.record("triage", from_state=case.state, kind=EventKind.CASE_TRIAGED, data=data,
                      text=("已完成自动分拣", "Triaged automatically"))
        if auto_dispatch_allowed(ctx, case):
            await _auto_dispatch(change)


async def reroute_case(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Snap, route and check duplicates again after an operator changed the category (job kind 'reroute')."""
    triage: Triage = ctx.triage
    async with case_change(ctx, payload["case_id"], missing_ok=True) as change:
        case = change.case
        if case is None or case.state not in ROUTABLE or case.triaged_at is None:
            return
        await triage.refresh()
        await cityconfig.city_config(ctx).sync(ctx, current=triage.config_stamp)
        change.record("reroute", from_state=case.state, data=await _route(triage, case),
                      text=("已按新类别重新分拣", "Routed again for the new category"))


async def photo_text_case(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Text read from a photo after its case was triaged (redaction runs later): offered to the classifier again,
    while no one has chosen the category. Only the suggestions change; an operator still decides."""
    triage: Triage = ctx.triage
    row = await Photo.select(Photo.case).where(Photo.id == int(payload["photo_id"])).first()
    if row is None or row["case"] is None:
        return
    async with case_change(ctx, row["case"], missing_ok=True) as change:
        case = change.case
        if case is None or case.triaged_at is None or case.category_code:
            return  # not triaged yet (triage will read the text itself), or a category was already chosen
        hints = await _photo_hints(triage, case.id)
        if not hints:
            return
        result = triage.classify(case.description, case.menu, "", case.lng, case.lat, hints)
        if result.suggestions == case.suggestions:
            return
        case.suggestions = result.suggestions
        change.record("photo_hint", from_state=case.state, kind=EventKind.CASE_TRIAGED,
                      data={"hints": hints, "classifier_version": result.version},
                      text=("照片中识别出电话号码，已重新给出分类建议",
                            "A phone number was read from a photo: category suggestions updated"))
