"""Case clocks: the handling deadline on the working calendar, stage deadlines, suspensions, extensions, the light."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from backend.cases.timelimits import TimeLimit, parse_time_limit
from backend.cases.workcalendar import Pause, TimerStatus, WorkCalendar, light
from backend.settings import Settings

DEFAULT_LIMIT = "5天"  # only for a case without a category; filing requires one


def now() -> datetime:
    return datetime.now(UTC)


# The city's own calendar entries (backend/org/calendar.py loads them from the database and keeps every process's copy
# current); every calendar this process builds uses them.
_overrides: dict[date, bool] = {}


@lru_cache(maxsize=8)
def _calendar(work_hours: tuple[tuple[int, int], ...], tz: str) -> WorkCalendar:
    calendar = WorkCalendar(work_hours=work_hours, tz=tz)
    calendar.set_overrides(_overrides)
    return calendar


def set_calendar_overrides(overrides: dict[date, bool]) -> None:
    """Use these holidays and swapped working days from now on, in this process."""
    global _overrides
    _overrides = dict(overrides)
    _calendar.cache_clear()


def calendar(settings: Settings) -> WorkCalendar:
    return _calendar(settings.work_hours, settings.timezone)


def limit_of(case: Any) -> TimeLimit:
    return parse_time_limit(case.time_limit or DEFAULT_LIMIT)


def pauses_of(case: Any) -> list[Pause]:
    pauses: list[Pause] = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in case.pauses or []]
    if case.paused_at is not None:
        pauses.append((case.paused_at, None))
    return pauses


def recompute_due(settings: Settings, case: Any) -> None:
    """Set ``due_at`` from the dispatch time, the limit, past suspensions and approved extensions."""
    if case.dispatched_at is None:
        case.due_at = None
        return
    if case.paused_at is not None:
        return  # no deadline moves while suspended; resume recomputes it
    case.due_at = calendar(settings).due_at(
        case.dispatched_at, limit_of(case), pauses_of(case), timedelta(minutes=case.extension_minutes)
    )


def timer(settings: Settings, case: Any, at: datetime | None = None) -> TimerStatus | None:
    if case.dispatched_at is None:
        return None
    return calendar(settings).status(
        case.dispatched_at, at or now(), limit_of(case), pauses_of(case), timedelta(minutes=case.extension_minutes)
    )


def reading(settings: Settings, case: Any, handling: bool, at: datetime | None = None) -> tuple[str, float | None]:
    """The light shown for a case and the seconds left: the handling clock while a unit has it, else the current
    stage task's deadline (verify, dispatch, check…), else ``none``."""
    at = at or now()
    if handling:
        status = timer(settings, case, at)
        if status is not None:
            return status.light, status.remaining.total_seconds()
    if case.stage_due_at is not None and case.updated_at is not None and case.stage_due_at > case.updated_at:
        span = (case.stage_due_at - case.updated_at).total_seconds()
        used = (at - case.updated_at).total_seconds() / span
        return light(used), (case.stage_due_at - at).total_seconds()
    return "none", None


def light_of(settings: Settings, case: Any) -> str:
    from backend.cases.lifecycle import WITH_UNIT

    return reading(settings, case, case.state in {s.value for s in WITH_UNIT})[0]


def stage_due(settings: Settings, start: datetime, stage: str) -> datetime:
    return start + timedelta(minutes=settings.stage_limit_minutes[stage])
