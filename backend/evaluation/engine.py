"""Evaluation tables and drill-downs for a period: SQL aggregates over the fact tables, then rates, scores and grades."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.accounts.roles import Role
from backend.accounts.tables import User
from backend.errors import InvalidInput, NotFound
from backend.evaluation.figures import AREA_LEVELS, COUNTS, RATES, SCORE_PARTS, TIMES, Count
from backend.evaluation.scheme import Scheme
from backend.evaluation.tables import EvalCase
from backend.org.tables import Community, District, Street, Unit, UnitGrid

MAX_PERIOD_DAYS = 366
DRILL_LIMIT = 2000


@dataclass(frozen=True)
class Period:
    first: date  # first day, local
    last: date  # last day, local, included
    start: datetime  # UTC
    end: datetime  # UTC, excluded
    cutoff: datetime  # the end, or the "as of" time if earlier

    def previous(self, tz: str) -> Period:
        """The period before: the same number of calendar months for a run of whole months, else of days."""
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
            index = self.first.year * 12 + self.first.month - 1 - months
            first = date(index // 12, index % 12 + 1, 1)
            return period(first, self.first - timedelta(days=1), None, tz)
        days = (self.last - self.first).days + 1
        return period(self.first - timedelta(days=days), self.first - timedelta(days=1), None, tz)


def _midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(UTC)


def period(first: date, last: date, as_of: datetime | None, tz: str, now: datetime | None = None) -> Period:
    """A checked period of local days; the cut-off is never later than now."""
    if last < first:
        raise InvalidInput("结束日期早于开始日期", "The period ends before it starts", code="evaluation.period_reversed")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(f"考评周期最长 {MAX_PERIOD_DAYS} 天", f"A period may be at most {MAX_PERIOD_DAYS} days long",
                           code="evaluation.period_too_long", details={"max_days": MAX_PERIOD_DAYS})
    start, end = _midnight(first, tz), _midnight(last + timedelta(days=1), tz)
    if as_of is not None:
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=ZoneInfo(tz))
        if as_of < start:
            raise InvalidInput("截止时间早于考评周期开始", "as_of is before the period starts",
                               code="evaluation.bad_as_of")
    cutoff = min(end, as_of or end, now or datetime.now(UTC))
    return Period(first, last, start, end, max(cutoff, start))


_TOKEN = re.compile(r"@([SCTK])")


def _sql(template: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """Positional placeholders for Piccolo (``{}`` on both engines) from the ``@S``-style names in a condition."""
    args: list[Any] = []

    def put(match: re.Match[str]) -> str:
        args.append(values[match.group(1)])
        return "{}"

    return _TOKEN.sub(put, template), args


def _key(count: Count, level: str | None) -> str:
    return AREA_LEVELS[level or "district"] if count.key == "@AREA" else count.key


async def counts(subject: str, p: Period, level: str | None = None) -> dict[str, dict[Any, int]]:
    """Every count of a subject for the period, per key (unit id, area code or user id).

    One aggregate per fact table, key and leading column of the conditions (the time range, or the task kind before
    it): each count is a ``SUM(CASE WHEN <its condition>)`` over the rows matching any of its group's conditions, so
    the drill-downs, which run the conditions one by one, list exactly the rows counted here. Conditions on different
    ranges are not OR-ed into one aggregate: PostgreSQL can read each range from a covering index alone, where an OR
    of two ranges is a bitmap scan that visits the table's pages (at 1,000,000 cases, a month's rows lie on nearly
    all of them).
    """
    values = {"S": p.start, "C": p.cutoff, "T": True}
    groups: dict[tuple[str, str, str], list[tuple[str, Count]]] = {}
    for name, count in COUNTS[subject].items():
        groups.setdefault((count.table, _key(count, level), count.where.split()[0]), []).append((name, count))
    out: dict[str, dict[Any, int]] = {name: {} for name in COUNTS[subject]}
    for (table, column, _), members in groups.items():
        sums, anys, args, any_args = [], [], [], []
        for i, (_, count) in enumerate(members):
            sql, a = _sql(count.where, values)
            sums.append(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END) AS n{i}")
            args += a
            if not any(count.where.startswith(other.where) for _, other in members if other is not count):
                anys.append(f"({sql})")
                any_args += a
        rows = await EvalCase.raw(
            f"SELECT {column} AS k, {', '.join(sums)} FROM {table} WHERE {' OR '.join(anys)} GROUP BY {column}",
            *args, *any_args)
        cells = [(f"n{i}", out[name]) for i, (name, _) in enumerate(members)]  # thousands of rows for the grids
        for r in rows:
            k = r["k"]
            if k is None or k == "":
                continue
            for cell, per_key in cells:
                if n := r[cell]:
                    per_key[k] = int(n)
    return out


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def rates(subject: str, c: dict[str, int]) -> dict[str, float | None]:
    return {name: _ratio(c.get(r.numerator, 0), c.get(r.denominator, 0)) for name, r in RATES[subject].items()}


def score_parts(subject: str, c: dict[str, int], r: dict[str, float | None], max_handled: int) -> dict[str, float | None]:
    parts: dict[str, float | None] = {
        part: (None if (value := r[rate]) is None else value * 100) for part, rate in SCORE_PARTS[subject].items()
    }
    if subject == "unit":
        # Volume scores against the busiest unit of the period; a rework rate above 1 (reworks of work handled in an
        # earlier period) counts as 1.
        parts["volume"] = 100 * c.get("handled", 0) / max_handled if c.get("due") and max_handled else None
        rework = r["rework_rate"]
        parts["rework"] = None if rework is None else 100 * (1 - min(1.0, rework))
        if rework is None and c.get("due"):
            parts["rework"] = 100.0  # nothing handled yet, so nothing reworked
    return parts


async def names(subject: str, level: str | None) -> dict[Any, str]:
    """Every unit, person or area of the subject that the table lists even with nothing to count."""
    if subject == "unit":
        return {r["id"]: r["name"] for r in await Unit.select(Unit.id, Unit.name).where(Unit.active == True)}
    if subject in ("supervisor", "dispatcher"):
        role = Role.SUPERVISOR if subject == "supervisor" else Role.DISPATCHER
        return {r["id"]: r["display_name"] for r in await User.select(User.id, User.display_name).where(
            User.role == role.value)}
    tables: dict[str, type[District | Street | Community]] = {"district": District, "street": Street,
                                                              "community": Community}
    table = tables.get(level or "district")
    if table is None:
        return {}  # unit grids: thousands; only those with cases are listed
    return {r["code"]: r["name"] for r in await table.select(table.code, table.name)}


_areas_km2: dict[str, dict[str, float]] = {}


async def area_km2(level: str) -> dict[str, float]:
    """Square kilometres per area code, summed from the unit grids (read once per process: the map rarely changes)."""
    if level not in _areas_km2:
        rows = await UnitGrid.select(
            UnitGrid.code, UnitGrid.area_m2, UnitGrid.community._.code.as_alias("community"),
            UnitGrid.community._.street._.code.as_alias("street"),
            UnitGrid.community._.street._.district._.code.as_alias("district"))
        column = {"grid": "code", "community": "community", "street": "street", "district": "district"}[level]
        sums: dict[str, float] = {}
        for r in rows:
            sums[r[column]] = sums.get(r[column], 0.0) + (r["area_m2"] or 0.0) / 1e6
        _areas_km2[level] = sums
    return _areas_km2[level]


def _check_level(subject: str, level: str | None) -> None:
    if subject == "area" and level not in AREA_LEVELS:
        raise InvalidInput("区域层级应为 grid / community / street / district",
                           "level must be grid, community, street or district", code="evaluation.bad_level",
                           details={"allowed": list(AREA_LEVELS)})


async def table(subject: str, p: Period, scheme: Scheme, level: str | None = None,
                only: Any = None) -> list[dict[str, Any]]:
    """One row per unit, area or person: its counts, rates, score parts, score and grade; best first.

    ``only`` restricts the rows to one key (a unit's own page), while scores still compare against every unit.
    """
    _check_level(subject, level)
    by_count = await counts(subject, p, level)
    listed = await names(subject, level)
    keys = set(listed) | {k for per_key in by_count.values() for k in per_key}
    max_handled = max(by_count.get("handled", {}).values(), default=0)
    km2 = await area_km2(level or "district") if subject == "area" else {}
    # The per-row work, with every lookup that does not depend on the row done once (the unit grids are ~4,000 rows):
    # the same arithmetic, in the same order, as ``rates``, ``score_parts`` and ``Scheme.score``.
    count_names = list(COUNTS[subject])
    per_count = [by_count[name] for name in count_names]
    rate_specs = [(name, r.numerator, r.denominator) for name, r in RATES[subject].items()]
    simple_parts = list(SCORE_PARTS[subject].items()) if subject != "unit" else None
    weights = [(name, w) for name, w in scheme.weights[subject].items() if w > 0]
    rows: list[dict[str, Any]] = []
    for k in keys:
        if only is not None and k != only:
            continue
        c = dict(zip(count_names, [per_key.get(k, 0) for per_key in per_count], strict=True))
        r: dict[str, float | None] = {name: round(c[num] / c[den], 4) if c[den] else None
                                      for name, num, den in rate_specs}
        if subject == "area":
            size = km2.get(k)
            r["cases_per_km2"] = round(c["reported"] / size, 2) if size else None
        if simple_parts is None:
            parts = score_parts(subject, c, r, max_handled)
        else:
            parts = {part: (None if (value := r[rate]) is None else value * 100) for part, rate in simple_parts}
        total = weight = 0.0
        for name, w in weights:
            if (part_value := parts.get(name)) is not None:
                total += w * part_value
                weight += w
        score = round(total / weight, 2) if weight else None
        rows.append({"key": str(k), "name": listed.get(k, str(k)), "counts": c, "rates": r,
                     "parts": {n: (None if v is None else round(v, 2)) for n, v in parts.items()},
                     "score": score, "grade": scheme.grade(score)})
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["name"]))
    return rows


async def drill(subject: str, p: Period, figure: str, key: Any, level: str | None = None) -> dict[str, Any]:
    """The cases behind one figure of one row: its numerator's and its denominator's, with their times."""
    _check_level(subject, level)
    if figure in RATES[subject]:
        rate = RATES[subject][figure]
        parts = {"numerator": rate.numerator, "denominator": rate.denominator}
    elif figure in COUNTS[subject]:
        parts = {"numerator": figure}
    elif subject == "unit" and figure == "volume":
        parts = {"numerator": "handled"}
    elif subject == "area" and figure == "cases_per_km2":
        parts = {"numerator": "reported"}
    else:
        raise NotFound(f"没有这个指标：{figure}", f"No such figure: {figure}", code="evaluation.unknown_figure",
                       details={"figures": sorted([*RATES[subject], *COUNTS[subject]])})
    out: dict[str, Any] = {"figure": figure}
    for part, name in parts.items():
        count = COUNTS[subject][name]
        column = _key(count, level)
        sql, args = _sql(count.where + f" AND {column} = @K", {"S": p.start, "C": p.cutoff, "T": True, "K": key})
        times = ", ".join(TIMES[count.table])
        total = await EvalCase.raw(f"SELECT COUNT(*) AS n FROM {count.table} WHERE {sql}", *args)
        rows = await EvalCase.raw(
            f"SELECT case_id, tracking_no, {times} FROM {count.table} WHERE {sql} ORDER BY case_id, id "
            f"LIMIT {DRILL_LIMIT}", *args)
        out[part] = {"count": name, "name_zh": count.zh, "name_en": count.en, "total": int(total[0]["n"]),
                     "truncated": int(total[0]["n"]) > len(rows),
                     "cases": [{"case_id": r["case_id"], "tracking_no": r["tracking_no"],
                                "times": {t: _iso(r[t]) for t in TIMES[count.table]}} for r in rows]}
    return out


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return datetime.fromisoformat(str(value)).astimezone(UTC).isoformat()
