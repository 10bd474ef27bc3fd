"""Database engines: a SQLite file by default (WAL, busy timeout, immediate write transactions), PostgreSQL by URL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import sort_table_classes

from backend.apps import APP_REGISTRY
from backend.settings import Settings

BUSY_TIMEOUT_S = 30.0
log = logging.getLogger("suishoupai.db")


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.is_sqlite:
        return SQLiteEngine(path=settings.sqlite_path, timeout=settings.sqlite_busy_seconds)
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


def write_transaction(engine: Engine[Any]) -> Any:
    """A transaction for read-then-write work: SQLite takes the write lock up front instead of failing later."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_postgres(engine: Engine[Any]) -> bool:
    return isinstance(engine, PostgresEngine)


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
    if not isinstance(engine, PostgresEngine):
        return
    try:
        await asyncio.wait_for(engine.close_connection_pool(), timeout=10)
    except TimeoutError:
        log.warning("database pool did not close in 10 s: terminating its connections")
        if engine.pool is not None:
            engine.pool.terminate()
