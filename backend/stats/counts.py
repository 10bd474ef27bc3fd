"""Counts of cases by one dimension over day, week or month buckets in local time: GROUP BY in the database.

Over whole local days, the dimensions the case recorder keeps day counts of (``backend/cases/daycounts.py``) are
summed from those rows, so a year costs the same however many cases it holds; the unit grid, the lights and ranges
that do not start and end at a local midnight are counted from the cases themselves (``direct``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases import clock, daycounts
from backend.cases.lifecycle import STATE_NAMES, WITH_UNIT, State
from backend.cases.tables import Case, CaseDayCount
from backend.db import is_postgres
from backend.org.tables import Community, District, Street, Unit
from backend.settings import Settings
from backend.stats.schemas import Counts, Series, SeriesPoint

DIMENSIONS = {"category": "category_code", "source": "source", "state": "state", "unit": "unit",
              "district": "district", "street": "street", "community": "community", "grid": "unit_grid",
              "light": ""}
BUCKETS = ("none", "day", "week", "month")
SOURCE_NAMES = {"citizen": "市民", "supervisor": "监督员", "open311": "Open311", "hotline": "热线"}


def _bucket_sql(bucket: str, postgres: bool, local: str) -> str:
    """The bucket's first day of a local time: ``local`` is a PostgreSQL timestamp, or SQLite's arguments of date()."""
    if bucket == "none":
        return "'all'"
    if postgres:
        # Grouped as a date (formatting every row as text cost a third of the query); printed as YYYY-MM-DD below.
        return f"CAST(date_trunc('{bucket}', {local}) AS DATE)"
    return {"day": f"date({local})", "week": f"date({local}, '-6 days', 'weekday 1')",
            "month": f"strftime('%Y-%m-01', {local})"}[bucket]


async def _names(by: str) -> dict[str, str]:
    if by == "unit":
        return {str(r["id"]): r["name"] for r in await Unit.select(Unit.id, Unit.name)}
    if by == "state":
        return {s.value: STATE_NAMES[s][0] for s in State}
    if by == "source":
        return dict(SOURCE_NAMES)
    tables: dict[str, type[District | Street | Community]] = {"district": District, "street": Street,
                                                              "community": Community}
    table = tables.get(by)
    if table is not None:
        return {r["code"]: r["name"] for r in await table.select(table.code, table.name)}
    return {}


async def counts(settings: Settings, engine: Any, by: str, bucket: str, start: datetime | None, end: datetime | None,
                 category: str | None = None) -> Counts:
    """Every case reported in [start, end) (voided and duplicates included: they were reports), per value of ``by``."""
    tz = settings.timezone
    if by == "light":
        return await _lights(settings, bucket, start, end, category)
    if by in daycounts.DIMENSIONS and daycounts.aligned(start, tz) and daycounts.aligned(end, tz):
        await daycounts.ensure(engine, tz)
        return await from_day_counts(settings, engine, by, bucket, start, end, category)
    return await direct(settings, engine, by, bucket, start, end, category)


async def from_day_counts(settings: Settings, engine: Any, by: str, bucket: str, start: datetime | None,
                          end: datetime | None, category: str | None = None) -> Counts:
    """``counts`` summed from the day counts (built already; ``start`` and ``end`` local midnights or none)."""
    tz = settings.timezone
    where: list[str] = ["dim = {}", "n <> 0"]
    args: list[object] = [by]
    if start is not None:
        where.append("day >= {}")
        args.append(daycounts.local_day(start, tz))
    if end is not None:
        where.append("day < {}")
        args.append(daycounts.local_day(end, tz))
    if category:
        where.append("category_code LIKE {}")
        args.append(category + "%")
    postgres = is_postgres(engine)
    bucket_literal = _bucket_sql(bucket, postgres, "CAST(day AS TIMESTAMP)" if postgres else "day")
    name = ", MIN(category_name) AS nm" if by == "category" else ""
    rows = await CaseDayCount.raw(
        f"SELECT value AS k, {bucket_literal} AS b, SUM(n) AS n{name} FROM case_day_count "
        f"WHERE {' AND '.join(where)} GROUP BY 1, 2", *args)
    return await _named(by, bucket, rows)


async def direct(settings: Settings, engine: Any, by: str, bucket: str, start: datetime | None, end: datetime | None,
                 category: str | None = None) -> Counts:
    """``counts`` from the cases themselves: a GROUP BY over every case of the range."""
    tz = settings.timezone
    column = DIMENSIONS[by]
    postgres = is_postgres(engine)
    zone = tz.replace("'", "")
    local = f"created_at AT TIME ZONE '{zone}'" if postgres else f"created_at, '{daycounts.utc_offset_hours(tz):+d} hours'"
    bucket_sql = _bucket_sql(bucket, postgres, local)
    where: list[str] = ["1 = 1"]
    args: list[object] = []
    if start is not None:
        where.append("created_at >= {}")
        args.append(start)
    if end is not None:
        where.append("created_at < {}")
        args.append(end)
    if category:
        where.append("category_code LIKE {}")
        args.append(category + "%")
    key = f"COALESCE(CAST({column} AS TEXT), '')" if column == "unit" else column
    bucket_literal = bucket_sql.replace("{", "{{").replace("}", "}}")
    # A category's name comes with its counts: a DISTINCT over every case for the names cost more than the counts.
    name = ", MIN(category_name) AS nm" if by == "category" else ""
    rows = await Case.raw(
        f'SELECT {key} AS k, {bucket_literal} AS b, COUNT(*) AS n{name} FROM "case" WHERE {" AND ".join(where)} '
        "GROUP BY 1, 2", *args)
    return await _named(by, bucket, rows)


async def _named(by: str, bucket: str, rows: list[dict[str, Any]]) -> Counts:
    names = await _names(by)
    if by == "category":
        names = {str(r["k"]): r["nm"] for r in rows if r["k"]}
    return _shape(by, bucket, [(str(r["k"] or ""), str(r["b"]), int(r["n"])) for r in rows], names)


def _shape(by: str, bucket: str, rows: list[tuple[str, str, int]], names: dict[str, str]) -> Counts:
    per_key: dict[str, Counter[str]] = {}
    for key, b, n in rows:
        per_key.setdefault(key, Counter())[b] += n
    buckets = sorted({b for _, b, _ in rows})
    series = [Series(key=k, name=names.get(k, k or "—"), total=sum(c.values()),
                     points=[SeriesPoint(bucket=b, count=c[b]) for b in buckets]) for k, c in per_key.items()]
    series.sort(key=lambda s: (-s.total, s.key))
    return Counts(by=by, bucket=bucket, buckets=buckets, total=sum(s.total for s in series), series=series)


async def _lights(settings: Settings, bucket: str, start: datetime | None, end: datetime | None,
                  category: str | None) -> Counts:
    """Lights are read from the clock now (the stored column is stale), for the cases with a unit at the moment."""
    query = Case.objects().output(load_json=True).where(Case.state.is_in([s.value for s in WITH_UNIT]))
    if start is not None:
        query = query.where(Case.created_at >= start)
    if end is not None:
        query = query.where(Case.created_at < end)
    if category:
        query = query.where(Case.category_code.like(category + "%"))
    tz = ZoneInfo(settings.timezone)
    rows: Counter[tuple[str, str]] = Counter()
    for case in await query:
        timer = clock.timer(settings, case)
        day = case.created_at.astimezone(tz).date()
        b = {"none": "all", "day": day.isoformat(), "month": day.replace(day=1).isoformat()}.get(
            bucket) or day.fromordinal(day.toordinal() - day.weekday()).isoformat()
        rows[(timer.light if timer else "green", b)] += 1
    names = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
    return _shape("light", bucket, [(k, b, n) for (k, b), n in rows.items()], names)
