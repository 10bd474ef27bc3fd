"""Liveness and readiness: what a load balancer or orchestrator sees when a dependency fails."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.jobs.tables import Job
from backend.settings import Settings


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Any]:
    clients: list[TestClient[Any]] = []

    def make(**changes: Any) -> TestClient[Any]:
        client = TestClient(create_app(settings.with_(**changes)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_live_answers_while_serving_and_healthz_is_its_alias(client):
    for path in ("/health/live", "/healthz"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}


def test_ready_checks_every_dependency(client):
    r = client.get("/health/ready")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok", body
    checks = body["checks"]
    assert {checks[name]["status"] for name in ("database", "store", "jobs")} == {"ok"}
    assert checks["redis"] == {"status": "not_configured"}
    assert checks["jobs"]["due"] == 0


def test_ready_is_503_with_retry_after_while_the_store_is_broken(client, settings):
    root = settings.resolved_store_path
    shutil.rmtree(root)
    root.write_text("not a directory")  # what a bad mount or a mistaken path leaves behind
    r = client.get("/health/ready")
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) >= 1
    error = r.json()["error"]
    assert error["code"] == "service.not_ready"
    assert error["message_zh"] and error["message_en"]
    checks = error["details"]["checks"]
    assert checks["store"] == {"status": "error", "error": "store.unavailable"}
    assert checks["database"]["status"] == "ok"
    # Liveness is not readiness: the process still serves, it must not be restarted for a broken mount.
    assert client.get("/health/live").status_code == 200
    root.unlink()
    assert client.get("/health/ready").status_code == 200  # ready again once the store is back, no restart


def test_ready_is_503_while_the_database_is_unreachable(make_client, monkeypatch):
    client = make_client()

    async def refused(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(type(client.app.state.ctx.engine), "run_ddl", refused)  # the engine's class has __slots__
    r = client.get("/health/ready")
    assert r.status_code == 503
    assert "Retry-After" in r.headers
    assert r.json()["error"]["details"]["checks"]["database"] == {"status": "error", "error": "ConnectionRefusedError"}


def test_ready_is_degraded_not_down_when_redis_is_unreachable(make_client):
    client = make_client(redis_url="redis://127.0.0.1:1")
    r = client.get("/health/ready")
    assert r.status_code == 200, r.text  # live events fall back to the event-log poll: still serving
    body = r.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_reports_the_job_backlog_and_degrades_when_it_is_old(make_client):
    client = make_client(run_worker=False)  # nothing drains the queue
    now = datetime.now(UTC)

    async def enqueue_late() -> None:
        for minutes in (20, 1):
            await Job.insert(Job(kind="triage", payload={}, run_after=now - timedelta(minutes=minutes), created_at=now))
        await Job.insert(Job(kind="triage", payload={}, run_after=now + timedelta(hours=1), created_at=now))  # not due

    client.blocking_portal.call(enqueue_late)
    body = client.get("/health/ready").json()
    jobs = body["checks"]["jobs"]
    assert jobs["due"] == 2
    assert 20 * 60 <= jobs["oldest_due_age_s"] < 21 * 60
    assert jobs["status"] == "slow"
    assert body["status"] == "degraded"
