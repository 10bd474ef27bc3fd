"""Benchmarks for triage; each section times one part and prints its figures (see docs/benchmarks.md).

    .venv/bin/python scripts/bench_triage.py [--section grid] [--grids 10000] [--points 20000]

Sections: ``grid`` (point → unit grid lookup against a naive scan). Add a section by writing a function that takes the
parsed arguments and returns printable lines, and registering it in ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend.triage.geo import GridIndex, Location, UnitGrid  # noqa: E402

LNG0, LAT0 = 111.96, 27.70  # Loudi


def synthetic_grids(n: int, irregular: bool, seed: int = 1) -> list[UnitGrid]:
    """``n`` unit grids of about 100 m: a square lattice, or Voronoi cells of random seeds (irregular shapes)."""
    side = int(round(n**0.5))
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

        def naive(lng: float, lat: float) -> str | None:
            point = shapely.Point(lng, lat)
            return min((c for c, g in zip(codes, geoms) if g.covers(point)), default=None)

        tree = shapely.STRtree(np.array(geoms))

        def strtree(lng: float, lat: float) -> str | None:
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
            f"    GridIndex.locate     {t_index:8.2f} µs/point (inside only: {t_inside:.2f} µs; outside ones add a"
            " nearest-grid search)",
            f"    STRtree covers query {t_tree:8.2f} µs/point",
            f"    naive covers scan    {t_naive:8.1f} µs/point  -> GridIndex is {t_naive / t_index:,.0f}x faster",
        ]
    return lines


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {"grid": bench_grid}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="repeatable; default: all")
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--naive", type=int, default=300, help="points timed with the naive scan (slow)")
    args = parser.parse_args()
    for name in args.section or list(SECTIONS):
        print("\n".join(SECTIONS[name](args)))


if __name__ == "__main__":
    main()
