"""The working calendar: deadlines, elapsed time and timer lights on the official Chinese calendar.

Rules (DOMAIN.md §4):

- ``EMERGENCY_HOURS`` (紧急工作时) and ``CALENDAR_DAYS`` (自然日, 紧急工作日) run continuously, nights and holidays included.
- ``WORKING_HOURS`` (小时, 工作时) count only inside the work spans (default 08:00–12:00, 14:00–18:00) of working days.
  Working days come from the city's own calendar entries first (``overrides``: the official schedule of a year the
  package does not know yet, loaded by an admin), then the ``chinese_calendar`` package: public holidays are off and
  swapped working weekends (调休) are on. Outside the years either knows, Monday–Friday is used and a warning is logged
  once per year.
- ``WORKING_DAYS`` (天, 工作日): N working days are N full working days of working time (N × 8 h by default), counted
  on the working-hours clock. So a case started inside working hours is due at the same clock time N working days
  later (Tue 10:00 + 1 day → Wed 10:00); a case started outside working hours (evening, weekend, holiday, before
  opening) starts counting at the next opening and is due at the close of its N-th working day (Tue 19:00 + 1 day →
  Wed 18:00). A deadline that falls exactly on the end of a span is reported as that end (12:00 or 18:00), never as
  the next opening; this is why a start in the lunch break (same working moment as 14:00) is due at 12:00.
- Pauses (挂账 suspensions, voided time) do not count on any clock; an approved extension (延期) adds ``extra``,
  counted on the limit's own clock (working time for the working clocks; ``budget()`` converts a limit to it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

from backend.cases.timelimits import Clock, TimeLimit

log = logging.getLogger("suishoupai.workcalendar")

Light = Literal["green", "yellow", "red"]
Pause = tuple[datetime, datetime | None]  # end None: still suspended

DEFAULT_WORK_HOURS: tuple[tuple[int, int], ...] = ((8 * 60, 12 * 60), (14 * 60, 18 * 60))
_END = datetime(9999, 1, 1, tzinfo=UTC)  # "forever": the end of a continuous clock or of an open pause
_HORIZON_DAYS = 3660  # a working clock never looks further than ten years ahead


def light(fraction: float) -> Light:
    """Timer light on the floor: green below 80% of the limit, yellow from 80% up to 100%, red when over."""
    if fraction < 0.8:
        return "green"
    return "yellow" if fraction <= 1.0 else "red"


@dataclass(frozen=True)
class TimerStatus:
    due_at: datetime | None  # None while an open pause stops the clock
    remaining: timedelta  # on the limit's clock; negative when overdue
    fraction_used: float
    light: Light


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {moment!r}")
    return moment.astimezone(UTC)


class WorkCalendar:
    """Working days and work spans of one city; every method takes and returns timezone-aware datetimes."""

    def __init__(self, work_hours: Sequence[tuple[int, int]] = DEFAULT_WORK_HOURS, tz: str = "Asia/Shanghai") -> None:
        spans = tuple((int(a), int(b)) for a, b in work_hours)
        if not spans or any(not 0 <= a < b <= 1440 for a, b in spans) or any(
            spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)
        ):
            raise ValueError(f"work hours must be ordered, non-empty minute-of-day spans, got {work_hours!r}")
        self.work_hours = spans
        self.tz = ZoneInfo(tz)
        self.day_minutes = sum(b - a for a, b in spans)
        self._workdays: dict[date, bool] = {}
        self._warned_years: set[int] = set()
        self.overrides: dict[date, bool] = {}

    def set_overrides(self, overrides: dict[date, bool]) -> None:
        """Replace the city's own entries (day → working or not); they win over the package."""
        self.overrides = dict(overrides)
        self._workdays.clear()

    def source(self, day: date) -> Literal["city", "official", "weekday"]:
        """Where ``is_workday(day)`` comes from: the city's entries, the package, or the Monday–Friday rule."""
        if day in self.overrides:
            return "city"
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return "weekday"
        return "official"

    def is_workday(self, day: date) -> bool:
        """The city's entries, then the official calendar (holidays and 调休 included); Monday–Friday outside the
        package's years for days the city did not list."""
        cached = self._workdays.get(day)
        if cached is None and day in self.overrides:
            cached = self._workdays[day] = self.overrides[day]
        if cached is None:
            try:
                cached = bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                if day.year not in self._warned_years and not any(d.year == day.year for d in self.overrides):
                    self._warned_years.add(day.year)
                    log.warning("no official holiday data for %d: using Monday-Friday as working days", day.year)
                cached = day.weekday() < 5
            self._workdays[day] = cached
        return cached

    def budget(self, limit: TimeLimit, extra: timedelta | None = None) -> timedelta:
        """The time a limit allows, counted on its own clock (working time for the working clocks)."""
        if limit.clock in (Clock.EMERGENCY_HOURS, Clock.WORKING_HOURS):
            allowed = timedelta(hours=limit.amount)
        elif limit.clock is Clock.CALENDAR_DAYS:
            allowed = timedelta(days=limit.amount)
        else:
            allowed = timedelta(minutes=limit.amount * self.day_minutes)
        return allowed + (extra or timedelta())

    def due_at(
        self, start: datetime, limit: TimeLimit, pauses: Sequence[Pause] = (), extra: timedelta | None = None
    ) -> datetime:
        """When ``limit`` runs out for a clock started at ``start``; pauses push it back, ``extra`` extends it.

        Raises ``ValueError`` when an open pause (end ``None``) stops the clock: there is no deadline while suspended.
        """
        left = self.budget(limit, extra)
        for a, b in self._counting(start, limit.clock, pauses):
            if b - a >= left:
                return (a + left).astimezone(self.tz)
            left -= b - a
        raise ValueError("the clock is stopped by an open pause: no deadline while suspended")

    def elapsed(self, start: datetime, end: datetime, clock: Clock, pauses: Sequence[Pause] = ()) -> timedelta:
        """Time counted on ``clock`` between ``start`` and ``end``, leaving out the pauses."""
        end = _utc(end)
        total = timedelta()
        for a, b in self._counting(start, clock, pauses):
            if a >= end:
                break
            total += min(b, end) - a
        return total

    def remaining(
        self,
        start: datetime,
        now: datetime,
        limit: TimeLimit,
        pauses: Sequence[Pause] = (),
        extra: timedelta | None = None,
    ) -> timedelta:
        """Time left on the limit's clock at ``now``; negative when overdue."""
        return self.budget(limit, extra) - self.elapsed(start, now, limit.clock, pauses)

    def fraction_used(
        self,
        start: datetime,
        now: datetime,
        limit: TimeLimit,
        pauses: Sequence[Pause] = (),
        extra: timedelta | None = None,
    ) -> float:
        """Share of the (extended) limit used at ``now``: 0.5 is half-way, above 1.0 is overdue."""
        return self.elapsed(start, now, limit.clock, pauses) / self.budget(limit, extra)

    def status(
        self,
        start: datetime,
        now: datetime,
        limit: TimeLimit,
        pauses: Sequence[Pause] = (),
        extra: timedelta | None = None,
    ) -> TimerStatus:
        """Deadline, time left, share used and light in one call, as a case view needs them."""
        used = self.fraction_used(start, now, limit, pauses, extra)
        suspended = any(end is None for _, end in pauses)
        return TimerStatus(
            due_at=None if suspended else self.due_at(start, limit, pauses, extra),
            remaining=self.remaining(start, now, limit, pauses, extra),
            fraction_used=used,
            light=light(used),
        )

    # -- counting intervals -------------------------------------------------------------------------------------

    def _counting(self, start: datetime, clock: Clock, pauses: Sequence[Pause]) -> Iterator[tuple[datetime, datetime]]:
        """UTC intervals in which ``clock`` runs from ``start`` on, in order, with the pauses cut out."""
        start = _utc(start)
        if clock in (Clock.EMERGENCY_HOURS, Clock.CALENDAR_DAYS):
            spans: Iterator[tuple[datetime, datetime]] = iter([(start, _END)])
        else:
            spans = self._work_spans(start)
        merged: list[tuple[datetime, datetime]] = []
        for a, b in sorted((_utc(a), _END if b is None else _utc(b)) for a, b in pauses):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            elif a < b:
                merged.append((a, b))
        i = 0
        for a, b in spans:
            while i < len(merged) and merged[i][1] <= a:
                i += 1
            j = i
            while a < b:
                if j >= len(merged) or merged[j][0] >= b:
                    yield a, b
                    break
                if merged[j][0] > a:
                    yield a, merged[j][0]
                if merged[j][1] == _END:
                    return  # an open pause stops the clock for good
                a = max(a, merged[j][1])
                j += 1

    def _work_spans(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = start.astimezone(self.tz).date()
        for _ in range(_HORIZON_DAYS):
            if self.is_workday(day):
                midnight = datetime.combine(day, time(0), self.tz)
                for lo, hi in self.work_hours:
                    a = (midnight + timedelta(minutes=lo)).astimezone(UTC)
                    b = (midnight + timedelta(minutes=hi)).astimezone(UTC)
                    if b > start:
                        yield max(a, start), b
            day += timedelta(days=1)
