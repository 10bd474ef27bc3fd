"""The embedded default's SQLite engine: Piccolo's own (a new connection and thread for every statement outside a
transaction, and for every transaction) against ``backend.db.PooledSQLiteEngine`` (a few connections kept open),
measured in the same run on the same file. Prints time and CPU per operation and the ratio (see docs/benchmarks.md).

    .venv/bin/python scripts/bench_sqlite_pool.py [--ops 2000] [--rounds 3] [--concurrency 8]

Operations, as the app runs them: a read by primary key outside a transaction (what most request handlers do), and
a short write transaction (BEGIN IMMEDIATE, read, update, COMMIT: the case recorder's shape). ``--concurrency`` tasks
run them side by side on one event loop, as concurrent requests do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend.db import PooledSQLiteEngine, close_database, prepare_sqlite

ROWS = 1000


async def setup(path: str) -> None:
    engine = SQLiteEngine(path=path)
    await engine._run_in_new_connection("CREATE TABLE item (id INTEGER PRIMARY KEY, version INTEGER, note TEXT)")
    for start in range(1, ROWS + 1, 100):
        values = ", ".join(f"({i}, 0, 'x')" for i in range(start, start + 100))
        await engine._run_in_new_connection(f"INSERT INTO item (id, version, note) VALUES {values}")


async def run(engine: SQLiteEngine, kind: str, ops: int, concurrency: int) -> tuple[float, float]:
    """Wall and process CPU seconds per operation."""

    async def worker(offset: int) -> None:
        for i in range(offset, ops, concurrency):
            key = i % ROWS + 1
            if kind == "read":
                await engine._run_in_new_connection("SELECT * FROM item WHERE id = ?", [key])
            else:
                async with engine.transaction(transaction_type=TransactionType.immediate) as tx:
                    await engine._run_in_existing_connection(tx.connection, "SELECT version FROM item WHERE id = ?", [key])
                    await engine._run_in_existing_connection(
                        tx.connection, "UPDATE item SET version = version + 1 WHERE id = ?", [key])

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return (time.perf_counter() - wall) / ops, (time.process_time() - cpu) / ops


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite")
        prepare_sqlite(path)  # WAL, as the app runs it
        await setup(path)
        engines = {"piccolo": SQLiteEngine(path=path, timeout=30), "pooled": PooledSQLiteEngine(path=path, timeout=30)}
        for kind in ("read", "write"):
            best: dict[str, tuple[float, float]] = {}
            for _ in range(args.rounds):  # alternate, so a busy moment on the machine hits both
                for name, engine in engines.items():
                    wall, cpu = await run(engine, kind, args.ops, args.concurrency)
                    old = best.get(name)
                    best[name] = (min(wall, old[0]), min(cpu, old[1])) if old else (wall, cpu)
            base, pooled = best["piccolo"], best["pooled"]
            print(f"{kind:5}  piccolo {base[0] * 1e3:.3f} ms wall, {base[1] * 1e3:.3f} ms CPU an op · "
                  f"pooled {pooled[0] * 1e3:.3f} ms wall, {pooled[1] * 1e3:.3f} ms CPU · "
                  f"{base[0] / pooled[0]:.1f}x wall, {base[1] / pooled[1]:.1f}x CPU")
        await close_database(engines["pooled"])


if __name__ == "__main__":
    asyncio.run(main())
