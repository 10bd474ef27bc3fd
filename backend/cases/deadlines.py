"""The working calendar, seen from the case clock: using a city's schedule, and moving running deadlines with it.

``backend.org.calendar`` keeps the schedule as data; this module makes the clock use it (in this process at once, in
the others through ``calendar_sync``) and recomputes every running handling deadline it changes, each move recorded
on the case's timeline through the case recorder.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only, staff_only
from backend.accounts.services import Actor
from backend.audit.service import record_request
from backend.cases import clock
from backend.cases.change import case_change
from backend.cases.lifecycle import CLOCK_RUNNING
from backend.cases.tables import Case
from backend.context import AppContext, Ctx
from backend.errors import InvalidInput
from backend.org import calendar as calendar_data

log = logging.getLogger("suishoupai.calendar")

RUNNING = [s.value for s in CLOCK_RUNNING]
MAX_FILE_BYTES = 256 * 1024


def calendar_sync() -> calendar_data.CalendarSync:
    """The loop that keeps this process's case clock on the database's calendar."""
    return calendar_data.CalendarSync(clock.set_calendar_overrides)


async def apply_calendar(ctx: AppContext, year: int, entries: list[calendar_data.DayEntry],
                         actor_id: int | None) -> dict[str, Any]:
    """Replace the year's entries, use them at once in this process, and move every running deadline they change."""
    summary = await calendar_data.replace_entries(year, entries, actor_id)
    clock.set_calendar_overrides(await calendar_data.load_overrides())
    summary["deadlines_moved"] = await recompute_deadlines(
        ctx, f"{year} 年工作日历已更新", f"The {year} working calendar was updated")
    return summary


async def recompute_deadlines(ctx: AppContext, zh: str, en: str) -> int:
    """Recompute the handling deadline of every running case on the current calendar; each one that moved gets a
    timeline entry and a live event. Checked again under the case's lock, so two processes never move one twice."""
    rows = await Case.select(Case.id, Case.due_at, Case.dispatched_at, Case.time_limit, Case.pauses, Case.paused_at,
                             Case.extension_minutes).output(load_json=True).where(
        Case.state.is_in(RUNNING) & Case.dispatched_at.is_not_null() & Case.paused_at.is_null())
    moved = 0
    for row in rows:
        probe = SimpleNamespace(**row)
        clock.recompute_due(ctx.settings, probe)
        if probe.due_at is None or probe.due_at == row["due_at"]:
            continue
        async with case_change(ctx, row["id"], missing_ok=True) as change:
            case = change.case
            if case is None or case.due_at != row["due_at"] or case.state not in RUNNING:
                continue
            old = case.due_at
            clock.recompute_due(ctx.settings, case)
            # new_stage=False: updated_at is the start of the current stage's clock and stays.
            change.record("deadline_recomputed", from_state=case.state, text=(zh, en), note=zh, new_stage=False,
                          data={"from": old.isoformat() if old else None,
                                "to": case.due_at.isoformat() if case.due_at else None})
        moved += change.changed
    log.info("calendar change moved %d running deadlines", moved)
    return moved


AnyRequest = Request[Any, Any, Any]


class CalendarDayIn(msgspec.Struct, forbid_unknown_fields=True):
    date: Annotated[str, msgspec.Meta(max_length=10)]
    type: Annotated[str, msgspec.Meta(max_length=16)]
    name: Annotated[str, msgspec.Meta(max_length=64)] = ""


class CalendarYearIn(msgspec.Struct, forbid_unknown_fields=True):
    days: Annotated[list[CalendarDayIn], msgspec.Meta(max_length=366)]


class CalendarController(Controller):
    """The working calendar, a year at a time: every day with where its status comes from; admins replace a year."""

    path = "/api/v1/admin/calendar"
    tags = ["org"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/{year:int}", guards=[staff_only], operation_id="getCalendarYear",
         summary="工作日历 A year of the working calendar")
    async def show(self, ctx: Ctx, year: FromPath[int]) -> dict[str, Any]:
        if not 2000 <= year <= 2100:
            raise InvalidInput("年份超出范围", "Year out of range", code="calendar.bad_year")
        settings_calendar = clock.calendar(ctx.settings)
        names = {r["day"]: r["name"] for r in await calendar_data.year_entries(year)}
        days = []
        day = date(year, 1, 1)
        while day.year == year:
            days.append({"date": day.isoformat(), "workday": settings_calendar.is_workday(day),
                         "source": settings_calendar.source(day), "name": names.get(day.isoformat(), "")})
            day += timedelta(days=1)
        return {"year": year, "days": days,
                "complete": any(d["source"] != "weekday" for d in days)}

    @put("/{year:int}", guards=[admin_only], operation_id="replaceCalendarYear",
         summary="载入一年的工作日历 Replace a year's holidays and 调休 working days (admin)")
    async def replace(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor, year: FromPath[int],
                      data: JSONBody[CalendarYearIn]) -> dict[str, Any]:
        entries = calendar_data.validate(year, [(i, d.date, d.type, d.name) for i, d in enumerate(data.days, 1)])
        return await self._replace(ctx, request, actor, year, entries)

    @put("/{year:int}/csv", guards=[admin_only], operation_id="importCalendarYear", media_type="application/json",
         summary="从文件载入一年的工作日历 Replace a year from a CSV file (date,type,name) (admin)")
    async def import_csv(self, ctx: Ctx, request: AnyRequest, actor: CurrentActor,
                         year: FromPath[int]) -> dict[str, Any]:
        body = await request.body()
        if len(body) > MAX_FILE_BYTES:
            raise InvalidInput("文件过大", "The file is too large", code="calendar.too_large")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("文件须为 UTF-8 编码", "The file must be UTF-8", code="calendar.encoding") from None
        return await self._replace(ctx, request, actor, year, calendar_data.parse_csv(year, text))

    async def _replace(self, ctx: AppContext, request: AnyRequest, actor: Actor, year: int,
                       entries: list[calendar_data.DayEntry]) -> dict[str, Any]:
        summary = await apply_calendar(ctx, year, entries, actor.id)
        await record_request(request, "calendar.changed", actor_id=actor.id, actor_name=actor.username,
                             target=f"calendar:{year}", details={
                                 "before": summary["before"], "deadlines_moved": summary["deadlines_moved"],
                                 "after": {"holidays": summary["holidays"], "workdays": summary["workdays"]}})
        return summary
