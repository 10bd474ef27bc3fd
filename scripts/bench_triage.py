"""Benchmarks for triage; each section times one part and prints its figures (see docs/benchmarks.md).

    .venv/bin/python scripts/bench_triage.py [--section grid] [--grids 10000] [--points 20000]
    .venv/bin/python scripts/bench_triage.py --section whole [--open-cases 100000] [--triaged 300]

Sections: ``grid`` (point → unit grid lookup against a naive scan); ``whole`` (the triage job on SQLite holding
``--open-cases`` open cases, against the duplicate check without its bounding-box index). Add a section by writing a
function that takes the parsed arguments and returns printable lines, and registering it in ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend.geo import GridIndex, Location, UnitGrid

LNG0, LAT0 = 111.96, 27.70  # Loudi


def synthetic_grids(n: int, irregular: bool, seed: int = 1) -> list[UnitGrid]:
    """``n`` unit grids of about 100 m: a square lattice, or Voronoi cells of random seeds (irregular shapes)."""
    side = round(n**0.5)
    dx, dy = 0.001, 0.0009
    area = box(LNG0, LAT0, LNG0 + side * dx, LAT0 + side * dy)
    if irregular:
        rng = random.Random(seed)
        seeds = MultiPoint([(rng.uniform(LNG0, LNG0 + side * dx), rng.uniform(LAT0, LAT0 + side * dy)) for _ in range(n)])
        cells = [c.intersection(area) for c in shapely.voronoi_polygons(seeds, extend_to=area).geoms]
    else:
        cells = [box(LNG0 + i * dx, LAT0 + j * dy, LNG0 + (i + 1) * dx, LAT0 + (j + 1) * dy)
                 for i in range(side) for j in range(side)]
    return [UnitGrid(f"431302{k // 1000:03d}{(k // 100) % 10:03d}{k % 1000:03d}", c) for k, c in enumerate(cells)]


def _per_point_us(fn: Callable[[float, float], object], points: list[tuple[float, float]]) -> float:
    start = time.perf_counter()
    for lng, lat in points:
        fn(lng, lat)
    return (time.perf_counter() - start) / len(points) * 1e6


def bench_grid(args: argparse.Namespace) -> list[str]:
    lines = [f"grid lookup: {args.grids} unit grids, {args.points} random points over the grid bounds plus 5% margins (about 17% outside), naive on {args.naive}"]
    for label, irregular in (("lattice", False), ("voronoi", True)):
        grids = synthetic_grids(args.grids, irregular)
        started = time.perf_counter()
        index = GridIndex.build(grids)
        build_s = time.perf_counter() - started
        minx, miny, maxx, maxy = shapely.total_bounds(np.array([g.geometry for g in grids]))
        mx, my = (maxx - minx) * 0.05, (maxy - miny) * 0.05
        rng = random.Random(2)
        points = [(rng.uniform(minx - mx, maxx + mx), rng.uniform(miny - my, maxy + my)) for _ in range(args.points)]
        inside = [p for p in points if index.in_service_area(*p)]

        geoms = [g.geometry for g in grids]
        codes = [g.code for g in grids]

        def naive(lng: float, lat: float, codes: list[str] = codes, geoms: list[object] = geoms) -> str | None:
            point = shapely.Point(lng, lat)
            return min((c for c, g in zip(codes, geoms) if g.covers(point)), default=None)

        tree = shapely.STRtree(np.array(geoms))

        def strtree(lng: float, lat: float, tree: shapely.STRtree = tree, codes: list[str] = codes) -> str | None:
            hits = tree.query(shapely.Point(lng, lat), predicate="covers")
            return min((codes[i] for i in hits), default=None)

        sample = points[: args.naive]
        agree = all(
            (naive(*p) == (r.unit_grid if isinstance(r := index.locate(*p), Location) else None)) for p in sample
        )
        t_index = _per_point_us(index.locate, points)
        t_inside = _per_point_us(index.locate, inside)
        t_tree = _per_point_us(strtree, points)
        t_naive = _per_point_us(naive, sample)
        lines += [
            f"  {label}: build {build_s:.2f} s; agrees with naive scan on {len(sample)} points: {agree}",
            (f"    GridIndex.locate     {t_index:8.2f} µs/point (inside only: {t_inside:.2f} µs; outside ones add a"
             " nearest-grid search)"),
            f"    STRtree covers query {t_tree:8.2f} µs/point",
            f"    naive covers scan    {t_naive:8.1f} µs/point  -> GridIndex is {t_naive / t_index:,.0f}x faster",
        ]
    return lines


WHOLE_CODES = ("C0101", "C0102", "C0103", "C0105", "C0137", "C0305", "E0101", "E0110", "E0114", "E0406")
OPEN_STATES = ("new", "pending_filing", "pending_dispatch", "dispatched", "handling", "checking")


def _bulk_cases(db: str, n: int, reporter: int, bounds: tuple[float, float, float, float]) -> None:
    """``n`` open cases (half with a report photo) over the last 90 days, written straight through sqlite3."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    rng, now = random.Random(7), datetime.now(UTC)
    w, s, e, n_ = bounds
    cases, photos = [], []
    for i in range(1, n + 1):
        code = rng.choice(WHOLE_CODES)
        at = str(now - timedelta(seconds=rng.uniform(60, 90 * 86400)))
        cases.append((i, f"B{i:012d}", rng.choice(OPEN_STATES), "citizen", reporter, "bench", rng.uniform(w, e),
                      rng.uniform(s, n_), code, "component" if code[0] == "C" else "event", at, at))
        if i % 2:
            photos.append((i, "report", reporter, "ready", f"b/{i}", f"{rng.getrandbits(64):016x}",
                           f"{rng.getrandbits(256):064x}", at))
    with sqlite3.connect(db) as conn:
        conn.executemany(
            'INSERT INTO "case" (id, tracking_no, state, source, reporter, description, lng, lat, category_code, '
            "category_kind, created_at, updated_at, triaged_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*c, c[-1]) for c in cases])
        conn.executemany('INSERT INTO photo (id, "case", kind, uploader, status, original_key, phash, sha256, '
                         "created_at) VALUES (?,?,?,?,?,?,?,?,?)", [(k, *p) for k, p in enumerate(photos, 1)])


class StatementTrace:
    """Every statement SQLite runs on the engine's connections (Piccolo's per-query PRAGMA and BEGIN/COMMIT included),
    through a ``sqlite3.Connection`` subclass passed as the connections' factory."""

    def __init__(self) -> None:
        import sqlite3

        self.statements: list[str] = []
        self.connections = 0
        trace = self

        class Traced(sqlite3.Connection):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, **kwargs)  # type: ignore[arg-type]
                trace.connections += 1
                self.set_trace_callback(trace.statements.append)

        self.factory = Traced

    def take(self) -> tuple[list[str], int]:
        """The statements and connections since the last call."""
        taken = self.statements[:], self.connections
        self.statements.clear()
        self.connections = 0
        return taken


def _statement_kind(sql: str) -> str:
    words = sql.replace('"', "").replace("(", " ").replace(")", " ").split()
    verb = words[0].upper()
    if verb in ("SELECT", "DELETE") and "FROM" in (w.upper() for w in words):
        return f"{verb} {words[[w.upper() for w in words].index('FROM') + 1]}"
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    return " ".join(words[:2]).upper()


async def _whole(open_cases: int, triaged: int, tmp: Path) -> list[str]:
    from datetime import UTC, datetime

    from backend.accounts.tables import User
    from backend.cases import clock
    from backend.cases.tables import Case
    from backend.context import AppContext
    from backend.db import bind_tables, build_engine, prepare_sqlite
    from backend.live.bus import EventBus
    from backend.org.loader import load_city
    from backend.photos.tables import Photo
    from backend.settings import Settings
    from backend.triage import duplicates
    from backend.triage.jobs import triage_case
    from backend.triage.routing import seed_default_rules
    from backend.triage.service import Triage

    settings = Settings(data_dir=tmp, log_level="WARNING", run_worker=False, auto_dispatch=True)
    prepare_sqlite(settings.sqlite_path)  # WAL, as the app runs it
    engine = build_engine(settings)
    trace = StatementTrace()
    engine.connection_kwargs["factory"] = trace.factory
    bind_tables(engine)
    await load_city(progress=None)
    await seed_default_rules()
    rows = await User.insert(User(username="bench", role="citizen", created_at=datetime.now(UTC))).returning(User.id)
    triage = await Triage.load(settings)
    if triage.classifier:
        triage.classify("井盖", "", "", 112.0, 27.73)  # warm the tokenizer once, as a running worker has
    started = time.perf_counter()
    _bulk_cases(settings.sqlite_path, open_cases, rows[0]["id"], (111.962, 27.702, 112.038, 27.758))
    setup_s = time.perf_counter() - started
    ctx = AppContext(settings=settings, engine=engine, bus=EventBus(None), triage=triage)
    rng, samples = random.Random(11), []
    per_case: list[int] = []
    kinds: Counter[str] = Counter()
    connections = 0
    for i in range(triaged):
        code = WHOLE_CODES[i % len(WHOLE_CODES)]
        text = "人行道上的井盖没了，很危险" if code[0] == "C" else "路边有人乱搭棚子"
        now = clock.now()
        case = Case(tracking_no=f"N{i:012d}", state="pending_filing" if i % 2 else "new", reporter=rows[0]["id"],
                    source="supervisor" if i % 2 else "citizen", description=text, lng=rng.uniform(111.965, 112.035),
                    lat=rng.uniform(27.705, 27.755), category_code=code if i % 2 else "", created_at=now, updated_at=now)
        await case.save()
        await Photo.insert(Photo(case=case.id, kind="report", uploader=rows[0]["id"], status="ready", original_key="n",
                                 phash=f"{rng.getrandbits(64):016x}", sha256=f"{rng.getrandbits(256):064x}",
                                 created_at=now))
        trace.take()
        t0 = time.perf_counter()
        await triage_case(ctx, {"case_id": case.id})
        samples.append(time.perf_counter() - t0)
        statements, opened = trace.take()
        per_case.append(len(statements))
        kinds.update(_statement_kind(sql) for sql in statements)
        connections += opened
        case = await Case.objects().get(Case.id == case.id)
        clock.calendar(settings).due_at(now, clock.limit_of(case))  # the deadline, as dispatch will compute it
    probe = await Case.objects().where(Case.category_code != "").order_by(Case.id, ascending=False).limit(50)

    async def per_check(prefilter: bool) -> float:
        t0 = time.perf_counter()
        for c in probe:
            if prefilter:
                await duplicates.by_distance(settings, c)
            else:  # the baseline: every case of the 小类 in the window, distances in Python
                duplicates.nearest(settings, c, await duplicates.window_query(settings, c))
        return (time.perf_counter() - t0) / len(probe) * 1000

    with_index = await per_check(True)
    no_bbox = await per_check(False)
    await engine.run_ddl("DROP INDEX case_dup_prefilter")
    no_index = await per_check(True)
    ms = sorted(x * 1000 for x in samples)
    return [
        (f"whole triage: SQLite with {open_cases:,} open cases (bulk insert {setup_s:.1f} s), {triaged} new cases, "
         f"classifier: {'yes' if triage.classifier else 'no'}, "
         "each with a report photo (half supervisor-coded and auto-dispatched, half citizen text)"),
        (f"  triage_case       mean {sum(ms) / len(ms):6.2f} ms  median {ms[len(ms) // 2]:6.2f} ms  "
         f"p95 {ms[int(len(ms) * 0.95)]:6.2f} ms  max {ms[-1]:6.2f} ms"),
        f"  duplicate check (distance), {len(probe)} cases:",
        f"    bbox prefilter + index  {with_index:8.2f} ms/case",
        f"    bbox prefilter, no index {no_index:7.2f} ms/case  -> {no_index / with_index:,.1f}x slower",
        f"    no bbox (category+window) {no_bbox:6.2f} ms/case  -> {no_bbox / with_index:,.1f}x slower",
        (f"  SQLite statements per triage_case: mean {sum(per_case) / len(per_case):.1f} (min {min(per_case)}, "
         f"max {max(per_case)}), connections opened {connections / len(per_case):.1f}; by kind, per case:"),
        *(f"    {n / len(per_case):5.2f}  {kind}" for kind, n in kinds.most_common()),
    ]


def bench_whole(args: argparse.Namespace) -> list[str]:
    import asyncio
    import tempfile

    from backend.cli import migrate
    from backend.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        migrate(Settings(data_dir=Path(tmp), log_level="WARNING"))
        return asyncio.run(_whole(args.open_cases, args.triaged, Path(tmp)))


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {"grid": bench_grid, "whole": bench_whole}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="repeatable; default: all")
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--naive", type=int, default=300, help="points timed with the naive scan (slow)")
    parser.add_argument("--open-cases", type=int, default=100_000, help="whole: open cases already in the database")
    parser.add_argument("--triaged", type=int, default=300, help="whole: new cases triaged and timed")
    args = parser.parse_args()
    for name in args.section or list(SECTIONS):
        print("\n".join(SECTIONS[name](args)))


if __name__ == "__main__":
    main()
