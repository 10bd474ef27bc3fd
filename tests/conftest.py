"""Test fixtures: every test gets its own database (a copy of a migrated, seeded template) and its own app.

The database backends come from the environment: SQLite always; PostgreSQL too when SUISHOUPAI_TEST_POSTGRES_URL is
set (scripts/services.sh starts one). Under CI=true a missing server is an error, never a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest

from backend.settings import Settings

PG_URL = os.environ.get("SUISHOUPAI_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("SUISHOUPAI_TEST_REDIS_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
# One template per test session, so parallel runs (or a crashed earlier one) never share it.
TEMPLATE_DB = f"suishoupai_tpl_{os.getpid()}"


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not (PG_URL and REDIS_URL):
        raise pytest.UsageError("CI=true needs SUISHOUPAI_TEST_POSTGRES_URL and SUISHOUPAI_TEST_REDIS_URL (.ci/run sets them)")


# scripts/test.sh runs the suite on several pytest-xdist workers. Each test file stays on one worker (its module
# fixtures, such as a browser test's server, start once), and every file with Redis tests runs on the same worker:
# Redis pub/sub channels are shared by all databases of a server, so two such tests at once would hear each other's
# events. (xdist's own "loadgroup" cannot do this under pytest 9: it renames Node._nodeid, which pytest 9 no longer
# reads; checked with a two-test file.)
REDIS_FILES = frozenset({"tests/live/test_multiprocess.py", "tests/cluster/test_cluster.py",
                         "tests/accounts/test_throttle.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    strays = sorted({i.nodeid.split("::", 1)[0] for i in items if "redis" in i.keywords} - REDIS_FILES)
    if strays:
        raise pytest.UsageError(f"Redis tests outside tests/conftest.py's REDIS_FILES (add them there): {strays}")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadFileScheduling

    class FilesAndRedis(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "redis" if path in REDIS_FILES else path

    return FilesAndRedis(config, log)


# The demo city's users log in with the demo password, and many tests act faster than any person could: demo mode
# and lifted rate limits, except where tests/accounts/test_throttle.py checks the real limits.
TEST_OVERRIDES: dict[str, object] = {
    "demo_mode": True,
    "rate_reports_per_user": 100_000,
    "rate_reports_per_ip": 100_000,
    "rate_uploads_per_user": 100_000,
    "rate_api_per_user": 100_000,
    "rate_login_per_ip": 100_000,
    "rate_device_per_ip_hour": 100_000,
    "rate_password_checks_per_user": 100_000,
    # No redaction workers: photos stay private unless a test redacts them (tests/redaction), so the face and text
    # models run only where a test needs them.
    "redaction_workers": 0,
    # Many tests file reports faster than any city and drain the queue when they choose; the intake's backpressure
    # is tested where it is the subject (tests/jobs/test_backlog.py).
    "intake_max_backlog": 0,
}
# The same for an app started as a separate process.
SERVER_ENV = {"SUISHOUPAI_" + k.upper(): str(v).lower() for k, v in TEST_OVERRIDES.items()}


def base_settings(tmp: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp,
        "worker_poll_seconds": 0.05,
        "secret_key": "test-secret",
        "log_level": "WARNING",
        **TEST_OVERRIDES,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


async def _seed(settings: Settings) -> None:
    from backend.cli import _with_db
    from backend.demo.seed import seed_demo

    await _with_db(settings, lambda engine: seed_demo(settings, engine, cases=False))


def _pg_url(database: str) -> str:
    parts = urlparse(PG_URL)
    return urlunparse(parts._replace(path="/" + database))


async def _pg_admin(sql: str) -> None:
    import asyncpg

    parts = urlparse(PG_URL)
    conn = await asyncpg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                                 password=parts.password or None, database=(parts.path or "/postgres").lstrip("/"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from backend.cli import migrate

    folder = tmp_path_factory.mktemp("template")
    settings = base_settings(folder)
    migrate(settings)
    asyncio.run(_seed(settings))
    return Path(settings.sqlite_path)


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from backend.cli import migrate

    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
    asyncio.run(_pg_admin(f"CREATE DATABASE {TEMPLATE_DB}"))
    settings = base_settings(tmp_path_factory.mktemp("pgtemplate"), database_url=_pg_url(TEMPLATE_DB))
    migrate(settings)
    asyncio.run(_seed(settings))
    yield TEMPLATE_DB
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A Settings on a fresh copy of the seeded demo city (organisation and users, no cases)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "suishoupai.sqlite"
        shutil.copyfile(template, target)
        yield base_settings(tmp_path)
        return
    request.getfixturevalue("postgres_template")
    name = "t_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    try:
        yield base_settings(tmp_path, database_url=_pg_url(name))
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def client(settings: Settings) -> Iterator[object]:
    from litestar.testing import TestClient

    from backend.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app in a real uvicorn process on a free loopback port, on this test's database; yields its base URL."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SUISHOUPAI_DATA_DIR": str(settings.data_dir), "SUISHOUPAI_LOG_LEVEL": "WARNING",
           "SUISHOUPAI_SECRET_KEY": settings.secret_key, **SERVER_ENV}
    env = {k: v for k, v in env.items() if not (k.startswith("SUISHOUPAI_") and k[11:] in {"DATABASE_URL", "REDIS_URL"})}
    if settings.database_url:
        env["SUISHOUPAI_DATABASE_URL"] = settings.database_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, cwd=Path(__file__).resolve().parent.parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # generous: on a busy 2-core machine with parallel workers a start can take 30 s
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every statement Piccolo runs (both engines) for ``tests.helpers.counted``."""
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.engine.sqlite import SQLiteEngine

    from tests.helpers import STATEMENTS

    for engine_class in (SQLiteEngine, PostgresEngine):
        original = engine_class.run_querystring

        async def recording(self: Any, querystring: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            log = STATEMENTS.get()
            if log is not None:
                log.append(str(querystring))
            return await _original(self, querystring, *args, **kwargs)

        monkeypatch.setattr(engine_class, "run_querystring", recording)
