"""The triage job: what happens to a case right after it is reported, in the background, durably and only once.

One write transaction classifies, locates, snaps to a surveyed component, routes, checks for duplicates, writes the
'triage' timeline entry and one event — then files and dispatches on its own when the city allows it (policy below).

Auto-dispatch policy (``settings.auto_dispatch``): only a supervisor's report (state ``pending_filing``: the supervisor
stood on the spot, so it counts as verified) whose category is sure (a supervisor's code, or confidence at or above
``auto_classify_threshold``), that is not a likely duplicate and carries no other warning flag (outside the area, old
photo, location mismatch…). Routed: filed and dispatched to the suggested unit. Unrouted: filed only, so it lands in
the dispatcher's queue marked ``unrouted``. Citizen reports always wait for an operator (and usually a supervisor's
核实): a photo and a sentence from the public are not enough to send a crew.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.cases import clock
from backend.cases.lifecycle import State
from backend.cases.services import event_payload, topics_for
from backend.cases.tables import Case, TimelineEntry
from backend.cases.transitions import grid_supervisor, start_clock
from backend.context import AppContext
from backend.db import is_postgres, write_transaction
from backend.live.log import append_event, serialize_event_writes
from backend.org.tables import Unit
from backend.triage.duplicates import find_duplicate, mark
from backend.triage.service import Triage

ROUTABLE = {State.NEW.value, State.VERIFYING.value, State.PENDING_FILING.value, State.PENDING_DISPATCH.value}
NOT_BLOCKING = {"unrouted"}


async def _lock(ctx: AppContext, case_id: int) -> Case | None:
    query = Case.objects().output(load_json=True).where(Case.id == case_id)
    if is_postgres(ctx.engine):
        query = query.lock_rows()
    rows = await query
    return rows[0] if rows else None


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


async def _classify_and_locate(triage: Triage, case: Case) -> dict[str, Any]:
    # A category already on the case came from a supervisor or an operator: it is kept, never overwritten.
    given = case.category_code
    result = triage.classify(case.description, case.menu, given, case.lng, case.lat)
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


def _entry(case: Case, at: datetime, action: str, from_state: str, data: dict[str, Any], note: str = "") -> TimelineEntry:
    return TimelineEntry(case=case.id, at=at, actor=None, actor_role="system", action=action, from_state=from_state,
                         to_state=case.state, note=note, data=data)


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


async def _auto_dispatch(ctx: AppContext, case: Case, now: datetime) -> list[TimelineEntry]:
    """File (and dispatch when routed) as the system, mirroring the shift lead's and dispatcher's actions; returns the
    timeline entries, the caller saves the case."""
    settings = ctx.settings
    case.state, case.filed_at = State.PENDING_DISPATCH.value, now
    case.stage_due_at = clock.stage_due(settings, now, "dispatch")
    entries = [_entry(case, now, "file", State.PENDING_FILING.value, {"auto": True}, "自动立案")]
    unit = await Unit.objects().get((Unit.id == case.suggested_unit) & (Unit.active == True)) if (
        case.suggested_unit) else None
    if unit is not None:
        case.state, case.unit = State.DISPATCHED.value, unit.id
        start_clock(settings, case, now)
        entries.append(_entry(case, now, "dispatch", State.PENDING_DISPATCH.value,
                              {"auto": True, "unit_id": unit.id, "unit_name": unit.name, "rule": case.routing_rule},
                              "自动派遣"))
    case.version += 1
    return entries


async def triage_case(ctx: AppContext, payload: dict[str, Any]) -> None:
    triage: Triage = ctx.triage
    async with write_transaction(ctx.engine):
        case = await _lock(ctx, payload["case_id"])
        if case is None or case.triaged_at is not None:
            return  # already done: a job re-run after a crash must not triage twice
        await triage.refresh()  # components and rules edited anywhere count; inside, so the job opens one connection
        await serialize_event_writes(ctx.engine)
        data = await _classify_and_locate(triage, case)
        data.update(await _route(triage, case))
        now = clock.now()
        case.triaged_at = case.updated_at = now
        case.version += 1
        # The triage and an auto-dispatch are saved together (one update, one insert of entries), but each keeps its
        # own timeline entries, version step and event, as if saved one after the other.
        entries = [_entry(case, now, "triage", case.state, data)]
        pending = [("case.triaged", topics_for(case),
                    event_payload(ctx, case, "triage", "system", "已完成自动分拣", "Triaged automatically"))]
        if auto_dispatch_allowed(ctx, case):
            entries += await _auto_dispatch(ctx, case, now)
            action = entries[-1].action
            pending.append(("case.updated", topics_for(case), event_payload(ctx, case, action, "system",
                                                                            *AUTO_TEXT[action])))
        await case.save()
        await TimelineEntry.insert(*entries)
        events = [await append_event(kind, topics, body, case.id) for kind, topics, body in pending]
    await ctx.bus.publish(events)


async def reroute_case(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Snap, route and check duplicates again after an operator changed the category (job kind 'reroute')."""
    triage: Triage = ctx.triage
    async with write_transaction(ctx.engine):
        case = await _lock(ctx, payload["case_id"])
        if case is None or case.state not in ROUTABLE or case.triaged_at is None:
            return
        await triage.refresh()
        await serialize_event_writes(ctx.engine)
        data = await _route(triage, case)
        case.updated_at = clock.now()
        case.version += 1
        await case.save()
        await TimelineEntry.insert(_entry(case, case.updated_at, "reroute", case.state, data))
        event = await append_event("case.updated", topics_for(case), event_payload(
            ctx, case, "reroute", "system", "已按新类别重新分拣", "Routed again for the new category"), case.id)
    await ctx.bus.publish([event])
