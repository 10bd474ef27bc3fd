"""The job queue: leases renewed while a handler runs, a dead worker's job taken over within seconds, a stale worker
unable to overwrite the new claim, backoff, the dead letter and an admin's retry."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.jobs import queue
from backend.jobs.tables import Job
from backend.settings import Settings
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue, "LEASE", timedelta(seconds=1.5))
    monkeypatch.setattr(queue, "HEARTBEAT", 0.3)


async def _job(job_id: int) -> Job:
    job = await Job.objects().where(Job.id == job_id).first()
    assert job is not None
    return job


async def test_a_long_handler_keeps_its_lease_and_nobody_else_takes_the_job(engine, short_lease):
    job_id = await queue.enqueue("slow", {"n": 1})
    runs: list[int] = []
    others: list[Job | None] = []

    async def slow(payload: dict[str, Any]) -> None:
        runs.append(payload["n"])
        for _ in range(6):  # 3 s: twice the lease
            await asyncio.sleep(0.5)
            others.append(await queue.claim(engine, ["slow"]))

    assert await queue.run_one(engine, {"slow": slow})
    assert runs == [1]
    assert others == [None] * 6  # renewed every 0.3 s: never claimable while it ran
    job = await _job(job_id)
    assert (job.status, job.attempts, job.locked_until) == ("done", 1, None)


async def test_a_job_whose_worker_died_is_claimed_again_when_its_lease_runs_out(engine, short_lease):
    job_id = await queue.enqueue("triage", {"case_id": 1})
    dead = await queue.claim(engine, ["triage"])  # claimed, then its worker vanished: no renewal, no finish
    assert dead is not None and dead.id == job_id
    assert await queue.claim(engine, ["triage"]) is None
    started = time.monotonic()
    while (taken := await queue.claim(engine, ["triage"])) is None:
        assert time.monotonic() - started < 5
        await asyncio.sleep(0.1)
    assert 1.0 < time.monotonic() - started < 3.0
    assert taken.id == job_id and taken.attempts == 2 and taken.claimed_by != dead.claimed_by

    # The first worker comes back (a long pause, not a death): it may not overwrite the new claim.
    assert not await queue.renew(dead)
    assert not await queue.finish(dead, "RuntimeError: stale")
    assert (await _job(job_id)).status == "running"
    assert await queue.finish(taken, None)
    assert (await _job(job_id)).status == "done"


async def test_failures_back_off_then_land_in_the_dead_letter(engine, monkeypatch):
    monkeypatch.setattr(queue, "backoff", lambda attempts: timedelta(0))
    job_id = await queue.enqueue("photo", {"photo_id": 7})
    calls = 0

    async def broken(payload: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        raise ValueError(f"bad photo {payload['photo_id']}")

    assert await queue.drain(engine, {"photo": broken}) == queue.MAX_ATTEMPTS
    assert calls == queue.MAX_ATTEMPTS
    job = await _job(job_id)
    assert (job.status, job.attempts) == ("failed", queue.MAX_ATTEMPTS)
    assert job.last_error == "ValueError: bad photo 7"
    assert await queue.drain(engine, {"photo": broken}) == 0  # the dead letter is not retried by itself
    assert [r["id"] for r in await queue.dead_letters()] == [job_id]
    assert await queue.dead_letters(kind="triage") == []


def test_backoff_grows_with_jitter_and_a_ceiling():
    for attempts in range(1, 6):
        waits = [queue.backoff(attempts).total_seconds() for _ in range(50)]
        assert all(0.8 * 2 ** attempts <= w <= 1.2 * 2 ** attempts for w in waits)
        assert len(set(waits)) > 1
    assert queue.backoff(30) <= queue.MAX_BACKOFF * 1.2


async def test_a_failed_first_attempt_is_retried_later_not_at_once(engine):
    job_id = await queue.enqueue("photo", {"photo_id": 8})

    async def broken(payload: dict[str, Any]) -> None:
        raise OSError("store hiccup")

    assert await queue.run_one(engine, {"photo": broken})
    job = await _job(job_id)
    assert job.status == "pending" and job.attempts == 1 and job.last_error == "OSError: store hiccup"
    assert job.run_after > datetime.now(UTC) + timedelta(seconds=1)
    assert not await queue.run_one(engine, {"photo": broken})  # not due yet


def test_admin_lists_and_retries_the_dead_letter(client):
    admin = login(client, "admin")

    async def dead_job() -> int:
        now = datetime.now(UTC)
        rows = await Job.insert(Job(kind="nope", payload={"x": 1}, status="failed", attempts=5, run_after=now,
                                    created_at=now, finished_at=now, last_error="KeyError: 'x'")).returning(Job.id)
        return int(rows[0]["id"])

    job_id = client.blocking_portal.call(dead_job)
    r = client.get("/api/v1/admin/jobs/failed", headers=admin)
    assert r.status_code == 200, r.text
    listed = [j for j in r.json() if j["id"] == job_id]
    assert listed and listed[0]["kind"] == "nope" and listed[0]["last_error"] == "KeyError: 'x'"
    assert listed[0]["attempts"] == 5 and listed[0]["failed_at"]

    for user in ("operator01", "citizen01"):
        denied = client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=login(client, user))
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "auth.role_forbidden"
    assert client.get("/api/v1/admin/jobs/failed", headers=login(client, "operator01")).status_code == 403

    r = client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin)
    assert r.status_code == 200 and r.json() == {"id": job_id, "status": "pending"}
    job = client.blocking_portal.call(_job, job_id)
    # No handler for "nope" in this app: it stays queued with fresh attempts, visible to the backlog.
    assert (job.status, job.attempts, job.finished_at) == ("pending", 0, None)
    again = client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "job.not_failed"
    audit = client.get("/api/v1/admin/audit", params={"action": "jobs.retried"}, headers=admin).json()
    assert [(e["target"], e["actor_name"]) for e in audit] == [(f"job:{job_id}", "admin")]


WORKER = textwrap.dedent("""
    import asyncio, sys
    from datetime import timedelta
    from backend.db import open_database
    from backend.jobs import queue
    from backend.settings import Settings

    queue.LEASE = timedelta(seconds=2)
    queue.HEARTBEAT = 0.4

    async def main():
        engine = await open_database(Settings.from_env())
        async def hang(payload):
            print("running", flush=True)
            await asyncio.sleep(3600)
        await queue.run_one(engine, {"triage": hang})

    asyncio.run(main())
""")


async def test_kill_9_mid_job_another_worker_finishes_it_within_seconds(engine, settings: Settings,
                                                                        monkeypatch: pytest.MonkeyPatch):
    """A real worker process claims the job and is killed with SIGKILL while its handler runs."""
    monkeypatch.setattr(queue, "LEASE", timedelta(seconds=2))
    job_id = await queue.enqueue("triage", {"case_id": 424242})
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_") or k.startswith("SUISHOUPAI_TEST_")}
    env.update(SUISHOUPAI_DATA_DIR=str(settings.data_dir), SUISHOUPAI_DATABASE_URL=settings.database_url,
               SUISHOUPAI_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE,  # noqa: ASYNC220
                            text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
        assert line.strip() == "running"
        await asyncio.sleep(2.5)  # longer than the lease: only the dead worker's heartbeat kept it
        assert await queue.claim(engine, ["triage"]) is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed_at = time.monotonic()
    done: list[int] = []

    async def finish_triage(payload: dict[str, Any]) -> None:
        done.append(payload["case_id"])

    while not await queue.run_one(engine, {"triage": finish_triage}):
        assert time.monotonic() - killed_at < 6, "the dead worker's job was not taken over"
        await asyncio.sleep(0.1)
    assert done == [424242]
    job = await _job(job_id)
    assert (job.status, job.attempts) == ("done", 2)


async def test_an_idle_worker_takes_no_write_transaction(engine, count_calls):
    """Two workers are woken for every new job and each polls: finding nothing must not take SQLite's one writer."""
    taken = count_calls(queue, "write_transaction")

    async def handler(payload: dict[str, Any]) -> None:
        return None

    assert await queue.claim(engine, ["triage"]) is None
    assert not await queue.run_one(engine, {"triage": handler})
    await queue.enqueue("photo", {}, delay=timedelta(minutes=5))  # another kind, and not due: still nothing
    await queue.enqueue("triage", {}, delay=timedelta(minutes=5))
    assert await queue.claim(engine, ["triage", "photo"]) is None
    assert taken == []
    await queue.enqueue("triage", {})
    assert await queue.run_one(engine, {"triage": handler})
    assert taken == [1, 1]  # its claim and its outcome


async def test_a_busy_worker_records_a_job_and_claims_the_next_in_one_transaction(engine, count_calls):
    ran: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        ran.append(payload["n"])

    ids = [await queue.enqueue("triage", {"n": n}) for n in range(3)]
    taken = count_calls(queue, "write_transaction")
    worker = queue.Worker(engine, {"triage": handler}, poll_seconds=30)
    worker.start()
    try:
        async with asyncio.timeout(30):
            while len(ran) < 3 or [(await _job(i)).status for i in ids] != ["done"] * 3:
                await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    assert ran == [0, 1, 2]
    assert [(await _job(i)).attempts for i in ids] == [1, 1, 1]
    assert len(taken) == 4  # the first claim, then each outcome (with the next claim, but the last): six before


async def test_a_stopping_worker_gives_back_the_job_it_had_claimed_next(engine):
    ran: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        ran.append(payload["n"])

    job_id = await queue.enqueue("triage", {"n": 1})
    worker = queue.Worker(engine, {"triage": handler}, poll_seconds=30)
    worker._next = await queue.claim(engine, ["triage"])  # claimed with the last outcome when the stop came
    assert worker._next is not None
    await worker.stop()
    job = await _job(job_id)
    assert (job.status, job.attempts, job.locked_until, job.claimed_by) == ("pending", 0, None, "")
    assert await queue.run_one(engine, {"triage": handler})  # due at once, not when a lease runs out
    assert ran == [1] and (await _job(job_id)).attempts == 1
