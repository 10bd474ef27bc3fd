"""The triage job: what happens to a case right after it is reported, in the background and durably."""

from __future__ import annotations

from typing import Any

from backend.cases import clock
from backend.cases.services import event_payload, grid_supervisor, topics_for
from backend.cases.tables import Case, TimelineEntry
from backend.context import AppContext
from backend.db import write_transaction
from backend.live.log import append_event, serialize_event_writes


async def triage_case(ctx: AppContext, payload: dict[str, Any]) -> None:
    triage = ctx.triage
    async with write_transaction(ctx.engine):
        case = await Case.objects().output(load_json=True).get(Case.id == payload["case_id"])
        if case is None or case.triaged_at is not None:
            return  # already done: a job re-run after a crash must not triage twice
        await serialize_event_writes(ctx.engine)
        updates: dict[Any, Any] = dict(triage.locate_fields(case.lng, case.lat))
        if case.category_code:
            updates.update(triage.category_fields(triage.category(case.category_code)))
        for column, value in updates.items():
            setattr(case, column._meta.name, value)
        if case.assigned_supervisor is None and case.state == "verifying":
            case.assigned_supervisor = await grid_supervisor(case.responsibility_grid)
        case.triaged_at = clock.now()
        case.version += 1
        await case.save()
        await TimelineEntry.insert(
            TimelineEntry(case=case.id, at=case.triaged_at, actor=None, actor_role="system", action="triage",
                          from_state=case.state, to_state=case.state, note="",
                          data={"category_code": case.category_code, "unit_grid": case.unit_grid})
        )
        event = await append_event(
            "case.triaged", topics_for(case),
            event_payload(ctx, case, "triage", "system", "已完成自动分拣", "Triaged automatically"), case.id,
        )
    await ctx.bus.publish([event])
