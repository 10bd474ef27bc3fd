"""Database engines: a SQLite file by default (WAL, busy timeout, immediate write transactions), PostgreSQL by URL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.table import sort_table_classes

from backend.apps import APP_REGISTRY
from backend.settings import Settings

BUSY_TIMEOUT_S = 30.0
SQLITE_IDLE_CONNECTIONS = 4  # kept open between statements; more may be open at once, the rest are closed after use
log = logging.getLogger("suishoupai.db")


# Set for the job workers' work (triage, notifications …): their SQLite writes go before the requests' writes that
# are waiting. A report is worth little to anyone until its case is triaged and sent on, and with one writer for the
# whole process, requests in arrival order would leave the few workers at the back of a queue of every phone.
_WRITE_FIRST: ContextVar[bool] = ContextVar("write_first", default=False)


@contextlib.contextmanager
def writes_first() -> Iterator[None]:
    """Within this block (and the tasks it starts), this task's write transactions wait ahead of the others."""
    token = _WRITE_FIRST.set(True)
    try:
        yield
    finally:
        _WRITE_FIRST.reset(token)


class WriterQueue:
    """One writer at a time, handed over in arrival order, those marked ``writes_first`` ahead of the rest.

    Handed over directly: on release the next waiter owns the lock before it even runs, so no newcomer can slip in.
    A waiter cancelled (or timed out) after it was handed the lock passes it on."""

    def __init__(self) -> None:
        self._held = False
        self._first: deque[asyncio.Future[None]] = deque()
        self._rest: deque[asyncio.Future[None]] = deque()

    @property
    def held(self) -> bool:
        return self._held

    async def acquire(self) -> None:
        if not self._held:
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        line = self._first if _WRITE_FIRST.get() else self._rest
        line.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # it was ours already: pass it on
            else:
                line.remove(waiter)
            raise

    def release(self) -> None:
        for line in (self._first, self._rest):
            while line:
                waiter = line.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # still held: now by that waiter
                    return
        self._held = False


class _Lease:
    """A pooled aiosqlite connection handed to Piccolo: closing it gives it back to the engine instead.

    ``inline``: its statements run on the calling thread (see ``write_transaction``)."""

    __slots__ = ("_conn", "_engine", "inline")

    def __init__(self, conn: Any, engine: PooledSQLiteEngine) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_engine", engine)
        object.__setattr__(self, "inline", False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)  # Piccolo sets row_factory on the connection it is given

    async def close(self) -> None:
        await self._engine.release(self._conn)


class _InlineTransaction(SQLiteTransaction):
    """A write transaction whose statements run on the calling thread (``write_transaction(inline=True)``).

    BEGIN IMMEDIATE is tried at once without waiting; only when another process holds SQLite's writer does it wait,
    in the connection's own thread, for the busy timeout. COMMIT (a WAL append: well under a millisecond here) and
    ROLLBACK run here too."""

    async def begin(self) -> None:
        lease = self.connection
        object.__setattr__(lease, "inline", True)
        raw = lease._conn._conn
        timeout_ms = int(self.engine.busy_seconds * 1000)  # type: ignore[attr-defined]
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute(f"BEGIN {self.transaction_type.value}")
            return
        except sqlite3.OperationalError as exc:
            if raw.in_transaction or "locked" not in str(exc) and "busy" not in str(exc):
                raise
        finally:
            raw.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        await lease._conn.execute(f"BEGIN {self.transaction_type.value}")  # another process writes: wait for it

    async def commit(self) -> None:
        self.connection._conn._conn.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        self.connection._conn._conn.execute("ROLLBACK")
        self._rolled_back = True


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection, with a thread of its own, for every statement run outside a
    transaction and for every transaction (about 0.4 ms of CPU each, five times the statement itself on a small read).
    This one keeps a few connections open and reuses them. A connection comes back only when it is clean (no
    transaction left open); the idle ones are closed with the engine, and their threads never hold up the
    interpreter's exit."""

    def __init__(self, path: str, *, idle: int = SQLITE_IDLE_CONNECTIONS, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self._idle: list[Any] = []
        self._keep = idle
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WriterQueue] = (
            weakref.WeakKeyDictionary())

    @property
    def busy_seconds(self) -> float:
        return float(self.connection_kwargs.get("timeout", BUSY_TIMEOUT_S))

    def write_lock(self) -> WriterQueue:
        """This event loop's queue of writers (an engine may serve several loops, each with its own queue)."""
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = WriterQueue()
        return lock

    async def _open(self) -> Any:
        # Used from the event loop's thread too, by short write transactions (``write_transaction(inline=True)``),
        # never at the same time as from its own thread: the transaction's owner awaits each statement in turn.
        conn = aiosqlite.connect(**self.connection_kwargs, check_same_thread=False)
        conn._thread.daemon = True  # an idle pooled connection must not keep a finished process alive
        await conn
        conn.row_factory = dict_factory  # type: ignore[assignment]  # Piccolo reads rows as dicts
        await conn.execute("PRAGMA foreign_keys = 1")
        return conn

    async def get_connection(self) -> Any:
        conn = self._idle.pop() if self._idle else await self._open()
        return _Lease(conn, self)

    async def release(self, conn: Any) -> None:
        usable = conn._connection is not None and not conn.in_transaction
        if usable and len(self._idle) < self._keep:
            self._idle.append(conn)
        else:
            await conn.close()

    # Each statement is one trip to the connection's thread and back (execute and fetch together). Piccolo's own
    # way is four in a transaction (``PRAGMA foreign_keys`` again, execute, fetch, close the cursor) and three
    # outside; each trip waits for the event loop's turn, and in a write transaction the whole process waits with
    # it: under load the trips, not SQLite, were most of the time the one writer held the lock.
    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic",
                                     table: Any = None) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's own way
            return await super()._run_in_new_connection(query, args, query_type, table)
        lease = await self.get_connection()
        try:
            return await lease.execute_fetchall(query, args or [])  # autocommit: isolation_level is None
        finally:
            await lease.close()

    async def _run_in_existing_connection(self, connection: Any, query: str, args: list[Any] | None = None,
                                          query_type: str = "generic", table: Any = None) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        # The connection came from this engine: foreign keys and the row factory were set when it was opened.
        if getattr(connection, "inline", False):
            cursor = connection._conn._conn.execute(query, args or [])  # the sqlite3 connection itself, this thread
            try:
                return cursor.fetchall()
            finally:
                cursor.close()
        return await connection.execute_fetchall(query, args or [])

    async def close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.is_sqlite:
        return PooledSQLiteEngine(path=settings.sqlite_path, timeout=settings.sqlite_busy_seconds)
    url = urlparse(settings.resolved_database_url)
    return PostgresEngine(
        config={
            "host": url.hostname or "localhost",
            "port": url.port or 5432,
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
            "database": (url.path or "/suishoupai").lstrip("/"),
        }
    )


def prepare_sqlite(path: str) -> None:
    """WAL lets readers run beside the one writer; the setting is stored in the file, so once is enough."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path, timeout=BUSY_TIMEOUT_S) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def bind_tables(engine: Engine[Any]) -> None:
    """Point every table at this engine, so an app (or a test) can run on a database of its own."""
    for table in all_tables():
        table._meta.db = engine


def all_tables() -> list[Any]:
    """Every table of every registered app, in dependency order."""
    tables = [t for config in APP_REGISTRY.app_configs.values() for t in config.table_classes]
    return sort_table_classes(tables)


def _instruments() -> Any:
    """The metrics, imported at first use: prometheus-client opens its per-process files when they are defined, and a
    command that only imports this module (``migrate`` before ``serve`` prepares the metrics folder) must not."""
    from backend import instruments

    return instruments


class _FairWrite:
    """A SQLite write transaction entered in arrival order within this process (``writes_first`` work ahead).

    SQLite has one writer; a writer that finds it taken sleeps and polls (the busy handler), so newcomers overtake
    it and a steady stream of requests can starve the job worker's writes for many seconds. Here the process's own
    writers queue (``WriterQueue``) before they ask SQLite, which then only arbitrates between processes. Waiting
    longer than the busy timeout fails as SQLite itself would ("database is locked": 503).
    A transaction inside another (Piccolo runs it as part of the outer one) takes nothing more."""

    __slots__ = ("_engine", "_inline", "_lock", "_queue", "_since", "_tx")
    _lock: WriterQueue | None

    def __init__(self, engine: PooledSQLiteEngine, inline: bool = False) -> None:
        self._engine = engine
        self._inline = inline
        self._tx: Any = None
        self._lock = None

    async def __aenter__(self) -> Any:
        if self._engine.current_transaction.get() is None:
            lock = self._engine.write_lock()
            self._queue = "first" if _WRITE_FIRST.get() else "rest"
            asked = time.perf_counter()
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for runs the acquire as a task of its own and,
                # when the caller is cancelled just as the lock is handed to it, returns as if nothing happened, so
                # the cancellation is lost (a job's lease renewal, cancelled at the end of its job, renewed forever).
                async with asyncio.timeout(self._engine.busy_seconds):
                    await lock.acquire()
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked (waited for this process's other writers)") from None
            finally:
                self._since = time.perf_counter()
                _instruments().DB_WRITE_WAIT.labels(self._queue).observe(self._since - asked)
            self._lock = lock
        try:
            kind = _InlineTransaction if self._inline else SQLiteTransaction
            self._tx = kind(engine=self._engine, transaction_type=TransactionType.immediate)
            return await self._tx.__aenter__()
        except BaseException:
            await asyncio.shield(self._abandon())
            self._unlock()
            raise

    async def _abandon(self) -> None:
        """A transaction that failed or was cancelled while it began: its connection may hold SQLite's write lock
        (BEGIN ran in the connection's thread all the same), and nobody else would ever roll it back or return it."""
        conn = getattr(self._tx, "connection", None)
        if conn is None:
            return
        with contextlib.suppress(sqlite3.Error, ValueError):  # no transaction began; a connection already closed
            await conn.execute("ROLLBACK")  # queued behind the BEGIN on the connection's own thread
        await conn.close()  # back to the pool, or closed if it is still not clean

    async def __aexit__(self, *exc: object) -> Any:
        try:
            return await self._tx.__aexit__(*exc)
        finally:
            self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
            _instruments().DB_WRITE_HOLD.labels(self._queue).observe(time.perf_counter() - self._since)


def write_transaction(engine: Engine[Any], *, inline: bool = False) -> Any:
    """A transaction for read-then-write work: SQLite takes the write lock up front instead of failing later.

    ``inline`` (SQLite): for short transactions of small statements on the hot path (a case's change, a job's claim
    and outcome, the feeds). BEGIN, the statements and COMMIT run on the event loop's thread (``_InlineTransaction``;
    only a BEGIN that finds another process writing waits, in the connection's thread): once the write lock is held
    none of them waits, and each takes microseconds instead of a trip to the thread and back through a busy event
    loop, which under load was most of the time the one writer was held (docs/benchmarks.md, "Statements on the
    loop's thread"). Not for bulk work: a long statement here would stop the event loop."""
    if isinstance(engine, PooledSQLiteEngine):
        return _FairWrite(engine, inline)
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_postgres(engine: Engine[Any]) -> bool:
    return isinstance(engine, PostgresEngine)


async def insert_many(engine: Engine[Any], table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows with the driver's ``executemany``: one prepared statement, no query text per row. The values
    reach the driver as through a Piccolo insert (the same SQLite adapters, asyncpg's own types), so what is stored
    is the same. Runs in the current transaction, or in a write transaction of its own."""
    if not rows:
        return
    tx = engine.current_transaction.get()
    if tx is None:
        async with write_transaction(engine):
            await insert_many(engine, table, columns, rows)
        return
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(f"${i}" if is_postgres(engine) else "?" for i in range(1, len(columns) + 1))
    await tx.connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


async def open_database(settings: Settings) -> Engine[Any]:
    """The engine for these settings, bound to every table, with its pool started (PostgreSQL)."""
    engine = build_engine(settings)
    bind_tables(engine)
    if settings.is_sqlite:
        prepare_sqlite(settings.sqlite_path)
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool()
    return engine


async def close_database(engine: Engine[Any]) -> None:
    """Close the pool; a connection some task never gave back must not hang shutdown forever."""
    if isinstance(engine, PooledSQLiteEngine):
        await engine.close_idle()
    if not isinstance(engine, PostgresEngine):
        return
    try:
        await asyncio.wait_for(engine.close_connection_pool(), timeout=10)
    except TimeoutError:
        log.warning("database pool did not close in 10 s: terminating its connections")
        if engine.pool is not None:
            engine.pool.terminate()
