"""Live-test fixtures: tokens, a case that makes one event per call, and real uvicorn servers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.conftest import IN_CI, REDIS_URL, SERVER_ENV
from tests.helpers import act, login, report

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Skip Redis tests only on a developer machine without Redis; under CI conftest already insists on one.
    if REDIS_URL or IN_CI:
        return
    skip = pytest.mark.skip(reason="needs SUISHOUPAI_TEST_REDIS_URL (scripts/services.sh starts one)")
    for item in items:
        if "redis" in item.keywords:
            item.add_marker(skip)


@contextmanager
def open_client(settings: Settings) -> Iterator[Any]:
    """A test client whose websocket sessions (``client.live_sessions``) are closed before the app stops.

    An open test-client session polls the app's loop without pause, so a session left open keeps the loop busy.
    """
    from litestar.testing import TestClient

    from backend.app import create_app

    with TestClient(create_app(settings)) as test_client:
        test_client.live_sessions = []  # type: ignore[attr-defined]
        try:
            yield test_client
        finally:
            for session in test_client.live_sessions:  # type: ignore[attr-defined]
                close(session)


def close(session: Any) -> None:
    try:
        session.__exit__(None, None, None)
    except Exception:  # noqa: BLE001, S110 - a session the server already closed has nothing left to say
        pass


@pytest.fixture
def client(settings: Settings) -> Iterator[Any]:
    with open_client(settings) as test_client:
        yield test_client


def token(client: Any, username: str) -> str:
    return login(client, username)["Authorization"].removeprefix("Bearer ")


class Churn:
    """A case in 'verifying' whose supervisor is reassigned back and forth: exactly one event per ``make()``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.citizen = login(client, "citizen01")
        self.operator = login(client, "operator01")
        self.case = report(client, self.citizen)
        self.id: int = self.case["id"]
        current = act(client, self.operator, self.id, "request_verify")["assigned_supervisor_id"]
        ids = [client.get("/api/v1/me", headers=login(client, u)).json()["id"] for u in ("supervisor01", "supervisor02")]
        self.others = [i for i in ids if i != current] + [current]

    def make(self, n: int = 1) -> None:
        for _ in range(n):
            act(self.client, self.operator, self.id, "assign_supervisor", supervisor_id=self.others[0])
            self.others.reverse()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(settings: Settings, log: Path, workers: int = 1, **env: str) -> Iterator[str]:
    """Run the app under uvicorn in a subprocess (several worker processes through ``suishoupai serve --workers``, as a
    deployment would); yields ``host:port``."""
    port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_") or k.startswith("SUISHOUPAI_TEST_")},
        "SUISHOUPAI_DATA_DIR": str(settings.data_dir),
        "SUISHOUPAI_DATABASE_URL": settings.database_url,
        "SUISHOUPAI_SECRET_KEY": settings.secret_key,
        "SUISHOUPAI_LOG_LEVEL": "WARNING",
        "SUISHOUPAI_WORKER_POLL_SECONDS": "0.05",
        **SERVER_ENV,
        **env,
    }
    command = [sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--log-level", "warning"]
    if workers > 1:
        command = [sys.executable, "-m", "backend.cli", "serve", "--no-migrate", "--workers", str(workers)]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Callable[..., Any]:
    """``with server(**env) as address``: a uvicorn process on this test's database."""

    def start(**env: str) -> Any:
        return serve(settings, tmp_path / "server.log", **env)

    return start
