"""Reverse geocoding and place search on the demo city, against a naive baseline measured in the same run.

    .venv/bin/python scripts/bench_places.py [--points 20000] [--naive 500] [--queries 2000]

Reverse: ``Places.describe`` (grid index + STRtrees) on random points over the city's bounds, against a naive
describe that tests every unit-grid polygon and measures the distance to every road and landmark. Search: a mix of
Chinese, pinyin, initials, typo and code queries. Results go into docs/benchmarks.md (Places section).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend.errors import InvalidInput
from backend.org.loader import DEMO_CITY
from backend.places import Places
from backend.places.gazetteer import read_features

QUERIES = ["长青街道", "changqing", "cqjd", "常青街道", "changqign", "春晖", "lbxx", "乐坪公园", "ZR07", "LD-C0101-0001",
           "431302001001", "万宝", "hnt", "井盖", "xinxing"]


class NaivePlaces:
    """The same answer the obvious way: every polygon, every road, every landmark, for every point."""

    def __init__(self, folder: Path) -> None:
        grids = read_features(folder / "unit_grids.geojson")
        self.codes = [g["properties"]["code"] for g in grids]
        self.polys = [shape(g["geometry"]) for g in grids]
        self.roads = [(f["properties"]["name"], shape(f["geometry"])) for f in read_features(folder / "roads.geojson")]
        self.marks = [(f["properties"]["name"], shape(f["geometry"])) for f in read_features(folder / "landmarks.geojson")]

    def describe(self, lat: float, lng: float) -> tuple[str, str, str]:
        p = shapely.Point(lng, lat)
        code = next((c for c, poly in zip(self.codes, self.polys) if poly.covers(p)), "")
        road = min(self.roads, key=lambda r: r[1].distance(p))[0]
        mark = min(self.marks, key=lambda m: m[1].distance(p))[0]
        return code, road, mark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--naive", type=int, default=500, help="points for the naive baseline (it is slow)")
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()

    started = time.perf_counter()
    places = Places.from_folder(DEMO_CITY)
    build_s = time.perf_counter() - started
    naive = NaivePlaces(DEMO_CITY)
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(naive.polys))
    rng = random.Random(16)
    points = [(rng.uniform(miny, maxy), rng.uniform(minx, maxx)) for _ in range(args.points)]

    def run(fn, pts) -> float:  # microseconds per point; a point far outside raises, as the API would answer 422
        t = time.perf_counter()
        for lat, lng in pts:
            try:
                fn(lat, lng)
            except InvalidInput:
                pass
        return (time.perf_counter() - t) / len(pts) * 1e6

    fast_runs = [run(places.describe, points) for _ in range(3)]
    naive_us = run(naive.describe, points[: args.naive])
    fast_us = statistics.median(fast_runs)
    agree = sum(places.describe(lat, lng).unit_grid == naive.describe(lat, lng)[0]
                for lat, lng in points[: args.naive] if naive.describe(lat, lng)[0])
    inside = sum(1 for lat, lng in points[: args.naive] if naive.describe(lat, lng)[0])

    qs = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
    t = time.perf_counter()
    for q in qs:
        places.search(q)
    search_us = (time.perf_counter() - t) / len(qs) * 1e6

    print(f"demo city: {len(places)} places, built in {build_s:.2f} s (from the files)")
    print(f"reverse: {args.points} random points over the city's bounds, median of 3 runs: {fast_us:.1f} µs/point "
          f"(runs {', '.join(f'{r:.1f}' for r in fast_runs)}); naive baseline ({args.naive} points): {naive_us:.0f} "
          f"µs/point; ratio naive/fast {naive_us / fast_us:.0f}x; same unit grid as the naive scan for {agree}/{inside} "
          f"points inside")
    print(f"search: {len(QUERIES)} query kinds x {args.queries // len(QUERIES)}: {search_us:.0f} µs/query")
    print(f"target < 1000 µs/point: {'met' if fast_us < 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
