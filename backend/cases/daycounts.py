"""Cases per local day and value of each statistics dimension, kept current by the case recorder.

The statistics count cases reported in a range of local days by the case's *current* category, source, state, unit
or area. Grouping every case of a year (with a local-time date per row) grows with the number of cases; these rows
(``CaseDayCount``: dimension, day, value, category) add up to the same figures. The case recorder moves a case's
contribution when one of its dimensions changes (``delta``/``apply``, in the change's transaction and under the
event-log lock), and ``ensure`` builds the rows from ``case`` with SQL the first time they are read, or again when
the city's time zone changed. Unit grids (about one row per case and day: nothing to gain) and timer lights (read
from the clock now) are not kept; the statistics count those from ``case``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases.tables import CaseDayCount, CaseDayCountBuild
from backend.db import is_postgres, write_transaction
from backend.live.log import serialize_event_writes

# Statistics dimension → the case column it groups by.
DIMENSIONS = {"category": "category_code", "source": "source", "state": "state", "unit": "unit",
              "district": "district", "street": "street", "community": "community"}

Key = tuple[str, date, str, str, str]  # dim, day, value, category_code, category_name ('' but for "category")


def local_day(created_at: datetime, tz: str) -> date:
    return created_at.astimezone(ZoneInfo(tz)).date()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def keys(case: Any, tz: str) -> frozenset[Key] | None:
    """The rows a case counts in (None for no case yet)."""
    if case is None or case.created_at is None:
        return None
    day = local_day(case.created_at, tz)
    code = case.category_code or ""
    return frozenset((dim, day, _text(getattr(case, column)), code, (case.category_name or "") if dim == "category"
                      else "") for dim, column in DIMENSIONS.items())


def delta(before: frozenset[Key] | None, after: frozenset[Key] | None) -> dict[Key, int]:
    """What a change does to the counts: −1 for each row the case left, +1 for each it joined."""
    out: Counter[Key] = Counter()
    for key in (before or frozenset()) - (after or frozenset()):
        out[key] -= 1
    for key in (after or frozenset()) - (before or frozenset()):
        out[key] += 1
    return dict(out)


async def apply(engine: Any, change: Mapping[Key, int], *, event_lock_held: bool = False) -> None:
    """Add ``change`` to the rows, in the caller's transaction (one upsert statement). ``event_lock_held``: the caller
    already holds the event-log lock (a change with steps, or a new case)."""
    if not change:
        return
    if not event_lock_held:
        await serialize_event_writes(engine)  # a build (``ensure``) holds it: it never sees half of a change
    values, args = [], []
    for (dim, day, value, code, name), n in sorted(change.items()):
        values.append("({}, {}, {}, {}, {}, {})")
        args += [dim, day, value, code, name, n]
    await CaseDayCount.raw(
        "INSERT INTO case_day_count (dim, day, value, category_code, category_name, n) VALUES "
        f"{', '.join(values)} ON CONFLICT (dim, day, value, category_code, category_name) "
        "DO UPDATE SET n = case_day_count.n + excluded.n", *args)


def day_sql(postgres: bool, tz: str, offset_hours: int, column: str = "created_at") -> str:
    """A timestamp's local date in SQL: PostgreSQL converts with the zone; SQLite with its current UTC offset (the
    statistics' reading of a day on SQLite, exact for zones without summer time such as Asia/Shanghai)."""
    if postgres:
        return f"CAST({column} AT TIME ZONE '{tz.replace(chr(39), '')}' AS DATE)"
    return f"date({column}, '{offset_hours:+d} hours')"


def utc_offset_hours(tz: str) -> int:
    return int((datetime.now(ZoneInfo(tz)).utcoffset() or timedelta(0)).total_seconds() // 3600)


async def built(tz: str) -> bool:
    row = await CaseDayCountBuild.select(CaseDayCountBuild.timezone).order_by(
        CaseDayCountBuild.id, ascending=False).first()
    return row is not None and row["timezone"] == tz


async def ensure(engine: Any, tz: str) -> bool:
    """Build the rows from ``case`` unless they are built for this time zone; True when this call built them.

    The build holds the event-log lock (PostgreSQL) like every case change, so no change is half in and half out
    of it; on SQLite its write transaction does the same.
    """
    if await built(tz):
        return False
    async with write_transaction(engine):
        await serialize_event_writes(engine)
        if await built(tz):  # another process built them while this one waited
            return False
        await CaseDayCount.delete(force=True)
        await CaseDayCountBuild.delete(force=True)
        postgres = is_postgres(engine)
        day = day_sql(postgres, tz, utc_offset_hours(tz))
        source, with_ = '"case"', ""
        if postgres:
            # The local date is worked out once per case, then grouped once per dimension.
            with_ = (f'WITH c AS MATERIALIZED (SELECT {day} AS d, {", ".join(DIMENSIONS.values())}, category_name '
                     'FROM "case") ')
            source, day = "c", "d"
        selects = []
        for dim, column in DIMENSIONS.items():
            value = f"COALESCE(CAST({column} AS TEXT), '')"
            name, by_name = ("category_name", ", category_name") if dim == "category" else ("''", "")
            selects.append(f"SELECT '{dim}', {day}, {value}, category_code, {name}, COUNT(*) FROM {source} "
                           f"GROUP BY {day}, {value}, category_code{by_name}")
        sql = with_ + " UNION ALL ".join(selects)
        await CaseDayCount.raw(
            f"INSERT INTO case_day_count (dim, day, value, category_code, category_name, n) {sql}")
        await CaseDayCountBuild.insert(CaseDayCountBuild(timezone=tz, built_at=datetime.now(UTC)))
    return True


def aligned(moment: datetime | None, tz: str) -> bool:
    """A range's end the day counts can serve: none, or a local midnight."""
    if moment is None:
        return True
    local = moment.astimezone(ZoneInfo(tz))
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)

