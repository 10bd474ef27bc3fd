"""The embedded default's SQLite engine: connections reused, never handed on dirty, and this process's writers served
in the order they came (backend/db.py)."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from backend.db import PooledSQLiteEngine, WriterQueue, close_database, prepare_sqlite, write_transaction, writes_first


def make_engine(tmp_path: Path, **kwargs: object) -> PooledSQLiteEngine:
    path = str(tmp_path / "pool.sqlite")
    prepare_sqlite(path)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER)")
        conn.execute("INSERT INTO item VALUES (1, 0)")
    return PooledSQLiteEngine(path=path, **kwargs)  # type: ignore[arg-type]


def count_connects(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened: list[int] = []
    real = aiosqlite.connect

    def connect(*args: object, **kwargs: object) -> object:
        opened.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite, "connect", connect)
    return opened


def test_statements_and_transactions_reuse_a_few_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(tmp_path, idle=2)
    opened = count_connects(monkeypatch)

    async def work() -> list[dict[str, int]]:
        for _ in range(50):
            await engine._run_in_new_connection("SELECT n FROM item WHERE id = 1")
        for _ in range(20):
            async with write_transaction(engine) as tx:
                await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1 WHERE id = 1")
        rows = await engine._run_in_new_connection("SELECT n FROM item WHERE id = 1")
        await close_database(engine)
        return rows

    assert asyncio.run(work()) == [{"n": 20}]
    assert len(opened) == 1  # one after another: the same connection every time (Piccolo's own opens 71)


def test_a_connection_left_inside_a_transaction_is_closed_not_reused(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)

    async def work() -> tuple[bool, int]:
        lease = await engine.get_connection()
        await lease.execute("BEGIN IMMEDIATE")
        await lease.execute("UPDATE item SET n = 5")
        raw = lease._conn
        await lease.close()  # given back with its transaction open: it must not serve anyone else
        closed = raw._connection is None
        # The open transaction died with its connection: nothing of it stayed, and the write lock is free again.
        async with write_transaction(engine) as tx:
            rows = await engine._run_in_existing_connection(tx.connection, "SELECT n FROM item")
        await close_database(engine)
        return closed, rows[0]["n"]

    assert asyncio.run(work()) == (True, 0)


def test_writers_of_one_process_go_in_arrival_order(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)

    async def work() -> list[int]:
        order: list[int] = []
        first_in = asyncio.Event()

        async def writer(k: int) -> None:
            async with write_transaction(engine) as tx:
                if k == 0:
                    first_in.set()
                    await asyncio.sleep(0.05)  # the others arrive while the first holds the writer
                order.append(k)
                await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = ? WHERE id = 1", [k])

        first = asyncio.create_task(writer(0))
        await first_in.wait()
        rest = []
        for k in range(1, 6):
            rest.append(asyncio.create_task(writer(k)))
            await asyncio.sleep(0)  # each one queued before the next is created
        await asyncio.gather(first, *rest)
        await close_database(engine)
        return order

    assert asyncio.run(work()) == [0, 1, 2, 3, 4, 5]


def test_the_job_workers_writes_go_before_the_waiting_requests_and_a_timed_out_waiter_passes_its_turn_on(
        tmp_path: Path) -> None:
    engine = make_engine(tmp_path, timeout=5)

    async def work() -> list[str]:
        order: list[str] = []
        first_in = asyncio.Event()

        async def writer(name: str) -> None:
            async with write_transaction(engine) as tx:
                if name == "holder":
                    first_in.set()
                    await asyncio.sleep(0.05)  # the others arrive while this one holds the writer
                order.append(name)
                await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1 WHERE id = 1")

        async def worker(name: str) -> None:
            with writes_first():  # as jobs.queue.run_one marks a job's work
                await writer(name)

        holder = asyncio.create_task(writer("holder"))
        await first_in.wait()
        tasks = []
        for name, fn in (("request 1", writer), ("job 1", worker), ("request 2", writer), ("job 2", worker)):
            tasks.append(asyncio.create_task(fn(name), context=contextvars.Context()))
            await asyncio.sleep(0)  # each one queued before the next is created
        await asyncio.gather(holder, *tasks)
        await close_database(engine)
        return order

    assert asyncio.run(work()) == ["holder", "job 1", "job 2", "request 1", "request 2"]

    async def handed_over_while_cancelled() -> tuple[bool, bool]:
        queue = WriterQueue()
        await queue.acquire()
        late = asyncio.create_task(queue.acquire())
        after = asyncio.create_task(queue.acquire())
        await asyncio.sleep(0)
        queue.release()  # handed to `late` …
        late.cancel()  # … which gives up before it runs: the turn goes on to `after`
        await asyncio.gather(late, return_exceptions=True)
        await asyncio.wait_for(after, 1)
        held_by_after = queue.held
        queue.release()
        return held_by_after, queue.held

    assert asyncio.run(handed_over_while_cancelled()) == (True, False)


def test_a_nested_write_transaction_joins_the_outer_one(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)

    async def work() -> int:
        # The inner one would wait for the outer forever if it queued again.
        async with write_transaction(engine) as outer, write_transaction(engine):
            await engine._run_in_existing_connection(outer.connection, "UPDATE item SET n = 7")
        rows = await engine._run_in_new_connection("SELECT n FROM item")
        await close_database(engine)
        return rows[0]["n"]

    assert asyncio.run(asyncio.wait_for(work(), 10)) == 7


def test_waiting_past_the_busy_timeout_for_this_process_s_writers_fails_as_sqlite_would(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, timeout=0.2)

    async def second_writer() -> str:
        async with write_transaction(engine):
            return "entered"

    async def work() -> str:
        async with write_transaction(engine):  # held for longer than the others may wait
            try:
                # A task of its own, outside this one's transaction (a task made here would inherit it).
                return await asyncio.create_task(second_writer(), context=contextvars.Context())
            except sqlite3.OperationalError as exc:
                return str(exc)

    assert "database is locked" in asyncio.run(work())  # backend/errors.py: 503 db.busy with Retry-After


def test_one_engine_serves_several_event_loops(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)

    async def bump() -> None:
        async with write_transaction(engine) as tx:
            await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1")

    for _ in range(3):  # a new loop each time, as tests and the CLI run them; pooled connections go on working
        asyncio.run(bump())

    async def read() -> int:
        rows = await engine._run_in_new_connection("SELECT n FROM item")
        await close_database(engine)
        return rows[0]["n"]

    assert asyncio.run(read()) == 3


def test_a_writer_cancelled_just_as_the_lock_reaches_it_is_cancelled_and_leaves_the_lock_free(tmp_path: Path) -> None:
    """On Python 3.11 ``asyncio.wait_for`` lost a cancellation that came as the lock was handed over: the writer went
    on as if nothing had happened (a job's lease renewal, cancelled at the end of its job, renewed it forever)."""
    engine = make_engine(tmp_path)

    async def work() -> tuple[list[tuple[bool, str]], int]:
        seen: list[tuple[bool, str, bool]] = []  # (cancel() found the task still running, how it ended, body done)
        for yields in range(8):  # the cancellation at each point of the hand-over, of BEGIN, the update and COMMIT
            holder = write_transaction(engine)
            await holder.__aenter__()
            body_done = False

            async def second() -> None:
                nonlocal body_done
                async with write_transaction(engine) as tx:
                    await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 100")
                    body_done = True

            task = asyncio.create_task(second(), context=contextvars.Context())
            await asyncio.sleep(0.01)  # waiting in line
            await holder.__aexit__(None, None, None)  # hands the lock over
            for _ in range(yields):
                await asyncio.sleep(0)
            pending = task.cancel()
            try:
                await task
                seen.append((pending, "ran", body_done))
            except asyncio.CancelledError:
                seen.append((pending, "cancelled", body_done))
            async with asyncio.timeout(5):  # the lock, and SQLite's, are free again
                async with write_transaction(engine) as tx:
                    await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1")
        rows = await engine._run_in_new_connection("SELECT n FROM item")
        await close_database(engine)
        return seen, rows[0]["n"]

    seen, n = asyncio.run(work())
    assert all(how == "cancelled" for pending, how, _ in seen if pending), seen  # a timely cancel is honoured
    assert any(pending for pending, _, _ in seen), seen
    # A writer cancelled before its update was done was rolled back; one cancelled during COMMIT may have committed
    # (the commit runs in the connection's thread all the same), as with any cancelled I/O.
    ran = sum(how == "ran" for _, how, _ in seen)
    in_commit = sum(how == "cancelled" and done for _, how, done in seen)
    assert (n - 8) % 100 == 0 and ran <= (n - 8) // 100 <= ran + in_commit, (n, seen)


def test_a_statement_is_one_trip_to_the_connection_s_thread_and_foreign_keys_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(tmp_path)
    with sqlite3.connect(engine.path) as conn:
        conn.execute("CREATE TABLE part (id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES item (id))")
    trips: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object, **kwargs: object) -> object:
        trips.append(str(args[0]) if args and isinstance(args[0], str) else getattr(fn, "__name__", "?"))
        return await real(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    async def work() -> tuple[list[str], list[str], list[dict[str, int]], list[str]]:
        await engine._run_in_new_connection("SELECT 1")  # the connection is opened (and set up) here
        trips.clear()
        async with write_transaction(engine) as tx:
            await engine._run_in_existing_connection(tx.connection, "INSERT INTO part (item) VALUES (1)")
            inside = list(trips)
        trips.clear()
        rows = await engine._run_in_new_connection("SELECT count(*) AS n FROM part")
        outside = list(trips)
        refused = []
        for statement in ("INSERT INTO part (item) VALUES (99)",):  # no item 99: refused in and out of a transaction
            with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
                await engine._run_in_new_connection(statement)
            refused.append("outside")
            with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
                async with write_transaction(engine) as tx:
                    await engine._run_in_existing_connection(tx.connection, statement)
            refused.append("inside")
        await close_database(engine)
        return inside, outside, rows, refused

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    inside, outside, rows, refused = asyncio.run(work())
    # BEGIN, the insert (executed and fetched in one trip), COMMIT: Piccolo's own way took six (PRAGMA again, execute,
    # fetch, close the cursor).
    assert inside == ["BEGIN IMMEDIATE", "INSERT INTO part (item) VALUES (1)"], inside
    assert outside == ["SELECT count(*) AS n FROM part"]
    assert rows == [{"n": 1}]
    assert refused == ["outside", "inside"]


def test_an_inline_write_transaction_makes_no_trip_to_the_connection_s_thread_and_commits_or_rolls_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot path's short transactions run BEGIN, their statements and COMMIT on the loop's thread: under load each
    trip waited for a busy event loop while the process's one writer waited with it."""
    engine = make_engine(tmp_path)
    trips: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object, **kwargs: object) -> object:
        trips.append(str(args[0]) if args and isinstance(args[0], str) else getattr(fn, "__name__", "?"))
        return await real(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    async def work() -> tuple[list[str], list[dict[str, int]], bool]:
        await engine._run_in_new_connection("SELECT 1")  # the connection is opened (and set up) here
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with write_transaction(engine, inline=True) as tx:
            for _ in range(5):
                await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1")
            rows = await engine._run_in_existing_connection(tx.connection, "SELECT n FROM item")
            assert rows == [{"n": 5}]  # its own writes, read back as dicts
        with pytest.raises(sqlite3.IntegrityError):
            async with write_transaction(engine, inline=True) as tx:
                await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 100")
                await engine._run_in_existing_connection(tx.connection, "INSERT INTO item VALUES (1, 0)")  # taken
        inline_trips = list(trips)
        rows = await engine._run_in_new_connection("SELECT n FROM item")  # the pooled connection, on its thread again
        async with write_transaction(engine) as tx:  # and an ordinary transaction on it after the inline ones
            await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1")
        after = await engine._run_in_new_connection("SELECT n FROM item")
        await close_database(engine)
        return inline_trips, rows + after, bool(trips)

    inline_trips, rows, later_trips = asyncio.run(work())
    assert inline_trips == []
    assert rows == [{"n": 5}, {"n": 6}]  # the failed one rolled back whole
    assert later_trips


def test_an_inline_begin_waits_for_another_process_s_writer_without_stopping_the_loop(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    other = sqlite3.connect(engine.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    other.execute("UPDATE item SET n = 1000")

    async def work() -> tuple[int, list[dict[str, int]]]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async def writer() -> None:
            async with write_transaction(engine, inline=True) as tx:
                await engine._run_in_existing_connection(tx.connection, "UPDATE item SET n = n + 1")

        clock = asyncio.create_task(ticker())
        task = asyncio.create_task(writer())
        await asyncio.sleep(0.5)
        assert not task.done()  # waiting for the other writer, in the connection's thread
        seen = ticks
        await asyncio.to_thread(other.execute, "COMMIT")
        await asyncio.wait_for(task, 10)
        clock.cancel()
        rows = await engine._run_in_new_connection("SELECT n FROM item")
        await close_database(engine)
        return seen, rows

    seen, rows = asyncio.run(work())
    other.close()
    assert seen >= 20  # the loop went on meanwhile (about 50 ticks of 10 ms in 0.5 s)
    assert rows == [{"n": 1001}]  # after the other's commit, on top of it
