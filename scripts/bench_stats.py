"""p95 of every evaluation and statistics query on generated data (see docs/benchmarks.md, "Evaluation and statistics").

    .venv/bin/python scripts/bench_stats.py --cases 100000                       # SQLite file under /tmp
    .venv/bin/python scripts/bench_stats.py --cases 300000 --database-url postgresql://postgres@127.0.0.1:54343/bench

The database is created, migrated and seeded with the demo city's organisation, then filled with ``--cases`` cases
over a year, each with a plausible timeline (report, file, dispatch, sometimes a return, report back, check — a tenth
fail and are reworked —, close, sometimes a rating; the newest stay open), written with the driver's bulk path. The
evaluation facts are then built from the timeline (timed), and each query runs ``--runs`` times. The baseline, timed
in the same run, is a primary-key lookup of one case: each query's p95 is printed with its ratio to the baseline's.
``--reuse --rebuild-facts`` deletes the facts of the database already there and times building them again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.cli import migrate
from backend.db import close_database, open_database
from backend.demo.seed import seed_demo
from backend.settings import Settings

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 365
LIMITS = ("2自然日", "4小时", "1天", "3天", "2紧急工作时")


def _ts(value: datetime) -> str:
    return str(value)  # the text Piccolo writes for a Timestamptz on SQLite


def timeline(rng: random.Random, case_id: int, t0: datetime, supervisor: bool, units: list[int],
             people: dict[str, list[int]], end: datetime) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """One case's timeline rows (case, at, actor, role, action, from, to, data) and its final columns."""
    rows: list[tuple[Any, ...]] = []
    t = t0
    state = "pending_filing" if supervisor else "new"
    reporter = rng.choice(people["supervisor"] if supervisor else people["citizen"])

    def add(minutes: float, actor: int | None, role: str, action: str, to: str, **data: Any) -> None:
        nonlocal t, state
        t = t + timedelta(minutes=minutes)
        rows.append((case_id, t, actor, role, action, state, to, json.dumps(data)))
        state = to

    add(0, reporter, "supervisor" if supervisor else "citizen", "report", state)
    if not supervisor:
        add(rng.uniform(2, 40), rng.choice(people["operator"]), "operator", "accept_report", "pending_filing")
    lead, disp = rng.choice(people["shift_lead"]), rng.choice(people["dispatcher"])
    add(rng.uniform(2, 60), lead, "shift_lead", "file", "pending_dispatch")
    unit = rng.choice(units)
    add(rng.uniform(2, 40), disp, "dispatcher", "dispatch", "dispatched", unit_id=unit)
    out: dict[str, Any] = {"unit": unit, "filed_at": rows[-2][1], "dispatched_at": t, "closed_at": None,
                           "rating": None}
    if rng.random() < 0.05:
        add(rng.uniform(10, 120), None, "unit_staff", "request_return", "return_requested")
        add(rng.uniform(5, 60), disp, "dispatcher", "approve_return", "pending_dispatch", returned_by_unit=unit)
        unit = rng.choice([u for u in units if u != unit])
        add(rng.uniform(2, 30), disp, "dispatcher", "dispatch", "dispatched", unit_id=unit)
        out.update(unit=unit, dispatched_at=t)
    if t > end - timedelta(days=10):
        out["state"] = state
        return rows, out
    sup = rng.choice(people["supervisor"])
    add(rng.uniform(60, 72 * 60), None, "unit_staff", "report_back", "checking")
    if rng.random() < 0.1:
        add(rng.uniform(5, 60), sup, "supervisor", "check", "dispatched", result="fail")
        add(rng.uniform(60, 48 * 60), None, "unit_staff", "report_back", "checking")
    add(rng.uniform(5, 60), sup, "supervisor", "check", "pending_close", result="pass")
    add(rng.uniform(5, 60), lead, "shift_lead", "close", "closed")
    out["closed_at"] = t
    if rng.random() < 0.4:
        satisfied = rng.random() < 0.85
        add(rng.uniform(60, 3 * 24 * 60), reporter, "citizen", "rate", "closed", satisfied=satisfied)
        out["rating"] = int(satisfied)
    out["state"] = state
    return rows, out


CASE_COLUMNS = ("tracking_no", "state", "source", "reporter", "description", "address", "lng", "lat", "category_code",
                "category_name", "category_kind", "time_limit", "unit_grid", "community", "street", "district",
                "responsibility_grid", "unit", "created_at", "updated_at", "filed_at", "dispatched_at", "closed_at",
                "light", "rating")
ENTRY_COLUMNS = ("case", "at", "actor", "actor_role", "action", "from_state", "to_state", "data")


async def org() -> tuple[list[int], dict[str, list[int]], list[tuple[str, str, str, str, str]]]:
    from backend.accounts.tables import User
    from backend.org.tables import Unit, UnitGrid

    units = [r["id"] for r in await Unit.select(Unit.id)]
    people: dict[str, list[int]] = {}
    for r in await User.select(User.id, User.role):
        people.setdefault(r["role"], []).append(r["id"])
    grids = [(r["code"], r["community"], r["street"], r["district"], r["rg"] or "") for r in await UnitGrid.select(
        UnitGrid.code, UnitGrid.community.code.as_alias("community"),
        UnitGrid.community.street.code.as_alias("street"),
        UnitGrid.community.street.district.code.as_alias("district"),
        UnitGrid.responsibility_grid.code.as_alias("rg"))]
    return units, people, grids


def generate(n: int, units: list[int], people: dict[str, list[int]], grids: list[Any], first_id: int,
             seed: int = 7) -> Any:
    """Batches of (case rows, timeline rows) for n cases."""
    rng = random.Random(seed)
    end = START + timedelta(days=DAYS)
    cases: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    for i in range(n):
        case_id = first_id + i
        t0 = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        supervisor = rng.random() < 0.3
        rows, out = timeline(rng, case_id, t0, supervisor, units, people, end)
        code, community, street, district, rg = rng.choice(grids)
        cases.append((f"B{case_id:011d}", out["state"], "supervisor" if supervisor else "citizen", rows[0][2], "", "",
                      111.99 + rng.uniform(0, 0.06), 27.70 + rng.uniform(0, 0.06), "0101", "上水井盖", "component",
                      rng.choice(LIMITS), code, community, street, district, rg, out["unit"], t0, rows[-1][1],
                      out["filed_at"], out["dispatched_at"], out["closed_at"], "green", out["rating"]))
        entries.extend(rows)
        if len(cases) >= 5000:
            yield cases, entries
            cases, entries = [], []
    if cases:
        yield cases, entries


async def fill(settings: Settings, n: int) -> float:
    from backend.cases.tables import Case

    units, people, grids = await org()
    first = int((await Case.raw("SELECT COALESCE(MAX(id), 0) AS m FROM \"case\""))[0]["m"]) + 1
    began = time.perf_counter()
    if settings.is_sqlite:
        conn = sqlite3.connect(settings.sqlite_path)
        case_sql = (f'INSERT INTO "case" (id, {", ".join(CASE_COLUMNS)}) '
                    f"VALUES ({', '.join('?' * (len(CASE_COLUMNS) + 1))})")
        entry_sql = (f"INSERT INTO timeline_entry (\"case\", {', '.join(ENTRY_COLUMNS[1:])}) "
                     f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})")

        def conv(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_ts(v) if isinstance(v, datetime) else v for v in row)

        for cases, entries in generate(n, units, people, grids, first):
            conn.executemany(case_sql, [conv((int(c[0][1:]),) + c) for c in cases])
            conn.executemany(entry_sql, [conv(e) for e in entries])
            conn.commit()
        conn.close()
    else:
        import asyncpg

        u = urlparse(settings.database_url)
        conn = await asyncpg.connect(host=u.hostname, port=u.port, user=u.username, database=u.path.lstrip("/"))
        for cases, entries in generate(n, units, people, grids, first):
            await conn.copy_records_to_table("case", records=[(int(c[0][1:]),) + c for c in cases],
                                             columns=["id", *CASE_COLUMNS])
            await conn.copy_records_to_table("timeline_entry", records=entries, columns=list(ENTRY_COLUMNS))
        await conn.execute("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), (SELECT MAX(id) FROM \"case\"))")
        await conn.execute("ANALYZE")
        await conn.close()
    return time.perf_counter() - began


async def p95(work: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float]:
    await work()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        await work()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[min(len(times) - 1, round(0.95 * len(times)) - 1)], statistics.median(times)


async def run(args: argparse.Namespace) -> None:
    from backend.accounts.roles import Role
    from backend.accounts.services import Actor
    from backend.cases import daycounts
    from backend.cases.tables import Case
    from backend.evaluation import engine as ev
    from backend.evaluation import followup
    from backend.evaluation.facts import sync
    from backend.evaluation.scheme import DEFAULT
    from backend.stats import counts as stat_counts
    from backend.stats import services as stat_services

    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=folder, database_url=args.database_url, log_level="WARNING")
    engine = await open_database(settings)
    try:
        if args.fresh:
            await seed_demo(settings, engine, cases=False)
            took = await fill(settings, args.cases)
            print(f"generated {args.cases:,} cases with their timelines in {took:.1f} s")
            t = time.perf_counter()
            built = await sync(settings, engine)
            print(f"evaluation facts built for {built:,} cases in {time.perf_counter() - t:.1f} s")
        if args.rebuild_facts:
            from backend.evaluation.tables import EvalCase, EvalCursor, EvalEpisode, EvalRating, EvalTask

            for table in (EvalEpisode, EvalTask, EvalRating, EvalCase, EvalCursor):
                await table.delete(force=True)
            t = time.perf_counter()
            built = await sync(settings, engine)
            took = time.perf_counter() - t
            print(f"evaluation facts rebuilt for {built:,} cases in {took:.1f} s ({1000 * took / built:.3f} ms a case)")
        t = time.perf_counter()
        if await daycounts.ensure(engine, settings.timezone):  # the first statistics read would build them
            print(f"statistics day counts built in {time.perf_counter() - t:.1f} s")
        total = await Case.count()
        entries = (await Case.raw("SELECT COUNT(*) AS n FROM timeline_entry"))[0]["n"]
        print(f"database: {'SQLite' if settings.is_sqlite else 'PostgreSQL'}, {total:,} cases, {entries:,} timeline "
              f"entries; {args.runs} runs per query")
        tz = settings.timezone
        month = ev.period(date(2026, 6, 1), date(2026, 6, 30), None, tz)
        quarter_start = ev.period(date(2026, 4, 1), date(2026, 6, 30), None, tz).start
        june_end = month.end
        probe = total // 2
        caller = Actor(id=1, username="bench", display_name="bench", role=Role.OPERATOR)
        queries: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("baseline: one case by primary key", lambda: Case.select(Case.id, Case.state).where(Case.id == probe)),
            ("facts sync, nothing new (every request)", lambda: sync(settings, engine)),
            ("units table, one month", lambda: ev.table("unit", month, DEFAULT)),
            ("one unit's row, one month", lambda: ev.table("unit", month, DEFAULT, only=1)),
            ("districts table, one month", lambda: ev.table("area", month, DEFAULT, level="district")),
            ("streets table, one month", lambda: ev.table("area", month, DEFAULT, level="street")),
            ("unit grids table, one month", lambda: ev.table("area", month, DEFAULT, level="grid")),
            ("supervisors table, one month", lambda: ev.table("supervisor", month, DEFAULT)),
            ("dispatchers table, one month", lambda: ev.table("dispatcher", month, DEFAULT)),
            ("drill-down: a unit's on-time rate", lambda: ev.drill("unit", month, "on_time_rate", 1)),
            ("stats: by category, per day, one month",
             lambda: stat_counts.counts(settings, engine, "category", "day", month.start, june_end)),
            ("stats: by district, per week, a quarter",
             lambda: stat_counts.counts(settings, engine, "district", "week", quarter_start, june_end)),
            ("stats: by state, whole year", lambda: stat_counts.counts(settings, engine, "state", "none", None, None)),
            ("stats: by unit, per month, whole year",
             lambda: stat_counts.counts(settings, engine, "unit", "month", None, None)),
            # The same four counts from the cases themselves (the code before the day counts), in the same run.
            ("before: by category, per day, one month",
             lambda: stat_counts.direct(settings, engine, "category", "day", month.start, june_end)),
            ("before: by district, per week, a quarter",
             lambda: stat_counts.direct(settings, engine, "district", "week", quarter_start, june_end)),
            ("before: by state, whole year", lambda: stat_counts.direct(settings, engine, "state", "none", None, None)),
            ("before: by unit, per month, whole year",
             lambda: stat_counts.direct(settings, engine, "unit", "month", None, None)),
            ("stats: heatmap, one month", lambda: stat_services.heatmap(None, month.start, june_end)),
            ("stats: heatmap at zoom 13, one month",
             lambda: stat_services.heatmap(None, month.start, june_end, zoom=13)),
            ("stats: heatmap at zoom 16 in a bbox, a year",
             lambda: stat_services.heatmap(None, None, None, zoom=16, box=(112.0, 27.72, 112.02, 27.74))),
            ("follow-up worklist (回访), one month", lambda: followup.worklist(caller, month, "all")),
        ]
        base = None
        print("load average (1, 5, 15 min) before the queries: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        print(f"{'query':<44} {'p95 ms':>9} {'median':>9} {'x baseline':>11}")
        for name, work in queries:
            q95, med = await p95(work, args.runs)
            base = base or q95
            print(f"{name:<44} {q95:9.1f} {med:9.1f} {q95 / base:11.0f}")
        print("load average (1, 5, 15 min) after the queries: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    finally:
        await close_database(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (its database must exist); default SQLite")
    parser.add_argument("--data-dir", default="/tmp/suishoupai-bench-stats")
    parser.add_argument("--reuse", dest="fresh", action="store_false", help="measure the database already there")
    parser.add_argument("--rebuild-facts", action="store_true",
                        help="with --reuse: delete the evaluation facts and time building them again from the timeline")
    args = parser.parse_args()
    settings = Settings(data_dir=Path(args.data_dir), database_url=args.database_url, log_level="WARNING")
    if args.fresh and settings.is_sqlite:
        Path(settings.sqlite_path).unlink(missing_ok=True)
    migrate(settings)  # with --reuse: the indexes added since the data was generated
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
