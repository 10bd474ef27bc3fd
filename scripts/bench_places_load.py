"""What an app pays for its gazetteer: a fresh build from the database with triage's grid index (the baseline, what
every app paid before the gazetteer was shared) against the shared one (a signature query and a dictionary lookup), in the same run.

    .venv/bin/python scripts/bench_places_load.py [--runs 5]

Builds a SQLite database with the demo city's organisation in a temporary folder first (about half a minute).
Results go into docs/benchmarks.md (Places: the shared gazetteer).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend.cli import _with_db, migrate
from backend.demo.seed import seed_demo
from backend.places import service
from backend.settings import Settings
from backend.triage.service import load_grid_index


async def measure(settings: Settings, runs: int) -> tuple[list[float], list[float]]:
    fresh, shared = [], []
    grids = await load_grid_index()  # an app reuses triage's grid index: not part of either cost
    for _ in range(runs):
        t = time.perf_counter()
        assert await service.load_places(settings, grids) is not None
        fresh.append(time.perf_counter() - t)
    assert await service.shared_places(settings) is not None  # the one build a process makes
    for _ in range(runs):
        t = time.perf_counter()
        assert await service.shared_places(settings) is not None
        shared.append(time.perf_counter() - t)
    return fresh, shared


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench", log_level="WARNING", demo_mode=True)
        migrate(settings)
        asyncio.run(_with_db(settings, lambda engine: seed_demo(settings, engine, cases=False)))
        fresh, shared = asyncio.run(_with_db(settings, lambda _engine: measure(settings, args.runs)))
    f, s = statistics.median(fresh) * 1000, statistics.median(shared) * 1000
    print(f"fresh build from the database (baseline), median of {args.runs}: {f:.0f} ms")
    print(f"shared gazetteer (signature query + lookup), median of {args.runs}: {s:.1f} ms")
    print(f"ratio fresh/shared: {f / s:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
