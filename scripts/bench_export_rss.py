"""Peak memory (RSS) of `suishoupai export cases` as the number of rows grows (see docs/benchmarks.md, "Exports").

    .venv/bin/python scripts/bench_export_rss.py --rows 100000 1000000 [--formats csv geojson xlsx]

A SQLite database under /tmp is migrated, seeded with the demo city's organisation and filled with generated cases.
Each export runs as its own process (as an operator would run it); its peak RSS comes from wait4(). The baseline,
measured in the same run, is the same command exporting zero rows: everything imported and the database opened, no
rows read. Constant memory means the peak stays near the baseline whatever the number of rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.cli import _with_db, migrate
from backend.demo.seed import seed_demo
from backend.settings import Settings


def fill(path: str, rows: int) -> None:
    rng = random.Random(3)
    conn = sqlite3.connect(path)
    have = conn.execute('SELECT COUNT(*) FROM "case"').fetchone()[0]
    reporter = conn.execute("SELECT MIN(id) FROM app_user").fetchone()[0]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sql = ('INSERT INTO "case" (id, tracking_no, state, source, reporter, description, address, lng, lat, '
           "category_code, category_name, district, street, community, unit_grid, created_at, updated_at) "
           "VALUES (?, ?, 'closed', 'citizen', ?, ?, ?, ?, ?, '0101', '上水井盖', '431302', '431302001', "
           "'431302001001', '431302001001001', ?, ?)")
    for first in range(have + 1, rows + 1, 10_000):
        batch = []
        for i in range(first, min(rows, first + 9_999) + 1):
            t = str(start + timedelta(seconds=rng.uniform(0, 365 * 86400)))
            batch.append((i, f"E{i:011d}", reporter, "人行道井盖松动，行人踩上去会响，请尽快处理", "娄星区乐坪街道秀水街 12 号",
                          111.99 + rng.uniform(0, 0.06), 27.70 + rng.uniform(0, 0.06), t, t))
        conn.executemany(sql, batch)
        conn.commit()
    conn.close()


def export(settings: Settings, fmt: str, out: Path, empty: bool) -> tuple[int, float, int]:
    """Peak RSS (KiB), seconds and output bytes of one export process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    env["SUISHOUPAI_DATA_DIR"] = str(settings.data_dir)
    cmd = [sys.executable, "-m", "backend.cli", "export", "cases", "--format", fmt, "--out", str(out),
           "--max-rows", "100000000"] + (["--category", "ZZ"] if empty else [])
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"export failed: {' '.join(cmd)}")
    return usage.ru_maxrss, took, out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "geojson", "xlsx"])
    parser.add_argument("--data-dir", default="/tmp/suishoupai-bench-export")
    args = parser.parse_args()
    settings = Settings(data_dir=Path(args.data_dir), log_level="WARNING")
    Path(settings.sqlite_path).unlink(missing_ok=True)
    migrate(settings)
    asyncio.run(_with_db(settings, lambda engine: seed_demo(settings, engine, cases=False)))
    out = Path(args.data_dir) / "out"
    out.mkdir(exist_ok=True)
    print(f"{'format':<8} {'rows':>10} {'peak RSS MiB':>13} {'baseline MiB':>13} {'x baseline':>11} {'seconds':>8} "
          f"{'rows/s':>8} {'file MiB':>9}")
    for rows in sorted(args.rows):
        fill(settings.sqlite_path, rows)
        for fmt in args.formats:
            base, _, _ = export(settings, fmt, out / f"empty.{fmt}", empty=True)
            peak, took, size = export(settings, fmt, out / f"all.{fmt}", empty=False)
            print(f"{fmt:<8} {rows:>10,} {peak / 1024:13.1f} {base / 1024:13.1f} {peak / base:11.2f} {took:8.1f} "
                  f"{rows / took:8.0f} {size / 2**20:9.1f}", flush=True)
            (out / f"all.{fmt}").unlink()


if __name__ == "__main__":
    main()
