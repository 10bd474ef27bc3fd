"""The working calendar as data: a city loads a year's official schedule (holidays and 调休 working days) and every
process picks it up (``CalendarSync``). Moving the deadlines already running is the case clock's part
(``backend.cases.deadlines``).

The ``chinese_calendar`` package stays the default; these entries win over it. A schedule is loaded a year at a time
and replaces that year's entries, all or nothing: a file with a bad line changes nothing and says which line and why.

File format (UTF-8 CSV, a header line, ``#`` comments allowed)::

    date,type,name
    2027-02-06,holiday,春节
    2027-02-20,workday,春节调休上班

``type`` is ``holiday`` (休) or ``workday`` (班).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Max

from backend.db import write_transaction
from backend.errors import InvalidInput
from backend.loops import Loop
from backend.org.tables import CalendarDay

log = logging.getLogger("suishoupai.calendar")

TYPES = {"holiday": False, "休": False, "workday": True, "班": True}
SYNC_SECONDS = 15.0  # how soon other processes use a changed calendar


@dataclass(frozen=True)
class DayEntry:
    day: date
    workday: bool
    name: str = ""


def _error(line: int, field: str, zh: str, en: str) -> dict[str, Any]:
    return {"line": line, "field": field, "reason_zh": zh, "reason_en": en}


def _invalid(errors: list[dict[str, Any]]) -> InvalidInput:
    return InvalidInput("日历数据有误，未做任何修改", "The calendar has errors; nothing was changed",
                        code="calendar.invalid", details={"errors": errors})


def validate(year: int, rows: list[tuple[int, str, str, str]]) -> list[DayEntry]:
    """(line, date, type, name) rows → entries, or ``calendar.invalid`` listing every bad row."""
    if not 2000 <= year <= 2100:
        raise _invalid([_error(0, "year", f"年份 {year} 超出范围", f"Year {year} is out of range")])
    errors: list[dict[str, Any]] = []
    seen: dict[date, int] = {}
    entries: list[DayEntry] = []
    for line, raw_day, raw_type, name in rows:
        try:
            day = date.fromisoformat(raw_day.strip())
        except ValueError:
            errors.append(_error(line, "date", f"日期“{raw_day}”无效，应为 YYYY-MM-DD",
                                 f"Date '{raw_day}' is not a valid YYYY-MM-DD date"))
            continue
        if day.year != year:
            errors.append(_error(line, "date", f"{day} 不在 {year} 年内", f"{day} is not in {year}"))
            continue
        if day in seen:
            errors.append(_error(line, "date", f"{day} 重复（第 {seen[day]} 行已有）",
                                 f"{day} appears twice (already on line {seen[day]})"))
            continue
        kind = raw_type.strip().lower()
        if kind not in TYPES:
            errors.append(_error(line, "type", f"类型“{raw_type}”无效，应为 holiday（休）或 workday（班）",
                                 f"Type '{raw_type}' must be holiday (休) or workday (班)"))
            continue
        if len(name) > 64:
            errors.append(_error(line, "name", "名称超过 64 个字符", "The name is longer than 64 characters"))
            continue
        seen[day] = line
        entries.append(DayEntry(day, TYPES[kind], name.strip()))
    if errors:
        raise _invalid(errors)
    return sorted(entries, key=lambda e: e.day)


def parse_csv(year: int, text: str) -> list[DayEntry]:
    """A schedule file → entries (see the module docstring for the format)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[tuple[int, str, str, str]] = []
    header_seen = False
    errors: list[dict[str, Any]] = []
    for number, fields in enumerate(reader, 1):
        if not fields or not "".join(fields).strip() or fields[0].lstrip().startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            if [f.strip().lower() for f in fields[:2]] == ["date", "type"]:
                continue
        if len(fields) < 2:
            errors.append(_error(number, "type", "缺少类型列", "The type column is missing"))
            continue
        rows.append((number, fields[0], fields[1], fields[2] if len(fields) > 2 else ""))
    if errors:
        raise _invalid(errors)
    if not rows:
        raise _invalid([_error(0, "file", "文件中没有任何日期", "The file lists no days")])
    return validate(year, rows)


async def load_overrides() -> dict[date, bool]:
    rows = await CalendarDay.select(CalendarDay.day, CalendarDay.workday)
    return {date.fromisoformat(r["day"]): bool(r["workday"]) for r in rows}


async def stamp() -> tuple[int, str]:
    """Changes whenever any entry is added, removed or changed: (count, latest update)."""
    rows = await CalendarDay.select(Count(alias="n"), Max(CalendarDay.updated_at, alias="latest"))
    return int(rows[0]["n"] or 0), str(rows[0]["latest"])


async def year_entries(year: int) -> list[dict[str, Any]]:
    rows = await CalendarDay.select(CalendarDay.day, CalendarDay.workday, CalendarDay.name).where(
        CalendarDay.day.like(f"{year}-%")).order_by(CalendarDay.day)
    return list(rows)


async def replace_entries(year: int, entries: list[DayEntry], actor_id: int | None) -> dict[str, Any]:
    """Replace the year's entries in one transaction; returns the counts before and after.

    Using them (the case clock) and moving running deadlines is ``backend.cases.deadlines.apply_calendar``'s job.
    """
    now = datetime.now(UTC)
    before = await year_entries(year)
    async with write_transaction(CalendarDay._meta.db):
        await CalendarDay.delete().where(CalendarDay.day.like(f"{year}-%"))
        if entries:
            await CalendarDay.insert(*[CalendarDay(day=e.day.isoformat(), workday=e.workday, name=e.name,
                                                   updated_at=now, updated_by=actor_id) for e in entries])
    return {
        "year": year,
        "holidays": sum(not e.workday for e in entries),
        "workdays": sum(e.workday for e in entries),
        "before": {"holidays": sum(not r["workday"] for r in before), "workdays": sum(bool(r["workday"]) for r in before)},
    }


class CalendarSync(Loop):
    """Hands ``use`` the entries at start, then whenever another process changed them (the case clock uses them)."""

    def __init__(self, use: Callable[[dict[date, bool]], None]) -> None:
        self.use = use
        self.seen: tuple[int, str] | None = None

        async def round_() -> bool:
            await self.sync()
            return False

        super().__init__("calendar-sync", round_, SYNC_SECONDS)

    async def sync(self) -> bool:
        """Load the entries if they changed since the last look; True when they did."""
        current = await stamp()
        if current == self.seen:
            return False
        self.use(await load_overrides())
        self.seen = current
        return True
